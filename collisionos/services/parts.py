"""Part line use cases (DOMAIN.md §3.3, §5.3-§5.5): moves along the part line machine with their side
effects, receipts, returns with their credit, core returns; and the roll-ups that follow a line's change.

The line-level steps (``apply_receipt``, ``apply_return``, ``reopen_need`` ...) change rows without
committing; the purchasing use cases reuse them inside their own unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from collisionos.domain import parts as rules
from collisionos.domain.calculations import add_months
from collisionos.domain.calculations import net_price as list_net_price
from collisionos.domain.errors import PermissionDenied, TransitionRefused, ValidationError
from collisionos.domain.money import ZERO, to_money
from collisionos.domain.purchasing import CONDITIONS, DEFECT_RETURN_REASONS, PoLine, receiving_rollup
from collisionos.domain.repair_orders import is_manager
from collisionos.domain.settings import merged_settings
from collisionos.domain.transitions import check_transition
from collisionos.extensions import db
from collisionos.models import PartLine, PurchaseOrder, RepairOrder, Shop, Vendor
from collisionos.models.enums import PartStatus as P
from collisionos.models.parts import PART_LINE_RETURN_REASONS
from collisionos.services.repair_orders import refresh_repair_order
from collisionos.services.unit_of_work import load, use_case

# Columns a replacement line copies from the line it replaces (what the part is, where it comes from, its price).
REPLACEMENT_COLUMNS = (
    "estimate_line_item_id",
    "part_id",
    "vendor_id",
    "part_description",
    "operation_code",
    "oem_part_number",
    "vendor_part_number",
    "alternate_part_numbers",
    "universal_product_code",
    "vehicle_position",
    "position_code",
    "assembly_group",
    "part_category",
    "part_condition",
    "brand_type",
    "quality_grade",
    "unit_of_measure",
    "is_core_item",
    "core_charge",
    "list_price",
    "net_price",
    "sell_price",
    "discount_percentage",
    "discount_amount",
    "markup",
    "target_margin",
    "margin_guardrails",
    "inspection_required",
    "warranty_type",
    "part_warranty_period",
    "part_warranty_mileage",
    "is_returnable",
    "paint_code",
    "paint_type",
    "hazardous_material",
    "msds_required",
    "hazmat_class",
    "priority",
    "is_rush_order",
    "customer_waiting",
)


def _words(value: str | None) -> str:
    return str(value or "").replace("_", " ")


def shop_settings(shop_id: int) -> dict[str, Any]:
    shop = db.session.get(Shop, shop_id)
    return merged_settings(shop.settings if shop else None)


def shop_zone(shop_id: int) -> ZoneInfo:
    shop = db.session.get(Shop, shop_id)
    return ZoneInfo((shop.timezone if shop else None) or "UTC")


def line_label(line: PartLine) -> str:
    """``RO10452 #3 (Front bumper cover)``: how staff name a part line."""
    ro = line.repair_order
    head = f"{ro.repair_order_number} #{line.line_number}" if ro is not None else f"Part line #{line.line_number}"
    return f"{head} ({line.part_description[:60]})"


def _check_override(actor: Any, override_reason: str | None) -> bool:
    """True when a manager overrides with a reason; a reason from anyone else is refused."""
    if not override_reason:
        return False
    if not is_manager(actor.role):
        raise PermissionDenied("Only a manager, owner or admin may override a rule.", rule="override_not_allowed")
    return True


# --- line steps (no commit) -----------------------------------------------------------------------
def set_status(line: PartLine, target: str, *, actor: Any, now: datetime) -> None:
    """Move ``line`` to ``target`` if the machine allows it, recording who and when."""
    check_transition("part line", line_label(line), line.part_status, target)
    line.previous_status, line.part_status = line.part_status, target
    line.status_change_date = now
    line.status_changed_by = actor.id
    line.updated_by = actor.id


def unit_cost(line: PartLine) -> Decimal | None:
    """The shop's cost of one unit: the net price, else list price less discounts (§5.4); None when unknown."""
    if line.net_price is not None:
        return to_money(line.net_price)
    if line.list_price is None:
        return None
    return list_net_price(line.list_price, line.discount_percentage, line.discount_amount)


