"""Build one repair order with everything hanging off it, as plain column dicts.

The demo seeder turns a bundle into ORM objects; the bulk seeder inserts thousands of bundles
with Core executemany. Both get the same rules: totals from the lines (DOMAIN.md §5.6),
production rows and part lines whose states match the RO's status.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from collisionos.domain.money import PricedLine, compute_totals, split_payers, to_money
from collisionos.domain.parts import parts_rollup
from collisionos.domain.settings import SLA_TARGET_DAYS
from collisionos.models.enums import PartStatus as P
from collisionos.models.enums import ProductionStageType as S
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.enums import StageStatus
from collisionos.services.seed import catalogue as cat
from collisionos.services.seed.vins import make_vin

# How long ago (days, min-max) an RO in each status was opened.
AGE_DAYS = {
    R.DRAFT: (0, 2),
    R.ESTIMATE_PENDING: (0, 4),
    R.ESTIMATE_APPROVED: (1, 5),
    R.PARTS_ORDERED: (2, 7),
    R.PARTS_HOLD: (4, 12),
    R.IN_PRODUCTION: (5, 15),
    R.QUALITY_CONTROL: (8, 16),
    R.SUPPLEMENT_PENDING: (6, 14),
    R.SUPPLEMENT_APPROVED: (6, 14),
    R.CUSTOMER_APPROVAL: (5, 12),
    R.COMPLETED: (10, 18),
    R.READY_FOR_DELIVERY: (10, 18),
    R.DELIVERED: (12, 40),
    R.INVOICED: (14, 60),
    R.PAID: (20, 200),
    R.ARCHIVED: (60, 400),
    R.CANCELLED: (2, 90),
}

# Part line states an RO in each status plausibly has (cycled over its lines).
PART_STATES = {
    R.DRAFT: (P.NEEDED,),
    R.ESTIMATE_PENDING: (P.NEEDED, P.SOURCING),
    R.ESTIMATE_APPROVED: (P.SOURCING, P.QUOTED, P.NEEDED),
    R.PARTS_ORDERED: (P.ORDERED, P.SHIPPED, P.BACKORDERED, P.RECEIVED),
    R.PARTS_HOLD: (P.BACKORDERED, P.ORDERED, P.RECEIVED),
    R.SUPPLEMENT_PENDING: (P.RECEIVED, P.ORDERED),
    R.SUPPLEMENT_APPROVED: (P.RECEIVED, P.ORDERED),
    R.CUSTOMER_APPROVAL: (P.RECEIVED, P.INSPECTED),
    R.IN_PRODUCTION: (P.RECEIVED, P.INSPECTED, P.INSTALLED),
    R.QUALITY_CONTROL: (P.INSTALLED,),
    R.COMPLETED: (P.INSTALLED,),
    R.READY_FOR_DELIVERY: (P.INSTALLED,),
    R.DELIVERED: (P.INSTALLED,),
    R.INVOICED: (P.INSTALLED,),
    R.PAID: (P.INSTALLED,),
    R.ARCHIVED: (P.INSTALLED,),
    R.CANCELLED: (P.CANCELLED,),
}

# Milestones reached by each status: (estimate approved, parts ordered, production started, QC done, delivered)
_STATUS_RANK = {
    R.DRAFT: 0,
    R.ESTIMATE_PENDING: 0,
    R.CANCELLED: 0,
    R.ESTIMATE_APPROVED: 1,
    R.PARTS_ORDERED: 2,
    R.PARTS_HOLD: 2,
    R.SUPPLEMENT_PENDING: 3,
    R.SUPPLEMENT_APPROVED: 3,
    R.CUSTOMER_APPROVAL: 3,
    R.IN_PRODUCTION: 3,
    R.QUALITY_CONTROL: 4,
    R.COMPLETED: 5,
    R.READY_FOR_DELIVERY: 5,
    R.DELIVERED: 6,
    R.INVOICED: 6,
    R.PAID: 6,
    R.ARCHIVED: 6,
}
_LAST_STAGE_DONE_BY_RANK = {
    0: None,
    1: None,
    2: S.BLUEPRINT,
    3: S.DISASSEMBLY,
    4: S.ADAS_CALIBRATION,
    5: S.PRE_DELIVERY_INSPECTION,
    6: S.DELIVERY,
}
_SKIPPABLE = {S.FRAME_REPAIR, S.MECHANICAL_REPAIR, S.ADAS_CALIBRATION, S.DENIB_POLISH, S.CUSTOMER_WALKTHROUGH}
_PART_TYPE_BY_BRAND = {"oem": "OEM", "aftermarket": "Aftermarket", "recycled": "Used"}
_CONDITION_BY_BRAND = {"oem": "new", "aftermarket": "aftermarket", "recycled": "used"}
_CIECA_BY_BRAND = {"oem": "PAN", "aftermarket": "PAA", "recycled": "PAL"}


@dataclass(frozen=True)
class InsurerRef:
    id: int
    name: str
    body_rate: Decimal
    paint_rate: Decimal
    rental_per_day: Decimal
    rental_days: int
    is_drp: bool


@dataclass(frozen=True)
class VendorRef:
    id: int
    name: str
    vendor_type: str
    lead_days: int


@dataclass(frozen=True)
class StageRef:
    id: int
    stage_type: str
    name: str
    stage_order: int
    workflow_category: str
    requires_inspection: bool


@dataclass
class SeedContext:
    shop_id: int
    now: datetime
    user_id: int
    technician_ids: list[int]
    estimator_ids: list[int]
    insurers: list[InsurerRef]
    vendors: list[VendorRef]
    stages: list[StageRef]
    labor_rate: Decimal
    materials_rate: Decimal
    tax_rates: dict[str, Any]


@dataclass(frozen=True)
class Numbers:
    customer_number: str
    repair_order_number: str
    estimate_number: str
    claim_number: str


@dataclass
class Bundle:
    customer: dict[str, Any]
    vehicle: dict[str, Any]
    profile: dict[str, Any]
    claim: dict[str, Any] | None
    estimate: dict[str, Any]
    estimate_lines: list[dict[str, Any]]
    repair_order: dict[str, Any]
    job: dict[str, Any]
    production_rows: list[dict[str, Any]]
    part_lines: list[dict[str, Any]]  # each carries "_estimate_line" (index) and "_vendor" (VendorRef)
    timeline: list[dict[str, Any]] = field(default_factory=list)


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return to_money(Decimal(rng.randrange(int(low * 100), int(high * 100) + 1)) / 100)


def _hours(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


def build_bundle(
    rng: random.Random, ctx: SeedContext, numbers: Numbers, status: R, part_count: tuple[int, int] = (2, 6)
) -> Bundle:
    """Build one RO in ``status`` with its customer, vehicle, claim, estimate, production and parts."""
    now = ctx.now
    opened = now - timedelta(days=rng.uniform(*AGE_DAYS[status]), hours=rng.uniform(0, 8))
    rank = _STATUS_RANK[status]
    first, last = rng.choice(cat.FIRST_NAMES), rng.choice(cat.LAST_NAMES)
    city, fsa = rng.choice(cat.CITIES)
    phone = f"905-{rng.randrange(200, 999)}-{rng.randrange(0, 10000):04d}"
    email = f"{first}.{last}{rng.randrange(1, 999)}@example.com".lower().replace("'", "")
    customer = dict(
        shop_id=ctx.shop_id,
        customer_number=numbers.customer_number,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        mobile=phone,
        address=f"{rng.randrange(10, 9999)} {rng.choice(cat.STREETS)}",
        city=city,
        state="ON",
        zip_code=f"{fsa} {rng.randrange(1, 9)}{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.randrange(1, 9)}",
        country="Canada",
        preferred_contact=rng.choice(("phone", "email", "sms")),
        sms_opt_in=rng.random() < 0.6,
        email_opt_in=True,
        marketing_opt_in=rng.random() < 0.2,
        preferred_language="fr" if rng.random() < 0.1 else "en",
        customer_type="individual",
        customer_status="active",
        first_visit_date=opened,
        last_visit_date=opened,
        created_at=opened,
        updated_at=opened,
    )

    make, model, wmi, body, trims, paints, adas_from = rng.choice(cat.VEHICLES)
    year = rng.randrange(2012, min(now.year, 2026) + 1)
    vin = make_vin(rng, wmi, year)
    plate = f"{''.join(rng.choice('ABCDEFGHJKLMNPRSTVWXYZ') for _ in range(4))}{rng.randrange(100, 999)}"
    color_code = rng.choice(paints)
    odometer = rng.randrange(8_000, 210_000)
    trim = rng.choice(trims)
    vehicle = dict(
        shop_id=ctx.shop_id,
        vin=vin,
        license_plate=plate,
        state="ON",
        year=year,
        make=make,
        model=model,
        trim=trim,
        body_style=body,
        color_code=color_code,
        mileage=odometer,
        mileage_unit="kilometers",
        vehicle_status="active",
        created_at=opened,
        updated_at=opened,
    )
    has_adas = year >= adas_from
    profile = dict(
        shop_id=ctx.shop_id,
        vin=vin,
        license_plate=plate,
        plate_province="ON",
        plate_country="CAN",
        year=year,
        make=make,
        model=model,
        trim=trim,
        body_style=body,
        paint_code=color_code,
        current_odometer=odometer,
        odometer_unit="kilometers",
        has_adas_features=has_adas,
        adas_features=["forward_camera", "front_radar"] if has_adas else [],
        vehicle_status="active",
        vin_decoded=True,
        vin_decode_source="vininfo",
        created_at=opened,
        updated_at=opened,
    )

    insurer = rng.choice(ctx.insurers) if rng.random() < 0.8 else None
    deductible = Decimal(rng.choice(("500.00", "500.00", "1000.00", "300.00"))) if insurer else Decimal("0.00")
    claim = None
    if insurer:
        loss = opened - timedelta(days=rng.randrange(1, 10))
        claim = dict(
            shop_id=ctx.shop_id,
            insurance_company_id=insurer.id,
            claim_number=numbers.claim_number,
            policy_number=f"POL-{rng.randrange(10**6, 10**7)}",
            policy_type="collision",
            date_of_loss=loss,
            date_reported=loss + timedelta(hours=rng.randrange(1, 48)),
            date_claim_opened=opened,
            adjuster_name=f"{rng.choice(cat.FIRST_NAMES)} {rng.choice(cat.LAST_NAMES)}",
            adjuster_phone=f"1-800-{rng.randrange(200, 999)}-{rng.randrange(0, 10000):04d}",
            claim_status="approved" if rank >= 1 else "open",
            deductible_amount=deductible,
            deductible_paid=rank >= 6,
            deductible_paid_by="customer" if rank >= 6 else "pending",
            loss_type="collision",
            at_fault_party=rng.choice(("insured", "third_party", "shared")),
            is_drp_claim=insurer.is_drp,
            ats_eligible=True,
            ats_allowance_amount=insurer.rental_per_day,
            ats_days_approved=insurer.rental_days,
            ats_days_used=0,
            created_at=opened,
            updated_at=opened,
        )

    # Damage: 2-6 parts from the catalogue, each with its labour and refinish.
    damage = rng.sample(cat.DAMAGE_PARTS, rng.randint(*part_count))
    body_rate = insurer.body_rate if insurer else ctx.labor_rate
    paint_rate = insurer.paint_rate if insurer else ctx.labor_rate
    lines: list[dict[str, Any]] = []
    part_specs: list[tuple[int, tuple, str, Decimal, Decimal]] = []
    refinish_hours = Decimal("0.0")
    for description, part_category, est_category, (low, high), labor_h, refinish_h in damage:
        brand = rng.choice(("oem", "oem", "aftermarket", "recycled"))
        price = _money(rng, low, high)
        if brand != "oem":
            price = to_money(price * Decimal("0.72"))
        qty = Decimal(rng.choice((1, 1, 1, 2))) if part_category == "hardware" else Decimal(1)
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(3))
        part_number = f"{rng.randrange(10000, 99999)}-{letters}-A0{rng.randrange(0, 9)}"
        lines.append(
            dict(
                type="part",
                category=est_category,
                operation_code="replace",
                description=description,
                quantity=qty,
                unit_price=price,
                total_price=to_money(price * qty),
                part_number=part_number,
                part_type=_PART_TYPE_BY_BRAND[brand],
                cieca_part_type=_CIECA_BY_BRAND[brand],
                taxable=True,
            )
        )
        part_specs.append((len(lines) - 1, (description, part_category), brand, price, qty))
        if labor_h:
            hours = _hours(labor_h)
            lines.append(
                dict(
                    type="labor",
                    category=est_category,
                    operation_code="replace",
                    description=f"R&R {description.lower()}",
                    quantity=Decimal(1),
                    unit_price=to_money(hours * body_rate),
                    total_price=to_money(hours * body_rate),
                    labor_hours=hours,
                    labor_rate=body_rate,
                    labor_type="body",
                    cieca_labor_type="LAB",
                    taxable=True,
                )
            )
        if refinish_h:
            hours = _hours(refinish_h)
            refinish_hours += hours
            lines.append(
                dict(
                    type="labor",
                    category="refinish",
                    operation_code="refinish",
                    description=f"Refinish {description.lower()}",
                    quantity=Decimal(1),
                    unit_price=to_money(hours * paint_rate),
                    total_price=to_money(hours * paint_rate),
                    labor_hours=hours,
                    refinish_hours=hours,
                    labor_rate=paint_rate,
                    labor_type="paint",
                    cieca_labor_type="LAR",
                    is_refinish=True,
                    taxable=True,
                )
            )
    if refinish_hours:
        lines.append(
            dict(
                type="paint",
                category="paint",
                description="Paint materials",
                quantity=refinish_hours,
                unit_price=ctx.materials_rate,
                total_price=to_money(refinish_hours * ctx.materials_rate),
                taxable=True,
            )
        )
    lines.append(
        dict(
            type="material",
            category="other",
            description="Shop materials",
            quantity=Decimal(1),
            unit_price=Decimal("25.00"),
            total_price=Decimal("25.00"),
            taxable=True,
        )
    )
    lines.append(
        dict(
            type="material",
            category="other",
            description="Hazardous waste disposal",
            quantity=Decimal(1),
            unit_price=Decimal("5.00"),
            total_price=Decimal("5.00"),
            taxable=True,
        )
    )
    requires_adas = has_adas and any(d[0].startswith(("Front bumper", "Windshield", "Grille")) for d in damage)
    if requires_adas or rng.random() < 0.2:
        name, price = cat.SUBLETS[1] if requires_adas else rng.choice(cat.SUBLETS)
        lines.append(
            dict(
                type="sublet",
                category="other",
                description=name,
                quantity=Decimal(1),
                unit_price=Decimal(price),
                total_price=Decimal(price),
                taxable=True,
                is_sublet=True,
            )
        )
    for number, line in enumerate(lines, start=1):
        line.update(
            line_number=number,
            status="approved" if rank >= 1 else "pending",
            included_in_original=True,
            created_at=opened,
            updated_at=opened,
        )

    category_of = {"part": "parts", "labor": "labor", "paint": "materials", "material": "materials", "sublet": "sublet"}
    totals = compute_totals(
        [PricedLine(category_of.get(line["type"], "other"), line["total_price"], line["taxable"]) for line in lines],
        ctx.tax_rates,
    )
    by_type = {
        kind: sum((ln["total_price"] for ln in lines if ln["type"] == kind), Decimal("0.00"))
        for kind in ("part", "labor", "paint", "material", "sublet")
    }
    estimate = dict(
        shop_id=ctx.shop_id,
        insurance_company_id=insurer.id if insurer else None,
        estimate_number=numbers.estimate_number,
        claim_number=numbers.claim_number if insurer else None,
        date_of_loss=claim["date_of_loss"] if claim else None,
        parts_total=by_type["part"],
        labor_total=by_type["labor"],
        paint_total=by_type["paint"],
        material_total=by_type["material"],
        sublet_total=by_type["sublet"],
        other_total=Decimal("0.00"),
        tax_total=totals.total_taxes,
        estimate_total=totals.total,
        deductible=deductible,
        status="approved" if rank >= 1 else ("pending_review" if status == R.ESTIMATE_PENDING else "draft"),
        estimate_type="collision",
        damage_type=rng.choice(("minor", "moderate", "major")),
        is_drp=bool(insurer and insurer.is_drp),
        estimate_date=opened,
        expiration_date=opened + timedelta(days=30),
        approval_date=opened + timedelta(days=1) if rank >= 1 else None,
        insurance_approval=bool(insurer and rank >= 1),
        customer_approval=rank >= 1,
        created_by=ctx.user_id,
        created_at=opened,
        updated_at=opened,
    )

    # Part lines: one per estimate part line, in a state that fits the RO's status.
    part_lines: list[dict[str, Any]] = []
    states = PART_STATES[status]
    for n, (line_index, (description, part_category), brand, price, qty) in enumerate(part_specs):
        state = states[n % len(states)]
        if status in (R.DELIVERED, R.PAID) and n == 0 and rng.random() < 0.15:
            state = P.RETURNED  # a defective part sent back and replaced
        vendor = _vendor_for(rng, ctx.vendors, brand, make)
        net = to_money(price * Decimal("0.70"))
        order_date = (
            opened + timedelta(days=1.2) if state not in (P.NEEDED, P.SOURCING, P.QUOTED, P.CANCELLED) else None
        )
        eta = order_date + timedelta(days=vendor.lead_days) if order_date else None
        if state in (P.ORDERED, P.SHIPPED) and eta:
            # Still on its way: most due in the next days, a few already late.
            eta = max(eta, now + timedelta(days=rng.choice((-2, 1, 1, 2, 3, 4)), hours=rng.randrange(0, 8)))
        if state == P.BACKORDERED and eta:
            eta = max(eta, now) + timedelta(days=rng.randrange(3, 12))
        in_hand = state in (P.RECEIVED, P.INSPECTED, P.INSTALLED, P.RETURNED)
        received = min(eta, now - timedelta(hours=1)) if in_hand and eta else None
        received_qty = qty if received else Decimal(0)
        installed_qty = qty if state == P.INSTALLED else Decimal(0)
        margin = ((price - net) / price * 100).quantize(Decimal("0.01")) if price else None
        part_lines.append(
            dict(
                shop_id=ctx.shop_id,
                line_number=n + 1,
                part_description=description,
                operation_code="replace",
                oem_part_number=lines[line_index]["part_number"],
                part_category=part_category,
                part_condition=_CONDITION_BY_BRAND[brand],
                brand_type=brand,
                part_status=state,
                quantity_ordered=qty,
                quantity_received=received_qty,
                quantity_installed=installed_qty,
                quantity_returned=qty if state == P.RETURNED else Decimal(0),
                quantity_remaining=received_qty - installed_qty - (qty if state == P.RETURNED else 0),
                list_price=price,
                net_price=net,
                total_cost=to_money(net * qty),
                sell_price=price,
                markup=((price - net) / net * 100).quantize(Decimal("0.01")) if net else None,
                target_margin=Decimal({"oem": 25, "aftermarket": 35, "recycled": 40}[brand]),
                actual_margin=margin,
                order_date=order_date,
                estimated_delivery_date=eta,
                promised_delivery_date=eta,
                actual_delivery_date=received,
                received_date=received,
                installation_date=min(received + timedelta(days=1), now) if state == P.INSTALLED and received else None,
                return_date=min(received + timedelta(days=1), now) if state == P.RETURNED and received else None,
                return_reason="defective" if state == P.RETURNED else None,
                inspection_completed=state == P.INSPECTED,
                backorder_date=order_date if state == P.BACKORDERED else None,
                status_change_date=opened,
                created_at=opened,
                updated_at=opened,
                _estimate_line=line_index,
                _vendor=vendor,
            )
        )
    rollup = parts_rollup((pl["part_status"], pl["estimated_delivery_date"]) for pl in part_lines)

    production_rows, current_stage, percent = _production_rows(rng, ctx, status, rank, opened, requires_adas, damage)
    sla_type = rng.choice(("standard", "standard", "standard", "priority", "express", "insurance_sla"))
    target_days = SLA_TARGET_DAYS[sla_type]
    promised = opened + timedelta(days=target_days + rng.randrange(0, 4))
    delivered_at = opened + timedelta(days=max(rng.uniform(5, 14), 1)) if rank >= 6 else None
    if delivered_at and delivered_at > now:
        delivered_at = now - timedelta(hours=2)
    approved_total = totals.total if rank >= 1 else Decimal("0.00")
    insurance_portion, customer_portion = split_payers(
        approved_total, deductible, Decimal("0.00"), insured=insurer is not None
    )
    invoiced = approved_total if status in (R.INVOICED, R.PAID, R.ARCHIVED) else Decimal("0.00")
    paid = invoiced if status in (R.PAID, R.ARCHIVED) else Decimal("0.00")
    on_hold = status not in (R.CANCELLED,) and rank < 6 and rng.random() < 0.12
    hold_reason = (
        rng.choice(("parts_delay", "insurance_approval", "customer_approval", "sublet_delay")) if on_hold else None
    )
    estimated_hours = sum((ln.get("labor_hours") or Decimal(0) for ln in lines), Decimal(0))
    milestone = lambda r, days: opened + timedelta(days=days) if rank >= r else None  # noqa: E731
    repair_order = dict(
        shop_id=ctx.shop_id,
        repair_order_number=numbers.repair_order_number,
        ro_status=status,
        previous_status=None,
        status_change_date=opened + timedelta(hours=6),
        date_created=opened,
        date_estimate_approved=milestone(1, 1),
        date_parts_ordered=milestone(2, 1.2),
        date_production_started=milestone(3, 3),
        date_qc_completed=milestone(5, 6),
        promised_delivery_date=promised,
        actual_delivery_date=delivered_at,
        is_on_hold=on_hold,
        hold_reason=hold_reason,
        hold_start_date=now - timedelta(days=1) if on_hold else None,
        hold_description="Waiting on the insurer's desk adjuster" if hold_reason == "insurance_approval" else None,
        sla_type=sla_type,
        target_completion_days=target_days,
        estimated_total=totals.total,
        approved_total=approved_total,
        invoiced_total=invoiced,
        paid_amount=paid,
        balance_due=invoiced - paid,
        parts_cost=totals.parts,
        labor_cost=totals.labor,
        materials_cost=totals.materials,
        sublet_cost=totals.sublet,
        taxable_amount=totals.taxable_amount,
        pst_amount=totals.pst,
        gst_amount=totals.gst,
        hst_amount=totals.hst,
        total_taxes=totals.total_taxes,
        customer_portion_due=customer_portion,
        insurance_portion_due=insurance_portion,
        deductible_amount=deductible,
        deductible_collected=rank >= 6 and bool(insurer),
        parts_ordered_count=rollup.parts_ordered_count,
        parts_received_count=rollup.parts_received_count,
        parts_pending_count=rollup.parts_pending_count,
        parts_backordered_count=rollup.parts_backordered_count,
        all_parts_received=rollup.all_parts_received,
        next_part_expected_date=rollup.next_part_expected_date,
        production_stage=current_stage,
        production_percent_complete=percent,
        hours_estimated=estimated_hours,
        qc_required=True,
        qc_completed=rank >= 5,
        qc_passed=rank >= 5,
        qc_date=milestone(5, 6),
        requires_adas_calibration=requires_adas,
        adas_calibration_completed=requires_adas and rank >= 5,
        adas_calibration_date=milestone(5, 5.5) if requires_adas else None,
        warranty_provided=True,
        warranty_period=36 if rank >= 6 else None,
        warranty_start_date=delivered_at,
        warranty_end_date=delivered_at + timedelta(days=36 * 30.44) if delivered_at else None,
        primary_technician=rng.choice(ctx.technician_ids) if ctx.technician_ids else None,
        assigned_estimator=rng.choice(ctx.estimator_ids) if ctx.estimator_ids else None,
        created_by=ctx.user_id,
        created_at=opened,
        updated_at=opened,
    )
    job = dict(
        shop_id=ctx.shop_id,
        job_number=f"{numbers.repair_order_number}-1",
        job_type="collision",
        status=_job_status(status),
        priority="normal",
        claim_number=numbers.claim_number if insurer else None,
        deductible=deductible,
        total_amount=totals.total,
        labor_amount=totals.labor,
        parts_amount=totals.parts,
        materials_amount=totals.materials,
        sublet_amount=totals.sublet,
        tax_amount=totals.total_taxes,
        estimated_hours=estimated_hours,
        is_insurance=insurer is not None,
        is_customer_pay=insurer is None,
        is_drp=bool(insurer and insurer.is_drp),
        check_in_date=milestone(3, 2),
        actual_delivery_date=delivered_at,
        created_at=opened,
        updated_at=opened,
    )
    timeline = _timeline(rng, ctx, status, opened, first, phone, email)
    return Bundle(
        customer, vehicle, profile, claim, estimate, lines, repair_order, job, production_rows, part_lines, timeline
    )


def _vendor_for(rng: random.Random, vendors: list[VendorRef], brand: str, make: str) -> VendorRef:
    wanted = {"oem": "oem", "aftermarket": "aftermarket", "recycled": "recycled"}[brand]
    matches = [v for v in vendors if v.vendor_type == wanted]
    if brand == "oem":
        by_make = [v for v in matches if v.name.lower().startswith(make.lower()[:4])]
        matches = by_make or matches
    return rng.choice(matches or vendors)


def _job_status(status: R) -> str:
    return {
        R.DRAFT: "estimate",
        R.ESTIMATE_PENDING: "estimate",
        R.ESTIMATE_APPROVED: "intake",
        R.PARTS_ORDERED: "parts_ordering",
        R.PARTS_HOLD: "parts_receiving",
        R.SUPPLEMENT_PENDING: "on_hold",
        R.SUPPLEMENT_APPROVED: "body_structure",
        R.CUSTOMER_APPROVAL: "on_hold",
        R.IN_PRODUCTION: "body_structure",
        R.QUALITY_CONTROL: "quality_control",
        R.COMPLETED: "detail",
        R.READY_FOR_DELIVERY: "ready_pickup",
        R.DELIVERED: "delivered",
        R.INVOICED: "delivered",
        R.PAID: "delivered",
        R.ARCHIVED: "delivered",
        R.CANCELLED: "cancelled",
    }[status]


def _production_rows(
    rng: random.Random, ctx: SeedContext, status: R, rank: int, opened: datetime, requires_adas: bool, damage: list
) -> tuple[list[dict[str, Any]], str | None, int]:
    """One row per active stage; stages before the RO's point are done, the next one is under way."""
    structural = any(d[1] == "structural" for d in damage)
    mechanical = any(d[1] == "mechanical" for d in damage)
    not_needed = {
        S.ADAS_CALIBRATION: not requires_adas,
        S.FRAME_REPAIR: not structural,
        S.MECHANICAL_REPAIR: not mechanical,
    }
    last_done = _LAST_STAGE_DONE_BY_RANK[rank]
    order = [s.stage_type for s in ctx.stages]
    done_upto = order.index(last_done) if last_done in order else -1
    if status == R.IN_PRODUCTION:
        done_upto = rng.randrange(order.index(S.PARTS_HOLD), order.index(S.ASSEMBLY))
    rows: list[dict[str, Any]] = []
    current: str | None = None
    clock = opened + timedelta(hours=2)
    completed = 0
    for index, stage in enumerate(ctx.stages):
        stage_type = S(stage.stage_type)
        skip = not_needed.get(stage_type, False) or (
            stage_type in _SKIPPABLE and stage_type not in not_needed and rng.random() < 0.1
        )
        row = dict(
            shop_id=ctx.shop_id,
            production_stage_id=stage.id,
            stage_name=stage.name,
            stage_order=stage.stage_order,
            stage_type=stage.stage_type,
            stage_category=stage.workflow_category,
            stage_status=StageStatus.PENDING,
            qc_required=stage.requires_inspection,
            priority="normal",
            triggered_by="seed",
            created_at=opened,
            updated_at=opened,
        )
        if index <= done_upto:
            if skip:
                row.update(stage_status=StageStatus.BYPASSED, status_change_date=clock)
            else:
                hours = Decimal(rng.choice(("0.5", "1.0", "2.0", "3.5", "5.0")))
                end = clock + timedelta(hours=float(hours) * 1.3)
                row.update(
                    stage_status=StageStatus.COMPLETED,
                    actual_start_date=clock,
                    actual_end_date=end,
                    completion_date=end,
                    is_completed=True,
                    progress_percentage=100,
                    actual_duration=int(float(hours) * 78),
                    estimated_hours=hours,
                    actual_hours=hours,
                    assigned_technician=rng.choice(ctx.technician_ids) if ctx.technician_ids else None,
                    qc_completed=stage.requires_inspection,
                    qc_passed=stage.requires_inspection,
                    status_change_date=end,
                )
                clock = end
            completed += 1
        elif index == done_upto + 1 and rank >= 2 and status not in (R.CANCELLED,):
            if skip:
                row.update(stage_status=StageStatus.BYPASSED, status_change_date=clock)
                completed += 1
            else:
                started = status in (R.IN_PRODUCTION, R.QUALITY_CONTROL, R.PARTS_HOLD)
                row.update(
                    stage_status=StageStatus.IN_PROGRESS if started else StageStatus.READY,
                    actual_start_date=clock if started else None,
                    progress_percentage=rng.choice((10, 40, 60)) if started else 0,
                    status_change_date=clock,
                    assigned_technician=rng.choice(ctx.technician_ids) if ctx.technician_ids else None,
                )
                current = stage.stage_type
        rows.append(row)
    percent = round(100 * completed / len(ctx.stages)) if ctx.stages else 0
    if rank >= 6:
        current = S.DELIVERY
    return rows, current, percent


