"""The safe CIECA BMS parser: the shared fixtures, hostile files and the variations real exports show."""

from __future__ import annotations

import re
import time
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from collisionos.domain.bms import BmsEstimate, BmsRejected, parse_bms
from collisionos.domain.bms.model import LABOR, MATERIAL, OTHER, PAINT_MATERIALS, PART, REFINISH, SUBLET, Party
from collisionos.domain.bms.parser import MAX_DAMAGE_LINES

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "bms"
BMS_NAMESPACE = "http://www.cieca.com/BMS"


def _fixture(name: str) -> bytes:
    """Return the bytes of a shared BMS fixture; a missing fixture fails the test rather than skipping it."""
    path = FIXTURES / name
    assert path.is_file(), f"shared fixture not found: {path}"
    return path.read_bytes()


def _estimate(body: str, *, xmlns: str | None = BMS_NAMESPACE, encoding: str = "UTF-8") -> bytes:
    """Build a small estimate document around ``body``."""
    namespace = f' xmlns="{xmlns}"' if xmlns else ""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f"<VehicleDamageEstimateAddRq{namespace}>{body}</VehicleDamageEstimateAddRq>"
    ).encode(encoding)


def _line(inner: str) -> str:
    return f"<DamageLineInfo>{inner}</DamageLineInfo>"


def _only_line(inner: str):
    (line,) = parse_bms(_estimate(_line(inner))).lines
    return line


def _totals(inner: str):
    return parse_bms(_estimate(f"<RepairTotalsInfo>{inner}</RepairTotalsInfo>")).totals


def _rejected(data: bytes, **kwargs) -> BmsRejected:
    with pytest.raises(BmsRejected) as caught:
        parse_bms(data, **kwargs)
    return caught.value


def _without_declaration(data: bytes) -> bytes:
    return re.sub(rb"^<\?xml[^>]*\?>", b"", data.lstrip())


# The shared fixtures, checked against their README and against what the XML itself holds.


@pytest.fixture(scope="module")
def v0() -> BmsEstimate:
    return parse_bms(_fixture("example_front_end_v0.xml"))


@pytest.fixture(scope="module")
def v1() -> BmsEstimate:
    return parse_bms(_fixture("example_front_end_v1_supplement.xml"))


def test_v0_document_facts(v0):
    assert v0.document_id == "ZZ-2026-0417-01-V0"
    assert v0.version == 0
    assert v0.provider == "Mitchell"
    assert v0.bms_version == "5.2.22"
    assert v0.created_at == datetime(2026, 4, 17, 17, 15, tzinfo=UTC)
    assert v0.currency == "USD"


def test_v0_parties(v0):
    expected_person = Party(
        first_name="Jordan",
        last_name="Example",
        address1="100 SAMPLE ST",
        city="SPRINGFIELD",
        state="OR",
        postal_code="97477",
        phones={"CP": "541-555-0142"},
        email="jordan.example@example.com",
    )
    assert v0.owner == expected_person
    assert v0.policyholder == expected_person
    assert v0.insurer_name == "Example Mutual Insurance"
    assert v0.estimator is not None and v0.estimator.display_name == "Sam Appraiser"
    assert v0.adjuster is None


def test_v0_claim_and_vehicle(v0):
    claim = v0.claim
    assert claim.claim_number == "ZZ-2026-0417-01"
    assert not v0.is_customer_pay
    assert claim.policy_number == "PX-5550142"
    assert claim.deductible == Decimal("500.00")
    assert claim.deductible_status == "D2"
    assert claim.loss_date == datetime(2026, 4, 14, 16, 30, tzinfo=UTC)
    assert claim.point_of_impact == "12"
    assert claim.damage_memo == "FRONT END"
    assert claim.total_loss is False
    vehicle = v0.vehicle
    assert vehicle.vin == "1HGCM82633A004352"
    assert (vehicle.year, vehicle.make, vehicle.model, vehicle.trim) == (2003, "Honda", "Accord", "EX")
    assert vehicle.body_style == "PC"
    assert (vehicle.license_plate, vehicle.plate_state) == ("EXM4521", "OR")
    assert (vehicle.paint_code, vehicle.color) == ("NH623M", "Satin Silver Metallic")
    assert vehicle.odometer == 148213
    assert vehicle.drivable is True


def test_v0_rates(v0):
    assert v0.rates.labor == {
        "LAB": Decimal("62.00"),
        "LAR": Decimal("62.00"),
        "LAS": Decimal("62.00"),
        "LAM": Decimal("95.00"),
        "LAF": Decimal("75.00"),
    }
    assert v0.rates.paint_materials == Decimal("38.00")
    assert v0.rates.taxes == {"LS": Decimal("8.25")}


