"""The SLA monitor (services/monitoring.py): DOMAIN.md §5.7 worked through ``sweep``, the watch flags it keeps
(one per condition: created once, kept, cleared, re-opened), each watch kind, and the daily digest."""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import PartLine, RepairOrder, Shop, WatchFlag
from collisionos.services import monitoring
from tests import factories

# Friday 20 November 2026, noon UTC.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture
def utc_shop(session):  # type: ignore[no-untyped-def]
    return factories.ShopFactory(timezone="UTC")


def ro(shop: Any, age: timedelta, **kwargs: Any) -> RepairOrder:
    """An open standard-SLA RO (10 days) opened ``age`` before NOW, all parts in unless said otherwise."""
    values = {"ro_status": "in_production", "sla_type": "standard", "all_parts_received": True}
    values.update(kwargs)
    return factories.repair_order_in(shop, date_created=NOW - age, **values)


def reload(ro_id: int) -> RepairOrder:
    db.session.expire_all()
    return db.session.get(RepairOrder, ro_id)


def sla_of(ro_id: int) -> tuple[bool, int, str]:
    row = reload(ro_id)
    return row.is_overdue, row.overdue_by, row.sla_risk_level


def flags(shop_id: int, kind: str | None = None, *, open_only: bool = False) -> list[WatchFlag]:
    db.session.expire_all()
    query = sa.select(WatchFlag).where(WatchFlag.shop_id == shop_id).order_by(WatchFlag.id)
    if kind:
        query = query.where(WatchFlag.kind == kind)
    if open_only:
        query = query.where(WatchFlag.cleared_at.is_(None))
    return list(db.session.scalars(query))


def open_subjects(shop_id: int, kind: str) -> set[int]:
    return {flag.subject_id for flag in flags(shop_id, kind, open_only=True)}


# --- §5.7 worked examples through the sweep -------------------------------------------------------------------------


def test_each_risk_level_through_the_sweep(utc_shop) -> None:
    green = ro(utc_shop, 2 * DAY)  # 20 % of 10 days used
    yellow = ro(utc_shop, 8 * DAY)  # 80 %
    red_parts = ro(utc_shop, 9 * DAY + 12 * HOUR, all_parts_received=False)  # 95 % with parts missing
    nearly = ro(utc_shop, 9 * DAY + 12 * HOUR)  # 95 % with every part in: still only yellow
    red_late = ro(utc_shop, 12 * DAY)  # due 2 days ago
    critical = ro(utc_shop, 15 * DAY)  # due 5 days ago
    # The promise overrides the target: due in 3 days, 30 of 33 days used -> yellow, not overdue.
    promised = ro(utc_shop, 30 * DAY, promised_delivery_date=NOW + 3 * DAY)

    counts = monitoring.sweep(now=NOW)

    assert sla_of(green.id) == (False, 0, "green")
    assert sla_of(yellow.id) == (False, 0, "yellow")
    assert sla_of(red_parts.id) == (False, 0, "red")
    assert sla_of(nearly.id) == (False, 0, "yellow")
    assert sla_of(red_late.id) == (True, 2, "red")
    assert sla_of(critical.id) == (True, 5, "critical")
    assert sla_of(promised.id) == (False, 0, "yellow")
    assert counts["repair_orders"] == 7
    # Green was already green (the column default): only the rows whose values changed were written.
    assert counts["sla_updated"] == 6
    assert open_subjects(utc_shop.id, "at_risk") == {red_parts.id, red_late.id, critical.id}


