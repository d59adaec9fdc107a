"""Repair order rules (DOMAIN.md §3.1, §5.6): which statuses count as open, and the guards on each move.

The guards read a plain snapshot of the RO (:class:`RepairOrderFacts`) so they can be tested without
a database; the service builds the snapshot from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from collisionos.domain.parts import OUTSTANDING as _OUTSTANDING
from collisionos.models.enums import PartStatus, Role, StageStatus
from collisionos.models.enums import RepairOrderStatus as R

# Statuses in which a car is no longer the shop's work in progress.
CLOSED_STATUSES = frozenset({R.DELIVERED, R.INVOICED, R.PAID, R.ARCHIVED, R.CANCELLED})
OPEN_STATUSES = frozenset(R) - CLOSED_STATUSES

# Roles that may override a guard (with a reason) and sign off QC (DOMAIN.md §3, §5.16).
MANAGERS = frozenset({Role.MANAGER, Role.OWNER, Role.ADMIN})
# Reached only through the supplement actions, which record what the supplement is.
SUPPLEMENT_STATUSES = frozenset({R.SUPPLEMENT_PENDING, R.SUPPLEMENT_APPROVED})
# Part lines that no longer stand between the car and its delivery.
PART_DONE_FOR_DELIVERY = frozenset({PartStatus.INSTALLED, PartStatus.RETURNED, PartStatus.CANCELLED})
STAGE_DONE = frozenset({StageStatus.COMPLETED, StageStatus.BYPASSED})
# DOMAIN.md §3.1 asks for every stage done before "ready for delivery", but its last two stages (§4) happen
# when the customer comes: they are left for the delivery itself, which completes them.
AT_DELIVERY_STAGES = frozenset({"customer_walkthrough", "delivery"})


def is_manager(role: str | None) -> bool:
    return role in MANAGERS


@dataclass(frozen=True)
class RepairOrderFacts:
    """What the guards need to know about one RO."""

    number: str
    status: str
    has_estimate_lines: bool = False
    part_statuses: tuple[str, ...] = ()
    stage_statuses: tuple[str, ...] = ()
    qc_required: bool = True
    qc_passed: bool = False
    requires_adas: bool = False
    adas_done: bool = False
    customer_owes: Decimal = Decimal("0.00")
    invoice_balance: Decimal = Decimal("0.00")
    insured: bool = False
    deductible: Decimal = Decimal("0.00")
    deductible_handled: bool = False
    open_stages: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Refusal:
    """One guard that is not met; ``overridable`` guards give way to a manager's reason."""

    message: str
    rule: str
    overridable: bool = False


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def guard_refusals(facts: RepairOrderFacts, target: str) -> list[Refusal]:
    """Every guard that stops ``facts`` moving to ``target`` now (empty when the move may go ahead)."""
    refusals: list[Refusal] = []
    outstanding = [s for s in facts.part_statuses if s in _OUTSTANDING]
    if target == R.ESTIMATE_PENDING and not facts.has_estimate_lines:
        refusals.append(Refusal("it has no estimate with lines attached", "estimate_required"))
    if target == R.IN_PRODUCTION and facts.status in (R.ESTIMATE_APPROVED, R.PARTS_HOLD) and outstanding:
        refusals.append(
            Refusal(
                f"{_count(len(outstanding), 'part line is', 'part lines are')} still outstanding",
                "parts_outstanding",
                overridable=True,
            )
        )
    if target == R.COMPLETED and facts.status == R.IN_PRODUCTION and facts.qc_required:
        refusals.append(Refusal("it requires quality control; move it to quality control first", "qc_required"))
    if target == R.READY_FOR_DELIVERY:
        if facts.open_stages:
            refusals.append(
                Refusal(
                    f"{_count(len(facts.open_stages), 'production stage is', 'production stages are')} not "
                    f"completed or bypassed ({', '.join(facts.open_stages[:3])}"
                    f"{'…' if len(facts.open_stages) > 3 else ''})",
                    "production_open",
                )
            )
        if facts.requires_adas and not facts.adas_done:
            refusals.append(Refusal("the ADAS calibration is not done", "adas_required"))
    if target == R.DELIVERED:
        not_done = [s for s in facts.part_statuses if s not in PART_DONE_FOR_DELIVERY]
        if not_done:
            refusals.append(
                Refusal(
                    f"{_count(len(not_done), 'part line is', 'part lines are')} not installed or returned",
                    "parts_not_installed",
                )
            )
        if facts.qc_required and not facts.qc_passed:
            refusals.append(Refusal("quality control has not passed", "qc_not_passed"))
        if facts.requires_adas and not facts.adas_done:
            refusals.append(Refusal("the ADAS calibration is not done", "adas_required"))
        if facts.customer_owes > 0:
            refusals.append(
                Refusal(
                    f"the customer still owes {facts.customer_owes:,.2f}",
                    "balance_unsettled",
                    overridable=True,
                )
            )
    if target == R.INVOICED and facts.insured and facts.deductible > 0 and not facts.deductible_handled:
        refusals.append(
            Refusal(
                f"the deductible of {facts.deductible:,.2f} is neither collected nor waived",
                "deductible_unhandled",
                overridable=True,
            )
        )
    if target == R.PAID and facts.invoice_balance != 0:
        refusals.append(Refusal(f"the balance due is {facts.invoice_balance:,.2f}, not 0.00", "balance_not_zero"))
    return refusals


def refusal_message(number: str, target: str, refusals: list[Refusal]) -> str:
    """ "Cannot deliver RO10452: 2 part lines are not installed or returned; quality control has not passed.\""""
    verb = _VERBS.get(target, f"move {number} to {str(target).replace('_', ' ')}")
    head = verb if verb.startswith("move ") else f"{verb} {number}"
    return f"Cannot {head}: " + "; ".join(r.message for r in refusals) + "."


_VERBS = {
    R.DELIVERED: "deliver",
    R.CANCELLED: "cancel",
    R.INVOICED: "invoice",
    R.ARCHIVED: "archive",
}
