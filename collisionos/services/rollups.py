"""Nightly (and on demand) roll-ups: technician performance and department capacity (DOMAIN.md §5.12, §5.13).

``run_rollups(now=...)`` writes, per shop,

- ``technician_performance``: one row per technician and daily/weekly/monthly period, for the period containing
  ``now`` and the one before it (shop calendar; weeks start on Monday; ``period_end`` is the start of the next
  period). Flagged hours are the book hours (``estimated_hours``) of the production stages the technician completed
  in the period (credited to the assigned technician, else to whoever completed it); clocked hours are
  ``labor_time_entries.hours_worked`` of the entries clocked in during the period (cancelled ones left out);
  productive hours are those less the non-billable hours. Rework counts the technician's stages sent back for
  rework in the period plus the jobs assigned to them that came back (``jobs.come_back_date``) in it.
  The arithmetic (efficiency, utilization, productivity, rates, score and grade) is
  :mod:`collisionos.domain.performance`.
- ``scheduling_capacity``: one ``day_shift`` row per department per day from yesterday to a week ahead: scheduled
  hours are the estimated hours of the production stages planned (else started) on that day in the department the
  stage belongs to (§4); capacity is the department's active technicians (``users.department``) × 8 h × planned
  efficiency − blocked hours, or the reference's default department capacity when none is assigned; a day the shop
  is closed (shop setting ``workingHours``) has none. Owners' own figures on a row (planned efficiency, blocked hours)
  are kept, and locked or archived rows are not touched.

Idempotent: a row is written only when one of its figures changed, so a second run changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from collisionos.domain import performance as perf
from collisionos.domain.money import ZERO
from collisionos.domain.production import STAGE_BY_TYPE
from collisionos.domain.settings import merged_settings
from collisionos.extensions import db
from collisionos.models import (
    Job,
    LaborTimeEntry,
    ProductionWorkflow,
    SchedulingCapacity,
    Shop,
    TechnicianPerformance,
    User,
)
from collisionos.models.calculations import fit
from collisionos.models.enums import Role, StageStatus
from collisionos.services.audit import acting_as
from collisionos.services.unit_of_work import begin_write

log = logging.getLogger(__name__)

ACTOR_LABEL = "nightly roll-ups"
SHIFT = "day_shift"
DAYS_BACK, DAYS_AHEAD = 1, 7
UNTOUCHED_SCHEDULES = frozenset({"locked", "archived"})
PRIORITY_STAGE_PRIORITIES = frozenset({"high", "urgent", "critical"})


def run_rollups(*, now: datetime, shops: Iterable[Any] | None = None) -> dict[str, int]:
    """Roll up every active shop (or the given shops or shop ids); counts of rows inserted and updated."""
    query = sa.select(Shop.id, Shop.timezone, Shop.settings).where(Shop.is_active.is_(True)).order_by(Shop.id)
    if shops is not None:
        ids = [getattr(shop, "id", shop) for shop in shops]
        query = query.where(Shop.id.in_(ids))
    rows = db.session.execute(query).all()
    db.session.rollback()
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for shop in rows:
        zone = ZoneInfo(shop.timezone or "UTC")
        settings = merged_settings(shop.settings)
        begin_write()
        try:
            with acting_as(label=ACTOR_LABEL):
                shop_counts = technician_performance(shop.id, now=now, zone=zone)
                shop_counts.update(scheduling_capacity(shop.id, now=now, zone=zone, settings=settings))
                db.session.commit()
        except Exception as error:  # one shop's bad data must not stop the others' roll-ups
            db.session.rollback()
            log.exception("Roll-ups of shop #%s failed", shop.id)
            failures.append(f"shop #{shop.id}: {error}")
            continue
        except BaseException:
            db.session.rollback()
            raise
        counts.update(shop_counts)
        counts["shops"] += 1
    if failures:
        raise RuntimeError(f"Roll-ups failed for {len(failures)} shop(s): " + "; ".join(failures))
    return dict(counts)


def _store(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ from the row's (fitted to their columns); True when anything changed."""
    table = type(row).__table__
    changed = False
    for key, value in values.items():
        fitted = fit(table.c[key], value)
        if getattr(row, key) != fitted:
            setattr(row, key, fitted)
            changed = True
    return changed


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


# --- technician performance (§5.13) ---------------------------------------------------------------------------------