def test_v0_lines(v0):
    assert [line.line_number for line in v0.lines] == list(range(1, 15))
    assert [line.sequence for line in v0.lines] == list(range(1, 15))
    parts = [line for line in v0.lines if line.kind == PART]
    assert [(p.part_type, p.part_number, p.part_price, p.quantity, p.part_taxable) for p in parts] == [
        ("PAN", "71101-TBA-A00", Decimal("412.50"), Decimal(1), True),
        ("PAA", "HO1070178", Decimal("48.90"), Decimal(1), True),
        ("PAL", "LKQ-33150-TBA", Decimal("185.00"), Decimal(1), True),
    ]
    bumper = v0.lines[0]
    assert (bumper.header, bumper.description) == ("Front Bumper", "Bumper Cover")
    assert (bumper.labor_type, bumper.labor_operation, bumper.labor_hours) == ("LAB", "OP11", Decimal("2.2"))
    assert bumper.labor_taxable is False and bumper.refinish_hours is None
    bumper_refinish = v0.lines[1]
    assert bumper_refinish.kind == REFINISH
    assert (bumper_refinish.labor_type, bumper_refinish.labor_hours) == ("LAR", Decimal("2.8"))
    assert [line.kind for line in v0.lines] == [
        PART, REFINISH, PART, PART, LABOR, REFINISH, REFINISH, LABOR, LABOR,
        SUBLET, SUBLET, PAINT_MATERIALS, MATERIAL, MATERIAL,
    ]  # fmt: skip
    assert v0.lines[11].header == "Additional Costs & Materials"
    assert (v0.lines[11].other_charge_type, v0.lines[11].other_price, v0.lines[11].other_taxable) == (
        "MAPA",
        Decimal("250.80"),
        True,
    )


def test_v0_file_totals(v0):
    totals = v0.totals
    assert totals.labor == Decimal("781.20")
    assert totals.parts == Decimal("646.40")
    assert totals.sublet == Decimal("379.95")
    assert totals.materials == Decimal("280.80")
    assert totals.other is None
    assert totals.tax == Decimal("76.50")
    assert totals.tax_by_category == {
        "labor": Decimal("0.00"),
        "parts": Decimal("53.33"),
        "materials": Decimal("23.17"),
    }
    assert totals.tax_by_type == {}
    assert totals.gross == Decimal("2164.85")
    assert totals.net == Decimal("1664.85")
    assert totals.deductible == Decimal("500.00")
    assert totals.labor_by_type == {"LAB": Decimal("310.00"), "LAR": Decimal("409.20"), "LAS": Decimal("62.00")}
    assert totals.labor_hours_by_type == {"LAB": Decimal("5.0"), "LAR": Decimal("6.6"), "LAS": Decimal("1.0")}


def test_v0_lines_add_up_to_the_files_own_totals(v0):
    def hours(labor_type):
        return sum(line.labor_hours for line in v0.lines if line.labor_type == labor_type)

    assert {kind: hours(kind) for kind in ("LAB", "LAR", "LAS")} == v0.totals.labor_hours_by_type
    assert sum(line.part_price * line.quantity for line in v0.lines if line.kind == PART) == v0.totals.parts
    assert sum(line.other_price for line in v0.lines if line.kind == SUBLET) == v0.totals.sublet
    materials = sum(line.other_price for line in v0.lines if line.kind in (PAINT_MATERIALS, MATERIAL))
    assert materials == v0.totals.materials
    # README: paint materials = refinish hours x the MAPA rate.
    assert v0.lines[11].other_price == hours("LAR") * v0.rates.paint_materials


def test_v1_supplement(v0, v1):
    assert v1.version == 1
    assert v1.document_id == "ZZ-2026-0417-01-V1"
    assert len(v1.lines) == 16
    assert [line.line_number for line in v1.lines] == list(range(1, 17))
    assert v1.totals.gross == Decimal("2612.71")
    assert v1.totals.net == Decimal("2112.71")
    assert v1.totals.deductible == Decimal("500.00")
    assert (v1.claim, v1.vehicle, v1.owner) == (v0.claim, v0.vehicle, v0.owner)
    added = {line.key for line in v1.lines} - {line.key for line in v0.lines}
    assert added == {("FENDER", "R FENDER", "LAR"), ("FRONT BUMPER", "BUMPER REINFORCEMENT", "PAN")}
    reinforcement = next(line for line in v1.lines if line.description == "Bumper Reinforcement")
    assert (reinforcement.part_number, reinforcement.part_price) == ("71130-TBA-A00", Decimal("236.40"))
    assert reinforcement.labor_hours == Decimal("1.1")
    assert sum(line.part_price for line in v1.lines if line.kind == PART) == v1.totals.parts


# Hostile and broken files.


def test_truncated_file_names_the_position():
    error = _rejected(_fixture("bad_truncated.xml"))
    assert error.rule == "bms_malformed"
    assert str(error).startswith("the file is not well-formed XML (no element found at line 111, column ")


def test_external_entity_is_refused_without_leaking_the_file():
    error = _rejected(_fixture("bad_xxe.xml"))
    assert error.rule == "bms_dtd"
    message = str(error)
    assert "root:" not in message
    assert "passwd" not in message and "secret" not in message
    passwd = Path("/etc/passwd")
    for line in passwd.read_text().splitlines() if passwd.exists() else []:
        if line.strip():
            assert line not in message


