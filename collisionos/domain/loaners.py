"""Loaner rules: charges (DOMAIN.md §5.8: rental days, kilometres over the allowance, fuel, the ATS split),
who may book a vehicle when (§5.15 conflicts with a turnaround buffer, §3.5/§3.6 guards), and the readings
a check-out or check-in must record."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from collisionos.domain.errors import TransitionRefused, ValidationError
from collisionos.domain.money import ZERO, to_money
from collisionos.models.enums import LoanerStatus, ReservationStatus

GRACE_MINUTES = 59
MINUTES_PER_DAY = 24 * 60


def rental_days(pickup: datetime, returned: datetime) -> int:
    """Days charged: started 24-hour periods, at least one; the first 59 minutes past a period are free."""
    if returned < pickup:
        raise ValidationError("The return time is before the pickup time.", rule="return_before_pickup")
    minutes = (returned - pickup).total_seconds() / 60
    return max(1, math.ceil((minutes - GRACE_MINUTES) / MINUTES_PER_DAY))


@dataclass(frozen=True)
class LoanerTerms:
    daily_rate: Decimal
    allowance_per_day: int | None = None  # kilometres (or miles) included per day
    excess_rate: Decimal | None = None  # per unit over the allowance
    tank_capacity: Decimal | None = None  # litres
    fuel_price: Decimal = Decimal("0.00")  # per litre
    refuel_fee: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Coverage:
    """What the insurer pays for (alternate transportation): a daily amount for a number of days."""

    daily_allowance: Decimal
    allowance_days: int
    days_approved: int
    days_used: int = 0


@dataclass(frozen=True)
class LoanerBill:
    days: int
    rental_charge: Decimal
    driven: int
    excess: int
    excess_charge: Decimal
    fuel_charge: Decimal
    additional_charges: Decimal
    total: Decimal
    covered_days: int
    insurance_pays: Decimal
    customer_pays: Decimal


def bill_loaner(
    terms: LoanerTerms,
    *,
    pickup: datetime,
    returned: datetime,
    pickup_odometer: int,
    return_odometer: int,
    pickup_fuel: int,
    return_fuel: int,
    other_charges: Decimal = ZERO,
    coverage: Coverage | None = None,
) -> LoanerBill:
    """Work out a returned loaner's bill and who pays it; every amount to the cent."""
    if return_odometer < pickup_odometer:
        raise ValidationError(
            f"The return odometer ({return_odometer}) is below the pickup reading ({pickup_odometer}).",
            rule="odometer_backwards",
        )
    for level in (pickup_fuel, return_fuel):
        if not 0 <= level <= 100:
            raise ValidationError("Fuel levels are percentages from 0 to 100.", rule="fuel_level")
    days = rental_days(pickup, returned)
    rental = to_money(terms.daily_rate * days)
    driven = return_odometer - pickup_odometer
    excess = 0
    excess_charge = ZERO
    if terms.allowance_per_day is not None and terms.excess_rate is not None:
        excess = max(0, driven - terms.allowance_per_day * days)
        excess_charge = to_money(terms.excess_rate * excess)
    fuel = ZERO
    if return_fuel < pickup_fuel and terms.tank_capacity:
        litres = Decimal(pickup_fuel - return_fuel) / 100 * terms.tank_capacity
        fuel = to_money(litres * terms.fuel_price + terms.refuel_fee)
    additional = to_money(fuel + other_charges)
    total = to_money(rental + excess_charge + additional)
    covered_days = 0
    insurance = ZERO
    if coverage is not None:
        remaining = max(0, coverage.days_approved - coverage.days_used)
        covered_days = min(days, coverage.allowance_days, remaining)
        # Mileage, fuel and damage are always the customer's; so are days beyond the allowance.
        insurance = min(rental, to_money(coverage.daily_allowance * covered_days))
    return LoanerBill(
        days=days,
        rental_charge=rental,
        driven=driven,
        excess=excess,
        excess_charge=excess_charge,
        fuel_charge=fuel,
        additional_charges=additional,
        total=total,
        covered_days=covered_days,
        insurance_pays=insurance,
        customer_pays=total - insurance,
    )


# --- booking a vehicle (§5.15) ------------------------------------------------------------------------
# Reservations that hold a vehicle: confirmed or out, and pending ones that already name the vehicle.
BLOCKING_STATUSES = frozenset({ReservationStatus.PENDING, ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE})
UNRESERVABLE_STATUSES = frozenset({LoanerStatus.OUT_OF_SERVICE, LoanerStatus.ACCIDENT_DAMAGE, LoanerStatus.RETIRED})
# Statuses that only reservations move a vehicle into or out of (never a button on the vehicle).
RESERVATION_DRIVEN = frozenset({LoanerStatus.RESERVED, LoanerStatus.RENTED})


def when(moment: datetime, zone: tzinfo) -> str:
    """``Nov 25 09:00`` in the shop's zone: how a date and time reads in a message."""
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day} {local:%H:%M}"


