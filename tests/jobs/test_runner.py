"""The runner: every run recorded, a failing job never stops the scheduler, one scheduler per lock."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

import click
import pytest
import sqlalchemy as sa
from flask import Flask

from collisionos import create_app
from collisionos.extensions import db
from collisionos.jobs.lock import FileLock, runner_label
from collisionos.jobs.runner import LOCK_WATCH_JOB, SchedulerRunner, start_refusal
from collisionos.jobs.runs import RUN_ONCE_SUFFIX, close_abandoned_runs, run_job
from collisionos.jobs.table import Every, JobSpec, find_job
from collisionos.models import SchedulerRun, Shop
from tests.jobs.jobs_for_tests import HOURLY, run_now_and_wait, wait_for


def _runs(app: Flask, job_id: str | None = None) -> list[SchedulerRun]:
    with app.app_context():
        query = sa.select(SchedulerRun).order_by(SchedulerRun.id)
        if job_id:
            query = query.where(SchedulerRun.job_id == job_id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


@pytest.fixture
def runner_factory(app, tmp_path):  # type: ignore[no-untyped-def]
    """Runners on a lock file of this test; every one is stopped at the end."""
    made: list[SchedulerRunner] = []

    def make(table=HOURLY, lock=None, retry_seconds=30.0):  # type: ignore[no-untyped-def]
        runner = SchedulerRunner(
            app, table=table, lock=lock or FileLock(tmp_path / "scheduler.lock"), retry_seconds=retry_seconds
        )
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.stop()


# --- one run --------------------------------------------------------------------------------------------
def test_a_successful_run_is_recorded_with_its_counts_runner_and_times(app) -> None:
    result = run_job(app, find_job(HOURLY, "tick"))

    [run] = _runs(app)
    assert (run.id, run.job_id, run.outcome, run.counts, run.error) == (
        result.run_id,
        "tick",
        "success",
        {"ticks": 1},
        None,
    )
    assert run.runner == f"{socket.gethostname()}:{os.getpid()}"
    assert run.started_at <= run.finished_at


def test_the_job_gets_now_and_acts_as_the_scheduler_in_the_audit_trail(app) -> None:
    run_job(app, find_job(HOURLY, "acting_user"))

    [run] = _runs(app)
    assert run.counts["actor"] == "scheduler:acting_user"
    assert datetime.fromisoformat(run.counts["now"]) == run.started_at


def test_the_run_is_committed_as_running_before_the_job_starts(app) -> None:
    seen = {}

    def look(now: datetime) -> dict[str, int]:
        with db.engine.connect() as other:  # another connection sees only committed rows
            seen["rows"] = other.execute(sa.select(SchedulerRun.outcome, SchedulerRun.started_at)).all()
        return {}

    run_job(app, JobSpec("look", look, Every(hours=1), "Look at the run from outside."))

    assert [outcome for outcome, _ in seen["rows"]] == ["running"]


def test_a_failing_job_is_recorded_as_failed_with_its_error_and_logged(app, caplog, monkeypatch) -> None:
    # Alembic's fileConfig (migrations/env.py) disables the loggers that existed when the test app migrated.
    monkeypatch.setattr(logging.getLogger("collisionos.jobs.runs"), "disabled", False)
    with caplog.at_level(logging.ERROR, logger="collisionos.jobs.runs"):
        result = run_job(app, find_job(HOURLY, "fail"))

    [run] = _runs(app)
    assert run.outcome == result.outcome == "failed"
    assert run.error.splitlines()[0] == "RuntimeError: the label printer is on fire"
    assert "Traceback" in run.error and "jobs_for_tests.py" in run.error
    assert run.finished_at is not None and run.counts == {}
    [record] = [r for r in caplog.records if r.exc_info]
    assert "fail" in record.getMessage() and record.exc_info[0] is RuntimeError


def test_a_partly_failed_job_keeps_the_counts_of_what_it_did(app) -> None:
    run_job(app, find_job(HOURLY, "partly_fail"))

    [run] = _runs(app)
    assert run.outcome == "failed"
    assert run.counts == {"shops": 1, "held": 3}
    assert run.error.startswith("PartlyFailed: shop 2: ValueError: no zone")


def test_what_a_failing_job_left_uncommitted_is_rolled_back_not_committed_with_the_run(app) -> None:
    run_job(app, find_job(HOURLY, "write_then_fail"))

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Shop)) == 0
    assert [run.outcome for run in _runs(app)] == ["failed"]


def test_counts_are_stored_as_json_whatever_the_job_returns(app) -> None:
    def odd(now: datetime):  # type: ignore[no-untyped-def]
        return {"sent": 2, "ok": True, "when": now}

    run_job(app, JobSpec("odd", odd, Every(hours=1), "Odd counts."))
    run_job(app, JobSpec("bare", lambda now: 5, Every(hours=1), "A bare number."))

    odd_run, bare_run = _runs(app)
    assert odd_run.counts["sent"] == 2 and odd_run.counts["ok"] == 1 and isinstance(odd_run.counts["when"], str)
    assert bare_run.counts == {"count": 5}


# --- the scheduler ----------------------------------------------------------------------------------------
def test_every_job_gets_coalesce_one_instance_and_its_misfire_grace(runner_factory) -> None:
    scheduler = runner_factory().build()
    jobs = {job.id: job for job in scheduler.get_jobs()}

    assert set(jobs) == {spec.id for spec in HOURLY} | {LOCK_WATCH_JOB}
    for spec in HOURLY:
        job = jobs[spec.id]
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, spec.misfire_grace_seconds)


def test_a_failing_job_never_stops_the_scheduler_and_runs_again_next_time(app, runner_factory) -> None:
    runner = runner_factory()
    assert runner.try_start()

    run_now_and_wait(runner.scheduler, "fail")
    run_now_and_wait(runner.scheduler, "fail")
    run_now_and_wait(runner.scheduler, "tick")

    assert runner.scheduler.running
    assert [(run.job_id, run.outcome) for run in _runs(app)] == [
        ("fail", "failed"),
        ("fail", "failed"),
        ("tick", "success"),
    ]
    assert runner.scheduler.get_job("fail").next_run_time > datetime.now(UTC)  # still scheduled


def test_only_the_lock_holder_starts_a_scheduler_and_another_takes_over_when_it_stops(runner_factory) -> None:
    first, second = runner_factory(retry_seconds=0.05), runner_factory(retry_seconds=0.05)

    assert first.start_background() is True
    assert second.start_background() is False
    assert first.running and not second.running

    first.stop()

    wait_for(lambda: second.running, timeout=10, what="the second runner to take over")
    assert not first.running


def test_taking_the_lock_closes_the_runs_a_stopped_scheduler_left_running(app, runner_factory) -> None:
    with app.app_context():
        db.session.add(SchedulerRun(job_id="tick", started_at=datetime.now(UTC), outcome="running", runner="old:1"))
        db.session.commit()

    assert runner_factory().try_start()

    [run] = _runs(app)
    assert run.outcome == "failed" and run.finished_at is not None
    assert run.error == "Abandoned: old:1 stopped before the run finished."


def test_only_abandoned_runs_are_closed(app) -> None:
    me = runner_label()
    host = socket.gethostname()
    dead_pid = _dead_pid()
    labels = {
        "other scheduler": "elsewhere:42",
        "dead run-once here": f"{host}:{dead_pid}{RUN_ONCE_SUFFIX}",
        "live run-once here": f"{host}:{os.getpid()}{RUN_ONCE_SUFFIX}",
        "run-once on another host": f"elsewhere:{dead_pid}{RUN_ONCE_SUFFIX}",
        "this scheduler": me,
    }
    now = datetime.now(UTC)
    with app.app_context():
        for label in labels.values():
            db.session.add(SchedulerRun(job_id="tick", started_at=now, outcome="running", runner=label))
        db.session.commit()
        assert close_abandoned_runs(now=now + timedelta(seconds=1), runner=me) == 2

    outcomes = {run.runner: run.outcome for run in _runs(app)}
    assert {name: outcomes[label] for name, label in labels.items()} == {
        "other scheduler": "failed",
        "dead run-once here": "failed",
        "live run-once here": "running",
        "run-once on another host": "running",
        "this scheduler": "running",
    }


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


class LosingLock:
    """A lock that can be taken and is then lost (a PostgreSQL connection dropping)."""

    held = False

    def acquire(self) -> bool:
        self.held = True
        return True

    def still_held(self) -> bool:
        return False

    def release(self) -> None:
        self.held = False

    def holder(self) -> str | None:
        return None

    def describe(self) -> str:
        return "a lock that gets lost"

    def dispose(self) -> None:
        self.release()


def test_a_scheduler_that_loses_its_lock_stops(runner_factory) -> None:
    lock = LosingLock()
    runner = runner_factory(lock=lock)
    assert runner.try_start()
    scheduler = runner.scheduler

    assert runner._watch_lock() is False  # what the lock-watch job does every retry interval

    assert not runner.running and not scheduler.running and not lock.held


def test_a_job_due_after_the_lock_was_lost_does_not_run(app, runner_factory) -> None:
    runner = runner_factory(lock=LosingLock())
    assert runner.try_start()

    runner._run_if_held(find_job(HOURLY, "tick"))  # what the scheduler calls for each due job

    assert _runs(app) == []
    assert not runner.running


class BrokenTrigger(Every):
    def build(self, zone):  # type: ignore[no-untyped-def]
        raise ValueError("no such time")


def test_a_scheduler_that_cannot_start_releases_the_lock_and_the_app_keeps_serving(runner_factory) -> None:
    runner = runner_factory(table=(JobSpec("broken", HOURLY[0].run, BrokenTrigger(hours=1), "Cannot be built."),))

    assert runner.try_start() is False

    assert not runner.running and not runner.lock.held


def test_scheduler_run_waits_for_the_lock_then_runs_in_the_foreground_until_stopped(tmp_path, runner_factory) -> None:
    holder = FileLock(tmp_path / "scheduler.lock")
    assert holder.acquire()
    runner = runner_factory(retry_seconds=0.05)
    said: list[str] = []
    thread = threading.Thread(target=runner.run_forever, kwargs={"echo": said.append}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(line.startswith("Waiting:") for line in said), timeout=10, what="the waiting message")
        assert not runner.running
        holder.release()
        wait_for(lambda: runner.running, timeout=10, what="the foreground scheduler to start")
        assert any(line.startswith("Scheduler running in") for line in said)
        run_now_and_wait(runner.scheduler, "tick")
    finally:
        runner.stop()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert not runner.lock.held


# --- when the web process starts one ----------------------------------------------------------------------
def _flask(**config) -> Flask:  # type: ignore[no-untyped-def]
    app = Flask("decide")
    app.config.update({"SCHEDULER_ENABLED": True, **config})
    return app


def _run_context(reload: bool | None) -> click.Context:
    command = click.Command("run")
    context = click.Context(command, info_name="run")
    context.params = {"reload": reload}
    return context


def test_the_web_process_starts_it_only_when_enabled_serving_and_not_under_test(monkeypatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    gunicorn = {}
    db_command = click.Context(click.Command("db"), info_name="db")

    assert start_refusal(_flask(), gunicorn) is None
    assert start_refusal(_flask(), {}, _run_context(reload=False)) is None
    assert "SCHEDULER_ENABLED is off" in start_refusal(_flask(SCHEDULER_ENABLED=False), gunicorn)
    assert "TESTING" in start_refusal(_flask(TESTING=True), gunicorn)
    assert "is a command" in start_refusal(_flask(), {}, db_command)
    assert "flask command" in start_refusal(_flask(), {"FLASK_RUN_FROM_CLI": "true"})


def test_under_the_debug_reloader_only_the_serving_child_starts_it(monkeypatch) -> None:
    monkeypatch.setenv("FLASK_DEBUG", "1")  # `flask --debug run`: the reloader is on unless --no-reload

    assert "reloader" in start_refusal(_flask(), {}, _run_context(reload=None))
    assert "reloader" in start_refusal(_flask(), {}, _run_context(reload=True))
    assert start_refusal(_flask(), {"WERKZEUG_RUN_MAIN": "true"}, _run_context(reload=None)) is None
    assert start_refusal(_flask(), {}, _run_context(reload=False)) is None


def test_the_test_suites_app_runs_no_scheduler(app) -> None:
    assert "scheduler" not in app.extensions


def test_create_app_starts_the_scheduler_when_enabled_and_the_lock_is_free(app, database_url, tmp_path) -> None:
    instance = tmp_path / "instance"
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_FOLDER": str(instance),
        "SCHEDULER_ENABLED": True,
        "SCHEDULER_JOB_TABLE": "tests.jobs.jobs_for_tests:HOURLY",
    }
    first = create_app(config)
    second = create_app(config)
    try:
        assert first.extensions["scheduler"].running
        assert not second.extensions["scheduler"].running  # same lock file: one holder
        if database_url.startswith("postgresql"):
            assert "advisory" in first.extensions["scheduler"].lock.describe()
        else:
            assert (instance / "scheduler.lock").read_text().strip() == runner_label()
    finally:
        second.extensions["scheduler"].stop()
        first.extensions["scheduler"].stop()
    assert "scheduler" not in create_app({**config, "TESTING": True}).extensions