def test_a_hold_that_pauses_the_clock_moves_the_due_date_and_one_that_does_not_makes_it_critical(utc_shop) -> None:
    # Both opened 12 days ago (due 2 days ago) and on hold for the last 3 days.
    paused = ro(utc_shop, 12 * DAY, is_on_hold=True, hold_reason="customer_approval", hold_start_date=NOW - 3 * DAY)
    not_paused = ro(utc_shop, 12 * DAY, is_on_hold=True, hold_reason="parts_delay", hold_start_date=NOW - 3 * DAY)
    # A finished insurer hold of 4 days already counted in sla_paused_days.
    released = ro(utc_shop, 12 * DAY, sla_paused_days=4)

    monitoring.sweep(now=NOW)

    # Customer approval pauses: due moves 3 days to tomorrow; 9 of 10 days used, every part in -> yellow.
    assert sla_of(paused.id) == (False, 0, "yellow")
    # A parts delay is the shop's problem: 2 days overdue while on hold -> critical.
    assert sla_of(not_paused.id) == (True, 2, "critical")
    assert sla_of(released.id) == (False, 0, "yellow")
    messages = {flag.subject_id: flag.message for flag in flags(utc_shop.id, "at_risk")}
    assert set(messages) == {not_paused.id}
    assert messages[not_paused.id] == (
        f"{not_paused.repair_order_number} is critical, due 2026-11-18, on hold (parts delay); status in production."
    )


def test_the_clock_starts_at_intake_when_the_intake_stage_has_started(utc_shop) -> None:
    # Opened 20 days ago (would be critical), but the car was only checked in 2 days ago.
    late_intake = ro(utc_shop, 20 * DAY)
    factories.ProductionWorkflowFactory(
        repair_order=late_intake,
        stage_type="intake",
        stage_name="Intake",
        stage_category="delivery",
        stage_order=1,
        actual_start_date=NOW - 2 * DAY,
    )
    no_start = ro(utc_shop, 20 * DAY)
    factories.ProductionWorkflowFactory(
        repair_order=no_start, stage_type="intake", stage_name="Intake", stage_category="delivery", stage_order=1
    )

    monitoring.sweep(now=NOW)

    assert sla_of(late_intake.id) == (False, 0, "green")
    assert sla_of(no_start.id) == (True, 10, "critical")


def test_overdue_days_are_counted_in_shop_days(session) -> None:
    toronto = factories.ShopFactory(timezone="America/Toronto")
    # Due 2026-11-19 23:00 Toronto. At 2026-11-20 06:00 UTC it is still the 20th's 01:00 in Toronto: 1 day late.
    late = factories.repair_order_in(
        toronto, ro_status="in_production", date_created=datetime(2026, 11, 10, 4, 0, tzinfo=UTC), sla_type="standard"
    )
    monitoring.sweep(now=datetime(2026, 11, 20, 6, 0, tzinfo=UTC))
    assert sla_of(late.id)[:2] == (True, 1)


def test_closed_repair_orders_are_left_alone(utc_shop) -> None:
    delivered = ro(utc_shop, 40 * DAY, ro_status="delivered", sla_risk_level="green")
    counts = monitoring.sweep(now=NOW)
    assert sla_of(delivered.id) == (False, 0, "green")
    assert counts["repair_orders"] == 0


def test_an_ro_changed_while_the_sweep_computes_is_not_overwritten(utc_shop, monkeypatch) -> None:
    late = ro(utc_shop, 15 * DAY)
    original = monitoring.begin_write

    def someone_saves_the_ro_before_the_sweep_writes() -> None:
        with db.engine.begin() as conn:
            conn.execute(
                sa.update(RepairOrder.__table__)
                .where(RepairOrder.__table__.c.id == late.id)
                .values(promised_delivery_date=NOW + 5 * DAY, sla_risk_level="green", updated_at=NOW - HOUR)
            )
        original()

    monkeypatch.setattr(monitoring, "begin_write", someone_saves_the_ro_before_the_sweep_writes)
    monitoring.sweep(now=NOW)
    assert sla_of(late.id) == (False, 0, "green")  # the sweep's stale "critical" was not written
    monkeypatch.setattr(monitoring, "begin_write", original)
    monitoring.sweep(now=NOW)
    assert sla_of(late.id) == (False, 0, "yellow")  # the next sweep works from the new promise (15 of 20 days)


def test_a_second_sweep_writes_nothing(utc_shop) -> None:
    ro(utc_shop, 15 * DAY)
    ro(utc_shop, 8 * DAY)
    first = monitoring.sweep(now=NOW)
    second = monitoring.sweep(now=NOW + timedelta(minutes=5))
    assert first["sla_updated"] == 2 and second["sla_updated"] == 0
    assert first["at_risk_new"] == 1 and "at_risk_new" not in second and second["at_risk_open"] == 1


# --- flags: once, kept, cleared, re-opened --------------------------------------------------------------------------


