"""Purchase order use cases (DOMAIN.md §3.4, §5.1-§5.3): create from part lines, approve, send, receive,
return, cancel and close; each commits once and a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.domain import parts as part_rules
from collisionos.domain import purchasing as rules
from collisionos.domain.errors import NotFound, PermissionDenied, TransitionRefused, ValidationError
from collisionos.domain.money import ZERO, line_total, to_money
from collisionos.domain.repair_orders import CLOSED_STATUSES, is_manager
from collisionos.domain.transitions import check_transition
from collisionos.extensions import db
from collisionos.models import PartLine, PurchaseOrder, RepairOrder, Vendor
from collisionos.models.enums import PartStatus as P
from collisionos.models.enums import PurchaseOrderStatus as PO
from collisionos.models.purchasing import TRANSMISSION_METHODS
from collisionos.services.numbering import reserve_numbers
from collisionos.services.parts import (
    LineReturn,
    MoveDetails,
    apply_receipt,
    apply_return,
    detach_from_order,
    line_label,
    price_line,
    refresh_purchase_order,
    reopen_need,
    set_status,
    shop_settings,
    shop_zone,
    transition_part_line,
    unit_cost,
)
from collisionos.services.repair_orders import refresh_repair_order
from collisionos.services.unit_of_work import load, use_case

INACTIVE_VENDOR_STATUSES = frozenset({"inactive", "suspended", "blacklisted"})


def _words(value: str | None) -> str:
    return str(value or "").replace("_", " ")


def _move(po: PurchaseOrder, target: str, *, actor: Any, now: datetime, reason: str | None = None) -> None:
    """Move ``po`` to ``target`` if §3.4 allows it, recording who, when and why."""
    check_transition("purchase order", po.purchase_order_number, po.po_status, target)
    po.previous_status, po.po_status = po.po_status, target
    po.status_change_date, po.status_changed_by = now, actor.id
    po.status_change_reason = reason
    po.updated_by = actor.id


def _load_po(shop_id: int, po_id: Any) -> PurchaseOrder:
    return load(PurchaseOrder, shop_id, po_id, label="purchase order")


def _required(text: str | None, message: str, rule: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message, rule=rule)
    return text


# --- create -----------------------------------------------------------------------------------------
@dataclass
class CreatedOrders:
    """The POs one request made, and the margin warnings to show with them."""

    orders: list[PurchaseOrder] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def numbers(self) -> list[str]:
        return [po.purchase_order_number for po in self.orders]


def _selected_lines(shop_id: int, line_ids: Iterable[Any]) -> list[PartLine]:
    try:
        keys = sorted({int(i) for i in line_ids})
    except (TypeError, ValueError):
        raise ValidationError("The selection was not valid; no purchase order was created.", rule="selection") from None
    if not keys:
        raise ValidationError("Select at least one part line.", rule="selection")
    lines = list(
        db.session.scalars(
            sa.select(PartLine)
            .where(PartLine.shop_id == shop_id, PartLine.id.in_(keys))
            .order_by(PartLine.repair_order_id, PartLine.line_number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if len(lines) != len(keys):
        raise NotFound(f"{len(keys) - len(lines)} of the selected part lines are not in this shop.", rule="not_found")
    return lines


def create_purchase_orders(
    shop_id: int, line_ids: Iterable[Any], *, actor: Any, now: datetime, override_reason: str | None = None
) -> CreatedOrders:
    """Put the selected part lines of one RO on purchase orders, one per vendor (§5.1, §5.2, §5.4).

    Every line must be on the same RO, have a vendor and a cost, and still be needed, sourcing or quoted. Each PO is
    numbered ``{RO}-{YYMM}-{VENDORCODE}-{seq}`` from a counter per RO, month and vendor; it needs approval when its
    total reaches the shop's threshold or a line asks for expedited delivery. A line selling below cost is refused
    unless a manager, owner or admin overrides with a reason (kept in the audit trail).
    """
    override_reason = (override_reason or "").strip() or None
    if override_reason and not is_manager(actor.role):
        raise PermissionDenied("Only a manager, owner or admin may override a rule.", rule="override_not_allowed")
    settings = shop_settings(shop_id)
    result = CreatedOrders()
    with use_case(actor, reason=override_reason):
        lines = _selected_lines(shop_id, line_ids)
        ro_ids = {line.repair_order_id for line in lines}
        if len(ro_ids) > 1:
            numbers = sorted({line.repair_order.repair_order_number for line in lines})
            raise ValidationError(
                f"The selected part lines belong to {len(numbers)} repair orders ({', '.join(numbers)}); "
                "create purchase orders for one repair order at a time.",
                rule="one_repair_order",
            )
        ro = load(RepairOrder, shop_id, ro_ids.pop(), label="repair order")
        if ro.ro_status in CLOSED_STATUSES:
            raise TransitionRefused(
                f"Cannot order parts for {ro.repair_order_number}: it is {_words(ro.ro_status)}.", rule="ro_closed"
            )
        _check_orderable(lines, settings, override=override_reason is not None, result=result)
        by_vendor: dict[int, list[PartLine]] = {}
        for line in lines:
            by_vendor.setdefault(line.vendor_id, []).append(line)
        zone = shop_zone(shop_id)
        for vendor_id, vendor_lines in sorted(by_vendor.items()):
            vendor = load(Vendor, shop_id, vendor_id, label="vendor", lock=False)
            result.orders.append(
                _new_order(ro, vendor, vendor_lines, settings=settings, zone=zone, actor=actor, now=now)
            )
        refresh_repair_order(ro, now)
    return result


def _check_orderable(lines: list[PartLine], settings: dict[str, Any], *, override: bool, result: CreatedOrders) -> None:
    problems: list[str] = []
    below_cost: list[str] = []
    for line in lines:
        label = line_label(line)
        if line.part_status not in part_rules.ORDERABLE:
            problems.append(f"{label} is {_words(line.part_status)}")
            continue
        if line.vendor_id is None:
            problems.append(f"{label} has no vendor")
            continue
        vendor = line.vendor
        if vendor is not None and (vendor.vendor_status in INACTIVE_VENDOR_STATUSES or not vendor.is_active):
            problems.append(f"{label}: vendor {vendor.name} is {_words(vendor.vendor_status or 'inactive')}")
            continue
        if unit_cost(line) is None:
            problems.append(f"{label} has no cost price")
            continue
        check = price_line(line, settings)
        if check.below_cost:
            below_cost.append(label)
        warning = part_rules.margin_warning(label, check)
        if warning and (not check.below_cost or override):
            result.warnings.append(warning)
    if problems:
        raise TransitionRefused(
            "Cannot create purchase orders: "
            + "; ".join(problems)
            + ". Only lines that are needed, sourcing or quoted, with an active vendor and a cost, can be ordered.",
            rule="lines_not_orderable",
        )
    if below_cost and not override:
        raise TransitionRefused(
            f"Cannot create purchase orders: {', '.join(below_cost)} "
            f"{'sells' if len(below_cost) == 1 else 'sell'} below cost. A manager, owner or admin may override "
            "with a reason.",
            rule="below_cost",
        )


def _new_order(
    ro: RepairOrder,
    vendor: Vendor,
    lines: list[PartLine],
    *,
    settings: dict[str, Any],
    zone: Any,
    actor: Any,
    now: datetime,
) -> PurchaseOrder:
    code = rules.vendor_code(vendor.vendor_code, vendor.name)
    yymm = rules.year_month(now, zone)
    sequence = reserve_numbers(ro.shop_id, rules.counter_name(ro.repair_order_number, yymm, code))
    number = rules.po_number(ro.repair_order_number, yymm, code, sequence)
    subtotal = sum((_line_cost(line) for line in lines), ZERO)
    threshold = rules.approval_threshold(settings)
    expedite = any(line.expedite_requested for line in lines)
    po = PurchaseOrder(
        shop_id=ro.shop_id,
        repair_order=ro,
        vendor=vendor,
        purchase_order_number=number,
        ro_number=ro.repair_order_number,
        year_month=yymm,
        vendor_code=code,
        sequence_number=sequence,
        po_status=PO.DRAFT,
        po_date=now,
        vendor_name=vendor.name,
        vendor_contact=vendor.contact_person,
        vendor_email=vendor.email,
        vendor_phone=vendor.phone,
        vendor_fax=vendor.fax,
        payment_terms=_words(vendor.payment_terms) or None,
        subtotal_amount=subtotal,
        total_amount=subtotal,
        total_line_items=len(lines),
        total_quantity=sum((part_rules.quantity(line.quantity_ordered) for line in lines), Decimal(0)),
        total_received=Decimal(0),
        approval_threshold=threshold,
        requires_approval=rules.needs_approval(subtotal, threshold, expedite=expedite),
        expedite_requested=expedite,
        is_rush_order=any(line.is_rush_order for line in lines),
        hazardous_materials=any(line.hazardous_material for line in lines),
        requires_msds=any(line.msds_required for line in lines),
        created_by=actor.id,
        requested_by=actor.id,
        status_change_date=now,
        status_changed_by=actor.id,
    )
    db.session.add(po)
    for line in lines:
        set_status(line, P.ORDERED, actor=actor, now=now)
        line.net_price = unit_cost(line)
        line.purchase_order = po
        line.purchase_order_number = number
        line.ordered_by, line.order_date = actor.id, now
    return po


def _line_cost(line: PartLine) -> Decimal:
    return line_total(unit_cost(line) or 0, line.quantity_ordered or 0)


# --- approval and transmission ------------------------------------------------------------------------------
def submit_purchase_order(shop_id: int, po_id: Any, *, actor: Any, now: datetime) -> PurchaseOrder:
    """Ask for approval of a draft PO (§5.2)."""
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        _move(po, PO.PENDING_APPROVAL, actor=actor, now=now)
        po.requested_by = po.requested_by or actor.id
    return po


def approve_purchase_order(
    shop_id: int, po_id: Any, *, actor: Any, now: datetime, notes: str | None = None
) -> PurchaseOrder:
    """Approve a PO awaiting approval: the approver's role must cover its total, and not be its requester."""
    settings = shop_settings(shop_id)
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        check_transition("purchase order", po.purchase_order_number, po.po_status, PO.APPROVED)
        rules.check_approver(
            number=po.purchase_order_number,
            total=to_money(po.total_amount),
            actor_id=actor.id,
            actor_role=actor.role,
            requester_ids=(po.requested_by, po.created_by),
            tiers=settings.get("poApprovalTiers") or [],
        )
        _move(po, PO.APPROVED, actor=actor, now=now, reason=notes)
        po.approved_by, po.approved_date = actor.id, now
        po.approval_notes = (notes or "").strip() or None
    return po


