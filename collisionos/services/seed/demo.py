"""``flask seed demo``: a believable shop to try CollisionOS on, plus a second shop to show isolation."""

from __future__ import annotations

import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from collisionos.domain.money import to_money
from collisionos.domain.numbering import customer_number, dated_number, repair_order_number
from collisionos.domain.production import STAGE_BY_TYPE
from collisionos.domain.settings import merged_settings
from collisionos.extensions import db
from collisionos.models import (
    ClaimManagement,
    ContactTimeline,
    Customer,
    Estimate,
    EstimateLineItem,
    Job,
    LoanerReservation,
    LoanerVehicle,
    Part,
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
from collisionos.models.enums import PartStatus as P
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.enums import Role
from collisionos.services.numbering import reserve_numbers
from collisionos.services.seed import catalogue as cat
from collisionos.services.seed.defaults import seed_defaults
from collisionos.services.seed.generator import (
    Bundle,
    InsurerRef,
    Numbers,
    SeedContext,
    StageRef,
    VendorRef,
    build_bundle,
)
from collisionos.services.seed.reference import ensure_insurers, ensure_vendors
from collisionos.services.seed.vins import make_vin
from collisionos.services.users import create_user

DEMO_PASSWORD_DEFAULT = "collision-demo-2026"  # noqa: S105  (demo data only, printed to the user)
DEMO_DOMAIN = "maple.example"
SECOND_SHOP_DOMAIN = "riverside.example"
DEMO_MARKER = "demoSeeded"

DEMO_STAFF = (
    (Role.OWNER, "Olivia", "Moreau"),
    (Role.ADMIN, "Platform", "Admin"),
    (Role.MANAGER, "Marcus", "Reid"),
    (Role.SERVICE_ADVISOR, "Sana", "Malik"),
    (Role.ESTIMATOR, "Ethan", "Walsh"),
    (Role.PARTS_MANAGER, "Paula", "Nguyen"),
    (Role.RECEPTIONIST, "Rita", "Costa"),
    (Role.ACCOUNTANT, "Alan", "Brooks"),
    (Role.TECHNICIAN, "Tom", "Baker"),
    (Role.TECHNICIAN, "Tara", "Singh"),
    (Role.TECHNICIAN, "Theo", "Leclerc"),
)
# 60 ROs spread over every status, weighted towards work in progress.
DEMO_STATUSES = (
    [R.DRAFT] * 2
    + [R.ESTIMATE_PENDING] * 4
    + [R.ESTIMATE_APPROVED] * 4
    + [R.PARTS_ORDERED] * 5
    + [R.PARTS_HOLD] * 4
    + [R.IN_PRODUCTION] * 10
    + [R.QUALITY_CONTROL] * 3
    + [R.SUPPLEMENT_PENDING] * 2
    + [R.SUPPLEMENT_APPROVED] * 2
    + [R.CUSTOMER_APPROVAL] * 2
    + [R.COMPLETED] * 2
    + [R.READY_FOR_DELIVERY] * 3
    + [R.DELIVERED] * 4
    + [R.INVOICED] * 3
    + [R.PAID] * 4
    + [R.ARCHIVED] * 2
    + [R.CANCELLED] * 2
)


@dataclass
class DemoReport:
    created: bool
    shop: Shop
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (email, role, shop name)
    password: str = DEMO_PASSWORD_DEFAULT
    counts: dict[str, int] = field(default_factory=dict)


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def _demo_logins() -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        sa.select(User.email, User.role, Shop.name)
        .join(Shop, User.shop_id == Shop.id, isouter=True)
        .where(User.email.like(f"%@{DEMO_DOMAIN}") | User.email.like(f"%@{SECOND_SHOP_DOMAIN}"))
        .order_by(Shop.id, User.id)
    ).all()
    return [(email, role, name or "all shops") for email, role, name in rows]