def test_a_flag_is_raised_once_kept_cleared_and_reopened(utc_shop) -> None:
    late = ro(utc_shop, 12 * DAY)  # red: 2 days overdue

    first = monitoring.sweep(now=NOW)
    [flag] = flags(utc_shop.id, "at_risk")
    assert (flag.condition, flag.subject_table, flag.subject_id) == ("red", "repair_order_management", late.id)
    assert flag.first_flagged_at == NOW and flag.last_seen_at == NOW and flag.cleared_at is None
    assert first["at_risk_new"] == 1

    later = NOW + timedelta(minutes=5)
    again = monitoring.sweep(now=later)
    [kept] = flags(utc_shop.id, "at_risk")
    assert kept.id == flag.id and kept.first_flagged_at == NOW and kept.last_seen_at == later
    assert "at_risk_new" not in again

    # The customer agrees to a later date: no longer at risk.
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(RepairOrder.__table__)
            .where(RepairOrder.__table__.c.id == late.id)
            .values(promised_delivery_date=NOW + 10 * DAY)
        )
    cleared_at = NOW + HOUR
    counts = monitoring.sweep(now=cleared_at)
    [cleared] = flags(utc_shop.id, "at_risk")
    assert cleared.cleared_at == cleared_at and counts["at_risk_cleared"] == 1
    db.session.execute(sa.update(WatchFlag).where(WatchFlag.id == cleared.id).values(notified_at=NOW))
    db.session.commit()

    # The promise slips again: the same row re-opens as a fresh episode (not a second flag).
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(RepairOrder.__table__)
            .where(RepairOrder.__table__.c.id == late.id)
            .values(promised_delivery_date=None)
        )
    reopened_at = NOW + 2 * HOUR
    counts = monitoring.sweep(now=reopened_at)
    [reopened] = flags(utc_shop.id, "at_risk")
    assert reopened.id == flag.id and reopened.cleared_at is None
    assert reopened.first_flagged_at == reopened_at and reopened.notified_at is None
    assert counts["at_risk_new"] == 1


def test_a_new_risk_level_is_a_new_condition(utc_shop) -> None:
    slipping = ro(utc_shop, 12 * DAY)  # red today
    monitoring.sweep(now=NOW)
    monitoring.sweep(now=NOW + 2 * DAY)  # 4 days overdue: critical
    rows = flags(utc_shop.id, "at_risk")
    assert [(f.subject_id, f.condition, f.cleared_at is None) for f in rows] == [
        (slipping.id, "red", False),
        (slipping.id, "critical", True),
    ]


def test_flags_are_kept_per_shop(utc_shop) -> None:
    other = factories.ShopFactory(timezone="UTC")
    mine, theirs = ro(utc_shop, 15 * DAY), ro(other, 15 * DAY)
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "at_risk") == {mine.id}
    assert open_subjects(other.id, "at_risk") == {theirs.id}


# --- each watch kind ------------------------------------------------------------------------------------------------


def test_parts_past_their_expected_day(utc_shop) -> None:
    car = ro(utc_shop, 2 * DAY, ro_status="parts_ordered", all_parts_received=False)
    late = factories.PartLineFactory(
        repair_order=car, part_status="ordered", estimated_delivery_date=NOW - DAY, part_description="Hood"
    )
    due_today = factories.PartLineFactory(repair_order=car, part_status="shipped", estimated_delivery_date=NOW - HOUR)
    arrived = factories.PartLineFactory(repair_order=car, part_status="received", estimated_delivery_date=NOW - DAY)
    cancelled_car = ro(utc_shop, 2 * DAY, ro_status="cancelled")
    factories.PartLineFactory(repair_order=cancelled_car, part_status="ordered", estimated_delivery_date=NOW - DAY)

    monitoring.sweep(now=NOW)

    [flag] = flags(utc_shop.id, "parts_overdue")
    assert (flag.subject_table, flag.subject_id, flag.condition) == (
        "advanced_parts_management",
        late.id,
        "eta:2026-11-19",
    )
    assert flag.message == f"{car.repair_order_number} #{late.line_number} Hood: expected 2026-11-19, still ordered."
    assert due_today.id not in open_subjects(utc_shop.id, "parts_overdue")
    assert arrived.id not in open_subjects(utc_shop.id, "parts_overdue")

    # The vendor gives a new date: the old condition clears; when that one passes too, it is flagged anew.
    db.session.execute(sa.update(PartLine).where(PartLine.id == late.id).values(estimated_delivery_date=NOW + DAY))
    db.session.commit()
    monitoring.sweep(now=NOW + HOUR)
    assert open_subjects(utc_shop.id, "parts_overdue") == set()
    monitoring.sweep(now=NOW + 2 * DAY)
    now_late = [f.condition for f in flags(utc_shop.id, "parts_overdue", open_only=True) if f.subject_id == late.id]
    assert now_late == ["eta:2026-11-21"]
    assert len(flags(utc_shop.id, "parts_overdue")) == 3  # the cleared 11-19 row, the new 11-21 one, and due_today