def _timeline(
    rng: random.Random, ctx: SeedContext, status: R, opened: datetime, first: str, phone: str, email: str
) -> list[dict[str, Any]]:
    entries = [
        dict(
            shop_id=ctx.shop_id,
            contact_type="outbound",
            communication_method="text",
            direction="outgoing",
            status="delivered",
            subject="Vehicle checked in",
            contact_phone=phone,
            message=f"Hi {first}, we have your vehicle and will keep you posted on the repair.",
            scheduled_at=opened,
            attempted_at=opened,
            completed_at=opened,
            customer_language="en",
            source_channel="system",
            created_at=opened,
            updated_at=opened,
        ),
        dict(
            shop_id=ctx.shop_id,
            contact_type="inbound",
            communication_method="call",
            direction="incoming",
            status="completed",
            subject="Customer asked for an update",
            contact_phone=phone,
            notes="Explained where the car is in production.",
            duration_seconds=rng.randrange(60, 420),
            attempted_at=opened + timedelta(days=1),
            completed_at=opened + timedelta(days=1),
            user_id=ctx.user_id,
            source_channel="manual",
            created_at=opened,
            updated_at=opened,
        ),
    ]
    if _STATUS_RANK[status] < 6 and status != R.CANCELLED:
        due = ctx.now + timedelta(days=rng.choice((-1, 1, 2)))
        entries.append(
            dict(
                shop_id=ctx.shop_id,
                contact_type="outbound",
                communication_method="call",
                direction="outgoing",
                status="pending",
                subject="Follow-up call",
                contact_email=email,
                contact_phone=phone,
                requires_followup=True,
                followup_date=due,
                followup_reason="Confirm promised date with the customer",
                scheduled_at=due,
                priority="normal",
                source_channel="manual",
                created_at=opened,
                updated_at=opened,
            )
        )
    return entries
