"""The issue's test: with gunicorn at 3 workers, a job scheduled every second runs once per tick.

On SQLite (a file lock) always; on PostgreSQL (the advisory lock) too when TEST_DATABASE_URL points at one.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from tests.jobs.jobs_for_tests import (
    PROJECT_ROOT,
    PYTHON,
    child_pids,
    free_port,
    migrated_sqlite_app,
    recorded_runs,
    server_environment,
    wait_for,
)

TICKS = 5
# Each worker builds the whole app (~3 s of CPU); three at once on a busy machine can take far longer.
BOOT_SECONDS = 45


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The URL of a migrated database: a new SQLite file, or the suite's PostgreSQL database (emptied after)."""
    if request.param == "sqlite":
        return migrated_sqlite_app(tmp_path).config["SQLALCHEMY_DATABASE_URI"]
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("the advisory-lock variant needs TEST_DATABASE_URL=postgresql+psycopg://...")
    return request.getfixturevalue("app").config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture
def gunicorn(database, tmp_path) -> Iterator:  # type: ignore[no-untyped-def]
    """Start ``gunicorn -w 3 wsgi:app`` on the database with the scheduler on; yields (process, stop)."""
    env = server_environment(database, tmp_path / "instance", SCHEDULER_LOCK_RETRY_SECONDS="1")
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "--workers", "3", "--bind", f"127.0.0.1:{free_port()}", "--no-control-socket"]
        + ["wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []

    def stop() -> str:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            output.append(server.communicate(timeout=15)[0])
        return "".join(output)

    try:
        yield server, stop
    finally:
        stop()


def _one_per_tick(runs: list[dict]) -> None:
    seconds = [run["started_at"].replace(microsecond=0) for run in runs]
    assert len(seconds) == len(set(seconds)), f"two runs in one tick: {seconds}"


@pytest.mark.slow
def test_gunicorn_with_three_workers_runs_a_one_second_job_once_per_tick(database, gunicorn) -> None:
    url = database
    server, stop = gunicorn
    try:
        workers = wait_for(lambda: len(child_pids(server.pid)) == 3 and child_pids(server.pid), 15, "3 workers")
        wait_for(lambda: recorded_runs(url), BOOT_SECONDS, "the first tick", 0.2)
        runs = wait_for(lambda: len(recorded_runs(url)) >= TICKS and recorded_runs(url), 15, f"{TICKS} ticks", 0.2)
        assert child_pids(server.pid) == workers  # every worker stayed up the whole time
    except AssertionError as error:
        raise AssertionError(f"{error}\ngunicorn said:\n{stop()}") from error
    output = stop()

    assert "Traceback" not in output and "raised an exception" not in output, output
    _one_per_tick(runs)
    runners = {run["runner"] for run in runs}
    assert len(runners) == 1, runners
    [runner] = runners
    assert int(runner.rpartition(":")[2]) in workers  # a worker, not the master
    assert all(run["outcome"] == "success" and run["counts"] == {"ticks": 1} for run in runs)
    assert [run for run in recorded_runs(url) if run["outcome"] != "success"] == []  # none cut off by the stop


@pytest.mark.slow
def test_when_the_worker_running_the_scheduler_dies_another_takes_over(database, gunicorn) -> None:
    url = database
    server, stop = gunicorn
    try:
        first = wait_for(lambda: recorded_runs(url), BOOT_SECONDS, "the first tick", 0.2)[0]["runner"]

        os.kill(int(first.rpartition(":")[2]), signal.SIGKILL)  # no clean-up at all: the lock is freed by the OS

        runs = wait_for(
            lambda: len({run["runner"] for run in recorded_runs(url)}) > 1 and recorded_runs(url), 20, "a takeover", 0.2
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\ngunicorn said:\n{stop()}") from error
    output = stop()
    _one_per_tick(runs)
    assert len({run["runner"] for run in runs}) == 2, output
    # A tick the killed worker had under way was closed as failed by the worker that took over.
    assert [run for run in runs if run["runner"] == first and run["outcome"] == "running"] == []
