"""Seeders: shop defaults, the demo shop and bulk data (services/seed/)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from collisionos.domain.parts import parts_rollup
from collisionos.domain.passwords import verify_password
from collisionos.domain.settings import merged_settings
from collisionos.domain.vin import validate_vin
from collisionos.extensions import db
from collisionos.models import (
    CommunicationTemplate,
    Customer,
    Estimate,
    EstimateLineItem,
    LoanerVehicle,
    PartLine,
    ProductionStage,
    ProductionWorkflow,
    PurchaseOrder,
    RepairOrder,
    Shop,
    User,
    Vehicle,
    VehicleProfile,
    Vendor,
)
from collisionos.models.enums import PartStatus, RepairOrderStatus, Role
from collisionos.services.numbering import reserve_numbers
from collisionos.services.seed.bulk import seed_bulk
from collisionos.services.seed.defaults import DEFAULT_TEMPLATES, seed_defaults
from collisionos.services.seed.demo import seed_demo
from tests import factories

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# DOMAIN.md §4: the 18 stages in board order with their typical dependencies and ProductionStage.category.
SPEC_STAGES = (
    ("intake", (), "intake"),
    ("blueprint", ("intake",), "disassembly"),
    ("disassembly", ("blueprint",), "disassembly"),
    ("parts_hold", ("blueprint",), "repair"),
    ("frame_repair", ("disassembly",), "repair"),
    ("body_work", ("disassembly", "parts_hold", "frame_repair"), "repair"),
    ("prep_prime", ("body_work",), "paint"),
    ("paint_booth", ("prep_prime",), "paint"),
    ("paint_finish", ("paint_booth",), "paint"),
    ("denib_polish", ("paint_finish",), "paint"),
    ("mechanical_repair", ("disassembly",), "repair"),
    ("assembly", ("denib_polish", "mechanical_repair"), "reassembly"),
    ("adas_calibration", ("assembly",), "quality"),
    ("final_qc", ("assembly", "adas_calibration"), "quality"),
    ("detail_cleanup", ("final_qc",), "delivery"),
    ("pre_delivery_inspection", ("detail_cleanup",), "quality"),
    ("customer_walkthrough", ("pre_delivery_inspection",), "delivery"),
    ("delivery", ("customer_walkthrough",), "delivery"),
)
PO_NUMBER = re.compile(r"^(?P<ro>.+)-(?P<yymm>\d{4})-(?P<code>[A-Z0-9]+)-(?P<seq>\d{3})$")


SEED_ENVIRONMENT = ("OWNER_EMAIL", "OWNER_PASSWORD", "DEMO_PASSWORD", "SHOP_NAME", "SHOP_EMAIL")


@pytest.fixture(autouse=True)
def _no_seed_environment(monkeypatch):
    for name in SEED_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


def _row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def _rows(model: type) -> list[dict[str, Any]]:
    return [dict(row) for row in db.session.execute(sa.select(model.__table__)).mappings()]


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line_sum(lines: list[dict[str, Any]], *types: str) -> Decimal:
    return sum((line["total_price"] for line in lines if line["type"] in types), ZERO)


def _tax(amount: Decimal, rate: str | None) -> Decimal:
    return _cents(amount * Decimal(rate) / 100) if rate else ZERO


# ---------------------------------------------------------------- seed_defaults


def test_every_stage_code_fits_its_column():
    length = ProductionStage.__table__.c.stage_code.type.length

    assert [stage.upper() for stage, _, _ in SPEC_STAGES if len(stage) > length] == []


class TestSeedDefaults:
    """seed_defaults: what every new shop gets."""

    def test_seed_defaults_creates_the_18_stages_in_domain_order(self, session):
        report = seed_defaults(now=NOW)

        stages = session.scalars(
            sa.select(ProductionStage)
            .where(ProductionStage.shop_id == report.shop.id)
            .order_by(ProductionStage.stage_order)
        ).all()
        assert [s.stage_code for s in stages] == [stage.upper() for stage, _, _ in SPEC_STAGES]
        assert [s.stage_order for s in stages] == list(range(1, 19))
        assert [s.workflow_stage_type for s in stages] == [stage for stage, _, _ in SPEC_STAGES]
        assert [s.category for s in stages] == [category for _, _, category in SPEC_STAGES]
        assert {s.stage_code: s.prerequisites for s in stages} == {
            stage.upper(): [d.upper() for d in deps] for stage, deps, _ in SPEC_STAGES
        }

    def test_seed_defaults_lists_each_stage_as_dependent_of_its_prerequisites(self, session):
        seed_defaults(now=NOW)

        stages = session.scalars(sa.select(ProductionStage)).all()
        expected: dict[str, set[str]] = defaultdict(set)
        for stage in stages:
            for prerequisite in stage.prerequisites:
                expected[prerequisite].add(stage.stage_code)
        assert {s.stage_code: set(s.dependent_stages) for s in stages} == {
            s.stage_code: expected.get(s.stage_code, set()) for s in stages
        }

    def test_seed_defaults_creates_active_templates_and_one_owner(self, session):
        report = seed_defaults(now=NOW)

        templates = session.scalars(
            sa.select(CommunicationTemplate).where(CommunicationTemplate.shop_id == report.shop.id)
        ).all()
        assert sorted(t.template_code for t in templates) == sorted(spec["template_code"] for spec in DEFAULT_TEMPLATES)
        assert {t.status for t in templates} == {"active"}

        owners = session.scalars(sa.select(User).where(User.shop_id == report.shop.id)).all()
        assert [(u.email, u.role) for u in owners] == [(report.owner_email, Role.OWNER)]
        assert report.owner_password is not None
        assert verify_password(owners[0].password, report.owner_password)

    def test_seed_defaults_uses_the_owner_credentials_it_is_given(self, session):
        report = seed_defaults(now=NOW, owner_email="Boss@Shop.Example", owner_password="a-long-owner-password")

        owner = session.scalar(sa.select(User).where(User.shop_id == report.shop.id))
        assert owner.email == "boss@shop.example"
        assert verify_password(owner.password, "a-long-owner-password")
        assert report.owner_password is None  # not generated: nothing to print

    def test_seed_defaults_twice_changes_nothing(self, session):
        seed_defaults(now=NOW)
        before = _row_counts()

        again = seed_defaults(now=NOW + timedelta(days=1))

        assert _row_counts() == before
        assert before["production_stages"] == 18
        assert before["users"] == 1
        assert not any(again.created.values())
        assert again.owner_email is None

    def test_seed_defaults_fills_in_only_the_missing_stage(self, session):
        report = seed_defaults(now=NOW)
        session.execute(sa.delete(ProductionStage).where(ProductionStage.stage_code == "FINAL_QC"))
        session.commit()

        again = seed_defaults(now=NOW, shop_id=report.shop.id)

        assert again.created["production_stages"] == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(ProductionStage)) == 18


def test_seed_defaults_for_an_unknown_shop_is_refused(session):
    with pytest.raises(LookupError, match="no shop with id 999"):
        seed_defaults(now=NOW, shop_id=999)


# ---------------------------------------------------------------- seed_demo


@dataclass
class DemoData:
    first_created: bool
    second_created: bool
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]
    foreign_key_violations: list[tuple]
    logins: list[tuple[str, str, str]]
    password: str
    shops: list[dict[str, Any]]
    users: list[dict[str, Any]]
    repair_orders: list[dict[str, Any]]
    estimates: dict[int, dict[str, Any]]
    estimate_lines: dict[int, list[dict[str, Any]]]
    part_lines: dict[int, list[dict[str, Any]]]
    production_rows: list[dict[str, Any]]
    stages: dict[int, dict[str, Any]]
    customers: dict[int, dict[str, Any]]
    purchase_orders: list[dict[str, Any]]
    vendors: dict[int, dict[str, Any]]
    vins: list[str]


@pytest.fixture(scope="module")
def demo(app) -> DemoData:
    """Seed the demo twice, once for the whole module, and keep what the tests look at as plain rows.

    The database is emptied after each test, so the rows are read here, before any test runs.
    """
    with pytest.MonkeyPatch.context() as patch, app.app_context():
        for name in SEED_ENVIRONMENT:
            patch.delenv(name, raising=False)
        first = seed_demo(now=NOW)
        counts_after_first = _row_counts()
        second = seed_demo(now=NOW + timedelta(hours=2))
        counts_after_second = _row_counts()
        violations: list[tuple] = []
        if db.engine.dialect.name == "sqlite":
            violations = [tuple(r) for r in db.session.execute(sa.text("PRAGMA foreign_key_check"))]
        lines_by_estimate: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in _rows(EstimateLineItem):
            lines_by_estimate[line["estimate_id"]].append(line)
        parts_by_ro: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in _rows(PartLine):
            parts_by_ro[line["repair_order_id"]].append(line)
        data = DemoData(
            first_created=first.created,
            second_created=second.created,
            counts_after_first=counts_after_first,
            counts_after_second=counts_after_second,
            foreign_key_violations=violations,
            logins=list(first.logins),
            password=first.password,
            shops=_rows(Shop),
            users=_rows(User),
            repair_orders=_rows(RepairOrder),
            estimates={row["id"]: row for row in _rows(Estimate)},
            estimate_lines=dict(lines_by_estimate),
            part_lines=dict(parts_by_ro),
            production_rows=_rows(ProductionWorkflow),
            stages={row["id"]: row for row in _rows(ProductionStage)},
            customers={row["id"]: row for row in _rows(Customer)},
            purchase_orders=_rows(PurchaseOrder),
            vendors={row["id"]: row for row in _rows(Vendor)},
            vins=[row["vin"] for model in (Vehicle, VehicleProfile, LoanerVehicle) for row in _rows(model)],
        )
        db.session.remove()
    return data


def _main_shop(demo: DemoData) -> dict[str, Any]:
    return min(demo.shops, key=lambda s: s["id"])


class TestSeedDemo:
    """seed_demo, seeded once for the module (see the ``demo`` fixture)."""

    def test_seed_demo_twice_changes_nothing(self, demo):
        assert demo.first_created is True
        assert demo.second_created is False
        assert demo.counts_after_second == demo.counts_after_first
        assert demo.counts_after_first["repair_order_management"] > 0
        assert demo.counts_after_first["purchase_order_system"] > 0

    def test_demo_shop_has_repair_orders_in_every_status(self, demo):
        main = _main_shop(demo)

        statuses = {ro["ro_status"] for ro in demo.repair_orders if ro["shop_id"] == main["id"]}

        assert statuses == set(RepairOrderStatus)

    def test_demo_has_part_lines_in_every_status(self, demo):
        statuses = {line["part_status"] for lines in demo.part_lines.values() for line in lines}

        assert statuses == set(PartStatus)

    def test_demo_has_users_of_every_role_and_prints_their_logins(self, demo):
        assert {u["role"] for u in demo.users} == set(Role)
        emails = {u["email"] for u in demo.users}
        assert {email for email, _, _ in demo.logins} <= emails
        assert {role for _, role, _ in demo.logins} == set(Role)

    def test_demo_logins_work_with_the_printed_password(self, demo):
        by_email = {u["email"]: u for u in demo.users}
        one_per_shop = {shop_name: email for email, _, shop_name in demo.logins}

        assert len(one_per_shop) == 3  # both shops and the platform admin
        for email in one_per_shop.values():
            assert verify_password(by_email[email]["password"], demo.password), email

    def test_demo_has_a_second_shop_with_its_own_repair_orders(self, demo):
        assert len(demo.shops) == 2
        main = _main_shop(demo)
        second = next(s for s in demo.shops if s["id"] != main["id"])

        second_ros = [ro for ro in demo.repair_orders if ro["shop_id"] == second["id"]]

        assert second_ros
        assert all(demo.customers[ro["customer_id"]]["shop_id"] == second["id"] for ro in second_ros)
        assert {u["shop_id"] for u in demo.users if u["email"].endswith("@riverside.example")} == {second["id"]}

    def test_demo_rows_never_point_into_another_shop(self, demo):
        for ro in demo.repair_orders:
            assert demo.customers[ro["customer_id"]]["shop_id"] == ro["shop_id"]
            assert demo.estimates[ro["estimate_id"]]["shop_id"] == ro["shop_id"]
            assert all(line["shop_id"] == ro["shop_id"] for line in demo.part_lines.get(ro["id"], []))

    def test_demo_foreign_keys_are_valid(self, demo):
        assert demo.foreign_key_violations == []
        ros = {ro["id"]: ro for ro in demo.repair_orders}
        for row in demo.production_rows:
            ro = ros[row["repair_order_id"]]
            stage = demo.stages[row["production_stage_id"]]
            assert row["shop_id"] == ro["shop_id"] == stage["shop_id"]
            assert row["stage_type"] == stage["workflow_stage_type"]

    def test_every_demo_repair_order_has_one_production_row_per_stage(self, demo):
        rows_per_ro: dict[int, list[str]] = defaultdict(list)
        for row in demo.production_rows:
            rows_per_ro[row["repair_order_id"]].append(row["stage_type"])

        assert set(rows_per_ro) == {ro["id"] for ro in demo.repair_orders}
        assert all(sorted(types) == sorted(stage for stage, _, _ in SPEC_STAGES) for types in rows_per_ro.values())

    def test_demo_repair_order_costs_are_the_sums_of_its_estimate_lines(self, demo):
        for ro in demo.repair_orders:
            assert ro["estimate_id"] is not None, ro["repair_order_number"]
            lines = demo.estimate_lines[ro["estimate_id"]]

            assert (ro["parts_cost"], ro["labor_cost"], ro["materials_cost"], ro["sublet_cost"]) == (
                _line_sum(lines, "part"),
                _line_sum(lines, "labor"),
                _line_sum(lines, "paint", "material"),
                _line_sum(lines, "sublet"),
            ), ro["repair_order_number"]

    def test_demo_estimate_total_is_the_sum_of_its_category_totals(self, demo):
        for estimate in demo.estimates.values():
            lines = demo.estimate_lines[estimate["id"]]
            assert (estimate["parts_total"], estimate["labor_total"], estimate["sublet_total"]) == (
                _line_sum(lines, "part"),
                _line_sum(lines, "labor"),
                _line_sum(lines, "sublet"),
            ), estimate["estimate_number"]
            assert estimate["estimate_total"] == (
                estimate["parts_total"]
                + estimate["labor_total"]
                + estimate["paint_total"]
                + estimate["sublet_total"]
                + estimate["material_total"]
                + estimate["other_total"]
                + estimate["tax_total"]
            ), estimate["estimate_number"]

    def test_demo_taxes_are_rounded_per_category_at_the_shop_rates(self, demo):
        shops = {s["id"]: s for s in demo.shops}
        category = {
            "part": "parts",
            "labor": "labor",
            "paint": "materials",
            "material": "materials",
            "sublet": "sublet",
        }
        for ro in demo.repair_orders:
            rates = merged_settings(shops[ro["shop_id"]]["settings"])["taxes"]
            taxable: dict[str, Decimal] = defaultdict(lambda: ZERO)
            for line in demo.estimate_lines[ro["estimate_id"]]:
                if line["taxable"]:
                    taxable[category[line["type"]]] += line["total_price"]

            for tax_type in ("gst", "pst", "hst"):
                expected = sum((_tax(amount, rates.get(tax_type)) for amount in taxable.values()), ZERO)
                assert ro[f"{tax_type}_amount"] == expected, (ro["repair_order_number"], tax_type)
            assert ro["total_taxes"] == ro["gst_amount"] + ro["pst_amount"] + ro["hst_amount"]

    def test_demo_repair_order_totals_and_payer_split_add_up(self, demo):
        approved_seen = 0
        for ro in demo.repair_orders:
            number = ro["repair_order_number"]
            expected_total = (
                ro["parts_cost"]
                + ro["labor_cost"]
                + ro["materials_cost"]
                + ro["sublet_cost"]
                + ro["internal_storage_charges"]
                + ro["total_taxes"]
            )
            assert ro["estimated_total"] == expected_total, number
            assert demo.estimates[ro["estimate_id"]]["estimate_total"] == ro["estimated_total"], number
            if ro["date_estimate_approved"] is not None:
                approved_seen += 1
                assert ro["approved_total"] == ro["estimated_total"], number
            assert ro["insurance_portion_due"] + ro["customer_portion_due"] == ro["approved_total"], number
            if ro["claim_management_id"] is None:
                assert ro["insurance_portion_due"] == ZERO, number
        assert approved_seen > 0

    def test_demo_repair_order_parts_counters_match_its_part_lines(self, demo):
        for ro in demo.repair_orders:
            lines = demo.part_lines.get(ro["id"], [])
            rollup = parts_rollup((line["part_status"], line["estimated_delivery_date"]) for line in lines)

            assert (
                ro["parts_ordered_count"],
                ro["parts_received_count"],
                ro["parts_pending_count"],
                ro["parts_backordered_count"],
                ro["all_parts_received"],
                ro["next_part_expected_date"],
            ) == (
                rollup.parts_ordered_count,
                rollup.parts_received_count,
                rollup.parts_pending_count,
                rollup.parts_backordered_count,
                rollup.all_parts_received,
                rollup.next_part_expected_date,
            ), ro["repair_order_number"]

    def test_demo_part_lines_match_their_estimate_part_lines(self, demo):
        for ro in demo.repair_orders:
            estimate_parts = [ln for ln in demo.estimate_lines[ro["estimate_id"]] if ln["type"] == "part"]
            part_lines = demo.part_lines.get(ro["id"], [])
            assert len(part_lines) == len(estimate_parts), ro["repair_order_number"]
            parts_cost = sum((_cents(pl["list_price"] * pl["quantity_ordered"]) for pl in part_lines), ZERO)
            assert parts_cost == ro["parts_cost"], ro["repair_order_number"]

    def test_every_demo_vin_is_valid(self, demo):
        assert demo.vins
        for vin in demo.vins:
            assert validate_vin(vin) == vin

    def test_demo_po_numbers_follow_the_ro_yymm_vendor_sequence_format(self, demo):
        ros = {ro["id"]: ro for ro in demo.repair_orders}
        shops = {s["id"]: s for s in demo.shops}
        for po in demo.purchase_orders:
            match = PO_NUMBER.match(po["purchase_order_number"])
            assert match, po["purchase_order_number"]
            ro = ros[po["repair_order_id"]]
            local_month = po["po_date"].astimezone(ZoneInfo(shops[po["shop_id"]]["timezone"])).strftime("%y%m")
            assert match["ro"] == po["ro_number"] == ro["repair_order_number"]
            assert match["yymm"] == po["year_month"] == local_month
            assert match["code"] == po["vendor_code"] == demo.vendors[po["vendor_id"]]["vendor_code"]
            assert int(match["seq"]) == po["sequence_number"] >= 1

    def test_demo_po_numbers_are_unique_within_each_shop(self, demo):
        # Both demo shops number their ROs from RO10001, so the same PO number may exist once per shop.
        numbers = [(po["shop_id"], po["purchase_order_number"]) for po in demo.purchase_orders]

        assert numbers
        assert len(numbers) == len(set(numbers))

    def test_demo_ordered_part_lines_belong_to_a_po_of_their_vendor(self, demo):
        purchase_orders = {po["id"]: po for po in demo.purchase_orders}
        for lines in demo.part_lines.values():
            for line in lines:
                if line["order_date"] is None:
                    continue
                po = purchase_orders[line["purchase_order_id"]]
                assert po["vendor_id"] == line["vendor_id"]
                assert po["repair_order_id"] == line["repair_order_id"]
                assert line["purchase_order_number"] == po["purchase_order_number"]


# ---------------------------------------------------------------- seed_bulk


def test_seed_bulk_without_a_shop_says_to_seed_defaults_first(session):
    with pytest.raises(LookupError, match="flask seed defaults"):
        seed_bulk(count=1, shop_id=None, now=NOW)


class TestSeedBulk:
    """seed_bulk: Core inserts with pre-assigned ids."""

    def test_seed_bulk_inserts_50_consistent_repair_orders(self, session):
        shop_id = seed_defaults(now=NOW).shop.id

        inserted = seed_bulk(count=50, shop_id=shop_id, now=NOW)

        assert inserted["repair_order_management"] == 50
        assert inserted["production_workflow"] == 50 * 18
        ros = _rows(RepairOrder)
        assert len(ros) == 50
        assert len({ro["repair_order_number"] for ro in ros}) == 50
        parts_by_ro: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for line in _rows(PartLine):
            parts_by_ro[line["repair_order_id"]].append(line)
        production_by_ro: dict[int, int] = defaultdict(int)
        for row in _rows(ProductionWorkflow):
            production_by_ro[row["repair_order_id"]] += 1
        assert inserted["advanced_parts_management"] == sum(len(lines) for lines in parts_by_ro.values())

        for ro in ros:
            number = ro["repair_order_number"]
            lines = parts_by_ro[ro["id"]]
            assert 8 <= len(lines) <= 12, number
            assert production_by_ro[ro["id"]] == 18, number
            parts_cost = sum((_cents(pl["list_price"] * pl["quantity_ordered"]) for pl in lines), ZERO)
            assert ro["parts_cost"] == parts_cost, number
            assert ro["estimated_total"] == (
                ro["parts_cost"] + ro["labor_cost"] + ro["materials_cost"] + ro["sublet_cost"] + ro["total_taxes"]
            ), number
            if ro["date_estimate_approved"] is not None:
                assert ro["approved_total"] == ro["estimated_total"], number
            assert ro["insurance_portion_due"] + ro["customer_portion_due"] == ro["approved_total"], number
            rollup = parts_rollup((pl["part_status"], pl["estimated_delivery_date"]) for pl in lines)
            assert (ro["parts_pending_count"], ro["all_parts_received"]) == (
                rollup.parts_pending_count,
                rollup.all_parts_received,
            ), number

    def test_ids_and_numbers_continue_after_seed_bulk(self, session):
        shop_id = seed_defaults(now=NOW).shop.id
        first_customer_number = reserve_numbers(shop_id, "customer")
        session.commit()
        seed_bulk(count=50, shop_id=shop_id, now=NOW)
        last_ro_id = session.scalar(sa.select(sa.func.max(RepairOrder.id)))
        last_customer_id = session.scalar(sa.select(sa.func.max(Customer.id)))

        # The bulk rows carry ids chosen by the seeder; ORM inserts afterwards must not collide with them.
        line = factories.PartLineFactory()
        claim = factories.ClaimFactory()
        factories.ProductionWorkflowFactory(repair_order=line.repair_order)

        assert line.repair_order.id > last_ro_id
        assert claim.customer.id > last_customer_id
        assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 50 + 2
        assert reserve_numbers(shop_id, "customer") == first_customer_number + 50 + 1

    def test_seed_bulk_for_a_shop_without_users_is_refused(self, session, shop):
        with pytest.raises(LookupError, match="has no users"):
            seed_bulk(count=1, shop_id=shop.id, now=NOW)