def price_line(line: PartLine, settings: dict[str, Any]) -> rules.MarginCheck:
    """Fill the line's sell price from its markup when the estimate fixed none, set its target margin, and
    return where its margin stands (§5.4). Net price, cost and actual margin follow on save (T9)."""
    net = unit_cost(line)
    if line.sell_price is None and net is not None:
        line.sell_price = rules.marked_up_sell_price(net, line.markup)
    check = rules.check_margin(
        net_price=net,
        sell_price=line.sell_price,
        brand_type=line.brand_type,
        settings=settings,
        guardrails=line.margin_guardrails,
    )
    line.target_margin = check.target
    return check


def margin_warning(line: PartLine, settings: dict[str, Any]) -> str | None:
    """The margin warning for ``line`` as it stands (shown on its page and when it is ordered)."""
    check = rules.check_margin(
        net_price=unit_cost(line),
        sell_price=line.sell_price,
        brand_type=line.brand_type,
        settings=settings,
        guardrails=line.margin_guardrails,
    )
    return rules.margin_warning(line_label(line), check)


def reopen_need(line: PartLine, quantity: Decimal, *, actor: Any) -> PartLine:
    """A new ``needed`` line for ``quantity`` of the same part: the need the returned or cancelled items leave."""
    # Lock the RO so two requests cannot both take the next line number.
    db.session.execute(sa.select(RepairOrder.id).where(RepairOrder.id == line.repair_order_id).with_for_update())
    number = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(PartLine.line_number), 0)).where(
            PartLine.repair_order_id == line.repair_order_id
        )
    )
    replacement = PartLine(
        shop_id=line.shop_id,
        repair_order=line.repair_order,
        line_number=(number or 0) + 1,
        quantity_ordered=rules.quantity(quantity),
        part_status=P.NEEDED,
        created_by=actor.id,
        **{column: getattr(line, column) for column in REPLACEMENT_COLUMNS},
    )
    db.session.add(replacement)
    return replacement


@dataclass(frozen=True)
class LineReceipt:
    """What one receipt did to one line."""

    line: PartLine
    good: Decimal
    defective: Decimal
    completed: bool


def apply_receipt(
    line: PartLine, quantity: Decimal, condition: str, *, actor: Any, now: datetime, settings: dict[str, Any]
) -> LineReceipt:
    """Receive ``quantity`` of ``line`` in ``condition`` (§5.3).

    Received never exceeds ordered: a quantity above what is outstanding is refused (the surplus goes back
    with the driver, so nothing is booked that is not ours). Good items accumulate and the line is
    ``received`` once all of it is in. Damaged or wrong items count as not received: they are recorded on the
    line as defective with their return reason (the RMA), and the line stays on order for the replacement the
    vendor owes; the part line machine has no ordered → returned move. If no replacement comes, short-closing
    the PO re-opens the need.
    """
    label = line_label(line)
    if line.part_status not in rules.RECEIVABLE:
        raise TransitionRefused(
            f"Cannot receive {label}: it is {_words(line.part_status)}; only ordered, backordered or shipped lines "
            "are received.",
            rule="line_not_on_order",
        )
    if condition not in CONDITIONS:
        raise ValidationError(f"Condition must be one of: {', '.join(CONDITIONS)}.", rule="receipt_condition")
    quantity = rules.quantity(quantity)
    if quantity <= 0:
        raise ValidationError(f"Enter a quantity above 0 to receive {label}.", rule="receipt_quantity")
    ordered, received = rules.quantity(line.quantity_ordered), rules.quantity(line.quantity_received)
    outstanding = rules.outstanding_quantity(ordered, received)
    if quantity > outstanding:
        q = rules.quantity_text
        raise ValidationError(
            f"Cannot receive {q(quantity)} of {label}: only {q(outstanding)} outstanding (ordered {q(ordered)}, "
            f"received {q(received)}). Received never exceeds ordered; send the surplus back.",
            rule="over_receipt",
        )
    line.updated_by = actor.id
    if condition != "good":
        line.quantity_defective = rules.quantity(line.quantity_defective) + quantity
        line.return_reason = DEFECT_RETURN_REASONS[condition]
        line.return_date, line.returned_by = now, actor.id
        return LineReceipt(line, ZERO, quantity, False)
    line.quantity_received = received + quantity
    line.received_by, line.received_date, line.actual_delivery_date = actor.id, now, now
    promised = line.promised_delivery_date or line.estimated_delivery_date
    if promised is not None:
        line.on_time_delivery = now.date() <= promised.date()
    completed = received + quantity >= ordered
    if completed:
        set_status(line, P.RECEIVED, actor=actor, now=now)
        line.return_deadline = rules.return_deadline(now, settings.get("partReturnDays", 30))
    return LineReceipt(line, quantity, ZERO, completed)


