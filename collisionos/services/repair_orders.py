"""Repair order use cases: status moves with their guards and side effects, holds, payments, and the
one place where an RO's roll-ups (parts counters, money, production progress, SLA) are recomputed."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from collisionos.domain import repair_orders as rules
from collisionos.domain import sla
from collisionos.domain.errors import PermissionDenied, TransitionRefused, ValidationError
from collisionos.domain.money import ZERO, PricedLine, compute_totals, line_total, split_payers, to_money
from collisionos.domain.parts import parts_rollup
from collisionos.domain.settings import merged_settings
from collisionos.domain.transitions import PREVIOUS, allowed_targets, check_transition
from collisionos.extensions import db
from collisionos.models import (
    Estimate,
    EstimateLineItem,
    FinancialTransaction,
    LoanerReservation,
    PartLine,
    PurchaseOrder,
    RepairOrder,
    Shop,
)
from collisionos.models.enums import PurchaseOrderStatus, ReservationStatus, StageStatus
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.services.unit_of_work import load, use_case

# Estimate line type -> RO money category (§5.6); tax lines are recomputed, never summed.
LINE_CATEGORY = {
    "part": "parts",
    "labor": "labor",
    "paint": "materials",
    "material": "materials",
    "sublet": "sublet",
    "other": "other",
    "discount": "other",
}
# Lines that count towards the RO's money: not rejected, not a supplement still awaiting a decision.
COUNTED_LINE_STATUSES = frozenset({"pending", "approved"})
UNSENT_PO_STATUSES = frozenset(
    {PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.PENDING_APPROVAL, PurchaseOrderStatus.APPROVED}
)
OPEN_RESERVATION_STATUSES = frozenset({ReservationStatus.PENDING, ReservationStatus.CONFIRMED})
# RO hold reason -> production_workflow hold reason (the stage table has its own list).
STAGE_HOLD_REASON = {
    "supplement_review": "insurance_approval",
    "customer_request": "customer_approval",
    "payment_issue": "other",
}
ACTIVE_STAGE_STATUSES = frozenset({StageStatus.READY, StageStatus.IN_PROGRESS})


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the last day of a shorter month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def shop_settings(shop_id: int) -> dict[str, Any]:
    shop = db.session.get(Shop, shop_id)
    return merged_settings(shop.settings if shop else None)


def shop_zone(shop_id: int) -> ZoneInfo:
    shop = db.session.get(Shop, shop_id)
    return ZoneInfo((shop.timezone if shop else None) or "UTC")


# --- roll-ups --------------------------------------------------------------------------------------
def _estimate_lines(ro: RepairOrder) -> list[EstimateLineItem]:
    if ro.estimate_id is None:
        return []
    return list(db.session.scalars(sa.select(EstimateLineItem).where(EstimateLineItem.estimate_id == ro.estimate_id)))


def _priced(lines: list[EstimateLineItem], statuses: frozenset[str]) -> list[PricedLine]:
    priced = []
    for line in lines:
        category = LINE_CATEGORY.get(line.type)
        if category is None or (line.status or "pending") not in statuses:
            continue
        amount = (
            to_money(line.total_price)
            if line.total_price is not None
            else line_total(line.unit_price or 0, line.quantity or 0)
        )
        priced.append(
            PricedLine(
                category,
                -amount if line.type == "discount" else amount,
                taxable=bool(line.taxable) and line.type != "discount",
            )
        )
        # An imported line may carry labor besides its part (remove and install it), and refinish hours
        # besides its main labor: both are labor, taxed as the file says.
        labor_taxable = bool(line.taxable if line.labor_taxable is None else line.labor_taxable)
        if line.type != "labor" and line.labor_hours and line.labor_rate is not None:
            priced.append(PricedLine("labor", to_money(line.labor_hours * line.labor_rate), labor_taxable))
        if line.refinish_hours and line.refinish_rate is not None:
            priced.append(PricedLine("labor", to_money(line.refinish_hours * line.refinish_rate), labor_taxable))
    return priced


@dataclass(frozen=True)
class Payments:
    total: Decimal
    customer: Decimal


def payments(ro_id: int) -> Payments:
    """Money received on the RO (completed or settled payments, less refunds issued)."""
    kinds = sa.case(
        (FinancialTransaction.transaction_type.in_(("payment_received", "settlement")), FinancialTransaction.amount),
        (FinancialTransaction.transaction_type == "refund_issued", -FinancialTransaction.amount),
        else_=0,
    )
    done = FinancialTransaction.status.in_(("completed", "settled"))
    total, customer = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(kinds), 0),
            sa.func.coalesce(
                sa.func.sum(sa.case((FinancialTransaction.category == "customer_payment", kinds), else_=0)), 0
            ),
        ).where(FinancialTransaction.repair_order_id == ro_id, done)
    ).one()
    return Payments(to_money(total), to_money(customer))


def recalculate_money(ro: RepairOrder, settings: dict[str, Any]) -> None:
    """Recompute the RO's money from its estimate lines and payments (§5.6): tax per category, then summed."""
    lines = _estimate_lines(ro)
    estimate = db.session.get(Estimate, ro.estimate_id) if ro.estimate_id else None
    # An imported estimate is taxed as its file says; otherwise the shop's tax setup applies.
    setup = estimate.tax_setup if estimate is not None and estimate.tax_setup else None
    taxes = setup.get("rates", {}) if setup else settings.get("taxes") or {}
    fixed = setup.get("amounts") if setup else None
    storage = to_money(ro.internal_storage_charges)
    counted = compute_totals(_priced(lines, COUNTED_LINE_STATUSES), taxes, storage, fixed)
    approved = compute_totals(_priced(lines, frozenset({"approved"})), taxes, storage, fixed)
    ro.parts_cost, ro.labor_cost = counted.parts, counted.labor
    ro.materials_cost, ro.sublet_cost = counted.materials, counted.sublet
    ro.taxable_amount = counted.taxable_amount
    ro.gst_amount, ro.pst_amount, ro.hst_amount = counted.gst, counted.pst, counted.hst
    ro.total_taxes = counted.total_taxes
    ro.estimated_total = counted.total
    ro.approved_total = approved.total if ro.date_estimate_approved else ZERO
    claim = ro.claim
    deductible = to_money(claim.deductible_amount) if claim is not None else ZERO
    waived = bool(claim is not None and claim.deductible_waived)
    ro.deductible_amount = deductible
    basis = ro.approved_total if ro.date_estimate_approved else counted.total
    insurance, customer = split_payers(basis, deductible, ZERO, insured=claim is not None)
    if waived:
        # The shop absorbs a waived deductible: neither the insurer nor the customer pays it.
        customer = max(ZERO, customer - deductible)
    ro.insurance_portion_due, ro.customer_portion_due = insurance, customer
    paid = payments(ro.id) if ro.id else Payments(ZERO, ZERO)
    ro.paid_amount = paid.total
    receivable = insurance + customer
    ro.balance_due = (ro.invoiced_total or ZERO if ro.invoiced_total else receivable) - paid.total
    if claim is not None and deductible > 0:
        ro.deductible_collected = waived or paid.customer >= deductible


