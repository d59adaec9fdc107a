"""Purchase orders (services/purchasing.py): create from part lines, approval, sending, receiving, returns,
cancel and close; every move of DOMAIN.md §3.4 and every guard of §5.1-§5.5."""

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
from collisionos.models import AuditLog, NumberSequence, PartLine, PurchaseOrder, RepairOrder
from collisionos.models.enums import PartStatus as P
from collisionos.models.enums import PurchaseOrderStatus as PO
from collisionos.services import purchasing as svc
from tests import factories

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 10:00 in Toronto: YYMM 2611


@dataclass
class World:
    shop: Any
    ro: Any
    vendor: Any
    buyer: Any  # parts manager who orders
    parts_manager: Any
    manager: Any
    owner: Any
    technician: Any


@pytest.fixture
def w(session) -> World:  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory(timezone="America/Toronto")
    ro = factories.repair_order_in(shop, repair_order_number="RO10452", ro_status="estimate_approved")
    return World(
        shop=shop,
        ro=ro,
        vendor=factories.VendorFactory(shop=shop, name="LKQ", vendor_code=None),
        buyer=factories.UserFactory(shop=shop, role="parts_manager"),
        parts_manager=factories.UserFactory(shop=shop, role="parts_manager"),
        manager=factories.UserFactory(shop=shop, role="manager"),
        owner=factories.UserFactory(shop=shop, role="owner"),
        technician=factories.UserFactory(shop=shop, role="technician"),
    )


def line(w: World, ro: Any = None, **kwargs: Any) -> PartLine:
    values: dict[str, Any] = {
        "repair_order": ro or w.ro,
        "vendor": w.vendor,
        "net_price": Decimal("100.00"),
        "sell_price": Decimal("150.00"),
        "brand_type": "recycled",
    }
    values.update(kwargs)
    return factories.PartLineFactory(**values)


def reload(model: type, row_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, row_id)


def create(w: World, *lines: PartLine, actor: Any = None, now: datetime = NOW, **kwargs: Any) -> svc.CreatedOrders:
    return svc.create_purchase_orders(w.shop.id, [x.id for x in lines], actor=actor or w.buyer, now=now, **kwargs)


def one_po(w: World, quantity: str = "3", **kwargs: Any) -> tuple[int, int]:
    """A draft PO with one line of ``quantity`` at 100.00; returns (po id, line id)."""
    part = line(w, quantity_ordered=Decimal(quantity), **kwargs)
    po = create(w, part).orders[0]
    return po.id, part.id


def sent_po(w: World, quantity: str = "3", **kwargs: Any) -> tuple[int, int]:
    po_id, line_id = one_po(w, quantity, **kwargs)
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    return po_id, line_id


def po_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder))


# --- create: numbering (§5.1) ------------------------------------------------------------------------
def test_one_po_per_vendor_numbered_ro_yymm_code_seq(w: World) -> None:
    other = factories.VendorFactory(shop=w.shop, name="A1 Auto", vendor_code=None)
    coded = factories.VendorFactory(shop=w.shop, name="Keystone", vendor_code="kst")
    lines = [line(w), line(w), line(w, vendor=other), line(w, vendor=coded)]

    numbers = sorted(create(w, *lines).numbers)

    assert numbers == ["RO10452-2611-AAUT-001", "RO10452-2611-KST-001", "RO10452-2611-LKQX-001"]
    po = db.session.scalar(sa.select(PurchaseOrder).where(PurchaseOrder.vendor_code == "LKQX"))
    assert (po.ro_number, po.year_month, po.sequence_number) == ("RO10452", "2611", 1)
    assert po.total_line_items == 2 and po.total_quantity == Decimal("2.000")


def test_the_sequence_counts_per_ro_vendor_and_month(w: World) -> None:
    other_ro = factories.repair_order_in(w.shop, repair_order_number="RO10453", ro_status="estimate_approved")
    first = create(w, line(w)).numbers
    second = create(w, line(w)).numbers
    other_ro_first = create(w, line(w, ro=other_ro)).numbers
    next_month = create(w, line(w), now=datetime(2026, 12, 1, 12, tzinfo=UTC)).numbers

    assert (first, second) == (["RO10452-2611-LKQX-001"], ["RO10452-2611-LKQX-002"])
    assert other_ro_first == ["RO10453-2611-LKQX-001"]
    assert next_month == ["RO10452-2612-LKQX-001"]


def test_the_month_is_the_shops_local_month(w: World) -> None:
    # 03:00 UTC on 1 December is still 30 November in Toronto.
    assert create(w, line(w), now=datetime(2026, 12, 1, 3, tzinfo=UTC)).numbers == ["RO10452-2611-LKQX-001"]