def technician_performance(shop_id: int, *, now: datetime, zone: ZoneInfo) -> Counter[str]:
    periods = perf.recent_periods(now, zone)
    start, end = min(p.start for p in periods), max(p.end for p in periods)

    pw = ProductionWorkflow
    done_at = sa.func.coalesce(pw.actual_end_date, pw.completion_date)
    stages = db.session.execute(
        sa.select(
            sa.func.coalesce(pw.assigned_technician, pw.completed_by).label("technician"),
            pw.estimated_hours,
            pw.first_time_right,
            done_at.label("done_at"),
        ).where(pw.shop_id == shop_id, pw.stage_status == StageStatus.COMPLETED, done_at >= start, done_at < end)
    ).all()
    reworks = db.session.execute(
        sa.select(pw.assigned_technician, pw.rework_date).where(
            pw.shop_id == shop_id,
            pw.assigned_technician.is_not(None),
            pw.rework_date >= start,
            pw.rework_date < end,
        )
    ).all()
    lte = LaborTimeEntry
    entries = db.session.execute(
        sa.select(
            lte.technician_id,
            lte.clock_in,
            lte.hours_worked,
            lte.non_billable_hours,
            lte.billable_hours,
            lte.overtime_hours,
            lte.labor_cost,
            lte.billable_amount,
        ).where(lte.shop_id == shop_id, lte.status != "cancelled", lte.clock_in >= start, lte.clock_in < end)
    ).all()
    comebacks = db.session.execute(
        sa.select(Job.assigned_to, Job.come_back_date).where(
            Job.shop_id == shop_id,
            Job.come_back.is_(True),
            Job.assigned_to.is_not(None),
            Job.come_back_date >= start,
            Job.come_back_date < end,
        )
    ).all()
    technicians = set(
        db.session.scalars(
            sa.select(User.id).where(User.shop_id == shop_id, User.role == Role.TECHNICIAN, User.is_active.is_(True))
        )
    )
    technicians |= {row.technician for row in stages if row.technician is not None}
    technicians |= {row.technician_id for row in entries}
    technicians |= {row.assigned_technician for row in reworks}
    technicians |= {row.assigned_to for row in comebacks}

    existing = {
        (row.technician_id, row.reporting_period, row.period_start): row
        for row in db.session.scalars(
            sa.select(TechnicianPerformance).where(
                TechnicianPerformance.technician_id.in_(technicians) if technicians else sa.false(),
                TechnicianPerformance.period_start.in_([p.start for p in periods]),
            )
        )
    }
    counts: Counter[str] = Counter()
    for period in periods:
        for technician in sorted(technicians):
            figures = _figures(technician, period, stages, entries, reworks, comebacks, zone)
            card = perf.scorecard(figures)
            values = {
                "period_end": period.end,
                "hours_worked": card.hours_worked,
                "productive_hours": card.productive_hours,
                "flagged_hours": card.flagged_hours,
                "billable_hours": card.billable_hours,
                "overtime_hours": card.overtime_hours,
                "overall_efficiency": card.efficiency,
                "utilization_rate": card.utilization,
                "stages_completed": card.stages_completed,
                "rework_count": card.rework_count,
                "rework_rate": card.rework_rate,
                "first_time_right_rate": card.first_time_right_rate,
                "days_worked": card.days_worked,
                "labor_cost_generated": card.labor_cost_generated,
                "revenue_generated": card.revenue_generated,
                "profit_generated": card.profit_generated,
                "cost_per_hour": card.cost_per_hour,
                "revenue_per_hour": card.revenue_per_hour,
                "profit_margin": card.profit_margin,
                "overall_score": card.overall_score,
                "performance_grade": card.performance_grade,
            }
            row = existing.get((technician, period.kind, period.start))
            if row is None:
                row = TechnicianPerformance(
                    shop_id=shop_id,
                    technician_id=technician,
                    reporting_period=period.kind,
                    period_start=period.start,
                    calculated_at=now,
                )
                _store(row, values)
                db.session.add(row)
                counts["technician_performance_inserted"] += 1
            elif _store(row, values):
                row.calculated_at = now
                counts["technician_performance_updated"] += 1
    db.session.flush()
    return counts


def _figures(
    technician: int,
    period: perf.Period,
    stages: list[Any],
    entries: list[Any],
    reworks: list[Any],
    comebacks: list[Any],
    zone: ZoneInfo,
) -> perf.TechnicianFigures:
    start, end = period.start, period.end
    done = [s for s in stages if s.technician == technician and _in(_aware(s.done_at), start, end)]
    clocked = [e for e in entries if e.technician_id == technician and _in(e.clock_in, start, end)]

    def total(name: str) -> Decimal:
        return sum((Decimal(getattr(e, name) or 0) for e in clocked), ZERO)

    return perf.TechnicianFigures(
        flagged_hours=sum((Decimal(s.estimated_hours or 0) for s in done), ZERO),
        clocked_hours=total("hours_worked"),
        non_billable_hours=total("non_billable_hours"),
        billable_hours=total("billable_hours"),
        overtime_hours=total("overtime_hours"),
        labor_cost=total("labor_cost"),
        revenue=total("billable_amount"),
        stages_completed=len(done),
        first_time_right_stages=sum(1 for s in done if s.first_time_right),
        reworks=sum(1 for r in reworks if r.assigned_technician == technician and _in(r.rework_date, start, end)),
        comebacks=sum(1 for c in comebacks if c.assigned_to == technician and _in(c.come_back_date, start, end)),
        days_worked=len({e.clock_in.astimezone(zone).date() for e in clocked}),
    )


