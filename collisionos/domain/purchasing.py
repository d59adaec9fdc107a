"""Purchase order rules (DOMAIN.md §3.4, §5.1-§5.3): numbers, approval, receiving roll-up, delivery KPIs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from collisionos.domain.errors import PermissionDenied
from collisionos.domain.money import to_money
from collisionos.domain.parts import quantity
from collisionos.models.enums import PartStatus, Role
from collisionos.models.enums import PurchaseOrderStatus as PO

# Goods can arrive only once the vendor has the order.
RECEIVABLE = frozenset({PO.SENT, PO.ACKNOWLEDGED, PO.PARTIAL_RECEIVED, PO.DISPUTED})
# A receipt line's condition; anything but good is counted as not received (§5.3).
CONDITIONS: Mapping[str, str] = {"good": "Good", "damaged": "Damaged", "wrong_part": "Wrong part"}
DEFECT_RETURN_REASONS: Mapping[str, str] = {"damaged": "damaged_in_shipping", "wrong_part": "wrong_part"}
DEFAULT_APPROVAL_THRESHOLD = Decimal("1000.00")
_ROLE_WORDS = {role.value: role.value.replace("_", " ") for role in Role}


# --- numbering (§5.1) ----------------------------------------------------------------------------
def vendor_code(code: str | None, name: str | None) -> str:
    """The vendor's code if it has one, else the first four letters of its name, padded with X.

    ``"A1 Auto"`` → ``AAUT``, ``"LKQ"`` → ``LKQX``.
    """
    if code and code.strip():
        return code.strip().upper()
    letters = re.sub(r"[^A-Z]", "", (name or "").upper())
    return letters[:4].ljust(4, "X")


def year_month(moment: datetime, zone: tzinfo) -> str:
    """``YYMM`` of ``moment`` in the shop's time zone."""
    return moment.astimezone(zone).strftime("%y%m")


def counter_name(ro_number: str, yymm: str, code: str) -> str:
    """The counter that numbers one RO's POs to one vendor in one month."""
    return f"po:{ro_number}:{yymm}:{code}"


def po_number(ro_number: str, yymm: str, code: str, sequence: int) -> str:
    """``RO10452-2509-LKQX-002``."""
    return f"{ro_number}-{yymm}-{code}-{sequence:03d}"


# --- approval (§5.2) -----------------------------------------------------------------------------
def approval_threshold(settings: Mapping[str, Any]) -> Decimal:
    raw = settings.get("poApprovalThreshold")
    return to_money(raw) if raw not in (None, "") else DEFAULT_APPROVAL_THRESHOLD


def needs_approval(total: Decimal, threshold: Decimal, *, expedite: bool) -> bool:
    """A PO needs approval when its total reaches the threshold or it asks for expedited delivery."""
    return expedite or Decimal(total) >= Decimal(threshold)


def approver_roles(total: Decimal, tiers: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """The roles allowed to approve a PO of ``total``: those of the highest tier whose minimum it reaches."""
    chosen: tuple[Decimal, frozenset[str]] | None = None
    for tier in tiers or ():
        minimum = Decimal(str(tier.get("min", "0")))
        if Decimal(total) >= minimum and (chosen is None or minimum >= chosen[0]):
            chosen = (minimum, frozenset(tier.get("roles") or ()))
    return chosen[1] if chosen else frozenset({Role.OWNER.value, Role.ADMIN.value})


def role_list(roles: Iterable[str]) -> str:
    """``manager, owner or admin`` in a stable order."""
    words = [_ROLE_WORDS.get(r, str(r).replace("_", " ")) for r in sorted(roles, key=_role_rank)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _role_rank(role: str) -> int:
    order = ["parts_manager", "manager", "owner", "admin"]
    return order.index(role) if role in order else len(order)


def check_approver(
    *,
    number: str,
    total: Decimal,
    actor_id: int,
    actor_role: str,
    requester_ids: Iterable[int | None],
    tiers: Sequence[Mapping[str, Any]],
) -> None:
    """Raise :class:`PermissionDenied` unless this actor may approve this PO (tier, and not their own)."""
    if actor_id in {i for i in requester_ids if i is not None}:
        raise PermissionDenied(
            f"Cannot approve {number}: you requested it, and a PO is approved by someone else.", rule="own_po"
        )
    roles = approver_roles(total, tiers)
    if actor_role not in roles:
        raise PermissionDenied(
            f"Cannot approve {number}: a PO of {Decimal(total):,.2f} is approved by a {role_list(roles)}.",
            rule="approval_tier",
        )


# --- receiving roll-up (§5.3) ----------------------------------------------------------------------
@dataclass(frozen=True)
class PoLine:
    """What the roll-up needs to know about one part line on the PO."""

    status: str
    ordered: Decimal
    received: Decimal
    defective: Decimal = Decimal(0)
    returned: Decimal = Decimal(0)


@dataclass(frozen=True)
class ReceivingRollup:
    total_quantity: Decimal
    total_received: Decimal
    receiving_status: str
    backordered_items: int
    returned_items: int
    complete: bool


def expected(line: PoLine) -> bool:
    """Whether the vendor still delivers this line on this PO (not cancelled, not sent back unreceived)."""
    return line.status not in (PartStatus.CANCELLED, PartStatus.RETURNED) or line.received > 0


def receiving_rollup(lines: Iterable[PoLine]) -> ReceivingRollup:
    """total_quantity = Σ ordered; total_received = Σ min(received, ordered); the receiving status.

    Lines the vendor no longer delivers on this PO (cancelled, or sent back before any good one came) do not count.
    percent_received follows the two totals on every save (models/calculations.py, T11).
    """
    lines = list(lines)
    counted = [line for line in lines if expected(line)]
    total = sum((quantity(line.ordered) for line in counted), Decimal(0)).quantize(Decimal("0.001"))
    received = sum((min(quantity(line.received), quantity(line.ordered)) for line in counted), Decimal(0))
    received = received.quantize(Decimal("0.001"))
    complete = bool(counted) and received >= total
    if any(line.defective > 0 for line in lines):
        status = "discrepancy"
    elif any(line.received > line.ordered for line in lines):
        status = "over_received"
    elif complete:
        status = "complete"
    elif received > 0:
        status = "partial"
    else:
        status = "not_started"
    return ReceivingRollup(
        total_quantity=total,
        total_received=received,
        receiving_status=status,
        backordered_items=sum(1 for line in lines if line.status == PartStatus.BACKORDERED),
        returned_items=sum(1 for line in lines if line.returned > 0 or line.status == PartStatus.RETURNED),
        complete=complete,
    )


def delivery_kpis(
    actual: datetime, promised: datetime | None, requested: datetime | None
) -> tuple[bool | None, int | None]:
    """(on time, days late) against the promised date, else the requested one; (None, None) without either."""
    due = promised or requested
    if due is None:
        return None, None
    variance = (actual.date() - due.date()).days
    return variance <= 0, variance
