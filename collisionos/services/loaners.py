"""Loaner use cases: reserve a vehicle without double-booking it, confirm, check out, check in and bill,
cancel or record a no-show, and move a vehicle between cleaning, maintenance and the rest (DOMAIN.md §3.5,
§3.6, §5.8, §5.15).

Every booking of a vehicle locks that vehicle's row first (``SELECT ... FOR UPDATE`` on PostgreSQL, the
write lock taken by ``BEGIN IMMEDIATE`` on SQLite), then looks for conflicts: two people booking one car
at once are served one after the other, and the second sees the first one's reservation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.domain import loaners as rules
from collisionos.domain.errors import NotFound, TransitionRefused, ValidationError
from collisionos.domain.loaners import CheckIn, CheckOut, Coverage, LoanerTerms, bill_loaner, when
from collisionos.domain.money import ZERO, to_money
from collisionos.domain.numbering import dated_number, dated_sequence_name
from collisionos.domain.transitions import allowed_targets, check_transition
from collisionos.extensions import db
from collisionos.models import ClaimManagement, Customer, LoanerReservation, LoanerVehicle, RepairOrder
from collisionos.models.enums import LoanerStatus as L
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.enums import ReservationStatus as RS
from collisionos.services.numbering import reserve_numbers
from collisionos.services.repair_orders import shop_settings, shop_zone
from collisionos.services.unit_of_work import load, use_case

# Columns a reservation form may set when booking; everything else is the workflow's to fill.
RESERVATION_DETAILS = frozenset(
    {
        "primary_driver_license",
        "primary_driver_age",
        "preferred_vehicle_class",
        "alternative_vehicle_class_ok",
        "eligibility_source",
        "authorization_number",
        "authorizing_party",
        "coverage_type",
        "pickup_location",
        "return_location",
        "requires_delivery",
        "max_additional_drivers",
        "is_emergency_reservation",
        "customer_contact_preference",
        "payment_method",
        "security_deposit_required",
        "security_deposit_amount",
        "base_rental_rate",
        "daily_allowance",
        "allowance_days",
    }
)
OPEN_STATUSES = frozenset({RS.PENDING, RS.CONFIRMED, RS.ACTIVE})
CLOSED_RO_STATUSES = frozenset({R.DELIVERED, R.INVOICED, R.PAID, R.ARCHIVED, R.CANCELLED})


def _unit(vehicle: LoanerVehicle) -> str:
    return vehicle.unit_id


def _distance_unit(vehicle: LoanerVehicle) -> str:
    return "mi" if vehicle.odometer_unit == "miles" else "km"


def _turnaround(shop_id: int) -> timedelta:
    hours = shop_settings(shop_id).get("loanerTurnaroundHours", 2)
    return timedelta(hours=float(hours or 0))


def _window(reservation: LoanerReservation) -> tuple[datetime, datetime]:
    return rules.booked_window(
        reservation.confirmed_start_date,
        reservation.confirmed_end_date,
        reservation.requested_start_date,
        reservation.requested_end_date,
    )


def _bookings(vehicle_id: int, *, now: datetime, exclude_id: int | None = None) -> list[rules.Booking]:
    """The vehicle's reservations that hold it; a car still out holds it at least until now."""
    query = sa.select(LoanerReservation).where(
        LoanerReservation.loaner_vehicle_id == vehicle_id,
        LoanerReservation.reservation_status.in_(rules.BLOCKING_STATUSES),
    )
    if exclude_id is not None:
        query = query.where(LoanerReservation.id != exclude_id)
    bookings = []
    for row in db.session.scalars(query):
        start, end = _window(row)
        if row.reservation_status == RS.ACTIVE:
            end = max(end, now)
        bookings.append(rules.Booking(row.reservation_number, row.primary_driver_name, start, end))
    return bookings


