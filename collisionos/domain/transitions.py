"""The state machines of DOMAIN.md §3 as data: which status may follow which.

Guards (what must be true before a move) and side effects belong to the workflow services; this
module answers only "is this move on the table?" and says so in words a shop manager reads.
"""

from __future__ import annotations

from collections.abc import Mapping

from collisionos.domain.errors import TransitionRefused
from collisionos.models.enums import ClaimStatus as C
from collisionos.models.enums import LoanerStatus as L
from collisionos.models.enums import PartStatus as P
from collisionos.models.enums import PurchaseOrderStatus as PO
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.enums import ReservationStatus as RS
from collisionos.models.enums import StageStatus as S

# "previous" stands for "back to the status before" (§3.1 supplement denied, customer approval; §3.2 hold release).
PREVIOUS = "previous"

_BEFORE_DELIVERY = (
    R.DRAFT,
    R.ESTIMATE_PENDING,
    R.ESTIMATE_APPROVED,
    R.PARTS_ORDERED,
    R.PARTS_HOLD,
    R.IN_PRODUCTION,
    R.QUALITY_CONTROL,
    R.SUPPLEMENT_PENDING,
    R.SUPPLEMENT_APPROVED,
    R.CUSTOMER_APPROVAL,
    R.COMPLETED,
    R.READY_FOR_DELIVERY,
)

# §3.1 RepairOrderManagement.ro_status. Cancelling is allowed from any state before delivery.
_REPAIR_ORDER_MOVES: Mapping[str, frozenset[str]] = {
    R.DRAFT: frozenset({R.ESTIMATE_PENDING}),
    R.ESTIMATE_PENDING: frozenset({R.ESTIMATE_APPROVED, R.DRAFT, R.CUSTOMER_APPROVAL}),
    R.ESTIMATE_APPROVED: frozenset({R.PARTS_ORDERED, R.PARTS_HOLD, R.IN_PRODUCTION, R.SUPPLEMENT_PENDING}),
    R.PARTS_ORDERED: frozenset({R.PARTS_HOLD, R.IN_PRODUCTION, R.SUPPLEMENT_PENDING}),
    R.PARTS_HOLD: frozenset({R.PARTS_ORDERED, R.IN_PRODUCTION, R.SUPPLEMENT_PENDING}),
    R.IN_PRODUCTION: frozenset(
        {R.QUALITY_CONTROL, R.PARTS_HOLD, R.SUPPLEMENT_PENDING, R.CUSTOMER_APPROVAL, R.COMPLETED}
    ),
    R.SUPPLEMENT_PENDING: frozenset({R.SUPPLEMENT_APPROVED, PREVIOUS, R.CUSTOMER_APPROVAL}),
    R.SUPPLEMENT_APPROVED: frozenset({R.PARTS_ORDERED, R.IN_PRODUCTION, R.QUALITY_CONTROL}),
    R.CUSTOMER_APPROVAL: frozenset({PREVIOUS, R.IN_PRODUCTION, R.READY_FOR_DELIVERY}),
    R.QUALITY_CONTROL: frozenset({R.COMPLETED, R.IN_PRODUCTION}),
    R.COMPLETED: frozenset({R.READY_FOR_DELIVERY}),
    R.READY_FOR_DELIVERY: frozenset({R.DELIVERED, R.IN_PRODUCTION}),
    R.DELIVERED: frozenset({R.INVOICED}),
    R.INVOICED: frozenset({R.PAID}),
    R.PAID: frozenset({R.ARCHIVED}),
    R.CANCELLED: frozenset({R.ARCHIVED}),
    R.ARCHIVED: frozenset(),
}
REPAIR_ORDER: Mapping[str, frozenset[str]] = {
    status: targets | (frozenset({R.CANCELLED}) if status in _BEFORE_DELIVERY else frozenset())
    for status, targets in _REPAIR_ORDER_MOVES.items()
}