def test_entity_expansion_is_refused_fast_with_little_memory():
    data = _fixture("bad_entity_expansion.xml")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = _rejected(data)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.rule == "bms_dtd"
    assert elapsed < 1.0
    assert peak < 10 * 1024 * 1024
    assert "lol" not in str(error)


def test_wrong_root_is_refused_without_naming_it():
    error = _rejected(_fixture("bad_wrong_root.xml"))
    assert error.rule == "bms_wrong_root"
    assert str(error) == "not a CIECA BMS estimate (expected a VehicleDamageEstimateAddRq document)"
    assert "PurchaseOrder" not in str(error) and "not-bms" not in str(error)


@pytest.mark.parametrize(
    "doctype",
    [
        "<!DOCTYPE VehicleDamageEstimateAddRq>",
        '<!DOCTYPE VehicleDamageEstimateAddRq SYSTEM "http://example.invalid/bms.dtd">',
        '<!DOCTYPE VehicleDamageEstimateAddRq [<!ENTITY % remote SYSTEM "file:///etc/hostname"> %remote;]>',
    ],
)
def test_any_dtd_is_refused(doctype):
    data = f'<?xml version="1.0"?>{doctype}<VehicleDamageEstimateAddRq/>'.encode()
    assert _rejected(data).rule == "bms_dtd"


def test_mismatched_tag_is_malformed():
    error = _rejected(_estimate("<ClaimInfo><ClaimNum>1</ClaimInfo></ClaimNum>"))
    assert error.rule == "bms_malformed"
    assert "mismatched tag at line 2, column" in str(error)


def test_an_invalid_character_in_good_utf8_is_malformed_not_an_encoding_problem():
    error = _rejected(_estimate("<RefClaimNum>A\x01B</RefClaimNum>"))
    assert error.rule == "bms_malformed"
    assert "invalid token" in str(error) and "encoding" not in str(error)


def test_latin1_bytes_declared_as_utf8_are_an_encoding_problem():
    data = '<?xml version="1.0" encoding="UTF-8"?><VehicleDamageEstimateAddRq><RefClaimNum>Andr\u00e9</RefClaimNum>'
    data = (data + "</VehicleDamageEstimateAddRq>").encode("latin-1")
    error = _rejected(data)
    assert error.rule == "bms_encoding"
    assert "encoding may be wrong" in str(error) and "line 1, column" in str(error)
    assert "Andr" not in str(error)


def test_latin1_declared_as_latin1_is_read():
    estimate = parse_bms(_estimate("<RefClaimNum>Andr\u00e9-1</RefClaimNum>", encoding="ISO-8859-1"))
    assert estimate.claim.claim_number == "Andr\u00e9-1"


def test_utf16_with_a_byte_order_mark_is_read():
    data = "<VehicleDamageEstimateAddRq><RefClaimNum>C-16</RefClaimNum></VehicleDamageEstimateAddRq>".encode("utf-16")
    assert parse_bms(data).claim.claim_number == "C-16"


def test_a_declaration_that_contradicts_the_bytes_is_an_encoding_problem():
    data = _estimate("<RefClaimNum>1</RefClaimNum>").replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    assert _rejected(data).rule == "bms_encoding"


@pytest.mark.parametrize("encoding", ["X-NOT-A-CHARSET", "Shift_JIS"])
def test_an_unusable_declared_encoding_is_refused_without_naming_it(encoding):
    data = _estimate("<RefClaimNum>1</RefClaimNum>").replace(b'encoding="UTF-8"', f'encoding="{encoding}"'.encode())
    error = _rejected(data)
    assert error.rule == "bms_encoding"
    assert encoding.lower() not in str(error).lower()


def test_oversize_file_is_refused_before_parsing():
    data = _estimate("<RefClaimNum>1</RefClaimNum>")
    assert parse_bms(data, max_bytes=len(data)).claim.claim_number == "1"
    error = _rejected(data, max_bytes=len(data) - 1)
    assert error.rule == "bms_too_large"
    assert str(error) == f"the file is larger than the {len(data) - 1} bytes limit"
    error = _rejected(b"<" * (2048 + 1), max_bytes=2048)
    assert str(error) == "the file is larger than the 2 KB limit"


def test_default_limit_is_five_megabytes():
    error = _rejected(b" " * (5 * 1024 * 1024 + 1))
    assert error.rule == "bms_too_large"
    assert str(error) == "the file is larger than the 5 MB limit"


@pytest.mark.parametrize("data", [b"", b"  \r\n\t "])
def test_empty_file(data):
    error = _rejected(data)
    assert (error.rule, str(error)) == ("bms_empty", "the file is empty")


def test_an_estimate_without_lines_or_totals_is_accepted():
    estimate = parse_bms(_estimate("<RefClaimNum>EMPTY-1</RefClaimNum>"))
    assert estimate.lines == ()
    assert estimate.owner == Party()
    assert estimate.policyholder is None and estimate.estimator is None
    assert estimate.version == 0 and estimate.provider is None
    assert estimate.totals.gross is None and estimate.totals.tax is None and estimate.totals.labor_by_type == {}