def _refuse_conflict(
    vehicle: LoanerVehicle,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    exclude_id: int | None = None,
    action: str = "reserve",
) -> None:
    turnaround = _turnaround(vehicle.shop_id)
    clash = rules.find_conflict(_bookings(vehicle.id, now=now, exclude_id=exclude_id), start, end, turnaround)
    if clash is not None:
        zone = shop_zone(vehicle.shop_id)
        raise ValidationError(
            rules.conflict_message(_unit(vehicle), start, end, clash, turnaround, zone, action),
            rule="reservation_conflict",
        )


def _set_vehicle_status(vehicle: LoanerVehicle, target: str, now: datetime) -> None:
    check_transition("loaner", _unit(vehicle), vehicle.current_status or L.AVAILABLE, target)
    vehicle.current_status = target
    vehicle.status_change_date = now
    if target != L.RENTED:
        vehicle.current_renter_id = None


def _hold_if_picked_up_today(vehicle: LoanerVehicle, start: datetime, now: datetime) -> None:
    """§3.5: a vehicle shows `reserved` only on its pickup day; later days are read from the reservations."""
    zone = shop_zone(vehicle.shop_id)
    if vehicle.current_status == L.AVAILABLE and rules.local_date(start, zone) <= rules.local_date(now, zone):
        _set_vehicle_status(vehicle, L.RESERVED, now)


def _release_vehicle(vehicle: LoanerVehicle | None, reservation: LoanerReservation, now: datetime) -> None:
    """Put a vehicle held for a reservation that will not happen back to available, unless another holds it today."""
    if vehicle is None or vehicle.current_status != L.RESERVED:
        return
    zone = shop_zone(vehicle.shop_id)
    today = rules.local_date(now, zone)
    others = db.session.scalars(
        sa.select(LoanerReservation).where(
            LoanerReservation.loaner_vehicle_id == vehicle.id,
            LoanerReservation.id != reservation.id,
            LoanerReservation.reservation_status.in_((RS.PENDING, RS.CONFIRMED)),
        )
    )
    if any(rules.local_date(_window(other)[0], zone) <= today for other in others):
        return
    _set_vehicle_status(vehicle, L.AVAILABLE, now)


def _set_status(reservation: LoanerReservation, target: str, *, actor: Any, now: datetime, reason: str | None) -> None:
    check_transition(
        "reservation", reservation.reservation_number, reservation.reservation_status or RS.PENDING, target
    )
    reservation.reservation_status = target
    reservation.status_change_date = now
    reservation.status_change_reason = reason
    reservation.status_changed_by = actor.id


def _resolve_repair_order(shop_id: int, repair_order_id: Any, repair_order_number: str | None) -> RepairOrder | None:
    if repair_order_id not in (None, ""):
        return load(RepairOrder, shop_id, repair_order_id, label="repair order", lock=False)
    number = (repair_order_number or "").strip()
    if not number:
        return None
    ro = db.session.scalars(
        sa.select(RepairOrder).where(
            RepairOrder.shop_id == shop_id, sa.func.upper(RepairOrder.repair_order_number) == number.upper()
        )
    ).one_or_none()
    if ro is None:
        raise NotFound(f"No repair order {number} in this shop.", rule="not_found")
    return ro


def _ats_defaults(claim: ClaimManagement | None) -> tuple[Decimal | None, int | None]:
    """Daily allowance and days the insurer pays for: the claim's, else the insurer's limits (§5.8)."""
    if claim is None:
        return None, None
    insurer = claim.insurance_company
    daily = claim.ats_allowance_amount
    days = claim.ats_days_approved
    if daily is None and insurer is not None:
        daily = insurer.rental_car_limit
    if days is None and insurer is not None:
        days = insurer.rental_car_days_limit
    return daily, days