def seed_demo(*, now: datetime, seed: int = 2026) -> DemoReport:
    """Fill the first shop with demo staff, customers, repair orders, parts, POs and loaners; idempotent."""
    defaults = seed_defaults(
        now=now,
        shop_name=os.environ.get("SHOP_NAME", "Maple Collision Centre"),
        owner_email=os.environ.get("OWNER_EMAIL", f"owner@{DEMO_DOMAIN}"),
        owner_password=os.environ.get("OWNER_PASSWORD", demo_password()),
    )
    shop = defaults.shop
    if (shop.settings or {}).get(DEMO_MARKER):
        return DemoReport(False, shop, _demo_logins(), demo_password())
    rng = random.Random(seed)
    password = demo_password()
    counts: dict[str, int] = defaultdict(int)
    staff = _create_staff(shop, now, password, DEMO_DOMAIN, DEMO_STAFF, counts)
    _fill_shop(rng, shop, now, staff, DEMO_STATUSES, counts, reuse_customers=20)

    second = _second_shop(now)
    second_staff = _create_staff(
        second,
        now,
        password,
        SECOND_SHOP_DOMAIN,
        ((Role.OWNER, "Rowan", "Hughes"), (Role.MANAGER, "Grace", "Kim"), (Role.TECHNICIAN, "Ivan", "Petrov")),
        counts,
    )
    _fill_shop(
        rng,
        second,
        now,
        second_staff,
        [
            R.ESTIMATE_PENDING,
            R.PARTS_ORDERED,
            R.IN_PRODUCTION,
            R.IN_PRODUCTION,
            R.QUALITY_CONTROL,
            R.READY_FOR_DELIVERY,
            R.DELIVERED,
            R.PAID,
        ],
        counts,
        reuse_customers=0,
    )
    settings = dict(shop.settings or {})
    settings[DEMO_MARKER] = True
    shop.settings = settings
    db.session.commit()
    return DemoReport(True, shop, _demo_logins(), password, dict(counts))


def _second_shop(now: datetime) -> Shop:
    shop = Shop(
        name="Riverside Auto Body",
        email=f"office@{SECOND_SHOP_DOMAIN}",
        phone="519-555-0142",
        address="42 Riverside Dr",
        city="London",
        state="ON",
        postal_code="N6A 1B2",
        created_at=now,
        updated_at=now,
    )
    db.session.add(shop)
    db.session.flush()
    seed_defaults(now=now, shop_id=shop.id, owner_email=f"owner@{SECOND_SHOP_DOMAIN}", owner_password=demo_password())
    return shop


def _create_staff(
    shop: Shop, now: datetime, password: str, domain: str, people: tuple, counts: dict[str, int]
) -> dict[str, list[User]]:
    staff: dict[str, list[User]] = defaultdict(list)
    for role, first, last in people:
        email = f"{role.value.replace('_', '.')}@{domain}"
        if role == Role.TECHNICIAN:
            email = f"{first.lower()}.{last.lower()}@{domain}"
        existing = db.session.scalar(sa.select(User).where(User.email == email))
        if existing is None:
            existing = create_user(
                actor=None,
                now=now,
                email=email,
                role=role,
                shop_id=None if role == Role.ADMIN else shop.id,
                password=password,
                first_name=first,
                last_name=last,
                commit=False,
            )
            if role == Role.TECHNICIAN:
                existing.hourly_rate = Decimal("34.50")
                existing.department = "body"
                existing.skills = ["structural", "aluminum"] if first == "Tom" else ["refinish"]
            counts["users"] += 1
        staff[role].append(existing)
    db.session.flush()
    return staff


