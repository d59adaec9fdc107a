"""Read a CIECA BMS estimate file safely: no DTD, no entities, a size limit, any namespace or none.

Every refusal is a :class:`BmsRejected` whose message says why without quoting the file: a hostile file
must not be able to put its own text (or a local file an entity points at) into what the shop sees.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import ErrorString
from xml.parsers.expat import errors as expat_errors

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring

from collisionos.domain.bms.model import (
    LABOR,
    MATERIAL,
    OTHER,
    PAINT_MATERIALS,
    PART,
    REFINISH,
    SUBLET,
    BmsEstimate,
    BmsRejected,
    ClaimFacts,
    DamageLine,
    FileTotals,
    Party,
    Rates,
    VehicleFacts,
)
from collisionos.domain.money import ZERO, to_money

ESTIMATE_ROOT = "VehicleDamageEstimateAddRq"
WRAPPER_ROOTS = ("CIECA", "BMS")
PROVIDERS = {"C": "CCC", "M": "Mitchell", "A": "Audatex"}
NO_CLAIM_NUMBER = frozenset({"N/A", "NA", "NONE"})
REFINISH_LABOR = "LAR"
MAX_DAMAGE_LINES = 2000
# PAS and PASL are both used for a sublet bought as a part.
SUBLET_PART_TYPES = frozenset({"PAS", "PASL"})

_YES = frozenset({"Y", "YES", "1", "TRUE", "T"})
_NO = frozenset({"N", "NO", "0", "FALSE", "F"})
# Bounded so that no number in a file can exceed Decimal's precision when rounded to the cent.
_NUMBER = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d{0,10})?|\.\d{1,10})", re.ASCII)
_WHOLE_NUMBER = re.compile(r"\d{1,15}", re.ASCII)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_ENCODING_ERRORS = frozenset(
    expat_errors.codes[message]
    for message in (expat_errors.XML_ERROR_UNKNOWN_ENCODING, expat_errors.XML_ERROR_INCORRECT_ENCODING)
)
_INVALID_TOKEN = expat_errors.codes[expat_errors.XML_ERROR_INVALID_TOKEN]
_PARTY_CONTACTS = ("PersonInfo", "OrgInfo", "ContactInfo")
_DEDUCTIBLE = "ClaimInfo/PolicyInfo/CoverageInfo/Coverage/DeductibleInfo"
_BAD_TOTALS = "the file's totals are not numbers"


def parse_bms(data: bytes, *, max_bytes: int = 5 * 1024 * 1024) -> BmsEstimate:
    """Read one BMS estimate file; raise :class:`BmsRejected` when it cannot be imported."""
    if len(data) > max_bytes:
        raise BmsRejected(f"the file is larger than the {_size_label(max_bytes)} limit", rule="bms_too_large")
    if not data.strip():
        raise BmsRejected("the file is empty", rule="bms_empty")
    root = _estimate_element(_load(data))
    damage_lines = root.findall("DamageLineInfo")
    if len(damage_lines) > MAX_DAMAGE_LINES:
        # A few kilobytes of empty lines would otherwise become thousands of rows for the importer to write.
        raise BmsRejected(
            f"the file has more than {MAX_DAMAGE_LINES} damage lines, more than any estimate needs",
            rule="bms_too_many_lines",
        )
    version = _whole(_text(root, "DocumentInfo/DocumentVer/DocumentVerNum"), "the estimate version is not a number")
    policyholder = _party(root.find("AdminInfo/PolicyHolder/Party"))
    return BmsEstimate(
        document_id=_text(root, "DocumentInfo/DocumentID"),
        version=version or 0,
        provider=_provider(root),
        bms_version=_text(root, "DocumentInfo/BMSVer"),
        created_at=_moment(_text(root, "DocumentInfo/CreateDateTime"), "the estimate's creation date is not a date"),
        currency=_text(root, "DocumentInfo/CurrencyInfo/CurCode"),
        owner=_party(root.find("AdminInfo/Owner/Party")) or policyholder or Party(),
        policyholder=policyholder,
        insurer_name=_text(root, "AdminInfo/InsuranceCompany/Party/OrgInfo/CompanyName"),
        estimator=_party(root.find("AdminInfo/Estimator/Party")),
        adjuster=_party(_first(root, "AdminInfo/Adjuster/Party", "AdminInfo/ClaimRep/Party")),
        claim=_claim(root),
        vehicle=_vehicle(root.find("VehicleInfo")),
        rates=_rates(root.find("ProfileInfo")),
        lines=tuple(_damage_line(line, position) for position, line in enumerate(damage_lines, 1)),
        totals=_file_totals(root.find("RepairTotalsInfo")),
    )


def _load(data: bytes) -> Element:
    """Parse ``data`` with DTDs, entities and external references refused; strip namespaces from every tag."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise BmsRejected(
            "the file declares a DTD or entities, which estimate files never need; refused for safety", rule="bms_dtd"
        ) from None
    except ParseError as error:
        raise _not_well_formed(error, data) from None
    except (LookupError, ValueError):
        # An encoding name Python does not know, or a multi-byte encoding expat cannot be given.
        raise BmsRejected("the file declares a character encoding that is not supported", rule="bms_encoding") from None
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    return root


