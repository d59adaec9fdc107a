"""Database constraints: per-shop unique numbers, CHECK rules, enum checks, and VIN validation on the models."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from collisionos.domain.errors import ValidationError
from collisionos.models import (
    AuditLog,
    EstimateLineItem,
    Job,
    LaborTimeEntry,
    LoanerVehicle,
    Vehicle,
    VehicleProfile,
)
from collisionos.models.base import UTCDateTime, utcnow
from tests import factories

VALID_VIN = "1HGCM82633A004352"
BAD_CHECK_DIGIT_VIN = "5YJ3E1EA7KF317000"  # position 9 should be 2

_numbers = itertools.count(1)


def customer_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.CustomerFactory(shop=shop, **fields)


def vehicle_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.VehicleFactory(customer=customer_in(shop), **fields)


def profile_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.VehicleProfileFactory(vehicle=vehicle_in(shop), **fields)


def ro_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.RepairOrderFactory(vehicle_profile=profile_in(shop), **fields)


def estimate_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.EstimateFactory(vehicle=vehicle_in(shop), **fields)


def claim_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.ClaimFactory(vehicle_profile=profile_in(shop), **fields)


def reservation_in(shop, **fields):  # type: ignore[no-untyped-def]
    return factories.LoanerReservationFactory(loaner_vehicle=factories.LoanerVehicleFactory(shop=shop), **fields)


# --- unique numbers -----------------------------------------------------------------------------


def the_shop(shop):  # type: ignore[no-untyped-def]
    return shop


@dataclass(frozen=True)
class Unique:
    """A value that must be unique within a scope (the shop, or a parent row created in the shop)."""

    make: Callable[[Any], Any]  # creates one row carrying the value under the given scope
    column: str  # named by the database's error message on both dialects
    scope: Callable[[Any], Any] = the_shop


def _po_with_parts(shop):  # type: ignore[no-untyped-def]
    return factories.PurchaseOrderFactory(
        repair_order=ro_in(shop),
        ro_number="RO10452",
        year_month="2611",
        vendor_code="LKQX",
        sequence_number=2,
        purchase_order_number=f"PO-{next(_numbers)}",
    )


UNIQUES = {
    "ro_number": Unique(lambda shop: ro_in(shop, repair_order_number="RO10452"), "repair_order_number"),
    "customer_number": Unique(lambda shop: customer_in(shop, customer_number="CUST-0001"), "customer_number"),
    "vendor_number": Unique(
        lambda shop: factories.VendorFactory(shop=shop, vendor_number="VEND-0001"), "vendor_number"
    ),
    "vendor_code": Unique(lambda shop: factories.VendorFactory(shop=shop, vendor_code="LKQX"), "vendor_code"),
    "claim_number_per_insurer": Unique(
        lambda insurer: claim_in(insurer.shop, insurance_company=insurer, claim_number="CLM-7781"),
        "claim_number",
        scope=lambda shop: factories.InsuranceCompanyFactory(shop=shop),
    ),
    "po_number": Unique(
        lambda shop: factories.PurchaseOrderFactory(
            repair_order=ro_in(shop), purchase_order_number="RO10452-2611-LKQX-001"
        ),
        "purchase_order_number",
    ),
    "po_number_parts": Unique(_po_with_parts, "sequence_number"),
    "reservation_number": Unique(
        lambda shop: reservation_in(shop, reservation_number="RES-261125-001"), "reservation_number"
    ),
    "estimate_number": Unique(lambda shop: estimate_in(shop, estimate_number="EST-261125-001"), "estimate_number"),
    "loaner_unit_id": Unique(lambda shop: factories.LoanerVehicleFactory(shop=shop, unit_id="L-01"), "unit_id"),
    "vehicle_vin": Unique(lambda shop: vehicle_in(shop, vin=VALID_VIN), "vin"),
    "vehicle_profile_full_vin": Unique(lambda shop: profile_in(shop, vin=VALID_VIN), "vin"),
    "stage_code": Unique(
        lambda shop: factories.ProductionStageFactory(shop=shop, stage_code="PAINT_BOOTH"), "stage_code"
    ),
    "stage_order": Unique(lambda shop: factories.ProductionStageFactory(shop=shop, stage_order=8), "stage_order"),
    "workflow_stage_order_per_ro": Unique(
        lambda ro: factories.ProductionWorkflowFactory(repair_order=ro, stage_order=3), "stage_order", scope=ro_in
    ),
    "part_line_number_per_ro": Unique(
        lambda ro: factories.PartLineFactory(repair_order=ro, line_number=1), "line_number", scope=ro_in
    ),
    "estimate_line_number_per_estimate": Unique(
        lambda estimate: factories.EstimateLineItemFactory(estimate=estimate, line_number=1),
        "line_number",
        scope=estimate_in,
    ),
}  # fmt: skip
PER_PARENT = [name for name, case in UNIQUES.items() if case.scope is not the_shop]


@pytest.mark.parametrize("name", UNIQUES)
def test_duplicate_in_the_same_scope_fails(session, shop, name: str) -> None:  # type: ignore[no-untyped-def]
    case = UNIQUES[name]
    scope = case.scope(shop)
    case.make(scope)

    with pytest.raises(IntegrityError) as error:
        case.make(scope)
    session.rollback()

    assert case.column in str(error.value)


@pytest.mark.parametrize("name", UNIQUES)
def test_same_value_in_another_shop_succeeds(session, shop, other_shop, name: str) -> None:  # type: ignore[no-untyped-def]
    case = UNIQUES[name]

    first = case.make(case.scope(shop))
    second = case.make(case.scope(other_shop))

    assert first.id != second.id


@pytest.mark.parametrize("name", PER_PARENT)
def test_same_value_under_another_parent_of_the_same_shop_succeeds(session, shop, name: str) -> None:  # type: ignore[no-untyped-def]
    case = UNIQUES[name]

    first = case.make(case.scope(shop))
    second = case.make(case.scope(shop))

    assert first.id != second.id


def test_partial_and_missing_vins_may_repeat_on_vehicle_profiles(session, shop) -> None:  # type: ignore[no-untyped-def]
    partials = [profile_in(shop, vin="1HGCM8") for _ in range(2)]
    missing = [profile_in(shop, vin="") for _ in range(2)]

    assert [p.vin for p in partials] == ["1HGCM8", "1HGCM8"]
    assert [p.vin for p in missing] == [None, None]


# --- CHECK constraints --------------------------------------------------------------------------


def _labor_entry(session, shop, *, on: str):  # type: ignore[no-untyped-def]
    ro = ro_in(shop)
    job = None
    if on == "job":
        job = Job(
            shop=shop,
            repair_order=ro,
            customer=ro.customer,
            vehicle=ro.vehicle_profile.vehicle,
            job_number=f"{ro.repair_order_number}-1",
        )
    entry = LaborTimeEntry(
        shop=shop,
        technician=factories.UserFactory(shop=shop),
        clock_in=utcnow(),
        labor_type="body",
        job=job,
        repair_order=ro if on == "repair_order" else None,
    )
    session.add(entry)
    session.commit()
    return entry


_START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

BUILDERS: dict[str, Callable[..., Any]] = {
    "part_line": lambda shop, **f: factories.PartLineFactory(repair_order=ro_in(shop), **f),
    "repair_order": ro_in,
    "estimate": estimate_in,
    "vendor": lambda shop, **f: factories.VendorFactory(shop=shop, **f),
    "reservation": reservation_in,
    "estimate_line": lambda shop, **f: factories.EstimateLineItemFactory(estimate=estimate_in(shop), **f),
    "claim": claim_in,
    "workflow": lambda shop, **f: factories.ProductionWorkflowFactory(repair_order=ro_in(shop), **f),
}

REJECTED = [
    # money is never negative
    ("part_line", {"list_price": Decimal("-0.01")}, "ck_advanced_parts_management_list_price_nonneg"),
    ("repair_order", {"estimated_total": Decimal("-1")}, "ck_repair_order_management_estimated_total_nonneg"),
    ("estimate", {"parts_total": Decimal("-1")}, "ck_estimates_parts_total_nonneg"),
    ("vendor", {"credit_limit": Decimal("-100")}, "ck_vendors_credit_limit_nonneg"),
    # percentages are 0-100
    ("vendor", {"discount_percentage": Decimal("100.01")}, "ck_vendors_discount_percentage_range"),
    ("vendor", {"discount_percentage": Decimal("-1")}, "ck_vendors_discount_percentage_range"),
    ("part_line", {"discount_percentage": Decimal("100.01")}, "ck_advanced_parts_management_discount_percentage_range"),
    # ratings are 1-5
    ("part_line", {"quality_rating": 0}, "ck_advanced_parts_management_quality_rating_range"),
    ("part_line", {"quality_rating": 6}, "ck_advanced_parts_management_quality_rating_range"),
    ("repair_order", {"customer_satisfaction_score": 0},
     "ck_repair_order_management_customer_satisfaction_score_range"),
    ("workflow", {"quality_score": 6}, "ck_production_workflow_quality_score_range"),
    # a reservation ends strictly after it starts; other date pairs may be equal
    ("reservation", {"requested_start_date": _START, "requested_end_date": _START},
     "ck_loaner_reservations_requested_end_after_start"),
    ("reservation", {"requested_start_date": _START, "requested_end_date": _START - timedelta(days=1)},
     "ck_loaner_reservations_requested_end_after_start"),
    ("repair_order", {"hold_start_date": _START, "hold_end_date": _START - timedelta(seconds=1)},
     "ck_repair_order_management_hold_end_date_after_hold_start_date"),
    # a part line orders something
    ("part_line", {"quantity_ordered": Decimal("0")}, "ck_advanced_parts_management_quantity_ordered_positive"),
    ("part_line", {"quantity_ordered": Decimal("-1")}, "ck_advanced_parts_management_quantity_ordered_positive"),
    # tax is not taxed
    # a waived deductible says why
    ("claim", {"deductible_waived": True, "deductible_waived_reason": None}, "ck_claim_management_waived_reason"),
    ("claim", {"deductible_waived": True, "deductible_waived_reason": "   "}, "ck_claim_management_waived_reason"),
]  # fmt: skip

ACCEPTED = [
    ("part_line", {"list_price": Decimal("0.00")}),
    ("repair_order", {"estimated_total": Decimal("0.00")}),
    ("repair_order", {"balance_due": Decimal("-25.00")}),  # overpaid
    ("vendor", {"current_balance": Decimal("-10.00")}),  # credits exceed what is owed
    ("vendor", {"discount_percentage": Decimal("100.00")}),
    ("vendor", {"discount_percentage": Decimal("0.00")}),
    ("part_line", {"quality_rating": 1}),
    ("part_line", {"quality_rating": 5}),
    ("repair_order", {"customer_satisfaction_score": 5}),
    ("reservation", {"requested_start_date": _START, "requested_end_date": _START + timedelta(seconds=1)}),
    ("repair_order", {"hold_start_date": _START, "hold_end_date": _START}),
    ("part_line", {"quantity_ordered": Decimal("0.001")}),
    ("estimate_line", {"type": "tax", "taxable": False}),
    ("estimate_line", {"type": "part", "taxable": True}),
    ("claim", {"deductible_waived": True, "deductible_waived_reason": "Goodwill for a repeat customer"}),
    ("claim", {"deductible_waived": False, "deductible_waived_reason": None}),
]


def _case_id(value: Any) -> str | None:
    if isinstance(value, dict):
        return "-".join(f"{name}={field}" for name, field in value.items())
    return None


@pytest.mark.parametrize(("builder", "fields", "constraint"), REJECTED, ids=_case_id)
def test_check_constraint_rejects(session, shop, builder: str, fields: dict, constraint: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError) as error:
        BUILDERS[builder](shop, **fields)
    session.rollback()

    assert constraint in str(error.value)


@pytest.mark.parametrize(("builder", "fields"), ACCEPTED, ids=_case_id)
def test_check_constraint_accepts_the_boundary(session, shop, builder: str, fields: dict) -> None:  # type: ignore[no-untyped-def]
    row = BUILDERS[builder](shop, **fields)
    session.expire_all()

    assert {name: getattr(row, name) for name in fields} == fields


def test_time_entry_without_job_or_repair_order_fails(session, shop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError) as error:
        _labor_entry(session, shop, on="nothing")
    session.rollback()

    assert "ck_labor_time_entries_job_or_repair_order" in str(error.value)


@pytest.mark.parametrize("on", ["job", "repair_order"])
def test_time_entry_on_a_job_or_a_repair_order_succeeds(session, shop, on: str) -> None:  # type: ignore[no-untyped-def]
    entry = _labor_entry(session, shop, on=on)
    session.expire_all()

    assert (entry.job_id is not None, entry.repair_order_id is not None) == (on == "job", on == "repair_order")


# --- enums --------------------------------------------------------------------------------------

ENUM_CASES = [
    # (builder, table, column, a value outside the list): several come from the reference's routes (DOMAIN.md §9.12-15)
    ("customer", "customers", "preferred_contact", "fax"),
    ("repair_order", "repair_order_management", "ro_status", "in_progress"),
    ("purchase_order", "purchase_order_system", "po_status", "received"),
    ("part_line", "advanced_parts_management", "part_status", "partial"),
    ("insurer", "insurance_companies", "preferred_parts_type", "oem"),  # values are case-sensitive: `OEM`
]
ENUM_IDS = [f"{table}.{column}" for _, table, column, _ in ENUM_CASES]
ENUM_BUILDERS: dict[str, Callable[[Any], Any]] = {
    "customer": customer_in,
    "repair_order": ro_in,
    "purchase_order": lambda shop: factories.PurchaseOrderFactory(repair_order=ro_in(shop)),
    "part_line": BUILDERS["part_line"],
    "insurer": lambda shop: factories.InsuranceCompanyFactory(shop=shop),
}


@pytest.mark.parametrize(("builder", "table", "column", "bad"), ENUM_CASES, ids=ENUM_IDS)
def test_orm_refuses_a_value_outside_the_enum_before_the_database(  # type: ignore[no-untyped-def]
    session, shop, builder: str, table: str, column: str, bad: str
) -> None:
    row = ENUM_BUILDERS[builder](shop)
    setattr(row, column, bad)

    with pytest.raises(StatementError) as error:
        session.commit()
    session.rollback()

    assert not isinstance(error.value, DBAPIError)
    assert isinstance(error.value.orig, LookupError)


@pytest.mark.parametrize(("builder", "table", "column", "bad"), ENUM_CASES, ids=ENUM_IDS)
def test_raw_sql_cannot_write_a_value_outside_the_enum(  # type: ignore[no-untyped-def]
    session, shop, builder: str, table: str, column: str, bad: str
) -> None:
    row_id = ENUM_BUILDERS[builder](shop).id
    update = sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id")  # noqa: S608

    with pytest.raises(IntegrityError) as error:
        session.execute(update, {"value": bad, "id": row_id})
    session.rollback()

    assert f"ck_{table}_{column}" in str(error.value)


def _insert_audit_row(session, action: str) -> None:  # type: ignore[no-untyped-def]
    insert = sa.text(
        "INSERT INTO audit_log (occurred_at, table_name, row_id, action, changes)"
        " VALUES (:occurred_at, 'customers', '1', :action, :changes)"
    ).bindparams(sa.bindparam("occurred_at", type_=UTCDateTime), sa.bindparam("changes", type_=sa.JSON))
    session.execute(insert, {"occurred_at": utcnow(), "action": action, "changes": {}})


def test_raw_sql_insert_of_an_unknown_enum_value_is_refused_by_the_check(session) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IntegrityError) as error:
        _insert_audit_row(session, "upsert")
    session.rollback()

    assert "ck_audit_log_action" in str(error.value)


def test_raw_sql_insert_of_a_listed_enum_value_is_stored(session) -> None:  # type: ignore[no-untyped-def]
    _insert_audit_row(session, "insert")
    session.commit()

    assert session.scalars(sa.select(AuditLog.action)).all() == ["insert"]


def test_core_insert_refuses_an_unknown_enum_value_before_the_database(session) -> None:  # type: ignore[no-untyped-def]
    insert = sa.insert(AuditLog.__table__).values(
        occurred_at=utcnow(), table_name="customers", row_id="1", action="upsert", changes={}
    )

    with pytest.raises(StatementError) as error:
        session.execute(insert)
    session.rollback()

    assert not isinstance(error.value, DBAPIError)
    assert isinstance(error.value.orig, LookupError)


# --- VINs ---------------------------------------------------------------------------------------


def test_vehicle_refuses_a_vin_with_a_bad_check_digit() -> None:
    with pytest.raises(ValidationError) as error:
        Vehicle(vin=BAD_CHECK_DIGIT_VIN)

    assert error.value.rule == "vin_check_digit"


@pytest.mark.parametrize("model", [Vehicle, LoanerVehicle])
@pytest.mark.parametrize(("vin", "rule"), [("1HGCM8", "vin_length"), (BAD_CHECK_DIGIT_VIN, "vin_check_digit")])
def test_vehicles_and_loaners_need_a_full_valid_vin(model: type, vin: str, rule: str) -> None:
    with pytest.raises(ValidationError) as error:
        model(vin=vin)

    assert error.value.rule == rule


@pytest.mark.parametrize("model", [Vehicle, LoanerVehicle, VehicleProfile])
def test_a_valid_vin_is_stored_normalised(model: type) -> None:
    assert model(vin=" 1hgcm8-2633a004352 ").vin == VALID_VIN


@pytest.mark.parametrize(("typed", "stored"), [("1hgcm8", "1HGCM8"), ("", None), (None, None)])
def test_vehicle_profile_accepts_a_partial_or_missing_vin(typed: str | None, stored: str | None) -> None:
    assert VehicleProfile(vin=typed).vin == stored


@pytest.mark.parametrize(("vin", "rule"), [(BAD_CHECK_DIGIT_VIN, "vin_check_digit"), ("1HGCM8Q", "vin_characters")])
def test_vehicle_profile_still_validates_what_it_is_given(vin: str, rule: str) -> None:
    with pytest.raises(ValidationError) as error:
        VehicleProfile(vin=vin)

    assert error.value.rule == rule


@pytest.mark.parametrize(
    ("builder", "table"),
    [
        (lambda shop: vehicle_in(shop), "vehicles"),
        (lambda shop: factories.LoanerVehicleFactory(shop=shop), "loaner_fleet_management"),
    ],
    ids=["vehicles", "loaner_fleet_management"],
)
def test_database_refuses_a_vin_that_is_not_17_characters(session, shop, builder, table: str) -> None:  # type: ignore[no-untyped-def]
    row_id = builder(shop).id

    with pytest.raises(IntegrityError) as error:
        session.execute(sa.text(f"UPDATE {table} SET vin = 'SHORTVIN' WHERE id = :id"), {"id": row_id})  # noqa: S608
    session.rollback()

    assert f"ck_{table}_vin_length" in str(error.value)


def test_a_taxable_tax_line_is_refused_by_the_database(session, shop):
    """The ORM forces tax lines untaxed (§6 H2); the CHECK still stops a write that bypasses it."""
    line = factories.EstimateLineItemFactory(estimate=estimate_in(shop), type="tax")
    table = EstimateLineItem.__table__
    with pytest.raises(IntegrityError) as error:
        session.execute(sa.update(table).where(table.c.id == line.id).values(taxable=True))
    session.rollback()
    assert "ck_estimate_line_items_tax_line_not_taxable" in str(error.value)