def test_a_cancelled_po_keeps_its_number_and_the_next_one_moves_on(w: World) -> None:
    po_id, _ = one_po(w)
    svc.cancel_purchase_order(w.shop.id, po_id, reason="Ordered elsewhere", actor=w.buyer, now=NOW)

    assert create(w, line(w)).numbers == ["RO10452-2611-LKQX-002"]


# --- create: what it fills in ------------------------------------------------------------------------------
def test_creating_fills_the_snapshot_totals_and_orders_the_lines(w: World) -> None:
    w.vendor.contact_person, w.vendor.email, w.vendor.phone = "Sam", "sam@lkq.example", "905-555-0111"
    db.session.commit()
    a = line(w, quantity_ordered=Decimal("2"), net_price=Decimal("120.50"))
    b = line(w, net_price=Decimal("45.25"))

    po = reload(PurchaseOrder, create(w, a, b).orders[0].id)

    assert (po.vendor_name, po.vendor_contact, po.vendor_email, po.vendor_phone) == (
        "LKQ",
        "Sam",
        "sam@lkq.example",
        "905-555-0111",
    )
    assert po.subtotal_amount == po.total_amount == Decimal("286.25")
    assert (po.total_line_items, po.total_quantity, po.po_status) == (2, Decimal("3.000"), PO.DRAFT)
    assert po.created_by == po.requested_by == w.buyer.id
    assert not po.requires_approval and po.approval_threshold == Decimal("1000.00")
    for part in (reload(PartLine, a.id), reload(PartLine, b.id)):
        assert part.part_status == P.ORDERED and part.previous_status == P.NEEDED
        assert part.purchase_order_id == po.id and part.purchase_order_number == po.purchase_order_number
        assert part.order_date == NOW and part.ordered_by == w.buyer.id
    ro = reload(RepairOrder, w.ro.id)
    assert ro.parts_ordered_count == 2 and ro.parts_pending_count == 2


@pytest.mark.parametrize(
    ("total", "expedite", "threshold", "needs"),
    [
        ("999.99", False, None, False),
        ("1000.00", False, None, True),
        ("10.00", True, None, True),
        ("400.00", False, "300.00", True),
    ],
)
def test_approval_is_required_from_the_threshold_or_for_expedite(w, total, expedite, threshold, needs) -> None:  # type: ignore[no-untyped-def]
    if threshold:
        w.shop.settings = {"poApprovalThreshold": threshold}
        db.session.commit()
    part = line(w, net_price=Decimal(total), sell_price=Decimal(total) * 2, expedite_requested=expedite)

    assert create(w, part).orders[0].requires_approval is needs


def test_a_line_without_a_net_price_is_costed_from_its_list_price_and_discount(w: World) -> None:
    part = line(
        w, net_price=None, list_price=Decimal("200.00"), discount_percentage=Decimal("10"), sell_price=Decimal("400")
    )
    part.net_price = None
    db.session.commit()

    po = create(w, part).orders[0]

    assert reload(PurchaseOrder, po.id).subtotal_amount == Decimal("180.00")


# --- create: guards ---------------------------------------------------------------------------------
def _refused_and_nothing_changed(w: World, lines: list[PartLine], rule: str, **kwargs: Any) -> DomainError:
    before = {x.id: x.part_status for x in lines}
    with pytest.raises(DomainError) as refused:
        create(w, *lines, **kwargs)
    assert refused.value.rule == rule
    assert po_count() == 0
    assert {x.id: reload(PartLine, x.id).part_status for x in lines} == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NumberSequence)) == 0
    return refused.value


def test_lines_of_two_ros_are_refused(w: World) -> None:
    other_ro = factories.repair_order_in(w.shop, repair_order_number="RO10460")
    error = _refused_and_nothing_changed(w, [line(w), line(w, ro=other_ro)], "one_repair_order")
    assert "RO10452, RO10460" in str(error)


def test_a_line_without_a_vendor_is_refused(w: World) -> None:
    error = _refused_and_nothing_changed(w, [line(w), line(w, vendor=None)], "lines_not_orderable")
    assert "has no vendor" in str(error)


@pytest.mark.parametrize("status", [P.ORDERED, P.RECEIVED, P.CANCELLED, P.INSTALLED])
def test_a_line_already_ordered_or_done_is_refused(w: World, status: str) -> None:
    error = _refused_and_nothing_changed(w, [line(w), line(w, part_status=status)], "lines_not_orderable")
    assert f"is {status}" in str(error)


def test_a_line_whose_vendor_is_suspended_is_refused(w: World) -> None:
    w.vendor.vendor_status = "suspended"
    db.session.commit()
    assert "is suspended" in str(_refused_and_nothing_changed(w, [line(w)], "lines_not_orderable"))


def test_a_line_without_any_price_is_refused(w: World) -> None:
    part = line(w, net_price=None, list_price=None)
    assert "no cost price" in str(_refused_and_nothing_changed(w, [part], "lines_not_orderable"))