def day_text(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%b} {local.day}, {local.year}"


def local_date(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def words(status: str) -> str:
    return str(status).replace("_", " ")


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def booked_window(
    confirmed_start: datetime | None,
    confirmed_end: datetime | None,
    requested_start: datetime,
    requested_end: datetime,
) -> tuple[datetime, datetime]:
    """The dates a reservation holds: the confirmed ones when set, else the requested ones."""
    return confirmed_start or requested_start, confirmed_end or requested_end


@dataclass(frozen=True)
class Booking:
    """An existing reservation of a vehicle, as the conflict check sees it."""

    number: str
    driver: str
    start: datetime
    end: datetime


def find_conflict(bookings: Iterable[Booking], start: datetime, end: datetime, turnaround: timedelta) -> Booking | None:
    """The first booking the window [start, end] collides with, counting the turnaround after each return.

    Overlap (§5.15) ⇔ existing.start ≤ new.end + turnaround ∧ existing.end + turnaround ≥ new.start.
    """
    for booking in sorted(bookings, key=lambda b: (b.start, b.number)):
        if booking.start <= end + turnaround and booking.end + turnaround >= start:
            return booking
    return None


def conflict_message(
    unit: str,
    start: datetime,
    end: datetime,
    booking: Booking,
    turnaround: timedelta,
    zone: tzinfo,
    action: str = "reserve",
) -> str:
    message = (
        f"Cannot {action} {unit} from {when(start, zone)} to {when(end, zone)}: it is booked by {booking.number} "
        f"({booking.driver}) from {when(booking.start, zone)} to {when(booking.end, zone)}"
    )
    if booking.start > end or booking.end < start:
        # Only the turnaround buffer separates them: say so, or the refusal looks wrong.
        message += f", and needs a {turnaround.total_seconds() / 3600:g}-hour turnaround between rentals"
    return message + "."


def check_reservable(
    vehicle: Any,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    zone: tzinfo,
    driver_age: int | None = None,
) -> None:
    """Refuse a booking of ``vehicle`` (a loaner row) for [start, end] that breaks a rule of §5.8/§5.15."""
    unit = vehicle.unit_id
    if end <= start:
        raise ValidationError(
            f"Cannot reserve {unit}: the return ({when(end, zone)}) must be after the pickup ({when(start, zone)}).",
            rule="end_before_start",
        )
    if end <= now:
        raise ValidationError(
            f"Cannot reserve {unit} for {when(start, zone)} to {when(end, zone)}: that is already over.",
            rule="reservation_in_past",
        )
    check_vehicle_bookable(vehicle, end, zone)
    days = rental_days(start, end)
    minimum, maximum = vehicle.minimum_rental_days, vehicle.maximum_rental_days
    if minimum and days < minimum:
        raise ValidationError(
            f"Cannot reserve {unit} for {plural(days, 'day')}: it rents for at least {plural(minimum, 'day')}.",
            rule="minimum_rental_days",
        )
    if maximum and days > maximum:
        raise ValidationError(
            f"Cannot reserve {unit} for {plural(days, 'day')}: it rents for at most {plural(maximum, 'day')}.",
            rule="maximum_rental_days",
        )
    ahead = vehicle.advance_booking_days
    if ahead is not None and local_date(start, zone) > local_date(now, zone) + timedelta(days=ahead):
        raise ValidationError(
            f"Cannot reserve {unit} from {day_text(start, zone)}: it can be booked at most "
            f"{plural(ahead, 'day')} ahead.",
            rule="advance_booking_days",
        )
    if driver_age is not None and vehicle.age_restriction and driver_age < vehicle.age_restriction:
        raise ValidationError(
            f"Cannot reserve {unit} for a {driver_age}-year-old driver: its drivers must be at least "
            f"{vehicle.age_restriction}.",
            rule="driver_age",
        )


def check_vehicle_bookable(vehicle: Any, end: datetime, zone: tzinfo) -> None:
    """Refuse a vehicle that is out of service, damaged, retired or not reservable, or whose papers run out first."""
    unit = vehicle.unit_id
    if vehicle.current_status in UNRESERVABLE_STATUSES:
        raise ValidationError(
            f"Cannot reserve {unit}: it is {words(vehicle.current_status)}.", rule="vehicle_unavailable"
        )
    if not vehicle.can_be_reserved:
        raise ValidationError(f"Cannot reserve {unit}: it is marked as not reservable.", rule="not_reservable")
    for label, expiry in (
        ("registration", vehicle.registration_expiry_date),
        ("insurance", vehicle.insurance_expiry_date),
    ):
        if expiry is not None and expiry < end:
            raise ValidationError(
                f"Cannot reserve {unit} to {when(end, zone)}: its {label} expires {day_text(expiry, zone)}.",
                rule=f"{label}_expires",
            )


# --- check-out and check-in (§3.6, §5.8, §5.15) --------------------------------------------------------
def _listed(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class CheckOut:
    """What staff record when the customer drives away."""

    odometer: int | None
    fuel_level: int | None
    condition_notes: str | None
    licence_checked: bool
    insurance_verified: bool
    agreement_signed: bool
    deposit_collected: bool = False


def check_check_out(
    label: str, unit: str, record: CheckOut, *, vehicle_odometer: int, deposit_required: bool, distance_unit: str
) -> None:
    """Refuse a check-out that misses a required check or reading, or whose odometer goes backwards."""
    missing = [
        name
        for name, present in (
            ("the pickup odometer", record.odometer is not None),
            ("the fuel level", record.fuel_level is not None),
            ("the condition notes", bool(record.condition_notes and record.condition_notes.strip())),
            ("the driver's licence check", record.licence_checked),
            ("the insurance check", record.insurance_verified),
            ("the signed rental agreement", record.agreement_signed),
            ("the security deposit", record.deposit_collected or not deposit_required),
        )
        if not present
    ]
    if missing:
        raise ValidationError(f"Cannot check out {label}: record {_listed(missing)} first.", rule="check_out_missing")
    check_fuel(label, record.fuel_level)  # type: ignore[arg-type]
    assert record.odometer is not None
    if record.odometer < vehicle_odometer:
        raise ValidationError(
            f"Cannot check out {label}: the odometer reads {record.odometer:,} {distance_unit} but {unit} was last at "
            f"{vehicle_odometer:,} {distance_unit}; an odometer never goes backwards.",
            rule="odometer_backwards",
        )


def check_fuel(label: str, level: int) -> None:
    if not 0 <= level <= 100:
        raise ValidationError(
            f"Cannot record {label}: the fuel level is a percentage from 0 to 100, not {level}.", rule="fuel_level"
        )


@dataclass(frozen=True)
class CheckIn:
    """What staff record when the loaner comes back."""

    odometer: int | None
    fuel_level: int | None
    new_damage: bool
    damage_description: str | None = None


def check_check_in(label: str, record: CheckIn, *, pickup_odometer: int, distance_unit: str) -> None:
    """Refuse a check-in without its readings, with undescribed damage, or with an odometer below the pickup."""
    missing = [
        name
        for name, present in (
            ("the return odometer", record.odometer is not None),
            ("the fuel level", record.fuel_level is not None),
            (
                "a description of the new damage",
                not record.new_damage or bool(record.damage_description and record.damage_description.strip()),
            ),
        )
        if not present
    ]
    if missing:
        raise ValidationError(f"Cannot check in {label}: record {_listed(missing)} first.", rule="check_in_missing")
    check_fuel(label, record.fuel_level)  # type: ignore[arg-type]
    assert record.odometer is not None
    if record.odometer < pickup_odometer:
        raise ValidationError(
            f"Cannot check in {label}: the odometer reads {record.odometer:,} {distance_unit}, below the "
            f"{pickup_odometer:,} {distance_unit} recorded at pickup; an odometer never goes backwards.",
            rule="odometer_backwards",
        )


def is_early_return(returned: datetime, planned_end: datetime, zone: tzinfo) -> bool:
    """Returned before the planned return's day (shop time): an early return (§3.6)."""
    return local_date(returned, zone) < local_date(planned_end, zone)


def check_no_show(label: str, start: datetime, now: datetime, zone: tzinfo) -> None:
    """A no-show is recorded only once the pickup day has ended without a pickup (§3.6)."""
    if local_date(now, zone) <= local_date(start, zone):
        raise TransitionRefused(
            f"Cannot mark {label} as a no-show before its pickup day ({day_text(start, zone)}) is over.",
            rule="no_show_too_early",
        )


def check_manual_vehicle_move(unit: str, current: str, target: str) -> None:
    """Reserved and rented follow the reservations: no button moves a vehicle into or out of them."""
    if target in RESERVATION_DRIVEN:
        raise TransitionRefused(
            f"Cannot mark {unit} as {words(target)} by hand: reserve it or check a reservation out instead.",
            rule="reservation_driven_status",
        )
    if current in RESERVATION_DRIVEN:
        action = "check its reservation in" if current == LoanerStatus.RENTED else "cancel or check out its reservation"
        raise TransitionRefused(f"Cannot move {unit} while it is {current}: {action} first.", rule="vehicle_in_use")


# --- insurer-approved days (§5.8 ATS) ------------------------------------------------------------------
@dataclass(frozen=True)
class AtsShortfall:
    covered_until: datetime
    days_needed: int
    approved_days: int

    @property
    def customer_days(self) -> int:
        return self.days_needed - self.approved_days


def ats_shortfall(start: datetime, projected_end: datetime, approved_days: int) -> AtsShortfall | None:
    """Days of a rental running from ``start`` to ``projected_end`` beyond what the insurer approved, if any."""
    if projected_end <= start:
        return None
    needed = rental_days(start, projected_end)
    if needed <= approved_days:
        return None
    return AtsShortfall(start + timedelta(days=approved_days), needed, approved_days)