# --- reserve -------------------------------------------------------------------------------------------
def reserve_loaner(
    shop_id: int,
    *,
    loaner_vehicle_id: Any,
    start: datetime,
    end: datetime,
    driver_name: str | None,
    customer_id: Any = None,
    repair_order_id: Any = None,
    repair_order_number: str | None = None,
    claim_id: Any = None,
    details: Mapping[str, Any] | None = None,
    actor: Any,
    now: datetime,
) -> LoanerReservation:
    """Book a loaner for a customer (or an RO's customer) from ``start`` to ``end``; refuse a double booking."""
    details = dict(details or {})
    unknown = set(details) - RESERVATION_DETAILS
    if unknown:
        raise ValueError(f"not reservation details: {sorted(unknown)}")
    driver = (driver_name or "").strip()
    if loaner_vehicle_id in (None, ""):
        raise ValidationError("Choose the loaner to reserve.", rule="vehicle_required")
    with use_case(actor):
        # The vehicle's lock comes first: whoever holds it is the only one checking this car's bookings.
        vehicle = load(LoanerVehicle, shop_id, loaner_vehicle_id, label="loaner")
        zone = shop_zone(shop_id)
        ro = _resolve_repair_order(shop_id, repair_order_id, repair_order_number)
        if customer_id not in (None, ""):
            customer = load(Customer, shop_id, customer_id, label="customer", lock=False)
        elif ro is not None:
            customer = ro.customer
        else:
            raise ValidationError(
                f"Cannot reserve {_unit(vehicle)}: say which customer or repair order it is for.",
                rule="customer_required",
            )
        if ro is not None and ro.customer_id != customer.id:
            raise ValidationError(
                f"Cannot reserve {_unit(vehicle)} for {customer} on {ro.repair_order_number}: that RO is "
                f"{ro.customer}'s.",
                rule="customer_mismatch",
            )
        if ro is not None and ro.ro_status in CLOSED_RO_STATUSES:
            raise ValidationError(
                f"Cannot reserve {_unit(vehicle)} for {ro.repair_order_number}: it is {rules.words(ro.ro_status)}.",
                rule="repair_order_closed",
            )
        if not driver:
            raise ValidationError(
                f"Cannot reserve {_unit(vehicle)}: enter the driver's name.", rule="driver_name_required"
            )
        rules.check_reservable(vehicle, start, end, now=now, zone=zone, driver_age=details.get("primary_driver_age"))
        _refuse_conflict(vehicle, start, end, now=now)

        claim = None
        if claim_id not in (None, ""):
            claim = load(ClaimManagement, shop_id, claim_id, label="claim", lock=False)
        elif ro is not None:
            claim = ro.claim
        daily, days = _ats_defaults(claim)
        day = rules.local_date(now, zone)
        number = dated_number("RES", day, reserve_numbers(shop_id, dated_sequence_name("reservation", day)))
        reservation = LoanerReservation(
            shop_id=shop_id,
            reservation_number=number,
            reservation_status=RS.PENDING,
            status_change_date=now,
            status_changed_by=actor.id,
            customer_id=customer.id,
            repair_order_id=ro.id if ro is not None else None,
            claim_management_id=claim.id if claim is not None else None,
            loaner_vehicle_id=vehicle.id,
            requested_start_date=start,
            requested_end_date=end,
            primary_driver_name=driver[:255],
            preferred_vehicle_class=vehicle.vehicle_class,
            eligibility_source="insurance" if daily is not None else "customer_pay",
            base_rental_rate=vehicle.daily_rental_rate,
            daily_mileage_allowance=vehicle.mileage_allowance_daily,
            excess_mileage_rate=vehicle.mileage_rate,
            daily_allowance=daily,
            allowance_days=days,
            security_deposit_amount=vehicle.security_deposit or None,
            created_by=actor.id,
        )
        for key, value in details.items():
            if value is not None and value != "":
                setattr(reservation, key, value)
        # A form's unticked box cannot waive the deposit the vehicle asks for.
        reservation.security_deposit_required = bool(vehicle.security_deposit) or bool(
            details.get("security_deposit_required")
        )
        _fill_allowance(reservation, start)
        db.session.add(reservation)
        _hold_if_picked_up_today(vehicle, start, now)
    return reservation