def _not_well_formed(error: ParseError, data: bytes) -> BmsRejected:
    # Expat's reason is a fixed phrase ("mismatched tag"), never the file's text, so it is safe to show.
    line, column = error.position
    where = f"{ErrorString(error.code)} at line {line}, column {column + 1}"
    if error.code in _ENCODING_ERRORS or (error.code == _INVALID_TOKEN and not _decodes(data)):
        return BmsRejected(
            f"the file is not well-formed XML (the file's encoding may be wrong: {where})", rule="bms_encoding"
        )
    return BmsRejected(f"the file is not well-formed XML ({where})", rule="bms_malformed")


def _decodes(data: bytes) -> bool:
    """Tell whether ``data`` is valid text in the encoding it announces (UTF-8 when it announces none)."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return False  # expat cannot read UTF-32 at all
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        declared = _DECLARED_ENCODING.match(data)
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        data.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return False
    return True


def _estimate_element(root: Element) -> Element:
    if root.tag == ESTIMATE_ROOT:
        return root
    if root.tag in WRAPPER_ROOTS:
        inner = root.find(ESTIMATE_ROOT)
        if inner is not None:
            return inner
    raise BmsRejected(f"not a CIECA BMS estimate (expected a {ESTIMATE_ROOT} document)", rule="bms_wrong_root")


def _size_label(size: int) -> str:
    megabyte, kilobyte = 1024 * 1024, 1024
    if size >= megabyte and size % megabyte == 0:
        return f"{size // megabyte} MB"
    if size >= kilobyte:
        return f"{size // kilobyte} KB"
    return f"{size} bytes"


# Reading values. A value that is required to be a number or a date and is not one refuses the whole
# file: importing a guess would put wrong money on an estimate.


def _text(element: Element | None, path: str) -> str | None:
    """Return the stripped text at ``path`` under ``element``; ``None`` when absent or blank."""
    found = element.find(path) if element is not None else None
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _first(element: Element, *paths: str) -> Element | None:
    return next((found for path in paths if (found := element.find(path)) is not None), None)


def _code(text: str | None) -> str | None:
    return text.upper() if text else None


def _bad_value(message: str) -> BmsRejected:
    return BmsRejected(message, rule="bms_bad_value")


# Beyond these no collision estimate goes; they also keep every value inside its database column.
MONEY_LIMIT = Decimal("1000000.00")  # one amount (a line's price, a rate, a total)
HOURS_LIMIT = Decimal("9999.99")
QUANTITY_LIMIT = Decimal("99999")
WHOLE_LIMIT = 2_000_000_000


def _out_of_range(message: str) -> BmsRejected:
    return _bad_value(message.replace("is not a number", "is out of range"))


def _decimal(text: str | None, message: str, *, limit: Decimal = MONEY_LIMIT) -> Decimal | None:
    if text is None:
        return None
    if _NUMBER.fullmatch(text) is None:
        raise _bad_value(message)
    value = Decimal(text)
    if abs(value) > limit:
        raise _out_of_range(message)
    return value


def _money(text: str | None, message: str) -> Decimal | None:
    value = _decimal(text, message)
    return None if value is None else to_money(value)


def _not_negative(value: Decimal | None, message: str) -> Decimal | None:
    if value is not None and value < 0:
        raise _bad_value(message.replace("is not a number", "is negative"))
    return value


def _hours(text: str | None, subject: str) -> Decimal | None:
    value = _decimal(text, f"{subject} is not a number", limit=HOURS_LIMIT)
    if value is not None and value < 0:
        raise _bad_value(f"{subject} is negative")
    return value


def _whole(text: str | None, message: str) -> int | None:
    if text is None:
        return None
    if _WHOLE_NUMBER.fullmatch(text) is None:
        raise _bad_value(message)
    value = int(text)
    if abs(value) > WHOLE_LIMIT:
        raise _out_of_range(message)
    return value


def _moment(text: str | None, message: str) -> datetime | None:
    """Read an ISO 8601 date or date-time as aware UTC; a time without an offset is taken as UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _bad_value(message) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _flag(text: str | None) -> bool:
    return text is not None and text.upper() in _YES


