"""The records an imported estimate names: customer, vehicle, insurer, claim (found, else created)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from collisionos.domain.bms.model import BmsEstimate, BmsRejected, Party
from collisionos.domain.money import to_money
from collisionos.domain.numbering import customer_number
from collisionos.domain.search_keys import email_key, name_key, phone_key
from collisionos.domain.vin import decode_vin
from collisionos.extensions import db
from collisionos.models import ClaimManagement, Customer, InsuranceCompany, User, Vehicle, VehicleProfile
from collisionos.models.vehicles import MIN_VEHICLE_YEAR
from collisionos.services.numbering import reserve_numbers

MAX_MODEL_YEAR = 2050  # vehicle_profiles.year's upper bound (DOMAIN §H2)
# Phone qualifiers in the order the customer's main phone is chosen; CP (cell) also fills the mobile number.
PHONE_ORDER = ("HP", "CP", "WP", "OT", "EP")


def _cut(value: str | None, size: int) -> str | None:
    text = (value or "").strip()
    return text[:size] or None


def _main_phone(party: Party) -> str | None:
    for qualifier in PHONE_ORDER:
        if party.phones.get(qualifier):
            return party.phones[qualifier]
    return next(iter(party.phones.values()), None)


def _phone_keys(party: Party) -> set[str]:
    return {key for key in (phone_key(number) for number in party.phones.values()) if key}


def find_customer(shop_id: int, party: Party) -> Customer | None:
    """The shop's customer with the same name and the same phone or email (never a name alone)."""
    first, last = name_key(party.first_name), name_key(party.last_name or party.company_name)
    if not last:
        return None
    phones, email = _phone_keys(party), email_key(party.email)
    if not phones and not email:
        return None
    contact = []
    if phones:
        contact += [Customer.phone_key.in_(phones), Customer.mobile_key.in_(phones)]
    if email:
        contact.append(sa.func.lower(Customer.email) == email)
    rows = db.session.scalars(
        sa.select(Customer)
        .where(Customer.shop_id == shop_id, Customer.last_name_key == last, sa.or_(*contact))
        .order_by(Customer.id)
    ).all()
    return next((row for row in rows if name_key(row.first_name) == first), None)


def fill_customer(customer: Customer, party: Party) -> None:
    """Copy the file's address and contact details into the empty fields (what staff typed is kept)."""
    values = {
        "address": " ".join(part for part in (party.address1, party.address2) if part) or None,
        "city": _cut(party.city, 100),
        "state": _cut(party.state, 50),
        "zip_code": _cut(party.postal_code, 20),
        "email": _cut(party.email, 255),
        "phone": _cut(_main_phone(party), 20),
        "mobile": _cut(party.phones.get("CP"), 20),
        "company_name": _cut(party.company_name, 255),
    }
    for name, value in values.items():
        if value and not getattr(customer, name):
            setattr(customer, name, value)


def customer_for(shop_id: int, party: Party) -> Customer:
    """Find the owner among the shop's customers, or add them."""
    customer = find_customer(shop_id, party)
    if customer is None:
        last = _cut(party.last_name, 50) or _cut(party.company_name, 50)
        if not last:
            raise BmsRejected("the file names no vehicle owner or policyholder", rule="bms_no_owner")
        customer = Customer(
            shop_id=shop_id,
            customer_number=customer_number(reserve_numbers(shop_id, "customer")),
            first_name=_cut(party.first_name, 50) or "",
            last_name=last,
            customer_type="individual" if party.last_name else "business",
            referral_source="Estimate import",
        )
        db.session.add(customer)
    fill_customer(customer, party)
    db.session.flush()
    return customer


