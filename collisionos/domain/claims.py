"""Claim rules (DOMAIN.md §3.7, H3): deductible, ATS and DRP terms, and the supplement workflow's guards.

The services load the rows and ask these functions; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from collisionos.domain.errors import TransitionRefused, ValidationError
from collisionos.domain.money import ZERO, line_total, to_money
from collisionos.domain.transitions import allowed_targets, check_transition
from collisionos.models.enums import ClaimStatus as C
from collisionos.models.enums import RepairOrderStatus as R

# What a supplement line may be (tax is recomputed and discounts are not asked of an insurer).
SUPPLEMENT_LINE_TYPES = ("part", "labor", "paint", "material", "sublet", "other")
# Estimate line statuses of a supplement: awaiting the insurer, then approved or rejected per line.
AWAITING, APPROVED, REJECTED = "supplement", "approved", "rejected"
MAX_QUANTITY = Decimal("999999.99")  # Numeric(8, 2)
MAX_UNIT_PRICE = Decimal("99999999.99")  # Numeric(10, 2)


def _words(value: str) -> str:
    return str(value).replace("_", " ")


@dataclass(frozen=True)
class SupplementLine:
    """One line of hidden damage the shop asks the insurer to pay for."""

    description: str
    line_type: str
    quantity: Decimal
    unit_price: Decimal
    part_number: str | None = None

    @property
    def amount(self) -> Decimal:
        return line_total(self.unit_price, self.quantity)


def _decimal(value: Any, label: str, rule: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label} must be a number, not {str(value)[:20]!r}.", rule=rule) from None
    if not number.is_finite():
        raise ValidationError(f"{label} must be a number.", rule=rule)
    return number


def parse_supplement_lines(raw_lines: Iterable[Mapping[str, Any]]) -> list[SupplementLine]:
    """Check the lines of a supplement request; each refusal names the line it is about."""
    lines = []
    for index, raw in enumerate(raw_lines, start=1):
        label = f"Supplement line {index}"
        description = str(raw.get("description") or "").strip()
        if not description:
            raise ValidationError(f"{label} needs a description.", rule="supplement_description_required")
        line_type = str(raw.get("type") or "").strip()
        if line_type not in SUPPLEMENT_LINE_TYPES:
            raise ValidationError(
                f"{label}: the type must be one of {', '.join(SUPPLEMENT_LINE_TYPES)}.", rule="supplement_line_type"
            )
        quantity = _decimal(raw.get("quantity", 1), f"{label}: the quantity", "supplement_quantity")
        if quantity <= 0 or quantity > MAX_QUANTITY:
            raise ValidationError(f"{label}: the quantity must be more than 0.", rule="supplement_quantity")
        unit_price = _decimal(raw.get("unit_price"), f"{label}: the unit price", "supplement_unit_price")
        if unit_price < 0 or unit_price > MAX_UNIT_PRICE:
            raise ValidationError(f"{label}: the unit price cannot be negative.", rule="supplement_unit_price")
        part_number = str(raw.get("part_number") or "").strip()[:50] or None
        lines.append(SupplementLine(description, line_type, quantity, to_money(unit_price), part_number))
    if not lines:
        raise ValidationError("A supplement needs at least one line.", rule="supplement_lines_required")
    return lines


@dataclass(frozen=True)
class SupplementRequestFacts:
    """What the request guards need to know about the RO and its claim."""

    ro_number: str
    ro_status: str
    previous_status: str | None
    has_estimate: bool
    claim_number: str | None  # None: a customer-pay RO
    supplements_allowed: bool = True


def check_supplement_request(facts: SupplementRequestFacts) -> None:
    """Refuse a supplement the RO cannot take now (§3.7 step 1, §3.1)."""
    head = f"Cannot request a supplement on {facts.ro_number}"
    if not facts.has_estimate:
        raise ValidationError(f"{head}: it has no estimate to add the lines to.", rule="estimate_required")
    if facts.claim_number is None:
        raise ValidationError(
            f"{head}: it has no insurance claim; extra work the customer pays for goes through customer approval.",
            rule="claim_required",
        )
    if not facts.supplements_allowed:
        raise TransitionRefused(
            f"{head}: claim {facts.claim_number} does not allow supplements.", rule="supplements_not_allowed"
        )
    allowed = allowed_targets("repair order", facts.ro_status, facts.previous_status)
    if R.SUPPLEMENT_PENDING not in allowed:
        moves = ", ".join(sorted(_words(target) for target in allowed)) or "nothing, it is final"
        raise TransitionRefused(
            f"{head}: a {_words(facts.ro_status)} RO cannot go to supplement pending (it can go to: {moves}).",
            rule="supplement_status",
        )


def check_deductible_amount(claim_number: str, amount: Decimal | None) -> Decimal:
    """The deductible is a non-negative amount (H3 (p))."""
    if amount is None:
        raise ValidationError(f"Give the deductible of claim {claim_number}.", rule="deductible_required")
    value = to_money(amount)
    if value < 0:
        raise ValidationError(
            f"The deductible of claim {claim_number} cannot be negative ({value:,.2f}).", rule="deductible_negative"
        )
    return value


def is_invoiced(status: str, previous_status: str | None) -> bool:
    """The RO's invoice is out: its money is fixed (an archived RO counts when it was paid, not cancelled)."""
    return status in (R.INVOICED, R.PAID) or (status == R.ARCHIVED and previous_status == R.PAID)


