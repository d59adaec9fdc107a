"""Schema conventions: table names, tenancy, FK indexes, identifier lengths, money and time types, __str__."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import (
    DOMAIN_MODELS,
    Attachment,
    AuditLog,
    BmsImport,
    CommunicationLog,
    CommunicationTemplate,
    ContactTimeline,
    FinancialTransaction,
    Invoice,
    Job,
    JobStageHistory,
    LaborTimeEntry,
    Part,
    PartsOrder,
    PartsOrderItem,
    RepairOrder,
    SchedulingCapacity,
    TechnicianPerformance,
    User,
    VehicleHistory,
    WorkflowStatus,
)
from collisionos.models.base import MAX_IDENTIFIER_LENGTH, UTCDateTime
from tests import factories

DOMAIN_MD = Path(__file__).resolve().parents[3] / "shared" / "DOMAIN.md"
TABLE_HEADING = re.compile(r"^#{3,4} [A-Z]\d*\. \w+ — `(?P<table>\w+)`", re.MULTILINE)

TABLES = sorted(db.metadata.tables)

# DOMAIN.md §0 Tenancy: the tables that are not owned through a NOT NULL shop_id.
# Scheduler runs belong to the installation, not to a shop.
NO_SHOP_ID = {"shops", "estimate_line_items", "parts_order_items", "scheduler_runs"}
NULLABLE_SHOP_ID = {"users": "CASCADE", "audit_log": "SET NULL"}

MONEY_NAME = re.compile(
    r"(?:^|_)(?:amount|total|cost|price|charge|charges|fee|value|due|limit|balance|deductible|subtotal"
    r"|payment|pay|allowance|generated|incurred)$"
)
# Money-sounding names that DOMAIN.md gives another meaning or precision on purpose.
NOT_MONEY = {
    ("purchase_order_system", "restocking_fee"): "a percentage on POs (§9.10)",
    ("communication_log", "cost"): "per-message cost in fractions of a cent, Num(8,4)",
    ("contact_timeline", "cost"): "per-message cost in fractions of a cent, Num(10,4)",
}


def _domain_table_names() -> set[str]:
    if not DOMAIN_MD.exists():
        pytest.skip(f"DOMAIN.md not found at {DOMAIN_MD}")
    return set(TABLE_HEADING.findall(DOMAIN_MD.read_text(encoding="utf-8")))


def _first_columns(table: sa.Table) -> set[str]:
    """Columns that lead an index, a unique constraint or the primary key of ``table``."""
    leading = {next(iter(index.columns)).name for index in table.indexes}
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint) and len(constraint.columns):
            leading.add(next(iter(constraint.columns)).name)
    return leading


def test_domain_models_are_the_35_tables_of_domain_md() -> None:
    domain_tables = _domain_table_names()
    model_tables = [model.__tablename__ for model in DOMAIN_MODELS]

    assert len(domain_tables) == 35, sorted(domain_tables)
    assert len(model_tables) == len(set(model_tables)) == 35
    assert set(model_tables) == domain_tables


@pytest.mark.parametrize("table_name", TABLES)
def test_shop_id_is_not_null_and_cascades(table_name: str) -> None:
    table = db.metadata.tables[table_name]
    if table_name in NO_SHOP_ID:
        assert "shop_id" not in table.c
        return
    column = table.c.shop_id
    (foreign_key,) = column.foreign_keys
    assert foreign_key.column.table.name == "shops"
    if table_name in NULLABLE_SHOP_ID:
        assert column.nullable
        assert foreign_key.ondelete == NULLABLE_SHOP_ID[table_name]
    else:
        assert not column.nullable
        assert foreign_key.ondelete == "CASCADE"


def test_migrated_database_has_the_same_shop_id_rules(app_ctx) -> None:  # type: ignore[no-untyped-def]
    inspector = sa.inspect(db.engine)
    for table_name in TABLES:
        columns = {c["name"]: c for c in inspector.get_columns(table_name)}
        if table_name in NO_SHOP_ID:
            assert "shop_id" not in columns, table_name
            continue
        (foreign_key,) = [
            fk for fk in inspector.get_foreign_keys(table_name) if fk["constrained_columns"] == ["shop_id"]
        ]
        assert foreign_key["referred_table"] == "shops"
        expected = NULLABLE_SHOP_ID.get(table_name, "CASCADE")
        assert (foreign_key["options"].get("ondelete") or "").upper() == expected, table_name
        assert columns["shop_id"]["nullable"] is (table_name in NULLABLE_SHOP_ID), table_name


@pytest.mark.parametrize("table_name", TABLES)
def test_every_foreign_key_column_is_indexed(table_name: str) -> None:
    table = db.metadata.tables[table_name]
    leading = _first_columns(table)
    fk_columns = {column.name for constraint in table.foreign_key_constraints for column in constraint.columns}

    assert sorted(fk_columns - leading) == []


def test_migrated_database_indexes_every_foreign_key_column(app_ctx) -> None:  # type: ignore[no-untyped-def]
    inspector = sa.inspect(db.engine)
    unindexed = []
    for table_name in TABLES:
        leading = {ix["column_names"][0] for ix in inspector.get_indexes(table_name) if ix["column_names"]}
        leading |= {uq["column_names"][0] for uq in inspector.get_unique_constraints(table_name)}
        leading |= set(inspector.get_pk_constraint(table_name)["constrained_columns"][:1])
        for foreign_key in inspector.get_foreign_keys(table_name):
            if foreign_key["constrained_columns"][0] not in leading:
                unindexed.append(f"{table_name}.{foreign_key['constrained_columns'][0]}")

    assert unindexed == []


@pytest.mark.parametrize(
    "table_name",
    TABLES,
)
def test_constraint_and_index_names_fit_postgresql(table_name: str) -> None:
    table = db.metadata.tables[table_name]
    names = [item.name for item in [*table.constraints, *table.indexes]]

    assert all(isinstance(name, str) for name in names), names
    assert [name for name in names if len(name) > MAX_IDENTIFIER_LENGTH] == []


def test_index_and_key_names_are_unique_across_the_schema() -> None:
    # PostgreSQL keeps tables, indexes and the indexes behind keys in one namespace per schema.
    names = [
        name
        for table in db.metadata.sorted_tables
        for name in [
            table.name,
            *(index.name for index in table.indexes),
            *(c.name for c in table.constraints if isinstance(c, sa.UniqueConstraint | sa.PrimaryKeyConstraint)),
        ]
    ]

    assert sorted({name for name in names if names.count(name) > 1}) == []


def test_money_columns_are_numeric_with_cents() -> None:
    money_columns = [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Numeric) and MONEY_NAME.search(column.name)
    ]
    wrong = [
        f"{column.table.name}.{column.name} Numeric({column.type.precision}, {column.type.scale})"
        for column in money_columns
        if (column.table.name, column.name) not in NOT_MONEY
        and (column.type.scale != 2 or column.type.precision not in (12, 15))
    ]

    assert len(money_columns) > 150, "the money-name rule matched suspiciously few columns"
    assert wrong == []


def test_no_float_column_anywhere() -> None:
    floats = [
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Float) or isinstance(getattr(column.type, "impl", None), sa.Float)
    ]

    assert floats == []


def test_every_datetime_column_is_timezone_aware_utc() -> None:
    datetime_columns = [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.DateTime) or isinstance(getattr(column.type, "impl", None), sa.DateTime)
    ]
    naive = [f"{c.table.name}.{c.name}" for c in datetime_columns if not isinstance(c.type, UTCDateTime)]

    assert len(datetime_columns) >= 2 * len(db.metadata.tables)  # created_at and updated_at everywhere
    assert naive == []
    assert UTCDateTime.impl.timezone is True


def test_datetime_round_trip_keeps_the_instant_and_returns_utc(session) -> None:  # type: ignore[no-untyped-def]
    toronto_winter = timezone(timedelta(hours=-5))
    promised = datetime(2026, 12, 3, 9, 30, tzinfo=toronto_winter)
    ro = factories.RepairOrderFactory(promised_delivery_date=promised)
    session.expire_all()

    stored = session.get(RepairOrder, ro.id).promised_delivery_date

    assert stored == promised
    assert stored.utcoffset() == timedelta(0)
    assert stored.replace(tzinfo=None) == datetime(2026, 12, 3, 14, 30)


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda m: m.__name__)
def test_every_model_defines_its_own_str(model: type) -> None:
    assert "__str__" in vars(model)


@pytest.mark.parametrize(
    ("factory", "expected"),
    [
        pytest.param(factories.ShopFactory, lambda o: o.name, id="Shop"),
        pytest.param(factories.UserFactory, lambda o: o.last_name, id="User"),
        pytest.param(factories.CustomerFactory, lambda o: o.customer_number, id="Customer"),
        pytest.param(factories.VehicleFactory, lambda o: o.vin, id="Vehicle"),
        pytest.param(factories.VehicleProfileFactory, lambda o: o.vin, id="VehicleProfile"),
        pytest.param(factories.InsuranceCompanyFactory, lambda o: o.name, id="InsuranceCompany"),
        pytest.param(factories.ClaimFactory, lambda o: o.claim_number, id="Claim"),
        pytest.param(factories.RepairOrderFactory, lambda o: o.repair_order_number, id="RepairOrder"),
        pytest.param(factories.VendorFactory, lambda o: o.vendor_number, id="Vendor"),
        pytest.param(factories.PartLineFactory, lambda o: o.repair_order.repair_order_number, id="PartLine"),
        pytest.param(factories.PurchaseOrderFactory, lambda o: o.purchase_order_number, id="PurchaseOrder"),
        pytest.param(factories.ProductionStageFactory, lambda o: o.stage_code, id="ProductionStage"),
        pytest.param(
            factories.ProductionWorkflowFactory, lambda o: o.repair_order.repair_order_number, id="ProductionWorkflow"
        ),
        pytest.param(factories.EstimateFactory, lambda o: o.estimate_number, id="Estimate"),
        pytest.param(factories.EstimateLineItemFactory, lambda o: o.estimate.estimate_number, id="EstimateLineItem"),
        pytest.param(factories.LoanerVehicleFactory, lambda o: o.unit_id, id="LoanerVehicle"),
        pytest.param(factories.LoanerReservationFactory, lambda o: o.reservation_number, id="LoanerReservation"),
    ],
)
def test_str_of_a_saved_row_names_it(session, factory, expected) -> None:  # type: ignore[no-untyped-def]
    instance = factory()
    session.expire_all()

    text = str(instance)

    assert expected(instance) in text
    assert "None" not in text


_WHEN = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def _technician() -> User:
    return User(first_name="Pat", last_name="Okafor")


@pytest.mark.parametrize(
    ("model", "fields", "expected"),
    [
        (BmsImport, {"file_name": "a1b2.xml", "original_file_name": "claim-4411.xml"}, "claim-4411.xml"),
        (Job, {"job_number": "RO10452-2", "job_type": "glass"}, "RO10452-2"),
        (WorkflowStatus, {"stage": "paint_booth", "status": "in_progress"}, "paint_booth"),
        (JobStageHistory, {"from_stage": "intake", "to_stage": "blueprint", "transition_time": _WHEN}, "blueprint"),
        (LaborTimeEntry, {"technician": _technician, "labor_type": "paint", "clock_in": _WHEN}, "Pat Okafor"),
        (Attachment, {"title": "Front bumper before", "category": "before_damage"}, "Front bumper before"),
        (VehicleHistory, {"vehicle_id": 3, "service_type": "paint_work", "service_date": _WHEN}, "paint_work"),
        (Part, {"part_number": "04711-TBA-A00", "description": "Bumper cover"}, "04711-TBA-A00"),
        (PartsOrder, {"order_number": "PO-261125-001"}, "PO-261125-001"),
        (PartsOrderItem, {"line_number": 2, "description": "Clip", "part_number": "91503-SZ3"}, "91503-SZ3"),
        (Invoice, {"invoice_number": "INV-261125-001"}, "INV-261125-001"),
        (FinancialTransaction, {"transaction_number": "PAY-261125-0001", "transaction_type": "payment_received"},
         "PAY-261125-0001"),
        (CommunicationTemplate, {"template_name": "Parts arrived", "template_code": "PARTS_ARRIVAL_001"},
         "PARTS_ARRIVAL_001"),
        (CommunicationLog, {"channel": "sms", "direction": "sent", "recipient_name": "Jane Smith", "status": "sent"},
         "Jane Smith"),
        (ContactTimeline, {"communication_method": "call", "direction": "outgoing", "contact_name": "Jane Smith"},
         "Jane Smith"),
        (TechnicianPerformance, {"technician": _technician, "reporting_period": "weekly", "period_start": _WHEN},
         "Pat Okafor"),
        (SchedulingCapacity, {"schedule_date": date(2026, 11, 25), "department": "paint"}, "2026-11-25"),
        (AuditLog, {"action": "update", "table_name": "repair_order_management", "row_id": "42"},
         "repair_order_management #42"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)  # fmt: skip
def test_str_of_an_unsaved_row_names_it(model: type, fields: dict, expected: str) -> None:
    instance = model(**{name: value() if callable(value) else value for name, value in fields.items()})

    text = str(instance)

    assert expected in text
    assert "None" not in text
