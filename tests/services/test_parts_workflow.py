"""Part lines (services/parts.py): every move of DOMAIN.md §3.3 with its side effects and guards, quantities,
core returns and the RO's parts counters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from collisionos.domain.errors import DomainError, NotFound, PermissionDenied, TransitionRefused, ValidationError
from collisionos.domain.transitions import allowed_targets
from collisionos.extensions import db
from collisionos.models import PartLine, PurchaseOrder, RepairOrder
from collisionos.models.enums import PartStatus as P
from collisionos.services import parts as svc
from collisionos.services import purchasing
from collisionos.services.parts import MoveDetails
from tests import factories

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@dataclass
class World:
    shop: Any
    ro: Any
    vendor: Any
    buyer: Any
    manager: Any


@pytest.fixture
def w(session) -> World:  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory()
    return World(
        shop=shop,
        ro=factories.repair_order_in(shop, repair_order_number="RO20001", ro_status="estimate_approved"),
        vendor=factories.VendorFactory(shop=shop, name="Keystone", vendor_code="KEY"),
        buyer=factories.UserFactory(shop=shop, role="parts_manager"),
        manager=factories.UserFactory(shop=shop, role="manager"),
    )


def line(w: World, **kwargs: Any) -> PartLine:
    values: dict[str, Any] = {
        "repair_order": w.ro,
        "vendor": w.vendor,
        "net_price": Decimal("100.00"),
        "sell_price": Decimal("150.00"),
    }
    values.update(kwargs)
    return factories.PartLineFactory(**values)


def reload(row_id: int) -> PartLine:
    db.session.expire_all()
    return db.session.get(PartLine, row_id)


def move(w: World, part: PartLine | int, target: str, *, reason: str | None = None, **details: Any) -> PartLine:
    line_id = part if isinstance(part, int) else part.id
    return svc.transition_part_line(
        w.shop.id, line_id, target, actor=w.buyer, now=NOW, reason=reason, details=MoveDetails(**details)
    )


# --- side effects of each move (§3.3) ------------------------------------------------------------------------
def test_sourcing_records_who_when_and_the_chosen_vendor_and_price(w: World) -> None:
    other = factories.VendorFactory(shop=w.shop, name="LKQ")
    part = line(w, vendor=None)

    move(w, part, P.SOURCING, vendor_id=other.id, net_price=Decimal("88.40"))

    stored = reload(part.id)
    assert (stored.part_status, stored.sourced_by, stored.sourcing_date) == (P.SOURCING, w.buyer.id, NOW)
    assert (stored.vendor_id, stored.net_price, stored.total_cost) == (other.id, Decimal("88.40"), Decimal("88.40"))
    assert (stored.previous_status, stored.status_change_date, stored.status_changed_by) == (
        P.NEEDED,
        NOW,
        w.buyer.id,
    )


def test_a_vendor_of_another_shop_cannot_be_chosen(w: World) -> None:
    theirs = factories.VendorFactory(shop=factories.ShopFactory())
    part = line(w)
    with pytest.raises(NotFound):
        move(w, part, P.SOURCING, vendor_id=theirs.id)
    assert reload(part.id).part_status == P.NEEDED


def test_a_quote_needs_a_vendor_and_a_price(w: World) -> None:
    no_vendor = line(w, vendor=None, part_status=P.SOURCING)
    no_price = line(w, net_price=None, list_price=None, part_status=P.SOURCING)
    with pytest.raises(ValidationError) as vendor:
        move(w, no_vendor, P.QUOTED)
    with pytest.raises(ValidationError) as price:
        move(w, no_price, P.QUOTED)
    assert (vendor.value.rule, price.value.rule) == ("quote_vendor", "quote_price")
    assert reload(no_vendor.id).part_status == reload(no_price.id).part_status == P.SOURCING


@pytest.mark.parametrize(("field", "rule"), [("net_price", "net_price"), ("sell_price", "sell_price")])
def test_prices_cannot_be_negative(w: World, field: str, rule: str) -> None:
    part = line(w)
    with pytest.raises(ValidationError) as refused:
        move(w, part, P.SOURCING, **{field: Decimal("-1")})
    assert refused.value.rule == rule
    assert reload(part.id).part_status == P.NEEDED


def test_quoting_sets_the_target_margin_for_the_brand_and_the_margin_follows(w: World) -> None:
    part = line(w, part_status=P.SOURCING, brand_type="aftermarket", sell_price=None, markup=Decimal("50"))
    expires = NOW + timedelta(days=7)

    move(w, part, P.QUOTED, net_price=Decimal("80.00"), quote_expires=expires)

    stored = reload(part.id)
    assert (stored.net_price, stored.sell_price, stored.quote_expiration_date) == (
        Decimal("80.00"),
        Decimal("120.00"),
        expires,
    )
    assert (stored.target_margin, stored.actual_margin, stored.margin_variance) == (
        Decimal("35.00"),
        Decimal("33.33"),
        Decimal("-1.67"),
    )
    assert svc.margin_warning(stored, svc.shop_settings(w.shop.id)) is None  # 33.33 ≥ 35 − 5


def test_a_margin_below_the_minimum_is_warned_and_below_cost_says_so(w: World) -> None:
    settings = svc.shop_settings(w.shop.id)
    thin = line(w, brand_type="oem", sell_price=Decimal("120.00"))  # 16.67 % < 25 − 5
    loss = line(w, sell_price=Decimal("90.00"))
    assert "16.67 %" in svc.margin_warning(thin, settings)
    assert "sells below cost" in svc.margin_warning(loss, settings)


def test_a_line_is_never_ordered_on_its_own(w: World) -> None:
    part = line(w)
    with pytest.raises(TransitionRefused) as refused:
        move(w, part, P.ORDERED)
    assert refused.value.rule == "order_through_purchase_order"
    assert reload(part.id).part_status == P.NEEDED


def test_backorder_records_date_reason_and_expected_release(w: World) -> None:
    part = line(w, part_status=P.ORDERED)
    release = NOW + timedelta(days=10)

    move(w, part, P.BACKORDERED, reason="Manufacturer backorder", expected_date=release)

    stored = reload(part.id)
    assert (stored.backorder_date, stored.backorder_reason, stored.estimated_backorder_release) == (
        NOW,
        "Manufacturer backorder",
        release,
    )
    ro = db.session.get(RepairOrder, w.ro.id)
    assert ro.parts_backordered_count == 1 and ro.next_part_expected_date == release


def test_shipping_records_tracking_and_eta(w: World) -> None:
    part = line(w, part_status=P.ORDERED)
    move(w, part, P.SHIPPED, tracking_number="1Z999", expected_date=NOW + timedelta(days=1))
    stored = reload(part.id)
    assert (stored.tracking_number, stored.estimated_delivery_date) == ("1Z999", NOW + timedelta(days=1))


def test_receiving_a_line_not_on_a_po_accumulates_and_never_exceeds_ordered(w: World) -> None:
    part = line(w, part_status=P.ORDERED, quantity_ordered=Decimal("4"))

    move(w, part, P.RECEIVED, quantity=Decimal("1"))
    assert (reload(part.id).part_status, reload(part.id).quantity_received) == (P.ORDERED, 1)
    with pytest.raises(ValidationError) as over:
        move(w, part, P.RECEIVED, quantity=Decimal("4"))
    assert over.value.rule == "over_receipt"
    move(w, part, P.RECEIVED)  # the rest

    stored = reload(part.id)
    assert (stored.part_status, stored.quantity_received, stored.received_by, stored.received_date) == (
        P.RECEIVED,
        4,
        w.buyer.id,
        NOW,
    )
    assert stored.return_deadline == NOW + timedelta(days=30) and stored.quantity_remaining == 4


def test_the_return_window_comes_from_the_shops_settings(w: World) -> None:
    w.shop.settings = {"partReturnDays": 10}
    db.session.commit()
    part = line(w, part_status=P.ORDERED)
    move(w, part, P.RECEIVED)
    assert reload(part.id).return_deadline == NOW + timedelta(days=10)


def test_a_line_on_a_po_is_received_on_the_po(w: World) -> None:
    part = line(w)
    po = purchasing.create_purchase_orders(w.shop.id, [part.id], actor=w.buyer, now=NOW).orders[0]
    with pytest.raises(TransitionRefused) as refused:
        move(w, part, P.RECEIVED)
    assert refused.value.rule == "receive_on_purchase_order" and po.purchase_order_number in str(refused.value)


def test_inspection_records_the_result_and_a_failure_needs_a_description(w: World) -> None:
    failed = line(w, part_status=P.RECEIVED, quantity_received=Decimal(1))
    with pytest.raises(ValidationError) as missing:
        move(w, failed, P.INSPECTED, inspection_passed=False)
    assert missing.value.rule == "defect_description"

    move(w, failed, P.INSPECTED, inspection_passed=False, defect_description="Cracked mounting tab")

    stored = reload(failed.id)
    assert (stored.inspection_completed, stored.inspection_passed, stored.defect_description) == (
        True,
        False,
        "Cracked mounting tab",
    )
    assert (stored.inspected_by, stored.inspection_date) == (w.buyer.id, NOW)


def test_a_part_that_failed_inspection_cannot_be_installed(w: World) -> None:
    part = line(
        w, part_status=P.INSPECTED, quantity_received=Decimal(1), inspection_completed=True, inspection_passed=False
    )
    with pytest.raises(TransitionRefused) as refused:
        move(w, part, P.INSTALLED)
    assert refused.value.rule == "inspection_failed"
    assert reload(part.id).part_status == P.INSPECTED


def test_a_part_needing_inspection_is_inspected_before_install(w: World) -> None:
    part = line(w, part_status=P.RECEIVED, quantity_received=Decimal(1), inspection_required=True)
    with pytest.raises(TransitionRefused) as refused:
        move(w, part, P.INSTALLED)
    assert refused.value.rule == "inspection_required"


def test_installing_records_quantity_hours_and_starts_the_warranty(w: World) -> None:
    part = line(w, part_status=P.RECEIVED, quantity_received=Decimal(2), part_warranty_period=12)
    with pytest.raises(ValidationError) as too_many:
        move(w, part, P.INSTALLED, quantity=Decimal(3))
    assert too_many.value.rule == "install_quantity"

    move(w, part, P.INSTALLED, installation_hours=Decimal("1.5"))

    stored = reload(part.id)
    assert (stored.quantity_installed, stored.quantity_remaining, stored.installation_time) == (2, 0, Decimal("1.5"))
    assert (stored.installed_by, stored.installation_date, stored.warranty_start_date) == (w.buyer.id, NOW, NOW)
    assert stored.warranty_end_date == datetime(2027, 11, 25, 15, 0, tzinfo=UTC)


def test_installation_hours_cannot_be_negative(w: World) -> None:
    part = line(w, part_status=P.RECEIVED, quantity_received=Decimal(1))
    with pytest.raises(ValidationError) as refused:
        move(w, part, P.INSTALLED, installation_hours=Decimal("-1"))
    assert refused.value.rule == "installation_time"
    assert reload(part.id).part_status == P.RECEIVED


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_a_receipt_of_nothing_is_refused(w: World, quantity: str) -> None:
    part = line(w, part_status=P.ORDERED)
    with pytest.raises(ValidationError) as refused:
        move(w, part, P.RECEIVED, quantity=Decimal(quantity))
    assert refused.value.rule == "receipt_quantity"


def test_receiving_from_the_line_page_goes_through_its_po(w: World) -> None:
    part = line(w, quantity_ordered=Decimal(2))
    po_id = purchasing.create_purchase_orders(w.shop.id, [part.id], actor=w.buyer, now=NOW).orders[0].id
    purchasing.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)

    purchasing.receive_part_line(w.shop.id, part.id, quantity=Decimal(1), condition="good", actor=w.buyer, now=NOW)
    purchasing.receive_part_line(w.shop.id, part.id, quantity=None, condition="good", actor=w.buyer, now=NOW)

    po = db.session.get(PurchaseOrder, po_id)
    db.session.refresh(po)
    assert (reload(part.id).part_status, po.po_status, po.partial_shipments) == (P.RECEIVED, "fully_received", 2)


def test_receiving_from_the_line_page_without_a_po_receives_the_line(w: World) -> None:
    part = line(w, part_status=P.ORDERED)
    purchasing.receive_part_line(w.shop.id, part.id, quantity=None, condition="good", actor=w.buyer, now=NOW)
    assert reload(part.id).part_status == P.RECEIVED
    with pytest.raises(NotFound):
        purchasing.receive_part_line(w.shop.id, "x", quantity=None, condition="good", actor=w.buyer, now=NOW)


def test_cancelling_needs_a_reason_and_nothing_in_hand(w: World) -> None:
    part = line(w)
    with pytest.raises(ValidationError) as no_reason:
        move(w, part, P.CANCELLED)
    assert no_reason.value.rule == "cancel_reason_required"
    held = line(w, part_status=P.ORDERED, quantity_ordered=Decimal(2), quantity_received=Decimal(1))
    with pytest.raises(TransitionRefused) as received:
        move(w, held, P.CANCELLED, reason="Not needed")
    assert received.value.rule == "line_received"

    move(w, part, P.CANCELLED, reason="Repair instead of replace")
    assert reload(part.id).part_status == P.CANCELLED


def test_cancelling_a_line_on_a_po_counts_on_the_po(w: World) -> None:
    part = line(w)
    po = purchasing.create_purchase_orders(w.shop.id, [part.id], actor=w.buyer, now=NOW).orders[0]
    move(w, part, P.CANCELLED, reason="Customer declined")
    stored = db.session.get(PurchaseOrder, po.id)
    assert stored.cancelled_items == 1 and stored.total_quantity == 0


def test_reopening_a_returned_line_takes_it_off_its_po_to_start_over(w: World) -> None:
    part = line(w)
    po_id = purchasing.create_purchase_orders(w.shop.id, [part.id], actor=w.buyer, now=NOW).orders[0].id
    purchasing.send_purchase_order(w.shop.id, po_id, method="phone", actor=w.buyer, now=NOW)
    purchasing.receive_purchase_order(w.shop.id, po_id, {part.id: (Decimal(1), "good")}, actor=w.buyer, now=NOW)
    svc.return_part_line(w.shop.id, part.id, quantity=Decimal(1), reason="defective", actor=w.buyer, now=NOW)

    move(w, part, P.NEEDED)

    stored = reload(part.id)
    assert (stored.part_status, stored.purchase_order_id, stored.quantity_received, stored.quantity_returned) == (
        P.NEEDED,
        None,
        0,
        0,
    )
    assert reload(part.id).return_reason is None


def test_returned_is_reached_through_return_not_a_plain_move(w: World) -> None:
    part = line(w, part_status=P.RECEIVED, quantity_received=Decimal(1))
    with pytest.raises(TransitionRefused) as refused:
        move(w, part, P.RETURNED)
    assert refused.value.rule == "use_return"


def test_returning_an_installed_part_takes_it_off_the_car(w: World) -> None:
    part = line(w, part_status=P.INSTALLED, quantity_received=Decimal(2), quantity_installed=Decimal(2))

    result = svc.return_part_line(w.shop.id, part.id, quantity=Decimal(1), reason="defective", actor=w.buyer, now=NOW)

    stored = reload(part.id)
    assert (stored.part_status, stored.quantity_installed, stored.quantity_returned) == (P.INSTALLED, 1, 1)
    assert result.credit == Decimal("100.00")


def test_a_return_override_from_a_parts_manager_is_refused(w: World) -> None:
    part = line(w, part_status=P.RECEIVED, quantity_received=Decimal(1), return_deadline=NOW - timedelta(days=1))
    with pytest.raises(PermissionDenied):
        svc.return_part_line(
            w.shop.id, part.id, quantity=Decimal(1), reason="defective", actor=w.buyer, now=NOW, override_reason="x"
        )


# --- core returns (§5.5) --------------------------------------------------------------------------------------
def core_line(w: World, **kwargs: Any) -> PartLine:
    values = {
        "part_status": P.INSTALLED,
        "quantity_received": Decimal(1),
        "quantity_installed": Decimal(1),
        "is_core_item": True,
        "core_charge": Decimal("75.00"),
        "installation_date": NOW,
    }
    values.update(kwargs)
    return line(w, **values)


def test_a_core_is_owed_after_install_and_returning_it_credits_the_charge(w: World) -> None:
    part = core_line(w)
    settings = svc.shop_settings(w.shop.id)
    assert svc.core_return_due(part, settings) == NOW + timedelta(days=30)

    svc.return_core(w.shop.id, part.id, actor=w.buyer, now=NOW + timedelta(days=3))

    stored = reload(part.id)
    assert (stored.core_returned, stored.core_return_date, stored.core_return_credit) == (
        True,
        NOW + timedelta(days=3),
        Decimal("75.00"),
    )
    assert svc.core_return_due(stored, settings) is None


def test_the_core_due_date_follows_the_shops_setting(w: World) -> None:
    part = core_line(w)
    assert svc.core_return_due(part, {"coreReturnDays": 14}) == NOW + timedelta(days=14)


def test_a_vendor_may_credit_less_than_the_core_charge_but_not_more(w: World) -> None:
    part = core_line(w)
    with pytest.raises(ValidationError) as refused:
        svc.return_core(w.shop.id, part.id, actor=w.buyer, now=NOW, credit=Decimal("80.00"))
    assert refused.value.rule == "core_credit"
    svc.return_core(w.shop.id, part.id, actor=w.buyer, now=NOW, credit=Decimal("60.00"))
    assert reload(part.id).core_return_credit == Decimal("60.00")


@pytest.mark.parametrize(
    ("kwargs", "rule"),
    [
        ({"is_core_item": False}, "not_a_core_item"),
        ({"core_returned": True, "core_return_date": NOW}, "core_already_returned"),
        ({"part_status": P.RECEIVED, "quantity_installed": Decimal(0)}, "core_not_installed"),
    ],
)
def test_core_return_guards(w: World, kwargs: dict, rule: str) -> None:
    part = core_line(w, **kwargs)
    with pytest.raises(TransitionRefused) as refused:
        svc.return_core(w.shop.id, part.id, actor=w.buyer, now=NOW)
    assert refused.value.rule == rule
    assert reload(part.id).core_return_credit is None


# --- the RO's counters follow ----------------------------------------------------------------------------------
def test_the_ros_parts_counters_follow_every_move(w: World) -> None:
    a, b = line(w), line(w)
    po_id = purchasing.create_purchase_orders(w.shop.id, [a.id, b.id], actor=w.buyer, now=NOW).orders[0].id
    purchasing.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    purchasing.receive_purchase_order(w.shop.id, po_id, {a.id: (Decimal(1), "good")}, actor=w.buyer, now=NOW)

    ro = db.session.get(RepairOrder, w.ro.id)
    assert (ro.parts_ordered_count, ro.parts_received_count, ro.parts_pending_count, ro.all_parts_received) == (
        2,
        1,
        1,
        False,
    )
    move(w, b, P.BACKORDERED, reason="Late")
    move(w, b, P.CANCELLED, reason="Not coming")
    ro = db.session.get(RepairOrder, w.ro.id)
    db.session.refresh(ro)
    assert (ro.parts_pending_count, ro.parts_backordered_count, ro.all_parts_received) == (0, 0, True)


# --- every move of the part line machine (§3.3) ----------------------------------------------------------------
STATE: dict[str, dict[str, Any]] = {
    P.RECEIVED: {"quantity_received": Decimal(1)},
    P.INSPECTED: {"quantity_received": Decimal(1), "inspection_completed": True},
    P.INSTALLED: {"quantity_received": Decimal(1), "quantity_installed": Decimal(1), "installation_date": NOW},
    P.RETURNED: {"quantity_received": Decimal(1), "quantity_returned": Decimal(1)},
}


def _act(w: World, part: PartLine, current: str, target: str) -> None:
    if target == P.ORDERED and current != P.BACKORDERED:
        purchasing.create_purchase_orders(w.shop.id, [part.id], actor=w.buyer, now=NOW)
    elif target == P.RETURNED:
        svc.return_part_line(w.shop.id, part.id, quantity=Decimal(1), reason="defective", actor=w.buyer, now=NOW)
    else:
        move(w, part, target, reason="Because")


@pytest.mark.parametrize("target", list(P))
@pytest.mark.parametrize("current", list(P))
def test_every_part_line_move_follows_the_machine(w: World, current: str, target: str) -> None:
    part = line(w, part_status=current, **STATE.get(current, {}))
    if target in allowed_targets("part line", current):
        _act(w, part, current, target)
        stored = reload(part.id)
        assert (stored.part_status, stored.previous_status, stored.status_change_date) == (target, current, NOW)
    else:
        with pytest.raises(DomainError):
            _act(w, part, current, target)
        assert reload(part.id).part_status == current
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder)) == 0