def _yes_no(text: str | None) -> bool | None:
    if text is None:
        return None
    if text.upper() in _YES:
        return True
    return False if text.upper() in _NO else None


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present, ZERO) if present else None


# The parts of the document.


def _provider(root: Element) -> str | None:
    vendor = _code(_text(root, "DocumentInfo/VendorCode"))
    if vendor:
        return PROVIDERS.get(vendor, vendor)
    return _text(root, "ApplicationInfo/ApplicationName")


def _person_name(text: str | None) -> str | None:
    # Estimating systems often shout names ("JORDAN"); a name typed in mixed case is kept as typed.
    return text.title() if text and text.isupper() else text


def _party(party: Element | None) -> Party | None:
    if party is None:
        return None
    communications = [found for where in _PARTY_CONTACTS for found in party.findall(f"{where}/Communications")]
    address = next((found for c in communications if (found := c.find("Address")) is not None), None)
    phones: dict[str, str] = {}
    for communication in communications:
        qualifier, number = _text(communication, "CommQualifier"), _text(communication, "CommPhone")
        if qualifier and number:
            phones.setdefault(qualifier.upper(), number)
    return Party(
        first_name=_person_name(_text(party, "PersonInfo/PersonName/FirstName")),
        last_name=_person_name(_text(party, "PersonInfo/PersonName/LastName")),
        company_name=_text(party, "OrgInfo/CompanyName"),
        address1=_text(address, "Address1"),
        address2=_text(address, "Address2"),
        city=_text(address, "City"),
        state=_text(address, "StateProvince"),
        postal_code=_text(address, "PostalCode"),
        country=_text(address, "CountryCode"),
        phones=phones,
        email=next((email for c in communications if (email := _text(c, "CommEmail"))), None),
    )


def _claim(root: Element) -> ClaimFacts:
    number = _text(root, "ClaimInfo/ClaimNum") or _text(root, "RefClaimNum")
    facts = root.find("ClaimInfo/LossInfo/Facts")
    return ClaimFacts(
        claim_number=None if number is None or number.upper() in NO_CLAIM_NUMBER else number,
        policy_number=_text(root, "ClaimInfo/PolicyInfo/PolicyNum"),
        deductible=_not_negative(
            _money(_text(root, f"{_DEDUCTIBLE}/DeductibleAmt"), "the deductible is not a number"),
            "the deductible is not a number",
        ),
        deductible_status=_text(root, f"{_DEDUCTIBLE}/DeductibleStatus"),
        loss_date=_moment(_text(facts, "LossDateTime"), "the loss date is not a date"),
        point_of_impact=_text(facts, "PrimaryPOI/POICode"),
        damage_memo=_text(facts, "DamageMemo"),
        total_loss=_flag(_text(root, "ClaimInfo/LossInfo/TotalLossInd")),
    )