def _fill_allowance(reservation: LoanerReservation, start: datetime) -> None:
    if reservation.daily_allowance is not None and reservation.allowance_days is not None:
        reservation.total_allowance = to_money(Decimal(reservation.daily_allowance) * reservation.allowance_days)
        reservation.allowance_start_date = start
        reservation.allowance_end_date = start + timedelta(days=reservation.allowance_days)


def _load_reservation(shop_id: int, reservation_id: Any) -> tuple[LoanerReservation, LoanerVehicle | None]:
    reservation = load(LoanerReservation, shop_id, reservation_id, label="reservation")
    vehicle = None
    if reservation.loaner_vehicle_id is not None:
        vehicle = load(LoanerVehicle, shop_id, reservation.loaner_vehicle_id, label="loaner")
    return reservation, vehicle


# --- confirm, cancel, no-show --------------------------------------------------------------------------
def confirm_reservation(
    shop_id: int,
    reservation_id: Any,
    *,
    eligibility_verified: bool = False,
    authorization_number: str | None = None,
    actor: Any,
    now: datetime,
) -> LoanerReservation:
    """pending → confirmed: the vehicle is named and free, and the insurer's approval is verified when it pays."""
    with use_case(actor):
        reservation, vehicle = _load_reservation(shop_id, reservation_id)
        label = reservation.reservation_number
        check_transition("reservation", label, reservation.reservation_status or RS.PENDING, RS.CONFIRMED)
        if vehicle is None:
            raise ValidationError(f"Cannot confirm {label}: choose its loaner first.", rule="vehicle_required")
        if eligibility_verified:
            reservation.eligibility_verified = True
        if authorization_number:
            reservation.authorization_number = authorization_number.strip()[:100]
        if reservation.eligibility_source == "insurance" and not reservation.eligibility_verified:
            raise ValidationError(
                f"Cannot confirm {label}: the insurer pays for it, so verify the rental is approved "
                "(eligibility verified) first.",
                rule="eligibility_not_verified",
            )
        start, end = _window(reservation)
        rules.check_vehicle_bookable(vehicle, end, shop_zone(shop_id))
        _refuse_conflict(vehicle, start, end, now=now, exclude_id=reservation.id)
        reservation.confirmed_start_date, reservation.confirmed_end_date = start, end
        if reservation.base_rental_rate is None:
            reservation.base_rental_rate = vehicle.daily_rental_rate
        _set_status(reservation, RS.CONFIRMED, actor=actor, now=now, reason=None)
        _hold_if_picked_up_today(vehicle, start, now)
    return reservation


def cancel_reservation(
    shop_id: int, reservation_id: Any, *, reason: str | None, actor: Any, now: datetime
) -> LoanerReservation:
    """pending/confirmed → cancelled, with a reason; a vehicle held for it today goes back to available."""
    reason = (reason or "").strip()
    with use_case(actor, reason=reason or None):
        reservation, vehicle = _load_reservation(shop_id, reservation_id)
        label = reservation.reservation_number
        check_transition("reservation", label, reservation.reservation_status or RS.PENDING, RS.CANCELLED)
        if not reason:
            raise ValidationError(f"Cannot cancel {label}: give a reason.", rule="reason_required")
        _set_status(reservation, RS.CANCELLED, actor=actor, now=now, reason=reason[:2000])
        _release_vehicle(vehicle, reservation, now)
    return reservation


def cancel_with_repair_order(reservation: LoanerReservation, *, reason: str, actor: Any, now: datetime) -> None:
    """Inside the RO's cancel use case: cancel an open reservation and free its vehicle if nothing else holds it."""
    vehicle = (
        load(LoanerVehicle, reservation.shop_id, reservation.loaner_vehicle_id, label="loaner")
        if reservation.loaner_vehicle_id
        else None
    )
    _set_status(reservation, RS.CANCELLED, actor=actor, now=now, reason=reason)
    _release_vehicle(vehicle, reservation, now)


