"""Job tables for the scheduler tests (``SCHEDULER_JOB_TABLE`` points here) and helpers for real processes."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from collisionos.extensions import db
from collisionos.jobs.table import DailyAt, Every, Hourly, JobSpec
from collisionos.jobs.tasks import PartlyFailed
from collisionos.models import SchedulerRun, Shop

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def tick(now: datetime) -> dict[str, int]:
    return {"ticks": 1}


def fail(now: datetime) -> dict[str, int]:
    raise RuntimeError("the label printer is on fire")


def partly_fail(now: datetime) -> dict[str, int]:
    raise PartlyFailed("shop 2: ValueError: no zone", {"shops": 1, "held": 3})


def write_then_fail(now: datetime) -> dict[str, int]:
    """Leaves a change in the session and fails: the change must not be committed with the run's record."""
    db.session.add(Shop(name="Written by a failing job"))
    db.session.flush()
    raise RuntimeError("failed after writing")


def acting_user(now: datetime) -> dict[str, Any]:
    from collisionos.services.audit import current_actor

    return {"actor": current_actor().user_label, "now": now.isoformat()}


# Every job far apart in time: a test runs them when it wants, never by waiting for the clock.
HOURLY = (
    JobSpec("tick", tick, Every(hours=1), "Count a tick."),
    JobSpec("fail", fail, Every(hours=1), "Always fails."),
    JobSpec("partly_fail", partly_fail, Hourly(minute=30), "Fails for one shop."),
    JobSpec("write_then_fail", write_then_fail, DailyAt(hour=4), "Writes, then fails."),
    JobSpec("acting_user", acting_user, DailyAt(hour=5, minute=30), "Reports who it acts as."),
)

# One job every second, for the real-process tests (gunicorn workers, ``flask scheduler run``).
EVERY_SECOND = (JobSpec("tick", tick, Every(seconds=1), "Count a tick every second.", misfire_grace_seconds=1),)


def run_now_and_wait(scheduler: Any, job_id: str, timeout: float = 10.0) -> None:
    """Make a started scheduler run ``job_id`` now and wait until that run (and its record) is done."""
    done = threading.Event()

    def listener(event: Any) -> None:
        if event.job_id == job_id:
            done.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        scheduler.modify_job(job_id, next_run_time=datetime.now(UTC))
        assert done.wait(timeout), f"job {job_id} did not run within {timeout} s"
    finally:
        scheduler.remove_listener(listener)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def migrated_sqlite_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app on a new SQLite database under ``tmp_path``, migrated; its instance folder is ``tmp_path/instance``."""
    from flask_migrate import upgrade

    from collisionos import create_app

    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    url = f"sqlite:///{tmp_path / 'scheduler.db'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key",
            "SCHEDULER_ENABLED": False,
            "INSTANCE_FOLDER": str(instance),
            "SCHEDULER_JOB_TABLE": "tests.jobs.jobs_for_tests:EVERY_SECOND",
        }
    )
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def server_environment(
    url: str, instance: Path | str, table: str = "tests.jobs.jobs_for_tests:EVERY_SECOND", **extra: str
) -> dict[str, str]:
    """The environment of a real process serving the database at ``url`` with the scheduler on."""
    env = {k: v for k, v in os.environ.items() if k not in {"FLASK_RUN_FROM_CLI", "WERKZEUG_RUN_MAIN", "FLASK_DEBUG"}}
    env.update(
        DATABASE_URL=url,
        COLLISIONOS_INSTANCE=str(instance),
        SECRET_KEY="test-secret-key",
        SCHEDULER_ENABLED="1",
        SCHEDULER_JOB_TABLE=table,
        SCHEDULER_TIMEZONE="UTC",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])),
        **extra,
    )
    return env


def recorded_runs(url: str, job_id: str = "tick") -> list[dict[str, Any]]:
    """The runs of ``job_id`` in the database at ``url``, oldest first (read with a throwaway engine)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            table = SchedulerRun.__table__
            rows = connection.execute(
                sa.select(table.c.started_at, table.c.finished_at, table.c.outcome, table.c.runner, table.c.counts)
                .where(table.c.job_id == job_id)
                .order_by(table.c.started_at)
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_pids(pid: int) -> set[int]:
    """The direct children of a process (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


PYTHON = sys.executable
