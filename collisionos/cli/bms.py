"""``flask bms import``: import CIECA BMS estimate files from disk, each on its own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from collisionos.extensions import db
from collisionos.models import Shop, User
from collisionos.models.base import utcnow
from collisionos.models.enums import Role
from collisionos.services import bms

bms_cli = AppGroup("bms", help="Import CIECA BMS estimate files.")

# Who is recorded as the importer when --user is not given, in this order.
DEFAULT_IMPORTER_ROLES = (Role.OWNER, Role.ADMIN, Role.MANAGER)
STATUS_LABELS = bms.STATUS_LABELS


@bms_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--shop", "shop_id", type=int, help="Shop id (needed when there is more than one shop).")
@click.option("--user", "email", help="Email of the staff member recorded as the importer (default: the owner).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per file, one per line, nothing else.")
def import_(paths: tuple[Path, ...], shop_id: int | None, email: str | None, as_json: bool) -> None:
    """Import BMS files, or every *.xml file of a directory; exit 1 when any file failed."""
    shop = _shop(shop_id)
    actor = _importer(shop, email)
    cap = current_app.config["BMS_MAX_BYTES"] + 1
    results = []
    for path in _expand(paths):
        result = _import_path(shop.id, path, actor=actor, cap=cap)
        results.append(result)
        click.echo(json.dumps(result.as_json()) if as_json else _line(result))
    if not as_json:
        click.echo(bms.batch_summary(results))
    if any(result.status == bms.FAILED for result in results):
        raise click.exceptions.Exit(1)


def _import_path(shop_id: int, path: Path, *, actor: User, cap: int) -> bms.ImportResult:
    """Import one file; a path that cannot be read is a failed result, not a crash."""
    if path.is_dir():
        return _failed(path, "a folder without readable .xml files")
    try:
        with path.open("rb") as handle:
            # One byte over the limit is enough for the service to say "too large".
            data = handle.read(cap)
    except OSError as error:
        return _failed(path, f"cannot be read ({error.strerror or error})")
    return bms.import_bms_file(shop_id, path.name, data, actor=actor, now=utcnow())


def _failed(path: Path, reason: str) -> bms.ImportResult:
    return bms.ImportResult(file=str(path), status=bms.FAILED, message=f"{path}: {reason}.")


def _shop(shop_id: int | None) -> Shop:
    if shop_id is not None:
        shop = db.session.get(Shop, shop_id)
        if shop is None:
            raise click.UsageError(f"There is no shop with id {shop_id}.")
        return shop
    shops = db.session.scalars(sa.select(Shop).order_by(Shop.id).limit(2)).all()
    if not shops:
        raise click.ClickException("There is no shop yet: run `flask seed defaults` first.")
    if len(shops) > 1:
        raise click.UsageError("There is more than one shop: choose one with --shop ID.")
    return shops[0]


def _importer(shop: Shop, email: str | None) -> User:
    """The user the import is recorded under: --user's, else the shop's first active owner, admin or manager."""
    if email:
        user = db.session.scalar(
            sa.select(User).where(sa.func.lower(User.email) == email.strip().lower(), User.shop_id == shop.id)
        )
        if user is None:
            raise click.UsageError(f"No user {email} in shop {shop.id}.")
        return user
    for role in DEFAULT_IMPORTER_ROLES:
        user = db.session.scalar(
            sa.select(User)
            .where(User.shop_id == shop.id, User.role == role, User.is_active.is_(True))
            .order_by(User.id)
            .limit(1)
        )
        if user is not None:
            return user
    raise click.ClickException(
        f"Shop {shop.id} has no active owner, admin or manager to record as the importer: use --user EMAIL."
    )


def _expand(paths: tuple[Path, ...]) -> Iterator[Path]:
    """Each path as given, or a directory's *.xml files in name order (an empty directory as itself)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        try:
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xml" and p.is_file())
        except OSError:
            found = []
        yield from found or [path]


def _line(result: bms.ImportResult) -> str:
    # The service's messages already start with the file name: say it once.
    reason = result.message.removeprefix(f"{result.file}: ")
    if result.status == bms.FAILED:
        return f"{result.file}: failed: {reason}"
    line = (
        f"{result.file}: {STATUS_LABELS[result.status]} {result.repair_order}, {result.lines} lines, "
        f"gross {_amount(result.gross_total)}, net {_amount(result.net_total)}"
    )
    return f"{line} ({reason})" if result.status == bms.NEEDS_REVIEW else line


def _amount(value: object) -> str:
    return "-" if value is None else f"{value:.2f}"
