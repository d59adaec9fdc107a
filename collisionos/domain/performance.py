"""Technician performance and department capacity roll-ups (DOMAIN.md §5.12, §5.13): plain arithmetic.

The nightly roll-up (``collisionos/services/rollups.py``) gathers the figures per technician and period, and per
department and day; everything derived from them is worked out here. Decimal throughout, never float; a ratio
over zero is None (undefined), not 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from collisionos.domain.calculations import Number, decimal_of, ratio_percent, round_to
from collisionos.domain.money import HUNDRED, ZERO, to_money

# Reporting periods the roll-up writes (technician_performance.reporting_period).
DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
PERIODS = (DAILY, WEEKLY, MONTHLY)

# §5.13 overall score: factor -> (weight, scale the factor is divided by).
SCORE_WEIGHTS = {
    "quality": (Decimal(30), Decimal(5)),
    "efficiency": (Decimal(25), HUNDRED),
    "utilization": (Decimal(20), HUNDRED),
    "customer_rating": (Decimal(15), Decimal(5)),
    "safety": (Decimal(10), Decimal(5)),
}
# §5.13 grade bands, highest first.
GRADES = (
    (Decimal(97), "A+"),
    (Decimal(93), "A"),
    (Decimal(90), "A-"),
    (Decimal(87), "B+"),
    (Decimal(83), "B"),
    (Decimal(80), "B-"),
    (Decimal(77), "C+"),
    (Decimal(73), "C"),
    (Decimal(70), "C-"),
    (Decimal(60), "D"),
)

# §5.12: a technician's day, and the default capacity of the departments the reference names (hours per day),
# used when no technician of the shop is assigned to the department.
TECHNICIAN_DAY_HOURS = Decimal(8)
DEFAULT_DEPARTMENT_HOURS = {
    "body": Decimal(32),
    "paint": Decimal(16),
    "mechanical": Decimal(24),
    "detailing": Decimal(16),
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- periods --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime  # aware, UTC: local midnight of the first day
    end: datetime  # aware, UTC: local midnight of the day after the last day (exclusive)
    first_day: date
    last_day: date


def _first_day(kind: str, day: date) -> date:
    if kind == DAILY:
        return day
    if kind == WEEKLY:
        return day - timedelta(days=day.weekday())
    if kind == MONTHLY:
        return day.replace(day=1)
    raise ValueError(f"unknown reporting period {kind!r}")


def _next_first_day(kind: str, first: date) -> date:
    if kind == DAILY:
        return first + timedelta(days=1)
    if kind == WEEKLY:
        return first + timedelta(days=7)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a shop-local day begins, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def period_containing(kind: str, moment: datetime, zone: ZoneInfo) -> Period:
    """The daily/weekly (Monday-start)/monthly period of the shop's calendar that contains ``moment``."""
    first = _first_day(kind, moment.astimezone(zone).date())
    following = _next_first_day(kind, first)
    return Period(kind, local_midnight(first, zone), local_midnight(following, zone), first, following - timedelta(1))


def previous_period(period: Period, zone: ZoneInfo) -> Period:
    first = _first_day(period.kind, period.first_day - timedelta(days=1))
    return Period(period.kind, local_midnight(first, zone), period.start, first, period.first_day - timedelta(1))


def recent_periods(moment: datetime, zone: ZoneInfo) -> list[Period]:
    """For each reporting period: the one containing ``moment`` and the one before it."""
    periods = []
    for kind in PERIODS:
        current = period_containing(kind, moment, zone)
        periods += [previous_period(current, zone), current]
    return periods


# --- technician performance (§5.13) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TechnicianFigures:
    """What the roll-up counted for one technician in one period."""

    flagged_hours: Decimal = ZERO  # book hours of the stages the technician completed
    clocked_hours: Decimal = ZERO  # Σ labor_time_entries.hours_worked (attendance, as far as the app knows)
    non_billable_hours: Decimal = ZERO
    billable_hours: Decimal = ZERO
    overtime_hours: Decimal = ZERO
    labor_cost: Decimal = ZERO
    revenue: Decimal = ZERO
    stages_completed: int = 0
    first_time_right_stages: int = 0
    reworks: int = 0  # the technician's stages sent back for rework in the period
    comebacks: int = 0  # the technician's jobs that came back after delivery in the period
    days_worked: int = 0


@dataclass(frozen=True)
class TechnicianScorecard:
    hours_worked: Decimal
    productive_hours: Decimal
    flagged_hours: Decimal
    billable_hours: Decimal
    overtime_hours: Decimal
    efficiency: Decimal | None  # flagged ÷ clocked × 100
    utilization: Decimal | None  # productive ÷ attendance × 100
    productivity: Decimal | None  # flagged ÷ attendance × 100 (no column: shown, not stored)
    stages_completed: int
    rework_count: int
    rework_rate: Decimal | None
    first_time_right_rate: Decimal | None
    days_worked: int
    labor_cost_generated: Decimal
    revenue_generated: Decimal
    profit_generated: Decimal
    cost_per_hour: Decimal | None
    revenue_per_hour: Decimal | None
    profit_margin: Decimal | None
    overall_score: Decimal | None
    performance_grade: str | None