def test_backorders_older_than_the_shop_limit(utc_shop) -> None:
    car = ro(utc_shop, 10 * DAY, ro_status="parts_hold", all_parts_received=False)
    old = factories.PartLineFactory(repair_order=car, part_status="backordered", backorder_date=NOW - 8 * DAY)
    recent = factories.PartLineFactory(repair_order=car, part_status="backordered", backorder_date=NOW - 6 * DAY)
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "backorder_aged") == {old.id}
    assert "backordered since 2026-11-12" in flags(utc_shop.id, "backorder_aged")[0].message

    utc_shop.settings = {"backorderCriticalDays": 5}
    db.session.commit()
    monitoring.sweep(now=NOW + HOUR)
    assert open_subjects(utc_shop.id, "backorder_aged") == {old.id, recent.id}


def test_purchase_orders_waiting_too_long_for_approval(utc_shop) -> None:
    car = ro(utc_shop, 3 * DAY, ro_status="parts_ordered")
    waiting = factories.PurchaseOrderFactory(
        repair_order=car, po_status="pending_approval", status_change_date=NOW - 25 * HOUR
    )
    fresh = factories.PurchaseOrderFactory(
        repair_order=car, po_status="pending_approval", status_change_date=NOW - 2 * HOUR
    )
    factories.PurchaseOrderFactory(repair_order=car, po_status="approved", status_change_date=NOW - 30 * HOUR)
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "po_awaiting_approval") == {waiting.id}
    assert "has waited for approval since 2026-11-19 11:00" in flags(utc_shop.id, "po_awaiting_approval")[0].message

    utc_shop.settings = {"poApprovalMaxWaitHours": 1}
    db.session.commit()
    monitoring.sweep(now=NOW + HOUR)
    assert open_subjects(utc_shop.id, "po_awaiting_approval") == {waiting.id, fresh.id}


def test_loaners_not_back_on_time(utc_shop) -> None:
    vehicle = factories.LoanerVehicleFactory(shop=utc_shop)

    def booking(status: str, end: datetime, confirmed_end: datetime | None = None) -> Any:
        return factories.LoanerReservationFactory(
            loaner_vehicle=vehicle,
            reservation_status=status,
            requested_start_date=NOW - 5 * DAY,
            requested_end_date=end,
            confirmed_start_date=NOW - 5 * DAY if confirmed_end else None,
            confirmed_end_date=confirmed_end,
        )

    late = booking("active", NOW - 3 * HOUR)
    extended = booking("active", NOW - DAY, confirmed_end=NOW + DAY)  # the confirmed end wins over the request
    returned = booking("completed", NOW - DAY)
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "loaner_overdue") == {late.id}
    assert "was due back 2026-11-20 09:00" in flags(utc_shop.id, "loaner_overdue")[0].message
    assert extended.id not in open_subjects(utc_shop.id, "loaner_overdue")
    assert returned.id not in open_subjects(utc_shop.id, "loaner_overdue")


def test_supplements_pending_too_long(utc_shop) -> None:
    stuck = ro(utc_shop, 6 * DAY, ro_status="supplement_pending", status_change_date=NOW - 4 * DAY)
    recent = ro(utc_shop, 6 * DAY, ro_status="supplement_pending", status_change_date=NOW - DAY)
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "supplement_pending_long") == {stuck.id}
    assert recent.id not in open_subjects(utc_shop.id, "supplement_pending_long")


