"""Holds and the SLA clock (DOMAIN.md §5.7): due date, overdue days and the risk colour of an RO."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from collisionos.domain.settings import HOLD_REASONS, SLA_TARGET_DAYS

GREEN, YELLOW, RED, CRITICAL = "green", "yellow", "red", "critical"
DEFAULT_TARGET_DAYS = 10


def hold_days(start: datetime, end: datetime) -> int:
    """Whole days a hold lasted, any part of a day counting as one: ceil((end − start) in days)."""
    seconds = max(0.0, (end - start).total_seconds())
    return math.ceil(seconds / 86400)


def pauses_sla(reason: str | None, reasons: dict | None = None) -> bool:
    """Holds caused by the customer or the insurer stop the SLA clock; the shop's own delays do not."""
    table = reasons or HOLD_REASONS
    return bool(reason and table.get(reason, {}).get("pausesSla"))


def target_days(sla_type: str | None, explicit: int | None, targets: dict | None = None) -> int:
    """Days allowed: the RO's own target, else the shop's default for its SLA type."""
    if explicit:
        return explicit
    table = targets or SLA_TARGET_DAYS
    return int(table.get(sla_type or "standard", DEFAULT_TARGET_DAYS))


@dataclass(frozen=True)
class SlaState:
    due: datetime
    is_overdue: bool
    overdue_by: int
    risk: str


def sla_state(
    *,
    now: datetime,
    started: datetime,
    allowed_days: int,
    promised: datetime | None,
    paused_days: int,
    paused_since: datetime | None,
    on_hold: bool,
    all_parts_received: bool,
    closed: bool,
    local_date: Callable[[datetime], date],
) -> SlaState:
    """Work out the SLA of an open RO.

    ``paused_days`` are whole days of finished holds that pause the clock; ``paused_since`` is the start
    of a running one. ``local_date`` turns an instant into the shop's calendar day (overdue is counted
    in whole shop days).
    """
    running_pause = (now - paused_since) if paused_since else timedelta(0)
    pause = timedelta(days=paused_days) + running_pause
    base_due = promised if promised is not None else started + timedelta(days=allowed_days)
    due = base_due + pause
    if closed:
        return SlaState(due=due, is_overdue=False, overdue_by=0, risk=GREEN)
    overdue_by = max(0, (local_date(now) - local_date(due)).days)
    is_overdue = overdue_by > 0
    allowed = (due - started - pause).total_seconds()
    elapsed = (now - started - pause).total_seconds()
    consumed = elapsed / allowed if allowed > 0 else (1.0 if elapsed >= 0 else 0.0)
    if is_overdue and (overdue_by > 3 or on_hold):
        risk = CRITICAL
    elif is_overdue or (consumed >= 0.9 and not all_parts_received):
        risk = RED
    elif consumed >= 0.75:
        risk = YELLOW
    else:
        risk = GREEN
    return SlaState(due=due, is_overdue=is_overdue, overdue_by=overdue_by, risk=risk)