def customer_owes(ro: RepairOrder) -> Decimal:
    """What the customer must still pay before the car leaves: their portion less what they paid."""
    if not ro.id:
        return ZERO
    return max(ZERO, to_money(ro.customer_portion_due) - payments(ro.id).customer)


def recalculate_parts(ro: RepairOrder) -> None:
    rollup = parts_rollup((line.part_status, line.estimated_delivery_date) for line in ro.part_lines)
    ro.parts_ordered_count = rollup.parts_ordered_count
    ro.parts_received_count = rollup.parts_received_count
    ro.parts_pending_count = rollup.parts_pending_count
    ro.parts_backordered_count = rollup.parts_backordered_count
    ro.all_parts_received = rollup.all_parts_received
    ro.next_part_expected_date = rollup.next_part_expected_date


def recalculate_production(ro: RepairOrder) -> None:
    rows = ro.production_rows
    if not rows:
        ro.production_percent_complete = 0
        return
    done = sum(1 for row in rows if row.stage_status in rules.STAGE_DONE)
    ro.production_percent_complete = round(100 * done / len(rows))
    current = next((row for row in rows if row.stage_status not in rules.STAGE_DONE), None)
    ro.production_stage = current.stage_type if current is not None else "delivery"
    estimated = sum((row.estimated_hours or ZERO for row in rows), ZERO)
    actual = sum((row.actual_hours or ZERO for row in rows), ZERO)
    ro.hours_estimated, ro.hours_actual = estimated, actual
    ro.efficiency_ratio = (
        (actual / estimated).quantize(Decimal("0.01")) if estimated > 0 and actual / estimated < 1000 else None
    )