def test_a_line_of_a_closed_ro_is_refused(w: World) -> None:
    w.ro.ro_status = "cancelled"
    db.session.commit()
    _refused_and_nothing_changed(w, [line(w)], "ro_closed")


def test_ids_from_another_shop_are_not_found(w: World) -> None:
    other = factories.ShopFactory()
    theirs = factories.PartLineFactory(repair_order=factories.repair_order_in(other))
    with pytest.raises(NotFound):
        svc.create_purchase_orders(w.shop.id, [theirs.id], actor=w.buyer, now=NOW)
    assert reload(PartLine, theirs.id).part_status == P.NEEDED


@pytest.mark.parametrize("ids", [[], ["x"], [None]])
def test_an_empty_or_invalid_selection_is_refused(w: World, ids: list) -> None:
    with pytest.raises(ValidationError) as refused:
        svc.create_purchase_orders(w.shop.id, ids, actor=w.buyer, now=NOW)
    assert refused.value.rule == "selection"


def test_selling_below_cost_is_refused_without_a_managers_override(w: World) -> None:
    cheap = line(w, net_price=Decimal("120.00"), sell_price=Decimal("100.00"))
    error = _refused_and_nothing_changed(w, [line(w), cheap], "below_cost")
    assert "sells below cost" in str(error) and "manager" in str(error)


def test_an_override_reason_from_a_parts_manager_is_refused(w: World) -> None:
    cheap = line(w, net_price=Decimal("120.00"), sell_price=Decimal("100.00"))
    with pytest.raises(PermissionDenied):
        create(w, cheap, override_reason="Customer is family")
    assert po_count() == 0


def test_a_managers_override_with_a_reason_orders_below_cost_and_is_audited(w: World) -> None:
    cheap = line(w, net_price=Decimal("120.00"), sell_price=Decimal("100.00"))

    result = create(w, cheap, actor=w.manager, override_reason="Price match promised to the customer")

    assert len(result.orders) == 1 and reload(PartLine, cheap.id).part_status == P.ORDERED
    assert any("below cost" in warning for warning in result.warnings)
    reasons = db.session.scalars(
        sa.select(AuditLog.reason).where(AuditLog.table_name == "purchase_order_system", AuditLog.action == "insert")
    ).all()
    assert reasons == ["Price match promised to the customer"]


def test_a_thin_margin_orders_with_a_warning(w: World) -> None:
    # Recycled parts aim at 40 %; warn below 35 %. 100 cost / 140 sell = 28.57 %.
    thin = line(w, sell_price=Decimal("140.00"))
    fine = line(w, sell_price=Decimal("200.00"))

    result = create(w, thin, fine)

    assert len(result.warnings) == 1 and "28.57 %" in result.warnings[0] and "35.00 %" in result.warnings[0]
    stored = reload(PartLine, thin.id)
    assert (stored.target_margin, stored.actual_margin, stored.margin_variance) == (
        Decimal("40.00"),
        Decimal("28.57"),
        Decimal("-11.43"),
    )


# --- approval and sending (§5.2) ---------------------------------------------------------------------
def _pending(w: World, total: str) -> int:
    po_id, _ = one_po(w, "1", net_price=Decimal(total), sell_price=Decimal(total) * 2)
    svc.submit_purchase_order(w.shop.id, po_id, actor=w.buyer, now=NOW)
    return po_id


def test_the_requester_cannot_approve_their_own_po(w: World) -> None:
    po_id = _pending(w, "1200.00")
    w.buyer.role = "manager"
    db.session.commit()
    with pytest.raises(PermissionDenied) as refused:
        svc.approve_purchase_order(w.shop.id, po_id, actor=w.buyer, now=NOW)
    assert refused.value.rule == "own_po"
    assert reload(PurchaseOrder, po_id).po_status == PO.PENDING_APPROVAL


@pytest.mark.parametrize(
    ("total", "role", "allowed"),
    [
        ("1200.00", "parts_manager", True),
        ("4999.99", "parts_manager", True),
        ("5000.00", "parts_manager", False),
        ("5000.00", "manager", True),
        ("24999.99", "manager", True),
        ("25000.00", "manager", False),
        ("25000.00", "owner", True),
        ("1200.00", "service_advisor", False),
    ],
)
def test_approval_tiers_follow_the_total(w: World, total: str, role: str, allowed: bool) -> None:
    po_id = _pending(w, total)
    approver = factories.UserFactory(shop=w.shop, role=role)
    if allowed:
        svc.approve_purchase_order(w.shop.id, po_id, actor=approver, now=NOW, notes="OK")
        po = reload(PurchaseOrder, po_id)
        assert (po.po_status, po.approved_by, po.approved_date, po.approval_notes) == (
            PO.APPROVED,
            approver.id,
            NOW,
            "OK",
        )
    else:
        with pytest.raises(PermissionDenied) as refused:
            svc.approve_purchase_order(w.shop.id, po_id, actor=approver, now=NOW)
        assert refused.value.rule == "approval_tier"
        assert reload(PurchaseOrder, po_id).po_status == PO.PENDING_APPROVAL