@dataclass(frozen=True)
class LineReturn:
    line: PartLine
    quantity: Decimal
    fee: Decimal
    credit: Decimal
    replacement: PartLine | None


def apply_return(
    line: PartLine,
    quantity: Decimal,
    reason: str,
    *,
    actor: Any,
    now: datetime,
    restocking_fee: Decimal | None = None,
    rma: str | None = None,
    still_needed: bool = False,
    override_reason: str | None = None,
) -> LineReturn:
    """Send ``quantity`` of a received line back to its vendor with a credit memo (§5.5).

    credit = net × quantity − restocking fee (the fee typed in, else the PO's percentage unless the vendor is at
    fault). The line is ``returned`` once everything received went back; ``still_needed`` re-opens the need.
    """
    label = line_label(line)
    po = line.purchase_order
    if line.part_status not in rules.RETURNABLE:
        raise TransitionRefused(
            f"Cannot return {label}: it is {_words(line.part_status)}; only received, inspected or installed parts "
            "go back to the vendor.",
            rule="line_not_returnable_status",
        )
    if reason not in PART_LINE_RETURN_REASONS:
        raise ValidationError(
            f"Choose a return reason: {', '.join(_words(r) for r in PART_LINE_RETURN_REASONS)}.",
            rule="return_reason_required",
        )
    if not line.is_returnable:
        raise TransitionRefused(f"Cannot return {label}: the part is marked not returnable.", rule="not_returnable")
    if po is not None and not po.returns_allowed:
        raise TransitionRefused(
            f"Cannot return {label}: {po.purchase_order_number} does not allow returns.", rule="returns_not_allowed"
        )
    deadlines = [d for d in (line.return_deadline, po.return_deadline if po is not None else None) if d is not None]
    if deadlines and now > min(deadlines) and not _check_override(actor, override_reason):
        raise TransitionRefused(
            f"Cannot return {label}: the return deadline passed on {min(deadlines):%Y-%m-%d}; a manager may "
            "override with a reason.",
            rule="return_deadline_passed",
        )
    quantity = rules.quantity(quantity)
    received, returned = rules.quantity(line.quantity_received), rules.quantity(line.quantity_returned)
    returnable = received - returned
    if quantity <= 0 or quantity > returnable:
        raise ValidationError(
            f"Cannot return {rules.quantity_text(quantity)} of {label}: between 1 and "
            f"{rules.quantity_text(returnable)} can go back.",
            rule="return_quantity",
        )
    amount = to_money(Decimal(line.net_price or 0) * quantity)
    fee = rules.restocking_fee(
        reason, amount, fee_amount=restocking_fee, fee_percent=po.restocking_fee if po is not None else None
    )
    if fee < 0 or fee > amount:
        raise ValidationError(f"The restocking fee must be between 0.00 and {amount:,.2f}.", rule="restocking_fee")
    credit = rules.return_credit(line.net_price, quantity, fee)
    installed = rules.quantity(line.quantity_installed)
    on_hand = received - installed - returned
    if quantity > on_hand:
        # Taken off the car (defective after install): fewer are installed now.
        line.quantity_installed = installed - (quantity - on_hand)
    line.quantity_returned = returned + quantity
    line.restocking_fee = to_money(line.restocking_fee) + fee
    line.return_credit = to_money(line.return_credit) + credit
    line.return_reason, line.return_date, line.returned_by = reason, now, actor.id
    if rma:
        line.return_auth_number = rma[:50]
    line.updated_by = actor.id
    if returned + quantity >= received:
        set_status(line, P.RETURNED, actor=actor, now=now)
    replacement = reopen_need(line, quantity, actor=actor) if still_needed else None
    return LineReturn(line, quantity, fee, credit, replacement)


