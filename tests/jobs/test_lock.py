"""The single-runner lock admits one holder across processes, and the next one once the holder is gone."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from collisionos.jobs.lock import AdvisoryLock, FileLock, lock_for, runner_label
from tests.jobs.jobs_for_tests import PROJECT_ROOT, wait_for

HOLD = """
import sys
from collisionos.jobs.lock import AdvisoryLock, FileLock
kind, where = sys.argv[1], sys.argv[2]
lock = FileLock(where) if kind == "file" else AdvisoryLock(where, int(sys.argv[3]))
print("held" if lock.acquire() else "refused", flush=True)
sys.stdin.read()  # hold the lock until the test closes stdin or kills this process
"""


@pytest.fixture
def hold_in_another_process() -> Iterator:
    children: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-c", HOLD, *args],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        children.append(child)
        assert child.stdout.readline().strip() == "held"
        return child

    yield start
    for child in children:
        child.kill()
        child.wait(timeout=10)


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("the PostgreSQL advisory lock needs TEST_DATABASE_URL=postgresql+psycopg://...")
    return url


# --- file lock (SQLite) -------------------------------------------------------------------------------------
def test_the_file_lock_admits_one_holder_and_the_next_once_the_holder_exits(tmp_path, hold_in_another_process) -> None:
    path = tmp_path / "scheduler.lock"
    holder = hold_in_another_process("file", str(path))
    lock = FileLock(path)

    assert lock.acquire() is False
    assert lock.holder() == f"{runner_label().rpartition(':')[0]}:{holder.pid}"

    holder.kill()
    holder.wait(timeout=10)

    assert lock.acquire() is True
    assert lock.holder() == runner_label()
    lock.release()
    assert lock.holder() is None


def test_the_file_lock_refuses_a_second_holder_in_the_same_process_too(tmp_path) -> None:
    first, second = FileLock(tmp_path / "scheduler.lock"), FileLock(tmp_path / "scheduler.lock")

    assert first.acquire() and first.acquire()  # taking it again is a no-op
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


def test_sqlite_uses_a_file_lock_in_the_instance_folder_and_postgresql_an_advisory_lock(tmp_path) -> None:
    file_lock = lock_for(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "instance")
    assert isinstance(file_lock, FileLock) and file_lock.path == tmp_path / "instance" / "scheduler.lock"
    advisory = lock_for("postgresql+psycopg://user@127.0.0.1:1/none", tmp_path)
    assert isinstance(advisory, AdvisoryLock)
    advisory.dispose()


# --- advisory lock (PostgreSQL) -------------------------------------------------------------------------------
@pytest.fixture
def advisory_key() -> int:
    return random.randint(1, 2**31)  # noqa: S311  (a key of this test only, not a secret)


@pytest.mark.postgres
def test_the_advisory_lock_admits_one_holder_and_the_next_once_the_holder_dies(
    hold_in_another_process, advisory_key
) -> None:
    url = _postgres_url()
    holder = hold_in_another_process("advisory", url, str(advisory_key))
    lock = AdvisoryLock(url, advisory_key)
    try:
        assert lock.acquire() is False
        assert lock.holder() == f"{runner_label().rpartition(':')[0]}:{holder.pid}"

        holder.kill()  # no clean-up: the server frees the lock when the connection drops
        holder.wait(timeout=10)

        wait_for(lock.acquire, timeout=10, what="the server to free the dead holder's lock")
        assert lock.still_held()
    finally:
        lock.dispose()


@pytest.mark.postgres
def test_the_advisory_lock_is_on_a_connection_of_its_own_and_noticed_when_lost(advisory_key) -> None:
    url = _postgres_url()
    lock = AdvisoryLock(url, advisory_key)
    other = AdvisoryLock(url, advisory_key)
    admin = sa.create_engine(url)
    try:
        assert lock.acquire() and lock.still_held()
        assert other.acquire() is False
        with admin.connect() as connection:
            idle_in_transaction = connection.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    "AND application_name LIKE 'collisionos-scheduler%'"
                )
            ).scalar()
            assert idle_in_transaction == 0  # the lock outlives its transaction; nothing is left open
            # The holder's connection is cut (a restart, a network failure): the lock is gone with it.
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' "
                    "AND l.objid::int8 = :key AND l.database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                ),
                {"key": advisory_key},
            )
        wait_for(lambda: not lock.still_held(), timeout=10, what="the lost lock to be noticed")
        assert not lock.held
        assert other.acquire() is True
    finally:
        lock.dispose()
        other.dispose()
        admin.dispose()