def reject_purchase_order(shop_id: int, po_id: Any, *, reason: str, actor: Any, now: datetime) -> PurchaseOrder:
    """Send a PO awaiting approval back to draft with the reason."""
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        check_transition("purchase order", po.purchase_order_number, po.po_status, PO.DRAFT)
        reason = _required(reason, f"Say why {po.purchase_order_number} is rejected.", "rejection_reason_required")
        _move(po, PO.DRAFT, actor=actor, now=now, reason=reason)
        po.rejected_by, po.rejected_date, po.rejection_reason = actor.id, now, reason
        po.approved_by = po.approved_date = None
    return po


def send_purchase_order(shop_id: int, po_id: Any, *, method: str, actor: Any, now: datetime) -> PurchaseOrder:
    """Record the PO sent to the vendor (method, time, who); a PO that needs approval goes only once approved."""
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        if method not in TRANSMISSION_METHODS:
            raise ValidationError(
                f"Say how {po.purchase_order_number} was sent: {', '.join(_words(m) for m in TRANSMISSION_METHODS)}.",
                rule="transmission_method_required",
            )
        if po.po_status == PO.DRAFT and po.requires_approval:
            raise TransitionRefused(
                f"Cannot send {po.purchase_order_number}: it needs approval first "
                f"(total {to_money(po.total_amount):,.2f}{', expedited' if po.expedite_requested else ''}; threshold "
                f"{to_money(po.approval_threshold):,.2f}).",
                rule="approval_required",
            )
        _move(po, PO.SENT, actor=actor, now=now)
        po.transmission_method, po.sent_date, po.sent_by = method, now, actor.id
    return po