def _vehicle(vehicle: Element | None) -> VehicleFacts:
    description = vehicle.find("VehicleDesc") if vehicle is not None else None
    color = vehicle.find("Paint/Exterior/Color") if vehicle is not None else None
    vin = _text(vehicle, "VINInfo/VIN/VINNum")
    plate = _text(vehicle, "License/LicensePlateNum")
    odometer = _text(description, "OdometerInfo/OdometerReading")
    return VehicleFacts(
        vin=vin.upper() if vin else None,
        year=_whole(_text(description, "ModelYear"), "the vehicle's model year is not a number"),
        make=_text(description, "MakeDesc") or _text(description, "MakeCode"),
        model=_text(description, "ModelName"),
        trim=_text(description, "SubModelDesc"),
        body_style=_text(description, "BodyStyle") or _text(description, "VehicleType"),
        license_plate=plate.upper() if plate else None,
        plate_state=_text(vehicle, "License/LicensePlateStateProvince"),
        paint_code=_text(color, "OEMColorCode") or _text(color, "ColorCode"),
        color=_text(color, "ColorName"),
        odometer=_whole(odometer.replace(",", "") if odometer else None, "the odometer reading is not a number"),
        drivable=_yes_no(_text(vehicle, "Condition/DrivableInd")),
    )


def _rates(profile: Element | None) -> Rates:
    if profile is None:
        return Rates()
    labor: dict[str, Decimal] = {}
    paint_materials = None
    for rate_info in profile.findall("RateInfo"):
        rate_type = _code(_text(rate_info, "RateType")) or ""
        message = "a rate in the estimate profile is not a number"
        rate = _not_negative(_money(_text(rate_info, "RateTierInfo/Rate"), message), message)
        if rate is None:
            continue
        if rate_type.startswith("LA"):
            labor.setdefault(rate_type, rate)
        elif rate_type == "MAPA" and paint_materials is None:
            paint_materials = rate
    taxes: dict[str, Decimal] = {}
    for tax_info in profile.iter("TaxInfo"):
        tax_type = _code(_text(tax_info, "TaxType"))
        message = "a tax rate in the estimate is not a number"
        percentage = _not_negative(
            _decimal(_text(tax_info, "TaxTierInfo/Percentage"), message, limit=Decimal(100)), message
        )
        if tax_type and percentage is not None:
            taxes.setdefault(tax_type, percentage)
    return Rates(labor=labor, paint_materials=paint_materials, taxes=taxes)


def _labor_of(line: Element) -> tuple[Element | None, Element | None]:
    """Return the line's labor and, when it has other labor beside it, its refinish labor."""
    entries = [child for child in line if child.tag in ("LaborInfo", "RefinishLaborInfo")]

    def is_refinish(entry: Element) -> bool:
        return entry.tag == "RefinishLaborInfo" or _code(_text(entry, "LaborType")) == REFINISH_LABOR

    labor = next((entry for entry in entries if not is_refinish(entry)), entries[0] if entries else None)
    refinish = next((entry for entry in entries if entry is not labor and is_refinish(entry)), None)
    return labor, refinish


def _kind(
    *, has_part: bool, part_type: str | None, charges: tuple[str, ...], labor_type: str | None, labor_priced: bool
) -> str:
    if has_part:
        return SUBLET if part_type in SUBLET_PART_TYPES else PART
    if "MAPA" in charges:
        return PAINT_MATERIALS
    if any(charge.startswith("MA") for charge in charges):
        return MATERIAL
    if "OTSL" in charges:
        return SUBLET
    if any(charge.startswith("OT") for charge in charges):
        return OTHER
    if labor_priced:
        return REFINISH if labor_type == REFINISH_LABOR else LABOR
    return OTHER


