"""What the database does when a row goes: cascades, SET NULL on *_by columns, and refusals.

The database-level rules are exercised with Core deletes so the ORM's own cascades cannot stand in for them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from collisionos.extensions import db
from collisionos.models import (
    Attachment,
    AuditLog,
    BmsImport,
    ClaimManagement,
    CommunicationLog,
    CommunicationTemplate,
    ContactTimeline,
    Customer,
    Estimate,
    EstimateLineItem,
    FinancialTransaction,
    Invoice,
    Job,
    JobStageHistory,
    LaborTimeEntry,
    LoanerReservation,
    NumberSequence,
    Part,
    PartLine,
    PartsOrder,
    PartsOrderItem,
    ProductionWorkflow,
    PurchaseOrder,
    RepairOrder,
    SchedulingCapacity,
    Shop,
    TechnicianPerformance,
    User,
    Vehicle,
    VehicleHistory,
    VehicleProfile,
    Vendor,
    WatchFlag,
    WorkflowStatus,
)
from collisionos.models.base import utcnow
from tests import factories


def populate(session, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    """Give ``shop`` at least one row in every table, linked the way the app links them."""
    now = utcnow()
    owner = factories.UserFactory(shop=shop, role="owner")
    tech = factories.UserFactory(shop=shop, supervisor=owner)
    customer = factories.CustomerFactory(shop=shop)
    vehicle = factories.VehicleFactory(customer=customer)
    profile = factories.VehicleProfileFactory(vehicle=vehicle)
    insurer = factories.InsuranceCompanyFactory(shop=shop)
    claim = factories.ClaimFactory(vehicle_profile=profile, insurance_company=insurer)
    estimate = factories.EstimateFactory(vehicle=vehicle, created_by=owner.id)
    factories.EstimateLineItemFactory(estimate=estimate)
    ro = factories.RepairOrderFactory(
        vehicle_profile=profile, claim=claim, estimate=estimate, created_by=owner.id, primary_technician=tech.id
    )
    vendor = factories.VendorFactory(shop=shop)
    po = factories.PurchaseOrderFactory(repair_order=ro, vendor=vendor, approved_by=owner.id)
    part = Part(
        shop=shop, part_number=f"P-{shop.id}", description="Bumper clip", category="body", primary_vendor=vendor
    )
    session.add(part)
    factories.PartLineFactory(repair_order=ro, purchase_order=po, vendor=vendor, part=part, ordered_by=tech.id)
    stage = factories.ProductionStageFactory(shop=shop)
    factories.ProductionWorkflowFactory(repair_order=ro, production_stage=stage, assigned_technician=tech.id)
    loaner = factories.LoanerVehicleFactory(shop=shop)
    reservation = factories.LoanerReservationFactory(loaner_vehicle=loaner, customer=customer, repair_order=ro)
    job = Job(shop=shop, repair_order=ro, customer=customer, vehicle=vehicle, job_number=f"{ro.repair_order_number}-1")
    step = WorkflowStatus(shop=shop, job=job, stage="intake", stage_order=2, technician_id=tech.id)
    order = PartsOrder(shop=shop, vendor=vendor, created_by=owner.id, order_number=f"PO-261125-{shop.id:03d}")
    order.items.append(PartsOrderItem(line_number=1, part=part, part_number=part.part_number, description="Clip"))
    invoice = Invoice(
        shop=shop,
        repair_order=ro,
        customer=customer,
        vehicle=vehicle,
        invoice_number=f"INV-261125-{shop.id:03d}",
        due_date=now + timedelta(days=30),
        created_by=owner.id,
    )
    template = CommunicationTemplate(
        shop=shop, template_name="Ready", template_code="PICKUP_READY_001", category="pickup_ready"
    )
    message = CommunicationLog(
        shop=shop, customer=customer, repair_order=ro, template=template, channel="sms", direction="sent"
    )
    session.add_all(
        [
            job,
            step,
            JobStageHistory(shop=shop, job=job, repair_order=ro, workflow_status=step, to_stage="intake"),
            LaborTimeEntry(shop=shop, technician=tech, job=job, repair_order=ro, clock_in=now, labor_type="body"),
            Attachment(
                shop=shop,
                uploaded_by=owner.id,
                repair_order=ro,
                loaner_reservation=reservation,
                file_name="front.jpg",
                original_file_name="IMG_0001.jpg",
                file_path="photos/front.jpg",
                file_type="image",
                file_size=2048,
            ),
            VehicleHistory(shop=shop, vehicle=vehicle, job=job, service_date=now, service_type="collision_repair"),
            order,
            invoice,
            FinancialTransaction(
                shop=shop,
                invoice=invoice,
                repair_order=ro,
                customer=customer,
                transaction_number=f"PAY-261125-{shop.id:04d}",
                transaction_type="payment_received",
                category="customer_payment",
                amount=Decimal("500.00"),
                payment_method="cash",
            ),
            template,
            message,
            ContactTimeline(
                shop=shop,
                customer=customer,
                repair_order=ro,
                communication_log=message,
                communication_method="text",
                direction="outgoing",
            ),
            TechnicianPerformance(shop=shop, technician=tech, period_start=now - timedelta(days=7), period_end=now),
            SchedulingCapacity(
                shop=shop, schedule_date=date(2026, 11, 25), schedule_year=2026, day_of_week=3, department="paint"
            ),
            BmsImport(shop=shop, created_by=owner.id, estimate=estimate, file_name="estimate.xml"),
            NumberSequence(shop_id=shop.id, name="repair_order", last_value=1),
            WatchFlag(
                shop_id=shop.id,
                kind="at_risk",
                subject_table="repair_order_management",
                subject_id=ro.id,
                condition="red",
                first_flagged_at=now,
                last_seen_at=now,
            ),
            AuditLog(
                shop_id=shop.id,
                user_id=owner.id,
                table_name="repair_order_management",
                row_id=str(ro.id),
                action="insert",
                changes={},
            ),
        ]
    )
    session.commit()


def rows_of(session, shop_id: int) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    """Ids of every row that belongs to the shop, per table (child lines through their parent)."""
    through_parent = {
        "estimate_line_items": (EstimateLineItem.estimate_id, Estimate),
        "parts_order_items": (PartsOrderItem.parts_order_id, PartsOrder),
    }
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name == "shops":
            query = sa.select(table.c.id).where(table.c.id == shop_id)
        elif "shop_id" not in table.c and table.name not in through_parent:
            continue  # the installation's own rows (scheduler runs), owned by no shop
        elif table.name in through_parent:
            link, parent = through_parent[table.name]
            query = sa.select(table.c.id).join(parent, link == parent.id).where(parent.shop_id == shop_id)
        else:
            query = sa.select(table.c.id).where(table.c.shop_id == shop_id)
        rows[table.name] = set(session.scalars(query))
    return rows


def surviving(session, rows: dict[str, set[int]]) -> dict[str, set[int]]:  # type: ignore[no-untyped-def]
    """The subset of ``rows`` still in the database."""
    tables = db.metadata.tables
    return {
        name: set(session.scalars(sa.select(tables[name].c.id).where(tables[name].c.id.in_(ids))))
        for name, ids in rows.items()
        if ids
    }


@pytest.mark.parametrize("how", ["core", "orm"])
def test_deleting_a_shop_removes_its_rows_in_every_table_and_nothing_else(session, how: str) -> None:  # type: ignore[no-untyped-def]
    doomed, kept = factories.ShopFactory(), factories.ShopFactory()
    populate(session, doomed)
    populate(session, kept)
    doomed_rows, kept_rows = rows_of(session, doomed.id), rows_of(session, kept.id)
    assert [name for name, ids in doomed_rows.items() if not ids] == []

    if how == "core":
        session.execute(sa.delete(Shop).where(Shop.id == doomed.id))
    else:
        session.delete(doomed)
    session.commit()
    session.expire_all()

    left = {name: ids for name, ids in surviving(session, doomed_rows).items() if ids}
    assert left == {"audit_log": doomed_rows["audit_log"]}  # the audit trail outlives the shop
    assert set(session.scalars(sa.select(AuditLog.shop_id).where(AuditLog.id.in_(left["audit_log"])))) == {None}
    assert rows_of(session, kept.id) == kept_rows


def test_deleting_a_user_clears_their_by_columns_and_keeps_the_rows(session, shop) -> None:  # type: ignore[no-untyped-def]
    user = factories.UserFactory(shop=shop)
    colleague = factories.UserFactory(shop=shop, supervisor=user)
    ro = factories.RepairOrderFactory(
        vehicle_profile=factories.VehicleProfileFactory(vehicle__customer__shop=shop),
        created_by=user.id,
        primary_technician=user.id,
        assigned_estimator=user.id,
        qc_inspector=user.id,
    )
    workflow = factories.ProductionWorkflowFactory(repair_order=ro, assigned_technician=user.id, completed_by=user.id)
    part_line = factories.PartLineFactory(repair_order=ro, ordered_by=user.id, received_by=user.id)
    po = factories.PurchaseOrderFactory(repair_order=ro, requested_by=user.id, approved_by=user.id)
    claim = factories.ClaimFactory(vehicle_profile=ro.vehicle_profile, reviewed_by=user.id, created_by=user.id)
    reservation = factories.LoanerReservationFactory(loaner_vehicle__shop=shop, pickup_inspected_by=user.id)
    watched = {
        colleague: ["supervisor_id"],
        ro: ["created_by", "primary_technician", "assigned_estimator", "qc_inspector"],
        workflow: ["assigned_technician", "completed_by"],
        part_line: ["ordered_by", "received_by"],
        po: ["requested_by", "approved_by"],
        claim: ["reviewed_by", "created_by"],
        reservation: ["pickup_inspected_by"],
    }
    assert {getattr(row, column) for row, columns in watched.items() for column in columns} == {user.id}

    session.execute(sa.delete(User).where(User.id == user.id))
    session.commit()
    session.expire_all()

    after = {
        f"{type(row).__name__}.{column}": getattr(session.get(type(row), row.id), column)
        for row, columns in watched.items()
        for column in columns
    }
    assert after == dict.fromkeys(after)


def test_deleting_a_user_deletes_their_scorecards(session, shop) -> None:  # type: ignore[no-untyped-def]
    user = factories.UserFactory(shop=shop)
    now = utcnow()
    session.add(TechnicianPerformance(shop=shop, technician=user, period_start=now - timedelta(days=7), period_end=now))
    session.commit()

    session.execute(sa.delete(User).where(User.id == user.id))
    session.commit()

    assert session.scalar(sa.select(sa.func.count()).select_from(TechnicianPerformance)) == 0


def _customer_with_repair_order(shop):  # type: ignore[no-untyped-def]
    # The RO's vehicle belongs to someone else, so only the RO stands in the way.
    customer = factories.CustomerFactory(shop=shop)
    ro = factories.RepairOrderFactory(
        vehicle_profile=factories.VehicleProfileFactory(vehicle__customer__shop=shop), customer=customer
    )
    return customer, ro


def _vendor_with_purchase_order(shop):  # type: ignore[no-untyped-def]
    vendor = factories.VendorFactory(shop=shop)
    ro = factories.RepairOrderFactory(vehicle_profile=factories.VehicleProfileFactory(vehicle__customer__shop=shop))
    return vendor, factories.PurchaseOrderFactory(repair_order=ro, vendor=vendor)


def _loaner_with_reservation(shop):  # type: ignore[no-untyped-def]
    loaner = factories.LoanerVehicleFactory(shop=shop)
    return loaner, factories.LoanerReservationFactory(loaner_vehicle=loaner)


def _user_who_created_an_estimate(shop):  # type: ignore[no-untyped-def]
    user = factories.UserFactory(shop=shop)
    return user, factories.EstimateFactory(vehicle__customer__shop=shop, created_by=user.id)


def _user_who_clocked_time(shop):  # type: ignore[no-untyped-def]
    user = factories.UserFactory(shop=shop)
    ro = factories.RepairOrderFactory(vehicle_profile=factories.VehicleProfileFactory(vehicle__customer__shop=shop))
    entry = LaborTimeEntry(shop=shop, technician=user, repair_order=ro, clock_in=utcnow(), labor_type="paint")
    db.session.add(entry)
    db.session.commit()
    return user, entry


RESTRICTED: dict[str, Callable[[Shop], tuple[Any, Any]]] = {
    "customer_with_repair_order": _customer_with_repair_order,
    "vendor_with_purchase_order": _vendor_with_purchase_order,
    "loaner_with_reservation": _loaner_with_reservation,
    "user_who_created_an_estimate": _user_who_created_an_estimate,
    "user_who_clocked_time": _user_who_clocked_time,
}


@pytest.mark.parametrize("case", RESTRICTED)
def test_a_referenced_row_cannot_be_deleted_and_nothing_changes(session, shop, case: str) -> None:  # type: ignore[no-untyped-def]
    parent, child = RESTRICTED[case](shop)
    parent_type, parent_id, child_type, child_id = type(parent), parent.id, type(child), child.id

    with pytest.raises(IntegrityError) as error:
        session.execute(sa.delete(parent_type).where(parent_type.id == parent_id))
    session.rollback()

    assert "foreign key" in str(error.value).lower()

    assert session.get(parent_type, parent_id) is not None
    assert session.get(child_type, child_id) is not None


@pytest.mark.parametrize(
    "make",
    [
        lambda shop: factories.CustomerFactory(shop=shop),
        lambda shop: factories.VendorFactory(shop=shop),
        lambda shop: factories.LoanerVehicleFactory(shop=shop),
        lambda shop: factories.UserFactory(shop=shop),
    ],
    ids=["customer", "vendor", "loaner", "user"],
)
def test_the_same_row_without_dependents_can_be_deleted(session, shop, make) -> None:  # type: ignore[no-untyped-def]
    row = make(shop)
    model, row_id = type(row), row.id

    session.execute(sa.delete(model).where(model.id == row_id))
    session.commit()

    assert session.get(model, row_id) is None


def test_deleting_a_repair_order_deletes_its_work_and_keeps_customer_and_vehicle(session, shop) -> None:  # type: ignore[no-untyped-def]
    profile = factories.VehicleProfileFactory(vehicle__customer__shop=shop)
    claim = factories.ClaimFactory(vehicle_profile=profile)
    ro = factories.RepairOrderFactory(vehicle_profile=profile, claim=claim)
    workflow = factories.ProductionWorkflowFactory(repair_order=ro)
    po = factories.PurchaseOrderFactory(repair_order=ro)
    part_line = factories.PartLineFactory(repair_order=ro, purchase_order=po)
    reservation = factories.LoanerReservationFactory(loaner_vehicle__shop=shop, repair_order=ro, claim=claim)
    kept = {
        Customer: ro.customer_id,
        VehicleProfile: ro.vehicle_profile_id,
        Vehicle: ro.vehicle_profile.vehicle_id,
        ClaimManagement: claim.id,
        Vendor: po.vendor_id,
        LoanerReservation: reservation.id,
    }
    gone = {RepairOrder: ro.id, ProductionWorkflow: workflow.id, PartLine: part_line.id, PurchaseOrder: po.id}

    session.execute(sa.delete(RepairOrder).where(RepairOrder.id == ro.id))
    session.commit()
    session.expire_all()

    assert {model.__name__: session.get(model, row_id) for model, row_id in gone.items()} == dict.fromkeys(
        model.__name__ for model in gone
    )
    assert all(session.get(model, row_id) is not None for model, row_id in kept.items())
    assert session.get(LoanerReservation, reservation.id).repair_order_id is None


def test_deleting_an_estimate_deletes_its_lines_and_unlinks_the_repair_order(session, shop) -> None:  # type: ignore[no-untyped-def]
    estimate = factories.EstimateFactory(vehicle__customer__shop=shop)
    for _ in range(3):
        factories.EstimateLineItemFactory(estimate=estimate)
    other_estimate_line = factories.EstimateLineItemFactory(estimate__vehicle__customer__shop=shop)
    ro = factories.RepairOrderFactory(
        vehicle_profile=factories.VehicleProfileFactory(vehicle=estimate.vehicle), estimate=estimate
    )

    session.execute(sa.delete(Estimate).where(Estimate.id == estimate.id))
    session.commit()
    session.expire_all()

    assert session.scalars(sa.select(EstimateLineItem.id)).all() == [other_estimate_line.id]
    assert session.get(RepairOrder, ro.id).estimate_id is None