def acknowledge_purchase_order(
    shop_id: int,
    po_id: Any,
    *,
    actor: Any,
    now: datetime,
    confirmation_number: str | None = None,
    promised_date: datetime | None = None,
) -> PurchaseOrder:
    """Record the vendor's confirmation; a promised date becomes the expected date of the PO's open lines."""
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        _move(po, PO.ACKNOWLEDGED, actor=actor, now=now)
        po.acknowledgment_received, po.acknowledgment_date = True, now
        po.vendor_confirmation_number = (confirmation_number or "").strip()[:100] or None
        if promised_date is not None:
            po.promised_delivery_date = po.estimated_delivery = promised_date
            for line in po.part_lines:
                if line.part_status in part_rules.RECEIVABLE:
                    line.promised_delivery_date = line.estimated_delivery_date = promised_date
        refresh_repair_order(po.repair_order, now)
    return po


def dispute_purchase_order(shop_id: int, po_id: Any, *, reason: str, actor: Any, now: datetime) -> PurchaseOrder:
    """Put a sent PO in dispute with the vendor (wrong price, missing goods ...); acknowledging, receiving or
    closing it resolves the dispute."""
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        check_transition("purchase order", po.purchase_order_number, po.po_status, PO.DISPUTED)
        reason = _required(reason, f"Say what is disputed on {po.purchase_order_number}.", "dispute_reason_required")
        _move(po, PO.DISPUTED, actor=actor, now=now, reason=reason)
    return po