def test_approval_tiers_come_from_the_shops_settings(w: World) -> None:
    w.shop.settings = {"poApprovalTiers": [{"min": "0", "roles": ["owner"]}]}
    db.session.commit()
    po_id = _pending(w, "1200.00")
    with pytest.raises(PermissionDenied):
        svc.approve_purchase_order(w.shop.id, po_id, actor=w.manager, now=NOW)
    svc.approve_purchase_order(w.shop.id, po_id, actor=w.owner, now=NOW)


def test_rejecting_needs_a_reason_and_returns_the_po_to_draft(w: World) -> None:
    po_id = _pending(w, "1200.00")
    with pytest.raises(ValidationError):
        svc.reject_purchase_order(w.shop.id, po_id, reason="  ", actor=w.manager, now=NOW)
    assert reload(PurchaseOrder, po_id).po_status == PO.PENDING_APPROVAL

    svc.reject_purchase_order(w.shop.id, po_id, reason="Find a cheaper bumper", actor=w.manager, now=NOW)

    po = reload(PurchaseOrder, po_id)
    assert (po.po_status, po.rejected_by, po.rejected_date, po.rejection_reason) == (
        PO.DRAFT,
        w.manager.id,
        NOW,
        "Find a cheaper bumper",
    )
    assert po.status_change_reason == "Find a cheaper bumper" and po.previous_status == PO.PENDING_APPROVAL


def test_a_po_needing_approval_cannot_be_sent_from_draft(w: World) -> None:
    po_id, _ = one_po(w, "1", net_price=Decimal("1500.00"), sell_price=Decimal("2500.00"))
    with pytest.raises(TransitionRefused) as refused:
        svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    assert refused.value.rule == "approval_required" and "1,500.00" in str(refused.value)
    assert reload(PurchaseOrder, po_id).po_status == PO.DRAFT


def test_sending_records_the_method_time_and_sender(w: World) -> None:
    po_id, _ = one_po(w)
    with pytest.raises(ValidationError):
        svc.send_purchase_order(w.shop.id, po_id, method="pigeon", actor=w.buyer, now=NOW)
    svc.send_purchase_order(w.shop.id, po_id, method="portal", actor=w.buyer, now=NOW)

    po = reload(PurchaseOrder, po_id)
    assert (po.po_status, po.transmission_method, po.sent_date, po.sent_by) == (PO.SENT, "portal", NOW, w.buyer.id)


def test_an_approved_po_is_sent(w: World) -> None:
    po_id = _pending(w, "1200.00")
    svc.approve_purchase_order(w.shop.id, po_id, actor=w.manager, now=NOW)
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    assert reload(PurchaseOrder, po_id).po_status == PO.SENT


def test_acknowledging_records_the_confirmation_and_the_promised_date_reaches_the_lines(w: World) -> None:
    po_id, line_id = sent_po(w)
    promised = NOW + timedelta(days=2)

    svc.acknowledge_purchase_order(
        w.shop.id, po_id, actor=w.buyer, now=NOW, confirmation_number="LKQ-778", promised_date=promised
    )

    po = reload(PurchaseOrder, po_id)
    assert (po.po_status, po.acknowledgment_received, po.vendor_confirmation_number) == (
        PO.ACKNOWLEDGED,
        True,
        "LKQ-778",
    )
    assert reload(PartLine, line_id).estimated_delivery_date == promised
    assert reload(RepairOrder, w.ro.id).next_part_expected_date == promised


# --- receiving (§5.3) ----------------------------------------------------------------------------------
def receive(w: World, po_id: int, receipts: dict, now: datetime = NOW) -> svc.Receipt:
    return svc.receive_purchase_order(
        w.shop.id, po_id, {k: (Decimal(q), c) for k, (q, c) in receipts.items()}, actor=w.buyer, now=now
    )