def _fill_shop(
    rng: random.Random,
    shop: Shop,
    now: datetime,
    staff: dict[str, list[User]],
    statuses: list[R],
    counts: dict[str, int],
    reuse_customers: int,
) -> None:
    settings = merged_settings(shop.settings)
    insurers = ensure_insurers(rng, shop, now)
    vendors = [(v, v.average_delivery_time or 2) for v in ensure_vendors(shop, now)]
    counts["insurance_companies"] += len(insurers)
    counts["vendors"] += len(vendors)
    _stock_parts(rng, shop, now, vendors, counts)
    stages = [
        StageRef(
            s.id,
            s.workflow_stage_type,
            s.stage_name,
            s.stage_order,
            _workflow_category(s.workflow_stage_type),
            s.requires_inspection,
        )
        for s in db.session.scalars(
            sa.select(ProductionStage)
            .where(ProductionStage.shop_id == shop.id, ProductionStage.is_active.is_(True))
            .order_by(ProductionStage.stage_order)
        )
    ]
    owner = (staff.get(Role.OWNER) or staff.get(Role.MANAGER))[0]
    ctx = SeedContext(
        shop_id=shop.id,
        now=now,
        user_id=owner.id,
        technician_ids=[u.id for u in staff.get(Role.TECHNICIAN, [])],
        estimator_ids=[u.id for u in staff.get(Role.ESTIMATOR, []) or staff.get(Role.MANAGER, [])],
        insurers=[
            InsurerRef(
                i.id,
                i.name,
                i.body_labor_rate,
                i.paint_labor_rate,
                i.rental_car_limit,
                i.rental_car_days_limit,
                i.is_drp,
            )
            for i in insurers
        ],
        vendors=[VendorRef(v.id, v.name, v.vendor_type, lead) for v, lead in vendors],
        stages=stages,
        labor_rate=Decimal(settings["laborRate"]),
        materials_rate=Decimal(settings["paintAndMaterialsRate"]),
        tax_rates=settings["taxes"],
    )
    tz = ZoneInfo(shop.timezone)
    shuffled = list(statuses)
    rng.shuffle(shuffled)
    customers: list[Customer] = []
    repair_orders: list[tuple[RepairOrder, Bundle]] = []
    prefix, start = settings["repairOrderNumberPrefix"], int(settings["repairOrderNumberStart"])
    for index, status in enumerate(shuffled):
        reuse = customers and index >= len(shuffled) - reuse_customers
        numbers = Numbers(
            customer_number="" if reuse else customer_number(reserve_numbers(shop.id, "customer")),
            repair_order_number=repair_order_number(prefix, start, reserve_numbers(shop.id, "repair_order")),
            estimate_number="",
            claim_number=f"{rng.choice('ABCDEFGH')}{rng.randrange(10, 99)}-{now.year}-{rng.randrange(1000, 9999)}",
        )
        bundle = build_bundle(rng, ctx, numbers, status)
        opened_day = bundle.repair_order["date_created"].astimezone(tz).date()
        bundle.estimate["estimate_number"] = dated_number(
            "EST", opened_day, reserve_numbers(shop.id, f"estimate:{opened_day:%y%m%d}")
        )
        customer = rng.choice(customers) if reuse else None
        ro = _write_bundle(bundle, customer)
        if not reuse:
            customers.append(ro.customer)
        repair_orders.append((ro, bundle))
        counts["repair_orders"] += 1
    db.session.flush()
    _purchase_orders(shop, now, tz, repair_orders, staff, counts)
    _loaners(rng, shop, now, repair_orders, counts)


def _workflow_category(stage_type: str) -> str:
    return STAGE_BY_TYPE[stage_type].workflow_category