def _damage_line(line: Element, position: int) -> DamageLine:
    number = _whole(_text(line, "LineNum"), f"the damage line at position {position}: the line number is not a number")
    if number is None:
        number = position
    where = f"line {number}"
    part = line.find("PartInfo")
    labor, refinish = _labor_of(line)
    charge = line.find("OtherChargesInfo")

    part_type = _code(_text(part, "PartType"))
    part_number = _text(part, "PartNum") or _text(part, "OEMPartNum")
    part_price = _money(
        _text(part, "PartPrice") or _text(part, "ActualPrice"), f"{where}: the part price is not a number"
    )
    quantity = _not_negative(
        _decimal(_text(part, "Quantity"), f"{where}: the quantity is not a number", limit=QUANTITY_LIMIT),
        f"{where}: the quantity is not a number",
    )
    part_taxable = _text(part, "TaxableInd")
    labor_type = _code(_text(labor, "LaborType"))
    if labor_type is None and labor is not None and labor.tag == "RefinishLaborInfo":
        labor_type = REFINISH_LABOR
    labor_hours = _hours(_text(labor, "LaborHours"), f"{where}: the labor time")
    labor_amount = _money(_text(labor, "LaborAmt"), f"{where}: the labor amount is not a number")
    other_charge_type = _code(_text(charge, "OtherChargesType"))
    material_type = _code(_text(line, "MaterialType"))

    return DamageLine(
        line_number=number,
        sequence=_whole(_text(line, "UniqueSequenceNum"), f"{where}: the sequence number is not a number"),
        description=_text(line, "LineDesc") or _text(part, "PartDesc") or f"Line {number}",
        header=_text(line, "LineHeaderDesc"),
        kind=_kind(
            has_part=part_price is not None or part_number is not None,
            part_type=part_type,
            charges=tuple(code for code in (other_charge_type, material_type) if code),
            labor_type=labor_type,
            labor_priced=labor_hours is not None or labor_amount is not None,
        ),
        part_type=part_type,
        part_number=part_number,
        part_price=part_price,
        quantity=Decimal(1) if quantity is None else quantity,
        part_taxable=True if part_taxable is None else _flag(part_taxable),
        labor_type=labor_type,
        labor_operation=_text(labor, "LaborOperation"),
        labor_hours=labor_hours,
        labor_included=_flag(_text(labor, "LaborInclInd")),
        labor_amount=labor_amount,
        labor_taxable=_flag(_text(labor, "TaxableInd")),
        refinish_hours=_hours(_text(refinish, "LaborHours"), f"{where}: the refinish time"),
        refinish_included=_flag(_text(refinish, "LaborInclInd")),
        other_charge_type=other_charge_type,
        other_price=_money(_text(charge, "Price"), f"{where}: the charge price is not a number"),
        other_taxable=_flag(_text(charge, "TaxableInd")),
        material_type=material_type,
    )


@dataclass(frozen=True)
class _TotalRow:
    """One *TotalsInfo row: its type, hours, amount with tax (TotalAmt) and tax (TaxTotalAmt)."""

    total_type: str
    hours: Decimal | None
    amount: Decimal | None
    tax: Decimal | None

    @property
    def before_tax(self) -> Decimal | None:
        return None if self.amount is None else self.amount - (self.tax or ZERO)


def _total_rows(totals: Element, tag: str) -> list[_TotalRow]:
    return [
        _TotalRow(
            total_type=_code(_text(row, "TotalType")) or "",
            hours=_decimal(_text(row, "TotalHours"), _BAD_TOTALS),
            amount=_money(_text(row, "TotalAmt"), _BAD_TOTALS),
            tax=_money(_text(row, "TaxTotalAmt"), _BAD_TOTALS),
        )
        for row in totals.findall(tag)
    ]