def refresh_purchase_order(po: PurchaseOrder) -> None:
    """Recompute a PO's receiving roll-up from its lines (§5.3); percent_received follows on save (T11)."""
    db.session.flush()
    db.session.expire(po, ["part_lines"])
    rollup = receiving_rollup(
        PoLine(
            status=line.part_status,
            ordered=rules.quantity(line.quantity_ordered),
            received=rules.quantity(line.quantity_received),
            defective=rules.quantity(line.quantity_defective),
            returned=rules.quantity(line.quantity_returned),
        )
        for line in po.part_lines
    )
    po.total_quantity, po.total_received = rollup.total_quantity, rollup.total_received
    po.receiving_status = rollup.receiving_status
    po.backordered_items, po.returned_items = rollup.backordered_items, rollup.returned_items


def detach_from_order(line: PartLine) -> None:
    """Take a line off its PO: it starts over and will be ordered again."""
    line.purchase_order_id = None
    line.purchase_order_number = None
    line.order_date = line.ordered_by = None
    line.quantity_received = line.quantity_installed = line.quantity_returned = line.quantity_defective = ZERO
    line.received_date = line.received_by = line.actual_delivery_date = None
    line.installation_date = line.installed_by = None
    line.return_date = line.returned_by = line.return_reason = line.return_auth_number = None
    line.return_credit = line.restocking_fee = line.return_deadline = None
    line.backorder_date = line.backorder_reason = line.estimated_backorder_release = None


# --- use cases ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoveDetails:
    """What staff typed with a move (each move reads the fields it needs)."""

    vendor_id: Any = None
    net_price: Decimal | None = None
    sell_price: Decimal | None = None
    quote_expires: datetime | None = None
    expected_date: datetime | None = None
    tracking_number: str | None = None
    quantity: Decimal | None = None
    condition: str = "good"
    inspection_passed: bool = True
    defect_description: str | None = None
    installation_hours: Decimal | None = None


def transition_part_line(
    shop_id: int,
    line_id: Any,
    target: str,
    *,
    actor: Any,
    now: datetime,
    reason: str | None = None,
    details: MoveDetails | None = None,
) -> PartLine:
    """Move a part line to ``target`` along §3.3 with its side effects; commit once.

    sourcing → sourced_by/sourcing_date (vendor and price optional); quoted → needs a vendor and a net price;
    ordered → only back from backordered (new lines are ordered with Create purchase orders); backordered →
    backorder date, reason, expected release; shipped → tracking, ETA; received → quantity and condition (lines
    not on a PO; a PO's lines are received on the PO); inspected → result; installed → quantity, hours, warranty;
    cancelled → reason, nothing received; needed (from returned/cancelled) → the line starts over, off its PO.
    Returns are :func:`return_part_line`.
    """
    reason = (reason or "").strip() or None
    details = details or MoveDetails()
    settings = shop_settings(shop_id)
    with use_case(actor, reason=reason):
        line = load(PartLine, shop_id, line_id, label="part line")
        label = line_label(line)
        current = line.part_status
        po = line.purchase_order
        check_transition("part line", label, current, target)
        if target == P.RETURNED:
            raise TransitionRefused(f"Use Return to send {label} back to its vendor.", rule="use_return")
        if target == P.ORDERED and current in rules.ORDERABLE:
            raise TransitionRefused(
                f"Cannot order {label} on its own: select it on the part lines list and use Create purchase orders.",
                rule="order_through_purchase_order",
            )
        if target == P.RECEIVED and po is not None:
            raise TransitionRefused(
                f"Receive {label} on its purchase order {po.purchase_order_number}.", rule="receive_on_purchase_order"
            )
        if target == P.RECEIVED:
            outstanding = rules.outstanding_quantity(line.quantity_ordered, line.quantity_received)
            apply_receipt(
                line,
                details.quantity if details.quantity is not None else outstanding,
                details.condition,
                actor=actor,
                now=now,
                settings=settings,
            )
            refresh_repair_order(line.repair_order, now)
            return line
        _side_effects(line, target, details, actor=actor, now=now, settings=settings, reason=reason)
        set_status(line, target, actor=actor, now=now)
        if po is not None and line.purchase_order_id is not None:
            refresh_purchase_order(po)
        refresh_repair_order(line.repair_order, now)
    return line