def intake_started(ro: RepairOrder) -> datetime:
    intake = next((row for row in ro.production_rows if row.stage_type == "intake" and row.actual_start_date), None)
    return intake.actual_start_date if intake is not None else ro.date_created


def sla_of(
    *,
    now: datetime,
    started: datetime,
    ro_status: str,
    sla_type: str | None,
    target_completion_days: int | None,
    promised: datetime | None,
    sla_paused_days: int | None,
    is_on_hold: bool,
    hold_reason: str | None,
    hold_start_date: datetime | None,
    all_parts_received: bool,
    settings: dict[str, Any],
    local_date: Callable[[datetime], date],
) -> sla.SlaState:
    """An RO's SLA (§5.7) from its plain column values: used by :func:`recalculate_sla` and the SLA sweep."""
    paused_since = hold_start_date if is_on_hold and sla.pauses_sla(hold_reason, settings.get("holdReasons")) else None
    return sla.sla_state(
        now=now,
        started=started,
        allowed_days=sla.target_days(sla_type, target_completion_days, settings.get("slaTargetDays")),
        promised=promised,
        paused_days=sla_paused_days or 0,
        paused_since=paused_since,
        on_hold=bool(is_on_hold),
        all_parts_received=bool(all_parts_received),
        closed=ro_status in rules.CLOSED_STATUSES,
        local_date=local_date,
    )


def _sla_state(ro: RepairOrder, now: datetime, settings: dict[str, Any]) -> sla.SlaState:
    zone = shop_zone(ro.shop_id)
    return sla_of(
        now=now,
        started=intake_started(ro),
        ro_status=ro.ro_status,
        sla_type=ro.sla_type,
        target_completion_days=ro.target_completion_days,
        promised=ro.promised_delivery_date,
        sla_paused_days=ro.sla_paused_days,
        is_on_hold=ro.is_on_hold,
        hold_reason=ro.hold_reason,
        hold_start_date=ro.hold_start_date,
        all_parts_received=ro.all_parts_received,
        settings=settings,
        local_date=lambda instant: instant.astimezone(zone).date(),
    )


def recalculate_sla(ro: RepairOrder, now: datetime, settings: dict[str, Any]) -> None:
    state = _sla_state(ro, now, settings)
    ro.is_overdue, ro.overdue_by, ro.sla_risk_level = state.is_overdue, state.overdue_by, state.risk


def sla_due(ro: RepairOrder, now: datetime) -> datetime:
    """The RO's SLA due date as the clock stands now (shown on the RO and the board)."""
    return _sla_state(ro, now, shop_settings(ro.shop_id)).due


def refresh_repair_order(ro: RepairOrder, now: datetime) -> None:
    """Recompute every roll-up of ``ro`` (parts counters, money, production progress, SLA).

    Every use case that changes a part line, an estimate line, a payment, a supplement, a stage or a
    hold calls this before it commits; nothing else writes these fields.
    """
    db.session.flush()
    db.session.expire(ro, ["part_lines", "production_rows", "claim"])
    # Everything the roll-ups read is flushed now: the RO's own new values are written once, at the next flush.
    with db.session.no_autoflush:
        settings = shop_settings(ro.shop_id)
        parts_were_in = bool(ro.all_parts_received)
        recalculate_parts(ro)
        if not parts_were_in and ro.all_parts_received and ro.part_lines and ro.ro_status in rules.OPEN_STATUSES:
            _notify(ro, "parts_arrived", now=now)
        recalculate_production(ro)
        recalculate_money(ro, settings)
        recalculate_sla(ro, now, settings)