def mark_no_show(shop_id: int, reservation_id: Any, *, actor: Any, now: datetime) -> LoanerReservation:
    """confirmed → no_show once the pickup day is over without a pickup."""
    with use_case(actor):
        reservation, vehicle = _load_reservation(shop_id, reservation_id)
        label = reservation.reservation_number
        check_transition("reservation", label, reservation.reservation_status or RS.PENDING, RS.NO_SHOW)
        rules.check_no_show(label, _window(reservation)[0], now, shop_zone(shop_id))
        _set_status(reservation, RS.NO_SHOW, actor=actor, now=now, reason="Not picked up")
        _release_vehicle(vehicle, reservation, now)
    return reservation


# --- check-out and check-in ----------------------------------------------------------------------------
def check_out_loaner(
    shop_id: int,
    reservation_id: Any,
    *,
    odometer: int | None,
    fuel_level: int | None,
    condition_notes: str | None,
    licence_checked: bool,
    insurance_verified: bool,
    agreement_signed: bool,
    deposit_collected: bool = False,
    driver_licence: str | None = None,
    actor: Any,
    now: datetime,
) -> LoanerReservation:
    """confirmed → active: record the pickup readings and checks; the vehicle is rented to the customer."""
    record = CheckOut(
        odometer, fuel_level, condition_notes, licence_checked, insurance_verified, agreement_signed, deposit_collected
    )
    with use_case(actor):
        reservation, vehicle = _load_reservation(shop_id, reservation_id)
        label = reservation.reservation_number
        check_transition("reservation", label, reservation.reservation_status or RS.PENDING, RS.ACTIVE)
        if vehicle is None:
            raise ValidationError(f"Cannot check out {label}: it has no loaner.", rule="vehicle_required")
        rules.check_check_out(
            label,
            _unit(vehicle),
            record,
            vehicle_odometer=vehicle.current_odometer or 0,
            deposit_required=reservation.security_deposit_required,
            distance_unit=_distance_unit(vehicle),
        )
        # Picked up early, the car is out before its booked start: that time must be free as well.
        start, end = _window(reservation)
        _refuse_conflict(vehicle, min(start, now), end, now=now, exclude_id=reservation.id, action="check out")
        _set_vehicle_status(vehicle, L.RENTED, now)
        notes = (condition_notes or "").strip()
        _set_status(reservation, RS.ACTIVE, actor=actor, now=now, reason=f"Pickup condition: {notes}"[:2000])
        reservation.actual_pickup_date = now
        reservation.pickup_odometer = odometer
        reservation.pickup_fuel_level = fuel_level
        reservation.pickup_inspection_complete = True
        reservation.pickup_inspected_by = actor.id
        reservation.customer_id_verified = True
        reservation.customer_insurance_verified = True
        reservation.rental_agreement_signed = True
        if reservation.security_deposit_required:
            reservation.security_deposit_collected = True
        if driver_licence:
            reservation.primary_driver_license = driver_licence.strip()[:50]
        vehicle.current_renter_id = reservation.customer_id
        vehicle.last_odometer_reading = vehicle.current_odometer
        vehicle.current_odometer = odometer  # type: ignore[assignment]
        vehicle.fuel_level = fuel_level
        vehicle.is_on_premises = False
    return reservation


@dataclass(frozen=True)
class CheckInResult:
    reservation: LoanerReservation
    bill: rules.LoanerBill


def _coverage(reservation: LoanerReservation, claim: ClaimManagement | None) -> Coverage | None:
    """What the insurer pays for this rental: only on an insurer-paid reservation with an allowance."""
    if claim is None or reservation.eligibility_source != "insurance":
        return None
    if reservation.daily_allowance is None or reservation.allowance_days is None:
        return None
    approved = claim.ats_days_approved if claim.ats_days_approved is not None else reservation.allowance_days
    return Coverage(
        daily_allowance=Decimal(reservation.daily_allowance),
        allowance_days=reservation.allowance_days,
        days_approved=approved,
        days_used=claim.ats_days_used or 0,
    )