def test_partial_receipts_accumulate_then_complete_the_line_and_the_po(w: World) -> None:
    po_id, line_id = sent_po(w, "3")
    later = NOW + timedelta(days=1)

    receive(w, po_id, {line_id: ("1", "good")})

    part, po = reload(PartLine, line_id), reload(PurchaseOrder, po_id)
    assert (part.part_status, part.quantity_received, part.quantity_remaining) == (P.ORDERED, 1, 1)
    assert (po.po_status, po.receiving_status, po.total_received, po.percent_received) == (
        PO.PARTIAL_RECEIVED,
        "partial",
        1,
        Decimal("33.33"),
    )
    assert (po.first_receipt_date, po.last_receipt_date, po.partial_shipments) == (NOW, NOW, 1)

    receipt = receive(w, po_id, {line_id: ("2", "good")}, now=later)

    part, po = reload(PartLine, line_id), reload(PurchaseOrder, po_id)
    assert (part.part_status, part.quantity_received, part.received_by, part.received_date) == (
        P.RECEIVED,
        3,
        w.buyer.id,
        later,
    )
    assert part.return_deadline == later + timedelta(days=30)
    assert (po.po_status, po.receiving_status, po.total_received, po.percent_received) == (
        PO.FULLY_RECEIVED,
        "complete",
        3,
        Decimal("100.00"),
    )
    assert (po.first_receipt_date, po.last_receipt_date, po.partial_shipments) == (NOW, later, 2)
    assert po.actual_delivery_date == later
    assert receipt.lines_completed == 1 and "fully received" in receipt.summary()
    ro = reload(RepairOrder, w.ro.id)
    assert ro.parts_received_count == 1 and ro.all_parts_received


def test_receiving_more_than_outstanding_is_refused_and_changes_nothing(w: World) -> None:
    po_id, line_id = sent_po(w, "3")
    receive(w, po_id, {line_id: ("2", "good")})
    with pytest.raises(ValidationError) as refused:
        receive(w, po_id, {line_id: ("2", "good")})
    assert refused.value.rule == "over_receipt" and "only 1 outstanding" in str(refused.value)
    part, po = reload(PartLine, line_id), reload(PurchaseOrder, po_id)
    assert (part.quantity_received, po.total_received, po.partial_shipments) == (2, 2, 1)


def test_one_bad_line_in_a_receipt_refuses_the_whole_receipt(w: World) -> None:
    a = line(w, quantity_ordered=Decimal(2))
    b = line(w, quantity_ordered=Decimal(1))
    po_id = create(w, a, b).orders[0].id
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    with pytest.raises(ValidationError):
        receive(w, po_id, {a.id: ("2", "good"), b.id: ("5", "good")})
    assert reload(PartLine, a.id).quantity_received == 0
    assert reload(PurchaseOrder, po_id).po_status == PO.SENT


def test_damaged_and_wrong_items_count_as_not_received_and_are_recorded_for_return(w: World) -> None:
    a = line(w, quantity_ordered=Decimal(2))
    b = line(w, quantity_ordered=Decimal(1))
    po_id = create(w, a, b).orders[0].id
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)

    receipt = receive(w, po_id, {a.id: ("1", "damaged"), b.id: ("1", "wrong_part")})

    first, second, po = reload(PartLine, a.id), reload(PartLine, b.id), reload(PurchaseOrder, po_id)
    assert (first.part_status, first.quantity_received, first.quantity_defective, first.return_reason) == (
        P.ORDERED,
        0,
        1,
        "damaged_in_shipping",
    )
    assert (second.quantity_defective, second.return_reason) == (1, "wrong_part")
    assert (po.po_status, po.receiving_status, po.total_received) == (PO.PARTIAL_RECEIVED, "discrepancy", 0)
    assert receipt.defective == 2 and "recorded for return" in receipt.summary()
    # The replacement comes later and completes the PO.
    receive(w, po_id, {a.id: ("2", "good"), b.id: ("1", "good")})
    assert reload(PurchaseOrder, po_id).po_status == PO.FULLY_RECEIVED


def test_a_po_without_partial_receiving_refuses_a_short_receipt(w: World) -> None:
    po_id, line_id = sent_po(w, "3")
    po = reload(PurchaseOrder, po_id)
    po.allow_partial_receiving = False
    db.session.commit()

    with pytest.raises(TransitionRefused) as refused:
        receive(w, po_id, {line_id: ("2", "good")})
    assert refused.value.rule == "partial_receiving_not_allowed"
    assert reload(PartLine, line_id).quantity_received == 0

    receive(w, po_id, {line_id: ("3", "good")})
    assert reload(PurchaseOrder, po_id).po_status == PO.FULLY_RECEIVED


@pytest.mark.parametrize("status", [PO.DRAFT, PO.PENDING_APPROVAL, PO.APPROVED])
def test_nothing_is_received_before_the_po_is_sent(w: World, status: str) -> None:
    po_id, line_id = one_po(w)
    po = reload(PurchaseOrder, po_id)
    po.po_status = status
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        receive(w, po_id, {line_id: ("1", "good")})
    assert refused.value.rule == "po_not_sent"
    assert reload(PartLine, line_id).quantity_received == 0