# --- receiving ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Receipt:
    """What one receipt did to a PO."""

    po: PurchaseOrder
    good: Decimal
    defective: Decimal
    lines_completed: int

    def summary(self) -> str:
        q = part_rules.quantity_text
        text = (
            f"Received {q(self.good)} on {self.po.purchase_order_number}: {q(self.po.total_received)} of "
            f"{q(self.po.total_quantity)} in ({self.po.percent_received or 0} %), {_words(self.po.po_status)}."
        )
        if self.defective:
            text += f" {q(self.defective)} damaged or wrong, recorded for return; still owed by the vendor."
        return text


def receive_purchase_order(
    shop_id: int,
    po_id: Any,
    receipts: Mapping[Any, tuple[Decimal, str]],
    *,
    actor: Any,
    now: datetime,
    packing_slip: str | None = None,
) -> Receipt:
    """Receive some or all of a sent PO's lines: ``receipts`` maps line id → (quantity, condition) (§5.3).

    Quantities accumulate and never exceed what is outstanding; a line is received once complete; the PO's
    totals, receiving status and dates follow, and it becomes partial_received or fully_received. A PO that does
    not allow partial receiving refuses a receipt that leaves any line short.
    """
    settings = shop_settings(shop_id)
    with use_case(actor):
        po = _load_po(shop_id, po_id)
        number = po.purchase_order_number
        if po.po_status not in rules.RECEIVABLE:
            raise TransitionRefused(
                f"Cannot receive on {number}: it is {_words(po.po_status)}; goods are received once the PO is sent.",
                rule="po_not_sent",
            )
        on_po = {line.id: line for line in po.part_lines}
        entries = [(key, q, c) for key, (q, c) in receipts.items() if q is not None and Decimal(q) != 0]
        if not entries:
            raise ValidationError(f"Enter a quantity for at least one line of {number}.", rule="receipt_empty")
        good = defective = Decimal(0)
        completed = 0
        for key, quantity_received, condition in entries:
            line = on_po.get(int(key)) if str(key).isdigit() else None
            if line is None:
                raise ValidationError(f"Line {key} is not on {number}.", rule="line_not_on_po")
            done = apply_receipt(line, quantity_received, condition, actor=actor, now=now, settings=settings)
            good += done.good
            defective += done.defective
            completed += done.completed
            if packing_slip:
                line.packing_slip_number = packing_slip[:50]
        refresh_purchase_order(po)
        if not po.allow_partial_receiving:
            short = [line_label(line) for line in po.part_lines if line.part_status in part_rules.RECEIVABLE]
            if short:
                raise TransitionRefused(
                    f"Cannot receive on {number}: it does not allow partial receiving, and "
                    f"{', '.join(short)} would still be short.",
                    rule="partial_receiving_not_allowed",
                )
        po.first_receipt_date = po.first_receipt_date or now
        po.last_receipt_date = now
        po.partial_shipments = (po.partial_shipments or 0) + 1
        complete = not any(line.part_status in part_rules.RECEIVABLE for line in po.part_lines)
        target = PO.FULLY_RECEIVED if complete and po.total_received else PO.PARTIAL_RECEIVED
        _move(po, target, actor=actor, now=now)
        if target == PO.FULLY_RECEIVED:
            po.actual_delivery_date = now
            po.on_time_delivery, po.delivery_variance = rules.delivery_kpis(
                now, po.promised_delivery_date, po.requested_delivery_date
            )
        refresh_repair_order(po.repair_order, now)
        db.session.flush()
    return Receipt(po, good, defective, completed)