def check_in_loaner(
    shop_id: int,
    reservation_id: Any,
    *,
    odometer: int | None,
    fuel_level: int | None,
    new_damage: bool,
    damage_description: str | None = None,
    other_charges: Decimal | None = None,
    other_charges_description: str | None = None,
    actor: Any,
    now: datetime,
) -> CheckInResult:
    """active → completed (or early_return): bill days, distance over the allowance and fuel (§5.8), split
    it with the insurer, count the claim's used days, and put the vehicle back (or into maintenance)."""
    record = CheckIn(odometer, fuel_level, new_damage, damage_description)
    other = to_money(other_charges) if other_charges is not None else ZERO
    with use_case(actor):
        reservation, vehicle = _load_reservation(shop_id, reservation_id)
        label = reservation.reservation_number
        status = reservation.reservation_status or RS.PENDING
        if status != RS.ACTIVE:
            check_transition("reservation", label, status, RS.COMPLETED)
        if vehicle is None or reservation.actual_pickup_date is None or reservation.pickup_odometer is None:
            raise ValidationError(f"Cannot check in {label}: it was never checked out.", rule="not_checked_out")
        if other < 0:
            raise ValidationError(f"Cannot check in {label}: other charges cannot be negative.", rule="charges")
        rules.check_check_in(
            label, record, pickup_odometer=reservation.pickup_odometer, distance_unit=_distance_unit(vehicle)
        )
        assert odometer is not None and fuel_level is not None
        claim = None
        if reservation.claim_management_id is not None:
            claim = load(ClaimManagement, shop_id, reservation.claim_management_id, label="claim")
        settings = shop_settings(shop_id)
        terms = LoanerTerms(
            daily_rate=Decimal(reservation.base_rental_rate or vehicle.daily_rental_rate or 0),
            allowance_per_day=reservation.daily_mileage_allowance,
            excess_rate=Decimal(reservation.excess_mileage_rate)
            if reservation.excess_mileage_rate is not None
            else None,
            tank_capacity=Decimal(vehicle.fuel_tank_capacity) if vehicle.fuel_tank_capacity is not None else None,
            fuel_price=Decimal(str(settings.get("loanerFuelPricePerLitre") or "0")),
            refuel_fee=Decimal(str(settings.get("loanerRefuelFee") or "0")),
        )
        bill = bill_loaner(
            terms,
            pickup=reservation.actual_pickup_date,
            returned=now,
            pickup_odometer=reservation.pickup_odometer,
            return_odometer=odometer,
            pickup_fuel=reservation.pickup_fuel_level if reservation.pickup_fuel_level is not None else fuel_level,
            return_fuel=fuel_level,
            other_charges=other,
            coverage=_coverage(reservation, claim),
        )
        zone = shop_zone(shop_id)
        target = RS.EARLY_RETURN if rules.is_early_return(now, _window(reservation)[1], zone) else RS.COMPLETED
        damage = (damage_description or "").strip()
        reason = f"Returned with new damage: {damage}" if new_damage else "Returned without new damage"
        _set_status(reservation, target, actor=actor, now=now, reason=reason[:2000])
        reservation.actual_return_date = now
        reservation.return_odometer = odometer
        reservation.return_fuel_level = fuel_level
        reservation.return_inspection_complete = True
        reservation.return_inspected_by = actor.id
        reservation.total_rental_days = bill.days
        reservation.total_rental_charge = bill.rental_charge
        reservation.total_miles_driven = bill.driven
        reservation.excess_mileage = bill.excess
        reservation.excess_mileage_charge = bill.excess_charge
        reservation.additional_charges = bill.additional_charges
        reservation.additional_charges_description = _charges_text(bill.fuel_charge, other, other_charges_description)
        reservation.total_amount = bill.total
        reservation.amount_covered_by_insurance = bill.insurance_pays
        reservation.customer_responsible_amount = bill.customer_pays
        if claim is not None and bill.covered_days:
            claim.ats_days_used = (claim.ats_days_used or 0) + bill.covered_days

        _set_vehicle_status(vehicle, L.MAINTENANCE if new_damage else L.AVAILABLE, now)
        vehicle.last_odometer_reading = vehicle.current_odometer
        vehicle.current_odometer = odometer
        vehicle.fuel_level = fuel_level
        vehicle.is_on_premises = True
        vehicle.total_rentals = (vehicle.total_rentals or 0) + 1
        vehicle.total_rental_days = (vehicle.total_rental_days or 0) + bill.days
        vehicle.total_rental_miles = (vehicle.total_rental_miles or 0) + bill.driven
        vehicle.average_rental_duration = to_money(Decimal(vehicle.total_rental_days) / vehicle.total_rentals)
        vehicle.revenue_generated_total = to_money(vehicle.revenue_generated_total) + bill.total
        if new_damage:
            vehicle.has_current_damage = True
            vehicle.damage_report_date = now
            vehicle.damage_reported_by = actor.id
    return CheckInResult(reservation, bill)


