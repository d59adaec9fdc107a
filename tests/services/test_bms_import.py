"""Importing BMS estimate files (issue 6): the shared fixtures, supplements, re-imports and bad files."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import (
    BmsImport,
    ClaimManagement,
    Customer,
    Estimate,
    EstimateLineItem,
    PartLine,
    RepairOrder,
    VehicleProfile,
)
from collisionos.services.bms import import_bms_file, import_bms_files
from tests.bms_files import imports, row_counts, shared
from tests.workflow import NOW, shop_with_stages, staff

V0 = "example_front_end_v0.xml"
V1 = "example_front_end_v1_supplement.xml"
BAD = ("bad_truncated.xml", "bad_xxe.xml", "bad_entity_expansion.xml", "bad_wrong_root.xml")


@pytest.fixture
def shop(app_ctx):  # type: ignore[no-untyped-def]
    return shop_with_stages()


@pytest.fixture
def estimator(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "estimator", first_name="Sam", last_name="Appraiser")


def run(shop, user, name: str, data: bytes | None = None):  # type: ignore[no-untyped-def]
    return import_bms_file(shop.id, name, shared(name) if data is None else data, actor=user, now=NOW)


def ro_of(result) -> RepairOrder:  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(RepairOrder, result.repair_order_id)


def test_the_first_estimate_sets_up_the_whole_job(shop, estimator) -> None:
    result = run(shop, estimator, V0)

    assert (result.status, result.lines, result.version) == ("imported", 14, 0)
    assert (result.gross_total, result.net_total, result.deductible) == (
        Decimal("2164.85"),
        Decimal("1664.85"),
        Decimal("500.00"),
    )
    ro = ro_of(result)
    assert ro.ro_status == "estimate_pending"
    assert ro.assigned_estimator == estimator.id  # "SAM APPRAISER" in the file is this user
    assert ro.vehicle_drivable is True
    assert ro.requires_adas_calibration is True  # "Front Camera Calibration (ADAS)" is on the estimate
    customer = db.session.get(Customer, ro.customer_id)
    assert (customer.first_name, customer.last_name, customer.mobile, customer.email) == (
        "Jordan",
        "Example",
        "541-555-0142",
        "jordan.example@example.com",
    )
    assert (customer.address, customer.city, customer.state, customer.zip_code) == (
        "100 SAMPLE ST",
        "SPRINGFIELD",
        "OR",
        "97477",
    )
    vehicle = db.session.get(VehicleProfile, ro.vehicle_profile_id)
    assert (vehicle.vin, vehicle.year, vehicle.make, vehicle.model, vehicle.trim) == (
        "1HGCM82633A004352",
        2003,
        "Honda",
        "Accord",
        "EX",
    )
    assert (vehicle.license_plate, vehicle.plate_province, vehicle.paint_code, vehicle.current_odometer) == (
        "EXM4521",
        "OR",
        "NH623M",
        148213,
    )
    claim = db.session.get(ClaimManagement, ro.claim_management_id)
    assert (claim.claim_number, claim.policy_number, claim.deductible_amount) == (
        "ZZ-2026-0417-01",
        "PX-5550142",
        Decimal("500.00"),
    )
    assert (claim.point_of_impact, claim.total_loss, claim.insurance_company.name) == (
        "12",
        False,
        "Example Mutual Insurance",
    )
    assert claim.date_of_loss.isoformat() == "2026-04-14T16:30:00+00:00"


def test_the_estimate_and_its_totals_are_exact_to_the_cent(shop, estimator) -> None:
    ro = ro_of(run(shop, estimator, V0))
    estimate = db.session.get(Estimate, ro.estimate_id)

    assert (estimate.labor_total, estimate.parts_total, estimate.sublet_total) == (
        Decimal("781.20"),
        Decimal("646.40"),
        Decimal("379.95"),
    )
    assert (estimate.paint_total, estimate.material_total, estimate.tax_total) == (
        Decimal("250.80"),
        Decimal("30.00"),
        Decimal("76.50"),
    )
    assert (estimate.estimate_total, estimate.deductible, estimate.claim_number) == (
        Decimal("2164.85"),
        Decimal("500.00"),
        "ZZ-2026-0417-01",
    )
    # The RO's money follows the file's 8.25 % sales tax, not the shop's own tax setup.
    assert (ro.estimated_total, ro.total_taxes, ro.pst_amount, ro.hst_amount) == (
        Decimal("2164.85"),
        Decimal("76.50"),
        Decimal("76.50"),
        Decimal("0.00"),
    )
    assert (ro.insurance_portion_due, ro.customer_portion_due) == (Decimal("1664.85"), Decimal("500.00"))
    lines = {line.line_number: line for line in estimate.line_items}
    assert len(lines) == 14
    bumper = lines[1]
    assert (bumper.type, bumper.part_number, bumper.part_type, bumper.cieca_part_type) == (
        "part",
        "71101-TBA-A00",
        "OEM",
        "PAN",
    )
    assert (bumper.total_price, bumper.labor_hours, bumper.labor_rate, bumper.cieca_labor_type) == (
        Decimal("412.50"),
        Decimal("2.20"),
        Decimal("62.00"),
        "LAB",
    )
    refinish = lines[2]
    assert (refinish.type, refinish.is_refinish, refinish.labor_type, refinish.total_price) == (
        "labor",
        True,
        "paint",
        Decimal("173.60"),
    )
    assert (lines[10].type, lines[10].is_sublet, lines[10].total_price) == ("sublet", True, Decimal("129.95"))
    assert (lines[12].type, lines[12].total_price, lines[13].type) == ("paint", Decimal("250.80"), "material")


def test_the_three_parts_become_part_lines_to_source(shop, estimator) -> None:
    ro = ro_of(run(shop, estimator, V0))

    parts = sorted(ro.part_lines, key=lambda line: line.line_number)
    assert [(p.oem_part_number, p.sell_price, p.brand_type, p.part_status) for p in parts] == [
        ("71101-TBA-A00", Decimal("412.50"), "oem", "needed"),
        ("HO1070178", Decimal("48.90"), "aftermarket", "needed"),
        ("LKQ-33150-TBA", Decimal("185.00"), "recycled", "needed"),
    ]
    assert [p.part_description for p in parts] == ["Bumper Cover", "Energy Absorber", "L Headlamp Assy"]
    assert ro.parts_pending_count == 3 and not ro.all_parts_received


def test_the_import_record_says_what_happened(shop, estimator) -> None:
    result = run(shop, estimator, V0)

    [record] = imports()
    assert (record.status, record.needs_review, record.document_id, record.document_version) == (
        "success",
        False,
        "ZZ-2026-0417-01",
        0,
    )
    assert (record.bms_provider, record.bms_version, record.file_name) == ("Mitchell", "5.2.22", V0)
    assert record.estimate_id == result.estimate_id and record.created_by == estimator.id
    data = record.parsed_data
    assert (data["status"], data["repair_order"], data["changes"], data["differences"]) == (
        "imported",
        result.repair_order,
        None,
        [],
    )
    gross = next(row for row in data["totals"] if row["label"] == "Gross total")
    assert gross == {"label": "Gross total", "computed": "2164.85", "file": "2164.85", "difference": "0.00"}
    assert result.message.startswith(f"{V0}: imported on {result.repair_order} (claim ZZ-2026-0417-01)")


def test_the_supplement_updates_the_same_records_and_keeps_the_earlier_version(shop, estimator) -> None:
    first = run(shop, estimator, V0)
    before = row_counts()

    result = run(shop, estimator, V1)

    assert (result.status, result.lines, result.version) == ("updated", 16, 1)
    assert (result.gross_total, result.net_total) == (Decimal("2612.71"), Decimal("2112.71"))
    assert (result.repair_order_id, result.estimate_id) == (first.repair_order_id, first.estimate_id)
    after = row_counts()
    for table in (
        "customers",
        "vehicles",
        "vehicle_profiles",
        "claim_management",
        "repair_order_management",
        "estimates",
        "insurance_companies",
    ):
        assert after[table] == before[table], table
    assert after["estimate_line_items"] == before["estimate_line_items"] + 2
    assert after["advanced_parts_management"] == before["advanced_parts_management"] + 1  # the reinforcement
    ro = ro_of(result)
    estimate = db.session.get(Estimate, ro.estimate_id)
    assert (estimate.estimate_total, ro.estimated_total, ro.insurance_portion_due) == (
        Decimal("2612.71"),
        Decimal("2612.71"),
        Decimal("2112.71"),
    )
    assert [entry["version"] for entry in estimate.version_history] == [0, 1]
    assert estimate.version_history[0]["gross"] == "2164.85" and estimate.version_history[0]["lines"] == 14
    assert estimate.version_history[1]["changes"] == {"added": 2, "removed": 0, "changed": 1}
    assert [entry["import_id"] for entry in estimate.version_history] == [record.id for record in imports()]
    assert (estimate.supplement_count, estimate.revision_count) == (1, 1)


def test_the_supplement_shows_what_changed_line_by_line(shop, estimator) -> None:
    run(shop, estimator, V0)
    result = run(shop, estimator, V1)

    changes = imports()[-1].parsed_data["changes"]
    assert [(line["line"], line["description"]) for line in changes["added"]] == [
        (12, "R Fender"),
        (13, "Bumper Reinforcement"),
    ]
    assert changes["removed"] == []
    assert changes["changed"] == [
        {
            "line": 14,
            "description": "Paint/Materials",
            "fields": [{"field": "price", "before": "250.80", "after": "296.40"}],
        }
    ]
    assert "2 lines added, 0 removed, 1 changed; gross 2,164.85 -> 2,612.71" in result.message
    estimate = db.session.get(Estimate, result.estimate_id)
    added = [line for line in estimate.line_items if not line.included_in_original]
    assert sorted((line.line_number, line.supplement_number, line.status) for line in added) == [
        (12, 1, "pending"),
        (13, 1, "pending"),
    ]
    materials = next(line for line in estimate.line_items if line.description == "Paint/Materials")
    assert (materials.line_number, materials.total_price, materials.included_in_original) == (
        14,
        Decimal("296.40"),
        True,
    )


def test_re_importing_the_same_file_changes_nothing(shop, estimator) -> None:
    run(shop, estimator, V0)
    run(shop, estimator, V1)
    before = row_counts()
    estimate_before = db.session.scalar(sa.select(Estimate))
    totals_before = (estimate_before.estimate_total, len(estimate_before.version_history))

    result = run(shop, estimator, V1)

    assert result.status == "updated" and "nothing changed" in result.message
    assert row_counts() == before
    estimate = db.session.scalar(sa.select(Estimate))
    assert (estimate.estimate_total, len(estimate.version_history)) == totals_before
    assert result.gross_total == Decimal("2612.71")
    assert len(imports()) == 2 and result.import_id == imports()[-1].id  # no new import record either


def test_an_older_version_after_a_newer_one_is_refused(shop, estimator) -> None:
    run(shop, estimator, V0)
    run(shop, estimator, V1)
    before = row_counts()

    result = run(shop, estimator, V0)

    assert result.status == "failed"
    assert "version 0, older than version 1" in result.message and result.message.startswith(V0)
    assert row_counts() == before
    assert db.session.scalar(sa.select(Estimate)).estimate_total == Decimal("2612.71")


@pytest.mark.parametrize("name", BAD)
def test_a_bad_file_writes_nothing_but_its_failed_record(shop, estimator, name: str) -> None:
    before = row_counts()

    result = run(shop, estimator, name)

    assert result.status == "failed" and result.message.startswith(f"{name}: ")
    assert row_counts() == before
    [record] = imports()
    assert (record.status, record.file_name, record.estimate_id) == ("failed", name, None)
    assert record.error_log == {"message": result.message}


def test_file_content_never_reaches_a_message(shop, estimator) -> None:
    result = run(shop, estimator, "bad_xxe.xml")

    assert "refused for safety" in result.message
    assert "root:" not in result.message and "/etc/passwd" not in result.message
    record = imports()[0]
    assert "root:" not in str(record.parsed_data) + str(record.error_log) + str(record.validation_errors)


def test_the_bad_files_reasons(shop, estimator) -> None:
    results = {name: run(shop, estimator, name) for name in BAD}

    assert "not well-formed XML" in results["bad_truncated.xml"].message
    assert "line" in results["bad_truncated.xml"].message
    assert "not a CIECA BMS estimate" in results["bad_wrong_root.xml"].message
    assert "refused for safety" in results["bad_entity_expansion.xml"].message


def test_one_bad_file_does_not_stop_the_others(shop, estimator) -> None:
    names = ["bad_truncated.xml", V0, "bad_xxe.xml", V1]

    results = import_bms_files(shop.id, [(name, shared(name)) for name in names], actor=estimator, now=NOW)

    assert [r.status for r in results] == ["failed", "imported", "failed", "updated"]
    assert [record.status for record in imports()] == ["failed", "success", "failed", "success"]


def test_an_oversize_file_is_refused_before_it_is_read(app, shop, estimator) -> None:
    limit = app.config["BMS_MAX_BYTES"]
    app.config["BMS_MAX_BYTES"] = 1000
    try:
        result = run(shop, estimator, V0)
    finally:
        app.config["BMS_MAX_BYTES"] = limit

    assert result.status == "failed" and "larger than" in result.message
    assert row_counts()["repair_order_management"] == 0


def test_a_folder_in_the_file_name_is_dropped(shop, estimator) -> None:
    result = import_bms_file(shop.id, "C:\\exports\\ccc/" + V0, shared(V0), actor=estimator, now=NOW)

    assert result.file == V0 and imports()[0].file_name == V0


def test_an_invalid_vin_fails_with_its_reason(shop, estimator) -> None:
    data = shared(V0).replace(b"1HGCM82633A004352", b"1HGCM82633A004353")

    result = run(shop, estimator, V0, data)

    assert result.status == "failed" and "check digit" in result.message
    assert row_counts()["repair_order_management"] == 0


def test_each_shop_gets_its_own_records(shop, estimator) -> None:
    other = shop_with_stages()
    other_estimator = staff(other, "estimator")

    mine, theirs = run(shop, estimator, V0), run(other, other_estimator, V0)

    assert mine.status == theirs.status == "imported"
    assert mine.repair_order_id != theirs.repair_order_id
    assert db.session.get(RepairOrder, theirs.repair_order_id).shop_id == other.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 2


def test_an_existing_customer_is_matched_by_name_and_phone(shop, estimator) -> None:
    known = Customer(
        shop_id=shop.id, customer_number="C-1", first_name="Jordan", last_name="Example", phone="(541) 555-0142"
    )
    namesake = Customer(
        shop_id=shop.id, customer_number="C-2", first_name="Jordan", last_name="Example", phone="905-555-0100"
    )
    db.session.add_all([known, namesake])
    db.session.commit()

    ro = ro_of(run(shop, estimator, V0))

    assert ro.customer_id == known.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 2


def test_an_ro_opened_at_the_counter_gets_the_estimate_by_claim_number(shop, estimator) -> None:
    from tests.workflow import open_ro

    ro = open_ro(shop, estimator, vin="1HGCM82633A004352", claim=True)
    claim = db.session.get(ClaimManagement, ro.claim_management_id)
    claim.claim_number = "ZZ-2026-0417-01"
    db.session.commit()

    result = run(shop, estimator, V0)

    assert (result.status, result.repair_order_id, result.estimate_id) == ("imported", ro.id, ro.estimate_id)
    assert ro_of(result).ro_status == "estimate_pending"
    assert len(ro_of(result).part_lines) == 3


def test_a_claim_whose_ro_has_another_vehicle_is_refused(shop, estimator) -> None:
    from tests.workflow import open_ro

    ro = open_ro(shop, estimator, claim=True)
    db.session.get(ClaimManagement, ro.claim_management_id).claim_number = "ZZ-2026-0417-01"
    db.session.commit()
    before = row_counts()

    result = run(shop, estimator, V0)

    assert result.status == "failed" and "VIN differs" in result.message
    assert row_counts() == before


def test_a_supplement_to_an_approved_estimate_waits_for_the_insurer(shop, estimator) -> None:
    from collisionos.services.claims import decide_supplement
    from collisionos.services.repair_orders import transition_repair_order

    manager = staff(shop, "manager")
    first = run(shop, estimator, V0)
    transition_repair_order(shop.id, first.repair_order_id, "estimate_approved", actor=manager, now=NOW)
    approved_total = ro_of(first).approved_total

    result = run(shop, estimator, V1)

    ro = ro_of(result)
    assert (result.status, ro.ro_status, ro.supplements_pending) == ("updated", "supplement_pending", True)
    waiting = db.session.scalars(
        sa.select(EstimateLineItem).where(
            EstimateLineItem.estimate_id == ro.estimate_id, EstimateLineItem.status == "supplement"
        )
    ).all()
    assert sorted(line.description for line in waiting) == ["Bumper Reinforcement", "R Fender"]
    assert {line.supplement_number for line in waiting} == {1}
    assert len(ro.part_lines) == 3  # the reinforcement is sourced once the insurer approves it
    assert "waits for the insurer's decision" in result.message

    decide_supplement(
        shop.id, ro.id, supplement_number=1, approved_line_ids=[line.id for line in waiting], actor=manager, now=NOW
    )

    ro = ro_of(result)
    assert ro.ro_status == "supplement_approved" and len(ro.part_lines) == 4
    assert ro.approved_total > approved_total


def test_a_removed_line_cancels_its_part_or_flags_a_bought_one_for_return(shop, estimator) -> None:
    first = run(shop, estimator, V0)
    ro = ro_of(first)
    bumper = next(p for p in ro.part_lines if p.oem_part_number == "71101-TBA-A00")
    bumper.part_status = "received"
    db.session.commit()
    text = shared(V1).decode()
    start = text.index("<DamageLineInfo>")
    absorber_start = text.index("<DamageLineInfo>", text.index("<LineNum>3</LineNum>") - 60)
    lamp_end = text.index("</DamageLineInfo>", text.index("<LineNum>4</LineNum>")) + len("</DamageLineInfo>")
    # v1 without the bumper cover (line 1, bought) and without the absorber and the lamp (lines 3-4, not bought).
    bumper_end = text.index("</DamageLineInfo>", start) + len("</DamageLineInfo>")
    edited = text[:start] + text[bumper_end:absorber_start] + text[lamp_end:]

    result = run(shop, estimator, V1, edited.encode())

    assert result.status == "needs_review"  # the file's totals still count the removed lines
    changes = imports()[-1].parsed_data["changes"]
    assert sorted(line["description"] for line in changes["removed"]) == [
        "Bumper Cover",
        "Energy Absorber",
        "L Headlamp Assy",
    ]
    parts = {p.oem_part_number: p for p in ro_of(result).part_lines}
    assert (parts["71101-TBA-A00"].part_status, parts["71101-TBA-A00"].return_reason) == ("received", "not_needed")
    assert parts["HO1070178"].part_status == "cancelled"
    assert parts["LKQ-33150-TBA"].part_status == "cancelled"
    assert "flagged for return" in result.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PartLine)) == 4  # nothing deleted


def test_a_failed_import_leaves_the_earlier_version_whole(shop, estimator) -> None:
    run(shop, estimator, V0)
    before = row_counts()
    data = shared(V1).replace(b"<PartPrice>236.40</PartPrice>", b"<PartPrice>abc</PartPrice>")

    result = run(shop, estimator, V1, data)

    assert result.status == "failed" and "line 13" in result.message
    assert row_counts() == before
    assert len(db.session.scalar(sa.select(Estimate)).version_history) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BmsImport)) == 2


def test_a_file_in_the_wrong_encoding_fails_with_its_reason(shop, estimator) -> None:
    data = shared(V0).replace(b"<LastName>EXAMPLE</LastName>", "<LastName>BÉLANGER</LastName>".encode("latin-1"))

    result = run(shop, estimator, V0, data)

    assert result.status == "failed" and "encoding" in result.message
    assert row_counts()["customers"] == 0


def test_a_json_line_has_exactly_the_documented_keys(shop, estimator) -> None:
    line = run(shop, estimator, V0).as_json()

    assert line == {
        "file": V0,
        "status": "imported",
        "repair_order": line["repair_order"],
        "claim_number": "ZZ-2026-0417-01",
        "vin": "1HGCM82633A004352",
        "lines": 14,
        "gross_total": "2164.85",
        "net_total": "1664.85",
        "deductible": "500.00",
        "version": 0,
        "message": line["message"],
    }
    assert line["repair_order"].startswith("RO")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (b"<Rate>62.00</Rate>", b"<Rate>-62.00</Rate>", "a rate in the estimate profile is negative"),
        (
            b"<Percentage>8.25</Percentage>",
            b"<Percentage>825</Percentage>",
            "a tax rate in the estimate is out of range",
        ),
        (b"<Quantity>1</Quantity>", b"<Quantity>-1</Quantity>", "the quantity is negative"),
        (b"<DeductibleAmt>500.00</DeductibleAmt>", b"<DeductibleAmt>-500.00</DeductibleAmt>", "deductible is negative"),
        (b"<ModelYear>2003</ModelYear>", b"<ModelYear>3003</ModelYear>", "model year is not a real one"),
        (b"<PartPrice>412.50</PartPrice>", b"<PartPrice>99999999999999</PartPrice>", "part price is out of range"),
        (b"<Price>129.95</Price>", b"<Price>-500.00</Price>", "sublet total comes out negative"),
        (b"<Quantity>1</Quantity>", b"<Quantity>99999</Quantity>", "beyond any repair"),
    ],
)
def test_values_no_estimate_can_have_are_refused(shop, estimator, old: bytes, new: bytes, reason: str) -> None:
    data = shared(V0).replace(old, new, 1)
    if b"99999<" in new:  # a quantity that large needs a price to match
        data = data.replace(b"<PartPrice>412.50</PartPrice>", b"<PartPrice>999999.00</PartPrice>", 1)

    result = run(shop, estimator, V0, data)

    assert result.status == "failed" and reason in result.message, result.message
    assert row_counts()["repair_order_management"] == 0


def test_mangled_files_fail_with_a_reason_never_an_unexpected_error(shop, estimator) -> None:
    import random
    import re

    from collisionos.services.bms import UNEXPECTED

    rng = random.Random(2026)
    values = ["", "-1", "0", "99999999999999", "1e5", "abc", "N/A", "2026-13-45", "éè", "12.345", "Y", "X" * 300]
    sources = [shared(V0).decode(), shared(V1).decode()]
    for attempt in range(60):
        text = rng.choice(sources)
        for _ in range(rng.randint(1, 4)):
            leaves = list(re.finditer(r"<(\w+)>([^<]*)</\1>", text))
            leaf = rng.choice(leaves)
            if rng.random() < 0.7:
                text = text[: leaf.start(2)] + rng.choice(values) + text[leaf.end(2) :]
            else:
                text = text[: leaf.start()] + text[leaf.end() :]
        result = run(shop, estimator, f"mangled-{attempt}.xml", text.encode())
        assert UNEXPECTED not in result.message, text