def test_too_many_damage_lines_are_refused():
    assert len(parse_bms(_estimate(_line("") * MAX_DAMAGE_LINES)).lines) == MAX_DAMAGE_LINES
    error = _rejected(_estimate(_line("") * (MAX_DAMAGE_LINES + 1)))
    assert error.rule == "bms_too_many_lines"


# Layout variations: namespace or none, wrappers, unknown elements.


def test_no_namespace_reads_the_same(v0):
    data = _fixture("example_front_end_v0.xml").replace(f' xmlns="{BMS_NAMESPACE}"'.encode(), b"")
    assert b"xmlns" not in data
    assert parse_bms(data) == v0


def test_prefixed_namespace_reads_the_same(v0):
    data = _fixture("example_front_end_v0.xml").replace(f' xmlns="{BMS_NAMESPACE}"'.encode(), b"")
    data = re.sub(rb"<(/?)([A-Za-z])", rb"<\1ns0:\2", _without_declaration(data))
    data = data.replace(
        b"<ns0:VehicleDamageEstimateAddRq>", f'<ns0:VehicleDamageEstimateAddRq xmlns:ns0="{BMS_NAMESPACE}">'.encode()
    )
    assert b"<ns0:DamageLineInfo>" in data
    assert parse_bms(data) == v0


def test_another_default_namespace_reads_the_same(v0):
    data = _fixture("example_front_end_v0.xml").replace(BMS_NAMESPACE.encode(), b"urn:vendor:bms:5.2")
    assert parse_bms(data) == v0


@pytest.mark.parametrize("wrapper", ["CIECA", "BMS"])
def test_wrapper_root_reads_the_same(v0, wrapper):
    inner = _without_declaration(_fixture("example_front_end_v0.xml"))
    data = f"<{wrapper}>".encode() + inner + f"</{wrapper}>".encode()
    assert parse_bms(data) == v0


def test_wrapper_without_an_estimate_is_the_wrong_root():
    assert _rejected(b"<CIECA><PurchaseOrder/></CIECA>").rule == "bms_wrong_root"


def test_unknown_elements_are_ignored(v0):
    noise = b"<VendorExtension><Note>ignored</Note><LineNum>99</LineNum></VendorExtension>"
    data = _fixture("example_front_end_v0.xml")
    for anchor in (b"<DocumentInfo>", b"<DamageLineInfo>", b"<PartInfo>", b"<RepairTotalsInfo>", b"<Party>"):
        data = data.replace(anchor, anchor + noise)
    assert data.count(b"VendorExtension>") > 40
    assert parse_bms(data) == v0


# Claim, parties, vehicle.


@pytest.mark.parametrize("claim_number", ["", "   ", "N/A", "n/a", " NA ", "None"])
def test_missing_claim_number_means_customer_pay(claim_number):
    estimate = parse_bms(_estimate(f"<ClaimInfo><ClaimNum>{claim_number}</ClaimNum></ClaimInfo>"))
    assert estimate.claim.claim_number is None
    assert estimate.is_customer_pay


def test_claim_number_falls_back_to_ref_claim_num():
    estimate = parse_bms(_estimate("<RefClaimNum> ZZ-9 </RefClaimNum><ClaimInfo><ClaimNum/></ClaimInfo>"))
    assert estimate.claim.claim_number == "ZZ-9"
    assert parse_bms(_estimate("")).is_customer_pay


@pytest.mark.parametrize(("flag", "expected"), [("Y", True), ("1", True), ("true", True), ("N", False), ("", False)])
def test_total_loss_flag(flag, expected):
    body = f"<ClaimInfo><LossInfo><TotalLossInd>{flag}</TotalLossInd></LossInfo></ClaimInfo>"
    assert parse_bms(_estimate(body)).claim.total_loss is expected


def test_dates_become_aware_utc():
    body = (
        "<DocumentInfo><CreateDateTime>2026-04-17T10:15:00</CreateDateTime></DocumentInfo>"
        "<ClaimInfo><LossInfo><Facts><LossDateTime>2026-04-14</LossDateTime></Facts></LossInfo></ClaimInfo>"
    )
    estimate = parse_bms(_estimate(body))
    assert estimate.created_at == datetime(2026, 4, 17, 10, 15, tzinfo=UTC)
    assert estimate.claim.loss_date == datetime(2026, 4, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        ("<VendorCode>C</VendorCode>", "CCC"),
        ("<VendorCode>A</VendorCode>", "Audatex"),
        ("<VendorCode>Q</VendorCode>", "Q"),
        ("", "Example Estimating Suite"),
    ],
)
def test_provider(vendor, expected):
    body = (
        f"<DocumentInfo>{vendor}</DocumentInfo>"
        "<ApplicationInfo><ApplicationName>Example Estimating Suite</ApplicationName></ApplicationInfo>"
    )
    assert parse_bms(_estimate(body)).provider == expected


