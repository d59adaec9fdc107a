"""Repair order use cases (DOMAIN.md §3.1, §5.6, §5.7): intake, estimate, status moves with guards and side
effects, holds, payments and the roll-ups that follow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from collisionos.domain.errors import DomainError, PermissionDenied, TransitionRefused, ValidationError
from collisionos.extensions import db
from collisionos.models import (
    AuditLog,
    ClaimManagement,
    Customer,
    JobStageHistory,
    LoanerReservation,
    PartLine,
    PurchaseOrder,
    RepairOrder,
)
from collisionos.models.enums import StageStatus
from collisionos.services import repair_orders as svc
from tests import factories
from tests.workflow import NOW, add_line, open_ro, reload, shop_with_stages, staff, stages


@pytest.fixture
def shop(app_ctx):  # type: ignore[no-untyped-def]
    return shop_with_stages()


@pytest.fixture
def manager(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "manager")


@pytest.fixture
def advisor(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "service_advisor")


def move(shop, ro, target, actor, **kw):  # type: ignore[no-untyped-def]
    return svc.transition_repair_order(shop.id, ro.id, target, actor=actor, now=kw.pop("now", NOW), **kw)


# --- intake -----------------------------------------------------------------------------------------------
def test_intake_opens_customer_vehicle_claim_ro_estimate_and_stages(shop, advisor):
    ro = open_ro(shop, advisor)

    assert ro.repair_order_number == "RO10001"
    assert ro.ro_status == "draft" and ro.estimate_id is not None
    assert ro.customer.customer_number == "CUST-0001"
    assert ro.claim.claim_number == "CLM-1001" and ro.deductible_amount == Decimal("500.00")
    rows = stages(ro.id)
    assert len(rows) == 18
    assert rows["intake"].stage_status == "ready"
    assert all(row.stage_status == "pending" for key, row in rows.items() if key != "intake")
    assert rows["body_work"].depends_on_stages == sorted(rows[k].id for k in ("disassembly", "parts_hold")) or set(
        rows["body_work"].depends_on_stages
    ) >= {rows["disassembly"].id}
    assert open_ro(shop, advisor).repair_order_number == "RO10002"


def test_intake_with_a_bad_vin_creates_nothing(shop, advisor):
    with pytest.raises(ValidationError):
        open_ro(shop, advisor, vin="1HGCM82633A004353")  # wrong check digit
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairOrder)) == 0


# --- money (§5.6) --------------------------------------------------------------------------------------------
def test_totals_tax_each_category_then_sum_and_split_the_deductible(app_ctx):
    shop = shop_with_stages(taxes={"gst": None, "pst": "8.25", "hst": None})
    advisor = staff(shop, "service_advisor")
    ro = open_ro(shop, advisor, deductible="500.00")
    add_line(shop, ro, advisor, "part", "646.40")
    add_line(shop, ro, advisor, "material", "280.80")
    add_line(shop, ro, advisor, "labor", "65.00", qty="10", taxable=False)

    ro = reload(RepairOrder, ro.id)
    assert (ro.parts_cost, ro.materials_cost, ro.labor_cost) == (
        Decimal("646.40"),
        Decimal("280.80"),
        Decimal("650.00"),
    )
    assert ro.pst_amount == Decimal("76.50")  # 53.33 + 23.17, not 8.25 % of 927.20 = 76.49
    assert ro.total_taxes == Decimal("76.50")
    assert ro.estimated_total == Decimal("1653.70")
    assert ro.approved_total == Decimal("0.00")  # nothing approved yet
    assert ro.customer_portion_due == Decimal("500.00")
    assert ro.insurance_portion_due == Decimal("1153.70")


def test_approval_fixes_the_approved_total_and_makes_part_lines(shop, advisor):
    ro = open_ro(shop, advisor)
    add_line(shop, ro, advisor, "part", "200.00", part_number="04711-TBA-A00", description="Front bumper cover")
    add_line(shop, ro, advisor, "labor", "65.00", qty="3", taxable=False)
    move(shop, ro, "estimate_pending", advisor)
    move(shop, ro, "estimate_approved", advisor, now=NOW + timedelta(hours=2))

    ro = reload(RepairOrder, ro.id)
    assert ro.date_estimate_approved == NOW + timedelta(hours=2)
    assert ro.approved_total == Decimal("421.00")  # 200 + 26.00 HST + 195 labour untaxed
    assert [(p.part_description, p.oem_part_number, p.part_status) for p in ro.part_lines] == [
        ("Front bumper cover", "04711-TBA-A00", "needed")
    ]
    assert ro.parts_pending_count == 1 and not ro.all_parts_received
    assert ro.estimate.status == "approved"


def test_customer_pay_ro_owes_everything(shop, advisor):
    ro = open_ro(shop, advisor, claim=False)
    add_line(shop, ro, advisor, "labor", "100.00", taxable=False)
    ro = reload(RepairOrder, ro.id)
    assert (ro.customer_portion_due, ro.insurance_portion_due) == (Decimal("100.00"), Decimal("0.00"))


def test_payment_updates_paid_balance_and_collects_the_deductible(shop, advisor):
    ro = open_ro(shop, advisor, deductible="300.00")
    add_line(shop, ro, advisor, "labor", "1000.00", taxable=False)
    payment = svc.record_payment(
        shop.id,
        ro.id,
        amount=Decimal("300"),
        payer="customer",
        method="debit_card",
        reference=None,
        actor=advisor,
        now=NOW,
    )
    ro = reload(RepairOrder, ro.id)
    assert payment.transaction_number == "PR-261125-0001"
    assert ro.paid_amount == Decimal("300.00") and ro.deductible_collected
    assert ro.balance_due == Decimal("700.00")
    assert svc.customer_owes(ro) == Decimal("0.00")
    assert reload(ClaimManagement, ro.claim_management_id).deductible_paid


@pytest.mark.parametrize(("amount", "payer"), [("0", "customer"), ("-5", "customer"), ("10", "nobody")])
def test_a_bad_payment_is_refused_and_records_nothing(shop, advisor, amount, payer):
    ro = open_ro(shop, advisor)
    with pytest.raises(ValidationError):
        svc.record_payment(
            shop.id, ro.id, amount=Decimal(amount), payer=payer, method="cash", reference=None, actor=advisor, now=NOW
        )
    assert reload(RepairOrder, ro.id).paid_amount == Decimal("0.00")


def test_estimate_lines_are_locked_after_approval(shop, advisor):
    ro = open_ro(shop, advisor)
    add_line(shop, ro, advisor)
    move(shop, ro, "estimate_pending", advisor)
    move(shop, ro, "estimate_approved", advisor)
    with pytest.raises(TransitionRefused, match="add a supplement instead"):
        add_line(shop, ro, advisor)


# --- guards, each of which fails when removed ---------------------------------------------------------------
def test_submitting_needs_an_estimate_with_lines(shop, advisor):
    ro = open_ro(shop, advisor)
    with pytest.raises(TransitionRefused, match="no estimate with lines") as refused:
        move(shop, ro, "estimate_pending", advisor)
    assert refused.value.rule == "estimate_required"
    assert reload(RepairOrder, ro.id).ro_status == "draft"


def approved_ro(shop, actor, *, parts: int = 1):  # type: ignore[no-untyped-def]
    ro = open_ro(shop, actor)
    for n in range(parts):
        add_line(shop, ro, actor, "part", "1000.00", description=f"Part {n}")
    add_line(shop, ro, actor, "labor", "65.00", taxable=False)
    move(shop, ro, "estimate_pending", actor)
    move(shop, ro, "estimate_approved", actor)
    return reload(RepairOrder, ro.id)


def test_production_cannot_start_with_parts_outstanding_unless_a_manager_overrides(shop, advisor, manager):
    ro = approved_ro(shop, advisor, parts=2)
    with pytest.raises(
        TransitionRefused, match="Cannot move RO10001 to in production: 2 part lines are still outstanding"
    ):
        move(shop, ro, "in_production", advisor)
    with pytest.raises(PermissionDenied):
        move(shop, ro, "in_production", advisor, override=True, reason="customer waiting")
    with pytest.raises(ValidationError, match="reason"):
        move(shop, ro, "in_production", manager, override=True)
    assert reload(RepairOrder, ro.id).ro_status == "estimate_approved"

    move(shop, ro, "in_production", manager, override=True, reason="body work can start, parts due tomorrow")
    ro = reload(RepairOrder, ro.id)
    assert ro.ro_status == "in_production" and ro.date_production_started == NOW
    entry = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.table_name == "repair_order_management", AuditLog.row_id == str(ro.id))
        .order_by(AuditLog.id.desc())
    ).first()
    assert (
        entry.reason == "body work can start, parts due tomorrow"
        and entry.changes["ro_status"]["new"] == "in_production"
    )


def set_state(ro, **values):  # type: ignore[no-untyped-def]
    for key, value in values.items():
        setattr(ro, key, value)
    db.session.commit()


def install_all_parts(ro):  # type: ignore[no-untyped-def]
    for line in ro.part_lines:
        line.part_status = "installed"
    db.session.commit()


def finish_production(ro):  # type: ignore[no-untyped-def]
    for row in ro.production_rows:
        row.stage_status = StageStatus.COMPLETED
    db.session.commit()


def test_completing_from_production_needs_qc_unless_the_ro_has_none(shop, advisor):
    ro = approved_ro(shop, advisor, parts=0)
    move(shop, ro, "in_production", advisor)
    with pytest.raises(TransitionRefused, match="requires quality control"):
        move(shop, ro, "completed", advisor)
    set_state(reload(RepairOrder, ro.id), qc_required=False)
    move(shop, ro, "completed", advisor)
    assert reload(RepairOrder, ro.id).ro_status == "completed"


def test_passing_qc_needs_a_manager_and_records_the_inspection(shop, advisor, manager):
    ro = approved_ro(shop, advisor, parts=0)
    move(shop, ro, "in_production", advisor)
    move(shop, ro, "quality_control", advisor)
    with pytest.raises(PermissionDenied, match="QC sign-off"):
        move(shop, ro, "completed", advisor)
    move(shop, ro, "completed", manager)
    ro = reload(RepairOrder, ro.id)
    assert (ro.qc_completed, ro.qc_passed, ro.qc_inspector, ro.date_qc_completed) == (True, True, manager.id, NOW)


def test_failing_qc_sends_the_car_back_for_rework(shop, advisor, manager):
    ro = approved_ro(shop, advisor, parts=0)
    move(shop, ro, "in_production", advisor)
    move(shop, ro, "quality_control", advisor)
    move(shop, ro, "in_production", manager)
    ro = reload(RepairOrder, ro.id)
    assert (ro.ro_status, ro.qc_passed, ro.requires_rework) == ("in_production", False, True)


def test_ready_for_delivery_needs_every_stage_done_and_adas(shop, advisor, manager):
    ro = approved_ro(shop, advisor, parts=0)
    set_state(ro, ro_status="completed", requires_adas_calibration=True, qc_passed=True)
    with pytest.raises(TransitionRefused) as refused:
        move(shop, ro, "ready_for_delivery", manager)
    assert "16 production stages are not completed or bypassed" in str(refused.value)  # the last two happen at delivery
    assert "ADAS calibration is not done" in str(refused.value)
    finish_production(reload(RepairOrder, ro.id))
    with pytest.raises(TransitionRefused, match="ADAS"):
        move(shop, ro, "ready_for_delivery", manager)
    set_state(reload(RepairOrder, ro.id), adas_calibration_completed=True)
    move(shop, ro, "ready_for_delivery", manager)


def ready_ro(shop, actor):  # type: ignore[no-untyped-def]
    ro = approved_ro(shop, actor, parts=1)
    finish_production(ro)
    set_state(reload(RepairOrder, ro.id), ro_status="ready_for_delivery", qc_passed=True, qc_completed=True)
    return reload(RepairOrder, ro.id)


def test_delivery_names_every_unmet_rule_and_changes_nothing(shop, advisor, manager):
    ro = ready_ro(shop, advisor)
    set_state(ro, qc_passed=False)
    with pytest.raises(TransitionRefused) as refused:
        move(shop, ro, "delivered", manager)
    assert str(refused.value) == (
        "Cannot deliver RO10001: 1 part line is not installed or returned; quality control has not passed; "
        "the customer still owes 500.00."
    )
    ro = reload(RepairOrder, ro.id)
    assert ro.ro_status == "ready_for_delivery" and ro.actual_delivery_date is None


def test_delivery_with_parts_installed_and_balance_paid(shop, advisor):
    ro = ready_ro(shop, advisor)
    install_all_parts(ro)
    set_state(reload(RepairOrder, ro.id), warranty_period=12)
    svc.record_payment(
        shop.id, ro.id, amount=Decimal("500"), payer="customer", method="cash", reference=None, actor=advisor, now=NOW
    )
    move(shop, ro, "delivered", advisor, now=NOW + timedelta(days=1))
    ro = reload(RepairOrder, ro.id)
    assert ro.actual_delivery_date == NOW + timedelta(days=1)
    assert ro.warranty_start_date == NOW + timedelta(days=1)
    assert ro.warranty_end_date == (NOW + timedelta(days=1)).replace(year=2027)


def test_unpaid_delivery_needs_a_manager_override_with_a_reason(shop, advisor, manager):
    ro = ready_ro(shop, advisor)
    install_all_parts(ro)
    with pytest.raises(TransitionRefused, match="the customer still owes 500.00"):
        move(shop, ro, "delivered", advisor)
    with pytest.raises(PermissionDenied):
        move(shop, ro, "delivered", advisor, override=True, reason="fleet account")
    move(shop, ro, "delivered", manager, override=True, reason="fleet account, billed monthly")
    assert reload(RepairOrder, ro.id).ro_status == "delivered"


def test_a_manager_cannot_override_rules_that_are_not_overridable(shop, manager):
    ro = ready_ro(shop, manager)  # part line not installed
    with pytest.raises(TransitionRefused, match="not installed"):
        move(shop, ro, "delivered", manager, override=True, reason="rush")


def test_invoicing_needs_the_deductible_handled_and_paid_needs_a_zero_balance(shop, advisor, manager):
    ro = ready_ro(shop, advisor)
    install_all_parts(ro)
    move(shop, ro, "delivered", manager, override=True, reason="pays at invoice")
    with pytest.raises(TransitionRefused, match="deductible of 500.00 is neither collected nor waived"):
        move(shop, ro, "invoiced", advisor)
    svc.record_payment(
        shop.id, ro.id, amount=Decimal("500"), payer="customer", method="cash", reference=None, actor=advisor, now=NOW
    )
    move(shop, ro, "invoiced", advisor)
    ro = reload(RepairOrder, ro.id)
    assert ro.invoiced_total == ro.approved_total and ro.balance_due == ro.approved_total - Decimal("500.00")
    with pytest.raises(TransitionRefused, match="balance due is"):
        move(shop, ro, "paid", advisor)
    svc.record_payment(
        shop.id,
        ro.id,
        amount=ro.balance_due,
        payer="insurance",
        method="insurance_direct",
        reference="EFT",
        actor=advisor,
        now=NOW,
    )
    move(shop, ro, "paid", advisor)
    move(shop, ro, "archived", advisor)
    assert reload(RepairOrder, ro.id).ro_status == "archived"


def test_cancel_releases_the_loaner_and_cancels_unsent_pos_only(shop, advisor):
    ro = approved_ro(shop, advisor)
    vendor = factories.VendorFactory(shop=shop)
    loaner = factories.LoanerVehicleFactory(shop=shop, current_status="reserved")
    reservation = factories.LoanerReservationFactory(
        shop=shop, customer=ro.customer, repair_order_id=ro.id, loaner_vehicle=loaner, reservation_status="confirmed"
    )
    draft = factories.PurchaseOrderFactory(shop=shop, repair_order=ro, vendor=vendor, po_status="draft")
    sent = factories.PurchaseOrderFactory(shop=shop, repair_order=ro, vendor=vendor, po_status="sent")
    move(shop, ro, "cancelled", advisor, reason="customer took the cash settlement")

    assert reload(LoanerReservation, reservation.id).reservation_status == "cancelled"
    assert loaner.current_status == "available"
    assert reload(PurchaseOrder, draft.id).po_status == "cancelled"
    assert reload(PurchaseOrder, sent.id).po_status == "sent"


def test_cancel_takes_the_lines_off_an_unsent_po(shop, advisor):
    from collisionos.services import purchasing

    ro = approved_ro(shop, advisor)
    vendor = factories.VendorFactory(shop=shop, vendor_code="LKQX")
    line = ro.part_lines[0]
    line.vendor_id = vendor.id
    db.session.commit()
    created = purchasing.create_purchase_orders(shop.id, [line.id], actor=advisor, now=NOW)
    assert reload(PartLine, line.id).part_status == "ordered"
    move(shop, ro, "cancelled", advisor, reason="customer withdrew")
    line = reload(PartLine, line.id)
    assert (line.part_status, line.purchase_order_id) == ("cancelled", None)
    assert reload(PurchaseOrder, created.orders[0].id).po_status == "cancelled"


def test_a_double_click_moves_once_and_the_second_is_refused(shop, advisor):
    ro = open_ro(shop, advisor)
    add_line(shop, ro, advisor)
    move(shop, ro, "estimate_pending", advisor)
    with pytest.raises(TransitionRefused, match="from estimate pending to estimate pending"):
        move(shop, ro, "estimate_pending", advisor)
    changes = db.session.scalars(
        sa.select(AuditLog.changes).where(
            AuditLog.table_name == "repair_order_management", AuditLog.row_id == str(ro.id)
        )
    ).all()
    assert sum(1 for c in changes if c and "ro_status" in c and c["ro_status"]["new"] == "estimate_pending") == 1


def test_supplement_statuses_are_not_reachable_by_a_plain_move(shop, advisor):
    ro = approved_ro(shop, advisor)
    with pytest.raises(TransitionRefused, match="supplement actions"):
        move(shop, ro, "supplement_pending", advisor)


def test_another_shops_ro_is_not_found(shop, advisor, app_ctx):
    other = shop_with_stages()
    theirs = open_ro(other, staff(other, "manager"))
    with pytest.raises(DomainError, match="No such repair order"):
        move(shop, theirs, "cancelled", advisor, reason="x")


# --- holds (§5.7) -------------------------------------------------------------------------------------------
def test_hold_needs_a_listed_reason_and_a_note(shop, advisor):
    ro = open_ro(shop, advisor)
    with pytest.raises(ValidationError, match="hold reason"):
        svc.put_on_hold(shop.id, ro.id, reason="bored", note="x", actor=advisor, now=NOW)
    with pytest.raises(ValidationError, match="note"):
        svc.put_on_hold(shop.id, ro.id, reason="parts_delay", note=" ", actor=advisor, now=NOW)
    assert not reload(RepairOrder, ro.id).is_on_hold


def test_hold_days_accumulate_and_only_pausing_reasons_move_the_sla(shop, advisor):
    ro = open_ro(shop, advisor)
    svc.put_on_hold(shop.id, ro.id, reason="parts_delay", note="bumper backordered", actor=advisor, now=NOW)
    with pytest.raises(TransitionRefused, match="already on hold"):
        svc.put_on_hold(shop.id, ro.id, reason="parts_delay", note="again", actor=advisor, now=NOW)
    svc.release_hold(shop.id, ro.id, actor=advisor, now=NOW + timedelta(days=1, hours=2))  # 2 days
    svc.put_on_hold(
        shop.id, ro.id, reason="insurance_approval", note="adjuster visit", actor=advisor, now=NOW + timedelta(days=3)
    )
    svc.release_hold(shop.id, ro.id, actor=advisor, now=NOW + timedelta(days=6))  # 3 days
    ro = reload(RepairOrder, ro.id)
    assert (ro.hold_days, ro.sla_paused_days, ro.is_on_hold) == (5, 3, False)
    assert svc.sla_due(ro, NOW) == ro.date_created + timedelta(days=13)
    with pytest.raises(TransitionRefused, match="not on hold"):
        svc.release_hold(shop.id, ro.id, actor=advisor, now=NOW)


def test_a_hold_parks_the_active_stage_and_release_restores_it(shop, advisor):
    ro = open_ro(shop, advisor)
    svc.put_on_hold(shop.id, ro.id, reason="customer_request", note="customer away", actor=advisor, now=NOW)
    assert stages(ro.id)["intake"].stage_status == "on_hold"
    assert stages(ro.id)["intake"].hold_reason == "customer_approval"
    svc.release_hold(shop.id, ro.id, actor=advisor, now=NOW + timedelta(hours=3))
    intake = stages(ro.id)["intake"]
    assert intake.stage_status == "ready" and intake.hold_duration_minutes == 180


def test_sla_risk_is_recomputed_on_change(shop, advisor):
    ro = open_ro(shop, advisor, sla_type="express")
    set_state(reload(RepairOrder, ro.id), date_created=NOW - timedelta(days=8))
    svc.put_on_hold(shop.id, ro.id, reason="parts_delay", note="late", actor=advisor, now=NOW)
    ro = reload(RepairOrder, ro.id)
    assert ro.is_overdue and ro.overdue_by == 5 and ro.sla_risk_level == "critical"


def test_every_stage_move_is_in_the_stage_history(shop, advisor):
    ro = open_ro(shop, advisor)
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(JobStageHistory).where(JobStageHistory.repair_order_id == ro.id)
    )
    assert count == 1  # intake became ready
    assert PartLine  # imported for the factories above


def test_lines_edited_outside_the_workflow_are_picked_up_by_refresh_for_estimate(shop, advisor):
    ro = open_ro(shop, advisor, claim=False)
    line = add_line(shop, ro, advisor, "labor", "100.00", taxable=False)
    line = db.session.get(type(line), line.id)
    line.unit_price = Decimal("150.00")  # as the estimate admin form would
    db.session.commit()
    assert reload(RepairOrder, ro.id).estimated_total == Decimal("100.00")
    svc.refresh_for_estimate(shop.id, ro.estimate_id, actor=advisor, now=NOW)
    assert reload(RepairOrder, ro.id).estimated_total == Decimal("150.00")


# --- supplements and the RO (§3.1, §3.7, §5.7) ----------------------------------------------------------------
def request_supplement(shop, ro, actor, now=NOW):  # type: ignore[no-untyped-def]
    from collisionos.services import claims

    line = {"description": "Hidden: bent radiator support", "type": "part", "quantity": "1", "unit_price": "250.00"}
    return claims.request_supplement(shop.id, ro.id, lines=[line], note=None, actor=actor, now=now)


def test_a_supplement_request_holds_the_ro_and_the_decision_releases_it_with_the_sla_paused(shop, advisor, manager):
    from collisionos.services import claims

    ro = approved_ro(shop, advisor)
    sent = request_supplement(shop, ro, advisor)
    ro = reload(RepairOrder, ro.id)
    assert (ro.ro_status, ro.is_on_hold, ro.hold_reason) == ("supplement_pending", True, "supplement_review")
    claims.decide_supplement(
        shop.id,
        ro.id,
        supplement_number=sent.number,
        approved_line_ids=[sent.lines[0].id],
        actor=manager,
        now=NOW + timedelta(days=2),
    )
    ro = reload(RepairOrder, ro.id)
    assert (ro.ro_status, ro.is_on_hold, ro.hold_days, ro.sla_paused_days) == ("supplement_approved", False, 2, 2)


def test_no_plain_move_out_of_supplement_pending_until_the_insurer_decides(shop, advisor):
    ro = approved_ro(shop, advisor)
    request_supplement(shop, ro, advisor)
    with pytest.raises(TransitionRefused, match="record the insurer's decision on the supplement first"):
        move(shop, ro, "customer_approval", advisor)
    assert [m.target for m in svc.available_moves(reload(RepairOrder, ro.id))] == ["cancelled"]
    move(shop, ro, "cancelled", advisor, reason="total loss")
    ro = reload(RepairOrder, ro.id)
    assert (ro.ro_status, ro.supplements_pending, ro.is_on_hold) == ("cancelled", False, False)


def test_the_walkthrough_and_keys_out_stages_are_done_by_the_delivery_itself(shop, advisor, manager):
    ro = approved_ro(shop, advisor, parts=0)
    ro = reload(RepairOrder, ro.id)
    for row in ro.production_rows:
        if row.stage_type not in ("customer_walkthrough", "delivery"):
            row.stage_status = StageStatus.COMPLETED
    ro.ro_status, ro.qc_passed = "completed", True
    db.session.commit()
    move(shop, ro, "ready_for_delivery", manager)
    svc.record_payment(
        shop.id, ro.id, amount=Decimal("65.00"), payer="customer", method="cash", reference=None, actor=advisor, now=NOW
    )
    move(shop, ro, "delivered", manager)
    rows = {row.stage_type: row.stage_status for row in reload(RepairOrder, ro.id).production_rows}
    assert rows["customer_walkthrough"] == rows["delivery"] == "completed"
    assert reload(RepairOrder, ro.id).production_percent_complete == 100