def _charges_text(fuel: Decimal, other: Decimal, description: str | None) -> str | None:
    parts = []
    if fuel:
        parts.append(f"Fuel {fuel}")
    if other:
        parts.append(f"{(description or '').strip() or 'Other'} {other}")
    return "; ".join(parts) or None


# --- the vehicle itself --------------------------------------------------------------------------------
def vehicle_moves(vehicle: LoanerVehicle) -> list[str]:
    """The statuses staff may move the vehicle to by hand now (reserved and rented follow reservations)."""
    current = vehicle.current_status or L.AVAILABLE
    if current in rules.RESERVATION_DRIVEN:
        return []
    order = list(L)
    return sorted(allowed_targets("loaner", current) - rules.RESERVATION_DRIVEN, key=order.index)


def move_loaner_vehicle(
    shop_id: int, vehicle_id: Any, target: str, *, note: str | None = None, actor: Any, now: datetime
) -> LoanerVehicle:
    """Send a vehicle to cleaning, inspection, maintenance or out of service, back to available, or retire it."""
    note = (note or "").strip() or None
    with use_case(actor, reason=note):
        vehicle = load(LoanerVehicle, shop_id, vehicle_id, label="loaner")
        current = vehicle.current_status or L.AVAILABLE
        rules.check_manual_vehicle_move(_unit(vehicle), current, target)
        if target in (L.OUT_OF_SERVICE, L.RETIRED) and not note:
            raise ValidationError(
                f"Cannot mark {_unit(vehicle)} as {rules.words(target)}: give a reason.", rule="reason_required"
            )
        _set_vehicle_status(vehicle, target, now)
        if current == L.CLEANING:
            vehicle.requires_cleaning = False
            vehicle.last_cleaned_date = now
        if target == L.CLEANING:
            vehicle.requires_cleaning = True
        if target == L.RETIRED:
            vehicle.can_be_reserved = False
    return vehicle


def hold_todays_pickups(shop_id: int, *, now: datetime) -> int:
    """Mark available vehicles picked up today as reserved (§3.5); for the daily job. Returns how many."""
    zone = shop_zone(shop_id)
    today = rules.local_date(now, zone)
    held = 0
    with use_case(None):
        rows = db.session.scalars(
            sa.select(LoanerReservation)
            .where(
                LoanerReservation.shop_id == shop_id,
                LoanerReservation.reservation_status.in_((RS.PENDING, RS.CONFIRMED)),
                LoanerReservation.loaner_vehicle_id.is_not(None),
            )
            .order_by(LoanerReservation.id)
        ).all()
        for reservation in rows:
            start = _window(reservation)[0]
            if rules.local_date(start, zone) != today:
                continue
            vehicle = load(LoanerVehicle, shop_id, reservation.loaner_vehicle_id, label="loaner")
            if vehicle.current_status == L.AVAILABLE:
                _set_vehicle_status(vehicle, L.RESERVED, now)
                held += 1
    return held


