"""No duplicate message, ever (issue 5, Reliability), with the outbox provider:

- two schedulers at once over 1,000 due messages: each is handed over exactly once (two threads, each with
  its own app context, on the test database; two processes on PostgreSQL);
- a run killed mid-batch and restarted: no duplicates and no losses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import CommunicationLog, ContactTimeline
from collisionos.services.messaging.dispatcher import BATCH_SIZE, LEASE, dispatch_due
from tests import factories
from tests.services.messaging.conftest import NOON, make_template

pytestmark = pytest.mark.slow

# Runs dispatch_due in a fresh process; CRASH_AFTER > 0 kills the process (os._exit, no cleanup, no
# rollback by Python) right after that many Outbox entries were written, mid-transaction.
CHILD = """
import json, os, sys
from datetime import datetime
from collisionos import create_app
from collisionos.services.messaging import dispatcher

url, folder, now, crash_after, runner = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_FOLDER": folder, "SECRET_KEY": "child",
                  "TESTING": True, "SCHEDULER_ENABLED": False, "SMS_PROVIDER": "outbox"})
if crash_after:
    original, written = dispatcher._Run._queue_in_outbox, [0]
    def queue_then_maybe_die(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        written[0] += 1
        if written[0] >= crash_after:
            os._exit(17)
        return result
    dispatcher._Run._queue_in_outbox = queue_then_maybe_die
with app.app_context():
    counts = dispatcher.dispatch_due(now=datetime.fromisoformat(now), limit=100000, runner=runner)
print(json.dumps(counts))
"""


def seed_due(count: int, customers: int = 20) -> list[int]:
    """``count`` due texts spread over ``customers`` customers, inserted in bulk (no ORM, no audit)."""
    shop = factories.ShopFactory()
    people = [
        factories.CustomerFactory(shop=shop, mobile=f"416-555-{n:04d}", sms_opt_in=True, preferred_contact="sms")
        for n in range(customers)
    ]
    template = make_template(shop, sms_template="Hi {{ customer.first_name }}, your car is ready.", translations={})
    rows = [
        dict(
            shop_id=shop.id,
            customer_id=people[n % customers].id,
            template_id=template.id,
            contact_type="outbound",
            communication_method="text",
            direction="outgoing",
            status="pending",
            scheduled_at=NOON - timedelta(minutes=1),
            automation_trigger_id=f"bulk:{n}",
            source_channel="system",
            created_at=NOON,
            updated_at=NOON,
        )
        for n in range(count)
    ]
    db.session.execute(sa.insert(ContactTimeline), rows)
    db.session.commit()
    return list(db.session.scalars(sa.select(ContactTimeline.id).order_by(ContactTimeline.id)))


def assert_each_handed_over_exactly_once(row_ids: Sequence[int]) -> None:
    db.session.expire_all()
    per_trigger = dict(
        db.session.execute(
            sa.select(CommunicationLog.trigger_event, sa.func.count()).group_by(CommunicationLog.trigger_event)
        ).all()
    )
    duplicates = {trigger: n for trigger, n in per_trigger.items() if n != 1}
    assert duplicates == {}
    rows = db.session.execute(
        sa.select(ContactTimeline.id, ContactTimeline.automation_trigger_id, ContactTimeline.external_system_id).where(
            ContactTimeline.id.in_(row_ids)
        )
    ).all()
    missing = [trigger for _id, trigger, _mark in rows if trigger not in per_trigger]
    assert missing == []
    assert all(mark == f"outbox:{row_id}" for row_id, _trigger, mark in rows)
    linked = db.session.execute(
        sa.select(ContactTimeline.automation_trigger_id, CommunicationLog.trigger_event).join(
            CommunicationLog, CommunicationLog.id == ContactTimeline.communication_log_id
        )
    ).all()
    assert len(linked) == len(row_ids) and all(trigger == event for trigger, event in linked)
    assert len(per_trigger) == len(row_ids)


def test_two_schedulers_at_once_over_1000_due_messages_hand_each_over_exactly_once(app) -> None:
    with app.app_context():
        row_ids = seed_due(1000)
    start = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def scheduler(name: str) -> None:
        try:
            with app.app_context():
                start.wait()
                results.append(dispatch_due(now=NOON, limit=1000, runner=name))
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=scheduler, args=(f"scheduler-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sum(r["claimed"] for r in results) == 1000  # no row claimed by both
    assert sum(r["queued"] for r in results) == 1000
    print(f"\nscheduler 1 handled {results[0]['queued']}, scheduler 2 handled {results[1]['queued']}")
    with app.app_context():
        assert_each_handed_over_exactly_once(row_ids)


def run_child(app, now, *, crash_after: int = 0, runner: str = "child") -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    return subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            CHILD,
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["INSTANCE_FOLDER"],
            now.isoformat(),
            str(crash_after),
            runner,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )


def test_two_scheduler_processes_on_postgresql_hand_each_message_over_exactly_once(app) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        reason = "two scheduler processes need PostgreSQL (set TEST_DATABASE_URL); SQLite is covered by threads"
        print(f"\nSKIPPED: {reason}")
        pytest.skip(reason)
    with app.app_context():
        row_ids = seed_due(1000)
    args = [sys.executable, "-c", CHILD, app.config["SQLALCHEMY_DATABASE_URI"], app.config["INSTANCE_FOLDER"]]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    children = [
        subprocess.Popen([*args, NOON.isoformat(), "0", f"process-{n}"], stdout=subprocess.PIPE, text=True, env=env)  # noqa: S603
        for n in (1, 2)
    ]
    results = [json.loads(child.communicate(timeout=300)[0].strip().splitlines()[-1]) for child in children]

    assert all(child.returncode == 0 for child in children)
    assert sum(r["claimed"] for r in results) == 1000
    assert sum(r["queued"] for r in results) == 1000
    print(f"\nprocess 1 handled {results[0]['queued']}, process 2 handled {results[1]['queued']}")
    with app.app_context():
        assert_each_handed_over_exactly_once(row_ids)


def test_a_run_killed_mid_batch_and_restarted_leaves_no_duplicate_and_no_loss(app) -> None:
    with app.app_context():
        row_ids = seed_due(400)
    crash_after = 2 * BATCH_SIZE + 30  # two batches committed, the third killed 30 rows in

    killed = run_child(app, NOON, crash_after=crash_after, runner="doomed")

    assert killed.returncode == 17, killed.stderr
    with app.app_context():
        written = db.session.scalar(sa.select(sa.func.count()).select_from(CommunicationLog))
        assert written == 2 * BATCH_SIZE  # the killed batch left nothing half-written
        leased = db.session.scalar(
            sa.select(sa.func.count()).select_from(ContactTimeline).where(ContactTimeline.claimed_by.like("doomed/%"))
        )
        assert leased == BATCH_SIZE  # its rows wait for the dead runner's lease to expire

    restarted = run_child(app, NOON, runner="restarted")
    assert restarted.returncode == 0, restarted.stderr
    assert json.loads(restarted.stdout.strip().splitlines()[-1])["queued"] == 400 - 3 * BATCH_SIZE
    after_lease = run_child(app, NOON + LEASE, runner="after-lease")
    assert json.loads(after_lease.stdout.strip().splitlines()[-1])["queued"] == BATCH_SIZE

    with app.app_context():
        assert_each_handed_over_exactly_once(row_ids)
