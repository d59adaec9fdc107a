"""What a CIECA BMS estimate file says, as plain values (no XML, no database).

The parser (:mod:`collisionos.domain.bms.parser`) builds these from a file; the totals and the
line comparison (:mod:`collisionos.domain.bms.totals`, :mod:`collisionos.domain.bms.changes`) read them;
the import service (``services/bms``) turns them into customers, vehicles, claims, ROs and estimates.
Money is ``Decimal`` rounded to the cent, hours ``Decimal``, times timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from collisionos.domain.errors import ValidationError


class BmsRejected(ValidationError):
    """The file cannot be imported; the message names the reason, never the file's content."""


# What a damage line is, decided from what it carries (a part, labor, a charge, a material).
PART = "part"
LABOR = "labor"
REFINISH = "refinish"
SUBLET = "sublet"
PAINT_MATERIALS = "paint_materials"
MATERIAL = "material"
OTHER = "other"
LINE_KINDS = (PART, LABOR, REFINISH, SUBLET, PAINT_MATERIALS, MATERIAL, OTHER)


@dataclass(frozen=True)
class Party:
    """A person or a company named in the file (owner, policyholder, estimator, adjuster, insurer)."""

    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    # CommQualifier -> number: CP cell, HP home, WP work, FX fax, ... (first one of each qualifier wins).
    phones: dict[str, str] = field(default_factory=dict)
    email: str | None = None

    @property
    def display_name(self) -> str | None:
        person = " ".join(part for part in (self.first_name, self.last_name) if part)
        return person or self.company_name or None


@dataclass(frozen=True)
class ClaimFacts:
    # None when the file has no claim number, a blank one or "N/A": a customer-pay job, no claim is created.
    claim_number: str | None = None
    policy_number: str | None = None
    deductible: Decimal | None = None
    deductible_status: str | None = None  # CIECA DeductibleStatus, e.g. D1 not collected, D2 ... (raw code)
    loss_date: datetime | None = None
    point_of_impact: str | None = None  # PrimaryPOI/POICode, raw (e.g. "12" = front)
    damage_memo: str | None = None
    total_loss: bool = False


@dataclass(frozen=True)
class VehicleFacts:
    vin: str | None = None  # as written in the file (upper-cased, stripped); validated by the service
    year: int | None = None
    make: str | None = None
    model: str | None = None
    trim: str | None = None  # SubModelDesc
    body_style: str | None = None  # BodyStyle (free text), else VehicleType
    license_plate: str | None = None
    plate_state: str | None = None
    paint_code: str | None = None  # OEMColorCode / ColorCode
    color: str | None = None  # ColorName
    odometer: int | None = None
    drivable: bool | None = None


@dataclass(frozen=True)
class Rates:
    # CIECA labor rate type (LAB, LAR, LAS, LAM, LAF, LAE, LAG, ...) -> rate per hour.
    labor: dict[str, Decimal] = field(default_factory=dict)
    paint_materials: Decimal | None = None  # MAPA rate per refinish hour
    # Tax type code (LS, GS, ...) -> percentage, only the rates the file declares.
    taxes: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class DamageLine:
    """One DamageLineInfo. A line may carry a part and labor together (e.g. replace bumper cover 2.2 h)."""

    line_number: int
    sequence: int | None  # UniqueSequenceNum
    description: str
    header: str | None  # LineHeaderDesc (the panel or section)
    kind: str  # one of LINE_KINDS: the line's main nature (part if it has a part, else labor...)
    part_type: str | None = None  # CIECA PartType code, raw (PAN, PAA, PAL, PAM, PAR, ...)
    part_number: str | None = None
    part_price: Decimal | None = None  # unit price
    quantity: Decimal = Decimal(1)
    part_taxable: bool = True
    labor_type: str | None = None  # CIECA LaborType (LAB, LAR, LAS, ...)
    labor_operation: str | None = None  # LaborOperation (OP1, OP6, OP11 ...)
    labor_hours: Decimal | None = None
    labor_included: bool = False  # LaborInclInd: hours shown but included in another operation, not charged
    labor_amount: Decimal | None = None  # LaborAmt when the file states it (a flat labor charge)
    labor_taxable: bool = False
    refinish_hours: Decimal | None = None  # RefinishLaborInfo hours on a line that also has other labor
    refinish_included: bool = False
    other_charge_type: str | None = None  # OtherChargesType (OTSL sublet, MAPA, MASH, MAHW, OTTW ...)
    other_price: Decimal | None = None
    other_taxable: bool = False
    material_type: str | None = None  # MaterialType (MAPA paint, MASH shop, MAHW hazardous waste)

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies the line across versions of one estimate: panel, description and what it is.

        Line numbers are renumbered when a supplement inserts lines, so they cannot be the key.
        """
        what = self.part_type or self.labor_type or self.other_charge_type or self.material_type or self.kind
        return (_fold(self.header), _fold(self.description), what.upper())


def _fold(text: str | None) -> str:
    return " ".join((text or "").upper().split())


@dataclass(frozen=True)
class FileTotals:
    """RepairTotalsInfo as the file states it. ``None`` means the file did not say."""

    labor_hours_by_type: dict[str, Decimal] = field(default_factory=dict)  # LAB/LAR/... -> TotalHours
    labor_by_type: dict[str, Decimal] = field(default_factory=dict)  # LAB/LAR/... -> TotalAmt (before tax)
    labor: Decimal | None = None  # all labor before tax
    parts: Decimal | None = None  # all parts before tax
    sublet: Decimal | None = None
    materials: Decimal | None = None  # OTAC additional costs: paint and shop materials, hazardous waste
    other: Decimal | None = None  # other charges (towing, storage ...)
    tax_by_category: dict[str, Decimal] = field(default_factory=dict)  # labor/parts/sublet/materials/other
    tax_by_type: dict[str, Decimal] = field(default_factory=dict)  # LS/GS/... -> amount (TotalTaxInfo)
    tax: Decimal | None = None
    gross: Decimal | None = None  # SummaryTotalsInfo CE
    net: Decimal | None = None  # SummaryTotalsInfo TT
    deductible: Decimal | None = None  # SummaryTotalsInfo D2, as a positive amount


@dataclass(frozen=True)
class BmsEstimate:
    """Everything the importer needs from one file."""

    document_id: str | None
    version: int  # DocumentVerNum, 0 for the original estimate
    provider: str | None  # CCC / Mitchell / Audatex / ... (from VendorCode or ApplicationName)
    bms_version: str | None
    created_at: datetime | None
    currency: str | None
    owner: Party
    policyholder: Party | None
    insurer_name: str | None
    estimator: Party | None
    adjuster: Party | None
    claim: ClaimFacts
    vehicle: VehicleFacts
    rates: Rates
    lines: tuple[DamageLine, ...]
    totals: FileTotals

    @property
    def is_customer_pay(self) -> bool:
        return self.claim.claim_number is None