def test_delivered_but_not_invoiced(utc_shop) -> None:
    delivered = ro(utc_shop, 14 * DAY, ro_status="delivered", actual_delivery_date=NOW - DAY)
    invoiced = ro(utc_shop, 14 * DAY, ro_status="invoiced", actual_delivery_date=NOW - DAY)
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "delivered_not_invoiced") == {delivered.id}
    assert invoiced.id not in open_subjects(utc_shop.id, "delivered_not_invoiced")

    with db.engine.begin() as conn:
        conn.execute(
            sa.update(RepairOrder.__table__)
            .where(RepairOrder.__table__.c.id == delivered.id)
            .values(ro_status="invoiced")
        )
    counts = monitoring.sweep(now=NOW + HOUR)
    assert open_subjects(utc_shop.id, "delivered_not_invoiced") == set()
    assert counts["delivered_not_invoiced_cleared"] == 1


def test_parts_received_but_not_installed_on_cars_in_qc_or_later(utc_shop) -> None:
    in_qc = ro(utc_shop, 9 * DAY, ro_status="quality_control")
    forgotten = factories.PartLineFactory(repair_order=in_qc, part_status="received")
    inspected = factories.PartLineFactory(repair_order=in_qc, part_status="inspected")
    factories.PartLineFactory(repair_order=in_qc, part_status="installed")
    in_production = ro(utc_shop, 5 * DAY)
    waiting = factories.PartLineFactory(repair_order=in_production, part_status="received")
    monitoring.sweep(now=NOW)
    assert open_subjects(utc_shop.id, "received_not_installed") == {forgotten.id, inspected.id}
    assert waiting.id not in open_subjects(utc_shop.id, "received_not_installed")


# --- the daily digest -----------------------------------------------------------------------------------------------


@pytest.fixture
def outbox(monkeypatch) -> list[tuple[str, str, str, str | None]]:  # type: ignore[no-untyped-def]
    """Every email the digest sends, instead of SMTP."""
    sent: list[tuple[str, str, str, str | None]] = []

    def send_email(to: str, subject: str, text: str, html: str | None = None) -> str:
        sent.append((to, subject, text, html))
        return f"<{len(sent)}@test>"

    try:
        from collisionos.services.messaging import channels
    except ImportError:  # the messaging package is not there yet: stand in for it
        channels = types.ModuleType("collisionos.services.messaging.channels")
        package = types.ModuleType("collisionos.services.messaging")
        package.channels = channels  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "collisionos.services.messaging", package)
        monkeypatch.setitem(sys.modules, "collisionos.services.messaging.channels", channels)
    monkeypatch.setattr(channels, "send_email", send_email, raising=False)
    return sent


@pytest.fixture
def toronto(session):  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory(timezone="America/Toronto", name="Maple Collision")
    factories.UserFactory(shop=shop, role="owner", email="owner@maple.example")
    factories.UserFactory(shop=shop, role="manager", email="manager@maple.example")
    factories.UserFactory(shop=shop, role="manager", email="gone@maple.example", is_active=False)
    factories.UserFactory(shop=shop, role="technician", email="tech@maple.example")
    factories.UserFactory(shop=factories.ShopFactory(), role="manager", email="elsewhere@other.example")
    return shop