def check_deductible_change(claim_number: str, invoiced_ros: Iterable[str]) -> None:
    """The deductible is part of every invoice of the claim: it cannot change once one is out."""
    invoiced = sorted(invoiced_ros)
    if invoiced:
        raise TransitionRefused(
            f"Cannot change the deductible of claim {claim_number}: {', '.join(invoiced)} "
            f"{'is' if len(invoiced) == 1 else 'are'} already invoiced.",
            rule="deductible_invoiced",
        )


def check_waiver(claim_number: str, *, reason: str | None, amount: Decimal | None, waived: bool, paid: bool) -> str:
    """A deductible is waived once, before the customer paid it, and always with a reason (H3 (p))."""
    reason = (reason or "").strip()
    if to_money(amount) <= 0:
        raise TransitionRefused(f"Claim {claim_number} has no deductible to waive.", rule="no_deductible")
    if waived:
        raise TransitionRefused(f"The deductible of claim {claim_number} is already waived.", rule="already_waived")
    if paid:
        raise TransitionRefused(
            f"Cannot waive the deductible of claim {claim_number}: the customer already paid it.",
            rule="deductible_already_paid",
        )
    if not reason:
        raise ValidationError(
            f"Say why the deductible of claim {claim_number} is waived (a reason is required).",
            rule="waiver_reason_required",
        )
    return reason


def check_claim_transition(claim_number: str, current: str, target: str, *, pending_supplements: Iterable[str]) -> None:
    """A claim moves along §3.7; it is not closed while an RO still waits for a supplement decision."""
    check_transition("claim", f"claim {claim_number}", current, target)
    waiting = sorted(pending_supplements)
    if target == C.CLOSED and waiting:
        raise TransitionRefused(
            f"Cannot close claim {claim_number}: {', '.join(waiting)} still "
            f"{'waits' if len(waiting) == 1 else 'wait'} for a supplement decision.",
            rule="supplement_pending",
        )


def claim_status_after_request(current: str, approval_required: bool) -> str | None:
    """The claim goes under review when its insurer must approve supplements, if its machine allows it."""
    if approval_required and C.UNDER_REVIEW in allowed_targets("claim", current):
        return C.UNDER_REVIEW
    return None


def claim_status_after_approval(current: str) -> str | None:
    """An approved supplement approves the claim, if its machine allows it."""
    return C.APPROVED if C.APPROVED in allowed_targets("claim", current) else None


def split_decision(
    ro_number: str, number: int, pending_ids: Iterable[int], approved_ids: Iterable[int]
) -> tuple[list[int], list[int]]:
    """The insurer's answer per line: (approved ids, rejected ids); an id outside the supplement is refused."""
    pending = sorted(set(pending_ids))
    if not pending:
        raise TransitionRefused(
            f"Supplement {number} on {ro_number} has no lines awaiting a decision.", rule="no_pending_supplement"
        )
    approved = sorted(set(approved_ids))
    strangers = [line_id for line_id in approved if line_id not in pending]
    if strangers:
        raise ValidationError(
            f"Line {strangers[0]} is not a line of supplement {number} on {ro_number} awaiting a decision.",
            rule="supplement_line_unknown",
        )
    return approved, [line_id for line_id in pending if line_id not in approved]


def next_supplement_number(approved_count: int, highest_used: int | None) -> int:
    """The number of a new supplement: one after the approved ones (§3.7), never reusing a denied one's number.

    §3.7 says estimate.supplement_count + 1, and supplement_count counts approved supplements only; after a
    supplement is wholly denied that formula would hand its number out again and mix two requests' lines.
    """
    return max(approved_count or 0, highest_used or 0) + 1


def supplement_state(statuses: Iterable[str]) -> str:
    """How a supplement stands, from its lines' statuses (imported supplement lines may still be "pending")."""
    values = list(statuses)
    if any(status == AWAITING for status in values):
        return "awaiting decision"
    approved = sum(1 for status in values if status == APPROVED)
    rejected = sum(1 for status in values if status == REJECTED)
    if values and approved == len(values):
        return "approved"
    if values and rejected == len(values):
        return "rejected"
    if approved and approved + rejected == len(values):
        return "partly approved"
    return "pending"


def claim_terms_problems(
    *,
    deductible_amount: Decimal | None = None,
    ats_allowance_amount: Decimal | None = None,
    ats_days_approved: int | None = None,
    ats_days_used: int | None = None,
    program_discount: Decimal | None = None,
) -> dict[str, str]:
    """What is wrong with a claim's money and ATS terms as typed in a form: field name -> message."""
    problems: dict[str, str] = {}
    if deductible_amount is not None and deductible_amount < ZERO:
        problems["deductible_amount"] = "The deductible cannot be negative."
    if ats_allowance_amount is not None and ats_allowance_amount < ZERO:
        problems["ats_allowance_amount"] = "The ATS allowance per day cannot be negative."
    if ats_days_approved is not None and ats_days_approved < 0:
        problems["ats_days_approved"] = "ATS days approved cannot be negative."
    if ats_days_used is not None and ats_days_used < 0:
        problems["ats_days_used"] = "ATS days used cannot be negative."
    elif ats_days_used and (ats_days_approved or 0) < ats_days_used:
        problems["ats_days_used"] = (
            f"ATS days used ({ats_days_used}) cannot exceed the days approved ({ats_days_approved or 0})."
        )
    if program_discount is not None and not ZERO <= program_discount <= Decimal(100):
        problems["program_discount"] = "The DRP program discount is a percentage between 0 and 100."
    return problems