def receive_part_line(
    shop_id: int, line_id: Any, *, quantity: Decimal | None, condition: str, actor: Any, now: datetime
) -> PartLine:
    """Receive one line from its own page: on its purchase order when it has one (so the PO follows), else on
    the line alone. ``quantity`` None receives everything outstanding."""
    try:
        key = int(line_id)
    except (TypeError, ValueError):
        raise NotFound("No such part line.", rule="not_found") from None
    row = db.session.execute(
        sa.select(PartLine.purchase_order_id, PartLine.quantity_ordered, PartLine.quantity_received).where(
            PartLine.id == key, PartLine.shop_id == shop_id
        )
    ).one_or_none()
    if row is None:
        raise NotFound("No such part line in this shop.", rule="not_found")
    po_id, ordered, received = row
    if quantity is None:
        quantity = part_rules.outstanding_quantity(ordered, received)
    if po_id is None:
        return transition_part_line(
            shop_id, key, P.RECEIVED, actor=actor, now=now, details=MoveDetails(quantity=quantity, condition=condition)
        )
    receive_purchase_order(shop_id, po_id, {key: (quantity, condition)}, actor=actor, now=now)
    return db.session.get(PartLine, key)


def return_purchase_order_line(
    shop_id: int,
    po_id: Any,
    line_id: Any,
    *,
    quantity: Decimal,
    reason: str,
    actor: Any,
    now: datetime,
    restocking_fee: Decimal | None = None,
    rma: str | None = None,
    still_needed: bool = False,
    override_reason: str | None = None,
) -> LineReturn:
    """Return part of a received PO line to the vendor with a credit memo (net × qty − restocking fee)."""
    override_reason = (override_reason or "").strip() or None
    with use_case(actor, reason=override_reason):
        po = _load_po(shop_id, po_id)
        line = load(PartLine, shop_id, line_id, label="part line")
        if line.purchase_order_id != po.id:
            raise ValidationError(f"{line_label(line)} is not on {po.purchase_order_number}.", rule="line_not_on_po")
        result = apply_return(
            line,
            quantity,
            reason,
            actor=actor,
            now=now,
            restocking_fee=restocking_fee,
            rma=rma,
            still_needed=still_needed,
            override_reason=override_reason,
        )
        refresh_purchase_order(po)
        refresh_repair_order(po.repair_order, now)
    return result