# §3.2 ProductionWorkflow.stage_status.
STAGE: Mapping[str, frozenset[str]] = {
    S.PENDING: frozenset({S.READY, S.BYPASSED}),
    S.READY: frozenset({S.IN_PROGRESS, S.ON_HOLD, S.BYPASSED, S.PENDING}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.ON_HOLD, S.FAILED}),
    S.ON_HOLD: frozenset({PREVIOUS}),
    S.FAILED: frozenset({S.REWORK}),
    S.REWORK: frozenset({S.IN_PROGRESS}),
    S.COMPLETED: frozenset({S.REWORK}),
    S.BYPASSED: frozenset(),
}

# §3.3 AdvancedPartsManagement.part_status (reference moves plus the ones marked (p)).
PART: Mapping[str, frozenset[str]] = {
    P.NEEDED: frozenset({P.SOURCING, P.ORDERED, P.CANCELLED}),
    P.SOURCING: frozenset({P.ORDERED, P.NEEDED, P.CANCELLED, P.QUOTED}),
    P.QUOTED: frozenset({P.ORDERED, P.SOURCING, P.NEEDED, P.CANCELLED}),
    P.ORDERED: frozenset({P.BACKORDERED, P.RECEIVED, P.CANCELLED, P.SHIPPED}),
    P.BACKORDERED: frozenset({P.RECEIVED, P.CANCELLED, P.SHIPPED, P.ORDERED}),
    P.SHIPPED: frozenset({P.RECEIVED, P.BACKORDERED}),
    P.RECEIVED: frozenset({P.INSTALLED, P.RETURNED, P.INSPECTED}),
    P.INSPECTED: frozenset({P.INSTALLED, P.RETURNED}),
    P.INSTALLED: frozenset({P.RETURNED}),
    P.RETURNED: frozenset({P.NEEDED, P.CANCELLED}),
    P.CANCELLED: frozenset({P.NEEDED}),
}

# §3.4 PurchaseOrderSystem.po_status.
PURCHASE_ORDER: Mapping[str, frozenset[str]] = {
    PO.DRAFT: frozenset({PO.PENDING_APPROVAL, PO.SENT, PO.CANCELLED}),
    PO.PENDING_APPROVAL: frozenset({PO.APPROVED, PO.DRAFT, PO.CANCELLED}),
    PO.APPROVED: frozenset({PO.SENT, PO.CANCELLED}),
    PO.SENT: frozenset({PO.ACKNOWLEDGED, PO.PARTIAL_RECEIVED, PO.FULLY_RECEIVED, PO.DISPUTED, PO.CANCELLED}),
    PO.ACKNOWLEDGED: frozenset({PO.PARTIAL_RECEIVED, PO.FULLY_RECEIVED, PO.DISPUTED, PO.CANCELLED}),
    PO.PARTIAL_RECEIVED: frozenset({PO.PARTIAL_RECEIVED, PO.FULLY_RECEIVED, PO.DISPUTED, PO.CLOSED}),
    PO.FULLY_RECEIVED: frozenset({PO.CLOSED, PO.DISPUTED}),
    PO.DISPUTED: frozenset({PO.ACKNOWLEDGED, PO.PARTIAL_RECEIVED, PO.FULLY_RECEIVED, PO.CLOSED}),
    PO.CLOSED: frozenset(),
    PO.CANCELLED: frozenset(),
}