def _hours(value: Number) -> Decimal:
    return round_to(decimal_of(value), 2)


def efficiency_percent(flagged: Number, clocked: Number) -> Decimal | None:
    """Flagged ÷ clocked × 100; above 100 is faster than book (§5.13)."""
    return ratio_percent(flagged, clocked)


def overall_score(
    *,
    quality: Number = None,
    efficiency: Number = None,
    utilization: Number = None,
    customer_rating: Number = None,
    safety: Number = None,
) -> Decimal | None:
    """Weighted mean of the factors that are known, × 100; efficiency capped at 100 inside the score (§5.13)."""
    factors = {
        "quality": quality,
        "efficiency": None if efficiency is None else min(decimal_of(efficiency), HUNDRED),
        "utilization": utilization,
        "customer_rating": customer_rating,
        "safety": safety,
    }
    weighted, weights = ZERO, ZERO
    for name, value in factors.items():
        if value is None:
            continue
        weight, scale = SCORE_WEIGHTS[name]
        weighted += weight * decimal_of(value) / scale
        weights += weight
    if not weights:
        return None
    return min(HUNDRED, round_to(weighted / weights * HUNDRED, 2))


def grade(score: Number) -> str | None:
    """The §5.13 letter grade of an overall score (None without a score)."""
    if score is None:
        return None
    value = decimal_of(score)
    return next((letter for floor, letter in GRADES if value >= floor), "F")


def scorecard(figures: TechnicianFigures) -> TechnicianScorecard:
    """Every derived figure of a technician's period (§5.13 and the H10 hook)."""
    attendance = _hours(figures.clocked_hours)
    productive = _hours(max(ZERO, attendance - decimal_of(figures.non_billable_hours)))
    flagged = _hours(figures.flagged_hours)
    efficiency = efficiency_percent(flagged, attendance)
    utilization = ratio_percent(productive, attendance)
    productivity = ratio_percent(flagged, attendance)
    rework = figures.reworks + figures.comebacks
    labor_cost, revenue = to_money(figures.labor_cost), to_money(figures.revenue)
    profit = to_money(revenue - labor_cost)
    score = overall_score(efficiency=efficiency, utilization=utilization)
    return TechnicianScorecard(
        hours_worked=attendance,
        productive_hours=productive,
        flagged_hours=flagged,
        billable_hours=_hours(figures.billable_hours),
        overtime_hours=_hours(figures.overtime_hours),
        efficiency=efficiency,
        utilization=utilization,
        productivity=productivity,
        stages_completed=figures.stages_completed,
        rework_count=rework,
        rework_rate=ratio_percent(rework, figures.stages_completed),
        first_time_right_rate=ratio_percent(figures.first_time_right_stages, figures.stages_completed),
        days_worked=figures.days_worked,
        labor_cost_generated=labor_cost,
        revenue_generated=revenue,
        profit_generated=profit,
        cost_per_hour=None if attendance == 0 else to_money(labor_cost / attendance),
        revenue_per_hour=None if attendance == 0 else to_money(revenue / attendance),
        profit_margin=ratio_percent(profit, revenue),
        overall_score=score,
        performance_grade=grade(score),
    )


# --- department capacity (§5.12) ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentDay:
    available_technicians: int
    shift_hours: Decimal
    total_capacity_hours: Decimal


def working_day(working_hours: dict | None, day: date) -> tuple[bool, time | None, time | None]:
    """Whether the shop works on ``day`` and its opening hours (shop setting ``workingHours``)."""
    entry = (working_hours or {}).get(WEEKDAYS[day.weekday()]) or {}
    enabled = bool(entry.get("enabled", day.weekday() < 5))
    start, end = entry.get("start"), entry.get("end")
    return enabled, time.fromisoformat(start) if start else None, time.fromisoformat(end) if end else None


def department_capacity(
    department: str,
    technicians: int,
    *,
    works: bool,
    planned_efficiency: Number = HUNDRED,
    blocked_hours: Number = ZERO,
    defaults: dict[str, Decimal] | None = None,
) -> DepartmentDay:
    """Technicians × 8 h × planned efficiency − blocked hours (§5.12).

    A department none of the shop's technicians is assigned to gets the reference's default capacity
    (body 32 h, paint 16 h, mechanical 24 h, detailing 16 h a day), i.e. that many 8-hour technicians.
    A day the shop is closed has no capacity.
    """
    table = DEFAULT_DEPARTMENT_HOURS if defaults is None else defaults
    if not works:
        return DepartmentDay(0, TECHNICIAN_DAY_HOURS, ZERO)
    if technicians <= 0 and department in table:
        technicians = int(decimal_of(table[department]) / TECHNICIAN_DAY_HOURS)
    total = technicians * TECHNICIAN_DAY_HOURS * decimal_of(planned_efficiency) / HUNDRED - decimal_of(blocked_hours)
    return DepartmentDay(technicians, TECHNICIAN_DAY_HOURS, _hours(max(ZERO, total)))


def department_key(value: str | None) -> str:
    """A user's free-text department as a scheduling department name ("Quality Control" -> quality_control)."""
    return "_".join((value or "").strip().lower().replace("-", " ").split())