def _notify(ro: RepairOrder, trigger: str, *, now: datetime, actor: Any = None) -> None:
    """Queue the customer messages the owner mapped to this change (none unless a template is mapped)."""
    from collisionos.services.status_messages import queue_status_messages

    queue_status_messages(ro, trigger, actor=actor, now=now)


# --- facts for the guards -------------------------------------------------------------------------
def facts(ro: RepairOrder) -> rules.RepairOrderFacts:
    lines = _estimate_lines(ro)
    return rules.RepairOrderFacts(
        number=ro.repair_order_number,
        status=ro.ro_status,
        has_estimate_lines=any(line.type != "tax" for line in lines),
        part_statuses=tuple(line.part_status for line in ro.part_lines),
        stage_statuses=tuple(row.stage_status for row in ro.production_rows),
        open_stages=tuple(
            row.stage_name
            for row in ro.production_rows
            if row.stage_status not in rules.STAGE_DONE and row.stage_type not in rules.AT_DELIVERY_STAGES
        ),
        qc_required=bool(ro.qc_required),
        qc_passed=bool(ro.qc_passed),
        requires_adas=bool(ro.requires_adas_calibration),
        adas_done=bool(ro.adas_calibration_completed),
        customer_owes=customer_owes(ro),
        invoice_balance=to_money(ro.balance_due),
        insured=ro.claim_management_id is not None,
        deductible=to_money(ro.deductible_amount),
        deductible_handled=bool(ro.deductible_collected or (ro.claim is not None and ro.claim.deductible_waived)),
    )


@dataclass(frozen=True)
class Move:
    """A status the RO may move to from where it is, and what (if anything) stands in the way."""

    target: str
    refusals: tuple[rules.Refusal, ...]
    needs_manager: bool

    @property
    def blocked(self) -> bool:
        return bool(self.refusals)

    @property
    def overridable(self) -> bool:
        return bool(self.refusals) and all(r.overridable for r in self.refusals)


def available_moves(ro: RepairOrder) -> list[Move]:
    """The table's moves from the RO's status (supplement moves excluded: they have their own actions)."""
    known = facts(ro)
    moves = []
    targets = allowed_targets("repair order", ro.ro_status, ro.previous_status) - rules.SUPPLEMENT_STATUSES
    if ro.ro_status == R.CUSTOMER_APPROVAL and ro.previous_status == R.SUPPLEMENT_PENDING:
        targets |= {R.SUPPLEMENT_PENDING}
    if ro.ro_status == R.SUPPLEMENT_PENDING and _awaiting_supplement(ro):
        targets &= {R.CANCELLED}
    for target in sorted(targets, key=_ORDER.get):
        moves.append(
            Move(
                target=target,
                refusals=tuple(rules.guard_refusals(known, target)),
                needs_manager=_qc_sign_off(ro.ro_status, target),
            )
        )
    return moves


_ORDER = {status: index for index, status in enumerate(R)}


def _qc_sign_off(current: str, target: str) -> bool:
    return current == R.QUALITY_CONTROL and target == R.COMPLETED


# --- use cases ------------------------------------------------------------------------------------
def transition_repair_order(
    shop_id: int,
    ro_id: Any,
    target: str,
    *,
    actor: Any,
    now: datetime,
    reason: str | None = None,
    override: bool = False,
) -> RepairOrder:
    """Move an RO to ``target`` along §3.1, with its guards and side effects; commit once."""
    reason = (reason or "").strip() or None
    with use_case(actor, reason=reason):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        _move(ro, target, actor=actor, now=now, reason=reason, override=override)
        refresh_repair_order(ro, now)
    return ro