# --- cancel and close -----------------------------------------------------------------------------------------
def cancel_purchase_order(shop_id: int, po_id: Any, *, reason: str, actor: Any, now: datetime) -> PurchaseOrder:
    """Cancel a PO on which nothing was received; its lines go back to needed, ready for another PO."""
    with use_case(actor, reason=(reason or "").strip() or None):
        po = _load_po(shop_id, po_id)
        number = po.purchase_order_number
        check_transition("purchase order", number, po.po_status, PO.CANCELLED)
        reason = _required(reason, f"Say why {number} is cancelled.", "cancel_reason_required")
        received = [line for line in po.part_lines if part_rules.quantity(line.quantity_received) > 0]
        if received:
            raise TransitionRefused(
                f"Cannot cancel {number}: {len(received)} {'line was' if len(received) == 1 else 'lines were'} "
                "already received; return them or short-close the PO instead.",
                rule="po_received",
            )
        reopened = 0
        for line in list(po.part_lines):
            if line.part_status in part_rules.RECEIVABLE:
                # Not a move of the line's own machine: the order it was on is withdrawn, so the need is back.
                detach_from_order(line)
                line.previous_status, line.part_status = line.part_status, P.NEEDED
                line.status_change_date, line.status_changed_by, line.updated_by = now, actor.id, actor.id
                reopened += 1
        _move(po, PO.CANCELLED, actor=actor, now=now, reason=reason)
        po.cancelled_items = (po.cancelled_items or 0) + reopened
        refresh_repair_order(po.repair_order, now)
    return po


def cancel_with_repair_order(po: PurchaseOrder, *, reason: str, actor: Any, now: datetime) -> None:
    """Inside the RO's cancel use case: withdraw an unsent PO; its lines are cancelled with the RO."""
    for line in list(po.part_lines):
        if line.part_status in part_rules.RECEIVABLE:
            detach_from_order(line)
            line.previous_status, line.part_status = line.part_status, P.CANCELLED
            line.status_change_date, line.status_changed_by, line.updated_by = now, actor.id, actor.id
    _move(po, PO.CANCELLED, actor=actor, now=now, reason=reason)


def close_purchase_order(
    shop_id: int, po_id: Any, *, actor: Any, now: datetime, reason: str | None = None, reorder: bool = True
) -> PurchaseOrder:
    """Close a PO. A fully received one simply closes; a partly received one is short-closed (reason required):
    what was not delivered is cancelled, lines with something in become received, and with ``reorder`` a new
    needed line carries each missing quantity to the next PO."""
    reason = (reason or "").strip() or None
    settings = shop_settings(shop_id)
    with use_case(actor, reason=reason):
        po = _load_po(shop_id, po_id)
        number = po.purchase_order_number
        check_transition("purchase order", number, po.po_status, PO.CLOSED)
        open_lines = [line for line in po.part_lines if line.part_status in part_rules.RECEIVABLE]
        if open_lines and not reason:
            raise ValidationError(
                f"Say why {number} is short-closed ({len(open_lines)} "
                f"{'line is' if len(open_lines) == 1 else 'lines are'} not fully received).",
                rule="short_close_reason_required",
            )
        for line in open_lines:
            missing = part_rules.outstanding_quantity(line.quantity_ordered, line.quantity_received)
            target = P.RECEIVED if part_rules.quantity(line.quantity_received) > 0 else P.CANCELLED
            try:
                set_status(line, target, actor=actor, now=now)
            except TransitionRefused as refused:
                raise TransitionRefused(f"Cannot short-close {number}: {refused}", rule=refused.rule) from None
            if target == P.RECEIVED and line.return_deadline is None:
                line.return_deadline = part_rules.return_deadline(now, settings.get("partReturnDays", 30))
            if reorder and missing > 0:
                reopen_need(line, missing, actor=actor)
        _move(po, PO.CLOSED, actor=actor, now=now, reason=reason)
        po.cancelled_items = (po.cancelled_items or 0) + len(open_lines)
        refresh_purchase_order(po)
        refresh_repair_order(po.repair_order, now)
    return po
