"""Claim use cases (DOMAIN.md §3.7): status moves, the deductible, and supplements from request to decision.

Rows are locked in one order everywhere (repair orders, then the estimate, then the claim) so two use
cases touching the same claim wait for each other instead of deadlocking on PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.domain import claims as rules
from collisionos.domain.errors import TransitionRefused
from collisionos.domain.money import ZERO, to_money
from collisionos.domain.transitions import check_transition
from collisionos.extensions import db
from collisionos.models import ClaimManagement, Estimate, EstimateLineItem, RepairOrder
from collisionos.models.enums import ClaimStatus as C
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.services.repair_orders import (
    create_part_lines,
    hold,
    refresh_repair_order,
    release,
    shop_settings,
)
from collisionos.services.unit_of_work import load, use_case

# ROs whose money no longer follows the claim.
DORMANT = frozenset({R.CANCELLED, R.ARCHIVED})
# Estimate line type -> the estimate's total it adds to.
ESTIMATE_TOTAL = {
    "part": "parts_total",
    "labor": "labor_total",
    "paint": "paint_total",
    "material": "material_total",
    "sublet": "sublet_total",
    "other": "other_total",
}


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


# --- queries -------------------------------------------------------------------------------------
def repair_orders_of_claim(shop_id: int, claim_id: int, *, lock: bool = False) -> list[RepairOrder]:
    """The claim's repair orders, oldest first (locked for update when ``lock``)."""
    query = (
        sa.select(RepairOrder)
        .where(RepairOrder.shop_id == shop_id, RepairOrder.claim_management_id == claim_id)
        .order_by(RepairOrder.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(query))


def pending_supplement_lines(ro: RepairOrder) -> dict[int, list[EstimateLineItem]]:
    """The RO's supplement lines awaiting the insurer, by supplement number."""
    if ro.estimate_id is None:
        return {}
    lines = db.session.scalars(
        sa.select(EstimateLineItem)
        .where(EstimateLineItem.estimate_id == ro.estimate_id, EstimateLineItem.status == rules.AWAITING)
        .order_by(EstimateLineItem.supplement_number, EstimateLineItem.line_number)
    )
    groups: dict[int, list[EstimateLineItem]] = defaultdict(list)
    for line in lines:
        groups[line.supplement_number or 0].append(line)
    return dict(groups)


@dataclass(frozen=True)
class SupplementSummary:
    """One supplement of a claim's RO, as the claim page lists it."""

    ro_id: int
    ro_number: str
    number: int
    state: str
    line_count: int
    requested_amount: Decimal  # before tax
    approved_amount: Decimal  # before tax
    requested_at: datetime | None


def claim_supplements(claim: ClaimManagement) -> list[SupplementSummary]:
    """Every supplement requested on the claim's ROs, oldest first."""
    ros = {ro.estimate_id: ro for ro in repair_orders_of_claim(claim.shop_id, claim.id) if ro.estimate_id}
    if not ros:
        return []
    lines = db.session.scalars(
        sa.select(EstimateLineItem)
        .where(
            EstimateLineItem.estimate_id.in_(list(ros)),
            sa.or_(EstimateLineItem.included_in_original.is_(False), EstimateLineItem.supplement_number > 0),
        )
        .order_by(EstimateLineItem.estimate_id, EstimateLineItem.supplement_number, EstimateLineItem.line_number)
    )
    groups: dict[tuple[int, int], list[EstimateLineItem]] = defaultdict(list)
    for line in lines:
        groups[(line.estimate_id, line.supplement_number or 0)].append(line)
    summaries = []
    for (estimate_id, number), group in groups.items():
        ro = ros[estimate_id]
        summaries.append(
            SupplementSummary(
                ro_id=ro.id,
                ro_number=ro.repair_order_number,
                number=number,
                state=rules.supplement_state(line.status or "" for line in group),
                line_count=len(group),
                requested_amount=sum((to_money(line.total_price) for line in group), ZERO),
                approved_amount=sum(
                    (to_money(line.total_price) for line in group if line.status == rules.APPROVED), ZERO
                ),
                requested_at=min((line.created_at for line in group if line.created_at), default=None),
            )
        )
    return sorted(summaries, key=lambda s: (s.ro_number, s.number))


# --- claim status and deductible -------------------------------------------------------------------
def _set_claim_status(claim: ClaimManagement, target: str, *, actor: Any, now: datetime, note: str | None) -> None:
    if target == C.OPEN and claim.date_claim_opened is None:
        claim.date_claim_opened = now
    if claim.claim_status == C.UNDER_REVIEW and target in (C.APPROVED, C.DENIED):
        claim.reviewed_by, claim.reviewed_at = actor.id, now
    claim.claim_status = target
    claim.status_update_date = now
    claim.status_notes = note
    claim.updated_by = actor.id


def transition_claim(
    shop_id: int, claim_id: Any, target: str, *, actor: Any, now: datetime, reason: str | None = None
) -> ClaimManagement:
    """Move a claim along §3.7; the reason becomes its status notes. Commit once."""
    reason = _clean(reason)
    with use_case(actor, reason=reason):
        claim = load(ClaimManagement, shop_id, claim_id, label="claim")
        waiting = [ro.repair_order_number for ro in repair_orders_of_claim(shop_id, claim.id) if ro.supplements_pending]
        rules.check_claim_transition(
            claim.claim_number, claim.claim_status or C.PENDING, target, pending_supplements=waiting
        )
        _set_claim_status(claim, target, actor=actor, now=now, note=reason)
    return claim


def _lock_claim_with_ros(shop_id: int, claim_id: Any) -> tuple[ClaimManagement, list[RepairOrder]]:
    """The claim and its ROs, locked ROs first (the order every use case here takes)."""
    claim = load(ClaimManagement, shop_id, claim_id, label="claim", lock=False)
    ros = repair_orders_of_claim(shop_id, claim.id, lock=True)
    return load(ClaimManagement, shop_id, claim.id, label="claim"), ros


def _refresh(ros: Iterable[RepairOrder], now: datetime) -> None:
    for ro in ros:
        if ro.ro_status not in DORMANT:
            refresh_repair_order(ro, now)


def waive_deductible(shop_id: int, claim_id: Any, *, reason: str, actor: Any, now: datetime) -> ClaimManagement:
    """Waive a claim's deductible with a reason: the shop absorbs it, so its ROs' customer portion drops."""
    with use_case(actor, reason=_clean(reason)):
        claim, ros = _lock_claim_with_ros(shop_id, claim_id)
        claim.deductible_waived_reason = rules.check_waiver(
            claim.claim_number,
            reason=reason,
            amount=claim.deductible_amount,
            waived=bool(claim.deductible_waived),
            paid=bool(claim.deductible_paid),
        )
        claim.deductible_waived = True
        claim.deductible_paid_by = "waived"
        claim.updated_by = actor.id
        _refresh(ros, now)
    return claim


def set_deductible(
    shop_id: int, claim_id: Any, *, amount: Decimal | None, actor: Any, now: datetime
) -> ClaimManagement:
    """Change a claim's deductible (≥ 0, not once an RO is invoiced); its ROs' portions follow."""
    with use_case(actor):
        claim, ros = _lock_claim_with_ros(shop_id, claim_id)
        value = rules.check_deductible_amount(claim.claim_number, amount)
        if value != to_money(claim.deductible_amount):
            rules.check_deductible_change(
                claim.claim_number,
                [ro.repair_order_number for ro in ros if rules.is_invoiced(ro.ro_status, ro.previous_status)],
            )
        claim.deductible_amount = value
        claim.updated_by = actor.id
        _refresh(ros, now)
    return claim


# --- supplements -----------------------------------------------------------------------------------
def _set_ro_status(ro: RepairOrder, target: str, *, actor: Any, now: datetime, reason: str | None) -> None:
    check_transition("repair order", ro.repair_order_number, ro.ro_status, target, ro.previous_status)
    ro.previous_status, ro.ro_status = ro.ro_status, target
    ro.status_change_date = now
    ro.status_changed_by = actor.id
    ro.status_change_reason = reason
    ro.updated_by = actor.id


def _load_estimate_and_claim(shop_id: int, ro: RepairOrder) -> tuple[Estimate | None, ClaimManagement | None]:
    estimate = load(Estimate, shop_id, ro.estimate_id, label="estimate") if ro.estimate_id else None
    claim = load(ClaimManagement, shop_id, ro.claim_management_id, label="claim") if ro.claim_management_id else None
    return estimate, claim


def open_supplement(ro: RepairOrder, estimate: Estimate | None, claim: ClaimManagement | None) -> int:
    """Refuse a supplement the RO cannot take (§3.7 step 1); return the number the new one gets."""
    rules.check_supplement_request(
        rules.SupplementRequestFacts(
            ro_number=ro.repair_order_number,
            ro_status=ro.ro_status,
            previous_status=ro.previous_status,
            has_estimate=estimate is not None,
            claim_number=claim.claim_number if claim is not None else None,
            supplements_allowed=bool(claim.supplements_allowed) if claim is not None else False,
        )
    )
    assert estimate is not None
    highest = db.session.scalar(
        sa.select(sa.func.max(EstimateLineItem.supplement_number)).where(EstimateLineItem.estimate_id == estimate.id)
    )
    return rules.next_supplement_number(estimate.supplement_count, highest)


def send_supplement(
    ro: RepairOrder, claim: ClaimManagement, number: int, *, note: str | None, actor: Any, now: datetime
) -> None:
    """Send supplement ``number``'s lines to the insurer (§3.7 step 2): RO pending, SLA paused, claim reviewed."""
    reason = f"Supplement {number} requested" + (f": {note}" if note else "")
    _set_ro_status(ro, R.SUPPLEMENT_PENDING, actor=actor, now=now, reason=reason)
    ro.supplements_pending = True
    if not ro.is_on_hold:
        # Waiting for the insurer pauses the SLA clock (§5.7); the decision releases the hold.
        hold(ro, reason="supplement_review", note=reason, actor=actor, now=now)
    insurer = claim.insurance_company
    target = rules.claim_status_after_request(
        claim.claim_status or C.PENDING, bool(insurer is not None and insurer.supplement_approval_required)
    )
    if target is not None:
        _set_claim_status(claim, target, actor=actor, now=now, note=f"{ro.repair_order_number}: {reason}")


@dataclass(frozen=True)
class SupplementRequest:
    repair_order: RepairOrder
    number: int
    lines: list[EstimateLineItem]
    amount: Decimal  # before tax
    claim_status: str | None


def request_supplement(
    shop_id: int,
    ro_id: Any,
    *,
    lines: Iterable[Mapping[str, Any]],
    note: str | None = None,
    actor: Any,
    now: datetime,
) -> SupplementRequest:
    """Add hidden damage to the RO's estimate as supplement lines and send them to the insurer (§3.7 steps 1-2)."""
    wanted = rules.parse_supplement_lines(lines)
    note = _clean(note)
    with use_case(actor, reason=note):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        estimate, claim = _load_estimate_and_claim(shop_id, ro)
        number = open_supplement(ro, estimate, claim)
        assert estimate is not None and claim is not None  # open_supplement refuses otherwise
        last_line = db.session.scalar(
            sa.select(sa.func.max(EstimateLineItem.line_number)).where(EstimateLineItem.estimate_id == estimate.id)
        )
        created = []
        for offset, line in enumerate(wanted, start=1):
            item = EstimateLineItem(
                estimate_id=estimate.id,
                line_number=(last_line or 0) + offset,
                type=line.line_type,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                total_price=line.amount,
                part_number=line.part_number,
                labor_hours=line.quantity if line.line_type == "labor" else None,
                labor_rate=line.unit_price if line.line_type == "labor" else None,
                is_sublet=line.line_type == "sublet",
                status=rules.AWAITING,
                approval_required=True,
                included_in_original=False,
                supplement_number=number,
                created_by=actor.id,
            )
            db.session.add(item)
            created.append(item)
        send_supplement(ro, claim, number, note=note, actor=actor, now=now)
        refresh_repair_order(ro, now)
        amount = sum((line.amount for line in wanted), ZERO)
        claim_status = claim.claim_status
    return SupplementRequest(ro, number, created, amount, claim_status)


@dataclass(frozen=True)
class SupplementDecision:
    repair_order: RepairOrder
    number: int
    approved: int
    rejected: int
    amount: Decimal  # what the approved total grew by, tax included


def decide_supplement(
    shop_id: int,
    ro_id: Any,
    *,
    supplement_number: int,
    approved_line_ids: Iterable[int],
    note: str | None = None,
    actor: Any,
    now: datetime,
) -> SupplementDecision:
    """Record the insurer's answer per line (§3.7 steps 3-4); lines not approved are rejected.

    With at least one line approved the RO goes to supplement approved and the estimate, claim and RO
    counters grow by the approved amount; with none it returns to the status it had before.
    """
    note = _clean(note)
    with use_case(actor, reason=note):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        label = ro.repair_order_number
        if ro.ro_status != R.SUPPLEMENT_PENDING:
            raise TransitionRefused(
                f"{label} is not waiting for a supplement decision (it is {_words(ro.ro_status)}).",
                rule="no_pending_supplement",
            )
        estimate, claim = _load_estimate_and_claim(shop_id, ro)
        lines = pending_supplement_lines(ro).get(supplement_number, []) if estimate is not None else []
        approved_ids, rejected_ids = rules.split_decision(
            label, supplement_number, [line.id for line in lines], approved_line_ids
        )
        refresh_repair_order(ro, now)
        before = to_money(ro.approved_total)
        approved = [line for line in lines if line.id in approved_ids]
        for line in lines:
            line.status = rules.APPROVED if line.id in approved_ids else rules.REJECTED
            line.updated_by = actor.id
            if line.status == rules.APPROVED:
                line.approval_date, line.approved_by = now, actor.id
        verdict = f"Supplement {supplement_number}: {len(approved)} of {len(lines)} lines approved"
        reason = verdict + (f"; {note}" if note else "")
        if approved:
            _set_ro_status(ro, R.SUPPLEMENT_APPROVED, actor=actor, now=now, reason=reason)
            create_part_lines(ro, [line for line in approved if line.type == "part"], actor=actor)
        else:
            if not ro.previous_status:
                raise TransitionRefused(
                    f"Cannot deny the supplement on {label}: the status it had before is not recorded.",
                    rule="previous_status_unknown",
                )
            _set_ro_status(ro, ro.previous_status, actor=actor, now=now, reason=reason)
        ro.supplements_pending = False
        if ro.is_on_hold and ro.hold_reason == "supplement_review":
            release(ro, actor=actor, now=now, settings=shop_settings(shop_id))
        refresh_repair_order(ro, now)
        grown = to_money(ro.approved_total) - before
        if approved:
            _count_supplement(ro, estimate, claim, approved, grown, actor=actor, now=now, reason=reason)
    return SupplementDecision(ro, supplement_number, len(approved), len(rejected_ids), grown if approved else ZERO)


def _count_supplement(
    ro: RepairOrder,
    estimate: Estimate | None,
    claim: ClaimManagement | None,
    approved: list[EstimateLineItem],
    grown: Decimal,
    *,
    actor: Any,
    now: datetime,
    reason: str,
) -> None:
    """§3.7 step 4: the same three counters on the estimate, the claim and the RO; the claim is approved."""
    ro.supplement_count = (ro.supplement_count or 0) + 1
    ro.total_supplement_amount = to_money(ro.total_supplement_amount) + grown
    ro.last_supplement_date = now
    if estimate is not None:
        estimate.supplement_count = (estimate.supplement_count or 0) + 1
        estimate.supplement_total = to_money(estimate.supplement_total) + grown
        estimate.last_supplement_date = now
        # The estimate's totals take the approved lines in; its tax grows by what the RO's tax grew.
        pre_tax = ZERO
        for line in approved:
            field = ESTIMATE_TOTAL.get(line.type)
            if field is not None:
                setattr(estimate, field, to_money(getattr(estimate, field)) + to_money(line.total_price))
                pre_tax += to_money(line.total_price)
        estimate.tax_total = to_money(estimate.tax_total) + grown - pre_tax
        estimate.estimate_total = to_money(estimate.estimate_total) + grown
        estimate.updated_by = actor.id
    if claim is not None:
        claim.supplement_count = (claim.supplement_count or 0) + 1
        claim.supplement_total = to_money(claim.supplement_total) + grown
        claim.last_supplement_date = now
        claim.updated_by = actor.id
        target = rules.claim_status_after_approval(claim.claim_status or C.PENDING)
        if target is not None:
            _set_claim_status(claim, target, actor=actor, now=now, note=f"{ro.repair_order_number}: {reason}")