def test_an_empty_receipt_and_a_line_of_another_po_are_refused(w: World) -> None:
    po_id, line_id = sent_po(w)
    _, other_line = sent_po(w)
    with pytest.raises(ValidationError) as empty:
        receive(w, po_id, {line_id: ("0", "good")})
    assert empty.value.rule == "receipt_empty"
    with pytest.raises(ValidationError) as foreign:
        receive(w, po_id, {other_line: ("1", "good")})
    assert foreign.value.rule == "line_not_on_po"
    assert reload(PartLine, other_line).quantity_received == 0


def test_a_line_already_received_is_not_received_again(w: World) -> None:
    a = line(w, quantity_ordered=Decimal(1))
    b = line(w, quantity_ordered=Decimal(1))
    po_id = create(w, a, b).orders[0].id
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    receive(w, po_id, {a.id: ("1", "good")})
    with pytest.raises(TransitionRefused) as refused:
        receive(w, po_id, {a.id: ("1", "good"), b.id: ("1", "good")})
    assert refused.value.rule == "line_not_on_order"
    assert reload(PartLine, b.id).quantity_received == 0


def test_an_unknown_condition_is_refused(w: World) -> None:
    po_id, line_id = sent_po(w)
    with pytest.raises(ValidationError) as refused:
        receive(w, po_id, {line_id: ("1", "scratched")})
    assert refused.value.rule == "receipt_condition"


def test_delivery_kpis_against_the_promised_date(w: World) -> None:
    po_id, line_id = sent_po(w, "1")
    svc.acknowledge_purchase_order(w.shop.id, po_id, actor=w.buyer, now=NOW, promised_date=NOW + timedelta(days=1))
    receive(w, po_id, {line_id: ("1", "good")}, now=NOW + timedelta(days=3))
    po = reload(PurchaseOrder, po_id)
    assert (po.on_time_delivery, po.delivery_variance) == (False, 2)
    assert reload(PartLine, line_id).on_time_delivery is False


# --- returns and credit memos (§5.5) ---------------------------------------------------------------------
def received_po(w: World, quantity: str = "3", **kwargs: Any) -> tuple[int, int]:
    po_id, line_id = sent_po(w, quantity, **kwargs)
    receive(w, po_id, {line_id: (quantity, "good")})
    return po_id, line_id