def vehicle_for(shop_id: int, customer: Customer, parsed: BmsEstimate, vin: str, now: datetime) -> VehicleProfile:
    """The shop's vehicle with this VIN (its owner follows the file), or a new one; details filled from the file."""
    facts = parsed.vehicle
    vehicle = db.session.scalar(sa.select(Vehicle).where(Vehicle.shop_id == shop_id, Vehicle.vin == vin))
    decoded = decode_vin(vin)
    if facts.year is not None and not MIN_VEHICLE_YEAR <= facts.year <= MAX_MODEL_YEAR:
        raise BmsRejected("the vehicle's model year is not a real one", rule="bms_vehicle_year")
    if vehicle is None:
        year = facts.year or decoded.model_year
        make = _cut(facts.make, 100) or _cut(decoded.manufacturer, 100)
        model = _cut(facts.model, 100)
        if not (year and make and model):
            raise BmsRejected("the vehicle's year, make or model is missing", rule="bms_vehicle_incomplete")
        vehicle = Vehicle(shop_id=shop_id, customer_id=customer.id, vin=vin, year=year, make=make, model=model)
        db.session.add(vehicle)
        db.session.flush()
    profile = db.session.scalar(sa.select(VehicleProfile).where(VehicleProfile.vehicle_id == vehicle.id))
    if profile is None:
        profile = VehicleProfile(
            shop_id=shop_id,
            customer_id=customer.id,
            vehicle_id=vehicle.id,
            vin=vin,
            year=vehicle.year,
            make=vehicle.make,
            model=vehicle.model,
        )
        db.session.add(profile)
    if vehicle.customer_id != customer.id:
        # The same VIN under another customer: the car changed hands (§H2); it follows the estimate's owner.
        vehicle.customer_id = customer.id
    profile.customer_id = customer.id
    updates = {
        "trim": _cut(facts.trim, 100),
        "body_style": _cut(facts.body_style, 50),
        "license_plate": _cut((facts.license_plate or "").upper(), 20),
        "plate_province": _cut(facts.plate_state, 3),
        "paint_code": _cut(facts.paint_code, 50),
        "exterior_color": _cut(facts.color, 100),
    }
    for name, value in updates.items():
        if value:
            setattr(profile, name, value)
    vehicle.license_plate = profile.license_plate or vehicle.license_plate
    vehicle.state = _cut(facts.plate_state, 50) or vehicle.state
    vehicle.color_code = _cut(facts.paint_code, 20) or vehicle.color_code
    vehicle.color = _cut(facts.color, 50) or vehicle.color
    vehicle.trim = _cut(facts.trim, 100) or vehicle.trim
    if facts.odometer is not None and facts.odometer >= (profile.current_odometer or 0):
        profile.current_odometer = vehicle.mileage = facts.odometer
        profile.last_odometer_update, profile.odometer_source = now, "estimate import"
    if not profile.vin_decoded:
        profile.vin_decoded, profile.vin_decode_date, profile.vin_decode_source = True, now, "vininfo"
        profile.vin_decode_data = {
            "manufacturer": decoded.manufacturer,
            "country": decoded.country,
            "region": decoded.region,
            "wmi": decoded.wmi,
            "model_year": decoded.model_year,
        }
    if parsed.claim.total_loss:
        profile.vehicle_status = "total_loss"
    db.session.flush()
    return profile


def insurer_for(shop_id: int, name: str | None) -> InsuranceCompany | None:
    """The shop's insurer of that name (case and spacing ignored), or a new one."""
    label = " ".join((name or "").split())[:255]
    if not label:
        return None
    insurer = db.session.scalar(
        sa.select(InsuranceCompany)
        .where(InsuranceCompany.shop_id == shop_id, sa.func.lower(InsuranceCompany.name) == label.lower())
        .order_by(InsuranceCompany.id)
        .limit(1)
    )
    if insurer is None:
        insurer = InsuranceCompany(shop_id=shop_id, name=label)
        db.session.add(insurer)
        db.session.flush()
    return insurer


def find_claim(shop_id: int, claim_number: str) -> ClaimManagement | None:
    return db.session.scalar(
        sa.select(ClaimManagement)
        .where(ClaimManagement.shop_id == shop_id, ClaimManagement.claim_number == claim_number)
        .order_by(ClaimManagement.id)
        .limit(1)
        .with_for_update()
    )


def claim_for(
    shop_id: int,
    claim: ClaimManagement | None,
    parsed: BmsEstimate,
    customer: Customer,
    profile: VehicleProfile,
    insurer: InsuranceCompany | None,
    *,
    actor: Any,
    now: datetime,
) -> ClaimManagement:
    """Create the claim or bring it up to date with the file (number, policy, deductible, loss, total loss)."""
    facts = parsed.claim
    if claim is None:
        claim = ClaimManagement(
            shop_id=shop_id,
            claim_number=facts.claim_number,
            claim_status="open",
            date_claim_opened=now,
            created_by=actor.id,
        )
        db.session.add(claim)
    claim.customer_id, claim.vehicle_profile_id = customer.id, profile.id
    if insurer is not None:
        claim.insurance_company_id = insurer.id
        claim.is_drp_claim = claim.is_drp_claim or bool(insurer.is_drp)
    claim.policy_number = _cut(facts.policy_number, 100) or claim.policy_number
    if facts.deductible is not None and not claim.deductible_waived:
        claim.deductible_amount = to_money(facts.deductible)
    if facts.loss_date is not None:
        claim.date_of_loss = min(facts.loss_date, now)
    claim.point_of_impact = _cut(facts.point_of_impact, 20) or claim.point_of_impact
    if facts.total_loss and not claim.total_loss:
        claim.total_loss, claim.total_loss_date = True, now
    adjuster = parsed.adjuster
    if adjuster is not None and adjuster.display_name:
        claim.adjuster_name = _cut(adjuster.display_name, 255)
        claim.adjuster_email = _cut(adjuster.email, 255) or claim.adjuster_email
        claim.adjuster_phone = _cut(_main_phone(adjuster), 20) or claim.adjuster_phone
    claim.updated_by = actor.id
    db.session.flush()
    return claim


def estimator_for(shop_id: int, party: Party | None) -> User | None:
    """The shop's user the file names as estimator (first and last name), if there is one."""
    if party is None or not (party.first_name and party.last_name):
        return None
    rows = db.session.scalars(
        sa.select(User).where(
            User.shop_id == shop_id,
            sa.func.lower(User.first_name) == party.first_name.lower(),
            sa.func.lower(User.last_name) == party.last_name.lower(),
        )
    ).all()
    return rows[0] if len(rows) == 1 else None