def _side_effects(
    line: PartLine,
    target: str,
    details: MoveDetails,
    *,
    actor: Any,
    now: datetime,
    settings: dict[str, Any],
    reason: str | None,
) -> None:
    label = line_label(line)
    if target in (P.SOURCING, P.QUOTED):
        if details.vendor_id not in (None, ""):
            vendor = load(Vendor, line.shop_id, details.vendor_id, label="vendor", lock=False)
            line.vendor_id, line.vendor = vendor.id, vendor
        if details.net_price is not None:
            if details.net_price < 0:
                raise ValidationError("The net price cannot be negative.", rule="net_price")
            line.net_price = to_money(details.net_price)
        if details.sell_price is not None:
            if details.sell_price < 0:
                raise ValidationError("The sell price cannot be negative.", rule="sell_price")
            line.sell_price = to_money(details.sell_price)
        if target == P.SOURCING:
            line.sourced_by, line.sourcing_date = actor.id, now
        else:
            if line.vendor_id is None:
                raise ValidationError(
                    f"Cannot mark {label} quoted: choose the vendor that quoted it.", rule="quote_vendor"
                )
            if line.net_price is None:
                raise ValidationError(f"Cannot mark {label} quoted: enter the quoted net price.", rule="quote_price")
            line.quote_expiration_date = details.quote_expires
        price_line(line, settings)
    elif target == P.NEEDED:
        if line.part_status in (P.RETURNED, P.CANCELLED):
            po = line.purchase_order
            detach_from_order(line)
            if po is not None:
                refresh_purchase_order(po)
        line.quote_expiration_date = None
    elif target == P.BACKORDERED:
        line.backorder_date = now
        line.backorder_reason = reason[:255] if reason else None
        if details.expected_date is not None:
            line.estimated_backorder_release = line.estimated_delivery_date = details.expected_date
    elif target == P.SHIPPED:
        if details.tracking_number:
            line.tracking_number = details.tracking_number[:100]
        if details.expected_date is not None:
            line.estimated_delivery_date = details.expected_date
    elif target == P.INSPECTED:
        passed = bool(details.inspection_passed)
        if not passed and not (details.defect_description or "").strip():
            raise ValidationError(
                f"Say what is wrong with {label} (a failed inspection needs a description).", rule="defect_description"
            )
        line.inspected_by, line.inspection_date = actor.id, now
        line.inspection_completed, line.inspection_passed = True, passed
        line.defect_description = (details.defect_description or "").strip()[:255] or None
    elif target == P.INSTALLED:
        _install(line, details.quantity, details.installation_hours, actor=actor, now=now)
    elif target == P.CANCELLED:
        if not reason:
            raise ValidationError(f"Say why {label} is cancelled.", rule="cancel_reason_required")
        in_hand = rules.quantity(line.quantity_received) - rules.quantity(line.quantity_returned)
        if in_hand > 0:
            raise TransitionRefused(
                f"Cannot cancel {label}: {rules.quantity_text(in_hand)} already received; return them instead.",
                rule="line_received",
            )
        if line.purchase_order is not None:
            line.purchase_order.cancelled_items = (line.purchase_order.cancelled_items or 0) + 1


