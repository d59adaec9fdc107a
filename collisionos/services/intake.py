"""Opening a repair order at the front counter: customer, vehicle, claim, RO, draft estimate and
production rows in one step, all or nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.domain.errors import NotFound, ValidationError
from collisionos.domain.money import to_money
from collisionos.domain.numbering import customer_number, dated_number, repair_order_number
from collisionos.domain.vin import validate_vin
from collisionos.extensions import db
from collisionos.models import (
    ClaimManagement,
    Customer,
    Estimate,
    InsuranceCompany,
    RepairOrder,
    Vehicle,
    VehicleProfile,
)
from collisionos.services.numbering import reserve_numbers
from collisionos.services.production import create_production_rows
from collisionos.services.repair_orders import local_day, refresh_repair_order, shop_settings
from collisionos.services.unit_of_work import use_case


@dataclass(frozen=True)
class Intake:
    """What the front office types to open an RO. An existing customer or vehicle is chosen by id."""

    customer_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    vehicle_id: int | None = None
    vin: str | None = None
    year: int | None = None
    make: str | None = None
    model: str | None = None
    license_plate: str | None = None
    odometer: int | None = None
    insurance_company_id: int | None = None
    claim_number: str | None = None
    deductible: Decimal | None = None
    promised_delivery_date: datetime | None = None
    sla_type: str = "standard"
    requires_adas_calibration: bool = False
    is_rush: bool = False


def number_repair_order(shop_id: int) -> str:
    """The shop's next RO number, e.g. RO10061, from its locked counter."""
    settings = shop_settings(shop_id)
    prefix, start = settings["repairOrderNumberPrefix"], int(settings["repairOrderNumberStart"])
    return repair_order_number(prefix, start, reserve_numbers(shop_id, "repair_order"))


def start_repair_order(ro: RepairOrder, *, actor: Any, now: datetime, refresh: bool = True) -> RepairOrder:
    """Finish a new RO inside the caller's use case: its number, production rows and roll-ups.

    ``refresh=False`` leaves the roll-ups to a caller that adds more to the RO and refreshes it once at the end.
    """
    if not ro.repair_order_number:
        ro.repair_order_number = number_repair_order(ro.shop_id)
    if ro.date_created is None:
        ro.date_created = now
    db.session.add(ro)
    db.session.flush()
    create_production_rows(ro, actor=actor, now=now)
    if refresh:
        refresh_repair_order(ro, now)
    return ro


def _customer(shop_id: int, data: Intake) -> Customer:
    if data.customer_id:
        customer = db.session.get(Customer, data.customer_id)
        if customer is None or customer.shop_id != shop_id:
            raise NotFound("No such customer in this shop.", rule="not_found")
        return customer
    first, last = (data.first_name or "").strip(), (data.last_name or "").strip()
    if not first or not last:
        raise ValidationError(
            "Enter the customer's first and last name, or choose an existing customer.", rule="customer_required"
        )
    if not (data.phone or data.email):
        raise ValidationError(
            "Enter a phone number or an email so the shop can reach the customer.", rule="contact_required"
        )
    customer = Customer(
        shop_id=shop_id,
        customer_number=customer_number(reserve_numbers(shop_id, "customer")),
        first_name=first[:50],
        last_name=last[:50],
        phone=(data.phone or "").strip()[:20] or None,
        email=(data.email or "").strip()[:255] or None,
    )
    db.session.add(customer)
    db.session.flush()
    return customer


def _vehicle(shop_id: int, customer: Customer, data: Intake) -> VehicleProfile:
    if data.vehicle_id:
        profile = db.session.scalar(sa.select(VehicleProfile).where(VehicleProfile.vehicle_id == data.vehicle_id))
        if profile is None or profile.shop_id != shop_id:
            raise NotFound("No such vehicle in this shop.", rule="not_found")
        return profile
    vin = validate_vin(data.vin)
    if not (data.year and data.make and data.model):
        raise ValidationError("Enter the vehicle's year, make and model.", rule="vehicle_required")
    taken = db.session.scalar(sa.select(Vehicle).where(Vehicle.shop_id == shop_id, Vehicle.vin == vin))
    if taken is not None:
        raise ValidationError(f"VIN {vin} is already on file ({taken}); choose that vehicle instead.", rule="vin_taken")
    vehicle = Vehicle(
        shop_id=shop_id,
        customer_id=customer.id,
        vin=vin,
        year=data.year,
        make=data.make.strip()[:100],
        model=data.model.strip()[:100],
        license_plate=(data.license_plate or "").strip().upper()[:20] or None,
        mileage=data.odometer,
    )
    db.session.add(vehicle)
    db.session.flush()
    profile = VehicleProfile(
        shop_id=shop_id,
        customer_id=customer.id,
        vehicle_id=vehicle.id,
        vin=vin,
        year=data.year,
        make=vehicle.make,
        model=vehicle.model,
        license_plate=vehicle.license_plate,
        current_odometer=data.odometer,
        requires_calibration=data.requires_adas_calibration,
    )
    db.session.add(profile)
    db.session.flush()
    return profile