def give_back(w: World, po_id: int, line_id: int, quantity: str, reason: str = "defective", **kwargs: Any) -> Any:
    return svc.return_purchase_order_line(
        w.shop.id,
        po_id,
        line_id,
        quantity=Decimal(quantity),
        reason=reason,
        actor=kwargs.pop("actor", w.buyer),
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def test_a_partial_return_credits_net_times_quantity_less_the_restocking_fee(w: World) -> None:
    po_id, line_id = received_po(w, "3")

    result = give_back(w, po_id, line_id, "1", reason="not_needed", restocking_fee=Decimal("15.00"), rma="RMA-9")

    part, po = reload(PartLine, line_id), reload(PurchaseOrder, po_id)
    assert (result.credit, result.fee) == (Decimal("85.00"), Decimal("15.00"))
    assert (part.part_status, part.quantity_returned, part.quantity_remaining) == (P.RECEIVED, 1, 2)
    assert (part.return_credit, part.restocking_fee, part.return_reason, part.return_auth_number) == (
        Decimal("85.00"),
        Decimal("15.00"),
        "not_needed",
        "RMA-9",
    )
    assert (part.returned_by, part.return_date, po.returned_items) == (w.buyer.id, NOW, 1)


def test_returning_everything_moves_the_line_to_returned_and_can_reopen_the_need(w: World) -> None:
    po_id, line_id = received_po(w, "2")

    result = give_back(w, po_id, line_id, "2", still_needed=True)

    part = reload(PartLine, line_id)
    assert part.part_status == P.RETURNED and result.credit == Decimal("200.00")  # vendor's fault: no fee
    new = reload(PartLine, result.replacement.id)
    assert (new.part_status, new.quantity_ordered, new.vendor_id, new.purchase_order_id) == (
        P.NEEDED,
        2,
        w.vendor.id,
        None,
    )
    assert new.part_description == part.part_description and new.line_number > part.line_number
    assert reload(RepairOrder, w.ro.id).parts_pending_count == 1


def test_the_pos_restocking_percentage_applies_when_the_shop_is_at_fault(w: World) -> None:
    po_id, line_id = received_po(w, "2")
    po = reload(PurchaseOrder, po_id)
    po.restocking_fee = Decimal("20")
    db.session.commit()

    assert give_back(w, po_id, line_id, "1", reason="customer_change").credit == Decimal("80.00")
    assert give_back(w, po_id, line_id, "1", reason="defective").credit == Decimal("100.00")


def test_returning_more_than_received_is_refused(w: World) -> None:
    po_id, line_id = received_po(w, "2")
    give_back(w, po_id, line_id, "1")
    with pytest.raises(ValidationError) as refused:
        give_back(w, po_id, line_id, "2")
    assert refused.value.rule == "return_quantity"
    assert reload(PartLine, line_id).quantity_returned == 1


def test_a_return_after_the_deadline_needs_a_managers_override(w: World) -> None:
    po_id, line_id = received_po(w, "1")
    late = NOW + timedelta(days=31)
    with pytest.raises(TransitionRefused) as refused:
        give_back(w, po_id, line_id, "1", now=late)
    assert refused.value.rule == "return_deadline_passed"
    with pytest.raises(PermissionDenied):
        give_back(w, po_id, line_id, "1", now=late, override_reason="Vendor agreed by phone")
    assert reload(PartLine, line_id).quantity_returned == 0

    give_back(w, po_id, line_id, "1", now=late, actor=w.manager, override_reason="Vendor agreed by phone")
    assert reload(PartLine, line_id).part_status == P.RETURNED


def test_no_return_when_the_po_or_the_part_does_not_allow_it(w: World) -> None:
    po_id, line_id = received_po(w, "2")
    po = reload(PurchaseOrder, po_id)
    po.returns_allowed = False
    db.session.commit()
    with pytest.raises(TransitionRefused) as by_po:
        give_back(w, po_id, line_id, "1")
    assert by_po.value.rule == "returns_not_allowed"

    po = reload(PurchaseOrder, po_id)
    po.returns_allowed = True
    part = db.session.get(PartLine, line_id)
    part.is_returnable = False
    db.session.commit()
    with pytest.raises(TransitionRefused) as by_part:
        give_back(w, po_id, line_id, "1")
    assert by_part.value.rule == "not_returnable"


def test_a_return_needs_a_reason_from_the_list_and_a_fee_within_the_amount(w: World) -> None:
    po_id, line_id = received_po(w, "1")
    with pytest.raises(ValidationError) as reason:
        give_back(w, po_id, line_id, "1", reason="meh")
    assert reason.value.rule == "return_reason_required"
    with pytest.raises(ValidationError) as fee:
        give_back(w, po_id, line_id, "1", restocking_fee=Decimal("100.01"))
    assert fee.value.rule == "restocking_fee"
    assert reload(PartLine, line_id).part_status == P.RECEIVED


def test_a_line_of_another_po_cannot_be_returned_through_this_one(w: World) -> None:
    po_id, _ = received_po(w, "1")
    _, other_line = received_po(w, "1")
    with pytest.raises(ValidationError) as refused:
        give_back(w, po_id, other_line, "1")
    assert refused.value.rule == "line_not_on_po"


# --- cancel and close ----------------------------------------------------------------------------------------
def test_cancelling_puts_the_lines_back_to_needed_off_the_po(w: World) -> None:
    po_id, line_id = sent_po(w, "2")
    with pytest.raises(ValidationError):
        svc.cancel_purchase_order(w.shop.id, po_id, reason="", actor=w.buyer, now=NOW)

    svc.cancel_purchase_order(w.shop.id, po_id, reason="Vendor out of stock", actor=w.buyer, now=NOW)

    po, part = reload(PurchaseOrder, po_id), reload(PartLine, line_id)
    assert (po.po_status, po.status_change_reason, po.cancelled_items) == (PO.CANCELLED, "Vendor out of stock", 1)
    assert (part.part_status, part.purchase_order_id, part.purchase_order_number, part.order_date) == (
        P.NEEDED,
        None,
        None,
        None,
    )


def test_a_po_with_something_received_cannot_be_cancelled(w: World) -> None:
    po_id, line_id = sent_po(w, "1")
    receive(w, po_id, {line_id: ("1", "good")})
    po = reload(PurchaseOrder, po_id)
    po.po_status = PO.SENT  # even where the machine would allow it, the received line refuses
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        svc.cancel_purchase_order(w.shop.id, po_id, reason="Too late", actor=w.buyer, now=NOW)
    assert refused.value.rule == "po_received" and "1 line was already received" in str(refused.value)
    assert reload(PartLine, line_id).part_status == P.RECEIVED


def test_short_closing_cancels_what_never_came_and_reorders_it(w: World) -> None:
    a = line(w, quantity_ordered=Decimal(3))
    b = line(w, quantity_ordered=Decimal(1))
    po_id = create(w, a, b).orders[0].id
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    receive(w, po_id, {a.id: ("2", "good")})
    with pytest.raises(ValidationError) as no_reason:
        svc.close_purchase_order(w.shop.id, po_id, actor=w.buyer, now=NOW)
    assert no_reason.value.rule == "short_close_reason_required"

    svc.close_purchase_order(w.shop.id, po_id, reason="Vendor discontinued", actor=w.buyer, now=NOW)

    po, first, second = reload(PurchaseOrder, po_id), reload(PartLine, a.id), reload(PartLine, b.id)
    assert (po.po_status, po.cancelled_items) == (PO.CLOSED, 2)
    assert (first.part_status, first.quantity_received, second.part_status) == (P.RECEIVED, 2, P.CANCELLED)
    reordered = db.session.scalars(
        sa.select(PartLine).where(PartLine.repair_order_id == w.ro.id, PartLine.part_status == P.NEEDED)
    ).all()
    assert sorted(x.quantity_ordered for x in reordered) == [1, 1]


def test_short_closing_without_reorder_leaves_no_new_lines(w: World) -> None:
    po_id, line_id = sent_po(w, "3")
    receive(w, po_id, {line_id: ("1", "good")})
    svc.close_purchase_order(w.shop.id, po_id, reason="Enough", reorder=False, actor=w.buyer, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartLine)) == 1