def _stock_parts(
    rng: random.Random, shop: Shop, now: datetime, vendors: list[tuple[Vendor, int]], counts: dict[str, int]
) -> None:
    paint_vendor = next((v for v, _ in vendors if v.vendor_type == "paint_supplier"), None)
    stock = (
        ("CLIP-PUSH-8MM", "Push-type retainer clip 8 mm (bag of 25)", "hardware", "6.40", "14.95", 40, 10),
        ("TAPE-3M-06386", 'Double-sided moulding tape 1/2"', "accessory", "18.20", "32.00", 12, 4),
        ("PAINT-CLEAR-HS", "High-solids clear coat, 1 gallon", "paint", "96.00", "148.00", 6, 2),
        ("PAINT-PRIMER-2K", "2K urethane primer, 1 litre", "paint", "41.50", "68.00", 8, 3),
        ("ADH-SEAM-310", "Seam sealer cartridge 310 ml", "paint", "12.75", "22.50", 20, 6),
        ("BULB-H11", "H11 halogen bulb", "electrical", "9.10", "18.00", 10, 4),
    )
    for number, description, category, cost, sell, on_hand, minimum in stock:
        db.session.add(
            Part(
                shop_id=shop.id,
                part_number=number,
                description=description,
                category=category if category != "hardware" else "accessory",
                part_type="aftermarket",
                current_stock=on_hand,
                minimum_stock=minimum,
                reorder_point=minimum + 2,
                reorder_quantity=minimum * 2,
                cost_price=Decimal(cost),
                selling_price=Decimal(sell),
                location="Parts room",
                bin_number=f"B{rng.randrange(1, 40):02d}",
                primary_vendor_id=paint_vendor.id if paint_vendor else None,
                created_at=now,
                updated_at=now,
            )
        )
        counts["parts"] += 1


def _write_bundle(bundle: Bundle, customer: Customer | None) -> RepairOrder:
    """Turn a generated bundle into ORM rows (so the audit trail and model validation apply)."""
    if customer is None:
        customer = Customer(**bundle.customer)
        db.session.add(customer)
        db.session.flush()
    vehicle = Vehicle(customer_id=customer.id, **bundle.vehicle)
    db.session.add(vehicle)
    db.session.flush()
    profile = VehicleProfile(customer_id=customer.id, vehicle_id=vehicle.id, **bundle.profile)
    db.session.add(profile)
    db.session.flush()
    claim = None
    if bundle.claim:
        claim = ClaimManagement(customer_id=customer.id, vehicle_profile_id=profile.id, **bundle.claim)
        db.session.add(claim)
    estimate = Estimate(customer_id=customer.id, vehicle_id=vehicle.id, **bundle.estimate)
    db.session.add(estimate)
    db.session.flush()
    estimate_lines = [EstimateLineItem(estimate_id=estimate.id, **line) for line in bundle.estimate_lines]
    db.session.add_all(estimate_lines)
    ro = RepairOrder(
        customer_id=customer.id,
        vehicle_profile_id=profile.id,
        claim_management_id=claim.id if claim else None,
        estimate_id=estimate.id,
        **bundle.repair_order,
    )
    db.session.add(ro)
    db.session.flush()
    db.session.add(Job(repair_order_id=ro.id, customer_id=customer.id, vehicle_id=vehicle.id, **bundle.job))
    db.session.add_all(ProductionWorkflow(repair_order_id=ro.id, **row) for row in bundle.production_rows)
    db.session.flush()
    for line in bundle.part_lines:
        values = {k: v for k, v in line.items() if not k.startswith("_")}
        db.session.add(
            PartLine(
                repair_order_id=ro.id,
                vendor_id=line["_vendor"].id,
                estimate_line_item_id=estimate_lines[line["_estimate_line"]].id,
                **values,
            )
        )
    for entry in bundle.timeline:
        db.session.add(ContactTimeline(customer_id=customer.id, repair_order_id=ro.id, **entry))
    return ro