def _person(first: str, last: str, extra: str = "") -> str:
    return (
        f"<Party><PersonInfo><PersonName><FirstName>{first}</FirstName><LastName>{last}</LastName></PersonName>"
        f"</PersonInfo>{extra}</Party>"
    )


def test_all_caps_names_are_title_cased_and_others_kept():
    body = (
        f"<AdminInfo><Owner>{_person('MARY-JANE', 'MCDONALD')}</Owner>"
        f"<Estimator>{_person('Ann', 'de la Cruz')}</Estimator>"
        "<InsuranceCompany><Party><OrgInfo><CompanyName>ABC MUTUAL</CompanyName></OrgInfo></Party></InsuranceCompany>"
        "</AdminInfo>"
    )
    estimate = parse_bms(_estimate(body))
    assert (estimate.owner.first_name, estimate.owner.last_name) == ("Mary-Jane", "Mcdonald")
    assert (estimate.estimator.first_name, estimate.estimator.last_name) == ("Ann", "de la Cruz")
    assert estimate.insurer_name == "ABC MUTUAL"


def test_owner_falls_back_to_policyholder_and_adjuster_to_claim_rep():
    contacts = (
        "<ContactInfo>"
        "<Communications><CommQualifier>HP</CommQualifier><CommPhone>555-0101</CommPhone></Communications>"
        "<Communications><CommQualifier>HP</CommQualifier><CommPhone>555-0102</CommPhone></Communications>"
        "<Communications><CommQualifier>WP</CommQualifier><CommPhone>555-0103</CommPhone></Communications>"
        "<Communications><CommEmail>first@example.com</CommEmail></Communications>"
        "<Communications><CommEmail>second@example.com</CommEmail></Communications>"
        "</ContactInfo>"
    )
    company = (
        "<Party><OrgInfo><CompanyName>Fleet Co</CompanyName><Communications><Address>"
        "<Address1>1 Depot Rd</Address1><Address2>Unit 4</Address2><City>Surrey</City>"
        "<StateProvince>BC</StateProvince><PostalCode>V3T 1A1</PostalCode><CountryCode>CA</CountryCode>"
        "</Address></Communications></OrgInfo></Party>"
    )
    body = (
        f"<AdminInfo><PolicyHolder>{_person('Lee', 'Park', contacts)}</PolicyHolder>"
        f"<ClaimRep>{company}</ClaimRep></AdminInfo>"
    )
    estimate = parse_bms(_estimate(body))
    assert estimate.owner == estimate.policyholder
    assert estimate.owner.phones == {"HP": "555-0101", "WP": "555-0103"}
    assert estimate.owner.email == "first@example.com"
    adjuster = estimate.adjuster
    assert adjuster.display_name == "Fleet Co"
    assert (adjuster.address1, adjuster.address2, adjuster.city) == ("1 Depot Rd", "Unit 4", "Surrey")
    assert (adjuster.state, adjuster.postal_code, adjuster.country) == ("BC", "V3T 1A1", "CA")


def test_vehicle_fallbacks_and_cleanup():
    body = (
        "<VehicleInfo><VINInfo><VIN><VINNum> 1hgcm82633a004352 </VINNum></VIN></VINInfo>"
        "<License><LicensePlateNum>abc 123</LicensePlateNum></License>"
        "<VehicleDesc><MakeCode>HOND</MakeCode><BodyStyle>4D SED</BodyStyle><VehicleType>PC</VehicleType>"
        "<OdometerInfo><OdometerReading>148,213</OdometerReading></OdometerInfo></VehicleDesc>"
        "<Paint><Exterior><Color><ColorCode>NH623M</ColorCode></Color></Exterior></Paint>"
        "<Condition><DrivableInd>N</DrivableInd></Condition></VehicleInfo>"
    )
    vehicle = parse_bms(_estimate(body)).vehicle
    assert vehicle.vin == "1HGCM82633A004352"
    assert vehicle.license_plate == "ABC 123"
    assert (vehicle.make, vehicle.body_style, vehicle.paint_code) == ("HOND", "4D SED", "NH623M")
    assert vehicle.odometer == 148213
    assert vehicle.drivable is False
    assert parse_bms(_estimate("<VehicleInfo/>")).vehicle.drivable is None


# Damage lines.


def test_included_labor():
    line = _only_line(
        "<LineNum>4</LineNum><LineDesc>Radiator Support</LineDesc><LaborInfo><LaborType>LAB</LaborType>"
        "<LaborHours>0.5</LaborHours><LaborInclInd>Y</LaborInclInd></LaborInfo>"
    )
    assert (line.kind, line.labor_hours, line.labor_included) == (LABOR, Decimal("0.5"), True)