def _move(ro: RepairOrder, target: str, *, actor: Any, now: datetime, reason: str | None, override: bool) -> None:
    label = ro.repair_order_number
    if target == PREVIOUS:
        target = ro.previous_status or ""
    back_to_pending = ro.ro_status == R.CUSTOMER_APPROVAL and target == R.SUPPLEMENT_PENDING == ro.previous_status
    if target in rules.SUPPLEMENT_STATUSES and not back_to_pending:
        raise TransitionRefused(
            f"Use the supplement actions to move {label} to {_words(target)}.", rule="supplement_action_required"
        )
    if ro.ro_status == R.SUPPLEMENT_PENDING and target != R.CANCELLED and _awaiting_supplement(ro):
        raise TransitionRefused(
            f"Cannot move {label} to {_words(target)}: record the insurer's decision on the supplement first.",
            rule="supplement_decision_pending",
        )
    check_transition("repair order", label, ro.ro_status, target, ro.previous_status)
    if _qc_sign_off(ro.ro_status, target) and not rules.is_manager(actor.role):
        raise PermissionDenied(
            f"Cannot pass quality control on {label}: QC sign-off needs a manager, owner or admin.", rule="qc_sign_off"
        )
    refusals = rules.guard_refusals(facts(ro), target)
    if refusals:
        can_override = override and rules.is_manager(actor.role) and all(r.overridable for r in refusals)
        if override and not rules.is_manager(actor.role):
            raise PermissionDenied("Only a manager, owner or admin may override a rule.", rule="override_not_allowed")
        if override and not reason:
            raise ValidationError("An override needs a reason.", rule="override_reason_required")
        if not can_override:
            raise TransitionRefused(rules.refusal_message(label, target, refusals), rule=refusals[0].rule)
    _side_effects(ro, target, actor=actor, now=now)
    ro.previous_status, ro.ro_status = ro.ro_status, target
    ro.status_change_date = now
    ro.status_changed_by = actor.id
    ro.status_change_reason = reason
    ro.updated_by = actor.id
    _notify(ro, target, now=now, actor=actor)


def _awaiting_supplement(ro: RepairOrder) -> bool:
    if ro.estimate_id is None:
        return False
    return bool(
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(EstimateLineItem)
            .where(EstimateLineItem.estimate_id == ro.estimate_id, EstimateLineItem.status == "supplement")
        )
    )


def _side_effects(ro: RepairOrder, target: str, *, actor: Any, now: datetime) -> None:
    current = ro.ro_status
    estimate = db.session.get(Estimate, ro.estimate_id) if ro.estimate_id else None
    if target == R.ESTIMATE_PENDING and estimate is not None:
        estimate.status = "pending_review"
    elif target == R.DRAFT and estimate is not None:
        estimate.status = "draft"
        estimate.revision_count = (estimate.revision_count or 0) + 1
    elif target == R.ESTIMATE_APPROVED:
        _approve_estimate(ro, estimate, actor=actor, now=now)
    elif target == R.PARTS_ORDERED and ro.date_parts_ordered is None:
        ro.date_parts_ordered = now
    elif target == R.IN_PRODUCTION:
        if ro.date_production_started is None:
            ro.date_production_started = now
        if current in (R.QUALITY_CONTROL, R.READY_FOR_DELIVERY):
            # QC failed, or the walk-around found a defect: the car goes back for rework.
            ro.qc_completed, ro.qc_passed, ro.requires_rework = current == R.QUALITY_CONTROL, False, True
            ro.qc_date = now
    elif target == R.COMPLETED and current == R.QUALITY_CONTROL:
        ro.qc_completed, ro.qc_passed, ro.requires_rework = True, True, False
        ro.qc_date = ro.date_qc_completed = now
        ro.qc_inspector = actor.id
    elif target == R.DELIVERED:
        from collisionos.services.production import finish_at_delivery

        finish_at_delivery(ro, actor=actor, now=now)
        ro.actual_delivery_date = now
        if ro.warranty_provided:
            ro.warranty_start_date = now
            ro.warranty_end_date = add_months(now, ro.warranty_period) if ro.warranty_period else None
    elif target == R.INVOICED:
        ro.invoiced_total = to_money(ro.insurance_portion_due) + to_money(ro.customer_portion_due)
    elif target == R.CANCELLED:
        _release_on_cancel(ro, now=now, actor=actor)
        ro.supplements_pending = False
        if ro.is_on_hold:
            release(ro, actor=actor, now=now, settings=shop_settings(ro.shop_id))


