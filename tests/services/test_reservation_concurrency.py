"""Twenty people booking one loaner for overlapping days at the same moment: exactly one gets it.

SQLite: 20 threads, each with its own app context (own session and connection) on the file database.
PostgreSQL: 20 processes (spawned, each its own app and engine) against ``TEST_DATABASE_URL``.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from collisionos.domain.errors import DomainError
from collisionos.extensions import db
from collisionos.models import LoanerReservation, User
from collisionos.services import loaners as svc

CLIENTS = 20
NOW = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)  # as in test_loaners.py (not imported: spawned clients stay light)


def _window(i: int) -> tuple[Any, Any]:
    """Everyone wants the car over the same days, each a few minutes apart: every pair overlaps."""
    start = NOW + timedelta(days=1, minutes=5 * i)
    return start, start + timedelta(days=3)


def _reserve(ids: dict[str, int], i: int) -> tuple[str, str]:
    """One client's attempt, in the current app context: ("ok", number), ("refused", why) or ("error", what)."""
    try:
        actor = db.session.get(User, ids["user"])
        start, end = _window(i)
        reservation = svc.reserve_loaner(
            ids["shop"],
            loaner_vehicle_id=ids["vehicle"],
            repair_order_id=ids["ro"],
            driver_name=f"Driver {i}",
            start=start,
            end=end,
            actor=actor,
            now=NOW,
        )
        return "ok", reservation.reservation_number
    except DomainError as error:
        return "refused", str(error)
    except Exception as error:  # noqa: BLE001  (any other failure is what this test is looking for)
        return "error", repr(error)
    finally:
        db.session.remove()


def _fleet_ids(app: Flask) -> dict[str, int]:
    from tests.services.test_loaners import build_fleet

    with app.app_context():
        fleet = build_fleet()
        ids = {"shop": fleet.shop.id, "user": fleet.user.id, "vehicle": fleet.vehicle.id, "ro": fleet.ro.id}
        db.session.remove()
    return ids


def _assert_exactly_one(app: Flask, results: list[tuple[str, str]], vehicle_id: int) -> None:
    outcomes = sorted(kind for kind, _ in results)
    assert [r for r in results if r[0] == "error"] == []
    assert outcomes == ["ok"] + ["refused"] * (CLIENTS - 1)
    [number] = [value for kind, value in results if kind == "ok"]
    assert all(f"it is booked by {number}" in why for kind, why in results if kind == "refused")
    with app.app_context():
        stored = db.session.scalars(
            sa.select(LoanerReservation.reservation_number).where(LoanerReservation.loaner_vehicle_id == vehicle_id)
        ).all()
        db.session.remove()
    assert stored == [number] == ["RES-261102-001"]


def test_twenty_threads_booking_one_vehicle_get_exactly_one_reservation(app) -> None:
    ids = _fleet_ids(app)
    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[str, str]] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            outcome = _reserve(ids, i)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    _assert_exactly_one(app, results, ids["vehicle"])


def _process_client(url: str, ids: dict[str, int], i: int, barrier: Any, results: Any) -> None:
    """Entry point of a spawned process: its own app, engine and connection.

    A bare app with the database and the audit listeners is all the use case needs; building the
    whole admin twenty times over would only make the test slow.
    """
    from collisionos import models  # noqa: F401  (every mapper and calculation listener)
    from collisionos.database import configure_engine
    from collisionos.services import audit  # noqa: F401  (the audit trail listeners)

    app = Flask(f"reservation-client-{i}")
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        db.session.execute(sa.text("SELECT 1"))  # connect before the start line, not after it
        db.session.remove()
        try:
            barrier.wait(timeout=120)
        except threading.BrokenBarrierError:
            results.put(("error", "barrier broken"))
            return
        results.put(_reserve(ids, i))


@pytest.mark.postgres
@pytest.mark.slow
def test_twenty_processes_booking_one_vehicle_get_exactly_one_reservation(app, database_url) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db> "
            f"(the tests run on {database_url.split(':', 1)[0]})"
        )
    ids = _fleet_ids(app)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(CLIENTS)
    results = context.Queue()
    processes = [
        context.Process(target=_process_client, args=(database_url, ids, i, barrier, results)) for i in range(CLIENTS)
    ]
    for process in processes:
        process.start()
    collected: list[tuple[str, str]] = []
    try:
        for _ in range(CLIENTS):
            collected.append(results.get(timeout=180))
    except queue.Empty:
        pytest.fail(f"only {len(collected)} of {CLIENTS} processes answered: {collected}")
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()

    _assert_exactly_one(app, collected, ids["vehicle"])