@pytest.mark.parametrize(
    "refinish",
    [
        "<RefinishLaborInfo><LaborHours>2.0</LaborHours><LaborInclInd>1</LaborInclInd></RefinishLaborInfo>",
        "<LaborInfo><LaborType>LAR</LaborType><LaborHours>2.0</LaborHours><LaborInclInd>1</LaborInclInd></LaborInfo>",
    ],
)
def test_refinish_beside_other_labor(refinish):
    # The refinish entry comes first on purpose: the body labor must still be the line's labor.
    line = _only_line(
        f"<LineNum>5</LineNum><LineDesc>Hood</LineDesc>{refinish}"
        "<LaborInfo><LaborType>LAB</LaborType><LaborOperation>OP9</LaborOperation><LaborHours>1.5</LaborHours>"
        "</LaborInfo>"
    )
    assert line.kind == LABOR
    assert (line.labor_type, line.labor_operation, line.labor_hours) == ("LAB", "OP9", Decimal("1.5"))
    assert (line.refinish_hours, line.refinish_included) == (Decimal("2.0"), True)


def test_refinish_labor_alone_is_a_refinish_line():
    line = _only_line("<RefinishLaborInfo><LaborHours>1.2</LaborHours></RefinishLaborInfo>")
    assert (line.kind, line.labor_type, line.labor_hours, line.refinish_hours) == (
        REFINISH,
        "LAR",
        Decimal("1.2"),
        None,
    )


def test_part_with_labor_and_quantity():
    line = _only_line(
        "<LineNum>3</LineNum><LineHeaderDesc>Front Door</LineHeaderDesc>"
        "<PartInfo><PartType>PAM</PartType><PartDesc>Mirror clip</PartDesc><OEMPartNum>76210-X</OEMPartNum>"
        "<ActualPrice>12.345</ActualPrice><Quantity>2</Quantity><TaxableInd>0</TaxableInd></PartInfo>"
        "<LaborInfo><LaborType>LAB</LaborType><LaborHours>0.3</LaborHours><LaborAmt>18.6</LaborAmt>"
        "<TaxableInd>Y</TaxableInd></LaborInfo>"
    )
    assert line.kind == PART
    assert line.description == "Mirror clip"
    assert (line.part_type, line.part_number, line.part_price) == ("PAM", "76210-X", Decimal("12.35"))
    assert line.quantity == Decimal(2)
    assert line.part_taxable is False
    assert (line.labor_hours, line.labor_amount, line.labor_taxable) == (Decimal("0.3"), Decimal("18.60"), True)


@pytest.mark.parametrize(
    ("inner", "kind"),
    [
        ("<PartInfo><PartType>PASL</PartType><PartPrice>80</PartPrice></PartInfo>", SUBLET),
        ("<PartInfo><PartNum>NO-PRICE-1</PartNum></PartInfo>", PART),
        ("<OtherChargesInfo><OtherChargesType>OTTW</OtherChargesType><Price>95</Price></OtherChargesInfo>", OTHER),
        ("<OtherChargesInfo><OtherChargesType>OTSL</OtherChargesType><Price>95</Price></OtherChargesInfo>", SUBLET),
        ("<MaterialType>MAPA</MaterialType><OtherChargesInfo><Price>10</Price></OtherChargesInfo>", PAINT_MATERIALS),
        ("<OtherChargesInfo><OtherChargesType>MAXX</OtherChargesType><Price>3</Price></OtherChargesInfo>", MATERIAL),
        ("<LaborInfo><LaborType>LAM</LaborType><LaborAmt>40</LaborAmt></LaborInfo>", LABOR),
        ("<LaborInfo><LaborType>LAB</LaborType></LaborInfo>", OTHER),
        ("<LineDesc>Note: check for hidden damage</LineDesc>", OTHER),
    ],
)
def test_line_kind(inner, kind):
    assert _only_line(inner).kind == kind


def test_a_line_with_nothing_priced_has_no_amounts():
    line = _only_line("<LineDesc>Note: check for hidden damage</LineDesc>")
    assert (line.part_price, line.labor_hours, line.other_price, line.refinish_hours) == (None, None, None, None)
    assert line.quantity == Decimal(1)


def test_credits_are_kept_negative():
    line = _only_line(
        "<LineDesc>Betterment</LineDesc><OtherChargesInfo><OtherChargesType>OTBT</OtherChargesType>"
        "<Price>-25.005</Price></OtherChargesInfo>"
    )
    assert line.other_price == Decimal("-25.01")  # half-up, away from zero


def test_missing_line_numbers_and_descriptions_use_the_position():
    estimate = parse_bms(_estimate(_line("<LineDesc>A</LineDesc>") + _line("<LineHeaderDesc>Roof</LineHeaderDesc>")))
    assert [(line.line_number, line.description, line.sequence) for line in estimate.lines] == [
        (1, "A", None),
        (2, "Line 2", None),
    ]


# Values that cannot be read refuse the file, naming the line and field but never the value.


