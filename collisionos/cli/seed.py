"""``flask seed``: defaults for a shop, a demo shop, and bulk data for benchmarks."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from collisionos.models.base import utcnow
from collisionos.services.maintenance import analyze_database
from collisionos.services.seed.bulk import seed_bulk
from collisionos.services.seed.defaults import seed_defaults
from collisionos.services.seed.demo import seed_demo

seed_cli = AppGroup("seed", help="Load default and demo data.")


@seed_cli.command("defaults")
@click.option("--shop", "shop_id", type=int, help="Shop id; default: the first shop, created if there is none.")
def defaults(shop_id: int | None) -> None:
    """Production stages, templates, hold reasons, SLA defaults and a first owner. Safe to run again."""
    try:
        report = seed_defaults(now=utcnow(), shop_id=shop_id)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    made = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report.created.items() if n) or "nothing new"
    click.echo(f"Shop #{report.shop.id} {report.shop.name}: {made}.")
    if report.owner_email:
        click.echo(f"Owner account: {report.owner_email}")
        if report.owner_password:
            click.echo(f"Owner password (shown once, change it after logging in): {report.owner_password}")


@seed_cli.command("demo")
def demo() -> None:
    """A believable demo shop (and a second one) with staff of every role. Safe to run again."""
    report = seed_demo(now=utcnow())
    if report.created:
        made = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report.counts.items())
        click.echo(f"Demo data created in {report.shop.name}: {made}.")
    else:
        click.echo(f"Demo data already present in {report.shop.name}.")
    click.echo(f"Demo logins (password for all: {report.password}):")
    for email, role, shop_name in report.logins:
        click.echo(f"  {email:<36} {role:<16} {shop_name}")


@seed_cli.command("analyze")
def analyze() -> None:
    """Refresh the database's query-planner statistics (run after large imports)."""
    analyze_database()
    click.echo("Statistics refreshed.")


@seed_cli.command("bulk")
@click.option("--repair-orders", "count", type=click.IntRange(1, 2_000_000), required=True)
@click.option("--shop", "shop_id", type=int, help="Shop id; default: the first shop.")
@click.option("--seed", "random_seed", type=int, default=7, show_default=True)
def bulk(count: int, shop_id: int | None, random_seed: int) -> None:
    """Insert N repair orders with customers, vehicles, claims, part lines, production rows and timeline."""
    started = time.perf_counter()
    with click.progressbar(length=count, label="Repair orders", show_pos=True, show_eta=True) as bar:
        try:
            totals = seed_bulk(count=count, shop_id=shop_id, now=utcnow(), seed=random_seed, progress=bar.update)
        except LookupError as error:
            raise click.ClickException(str(error)) from error
    elapsed = time.perf_counter() - started
    rows = sum(totals.values())
    click.echo(f"Inserted {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s):")
    for table, n in totals.items():
        click.echo(f"  {table:<28} {n:>10,}")
