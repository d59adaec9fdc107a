"""Figures for the home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from collisionos.domain.parts import AWAITING_DELIVERY
from collisionos.domain.repair_orders import OPEN_STATUSES
from collisionos.extensions import db
from collisionos.models import LoanerVehicle, PartLine, RepairOrder
from collisionos.models.base import utcnow
from collisionos.models.enums import LoanerStatus, RepairOrderStatus


@dataclass(frozen=True)
class HomeCounts:
    open_repair_orders: int
    on_hold: int
    parts_overdue: int
    loaners_out: int
    by_status: list[tuple[str, int]]


def home_counts(shop_id: int, now: datetime | None = None) -> HomeCounts:
    """Count the shop's open work: ROs by status, ROs on hold, overdue parts, loaners out."""
    now = now or utcnow()
    open_filter = (RepairOrder.shop_id == shop_id, RepairOrder.ro_status.in_(sorted(OPEN_STATUSES)))
    by_status = db.session.execute(
        sa.select(RepairOrder.ro_status, sa.func.count()).where(*open_filter).group_by(RepairOrder.ro_status)
    ).all()
    workflow_order = {status: n for n, status in enumerate(RepairOrderStatus)}
    by_status = sorted(by_status, key=lambda row: workflow_order.get(row[0], len(workflow_order)))
    on_hold = db.session.scalar(sa.select(sa.func.count()).where(*open_filter, RepairOrder.is_on_hold.is_(True)))
    parts_overdue = db.session.scalar(
        sa.select(sa.func.count()).where(
            PartLine.shop_id == shop_id,
            PartLine.part_status.in_(sorted(AWAITING_DELIVERY)),
            PartLine.estimated_delivery_date < now,
        )
    )
    loaners_out = db.session.scalar(
        sa.select(sa.func.count()).where(
            LoanerVehicle.shop_id == shop_id, LoanerVehicle.current_status == LoanerStatus.RENTED
        )
    )
    return HomeCounts(
        open_repair_orders=sum(n for _, n in by_status),
        on_hold=on_hold or 0,
        parts_overdue=parts_overdue or 0,
        loaners_out=loaners_out or 0,
        by_status=[(status, n) for status, n in by_status],
    )