@pytest.mark.parametrize(
    ("inner", "message"),
    [
        ("<PartInfo><PartPrice>12,5x</PartPrice></PartInfo>", "the part price is not a number"),
        ("<PartInfo><PartPrice>1</PartPrice><Quantity>two</Quantity></PartInfo>", "the quantity is not a number"),
        ("<LaborInfo><LaborHours>1..2</LaborHours></LaborInfo>", "the labor time is not a number"),
        ("<LaborInfo><LaborHours>-0.5</LaborHours></LaborInfo>", "the labor time is negative"),
        ("<LaborInfo><LaborAmt>ten</LaborAmt></LaborInfo>", "the labor amount is not a number"),
        ("<LaborInfo><LaborType>LAB</LaborType><LaborHours>1</LaborHours></LaborInfo>"
         "<RefinishLaborInfo><LaborHours>-2</LaborHours></RefinishLaborInfo>", "the refinish time is negative"),
        ("<OtherChargesInfo><Price>NaN</Price></OtherChargesInfo>", "the charge price is not a number"),
        ("<UniqueSequenceNum>7b</UniqueSequenceNum>", "the sequence number is not a number"),
    ],
)  # fmt: skip
def test_unreadable_line_value_names_the_line_and_field(inner, message):
    error = _rejected(_estimate(_line("<LineNum>1</LineNum>") + _line(f"<LineNum>7</LineNum>{inner}")))
    assert (error.rule, str(error)) == ("bms_bad_value", f"line 7: {message}")


def test_unreadable_line_number_names_the_position():
    error = _rejected(_estimate(_line("<LineNum>1</LineNum>") + _line("<LineNum>abc</LineNum>")))
    assert (error.rule, str(error)) == (
        "bms_bad_value",
        "the damage line at position 2: the line number is not a number",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<DocumentInfo><DocumentVer><DocumentVerNum>v2</DocumentVerNum></DocumentVer></DocumentInfo>",
         "the estimate version is not a number"),
        ("<DocumentInfo><CreateDateTime>yesterday</CreateDateTime></DocumentInfo>",
         "the estimate's creation date is not a date"),
        ("<ClaimInfo><LossInfo><Facts><LossDateTime>2026-13-45</LossDateTime></Facts></LossInfo></ClaimInfo>",
         "the loss date is not a date"),
        ("<ClaimInfo><PolicyInfo><CoverageInfo><Coverage><DeductibleInfo><DeductibleAmt>$500</DeductibleAmt>"
         "</DeductibleInfo></Coverage></CoverageInfo></PolicyInfo></ClaimInfo>", "the deductible is not a number"),
        ("<VehicleInfo><VehicleDesc><ModelYear>O3</ModelYear></VehicleDesc></VehicleInfo>",
         "the vehicle's model year is not a number"),
        ("<RepairTotalsInfo><PartsTotalsInfo><TotalType>PA</TotalType><TotalAmt>1 000</TotalAmt></PartsTotalsInfo>"
         "</RepairTotalsInfo>", "the file's totals are not numbers"),
        ("<RepairTotalsInfo><SummaryTotalsInfo><TotalSubType>CE</TotalSubType><TotalAmt>12e3</TotalAmt>"
         "</SummaryTotalsInfo></RepairTotalsInfo>", "the file's totals are not numbers"),
    ],
)  # fmt: skip
def test_unreadable_document_value(body, message):
    error = _rejected(_estimate(body))
    assert (error.rule, str(error)) == ("bms_bad_value", message)


# File totals.


def test_cad_estimate_with_two_tax_types():
    body = (
        "<DocumentInfo><CurrencyInfo><CurCode>CAD</CurCode></CurrencyInfo></DocumentInfo>"
        "<ProfileInfo><RateInfo><RateType>PA</RateType>"
        "<TaxInfo><TaxType>GS</TaxType><TaxTierInfo><Percentage>5.0</Percentage></TaxTierInfo></TaxInfo>"
        "<TaxInfo><TaxType>LS</TaxType><TaxTierInfo><Percentage>7</Percentage></TaxTierInfo></TaxInfo></RateInfo>"
        "<RateInfo><RateType>LAB</RateType><RateTierInfo><Rate>95</Rate></RateTierInfo>"
        "<TaxInfo><TaxType>GS</TaxType><TaxTierInfo><Percentage>5.0</Percentage></TaxTierInfo></TaxInfo></RateInfo>"
        "</ProfileInfo>"
        "<RepairTotalsInfo>"
        "<LaborTotalsInfo><TotalType>LA</TotalType><TotalAmt>210.00</TotalAmt><TaxTotalAmt>10.00</TaxTotalAmt>"
        "<TotalTaxInfo><TaxType>GS</TaxType><TaxAmt>10.00</TaxAmt></TotalTaxInfo></LaborTotalsInfo>"
        "<PartsTotalsInfo><TotalType>PA</TotalType><TotalAmt>112.00</TotalAmt><TaxTotalAmt>12.00</TaxTotalAmt>"
        "<TotalTaxInfo><TaxType>GS</TaxType><TaxAmt>5.00</TaxAmt></TotalTaxInfo>"
        "<TotalTaxInfo><TaxType>LS</TaxType><TaxAmt>7.00</TaxAmt></TotalTaxInfo></PartsTotalsInfo>"
        "<SummaryTotalsInfo><TotalType>TOT</TotalType><TotalSubType>CE</TotalSubType><TotalAmt>322.00</TotalAmt>"
        "</SummaryTotalsInfo></RepairTotalsInfo>"
    )
    estimate = parse_bms(_estimate(body))
    assert estimate.currency == "CAD"
    assert estimate.rates.taxes == {"GS": Decimal("5.0"), "LS": Decimal("7")}
    assert estimate.rates.labor == {"LAB": Decimal("95.00")}
    totals = estimate.totals
    assert totals.tax_by_type == {"GS": Decimal("15.00"), "LS": Decimal("7.00")}
    assert totals.tax_by_category == {"labor": Decimal("10.00"), "parts": Decimal("12.00")}
    assert (totals.labor, totals.parts, totals.tax, totals.gross) == (
        Decimal("200.00"),
        Decimal("100.00"),
        Decimal("22.00"),
        Decimal("322.00"),
    )


