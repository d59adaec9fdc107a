"""Holds and SLA (DOMAIN.md §5.7): hold days, the pausing reasons, due date, overdue days and the risk colour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collisionos.domain import sla

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def state(now: datetime, **kwargs):  # type: ignore[no-untyped-def]
    values = dict(
        now=now,
        started=START,
        allowed_days=10,
        promised=None,
        paused_days=0,
        paused_since=None,
        on_hold=False,
        all_parts_received=True,
        closed=False,
        local_date=lambda instant: instant.date(),
    )
    values.update(kwargs)
    return sla.sla_state(**values)


@pytest.mark.parametrize(("hours", "days"), [(0, 0), (1, 1), (24, 1), (24.01, 2), (72, 3), (73, 4)])
def test_hold_days_count_any_part_of_a_day_as_one(hours, days):
    assert sla.hold_days(START, START + timedelta(hours=hours)) == days


@pytest.mark.parametrize(
    ("reason", "pauses"),
    [
        ("customer_approval", True),
        ("insurance_approval", True),
        ("supplement_review", True),
        ("customer_request", True),
        ("payment_issue", True),
        ("parts_delay", False),
        ("technician_unavailable", False),
        ("equipment_down", False),
        ("other", False),
        (None, False),
    ],
)
def test_only_customer_and_insurer_holds_pause_the_clock(reason, pauses):
    assert sla.pauses_sla(reason) is pauses


@pytest.mark.parametrize(
    ("sla_type", "days"), [("express", 3), ("priority", 5), ("fleet", 7), ("standard", 10), (None, 10)]
)
def test_target_days_by_sla_type(sla_type, days):
    assert sla.target_days(sla_type, None) == days


def test_an_ro_target_wins_over_the_type_default():
    assert sla.target_days("express", 12) == 12


def test_due_date_is_start_plus_target_days_moved_by_paused_days():
    assert state(START, paused_days=0).due == START + timedelta(days=10)
    assert state(START, paused_days=3).due == START + timedelta(days=13)


def test_promised_date_wins_over_the_target():
    promised = START + timedelta(days=4)
    assert state(START, promised=promised).due == promised


def test_a_running_pausing_hold_moves_the_due_date_as_it_lasts():
    now = START + timedelta(days=12)
    running = state(now, paused_since=START + timedelta(days=9), on_hold=True)
    assert running.due == START + timedelta(days=13)
    assert not running.is_overdue


@pytest.mark.parametrize(
    ("elapsed_days", "parts_in", "risk"),
    [
        (1, True, "green"),
        (7.4, True, "green"),
        (7.5, True, "yellow"),  # 75 % of 10 days
        (9.5, True, "yellow"),
        (9.0, False, "red"),  # 90 % used and parts still out
        (8.9, False, "yellow"),
        (11, True, "red"),  # 1 day overdue
        (13, True, "red"),  # 3 days overdue
        (14, True, "critical"),  # more than 3 days overdue
    ],
)
def test_risk_levels(elapsed_days, parts_in, risk):
    result = state(START + timedelta(days=elapsed_days), all_parts_received=parts_in)
    assert result.risk == risk


def test_overdue_counts_whole_calendar_days_past_the_due_day():
    result = state(START + timedelta(days=12, hours=1))
    assert result.is_overdue and result.overdue_by == 2


def test_due_today_is_not_overdue():
    result = state(START + timedelta(days=10, hours=5))
    assert not result.is_overdue and result.overdue_by == 0


def test_overdue_while_on_hold_is_critical():
    result = state(START + timedelta(days=11), on_hold=True)
    assert result.risk == "critical"


def test_a_closed_ro_is_never_overdue():
    result = state(START + timedelta(days=40), closed=True)
    assert (result.is_overdue, result.overdue_by, result.risk) == (False, 0, "green")