def _approve_estimate(ro: RepairOrder, estimate: Estimate | None, *, actor: Any, now: datetime) -> None:
    """Approval fixes the approved total and turns the estimate's part lines into part lines to source."""
    if ro.date_estimate_approved is None:
        ro.date_estimate_approved = now
    if estimate is None:
        return
    estimate.status = "approved"
    estimate.approval_date = now
    estimate.approved_by = actor.id
    estimate.insurance_approval = ro.claim_management_id is not None
    lines = _estimate_lines(ro)
    for line in lines:
        if (line.status or "pending") == "pending":
            line.status, line.approval_date, line.approved_by = "approved", now, actor.id
    create_part_lines(ro, [line for line in lines if line.type == "part" and line.status == "approved"], actor=actor)


def create_part_lines(ro: RepairOrder, lines: list[EstimateLineItem], *, actor: Any) -> list[PartLine]:
    """A part line for each estimate part line that has none yet (numbered after the RO's last line)."""
    have = set(
        db.session.scalars(
            sa.select(PartLine.estimate_line_item_id).where(
                PartLine.repair_order_id == ro.id, PartLine.estimate_line_item_id.is_not(None)
            )
        )
    )
    number = (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(PartLine.line_number), 0)).where(PartLine.repair_order_id == ro.id)
        )
        or 0
    )
    created = []
    for line in lines:
        if line.id in have:
            continue
        number += 1
        part = PartLine(
            shop_id=ro.shop_id,
            repair_order_id=ro.id,
            estimate_line_item_id=line.id,
            line_number=number,
            part_description=(line.part_description or line.description)[:500],
            oem_part_number=line.part_number,
            vendor_part_number=line.vendor_part_number,
            part_category=_part_category(line.category),
            brand_type=_brand(line.part_type),
            quantity_ordered=line.quantity or Decimal(1),
            list_price=line.list_price or line.unit_price,
            net_price=line.cost if line.cost is not None else None,
            sell_price=line.unit_price,
            vendor_id=line.vendor_id,
            created_by=actor.id,
        )
        db.session.add(part)
        created.append(part)
    return created


def _part_category(category: str | None) -> str:
    return {
        "frame": "structural",
        "mechanical": "mechanical",
        "electrical": "electrical",
        "glass": "glass",
        "interior": "interior",
        "paint": "paint_materials",
        "refinish": "paint_materials",
    }.get(category or "", "body_panel")


def _brand(part_type: str | None) -> str:
    return {"OEM": "oem", "Aftermarket": "aftermarket", "Used": "recycled", "Reconditioned": "remanufactured"}.get(
        part_type or "", "oem"
    )


def _release_on_cancel(ro: RepairOrder, *, now: datetime, actor: Any) -> None:
    """Cancelling releases the loaner and cancels the POs not yet sent (§3.1)."""
    reservations = db.session.scalars(
        sa.select(LoanerReservation)
        .where(
            LoanerReservation.repair_order_id == ro.id,
            LoanerReservation.reservation_status.in_(OPEN_RESERVATION_STATUSES),
        )
        .with_for_update()
    ).all()
    from collisionos.services.loaners import cancel_with_repair_order

    for reservation in reservations:
        cancel_with_repair_order(reservation, reason=f"{ro.repair_order_number} cancelled", actor=actor, now=now)
    orders = db.session.scalars(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.repair_order_id == ro.id, PurchaseOrder.po_status.in_(UNSENT_PO_STATUSES))
        .with_for_update()
    ).all()
    from collisionos.services.purchasing import cancel_with_repair_order as cancel_order

    for order in orders:
        cancel_order(order, reason=f"{ro.repair_order_number} cancelled", actor=actor, now=now)


def hold(ro: RepairOrder, *, reason: str, note: str, actor: Any, now: datetime) -> None:
    """Put ``ro`` on hold inside the caller's use case; its running stages wait with it (§5.7)."""
    _notify(ro, "on_hold", now=now, actor=actor)
    ro.is_on_hold, ro.hold_reason, ro.hold_description = True, reason, note
    ro.hold_start_date, ro.hold_end_date = now, None
    ro.updated_by = actor.id
    for row in ro.production_rows:
        if row.stage_status in ACTIVE_STAGE_STATUSES:
            row.previous_status, row.stage_status = row.stage_status, StageStatus.ON_HOLD
            row.on_hold, row.hold_reason = True, STAGE_HOLD_REASON.get(reason, reason)
            row.hold_start_date, row.hold_end_date = now, None
            row.status_change_date = now


