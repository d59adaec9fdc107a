"""Read a CIECA BMS estimate file into a :class:`BmsEstimate`: parties, claim, vehicle, rates, lines and totals.

Loading the bytes safely is :mod:`collisionos.domain.bms.safe_xml`'s job and reading one value is
:mod:`collisionos.domain.bms.values`'; this module only knows where each fact sits in the document. Every refusal
is a :class:`BmsRejected` whose message says why without quoting the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from xml.etree.ElementTree import Element

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
from collisionos.domain.bms.safe_xml import load_estimate
from collisionos.domain.bms.values import (
    QUANTITY_LIMIT,
    code,
    decimal,
    first,
    first_present,
    flag,
    hours,
    moment,
    money,
    not_negative,
    sum_of,
    text,
    whole,
    yes_no,
)
from collisionos.domain.money import ZERO

PROVIDERS = {"C": "CCC", "M": "Mitchell", "A": "Audatex"}
NO_CLAIM_NUMBER = frozenset({"N/A", "NA", "NONE"})
REFINISH_LABOR = "LAR"
MAX_DAMAGE_LINES = 2000
# PAS and PASL are both used for a sublet bought as a part.
SUBLET_PART_TYPES = frozenset({"PAS", "PASL"})

_PARTY_CONTACTS = ("PersonInfo", "OrgInfo", "ContactInfo")
_DEDUCTIBLE = "ClaimInfo/PolicyInfo/CoverageInfo/Coverage/DeductibleInfo"
_BAD_TOTALS = "the file's totals are not numbers"


def parse_bms(data: bytes, *, max_bytes: int = 5 * 1024 * 1024) -> BmsEstimate:
    """Read one BMS estimate file; raise :class:`BmsRejected` when it cannot be imported."""
    root = load_estimate(data, max_bytes=max_bytes)
    damage_lines = root.findall("DamageLineInfo")
    if len(damage_lines) > MAX_DAMAGE_LINES:
        # A few kilobytes of empty lines would otherwise become thousands of rows for the importer to write.
        raise BmsRejected(
            f"the file has more than {MAX_DAMAGE_LINES} damage lines, more than any estimate needs",
            rule="bms_too_many_lines",
        )
    version = whole(text(root, "DocumentInfo/DocumentVer/DocumentVerNum"), "the estimate version is not a number")
    policyholder = _party(root.find("AdminInfo/PolicyHolder/Party"))
    return BmsEstimate(
        document_id=text(root, "DocumentInfo/DocumentID"),
        version=version or 0,
        provider=_provider(root),
        bms_version=text(root, "DocumentInfo/BMSVer"),
        created_at=moment(text(root, "DocumentInfo/CreateDateTime"), "the estimate's creation date is not a date"),
        currency=text(root, "DocumentInfo/CurrencyInfo/CurCode"),
        owner=_party(root.find("AdminInfo/Owner/Party")) or policyholder or Party(),
        policyholder=policyholder,
        insurer_name=text(root, "AdminInfo/InsuranceCompany/Party/OrgInfo/CompanyName"),
        estimator=_party(root.find("AdminInfo/Estimator/Party")),
        adjuster=_party(first(root, "AdminInfo/Adjuster/Party", "AdminInfo/ClaimRep/Party")),
        claim=_claim(root),
        vehicle=_vehicle(root.find("VehicleInfo")),
        rates=_rates(root.find("ProfileInfo")),
        lines=tuple(_damage_line(line, position) for position, line in enumerate(damage_lines, 1)),
        totals=_file_totals(root.find("RepairTotalsInfo")),
    )


def _provider(root: Element) -> str | None:
    vendor = code(text(root, "DocumentInfo/VendorCode"))
    if vendor:
        return PROVIDERS.get(vendor, vendor)
    return text(root, "ApplicationInfo/ApplicationName")


def _person_name(name: str | None) -> str | None:
    # Estimating systems often shout names ("JORDAN"); a name typed in mixed case is kept as typed.
    return name.title() if name and name.isupper() else name


def _party(party: Element | None) -> Party | None:
    if party is None:
        return None
    communications = [found for where in _PARTY_CONTACTS for found in party.findall(f"{where}/Communications")]
    address = next((found for c in communications if (found := c.find("Address")) is not None), None)
    phones: dict[str, str] = {}
    for communication in communications:
        qualifier, number = text(communication, "CommQualifier"), text(communication, "CommPhone")
        if qualifier and number:
            phones.setdefault(qualifier.upper(), number)
    return Party(
        first_name=_person_name(text(party, "PersonInfo/PersonName/FirstName")),
        last_name=_person_name(text(party, "PersonInfo/PersonName/LastName")),
        company_name=text(party, "OrgInfo/CompanyName"),
        address1=text(address, "Address1"),
        address2=text(address, "Address2"),
        city=text(address, "City"),
        state=text(address, "StateProvince"),
        postal_code=text(address, "PostalCode"),
        country=text(address, "CountryCode"),
        phones=phones,
        email=next((email for c in communications if (email := text(c, "CommEmail"))), None),
    )


def _claim(root: Element) -> ClaimFacts:
    number = text(root, "ClaimInfo/ClaimNum") or text(root, "RefClaimNum")
    facts = root.find("ClaimInfo/LossInfo/Facts")
    return ClaimFacts(
        claim_number=None if number is None or number.upper() in NO_CLAIM_NUMBER else number,
        policy_number=text(root, "ClaimInfo/PolicyInfo/PolicyNum"),
        deductible=not_negative(
            money(text(root, f"{_DEDUCTIBLE}/DeductibleAmt"), "the deductible is not a number"),
            "the deductible is not a number",
        ),
        deductible_status=text(root, f"{_DEDUCTIBLE}/DeductibleStatus"),
        loss_date=moment(text(facts, "LossDateTime"), "the loss date is not a date"),
        point_of_impact=text(facts, "PrimaryPOI/POICode"),
        damage_memo=text(facts, "DamageMemo"),
        total_loss=flag(text(root, "ClaimInfo/LossInfo/TotalLossInd")),
    )


def _vehicle(vehicle: Element | None) -> VehicleFacts:
    description = vehicle.find("VehicleDesc") if vehicle is not None else None
    color = vehicle.find("Paint/Exterior/Color") if vehicle is not None else None
    vin = text(vehicle, "VINInfo/VIN/VINNum")
    plate = text(vehicle, "License/LicensePlateNum")
    odometer = text(description, "OdometerInfo/OdometerReading")
    return VehicleFacts(
        vin=vin.upper() if vin else None,
        year=whole(text(description, "ModelYear"), "the vehicle's model year is not a number"),
        make=text(description, "MakeDesc") or text(description, "MakeCode"),
        model=text(description, "ModelName"),
        trim=text(description, "SubModelDesc"),
        body_style=text(description, "BodyStyle") or text(description, "VehicleType"),
        license_plate=plate.upper() if plate else None,
        plate_state=text(vehicle, "License/LicensePlateStateProvince"),
        paint_code=text(color, "OEMColorCode") or text(color, "ColorCode"),
        color=text(color, "ColorName"),
        odometer=whole(odometer.replace(",", "") if odometer else None, "the odometer reading is not a number"),
        drivable=yes_no(text(vehicle, "Condition/DrivableInd")),
    )


def _rates(profile: Element | None) -> Rates:
    if profile is None:
        return Rates()
    labor: dict[str, Decimal] = {}
    paint_materials = None
    for rate_info in profile.findall("RateInfo"):
        rate_type = code(text(rate_info, "RateType")) or ""
        message = "a rate in the estimate profile is not a number"
        rate = not_negative(money(text(rate_info, "RateTierInfo/Rate"), message), message)
        if rate is None:
            continue
        if rate_type.startswith("LA"):
            labor.setdefault(rate_type, rate)
        elif rate_type == "MAPA" and paint_materials is None:
            paint_materials = rate
    taxes: dict[str, Decimal] = {}
    for tax_info in profile.iter("TaxInfo"):
        tax_type = code(text(tax_info, "TaxType"))
        message = "a tax rate in the estimate is not a number"
        percentage = not_negative(
            decimal(text(tax_info, "TaxTierInfo/Percentage"), message, limit=Decimal(100)), message
        )
        if tax_type and percentage is not None:
            taxes.setdefault(tax_type, percentage)
    return Rates(labor=labor, paint_materials=paint_materials, taxes=taxes)


def _labor_of(line: Element) -> tuple[Element | None, Element | None]:
    """Return the line's labor and, when it has other labor beside it, its refinish labor."""
    entries = [child for child in line if child.tag in ("LaborInfo", "RefinishLaborInfo")]

    def is_refinish(entry: Element) -> bool:
        return entry.tag == "RefinishLaborInfo" or code(text(entry, "LaborType")) == REFINISH_LABOR

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
    number = whole(text(line, "LineNum"), f"the damage line at position {position}: the line number is not a number")
    if number is None:
        number = position
    where = f"line {number}"
    part = line.find("PartInfo")
    labor, refinish = _labor_of(line)
    charge = line.find("OtherChargesInfo")

    part_type = code(text(part, "PartType"))
    part_number = text(part, "PartNum") or text(part, "OEMPartNum")
    part_price = money(text(part, "PartPrice") or text(part, "ActualPrice"), f"{where}: the part price is not a number")
    quantity = not_negative(
        decimal(text(part, "Quantity"), f"{where}: the quantity is not a number", limit=QUANTITY_LIMIT),
        f"{where}: the quantity is not a number",
    )
    part_taxable = text(part, "TaxableInd")
    labor_type = code(text(labor, "LaborType"))
    if labor_type is None and labor is not None and labor.tag == "RefinishLaborInfo":
        labor_type = REFINISH_LABOR
    labor_hours = hours(text(labor, "LaborHours"), f"{where}: the labor time")
    labor_amount = money(text(labor, "LaborAmt"), f"{where}: the labor amount is not a number")
    other_charge_type = code(text(charge, "OtherChargesType"))
    material_type = code(text(line, "MaterialType"))

    return DamageLine(
        line_number=number,
        sequence=whole(text(line, "UniqueSequenceNum"), f"{where}: the sequence number is not a number"),
        description=text(line, "LineDesc") or text(part, "PartDesc") or f"Line {number}",
        header=text(line, "LineHeaderDesc"),
        kind=_kind(
            has_part=part_price is not None or part_number is not None,
            part_type=part_type,
            charges=tuple(charge for charge in (other_charge_type, material_type) if charge),
            labor_type=labor_type,
            labor_priced=labor_hours is not None or labor_amount is not None,
        ),
        part_type=part_type,
        part_number=part_number,
        part_price=part_price,
        quantity=Decimal(1) if quantity is None else quantity,
        part_taxable=True if part_taxable is None else flag(part_taxable),
        labor_type=labor_type,
        labor_operation=text(labor, "LaborOperation"),
        labor_hours=labor_hours,
        labor_included=flag(text(labor, "LaborInclInd")),
        labor_amount=labor_amount,
        labor_taxable=flag(text(labor, "TaxableInd")),
        refinish_hours=hours(text(refinish, "LaborHours"), f"{where}: the refinish time"),
        refinish_included=flag(text(refinish, "LaborInclInd")),
        other_charge_type=other_charge_type,
        other_price=money(text(charge, "Price"), f"{where}: the charge price is not a number"),
        other_taxable=flag(text(charge, "TaxableInd")),
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
            total_type=code(text(row, "TotalType")) or "",
            hours=decimal(text(row, "TotalHours"), _BAD_TOTALS),
            amount=money(text(row, "TotalAmt"), _BAD_TOTALS),
            tax=money(text(row, "TaxTotalAmt"), _BAD_TOTALS),
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
    amounts = {category: sum_of(row.before_tax for row in rows) for category, rows in by_category.items()}
    tax_by_category = {
        category: tax for category, rows in by_category.items() if (tax := sum_of(row.tax for row in rows)) is not None
    }
    tax_by_type: dict[str, Decimal] = {}
    for tax_info in totals.iter("TotalTaxInfo"):
        tax_type = code(text(tax_info, "TaxType"))
        amount = money(text(tax_info, "TaxAmt") or text(tax_info, "TaxTotalAmt"), _BAD_TOTALS)
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
        tax=first_present(summary.get("tax"), sum_of(tax_by_category.values()), sum_of(tax_by_type.values())),
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
        total_type, sub_type = code(text(row, "TotalType")), code(text(row, "TotalSubType")) or ""
        amount = money(text(row, "TotalAmt"), _BAD_TOTALS)
        description = text(row, "TotalTypeDesc") or ""
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