def _purchase_orders(
    shop: Shop,
    now: datetime,
    tz: ZoneInfo,
    repair_orders: list[tuple[RepairOrder, Bundle]],
    staff: dict[str, list[User]],
    counts: dict[str, int],
) -> None:
    """One PO per RO and vendor for the part lines that were ordered (DOMAIN.md §5.1 numbering)."""
    buyer = (staff.get(Role.PARTS_MANAGER) or staff.get(Role.OWNER))[0]
    approver = (staff.get(Role.MANAGER) or staff.get(Role.OWNER))[0]
    threshold = Decimal(merged_settings(shop.settings)["poApprovalThreshold"])
    for ro, _bundle in repair_orders:
        lines = db.session.scalars(sa.select(PartLine).where(PartLine.repair_order_id == ro.id)).all()
        by_vendor: dict[int, list[PartLine]] = defaultdict(list)
        for line in lines:
            if line.order_date is not None and line.vendor_id is not None:
                by_vendor[line.vendor_id].append(line)
        for vendor_id, vendor_lines in by_vendor.items():
            vendor = db.session.get(Vendor, vendor_id)
            po_date = min(line.order_date for line in vendor_lines)
            year_month = po_date.astimezone(tz).strftime("%y%m")
            sequence = reserve_numbers(shop.id, f"po:{ro.repair_order_number}:{year_month}:{vendor.vendor_code}")
            number = f"{ro.repair_order_number}-{year_month}-{vendor.vendor_code}-{sequence:03d}"
            ordered = sum((line.quantity_ordered for line in vendor_lines), Decimal(0))
            received = sum((min(line.quantity_received, line.quantity_ordered) for line in vendor_lines), Decimal(0))
            subtotal = to_money(sum((line.total_cost or 0 for line in vendor_lines), Decimal(0)))
            percent = (received / ordered * 100).quantize(Decimal("0.01")) if ordered else Decimal(0)
            if percent >= 100:
                po_status, receiving = "fully_received", "complete"
            elif received > 0:
                po_status, receiving = "partial_received", "partial"
            else:
                po_status, receiving = "sent", "not_started"
            needs_approval = subtotal >= threshold
            po = PurchaseOrder(
                shop_id=shop.id,
                repair_order_id=ro.id,
                vendor_id=vendor.id,
                purchase_order_number=number,
                ro_number=ro.repair_order_number,
                year_month=year_month,
                vendor_code=vendor.vendor_code,
                sequence_number=sequence,
                po_status=po_status,
                po_date=po_date,
                vendor_name=vendor.name,
                vendor_email=vendor.email,
                subtotal_amount=subtotal,
                total_amount=subtotal,
                total_line_items=len(vendor_lines),
                total_quantity=ordered,
                total_received=received,
                percent_received=percent,
                receiving_status=receiving,
                requires_approval=needs_approval,
                approval_threshold=threshold,
                approved_by=approver.id if needs_approval else None,
                approved_date=po_date if needs_approval else None,
                transmission_method="email",
                sent_date=po_date,
                sent_by=buyer.id,
                requested_by=buyer.id,
                created_by=buyer.id,
                backordered_items=sum(1 for line in vendor_lines if line.part_status == P.BACKORDERED),
                first_receipt_date=min((ln.received_date for ln in vendor_lines if ln.received_date), default=None),
                last_receipt_date=max((ln.received_date for ln in vendor_lines if ln.received_date), default=None),
                created_at=po_date,
                updated_at=po_date,
            )
            db.session.add(po)
            db.session.flush()
            for line in vendor_lines:
                line.purchase_order_id = po.id
                line.purchase_order_number = number
                line.ordered_by = buyer.id
            counts["purchase_orders"] += 1


