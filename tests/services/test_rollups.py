"""Nightly roll-ups (services/rollups.py): technician performance per §5.13 and department capacity per §5.12,
worked on a small example, and idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from collisionos.domain import performance as perf
from collisionos.extensions import db
from collisionos.models import Job, LaborTimeEntry, SchedulingCapacity, TechnicianPerformance
from collisionos.services.rollups import run_rollups
from tests import factories

# Friday 20 November 2026, noon UTC; the shop keeps UTC time.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def example(session):  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory(timezone="UTC")
    tech = factories.UserFactory(shop=shop, role="technician", department="Body")
    factories.UserFactory(shop=shop, role="technician", department="body")  # a second body technician, idle
    factories.UserFactory(shop=shop, role="manager")  # not a technician: no scorecard
    ro = factories.repair_order_in(shop, ro_status="in_production", is_rush=True)
    other_ro = factories.repair_order_in(shop, ro_status="in_production")

    def clocked(start: datetime, end: datetime, **kwargs: Any) -> None:
        db.session.add(
            LaborTimeEntry(
                shop_id=shop.id,
                technician_id=tech.id,
                repair_order_id=ro.id,
                labor_type="body",
                clock_in=start,
                clock_out=end,
                **kwargs,
            )
        )

    # Thursday: 8 h with a 1 h break, of which 1 h non-billable. Friday: 4 h billed at 100.00.
    clocked(at(19, 8), at(19, 16), break_start=at(19, 12), break_end=at(19, 13), non_billable_hours=Decimal("1"))
    clocked(at(20, 8), at(20, 12), customer_rate=Decimal("100.00"), billable_hours=Decimal("4"))
    clocked(at(20, 6), at(20, 7), status="cancelled")  # a cancelled entry counts for nothing
    db.session.commit()

    def stage(**kwargs: Any) -> Any:
        return factories.ProductionWorkflowFactory(repair_order=ro, assigned_technician=tech.id, **kwargs)

    # Friday: 5 book hours done right first time. Thursday: 6 book hours, after one rework.
    stage(
        stage_status="completed", estimated_hours=Decimal("5"), actual_start_date=at(20, 8), actual_end_date=at(20, 10)
    )
    stage(
        stage_status="completed",
        estimated_hours=Decimal("6"),
        actual_start_date=at(19, 8),
        actual_end_date=at(19, 15),
        first_time_right=False,
        rework_date=at(19, 11),
        rework_count=1,
    )
    stage(stage_status="in_progress", estimated_hours=Decimal("9"), actual_start_date=at(20, 9))  # not done: no credit
    # A car the technician worked on came back on Wednesday.
    db.session.add(
        Job(
            shop_id=shop.id,
            repair_order_id=other_ro.id,
            customer_id=other_ro.customer_id,
            vehicle_id=other_ro.vehicle_profile.vehicle_id,
            job_number=f"{other_ro.repair_order_number}-1",
            assigned_to=tech.id,
            come_back=True,
            come_back_date=at(18, 9),
        )
    )
    db.session.commit()
    return shop, tech


def cards(tech_id: int) -> dict[tuple[str, date], TechnicianPerformance]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(TechnicianPerformance).where(TechnicianPerformance.technician_id == tech_id))
    return {(row.reporting_period, row.period_start.date()): row for row in rows}


def test_technician_performance_worked_example(example) -> None:
    shop, tech = example
    counts = run_rollups(now=NOW)

    rows = cards(tech.id)
    # The period containing now and the one before, for each of day, week (from Monday) and month.
    assert sorted(rows) == [
        ("daily", date(2026, 11, 19)),
        ("daily", date(2026, 11, 20)),
        ("monthly", date(2026, 10, 1)),
        ("monthly", date(2026, 11, 1)),
        ("weekly", date(2026, 11, 9)),
        ("weekly", date(2026, 11, 16)),
    ]
    friday = rows[("daily", date(2026, 11, 20))]
    assert friday.period_start == at(20, 0) and friday.period_end == at(21, 0)
    assert (friday.flagged_hours, friday.hours_worked, friday.productive_hours) == (5, 4, 4)
    assert friday.overall_efficiency == Decimal("125.00")  # faster than book
    assert friday.utilization_rate == Decimal("100.00")
    assert (friday.stages_completed, friday.first_time_right_rate, friday.rework_count) == (1, 100, 0)
    assert (friday.labor_cost_generated, friday.revenue_generated, friday.profit_generated) == (300, 400, 100)
    assert (friday.cost_per_hour, friday.revenue_per_hour, friday.profit_margin) == (75, 100, 25)
    # Efficiency is capped at 100 inside the score: (25 × 1 + 20 × 1) ÷ 45 × 100.
    assert (friday.overall_score, friday.performance_grade) == (Decimal("100.00"), "A+")

    thursday = rows[("daily", date(2026, 11, 19))]
    assert (thursday.flagged_hours, thursday.hours_worked, thursday.productive_hours) == (6, 7, 6)
    assert thursday.overall_efficiency == Decimal("85.71") and thursday.utilization_rate == Decimal("85.71")
    assert (thursday.first_time_right_rate, thursday.rework_count, thursday.rework_rate) == (0, 1, 100)
    assert thursday.profit_margin is None  # nothing billed: no margin
    assert (thursday.overall_score, thursday.performance_grade) == (Decimal("85.71"), "B")

    week = rows[("weekly", date(2026, 11, 16))]
    assert (week.flagged_hours, week.hours_worked, week.productive_hours) == (11, 11, 10)
    assert week.overall_efficiency == Decimal("100.00") and week.utilization_rate == Decimal("90.91")
    assert (week.stages_completed, week.first_time_right_rate, week.days_worked) == (2, 50, 2)
    assert week.rework_count == 2  # Thursday's rework and Wednesday's comeback
    assert rows[("monthly", date(2026, 11, 1))].flagged_hours == 11

    last_week = rows[("weekly", date(2026, 11, 9))]
    assert (last_week.hours_worked, last_week.overall_efficiency, last_week.performance_grade) == (0, None, None)
    assert counts["technician_performance_inserted"] == 12  # 2 technicians × 6 periods
    assert productivity(friday) == Decimal("125.00")


def productivity(card: TechnicianPerformance) -> Decimal | None:
    """Productivity = flagged ÷ attendance × 100 (§5.13); no column stores it, it follows from the stored hours."""
    return perf.ratio_percent(card.flagged_hours, card.hours_worked)


def test_running_twice_changes_nothing_and_new_work_updates_only_its_periods(example) -> None:
    shop, tech = example
    run_rollups(now=NOW)
    before = {key: (row.calculated_at, row.updated_at) for key, row in cards(tech.id).items()}

    again = run_rollups(now=NOW + timedelta(minutes=30))
    assert {k: v for k, v in again.items() if k != "shops" and v} == {}
    assert {key: (row.calculated_at, row.updated_at) for key, row in cards(tech.id).items()} == before

    factories.ProductionWorkflowFactory(
        repair_order=factories.repair_order_in(shop, ro_status="in_production"),
        assigned_technician=tech.id,
        stage_status="completed",
        estimated_hours=Decimal("2"),
        actual_end_date=at(20, 11),
    )
    later = NOW + timedelta(hours=1)
    counts = run_rollups(now=later)
    # Friday, this week and this month moved; Thursday, last week and last month did not.
    assert counts["technician_performance_updated"] == 3
    rows = cards(tech.id)
    assert rows[("daily", date(2026, 11, 20))].flagged_hours == 7
    assert rows[("daily", date(2026, 11, 20))].calculated_at == later
    assert rows[("daily", date(2026, 11, 19))].calculated_at == NOW


def test_only_the_given_shops_are_rolled_up(example) -> None:
    shop, tech = example
    other = factories.ShopFactory(timezone="UTC")
    stranger = factories.UserFactory(shop=other, role="technician")
    run_rollups(now=NOW, shops=[other.id])
    assert cards(tech.id) == {} and len(cards(stranger.id)) == 6


# --- scheduling capacity (§5.12) ------------------------------------------------------------------------------------


def capacity(shop_id: int, day: date, department: str) -> SchedulingCapacity | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(SchedulingCapacity).where(
            SchedulingCapacity.shop_id == shop_id,
            SchedulingCapacity.schedule_date == day,
            SchedulingCapacity.department == department,
        )
    )


@pytest.fixture
def planned(session):  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory(timezone="UTC")
    factories.UserFactory(shop=shop, role="technician", department="Body")
    factories.UserFactory(shop=shop, role="technician", department=" body ")
    factories.UserFactory(shop=shop, role="technician", department="Body", is_active=False)  # left the shop
    rush = factories.repair_order_in(shop, ro_status="in_production", is_rush=True)
    calm = factories.repair_order_in(shop, ro_status="in_production")

    def plan(ro: Any, stage_type: str, hours: str, start: datetime, **kwargs: Any) -> None:
        factories.ProductionWorkflowFactory(
            repair_order=ro,
            stage_type=stage_type,
            stage_name=stage_type,
            estimated_hours=Decimal(hours),
            planned_start_date=start,
            **kwargs,
        )

    plan(rush, "body_work", "6", at(20, 9), is_rush=True, priority="high")
    plan(calm, "disassembly", "2", at(20, 13))  # disassembly is body work too (§4)
    plan(calm, "paint_booth", "3", at(20, 14), stage_category="paint")
    plan(calm, "frame_repair", "4", at(20, 14), stage_status="bypassed", stage_category="structural")  # not needed
    plan(calm, "paint_finish", "2", at(21, 10), stage_category="paint")  # Saturday: the shop is closed
    return shop


def test_department_capacity_per_day(planned) -> None:
    shop = planned
    counts = run_rollups(now=NOW)

    body = capacity(shop.id, date(2026, 11, 20), "body")
    # Two technicians in body × 8 h; 6 + 2 h booked by two ROs, one of them a rush.
    assert (body.available_technicians, body.total_capacity_hours, body.scheduled_hours) == (2, 16, 8)
    assert (body.remaining_capacity_hours, body.utilization_percentage) == (8, 50)
    assert (body.jobs_scheduled, body.rush_jobs_scheduled, body.rush_hours_allocated) == (2, 1, 6)
    assert (body.priority_jobs_scheduled, body.average_job_duration) == (1, 4)
    assert (body.day_of_week, body.schedule_week, body.shift_name) == (5, 47, "day_shift")

    # No painter on staff: the reference's default paint capacity, 16 h a day.
    paint = capacity(shop.id, date(2026, 11, 20), "paint")
    assert (paint.available_technicians, paint.total_capacity_hours, paint.scheduled_hours) == (2, 16, 3)
    assert capacity(shop.id, date(2026, 11, 20), "frame") is None  # nothing booked, nobody assigned

    saturday = capacity(shop.id, date(2026, 11, 21), "paint")
    assert (saturday.total_capacity_hours, saturday.scheduled_hours, saturday.is_valid) == (0, 2, False)
    assert "Over-booked" in saturday.validation_errors[0]
    assert capacity(shop.id, date(2026, 11, 22), "body") is None  # Sunday, nothing booked
    # Yesterday through a week ahead.
    assert capacity(shop.id, date(2026, 11, 19), "body") is not None
    assert capacity(shop.id, date(2026, 11, 27), "body") is not None
    assert capacity(shop.id, date(2026, 11, 28), "body") is None
    assert counts["scheduling_capacity_inserted"] > 0


def test_capacity_is_idempotent_and_keeps_the_owners_figures(planned) -> None:
    shop = planned
    run_rollups(now=NOW)
    again = run_rollups(now=NOW)
    assert "scheduling_capacity_updated" not in again and "scheduling_capacity_inserted" not in again

    body = capacity(shop.id, date(2026, 11, 20), "body")
    body.planned_efficiency, body.blocked_hours = Decimal("75"), Decimal("2")
    paint = capacity(shop.id, date(2026, 11, 20), "paint")
    paint.schedule_status, paint.scheduled_hours = "locked", Decimal("1")
    db.session.commit()

    counts = run_rollups(now=NOW)
    body = capacity(shop.id, date(2026, 11, 20), "body")
    assert body.total_capacity_hours == 10  # 2 × 8 h × 75 % − 2 h blocked
    assert body.planned_efficiency == 75 and body.last_recalculated == NOW
    assert capacity(shop.id, date(2026, 11, 20), "paint").scheduled_hours == 1  # a locked day is left as it is
    assert counts["scheduling_capacity_updated"] == 1


def test_a_shop_that_fails_does_not_stop_the_others(example, monkeypatch) -> None:
    from collisionos.services import rollups

    shop, tech = example
    broken = factories.ShopFactory(timezone="UTC")
    original = rollups.technician_performance

    def technician_performance(shop_id: int, **kwargs: Any) -> Any:
        if shop_id == broken.id:
            raise ValueError("corrupt row")
        return original(shop_id, **kwargs)

    monkeypatch.setattr(rollups, "technician_performance", technician_performance)
    with pytest.raises(RuntimeError, match=f"shop #{broken.id}: corrupt row"):
        run_rollups(now=NOW)
    assert len(cards(tech.id)) == 6