def release(ro: RepairOrder, *, actor: Any, now: datetime, settings: dict[str, Any]) -> None:
    """End ``ro``'s hold inside the caller's use case: its days add up, and pause the SLA when the reason does."""
    days = sla.hold_days(ro.hold_start_date or now, now)
    ro.hold_days = (ro.hold_days or 0) + days
    if sla.pauses_sla(ro.hold_reason, settings.get("holdReasons")):
        ro.sla_paused_days = (ro.sla_paused_days or 0) + days
    ro.is_on_hold, ro.hold_end_date = False, now
    ro.updated_by = actor.id
    for row in ro.production_rows:
        if row.stage_status == StageStatus.ON_HOLD and row.hold_start_date == ro.hold_start_date:
            row.stage_status, row.previous_status = row.previous_status or StageStatus.READY, StageStatus.ON_HOLD
            row.on_hold, row.hold_end_date = False, now
            row.hold_duration_minutes = (row.hold_duration_minutes or 0) + int(
                (now - row.hold_start_date).total_seconds() // 60
            )
            row.status_change_date = now


def put_on_hold(shop_id: int, ro_id: Any, *, reason: str, note: str | None, actor: Any, now: datetime) -> RepairOrder:
    """Put an open RO on hold with a reason from the shop's list and a note (§5.7)."""
    settings = shop_settings(shop_id)
    reasons = settings.get("holdReasons") or {}
    with use_case(actor):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        if ro.ro_status not in rules.OPEN_STATUSES:
            raise TransitionRefused(
                f"Cannot put {ro.repair_order_number} on hold: it is {_words(ro.ro_status)}.", rule="hold_closed"
            )
        if ro.is_on_hold:
            raise TransitionRefused(
                f"{ro.repair_order_number} is already on hold ({_words(ro.hold_reason or 'other')}).",
                rule="already_on_hold",
            )
        if reason not in reasons:
            raise ValidationError("Choose a hold reason from the list.", rule="hold_reason_required")
        if not (note or "").strip():
            raise ValidationError("Say why the RO is on hold (a note is required).", rule="hold_note_required")
        hold(ro, reason=reason, note=note.strip(), actor=actor, now=now)
        refresh_repair_order(ro, now)
    return ro


def release_hold(shop_id: int, ro_id: Any, *, actor: Any, now: datetime) -> RepairOrder:
    """Release an RO's hold."""
    settings = shop_settings(shop_id)
    with use_case(actor):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        if not ro.is_on_hold:
            raise TransitionRefused(f"{ro.repair_order_number} is not on hold.", rule="not_on_hold")
        release(ro, actor=actor, now=now, settings=settings)
        refresh_repair_order(ro, now)
    return ro


PAYERS = {"customer": "customer_payment", "insurance": "insurance_payment"}


def record_payment(
    shop_id: int,
    ro_id: Any,
    *,
    amount: Decimal,
    payer: str,
    method: str,
    reference: str | None,
    actor: Any,
    now: datetime,
) -> FinancialTransaction:
    """Record money received on an RO; its paid amount, balance and deductible follow."""
    from collisionos.domain.numbering import dated_number
    from collisionos.services.numbering import reserve_numbers

    amount = to_money(amount)
    if amount <= 0:
        raise ValidationError("A payment must be more than 0.00.", rule="payment_amount")
    if payer not in PAYERS:
        raise ValidationError("Say who paid: the customer or the insurer.", rule="payment_payer")
    with use_case(actor):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        if ro.ro_status in (R.CANCELLED, R.ARCHIVED):
            raise TransitionRefused(
                f"Cannot take a payment on {ro.repair_order_number}: it is {_words(ro.ro_status)}.",
                rule="payment_closed",
            )
        day = now.astimezone(shop_zone(shop_id)).date()
        number = dated_number("PR", day, reserve_numbers(shop_id, f"transaction:{day:%y%m%d}"), width=4)
        payment = FinancialTransaction(
            shop_id=shop_id,
            repair_order_id=ro.id,
            customer_id=ro.customer_id,
            transaction_number=number,
            transaction_type="payment_received",
            category=PAYERS[payer],
            amount=amount,
            net_amount=amount,
            base_amount=amount,
            payment_method=method,
            status="completed",
            processing_status="processed",
            transaction_date=now,
            effective_date=now,
            processed_date=now,
            reference_number=reference,
            created_by=actor.id,
        )
        db.session.add(payment)
        if payer == "insurance" and ro.claim is not None:
            payment.insurance_company_id = ro.claim.insurance_company_id
        refresh_repair_order(ro, now)
        if ro.claim is not None and ro.deductible_collected and not ro.claim.deductible_paid:
            ro.claim.deductible_paid, ro.claim.deductible_paid_date, ro.claim.deductible_paid_by = True, now, "customer"
    return payment


