"""``flask users``: create accounts, set passwords, list accounts."""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup

from collisionos.domain.errors import DomainError
from collisionos.models.base import utcnow
from collisionos.models.enums import Role
from collisionos.services import users as user_service

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--shop", "shop_id", type=int, help="Shop id (omit only for a platform admin).")
@click.option("--password", help="Omit to generate one (printed once). Or set NEW_USER_PASSWORD.")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
def create(email: str, role: str, shop_id: int | None, password: str | None, first_name: str, last_name: str) -> None:
    """Create a staff account."""
    password = password or os.environ.get("NEW_USER_PASSWORD")
    generated = password is None
    password = password or user_service.generate_password()
    try:
        user = user_service.create_user(
            actor=None,
            now=utcnow(),
            email=email,
            role=role,
            shop_id=shop_id,
            password=password,
            first_name=first_name,
            last_name=last_name,
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({user.role}) in shop {user.shop_id}.")
    if generated:
        click.echo(f"Password (shown once): {password}")


@users_cli.command("set-password")
@click.option("--email", required=True)
@click.option("--password", help="Omit to be prompted.")
def set_password(email: str, password: str | None) -> None:
    """Set a user's password; their other sessions end."""
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        user = user_service.set_password(actor=None, now=utcnow(), email=email, password=password)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Password changed for {user.email}.")


@users_cli.command("list")
@click.option("--shop", "shop_id", type=int)
def list_(shop_id: int | None) -> None:
    """List accounts."""
    rows = user_service.list_users(shop_id)
    if not rows:
        click.echo("No users.")
        return
    click.echo(f"{'id':>4}  {'shop':>4}  {'role':<16} {'active':<6}  email")
    for user in rows:
        click.echo(
            f"{user.id:>4}  {user.shop_id if user.shop_id is not None else '-':>4}  {user.role:<16} "
            f"{'yes' if user.is_active else 'no':<6}  {user.email}"
        )
