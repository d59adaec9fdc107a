"""``flask scheduler``: run the scheduled jobs in the foreground, see how they ran, run one now."""

from __future__ import annotations

import signal
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import AppGroup

scheduler_cli = AppGroup("scheduler", help="Run the scheduled jobs and see how they ran.")


def _stop_on_sigterm(_signum: int, _frame: Any) -> None:
    sys.exit(0)  # unwinds through the scheduler: a running job finishes and is recorded, the lock is released


@scheduler_cli.command("run")
def run() -> None:
    """Run the scheduler in the foreground (waits while another process holds the lock)."""
    from collisionos.jobs.runner import SchedulerRunner

    runner = SchedulerRunner(current_app._get_current_object())  # the real app: jobs run in other threads
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        runner.run_forever(echo=click.echo)
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        signal.signal(signal.SIGTERM, previous)
        click.echo("Scheduler stopped.")


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return "-" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def _counts(counts: dict | None) -> str:
    return ", ".join(f"{name}={value}" for name, value in (counts or {}).items()) or "no counts"


@scheduler_cli.command("status")
def status() -> None:
    """Every job of the table: when it runs, its last run (start, end, outcome, counts, error) and its next run."""
    from collisionos.jobs.lock import lock_for
    from collisionos.jobs.runner import load_table
    from collisionos.jobs.runs import last_runs
    from collisionos.models.base import utcnow

    zone = ZoneInfo(current_app.config.get("SCHEDULER_TIMEZONE") or "UTC")
    lock = lock_for(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.instance_path)
    try:
        holder = lock.holder()
    finally:
        lock.dispose()
    if holder:
        click.echo(f"Scheduler: running in {holder} ({lock.describe()}).")
    else:
        click.echo(
            f"Scheduler: not running (nobody holds the {lock.describe()}). "
            "Start it with SCHEDULER_ENABLED=1 in the web server, or 'flask scheduler run'."
        )
    table = load_table(current_app)
    runs = last_runs(job.id for job in table)
    now = utcnow()
    for job in table:
        click.echo("")
        click.echo(f"{job.id}  ({job.trigger.describe()})  {job.description}")
        run = runs.get(job.id)
        if run is None:
            click.echo("  last run: never")
        else:
            took = f" ({(run.finished_at - run.started_at).total_seconds():.1f} s)" if run.finished_at else ""
            click.echo(
                f"  last run: {run.outcome}, started {_when(run.started_at, zone)}, "
                f"ended {_when(run.finished_at, zone)}{took}, by {run.runner or '-'}; {_counts(run.counts)}"
            )
            if run.error:
                click.echo(f"  error: {run.error.splitlines()[0]}")
        upcoming = job.trigger.next_after(run.started_at if run else None, now, zone)
        if upcoming is None:
            click.echo("  next run: one interval after the scheduler starts")
        else:
            due = " (due now)" if upcoming <= now else ""
            click.echo(f"  next run: {_when(upcoming, zone)}{due}")


@scheduler_cli.command("run-once")
@click.argument("job_id", metavar="JOB")
def run_once(job_id: str) -> None:
    """Run one job now in this process and record the run (takes no lock: jobs are safe to run twice)."""
    from collisionos.jobs.lock import runner_label
    from collisionos.jobs.runner import load_table
    from collisionos.jobs.runs import RUN_ONCE_SUFFIX, run_job
    from collisionos.jobs.table import find_job

    table = load_table(current_app)
    job = find_job(table, job_id)
    if job is None:
        raise click.UsageError(f"Unknown job {job_id!r}. Jobs: {', '.join(j.id for j in table)}.")
    result = run_job(current_app._get_current_object(), job, runner=runner_label() + RUN_ONCE_SUFFIX)
    took = (result.finished_at - result.started_at).total_seconds() if result.finished_at else 0.0
    line = f"{job.id}: {result.outcome} in {took:.1f} s, run #{result.run_id}; {_counts(result.counts)}."
    if result.outcome != "success":
        click.echo(line, err=True)
        click.echo(f"Error: {(result.error or 'unknown').splitlines()[0]}", err=True)
        raise SystemExit(1)
    click.echo(line)