def local_day(shop_id: int, now: datetime) -> date:
    return now.astimezone(shop_zone(shop_id)).date()


ESTIMATE_LINE_TYPES = ("part", "labor", "paint", "material", "sublet", "other")
EDITABLE_ESTIMATE_STATUSES = frozenset({R.DRAFT, R.ESTIMATE_PENDING})


def add_estimate_line(
    shop_id: int,
    ro_id: Any,
    *,
    line_type: str,
    description: str | None,
    quantity: Decimal | None,
    unit_price: Decimal | None,
    part_number: str | None = None,
    vendor_id: Any = None,
    taxable: bool = True,
    actor: Any,
    now: datetime,
) -> EstimateLineItem:
    """Add a line to the RO's estimate while it is being written; the RO's totals follow."""
    from collisionos.models import Vendor

    with use_case(actor):
        ro = load(RepairOrder, shop_id, ro_id, label="repair order")
        if ro.ro_status not in EDITABLE_ESTIMATE_STATUSES:
            raise TransitionRefused(
                f"Cannot change the estimate of {ro.repair_order_number}: it is {_words(ro.ro_status)}; "
                "add a supplement instead.",
                rule="estimate_locked",
            )
        if ro.estimate_id is None:
            raise ValidationError(
                f"{ro.repair_order_number} has no estimate to add lines to.", rule="estimate_required"
            )
        if line_type not in ESTIMATE_LINE_TYPES:
            raise ValidationError(
                "Choose the line's type (part, labour, paint, material, sublet or other).", rule="line_type"
            )
        if not (description or "").strip():
            raise ValidationError("Describe the line.", rule="line_description")
        quantity = Decimal(1) if quantity is None else quantity
        if quantity <= 0 or unit_price is None or unit_price < 0:
            raise ValidationError("Enter a quantity above 0 and a price of 0.00 or more.", rule="line_amounts")
        vendor = None
        if vendor_id:
            vendor = db.session.get(Vendor, int(vendor_id)) if str(vendor_id).isdigit() else None
            if vendor is None or vendor.shop_id != shop_id:
                raise ValidationError("Choose one of this shop's vendors.", rule="vendor_invalid")
        last = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(EstimateLineItem.line_number), 0)).where(
                EstimateLineItem.estimate_id == ro.estimate_id
            )
        )
        line = EstimateLineItem(
            estimate_id=ro.estimate_id,
            created_by=actor.id,
            line_number=(last or 0) + 1,
            type=line_type,
            description=description.strip()[:255],
            part_description=description.strip()[:255] if line_type == "part" else None,
            part_number=(part_number or "").strip()[:50] or None,
            part_type="OEM" if line_type == "part" else None,
            quantity=quantity,
            unit_price=to_money(unit_price),
            labor_hours=quantity if line_type == "labor" else None,
            labor_rate=to_money(unit_price) if line_type == "labor" else None,
            taxable=taxable,
            vendor_id=vendor.id if vendor else None,
            status="pending",
        )
        db.session.add(line)
        refresh_repair_order(ro, now)
    return line


def refresh_for_estimate(shop_id: int, estimate_id: int, *, actor: Any, now: datetime) -> list[RepairOrder]:
    """After an estimate or its lines were edited in the admin, bring its ROs' totals up to date."""
    with use_case(actor):
        ros = db.session.scalars(
            sa.select(RepairOrder)
            .where(RepairOrder.shop_id == shop_id, RepairOrder.estimate_id == estimate_id)
            .with_for_update()
        ).all()
        for ro in ros:
            refresh_repair_order(ro, now)
    return list(ros)