def _file_totals(totals: Element | None) -> FileTotals:
    if totals is None:
        return FileTotals()
    labor_rows = _total_rows(totals, "LaborTotalsInfo")
    per_labor_type = [row for row in labor_rows if row.total_type != "LA"]
    # An "LA" row is all labor together; when present the per-type rows are its breakdown, not more labor.
    labor_rows = [row for row in labor_rows if row.total_type == "LA"][:1] or per_labor_type
    labor_by_type: dict[str, Decimal] = {}
    labor_hours_by_type: dict[str, Decimal] = {}
    for row in per_labor_type:
        if row.before_tax is not None:
            labor_by_type[row.total_type] = labor_by_type.get(row.total_type, ZERO) + row.before_tax
        if row.hours is not None:
            labor_hours_by_type[row.total_type] = labor_hours_by_type.get(row.total_type, Decimal(0)) + row.hours
    part_rows = _total_rows(totals, "PartsTotalsInfo")
    part_rows = [row for row in part_rows if row.total_type == "PA"][:1] or part_rows
    charge_rows = _total_rows(totals, "OtherChargesTotalsInfo")
    by_category = {
        "labor": labor_rows,
        "parts": part_rows,
        **{
            category: [row for row in charge_rows if _charge_category(row.total_type) == category]
            for category in ("sublet", "materials", "other")
        },
    }
    amounts = {category: _sum(row.before_tax for row in rows) for category, rows in by_category.items()}
    tax_by_category = {
        category: tax for category, rows in by_category.items() if (tax := _sum(row.tax for row in rows)) is not None
    }
    tax_by_type: dict[str, Decimal] = {}
    for tax_info in totals.iter("TotalTaxInfo"):
        tax_type = _code(_text(tax_info, "TaxType"))
        amount = _money(_text(tax_info, "TaxAmt") or _text(tax_info, "TaxTotalAmt"), _BAD_TOTALS)
        if tax_type and amount is not None:
            tax_by_type[tax_type] = tax_by_type.get(tax_type, ZERO) + amount
    summary = _summary(totals)
    return FileTotals(
        labor_hours_by_type=labor_hours_by_type,
        labor_by_type=labor_by_type,
        labor=amounts["labor"],
        parts=amounts["parts"],
        sublet=amounts["sublet"],
        materials=amounts["materials"],
        other=amounts["other"],
        tax_by_category=tax_by_category,
        tax_by_type=tax_by_type,
        tax=_first_present(summary.get("tax"), _sum(tax_by_category.values()), _sum(tax_by_type.values())),
        gross=summary.get("gross"),
        net=summary.get("net"),
        deductible=summary.get("deductible"),
    )


def _charge_category(total_type: str) -> str:
    """Return where an OtherChargesTotalsInfo row belongs: OTAC (additional costs) and MA* rows are materials."""
    if total_type == "OTSL":
        return "sublet"
    if total_type == "OTAC" or total_type.startswith("MA"):
        return "materials"
    return "other"


def _summary(totals: Element) -> dict[str, Decimal]:
    """Read SummaryTotalsInfo: tax (TX), gross (CE), net (TT) and the deductible (D2), first of each."""
    found: dict[str, Decimal] = {}
    for row in totals.findall("SummaryTotalsInfo"):
        total_type, sub_type = _code(_text(row, "TotalType")), _code(_text(row, "TotalSubType")) or ""
        amount = _money(_text(row, "TotalAmt"), _BAD_TOTALS)
        description = _text(row, "TotalTypeDesc") or ""
        if amount is None:
            continue
        if total_type in ("TX", "TAX"):
            found.setdefault("tax", amount)
        elif sub_type == "CE":
            found.setdefault("gross", amount)
        elif sub_type == "TT":
            found.setdefault("net", amount)
        elif sub_type == "D2" or (sub_type.startswith("D") and "deductible" in description.lower()):
            # Files show the deductible as a deduction (negative); the estimate stores what the customer pays.
            found.setdefault("deductible", abs(amount))
    return found


def _first_present(*values: Decimal | None) -> Decimal | None:
    return next((value for value in values if value is not None), None)