# §3.5 LoanerFleetManagement.current_status.
LOANER: Mapping[str, frozenset[str]] = {
    L.AVAILABLE: frozenset(
        {L.RESERVED, L.RENTED, L.CLEANING, L.INSPECTION, L.MAINTENANCE, L.OUT_OF_SERVICE, L.RETIRED}
    ),
    L.RESERVED: frozenset({L.RENTED, L.AVAILABLE}),
    L.RENTED: frozenset({L.AVAILABLE, L.CLEANING, L.INSPECTION, L.MAINTENANCE, L.ACCIDENT_DAMAGE}),
    L.CLEANING: frozenset({L.AVAILABLE, L.INSPECTION}),
    L.INSPECTION: frozenset({L.AVAILABLE, L.MAINTENANCE, L.OUT_OF_SERVICE}),
    L.MAINTENANCE: frozenset({L.INSPECTION, L.AVAILABLE, L.OUT_OF_SERVICE}),
    L.ACCIDENT_DAMAGE: frozenset({L.MAINTENANCE, L.OUT_OF_SERVICE, L.RETIRED}),
    L.OUT_OF_SERVICE: frozenset({L.MAINTENANCE, L.AVAILABLE, L.RETIRED}),
    L.RETIRED: frozenset(),
}

# §3.6 LoanerReservation.reservation_status.
RESERVATION: Mapping[str, frozenset[str]] = {
    RS.PENDING: frozenset({RS.CONFIRMED, RS.CANCELLED}),
    RS.CONFIRMED: frozenset({RS.ACTIVE, RS.CANCELLED, RS.NO_SHOW}),
    RS.ACTIVE: frozenset({RS.COMPLETED, RS.EARLY_RETURN}),
    RS.COMPLETED: frozenset(),
    RS.EARLY_RETURN: frozenset(),
    RS.CANCELLED: frozenset(),
    RS.NO_SHOW: frozenset(),
}

# §3.7 ClaimManagement.claim_status.
CLAIM: Mapping[str, frozenset[str]] = {
    C.PENDING: frozenset({C.OPEN, C.DENIED, C.CLOSED}),
    C.OPEN: frozenset({C.UNDER_REVIEW, C.APPROVED, C.DENIED, C.CLOSED}),
    C.UNDER_REVIEW: frozenset({C.APPROVED, C.DENIED, C.OPEN}),
    C.APPROVED: frozenset({C.UNDER_REVIEW, C.CLOSED, C.SUBROGATION, C.LITIGATION}),
    C.DENIED: frozenset({C.UNDER_REVIEW, C.CLOSED, C.LITIGATION}),
    C.SUBROGATION: frozenset({C.CLOSED, C.LITIGATION}),
    C.LITIGATION: frozenset({C.CLOSED}),
    C.CLOSED: frozenset({C.OPEN}),
}

MACHINES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "repair order": REPAIR_ORDER,
    "production stage": STAGE,
    "part line": PART,
    "purchase order": PURCHASE_ORDER,
    "loaner": LOANER,
    "reservation": RESERVATION,
    "claim": CLAIM,
}


def _words(status: str) -> str:
    return str(status).replace("_", " ")


def allowed_targets(machine: str, current: str, previous: str | None = None) -> frozenset[str]:
    """The statuses a record in ``current`` may move to now (``previous`` resolves "back to before")."""
    targets = MACHINES[machine].get(current, frozenset())
    if PREVIOUS in targets:
        targets = (targets - {PREVIOUS}) | ({previous} if previous else set())
    return frozenset(targets)


def check_transition(machine: str, label: str, current: str, target: str, previous: str | None = None) -> None:
    """Raise :class:`TransitionRefused` unless ``current -> target`` is on the machine's table."""
    table = MACHINES[machine]
    if target not in table:
        raise TransitionRefused(f"{_words(target).capitalize()} is not a {machine} status.", rule="unknown_status")
    allowed = allowed_targets(machine, current, previous)
    if target in allowed:
        return
    if not allowed:
        raise TransitionRefused(
            f"Cannot move {label} from {_words(current)}: {_words(current)} is final.", rule="final_status"
        )
    choices = ", ".join(sorted(_words(t) for t in allowed))
    raise TransitionRefused(
        f"Cannot move {label} from {_words(current)} to {_words(target)}; from {_words(current)} it can go to: "
        f"{choices}.",
        rule="transition_not_allowed",
    )
