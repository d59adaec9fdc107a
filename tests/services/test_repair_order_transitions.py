"""Every move on the §3.1 table succeeds when its guards are met; every other move is refused and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collisionos.domain.errors import TransitionRefused
from collisionos.domain.repair_orders import SUPPLEMENT_STATUSES
from collisionos.domain.transitions import PREVIOUS, REPAIR_ORDER
from collisionos.extensions import db
from collisionos.models import RepairOrder
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.enums import StageStatus
from collisionos.services import repair_orders as svc
from tests.workflow import NOW, add_line, open_ro, reload, shop_with_stages, staff

BACK_TO = R.IN_PRODUCTION  # what "previous" stands for in these tests
ALLOWED = sorted(
    (current, BACK_TO if target == PREVIOUS else target)
    for current, targets in REPAIR_ORDER.items()
    for target in targets
    if target not in SUPPLEMENT_STATUSES
)
REFUSED = sorted(
    (current, target)
    for current in R
    for target in R
    if target not in REPAIR_ORDER[current]
    and target not in SUPPLEMENT_STATUSES
    and not (PREVIOUS in REPAIR_ORDER[current] and target == BACK_TO)
)


def ro_in(status: str, *, qc_required: bool = True) -> tuple[RepairOrder, object, object]:
    """An RO in ``status`` that meets every guard: estimate lines priced 0, stages done, QC passed, nothing owed."""
    shop = shop_with_stages()
    manager = staff(shop, "manager")
    ro = open_ro(shop, manager, claim=False)
    add_line(shop, ro, manager, "labor", "0.00")
    ro = reload(RepairOrder, ro.id)
    for row in ro.production_rows:
        row.stage_status = StageStatus.COMPLETED
    ro.ro_status, ro.previous_status = status, BACK_TO
    ro.qc_passed, ro.qc_required = True, qc_required
    ro.date_estimate_approved = NOW
    db.session.commit()
    return ro, shop, manager


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_every_allowed_move_succeeds(app_ctx, current, target):
    # Straight from production to completed is only for ROs without QC (the other guard is tested elsewhere).
    ro, shop, manager = ro_in(current, qc_required=(current, target) != (R.IN_PRODUCTION, R.COMPLETED))
    reason = "test" if target == R.CANCELLED else None
    svc.transition_repair_order(shop.id, ro.id, target, actor=manager, now=NOW, reason=reason)
    ro = reload(RepairOrder, ro.id)
    assert (ro.ro_status, ro.previous_status, ro.status_changed_by) == (target, current, manager.id)


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_every_other_move_is_refused_and_changes_nothing(app_ctx, current, target):
    ro, shop, manager = ro_in(current)
    with pytest.raises(TransitionRefused) as refused:
        svc.transition_repair_order(shop.id, ro.id, target, actor=manager, now=NOW, reason="test")
    assert ro.repair_order_number in str(refused.value)
    ro = reload(RepairOrder, ro.id)
    assert (ro.ro_status, ro.status_change_date, ro.approved_total) == (current, None, Decimal("0.00"))


def test_the_tables_cover_every_status():
    assert {c for c, _ in ALLOWED} | {c for c, _ in REFUSED} == set(R)
