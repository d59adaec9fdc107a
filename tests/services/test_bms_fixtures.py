"""Our own BMS fixtures (tests/fixtures/bms, see its README) import exactly as stated."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import ClaimManagement, Estimate, RepairOrder, VehicleProfile
from collisionos.services.bms import import_bms_file
from tests.bms_files import imports, own, row_counts
from tests.workflow import NOW, shop_with_stages, staff

D = Decimal
# file -> (status, lines, part lines, claim number, gross, deductible, net, tax)
EXPECTED = {
    "customer_pay.xml": ("imported", 9, 3, None, "1478.99", None, "1478.99", "66.41"),
    "total_loss.xml": ("imported", 5, 0, "ZZ-2026-0503-07", "1080.40", "500.00", "580.40", "38.40"),
    "cad_two_taxes.xml": ("imported", 10, 3, "ZZ-CA-2026-0588", "1768.62", "300.00", "1468.62", "115.31"),
    "included_labor.xml": ("imported", 10, 2, "ZZ-2026-0611-03", "1080.42", "250.00", "830.42", "44.07"),
    "no_namespace.xml": ("imported", 14, 3, "ZZ-2026-0422-05", "2164.85", "500.00", "1664.85", "76.50"),
    "large_300_lines.xml": ("imported", 300, 109, "ZZ-2026-0815-30", "120781.97", "1000.00", "119781.97", "5963.01"),
    "mismatched_totals.xml": ("needs_review", 12, 4, "ZZ-2026-0702-11", "2486.84", "500.00", "1986.84", "115.29"),
    "one_cent_off.xml": ("imported", 10, 3, "ZZ-2026-0703-12", "1713.79", "1000.00", "713.79", "72.90"),
}


@pytest.fixture
def shop(app_ctx):  # type: ignore[no-untyped-def]
    return shop_with_stages()


@pytest.fixture
def estimator(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "estimator")


def run(shop, user, name: str):  # type: ignore[no-untyped-def]
    return import_bms_file(shop.id, name, own(name), actor=user, now=NOW)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_imports_as_its_readme_says(shop, estimator, name: str) -> None:
    status, lines, parts, claim, gross, deductible, net, tax = EXPECTED[name]

    result = run(shop, estimator, name)

    assert (result.status, result.lines, result.claim_number) == (status, lines, claim)
    assert (result.gross_total, result.net_total) == (D(gross), D(net))
    assert result.deductible == (D(deductible) if deductible else None)
    ro = db.session.get(RepairOrder, result.repair_order_id)
    estimate = db.session.get(Estimate, ro.estimate_id)
    assert (estimate.estimate_total, estimate.tax_total, len(estimate.line_items)) == (D(gross), D(tax), lines)
    assert (ro.estimated_total, ro.total_taxes, len(ro.part_lines)) == (D(gross), D(tax), parts)
    assert (ro.claim_management_id is None) == (claim is None)


def test_customer_pay_creates_no_claim_and_the_customer_owes_it_all(shop, estimator) -> None:
    result = run(shop, estimator, "customer_pay.xml")

    ro = db.session.get(RepairOrder, result.repair_order_id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ClaimManagement)) == 0
    assert (ro.customer_portion_due, ro.insurance_portion_due) == (D("1478.99"), D("0.00"))
    assert result.as_json()["claim_number"] is None and result.as_json()["deductible"] is None
    assert "customer pay" in result.message


def test_a_customer_pay_supplement_is_found_by_its_document_id(shop, estimator) -> None:
    first = run(shop, estimator, "customer_pay.xml")
    bumper = next(
        p for p in db.session.get(RepairOrder, first.repair_order_id).part_lines if p.oem_part_number == "TO1100318"
    )
    before = row_counts()

    result = run(shop, estimator, "customer_pay_v1.xml")

    assert (result.status, result.repair_order_id, result.estimate_id) == (
        "updated",
        first.repair_order_id,
        first.estimate_id,
    )
    assert (result.gross_total, result.claim_number) == (D("1767.88"), None)
    after = row_counts()
    assert after["customers"] == before["customers"] and after["repair_order_management"] == 1
    changes = imports()[-1].parsed_data["changes"]
    assert [line["description"] for line in changes["added"]] == ["Reinforcement"]
    assert [line["description"] for line in changes["removed"]] == ["Energy Absorber"]
    assert sorted(
        (c["description"], c["fields"][0]["field"], c["fields"][0]["before"], c["fields"][0]["after"])
        for c in changes["changed"]
    ) == [
        ("Bumper Cover", "price", "289.00", "312.50"),
        ("R Quarter Panel", "hours", "2.0", "3.5"),
    ]
    ro = db.session.get(RepairOrder, result.repair_order_id)
    parts = {p.oem_part_number: p for p in ro.part_lines}
    assert parts["TO1170135"].part_status == "cancelled"  # removed before it was ordered
    assert parts["52171-06240"].part_status == "needed"
    db.session.refresh(bumper)
    assert bumper.sell_price == D("312.50")
    assert ro.estimated_total == D("1767.88")


def test_a_total_loss_orders_no_parts(shop, estimator) -> None:
    result = run(shop, estimator, "total_loss.xml")

    ro = db.session.get(RepairOrder, result.repair_order_id)
    claim = db.session.get(ClaimManagement, ro.claim_management_id)
    assert (claim.total_loss, claim.total_loss_date) == (True, NOW)
    assert db.session.get(VehicleProfile, ro.vehicle_profile_id).vehicle_status == "total_loss"
    assert db.session.get(Estimate, ro.estimate_id).damage_type == "total_loss"
    assert ro.part_lines == [] and ro.vehicle_drivable is False
    assert "Total loss" in result.message


def test_a_canadian_estimate_keeps_both_taxes_without_a_declared_gst_rate(shop, estimator) -> None:
    result = run(shop, estimator, "cad_two_taxes.xml")

    assert result.status == "imported"  # the undeclared GST rate is no reason for review
    ro = db.session.get(RepairOrder, result.repair_order_id)
    assert (ro.pst_amount, ro.gst_amount, ro.total_taxes) == (D("70.96"), D("44.35"), D("115.31"))
    estimate = db.session.get(Estimate, ro.estimate_id)
    assert estimate.tax_setup == {"rates": {"pst": "8.00"}, "amounts": {"gst": "44.35"}}
    rows = {row["label"]: row for row in imports()[0].parsed_data["totals"]}
    assert rows["GST (GS)"]["computed"] == rows["GST (GS)"]["file"] == "44.35"
    assert rows["Sales tax (LS)"]["computed"] == "70.96"


def test_included_labor_is_shown_but_not_charged(shop, estimator) -> None:
    result = run(shop, estimator, "included_labor.xml")

    estimate = db.session.get(Estimate, result.estimate_id)
    included = next(line for line in estimate.line_items if line.description == "R&I Bumper Cover")
    assert (included.labor_hours, included.total_price) == (D("0.50"), D("0.00"))
    assert estimate.labor_total == D("502.20")
    fender = next(line for line in estimate.line_items if line.description == "L Fender")
    assert (fender.type, fender.refinish_hours, fender.refinish_rate) == ("part", D("2.00"), D("62.00"))
    retainer = next(line for line in estimate.line_items if line.description == "Fender Liner Retainer")
    assert (retainer.quantity, retainer.total_price) == (D("2.00"), D("8.70"))


def test_totals_off_by_ten_dollars_need_review_with_the_difference_shown(shop, estimator) -> None:
    result = run(shop, estimator, "mismatched_totals.xml")

    record = imports()[0]
    assert (record.status, record.needs_review) == ("success", True)
    assert [(row["label"], row["difference"]) for row in record.parsed_data["differences"]] == [
        ("Gross total", "-10.00"),
        ("Net total", "-10.00"),
    ]
    assert "Needs review" in result.message
    assert "Gross total: the file says 2,496.84, the lines add up to 2,486.84 (10.00 more in the file)" in (
        result.message
    )
    assert result.repair_order is not None  # still imported: staff review it on the RO


def test_one_cent_is_not_a_disagreement(shop, estimator) -> None:
    result = run(shop, estimator, "one_cent_off.xml")

    assert result.status == "imported" and imports()[0].needs_review is False