def _loaners(
    rng: random.Random,
    shop: Shop,
    now: datetime,
    repair_orders: list[tuple[RepairOrder, Bundle]],
    counts: dict[str, int],
) -> None:
    """A small loaner fleet: one car out, one back with extra kilometres, one booked ahead."""
    fleet = []
    for unit, make, model, year, vehicle_class, wmi, rate, allowance, per_km, tank in cat.LOANERS:
        loaner = LoanerVehicle(
            shop_id=shop.id,
            unit_id=unit,
            license_plate=f"LNR{unit[-2:]}{rng.randrange(100, 999)}",
            plate_province="ON",
            vin=make_vin(rng, wmi, year),
            year=year,
            make=make,
            model=model,
            vehicle_class=vehicle_class,
            vehicle_type="loaner",
            seating_capacity=5,
            current_status="available",
            current_odometer=rng.randrange(12_000, 60_000),
            odometer_unit="kilometers",
            fuel_level=100,
            daily_rental_rate=Decimal(rate),
            mileage_rate=Decimal(per_km),
            mileage_allowance_daily=allowance,
            fuel_tank_capacity=Decimal(tank),
            insurance_expiry_date=now + timedelta(days=200),
            registration_expiry_date=now + timedelta(days=300),
            created_at=now,
            updated_at=now,
        )
        db.session.add(loaner)
        fleet.append(loaner)
    db.session.flush()
    counts["loaner_vehicles"] += len(fleet)
    in_shop = [ro for ro, b in repair_orders if ro.ro_status in (R.IN_PRODUCTION, R.PARTS_HOLD, R.QUALITY_CONTROL)]
    delivered = [ro for ro, b in repair_orders if ro.ro_status in (R.DELIVERED, R.PAID)]
    booked = [ro for ro, b in repair_orders if ro.ro_status in (R.ESTIMATE_APPROVED, R.PARTS_ORDERED)]
    plans: list[tuple[RepairOrder, LoanerVehicle, str]] = []
    for ro, loaner in zip(in_shop[:2], fleet[:2], strict=False):
        plans.append((ro, loaner, "active"))
    if delivered:
        plans.append((delivered[0], fleet[2], "completed"))
    if booked:
        plans.append((booked[0], fleet[3], "confirmed"))
    for ro, loaner, state in plans:
        start = now - timedelta(days=4) if state != "confirmed" else now + timedelta(days=2)
        end = start + timedelta(days=6)
        day = start.astimezone(ZoneInfo(shop.timezone)).date()
        reservation = LoanerReservation(
            shop_id=shop.id,
            customer_id=ro.customer_id,
            repair_order_id=ro.id,
            loaner_vehicle_id=loaner.id,
            claim_management_id=ro.claim_management_id,
            reservation_number=dated_number("RES", day, reserve_numbers(shop.id, f"reservation:{day:%y%m%d}")),
            reservation_status=state,
            requested_start_date=start,
            requested_end_date=end,
            confirmed_start_date=start,
            confirmed_end_date=end,
            primary_driver_name=ro.customer.first_name + " " + ro.customer.last_name,
            primary_driver_license=f"D{rng.randrange(10**13, 10**14)}",
            eligibility_verified=ro.claim_management_id is not None,
            eligibility_source="insurance" if ro.claim_management_id else "customer_pay",
            base_rental_rate=loaner.daily_rental_rate,
            daily_mileage_allowance=loaner.mileage_allowance_daily,
            excess_mileage_rate=loaner.mileage_rate,
            rental_agreement_signed=state != "confirmed",
            customer_insurance_verified=state != "confirmed",
            driving_record_checked=state != "confirmed",
            created_at=now,
            updated_at=now,
        )
        if state in ("active", "completed"):
            reservation.actual_pickup_date = start
            reservation.pickup_odometer = loaner.current_odometer
            reservation.pickup_fuel_level = 100
            reservation.pickup_inspection_complete = True
            loaner.current_status = "rented"
            loaner.current_renter_id = ro.customer_id
        if state == "completed":
            days = 3
            driven = loaner.mileage_allowance_daily * days + 180
            reservation.actual_return_date = start + timedelta(days=days)
            reservation.return_odometer = loaner.current_odometer + driven
            reservation.return_fuel_level = 100
            reservation.return_inspection_complete = True
            reservation.total_rental_days = days
            reservation.total_miles_driven = driven
            reservation.excess_mileage = 180
            reservation.excess_mileage_charge = to_money(Decimal(180) * loaner.mileage_rate)
            reservation.total_rental_charge = to_money(loaner.daily_rental_rate * days)
            reservation.total_amount = reservation.total_rental_charge + reservation.excess_mileage_charge
            reservation.amount_covered_by_insurance = (
                reservation.total_rental_charge if ro.claim_management_id else Decimal("0.00")
            )
            reservation.customer_responsible_amount = reservation.total_amount - reservation.amount_covered_by_insurance
            loaner.current_status = "available"
            loaner.current_renter_id = None
            loaner.current_odometer = reservation.return_odometer
            loaner.total_rentals = 1
            loaner.total_rental_miles = driven
        db.session.add(reservation)
        counts["loaner_reservations"] += 1
