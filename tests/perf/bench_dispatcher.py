"""The follow-up dispatcher over 1,000 due messages with the outbox provider (issue 5: at most 5 s on SQLite).
Figures printed, not asserted.

    .venv/bin/python -m tests.perf.bench_dispatcher

Seeds a throwaway SQLite database: the default shop and templates, BENCH_DISPATCH_ROS repair orders through the
bulk seeder (with their own timeline rows, among them pending follow-up calls the dispatcher must pass over),
and one queued "status update" text per RO for customers who agreed to texts. Each run times ``dispatch_due``
over all of them (claim, decide, render, write the Outbox entries), then puts them back to pending.

    BENCH_DISPATCH_MESSAGES=1000      due messages (default 1,000)
    BENCH_DISPATCH_RUNS=3             timed runs
    BENCH_DISPATCH_DATABASE_URL=...   use this (empty, migrated) database instead of a temporary SQLite file
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_migrate import upgrade

from collisionos import create_app
from collisionos.extensions import db
from collisionos.models import CommunicationLog, ContactTimeline, Customer, RepairOrder
from collisionos.models.base import utcnow
from collisionos.services.messaging.dispatcher import dispatch_due
from collisionos.services.messaging.queue import queue_template_message
from collisionos.services.seed.bulk import seed_bulk
from collisionos.services.seed.defaults import seed_defaults
from collisionos.services.unit_of_work import use_case
from tests.perf.harness import QueryCounter

# Wednesday 4 November 2026, 12:00 in Toronto: inside quiet hours' complement and business hours.
NOON = datetime(2026, 11, 4, 17, 0, tzinfo=UTC)


def _prepare(messages: int) -> str:
    url = os.environ.get("BENCH_DISPATCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="collisionos-bench-dispatch-")
    url = url or f"sqlite:///{folder}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_FOLDER": folder, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        shop = seed_defaults(now=utcnow(), owner_password="bench-password-1", owner_email="owner@bench.example").shop
        seed_bulk(count=messages, shop_id=shop.id, now=NOON)
        db.session.execute(
            sa.update(Customer).values(
                sms_opt_in=True, preferred_contact="sms", mobile=sa.func.coalesce(Customer.mobile, "416-555-0100")
            )
        )
        db.session.commit()
        ros = db.session.execute(sa.select(RepairOrder.id, RepairOrder.customer_id).order_by(RepairOrder.id)).all()
        with use_case(None):
            for ro_id, customer_id in ros[:messages]:
                queue_template_message(
                    shop.id,
                    customer_id=customer_id,
                    repair_order_id=ro_id,
                    template_code="STATUS_UPDATE_001",
                    trigger_id=f"bench:{ro_id}",
                    now=NOON,
                )
        elapsed = time.perf_counter() - started
        print(f"seeded {len(ros):,} ROs and {min(messages, len(ros)):,} due texts in {elapsed:.1f} s")
    return url


def _reset() -> None:
    """Put the benchmark's messages back to due, with no Outbox entries."""
    db.session.execute(
        sa.update(ContactTimeline)
        .where(ContactTimeline.automation_trigger_id.like("bench:%"))
        .values(
            status="pending",
            external_system_id=None,
            communication_log_id=None,
            claimed_by=None,
            claimed_until=None,
            notes=None,
        )
    )
    db.session.execute(sa.delete(CommunicationLog))
    db.session.commit()


def main() -> None:
    messages = int(os.environ.get("BENCH_DISPATCH_MESSAGES", "1000"))
    runs = int(os.environ.get("BENCH_DISPATCH_RUNS", "3"))
    url = _prepare(messages)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False, "SMS_PROVIDER": "outbox"}
    )
    with app.app_context():
        counter = QueryCounter(db.engine)
        due = db.session.scalar(
            sa.select(sa.func.count()).select_from(ContactTimeline).where(ContactTimeline.status == "pending")
        )
        print(
            f"database: {sa.engine.make_url(url).render_as_string(hide_password=True)}, {due:,} pending timeline rows"
        )
        samples = []
        counts: dict[str, int] = {}
        for _ in range(runs):
            _reset()
            with counter.active():
                started = time.perf_counter()
                counts = dispatch_due(now=NOON, limit=messages)
                samples.append(time.perf_counter() - started)
        handled = counts.get("queued", 0)
        print(
            f"dispatch {handled:,} due messages (outbox): p50 {statistics.median(samples):.2f} s "
            f"(min {min(samples):.2f}, max {max(samples):.2f}, n={runs}; target <= 5 s)  "
            f"{handled / statistics.median(samples):,.0f} messages/s  queries {counter.count}  counts {counts}"
        )


if __name__ == "__main__":
    main()