def test_labor_and_parts_without_an_all_row_are_summed():
    totals = _totals(
        "<LaborTotalsInfo><TotalType>LAB</TotalType><TotalHours>2</TotalHours><TotalAmt>100</TotalAmt>"
        "</LaborTotalsInfo>"
        "<LaborTotalsInfo><TotalType>LAR</TotalType><TotalHours>1.5</TotalHours><TotalAmt>75</TotalAmt>"
        "</LaborTotalsInfo>"
        "<PartsTotalsInfo><TotalType>PAN</TotalType><TotalAmt>108.25</TotalAmt><TaxTotalAmt>8.25</TaxTotalAmt>"
        "</PartsTotalsInfo>"
        "<PartsTotalsInfo><TotalType>PAA</TotalType><TotalAmt>50</TotalAmt></PartsTotalsInfo>"
    )
    assert totals.labor == Decimal("175.00")
    assert totals.labor_by_type == {"LAB": Decimal("100.00"), "LAR": Decimal("75.00")}
    assert totals.labor_hours_by_type == {"LAB": Decimal(2), "LAR": Decimal("1.5")}
    assert totals.parts == Decimal("150.00")
    assert totals.tax_by_category == {"parts": Decimal("8.25")}
    assert totals.tax == Decimal("8.25")


def test_other_charge_rows_by_category():
    totals = _totals(
        "<OtherChargesTotalsInfo><TotalType>OTSL</TotalType><TotalAmt>100</TotalAmt></OtherChargesTotalsInfo>"
        "<OtherChargesTotalsInfo><TotalType>MAPA</TotalType><TotalAmt>53.00</TotalAmt><TaxTotalAmt>3.00</TaxTotalAmt>"
        "</OtherChargesTotalsInfo>"
        "<OtherChargesTotalsInfo><TotalType>MASH</TotalType><TotalAmt>20</TotalAmt></OtherChargesTotalsInfo>"
        "<OtherChargesTotalsInfo><TotalType>OTTW</TotalType><TotalAmt>120</TotalAmt></OtherChargesTotalsInfo>"
        "<OtherChargesTotalsInfo><TotalType>OTST</TotalType><TotalAmt>45.50</TotalAmt></OtherChargesTotalsInfo>"
    )
    assert (totals.sublet, totals.materials, totals.other) == (Decimal("100.00"), Decimal("70.00"), Decimal("165.50"))
    assert totals.labor is None and totals.parts is None
    assert totals.tax_by_category == {"materials": Decimal("3.00")}


def test_summary_tax_row_wins_and_type_taxes_are_the_last_resort():
    summary = _totals(
        "<PartsTotalsInfo><TotalType>PA</TotalType><TotalAmt>110</TotalAmt><TaxTotalAmt>10</TaxTotalAmt>"
        "</PartsTotalsInfo>"
        "<SummaryTotalsInfo><TotalType>TX</TotalType><TotalAmt>10.50</TotalAmt></SummaryTotalsInfo>"
    )
    assert summary.tax == Decimal("10.50")
    by_type = _totals(
        "<SummaryTotalsInfo><TotalTaxInfo><TaxType>GS</TaxType><TaxTotalAmt>4.00</TaxTotalAmt></TotalTaxInfo>"
        "<TotalTaxInfo><TaxType>PS</TaxType><TaxAmt>5.60</TaxAmt></TotalTaxInfo></SummaryTotalsInfo>"
    )
    assert by_type.tax_by_type == {"GS": Decimal("4.00"), "PS": Decimal("5.60")}
    assert by_type.tax == Decimal("9.60")


@pytest.mark.parametrize(
    ("sub_type", "description", "expected"),
    [("D2", "", Decimal("250.00")), ("D1", "Customer Deductible", Decimal("250.00")), ("D1", "Discount", None)],
)
def test_deductible_row(sub_type, description, expected):
    totals = _totals(
        f"<SummaryTotalsInfo><TotalType>TOT</TotalType><TotalSubType>{sub_type}</TotalSubType>"
        f"<TotalTypeDesc>{description}</TotalTypeDesc><TotalAmt>-250</TotalAmt></SummaryTotalsInfo>"
    )
    assert totals.deductible == expected
    assert totals.gross is None and totals.net is None