# 2026-11-20: Toronto is UTC-5.
SIX_THIRTY = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
SEVEN_THIRTY = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def test_the_digest_goes_to_managers_and_owners_once_a_day_after_seven(toronto, outbox) -> None:
    late = factories.repair_order_in(
        toronto, ro_status="in_production", date_created=SIX_THIRTY - 15 * DAY, sla_type="standard"
    )
    monitoring.sweep(now=SIX_THIRTY)

    assert monitoring.send_digests(now=SIX_THIRTY)["too_early"] >= 1
    assert outbox == []

    counts = monitoring.send_digests(now=SEVEN_THIRTY)
    assert sorted(to for to, *_ in outbox) == ["manager@maple.example", "owner@maple.example"]
    assert counts["sent"] == 2
    _to, subject, text, html = outbox[0]
    assert subject == "Maple Collision: 1 watch-list item (1 new), Fri 20 Nov 2026"
    assert "At risk: 1 open, 1 new" in text
    # The RO's overdue days come from the RO itself (kept by the sweep), not from the flag's message.
    assert (
        f"NEW {late.repair_order_number} is critical, due 2026-11-15, parts still missing; "
        "status in production. (5 days overdue)" in text
    )
    assert late.repair_order_number in html and "<strong>new</strong>" in html
    [flag] = flags(toronto.id, "at_risk")
    assert flag.notified_at == SEVEN_THIRTY
    db.session.expire_all()
    assert db.session.get(Shop, toronto.id).settings["lastDigestDate"] == "2026-11-20"

    # Later the same day: nothing more.
    again = monitoring.send_digests(now=SEVEN_THIRTY + 10 * HOUR)
    assert len(outbox) == 2 and again["already_sent"] >= 1


def test_the_next_digest_says_what_is_new_since_the_last(toronto, outbox) -> None:
    first = factories.repair_order_in(toronto, ro_status="in_production", date_created=NOW - 15 * DAY)
    monitoring.sweep(now=SEVEN_THIRTY)
    monitoring.send_digests(now=SEVEN_THIRTY)
    second = factories.repair_order_in(toronto, ro_status="delivered", date_created=NOW - 20 * DAY)
    tomorrow = SEVEN_THIRTY + DAY
    monitoring.sweep(now=tomorrow)
    outbox.clear()

    monitoring.send_digests(now=tomorrow)

    _to, subject, text, _html = outbox[0]
    assert subject.startswith("Maple Collision: 2 watch-list items (1 new)")
    assert "At risk: 1 open, 0 new" in text and "Delivered not invoiced: 1 open, 1 new" in text
    assert f"NEW {second.repair_order_number} was delivered" in text
    assert f"- {first.repair_order_number} is critical" in text  # listed, not marked new


def test_no_email_when_nothing_is_flagged(toronto, outbox) -> None:
    counts = monitoring.send_digests(now=SEVEN_THIRTY)
    assert outbox == [] and counts["empty"] >= 1
    db.session.expire_all()
    assert db.session.get(Shop, toronto.id).settings["lastDigestDate"] == "2026-11-20"


def test_a_digest_nobody_received_is_tried_again_next_run(toronto, outbox, monkeypatch) -> None:
    factories.repair_order_in(toronto, ro_status="in_production", date_created=NOW - 15 * DAY)
    monitoring.sweep(now=SEVEN_THIRTY)
    from collisionos.services.messaging import channels

    def down(*_args: Any, **_kwargs: Any) -> str:
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr(channels, "send_email", down)
    counts = monitoring.send_digests(now=SEVEN_THIRTY)
    assert counts["failed"] == 2 and "sent" not in {k for k, v in counts.items() if v}
    db.session.expire_all()
    assert "lastDigestDate" not in (db.session.get(Shop, toronto.id).settings or {})
    assert flags(toronto.id, "at_risk")[0].notified_at is None

    monkeypatch.setattr(channels, "send_email", lambda to, subject, text, html=None: outbox.append((to, subject)))
    monitoring.send_digests(now=SEVEN_THIRTY + HOUR)
    assert len(outbox) == 2
    assert flags(toronto.id, "at_risk")[0].notified_at == SEVEN_THIRTY + HOUR


def test_a_shop_that_fails_does_not_stop_the_others(utc_shop, monkeypatch) -> None:
    broken = factories.ShopFactory(timezone="UTC")
    ro(broken, 15 * DAY)
    late = ro(utc_shop, 15 * DAY)
    original = monitoring.sweep_shop

    def sweep_shop(shop_id: int, **kwargs: Any) -> dict[str, int]:
        if shop_id == broken.id:
            raise ValueError("corrupt row")
        return original(shop_id, **kwargs)

    monkeypatch.setattr(monitoring, "sweep_shop", sweep_shop)
    with pytest.raises(RuntimeError, match=f"shop #{broken.id}: corrupt row"):
        monitoring.sweep(now=NOW)
    assert sla_of(late.id) == (True, 5, "critical")
    assert open_subjects(utc_shop.id, "at_risk") == {late.id}