def _install(line: PartLine, quantity: Decimal | None, hours: Decimal | None, *, actor: Any, now: datetime) -> None:
    label = line_label(line)
    if line.inspection_required and not line.inspection_completed:
        raise TransitionRefused(f"Cannot install {label}: it must be inspected first.", rule="inspection_required")
    if line.inspection_completed and not line.inspection_passed:
        raise TransitionRefused(
            f"Cannot install {label}: it failed inspection; return it to the vendor.", rule="inspection_failed"
        )
    on_hand = (
        rules.quantity(line.quantity_received)
        - rules.quantity(line.quantity_installed)
        - rules.quantity(line.quantity_returned)
    )
    quantity = rules.quantity(quantity) if quantity is not None else on_hand
    if quantity <= 0 or quantity > on_hand:
        raise ValidationError(
            f"Cannot install {rules.quantity_text(quantity)} of {label}: {rules.quantity_text(on_hand)} on hand.",
            rule="install_quantity",
        )
    if hours is not None and hours < 0:
        raise ValidationError("Installation hours cannot be negative.", rule="installation_time")
    line.quantity_installed = rules.quantity(line.quantity_installed) + quantity
    line.installed_by, line.installation_date = actor.id, now
    if hours is not None:
        line.installation_time = hours
    if line.part_warranty_period and line.warranty_start_date is None:
        line.warranty_start_date = now
        line.warranty_end_date = add_months(now, int(line.part_warranty_period))


def return_part_line(
    shop_id: int,
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
    purchase_order_id: Any = None,
) -> LineReturn:
    """Return part of a received line to its vendor with a credit memo; commit once (see :func:`apply_return`).

    ``purchase_order_id``, when given, must be the line's PO (the return was made from the PO's page).
    """
    override_reason = (override_reason or "").strip() or None
    with use_case(actor, reason=override_reason):
        line = load(PartLine, shop_id, line_id, label="part line")
        if purchase_order_id not in (None, "") and str(line.purchase_order_id) != str(purchase_order_id):
            raise ValidationError(f"{line_label(line)} is not on this purchase order.", rule="line_not_on_po")
        po = line.purchase_order
        if po is not None:
            load(PurchaseOrder, shop_id, po.id, label="purchase order")
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
        if po is not None:
            refresh_purchase_order(po)
        refresh_repair_order(line.repair_order, now)
    return result


def return_core(shop_id: int, line_id: Any, *, actor: Any, now: datetime, credit: Decimal | None = None) -> PartLine:
    """Record the old core sent back to the vendor: core_returned, its date and credit (= core charge unless the
    vendor deducts) (§5.5)."""
    with use_case(actor):
        line = load(PartLine, shop_id, line_id, label="part line")
        label = line_label(line)
        if not line.is_core_item:
            raise TransitionRefused(f"{label} has no core to return.", rule="not_a_core_item")
        if line.core_returned:
            raise TransitionRefused(
                f"The core of {label} was already returned on {line.core_return_date:%Y-%m-%d}.",
                rule="core_already_returned",
            )
        if line.part_status != P.INSTALLED:
            raise TransitionRefused(
                f"Cannot return the core of {label}: the new part is {_words(line.part_status)}, not installed.",
                rule="core_not_installed",
            )
        charge = to_money(line.core_charge)
        amount = charge if credit is None else to_money(credit)
        if amount < 0 or amount > charge:
            raise ValidationError(f"The core credit must be between 0.00 and {charge:,.2f}.", rule="core_credit")
        line.core_returned, line.core_return_date, line.core_return_credit = True, now, amount
        line.updated_by = actor.id
        refresh_repair_order(line.repair_order, now)
    return line


def core_return_due(line: PartLine, settings: dict[str, Any]) -> datetime | None:
    """When the core of an installed core item is owed back (installation + coreReturnDays); None when not owed."""
    if not line.is_core_item or line.core_returned or line.part_status != P.INSTALLED:
        return None
    return rules.core_return_due(line.installation_date, settings.get("coreReturnDays", 30))
