"""PO numbers under concurrent requests (issue 4): 8 threads on SQLite and 8 processes on PostgreSQL create a PO
for the same RO and vendor at once; the numbers are distinct and gapless, and no request fails."""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from collisionos import create_app
from collisionos.extensions import db
from collisionos.models import NumberSequence, PurchaseOrder, User
from collisionos.services.purchasing import create_purchase_orders
from tests import factories

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
WORKERS = 8
EXPECTED = [f"RO30001-2611-LKQX-{n:03d}" for n in range(1, WORKERS + 1)]


def _app(url: str, instance: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret-key",
            "SCHEDULER_ENABLED": False,
            "INSTANCE_FOLDER": instance,
        }
    )


def _one_ro_many_lines() -> tuple[int, int, list[int]]:
    """A shop, a parts manager, one RO and a part line per worker, all for the same vendor (LKQ → LKQX)."""
    shop = factories.ShopFactory()
    buyer = factories.UserFactory(shop=shop, role="parts_manager")
    ro = factories.repair_order_in(shop, repair_order_number="RO30001", ro_status="estimate_approved")
    vendor = factories.VendorFactory(shop=shop, name="LKQ", vendor_code=None)
    lines = [
        factories.PartLineFactory(
            repair_order=ro, vendor=vendor, line_number=n, net_price=Decimal("50.00"), sell_price=Decimal("90.00")
        ).id
        for n in range(1, WORKERS + 1)
    ]
    return shop.id, buyer.id, lines


def _order(shop_id: int, user_id: int, line_id: int) -> str:
    actor = db.session.get(User, user_id)
    db.session.rollback()  # end the read so the use case starts clean
    return create_purchase_orders(shop_id, [line_id], actor=actor, now=NOW).numbers[0]


def _stored_numbers() -> tuple[list[str], int]:
    numbers = sorted(db.session.scalars(sa.select(PurchaseOrder.purchase_order_number)))
    counter = db.session.scalar(sa.select(NumberSequence.last_value).where(NumberSequence.name.like("po:%")))
    return numbers, counter


def test_eight_threads_on_sqlite_get_distinct_gapless_numbers(tmp_path: Path) -> None:
    app = _app(f"sqlite:///{tmp_path / 'po.db'}", str(tmp_path / "instance"))
    with app.app_context():
        upgrade()
        shop_id, user_id, line_ids = _one_ro_many_lines()
        db.session.remove()

    start = threading.Barrier(WORKERS)
    numbers: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(line_id: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                number = _order(shop_id, user_id, line_id)
                with lock:
                    numbers.append(number)
            except Exception as error:  # noqa: BLE001  (every failure is reported by the assertion below)
                with lock:
                    errors.append(repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(line_id,)) for line_id in line_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == EXPECTED
    with app.app_context():
        assert _stored_numbers() == (EXPECTED, WORKERS)
        db.session.remove()
        db.engine.dispose()


def _order_in_process(url: str, instance: str, shop_id: int, user_id: int, line_id: int, start: Any, out: Any) -> None:
    os.environ["COLLISIONOS_INSTANCE"] = instance
    app = _app(url, instance)
    with app.app_context():
        try:
            start.wait(timeout=60)
            out.put(("ok", _order(shop_id, user_id, line_id)))
        except Exception as error:  # noqa: BLE001  (sent back to the test, which reports it)
            out.put(("error", repr(error)))
        finally:
            db.session.remove()
            db.engine.dispose()


def test_eight_processes_on_postgresql_get_distinct_gapless_numbers(app: Flask, tmp_path: Path) -> None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        pytest.skip(
            f"PostgreSQL concurrency test: set TEST_DATABASE_URL to a PostgreSQL database (the tests run on {dialect})."
        )
    with app.app_context():
        shop_id, user_id, line_ids = _one_ro_many_lines()
        db.session.remove()

    context = multiprocessing.get_context("spawn")
    start = context.Barrier(WORKERS)
    out = context.Queue()
    instance = str(tmp_path / "instance")
    processes = [
        context.Process(target=_order_in_process, args=(url, instance, shop_id, user_id, line_id, start, out))
        for line_id in line_ids
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    assert [detail for kind, detail in results if kind == "error"] == []
    assert sorted(detail for _, detail in results) == EXPECTED
    with app.app_context():
        assert _stored_numbers() == (EXPECTED, WORKERS)
        db.session.remove()