# --- what the pages show -------------------------------------------------------------------------------
def reservation_actions(reservation: LoanerReservation, now: datetime) -> list[str]:
    """The actions that apply to the reservation now: confirm, check_out, check_in, cancel, no_show."""
    status = reservation.reservation_status or RS.PENDING
    targets = allowed_targets("reservation", status)
    actions = []
    if RS.CONFIRMED in targets:
        actions.append("confirm")
    if RS.ACTIVE in targets:
        actions.append("check_out")
    if RS.COMPLETED in targets:
        actions.append("check_in")
    if RS.CANCELLED in targets:
        actions.append("cancel")
    if RS.NO_SHOW in targets:
        zone = shop_zone(reservation.shop_id)
        try:
            rules.check_no_show(reservation.reservation_number, _window(reservation)[0], now, zone)
        except TransitionRefused:
            pass
        else:
            actions.append("no_show")
    return actions


def _approved_days(reservation: LoanerReservation) -> int | None:
    """Rental days the insurer still pays for this reservation: its allowance, capped by the claim's days left."""
    claim = reservation.claim
    days = reservation.allowance_days
    if days is None and claim is not None:
        days = claim.ats_days_approved
    if claim is not None and claim.ats_days_approved is not None and reservation.reservation_status != RS.COMPLETED:
        left = max(0, claim.ats_days_approved - (claim.ats_days_used or 0))
        days = left if days is None else min(days, left)
    return days


def _rental_start(reservation: LoanerReservation) -> datetime:
    return reservation.actual_pickup_date or _window(reservation)[0]


def _ats_warning(ro: RepairOrder, reservation: LoanerReservation, now: datetime) -> str | None:
    if ro.promised_delivery_date is None or ro.ro_status in CLOSED_RO_STATUSES:
        return None
    if reservation.eligibility_source not in (None, "insurance"):
        return None
    approved = _approved_days(reservation)
    if approved is None:
        return None
    # A car not delivered yet cannot come back before now, whatever the promise said.
    projected = max(ro.promised_delivery_date, now)
    shortfall = rules.ats_shortfall(_rental_start(reservation), projected, approved)
    if shortfall is None:
        return None
    zone = shop_zone(reservation.shop_id)
    return (
        f"{ro.repair_order_number} is due back {when(projected, zone)} but the insurer approved rental to "
        f"{when(shortfall.covered_until, zone)} ({reservation.reservation_number}): "
        f"{rules.plural(shortfall.customer_days, 'day')} will be the customer's."
    )


def loaner_warnings_for_repair_order(ro: RepairOrder, now: datetime) -> list[str]:
    """Warnings for the RO page: its open loaner rentals that run past the insurer's approved days."""
    reservations = db.session.scalars(
        sa.select(LoanerReservation)
        .where(
            LoanerReservation.repair_order_id == ro.id,
            LoanerReservation.shop_id == ro.shop_id,
            LoanerReservation.reservation_status.in_(OPEN_STATUSES),
        )
        .order_by(LoanerReservation.id)
    )
    return [w for reservation in reservations if (w := _ats_warning(ro, reservation, now))]


def loaner_warnings_for_reservation(reservation: LoanerReservation, now: datetime) -> list[str]:
    """Warnings for the reservation page (the RO's projected return against the insurer's approved days)."""
    if reservation.reservation_status not in OPEN_STATUSES or reservation.repair_order is None:
        return []
    warning = _ats_warning(reservation.repair_order, reservation, now)
    return [warning] if warning else []