def test_a_line_in_transit_stops_a_short_close(w: World) -> None:
    a = line(w, quantity_ordered=Decimal(2))
    b = line(w, quantity_ordered=Decimal(1))
    po_id = create(w, a, b).orders[0].id
    svc.send_purchase_order(w.shop.id, po_id, method="email", actor=w.buyer, now=NOW)
    receive(w, po_id, {a.id: ("1", "good")})
    shipped = db.session.get(PartLine, b.id)
    shipped.part_status = P.SHIPPED
    db.session.commit()
    with pytest.raises(TransitionRefused) as refused:
        svc.close_purchase_order(w.shop.id, po_id, reason="Done", actor=w.buyer, now=NOW)
    assert "Cannot short-close" in str(refused.value)
    assert reload(PurchaseOrder, po_id).po_status == PO.PARTIAL_RECEIVED


def test_a_dispute_needs_a_reason(w: World) -> None:
    po_id, _ = sent_po(w)
    with pytest.raises(ValidationError):
        svc.dispute_purchase_order(w.shop.id, po_id, reason=" ", actor=w.buyer, now=NOW)
    assert reload(PurchaseOrder, po_id).po_status == PO.SENT


# --- every move of the PO machine (§3.4) ---------------------------------------------------------------------
def _po_in(w: World, status: str) -> tuple[int, int]:
    """A PO forced into ``status`` with one line of 3 whose receipts match it."""
    po_id, line_id = one_po(w, "3")
    po, part = db.session.get(PurchaseOrder, po_id), db.session.get(PartLine, line_id)
    po.po_status, po.requires_approval = status, False
    if status == PO.PARTIAL_RECEIVED:
        part.quantity_received = Decimal(1)
    if status == PO.FULLY_RECEIVED:
        part.quantity_received, part.part_status = Decimal(3), P.RECEIVED
    db.session.commit()
    return po_id, line_id


def _act(w: World, po_id: int, line_id: int, target: str) -> None:
    shop_id = w.shop.id
    outstanding = 3 - int(db.session.get(PartLine, line_id).quantity_received or 0)
    calls = {
        PO.DRAFT: lambda: svc.reject_purchase_order(shop_id, po_id, reason="No", actor=w.owner, now=NOW),
        PO.PENDING_APPROVAL: lambda: svc.submit_purchase_order(shop_id, po_id, actor=w.buyer, now=NOW),
        PO.APPROVED: lambda: svc.approve_purchase_order(shop_id, po_id, actor=w.owner, now=NOW),
        PO.SENT: lambda: svc.send_purchase_order(shop_id, po_id, method="email", actor=w.buyer, now=NOW),
        PO.ACKNOWLEDGED: lambda: svc.acknowledge_purchase_order(shop_id, po_id, actor=w.buyer, now=NOW),
        PO.PARTIAL_RECEIVED: lambda: receive(w, po_id, {line_id: ("1", "good")}),
        PO.FULLY_RECEIVED: lambda: receive(w, po_id, {line_id: (str(max(outstanding, 1)), "good")}),
        PO.DISPUTED: lambda: svc.dispute_purchase_order(shop_id, po_id, reason="Price", actor=w.buyer, now=NOW),
        PO.CANCELLED: lambda: svc.cancel_purchase_order(shop_id, po_id, reason="No", actor=w.buyer, now=NOW),
        PO.CLOSED: lambda: svc.close_purchase_order(shop_id, po_id, reason="Done", actor=w.buyer, now=NOW),
    }
    calls[target]()


@pytest.mark.parametrize("target", list(PO))
@pytest.mark.parametrize("current", list(PO))
def test_every_po_move_follows_the_machine(w: World, current: str, target: str) -> None:
    po_id, line_id = _po_in(w, current)
    if target in allowed_targets("purchase order", current):
        _act(w, po_id, line_id, target)
        po = reload(PurchaseOrder, po_id)
        assert (po.po_status, po.previous_status, po.status_change_date) == (target, current, NOW)
    else:
        with pytest.raises(DomainError):
            _act(w, po_id, line_id, target)
        assert reload(PurchaseOrder, po_id).po_status == current