def _aware(value: Any) -> datetime | None:
    """A coalesce() of timestamps may come back as text on SQLite: parse it, aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# --- scheduling capacity (§5.12) ------------------------------------------------------------------------------------


def scheduling_capacity(shop_id: int, *, now: datetime, zone: ZoneInfo, settings: dict[str, Any]) -> Counter[str]:
    today = now.astimezone(zone).date()
    days = [today + timedelta(days=offset) for offset in range(-DAYS_BACK, DAYS_AHEAD + 1)]
    start, end = perf.local_midnight(days[0], zone), perf.local_midnight(days[-1] + timedelta(days=1), zone)

    staff: Counter[str] = Counter(
        perf.department_key(department)
        for department in db.session.scalars(
            sa.select(User.department).where(
                User.shop_id == shop_id, User.role == Role.TECHNICIAN, User.is_active.is_(True)
            )
        )
        if department
    )
    pw = ProductionWorkflow
    planned = sa.func.coalesce(pw.planned_start_date, pw.actual_start_date)
    rows = db.session.execute(
        sa.select(
            pw.repair_order_id, pw.stage_type, pw.estimated_hours, pw.is_rush, pw.priority, planned.label("planned")
        ).where(
            pw.shop_id == shop_id,
            pw.stage_status != StageStatus.BYPASSED,
            planned >= start,
            planned < end,
        )
    ).all()
    booked: dict[tuple[date, str], list[Any]] = defaultdict(list)
    for row in rows:
        stage = STAGE_BY_TYPE.get(row.stage_type)
        if stage is None:
            continue
        booked[(_aware(row.planned).astimezone(zone).date(), stage.department)].append(row)

    departments = sorted({stage.department for stage in STAGE_BY_TYPE.values()} | set(perf.DEFAULT_DEPARTMENT_HOURS))
    existing = {
        (row.schedule_date, row.department): row
        for row in db.session.scalars(
            sa.select(SchedulingCapacity).where(
                SchedulingCapacity.shop_id == shop_id,
                SchedulingCapacity.shift_name == SHIFT,
                SchedulingCapacity.schedule_date.in_(days),
            )
        )
    }
    counts: Counter[str] = Counter()
    for day in days:
        works, opens, closes = perf.working_day(settings.get("workingHours"), day)
        for department in departments:
            row = existing.get((day, department))
            if row is not None and row.schedule_status in UNTOUCHED_SCHEDULES:
                continue
            efficiency = row.planned_efficiency if row is not None and row.planned_efficiency is not None else 100
            blocked = row.blocked_hours if row is not None and row.blocked_hours is not None else ZERO
            capacity = perf.department_capacity(
                department, staff.get(department, 0), works=works, planned_efficiency=efficiency, blocked_hours=blocked
            )
            stages = booked.get((day, department), [])
            scheduled = sum((Decimal(s.estimated_hours or 0) for s in stages), ZERO)
            if row is None and not capacity.total_capacity_hours and not scheduled:
                continue
            jobs = {s.repair_order_id for s in stages}
            rush = [s for s in stages if s.is_rush]
            priority = [s for s in stages if s.priority in PRIORITY_STAGE_PRIORITIES]
            iso = day.isocalendar()
            values = {
                "schedule_week": iso.week,
                "schedule_month": day.month,
                "schedule_year": day.year,
                "day_of_week": iso.weekday,
                "shift_start_time": opens if works else None,
                "shift_end_time": closes if works else None,
                "shift_hours": capacity.shift_hours,
                "available_technicians": capacity.available_technicians,
                "total_capacity_hours": capacity.total_capacity_hours,
                "scheduled_hours": scheduled,
                "jobs_scheduled": len(jobs),
                "rush_jobs_scheduled": len({s.repair_order_id for s in rush}),
                "priority_jobs_scheduled": len({s.repair_order_id for s in priority}),
                "rush_hours_allocated": sum((Decimal(s.estimated_hours or 0) for s in rush), ZERO),
                "priority_hours_allocated": sum((Decimal(s.estimated_hours or 0) for s in priority), ZERO),
                "average_job_duration": (scheduled / len(jobs)) if jobs else None,
            }
            if row is None:
                row = SchedulingCapacity(
                    shop_id=shop_id,
                    schedule_date=day,
                    department=department,
                    shift_name=SHIFT,
                    last_recalculated=now,
                    recalculation_trigger=ACTOR_LABEL,
                )
                _store(row, values)
                db.session.add(row)
                counts["scheduling_capacity_inserted"] += 1
            elif _store(row, values):
                row.last_recalculated, row.recalculation_trigger = now, ACTOR_LABEL
                counts["scheduling_capacity_updated"] += 1
    db.session.flush()
    return counts
