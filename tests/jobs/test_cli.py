"""``flask scheduler status | run-once JOB | run``."""

from __future__ import annotations

import signal
import socket
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from collisionos.extensions import db
from collisionos.jobs.lock import lock_for, runner_label
from collisionos.jobs.runs import RUN_ONCE_SUFFIX
from collisionos.models import SchedulerRun
from tests.jobs.jobs_for_tests import (
    PROJECT_ROOT,
    PYTHON,
    migrated_sqlite_app,
    recorded_runs,
    server_environment,
    wait_for,
)

NOW = datetime(2026, 3, 2, 10, 20, 0, tzinfo=UTC)


@pytest.fixture
def runner(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "SCHEDULER_JOB_TABLE", "tests.jobs.jobs_for_tests:HOURLY")
    monkeypatch.setitem(app.config, "SCHEDULER_TIMEZONE", "UTC")
    return app.test_cli_runner()


def _runs(app) -> list[SchedulerRun]:  # type: ignore[no-untyped-def]
    with app.app_context():
        rows = db.session.scalars(sa.select(SchedulerRun).order_by(SchedulerRun.id)).all()
        db.session.expunge_all()
        return rows


def _add_run(app, **values) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(SchedulerRun(**values))
        db.session.commit()


def _section(output: str, job_id: str) -> str:
    """The lines ``status`` prints for one job."""
    blocks = output.split("\n\n")
    return next(block for block in blocks if block.startswith(f"{job_id}  "))


# --- status -----------------------------------------------------------------------------------------------
def test_status_lists_every_job_with_its_trigger_last_run_and_next_run(app, runner) -> None:
    _add_run(
        app,
        job_id="tick",
        started_at=NOW - timedelta(minutes=20),
        finished_at=NOW - timedelta(minutes=20) + timedelta(seconds=2),
        outcome="success",
        counts={"ticks": 1},
        runner="web1:100",
    )
    _add_run(
        app,
        job_id="fail",
        started_at=NOW - timedelta(minutes=5),
        finished_at=NOW - timedelta(minutes=5),
        outcome="failed",
        counts={},
        error="RuntimeError: the label printer is on fire\n\nTraceback ...",
        runner="web1:100",
    )

    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["scheduler", "status"])

    assert result.exit_code == 0, result.output
    assert "Scheduler: not running" in result.output
    tick = _section(result.output, "tick")
    assert "(every 1 h)" in tick
    assert "last run: success, started 2026-03-02 10:00:00 UTC, ended 2026-03-02 10:00:02 UTC (2.0 s)" in tick
    assert "by web1:100; ticks=1" in tick
    assert "next run: 2026-03-02 11:00:00 UTC" in tick
    fail = _section(result.output, "fail")
    assert "last run: failed" in fail and "error: RuntimeError: the label printer is on fire" in fail
    assert "Traceback" not in fail
    partly = _section(result.output, "partly_fail")
    assert "(hourly at :30)" in partly and "last run: never" in partly
    assert "next run: 2026-03-02 10:30:00 UTC" in partly
    assert "next run: 2026-03-03 04:00:00 UTC" in _section(result.output, "write_then_fail")
    headers = [line.split("  ")[0] for line in result.output.splitlines()[1:] if line and not line.startswith(" ")]
    assert headers == ["tick", "fail", "partly_fail", "write_then_fail", "acting_user"]


def test_status_names_the_process_that_holds_the_lock(app, runner) -> None:
    lock = lock_for(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    assert lock.acquire()
    try:
        result = runner.invoke(args=["scheduler", "status"])
    finally:
        lock.dispose()

    assert result.exit_code == 0, result.output
    assert f"Scheduler: running in {runner_label()} ({lock.describe()})." in result.output


# --- run-once ---------------------------------------------------------------------------------------------
def test_run_once_runs_the_job_now_and_records_the_run(app, runner) -> None:
    result = runner.invoke(args=["scheduler", "run-once", "tick"])

    assert result.exit_code == 0, result.output
    [run] = _runs(app)
    assert (run.job_id, run.outcome, run.counts) == ("tick", "success", {"ticks": 1})
    assert run.runner.endswith(RUN_ONCE_SUFFIX)
    assert f"tick: success in 0.0 s, run #{run.id}; ticks=1." in result.output


def test_run_once_of_a_failing_job_records_it_and_exits_1_with_the_error(app, runner) -> None:
    result = runner.invoke(args=["scheduler", "run-once", "fail"])

    assert result.exit_code == 1
    assert "Error: RuntimeError: the label printer is on fire" in result.output
    [run] = _runs(app)
    assert run.outcome == "failed" and run.error.startswith("RuntimeError: the label printer is on fire")


def test_run_once_of_an_unknown_job_says_so_and_exits_2(app, runner) -> None:
    result = runner.invoke(args=["scheduler", "run-once", "tock"])

    assert result.exit_code == 2
    assert "Unknown job 'tock'. Jobs: tick, fail, partly_fail, write_then_fail, acting_user." in result.output
    assert _runs(app) == []


def test_the_real_job_table_is_what_status_shows_by_default(app) -> None:
    result = app.test_cli_runner().invoke(args=["scheduler", "status"])

    assert result.exit_code == 0, result.output
    for job_id in ("dispatch_messages", "sla_monitor", "daily_digest", "nightly_rollups", "hold_todays_pickups"):
        assert f"\n{job_id}  (" in result.output


# --- run (a real process) ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_scheduler_run_runs_the_jobs_in_the_foreground_and_stops_cleanly_on_sigterm(tmp_path) -> None:
    app = migrated_sqlite_app(tmp_path)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    process = subprocess.Popen(
        [PYTHON, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
        cwd=PROJECT_ROOT,
        env=server_environment(
            url, app.instance_path
        ),  # SCHEDULER_ENABLED=1 too: the command must not start a second one
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        assert first_line.startswith(f"Scheduler running in {_host()}:{process.pid} "), first_line
        wait_for(lambda: len(recorded_runs(url)) >= 2, timeout=30, what="two ticks")
        status = app.test_cli_runner().invoke(args=["scheduler", "status"])
        assert f"Scheduler: running in {_host()}:{process.pid}" in status.output
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)

    assert process.returncode == 0, output
    assert output.strip().endswith("Scheduler stopped.")
    assert "Traceback" not in output and "raised an exception" not in output
    runs = recorded_runs(url)
    assert {run["runner"] for run in runs} == {f"{_host()}:{process.pid}"}
    assert {run["outcome"] for run in runs} == {"success"}  # a tick under way at SIGTERM finished and was recorded


def _host() -> str:
    return socket.gethostname()