def _claim(
    shop_id: int, customer: Customer, profile: VehicleProfile, data: Intake, now: datetime
) -> ClaimManagement | None:
    number = (data.claim_number or "").strip()
    if not number:
        return None
    insurer = None
    if data.insurance_company_id:
        insurer = db.session.get(InsuranceCompany, data.insurance_company_id)
        if insurer is None or insurer.shop_id != shop_id:
            raise NotFound("No such insurer in this shop.", rule="not_found")
    deductible = to_money(data.deductible)
    if deductible < 0:
        raise ValidationError("The deductible cannot be negative.", rule="deductible_negative")
    claim = ClaimManagement(
        shop_id=shop_id,
        customer_id=customer.id,
        vehicle_profile_id=profile.id,
        insurance_company_id=insurer.id if insurer else None,
        claim_number=number[:100],
        claim_status="open",
        date_claim_opened=now,
        deductible_amount=deductible,
        is_drp_claim=bool(insurer and insurer.is_drp),
        ats_eligible=bool(insurer and insurer.rental_car_limit),
        ats_allowance_amount=insurer.rental_car_limit if insurer else None,
        ats_days_approved=insurer.rental_car_days_limit if insurer else None,
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def open_repair_order(shop_id: int, data: Intake, *, actor: Any, now: datetime) -> RepairOrder:
    """Create the customer (or use one), the vehicle, the claim, the RO with a draft estimate and its stages."""
    with use_case(actor):
        customer = _customer(shop_id, data)
        profile = _vehicle(shop_id, customer, data)
        claim = _claim(shop_id, customer, profile, data, now)
        day = local_day(shop_id, now)
        estimate = Estimate(
            shop_id=shop_id,
            customer_id=customer.id,
            vehicle_id=profile.vehicle_id,
            insurance_company_id=claim.insurance_company_id if claim else None,
            claim_number=claim.claim_number if claim else None,
            estimate_number=dated_number("EST", day, reserve_numbers(shop_id, f"estimate:{day:%y%m%d}")),
            estimate_date=now,
            deductible=claim.deductible_amount if claim else None,
            status="draft",
            created_by=actor.id,
        )
        db.session.add(estimate)
        db.session.flush()
        ro = RepairOrder(
            shop_id=shop_id,
            customer_id=customer.id,
            vehicle_profile_id=profile.id,
            claim_management_id=claim.id if claim else None,
            estimate_id=estimate.id,
            promised_delivery_date=data.promised_delivery_date,
            sla_type=data.sla_type or "standard",
            requires_adas_calibration=data.requires_adas_calibration,
            is_rush=data.is_rush,
            created_by=actor.id,
        )
        start_repair_order(ro, actor=actor, now=now)
    return ro


def create_repair_order(shop_id: int, fill: Callable[[RepairOrder], None], *, actor: Any, now: datetime) -> RepairOrder:
    """Create an RO from the admin form: ``fill`` copies the form's fields; the number and stages follow."""
    with use_case(actor):
        ro = RepairOrder(shop_id=shop_id, created_by=actor.id)
        fill(ro)
        ro.shop_id = shop_id
        if ro.customer_id is None or ro.vehicle_profile_id is None:
            raise ValidationError("Choose the customer and the vehicle.", rule="ro_customer_vehicle")
        profile = db.session.get(VehicleProfile, ro.vehicle_profile_id)
        if profile is None or profile.shop_id != shop_id or profile.customer_id != ro.customer_id:
            raise ValidationError("The vehicle must be one of the chosen customer's vehicles.", rule="ro_vehicle_owner")
        start_repair_order(ro, actor=actor, now=now)
    return ro
