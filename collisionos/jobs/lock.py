"""The single-runner lock: only the process holding it runs the scheduler (STACK_NOTES.md, APScheduler 3.x).

On PostgreSQL a session advisory lock held on a dedicated connection (the server frees it when the
holder's connection ends, so another process can take over); on SQLite an exclusive ``flock`` on a file
in the instance folder (the kernel frees it when the holder exits).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import zlib
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import NullPool

# One key per installation (advisory locks are per database): a fixed number, readable in pg_locks.
ADVISORY_LOCK_KEY = zlib.crc32(b"collisionos.scheduler")
LOCK_FILE_NAME = "scheduler.lock"


def runner_label() -> str:
    """Name this process as ``host:pid`` (recorded on every run, shown by ``flask scheduler status``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class RunnerLock(Protocol):
    held: bool

    def acquire(self) -> bool:
        """Take the lock without waiting; True when this process holds it now."""

    def still_held(self) -> bool:
        """Check that the lock was not lost since it was taken."""

    def release(self) -> None:
        """Give the lock up (a no-op when not held)."""

    def holder(self) -> str | None:
        """Who holds the lock now, as far as can be told (None when nobody does)."""

    def describe(self) -> str:
        """Say what kind of lock this is and where it lives."""

    def dispose(self) -> None:
        """Release the lock and close what it holds open."""


class FileLock:
    """An exclusive ``flock`` on a file: one holder per host (SQLite databases live on one host)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by child processes (PEP 446)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{runner_label()}\n".encode())
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def holder(self) -> str | None:
        if self._fd is not None:
            return runner_label()
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return self.path.read_text().strip() or "another process"
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None  # the file names the last holder, but nobody holds it now
        finally:
            os.close(fd)

    def describe(self) -> str:
        return f"file lock {self.path}"

    def dispose(self) -> None:
        self.release()


class AdvisoryLock:
    """``pg_try_advisory_lock`` held on a dedicated connection kept open for the life of the process."""

    def __init__(self, url: str, key: int = ADVISORY_LOCK_KEY) -> None:
        self.key = key
        # NullPool: the connection is ours alone, and closing it really ends the session (and frees the lock).
        # Keepalives: if the holder's host vanishes, the server notices and frees the lock for another process.
        self._engine = sa.create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "application_name": f"collisionos-scheduler {runner_label()}"[:63],
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
            },
        )
        self._connection: Connection | None = None
        self._mutex = threading.RLock()  # jobs check the lock from several threads; a connection is not shared

    @property
    def held(self) -> bool:
        return self._connection is not None

    def acquire(self) -> bool:
        with self._mutex:
            return self._acquire()

    def _acquire(self) -> bool:
        if self._connection is not None:
            return True
        connection = self._engine.connect()
        try:
            got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            connection.commit()  # a session lock outlives the transaction; no idle transaction is left open
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()  # waiting processes keep no connection open
            return False
        self._connection = connection
        return True

    def still_held(self) -> bool:
        """A session advisory lock lasts as long as its session: held while the connection answers."""
        with self._mutex:
            if self._connection is None:
                return False
            try:
                self._connection.execute(sa.text("SELECT 1"))
                self._connection.commit()
            except Exception:  # noqa: BLE001  (a dead connection means a lost lock, whatever the error)
                self._drop()
                return False
            return True

    def release(self) -> None:
        with self._mutex:
            if self._connection is None:
                return
            with contextlib.suppress(Exception):  # closing the connection frees the lock anyway
                self._connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # already broken
                connection.close()

    def holder(self) -> str | None:
        if self._connection is not None:
            return runner_label()
        # A bigint key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits), objsubid 1.
        query = sa.text(
            "SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid::int8 = :high AND l.objid::int8 = :low"
        )
        halves = {"high": (self.key >> 32) & 0xFFFFFFFF, "low": self.key & 0xFFFFFFFF}
        with self._engine.connect() as connection:
            row = connection.execute(query, halves).first()
        if row is None:
            return None
        name = (row.application_name or "").removeprefix("collisionos-scheduler ").strip()
        return name or f"PostgreSQL backend {row.pid} from {row.client_addr or 'a local socket'}"

    def describe(self) -> str:
        return f"PostgreSQL advisory lock {self.key}"

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


def lock_for(database_uri: str, instance_folder: str | Path) -> FileLock | AdvisoryLock:
    """The lock that fits the database: advisory on PostgreSQL, a file in the instance folder otherwise."""
    if make_url(database_uri).get_backend_name() == "postgresql":
        return AdvisoryLock(database_uri)
    return FileLock(Path(instance_folder) / LOCK_FILE_NAME)
