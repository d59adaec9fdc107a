"""Loaner use cases (services/loaners.py): booking without double-booking, the reservation and vehicle
machines with their guards, and the bill of DOMAIN.md §5.8 worked through check-out and check-in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from collisionos.domain.errors import DomainError, NotFound, TransitionRefused, ValidationError
from collisionos.domain.transitions import LOANER, RESERVATION
from collisionos.extensions import db
from collisionos.models import ClaimManagement, LoanerReservation, LoanerVehicle, Shop
from collisionos.models.enums import LoanerStatus as L
from collisionos.models.enums import ReservationStatus as RS
from collisionos.services import loaners as svc
from tests import factories

# 08:00 in Toronto (the shop's zone) on Monday 2 November 2026.
NOW = datetime(2026, 11, 2, 13, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass
class Fleet:
    shop: Any
    user: Any
    customer: Any
    claim: Any
    ro: Any
    vehicle: Any

    def reload(self, model: type, row_id: int) -> Any:
        db.session.expire_all()
        return db.session.get(model, row_id)


def build_fleet(shop: Any | None = None, **vehicle: Any) -> Fleet:
    """A shop with an owner, a customer whose RO has an insurance claim paying 40.00 a day, and loaner L-07."""
    shop = shop or factories.ShopFactory()
    user = factories.UserFactory(shop=shop, role="owner")
    profile = factories.VehicleProfileFactory(vehicle__customer__shop=shop)
    claim = factories.ClaimFactory(
        vehicle_profile=profile, ats_allowance_amount=Decimal("40.00"), ats_days_approved=10, ats_days_used=0
    )
    ro = factories.RepairOrderFactory(vehicle_profile=profile, claim=claim, ro_status="in_production")
    defaults: dict[str, Any] = {
        "unit_id": "L-07",
        "daily_rental_rate": Decimal("45.00"),
        "mileage_allowance_daily": 250,
        "mileage_rate": Decimal("0.250"),
        "fuel_tank_capacity": Decimal("50.00"),
        "current_odometer": 40_000,
        "fuel_level": 100,
        "advance_booking_days": 60,
    }
    loaner = factories.LoanerVehicleFactory(shop=shop, **{**defaults, **vehicle})
    return Fleet(shop, user, profile.customer, claim, ro, loaner)


@pytest.fixture
def fleet(app_ctx):  # type: ignore[no-untyped-def]
    return build_fleet()


def reserve(fleet: Fleet, start: datetime, end: datetime, *, now: datetime = NOW, **kwargs: Any) -> LoanerReservation:
    kwargs.setdefault("repair_order_id", fleet.ro.id)
    kwargs.setdefault("driver_name", "Jane Smith")
    return svc.reserve_loaner(
        fleet.shop.id,
        loaner_vehicle_id=kwargs.pop("vehicle_id", fleet.vehicle.id),
        start=start,
        end=end,
        actor=fleet.user,
        now=now,
        **kwargs,
    )


def confirm(fleet: Fleet, reservation_id: int, now: datetime = NOW) -> LoanerReservation:
    return svc.confirm_reservation(fleet.shop.id, reservation_id, eligibility_verified=True, actor=fleet.user, now=now)


def check_out(fleet: Fleet, reservation_id: int, now: datetime = NOW, **overrides: Any) -> LoanerReservation:
    values: dict[str, Any] = {
        "odometer": 40_120,
        "fuel_level": 100,
        "condition_notes": "Clean, small chip on the windshield",
        "licence_checked": True,
        "insurance_verified": True,
        "agreement_signed": True,
        "deposit_collected": False,
    }
    values.update(overrides)
    return svc.check_out_loaner(fleet.shop.id, reservation_id, actor=fleet.user, now=now, **values)


def check_in(fleet: Fleet, reservation_id: int, now: datetime, **overrides: Any) -> svc.CheckInResult:
    values: dict[str, Any] = {"odometer": 40_500, "fuel_level": 100, "new_damage": False}
    values.update(overrides)
    return svc.check_in_loaner(fleet.shop.id, reservation_id, actor=fleet.user, now=now, **values)


def count_reservations() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LoanerReservation))


# --- reserving -----------------------------------------------------------------------------------------
def test_reserving_numbers_the_reservation_and_takes_the_defaults_from_the_vehicle_and_the_claim(fleet) -> None:
    start = NOW + 2 * DAY
    reservation = reserve(fleet, start, start + 3 * DAY)
    second = reserve(fleet, start + 10 * DAY, start + 12 * DAY)

    row = fleet.reload(LoanerReservation, reservation.id)
    assert (row.reservation_number, fleet.reload(LoanerReservation, second.id).reservation_number) == (
        "RES-261102-001",
        "RES-261102-002",
    )
    assert row.reservation_status == RS.PENDING
    assert (row.customer_id, row.repair_order_id, row.claim_management_id) == (
        fleet.customer.id,
        fleet.ro.id,
        fleet.claim.id,
    )
    assert (row.base_rental_rate, row.daily_mileage_allowance, row.excess_mileage_rate) == (
        Decimal("45.00"),
        250,
        Decimal("0.250"),
    )
    assert (row.daily_allowance, row.allowance_days, row.total_allowance) == (Decimal("40.00"), 10, Decimal("400.00"))
    assert row.eligibility_source == "insurance"
    # Not picked up today: the vehicle stays available; its later days are read from the reservations.
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.AVAILABLE


def test_a_pickup_today_marks_the_vehicle_reserved(fleet) -> None:
    reserve(fleet, NOW + 2 * HOUR, NOW + 2 * DAY)

    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.RESERVED


def test_the_reservation_number_uses_the_shops_day_not_utc(fleet) -> None:
    late_evening = datetime(2026, 11, 3, 3, 0, tzinfo=UTC)  # 22:00 on Nov 2 in Toronto

    reservation = reserve(fleet, late_evening + DAY, late_evening + 3 * DAY, now=late_evening)

    assert reservation.reservation_number == "RES-261102-001"


def test_the_ro_number_typed_by_staff_finds_the_ro_and_its_customer(fleet) -> None:
    reservation = reserve(
        fleet, NOW + DAY, NOW + 3 * DAY, repair_order_id=None, repair_order_number=fleet.ro.repair_order_number.lower()
    )

    assert (reservation.repair_order_id, reservation.customer_id) == (fleet.ro.id, fleet.customer.id)


def test_an_unknown_ro_number_is_refused(fleet) -> None:
    with pytest.raises(NotFound, match="No repair order RO999 in this shop"):
        reserve(fleet, NOW + DAY, NOW + 3 * DAY, repair_order_id=None, repair_order_number="RO999")
    assert count_reservations() == 0


def test_another_shops_ro_cannot_be_named(fleet) -> None:
    other = build_fleet()
    with pytest.raises(NotFound):
        reserve(fleet, NOW + DAY, NOW + 3 * DAY, repair_order_id=other.ro.id)
    with pytest.raises(NotFound):
        reserve(fleet, NOW + DAY, NOW + 3 * DAY, vehicle_id=other.vehicle.id)
    assert count_reservations() == 0


def test_a_customer_other_than_the_ros_is_refused(fleet) -> None:
    stranger = factories.CustomerFactory(shop=fleet.shop)
    with pytest.raises(ValidationError, match=re.escape(f"that RO is {fleet.customer}'s")):
        reserve(fleet, NOW + DAY, NOW + 3 * DAY, customer_id=stranger.id)
    assert count_reservations() == 0


def test_a_customer_without_an_ro_pays_for_the_loaner(fleet) -> None:
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY, repair_order_id=None, customer_id=fleet.customer.id)

    assert (reservation.claim_management_id, reservation.daily_allowance) == (None, None)
    assert reservation.eligibility_source == "customer_pay"


@pytest.mark.parametrize(
    ("existing", "status", "blocks"),
    [
        ((NOW + DAY, NOW + 3 * DAY), RS.CONFIRMED, True),  # same window
        ((NOW + 2 * DAY, NOW + 2 * DAY + 2 * HOUR), RS.CONFIRMED, True),  # inside the new one
        ((NOW, NOW + 10 * DAY), RS.ACTIVE, True),  # around the new one
        ((NOW + 2 * DAY, NOW + 5 * DAY), RS.PENDING, True),  # pending rows that name the vehicle count
        ((NOW + 2 * DAY, NOW + 5 * DAY), RS.CANCELLED, False),
        ((NOW + 2 * DAY, NOW + 5 * DAY), RS.NO_SHOW, False),
        ((NOW + 2 * DAY, NOW + 5 * DAY), RS.COMPLETED, False),
        ((NOW + 4 * DAY, NOW + 6 * DAY), RS.CONFIRMED, False),  # after, with more than the turnaround between
    ],
)
def test_conflicts_with_the_vehicles_other_reservations(fleet, existing, status, blocks) -> None:
    other = factories.LoanerReservationFactory(
        loaner_vehicle=fleet.vehicle,
        customer=fleet.customer,
        reservation_number="RES-261101-002",
        primary_driver_name="J. Smith",
        requested_start_date=existing[0],
        requested_end_date=existing[1],
        reservation_status=status,
    )
    if not blocks:
        reserve(fleet, NOW + DAY, NOW + 3 * DAY)
        assert count_reservations() == 2
        return
    with pytest.raises(ValidationError) as refused:
        reserve(fleet, NOW + DAY, NOW + 3 * DAY)
    assert refused.value.rule == "reservation_conflict"
    assert str(refused.value).startswith("Cannot reserve L-07 from Nov 3 08:00 to Nov 5 08:00: it is booked by ")
    assert f"RES-261101-002 (J. Smith) from {svc.when(existing[0], _zone())}" in str(refused.value)
    assert count_reservations() == 1
    assert other.reservation_status == status


def _zone():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Toronto")


def test_confirmed_dates_win_over_requested_ones(fleet) -> None:
    factories.LoanerReservationFactory(
        loaner_vehicle=fleet.vehicle,
        customer=fleet.customer,
        reservation_status=RS.CONFIRMED,
        requested_start_date=NOW + 10 * DAY,
        requested_end_date=NOW + 12 * DAY,
        confirmed_start_date=NOW + DAY,
        confirmed_end_date=NOW + 3 * DAY,
    )
    with pytest.raises(ValidationError, match="it is booked by"):
        reserve(fleet, NOW + 2 * DAY, NOW + 4 * DAY)
    reserve(fleet, NOW + 10 * DAY, NOW + 12 * DAY)


def test_a_car_still_out_past_its_return_date_blocks_until_it_comes_back(fleet) -> None:
    factories.LoanerReservationFactory(
        loaner_vehicle=fleet.vehicle,
        customer=fleet.customer,
        reservation_status=RS.ACTIVE,
        requested_start_date=NOW - 5 * DAY,
        requested_end_date=NOW - DAY,
    )
    with pytest.raises(ValidationError, match="it is booked by"):
        reserve(fleet, NOW + HOUR, NOW + DAY)


@pytest.mark.parametrize(
    ("gap", "turnaround_hours", "accepted"),
    [
        (timedelta(hours=1), 2, False),
        (timedelta(hours=2), 2, False),  # the bounds touch: existing.end + 2 h ≥ new.start
        (timedelta(hours=2, minutes=1), 2, True),
        (timedelta(hours=1), 0, True),
        (timedelta(hours=4), 5, False),
    ],
)
def test_the_turnaround_after_each_return_is_kept_free(fleet, gap, turnaround_hours, accepted) -> None:
    shop = db.session.get(Shop, fleet.shop.id)
    shop.settings = {**(shop.settings or {}), "loanerTurnaroundHours": turnaround_hours}
    db.session.commit()
    returned = NOW + DAY
    factories.LoanerReservationFactory(
        loaner_vehicle=fleet.vehicle,
        customer=fleet.customer,
        reservation_status=RS.CONFIRMED,
        requested_start_date=NOW + 2 * HOUR,
        requested_end_date=returned,
    )
    if accepted:
        reserve(fleet, returned + gap, returned + gap + DAY)
        assert count_reservations() == 2
    else:
        with pytest.raises(ValidationError, match=f"needs a {turnaround_hours}-hour turnaround between rentals"):
            reserve(fleet, returned + gap, returned + gap + DAY)
        assert count_reservations() == 1


@pytest.mark.parametrize(
    ("vehicle", "window", "driver_age", "rule", "message"),
    [
        ({"current_status": L.OUT_OF_SERVICE}, (DAY, 3 * DAY), None, "vehicle_unavailable", "it is out of service"),
        ({"current_status": L.ACCIDENT_DAMAGE}, (DAY, 3 * DAY), None, "vehicle_unavailable", "accident damage"),
        ({"current_status": L.RETIRED}, (DAY, 3 * DAY), None, "vehicle_unavailable", "it is retired"),
        ({"can_be_reserved": False}, (DAY, 3 * DAY), None, "not_reservable", "marked as not reservable"),
        (
            {"registration_expiry_date": NOW + 2 * DAY},
            (DAY, 3 * DAY),
            None,
            "registration_expires",
            "its registration expires Nov 4, 2026",
        ),
        (
            {"insurance_expiry_date": NOW + 2 * DAY},
            (DAY, 3 * DAY),
            None,
            "insurance_expires",
            "its insurance expires Nov 4, 2026",
        ),
        ({}, (3 * DAY, DAY), None, "end_before_start", "must be after the pickup"),
        ({}, (DAY, DAY), None, "end_before_start", "must be after the pickup"),
        ({}, (-3 * DAY, -DAY), None, "reservation_in_past", "already over"),
        (
            {"minimum_rental_days": 3},
            (DAY, 3 * DAY),
            None,
            "minimum_rental_days",
            "for 2 days: it rents for at least 3",
        ),
        ({"maximum_rental_days": 5}, (DAY, 7 * DAY), None, "maximum_rental_days", "for 6 days: it rents for at most 5"),
        ({"advance_booking_days": 30}, (31 * DAY, 33 * DAY), None, "advance_booking_days", "at most 30 days ahead"),
        ({"age_restriction": 25}, (DAY, 3 * DAY), 21, "driver_age", "at least 25"),
    ],
)
def test_bookings_the_vehicle_rules_refuse(app_ctx, vehicle, window, driver_age, rule, message) -> None:
    fleet = build_fleet(**vehicle)
    details = {"primary_driver_age": driver_age} if driver_age else None

    with pytest.raises(ValidationError, match=message) as refused:
        reserve(fleet, NOW + window[0], NOW + window[1], details=details)

    assert refused.value.rule == rule
    assert str(refused.value).startswith("Cannot reserve L-07")
    assert count_reservations() == 0


def test_papers_valid_to_the_end_and_rules_met_are_accepted(app_ctx) -> None:
    fleet = build_fleet(
        registration_expiry_date=NOW + 3 * DAY,
        insurance_expiry_date=NOW + 3 * DAY,
        minimum_rental_days=2,
        maximum_rental_days=2,
        age_restriction=25,
    )
    reserve(fleet, NOW + DAY, NOW + 3 * DAY, details={"primary_driver_age": 25})
    assert count_reservations() == 1


def test_a_driver_name_is_required(fleet) -> None:
    with pytest.raises(ValidationError, match="enter the driver's name"):
        reserve(fleet, NOW + DAY, NOW + 3 * DAY, driver_name="  ")


# --- the reservation machine ---------------------------------------------------------------------------
ACTIONS = {
    "confirm": RS.CONFIRMED,
    "check_out": RS.ACTIVE,
    "check_in": RS.COMPLETED,
    "cancel": RS.CANCELLED,
    "no_show": RS.NO_SHOW,
}
# Pickup yesterday, return tomorrow (both at 08:00 shop time); the action runs three days from now.
START, END, ACT = NOW - DAY, NOW + DAY, NOW + 3 * DAY


def reservation_in(fleet: Fleet, status: str) -> LoanerReservation:
    """Drive a reservation to ``status`` through the use cases themselves."""
    before = NOW - 3 * DAY
    reservation = reserve(fleet, START, END, now=before)
    if status == RS.PENDING:
        return reservation
    if status == RS.CANCELLED:
        return svc.cancel_reservation(
            fleet.shop.id, reservation.id, reason="Changed plans", actor=fleet.user, now=before
        )
    confirm(fleet, reservation.id, now=before)
    if status == RS.CONFIRMED:
        return reservation
    if status == RS.NO_SHOW:
        return svc.mark_no_show(fleet.shop.id, reservation.id, actor=fleet.user, now=NOW)
    check_out(fleet, reservation.id, now=START)
    if status == RS.ACTIVE:
        return reservation
    return check_in(fleet, reservation.id, now=END if status == RS.COMPLETED else NOW).reservation


def run(fleet: Fleet, action: str, reservation_id: int, now: datetime = ACT) -> Any:
    if action == "confirm":
        return confirm(fleet, reservation_id, now=now)
    if action == "check_out":
        return check_out(fleet, reservation_id, now=now, odometer=41_000)
    if action == "check_in":
        return check_in(fleet, reservation_id, now=now, odometer=41_000)
    if action == "cancel":
        return svc.cancel_reservation(
            fleet.shop.id, reservation_id, reason="Customer called", actor=fleet.user, now=now
        )
    return svc.mark_no_show(fleet.shop.id, reservation_id, actor=fleet.user, now=now)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("status", list(RS))
def test_every_reservation_move_on_the_table_succeeds_and_every_other_is_refused(fleet, status, action) -> None:
    reservation = reservation_in(fleet, status)
    before = fleet.reload(LoanerReservation, reservation.id).reservation_status
    vehicle_before = fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status
    assert before == status

    if ACTIONS[action] in RESERVATION[status]:
        run(fleet, action, reservation.id)
        after = fleet.reload(LoanerReservation, reservation.id).reservation_status
        assert after == ACTIONS[action]
        assert svc.reservation_actions(fleet.reload(LoanerReservation, reservation.id), ACT) == [
            a for a in ACTIONS if ACTIONS[a] in RESERVATION[after]
        ]
        return
    with pytest.raises(TransitionRefused, match=f"Cannot move {reservation.reservation_number} from") as refused:
        run(fleet, action, reservation.id)
    assert refused.value.rule in ("final_status", "transition_not_allowed")
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == status
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == vehicle_before


def test_confirming_an_insurer_paid_rental_needs_the_approval_verified(fleet) -> None:
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY)

    with pytest.raises(ValidationError, match="verify the rental is approved") as refused:
        svc.confirm_reservation(fleet.shop.id, reservation.id, actor=fleet.user, now=NOW)
    assert refused.value.rule == "eligibility_not_verified"
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == RS.PENDING

    svc.confirm_reservation(
        fleet.shop.id,
        reservation.id,
        eligibility_verified=True,
        authorization_number="AUTH-77",
        actor=fleet.user,
        now=NOW,
    )
    row = fleet.reload(LoanerReservation, reservation.id)
    assert (row.reservation_status, row.eligibility_verified, row.authorization_number) == (
        RS.CONFIRMED,
        True,
        "AUTH-77",
    )
    assert (row.confirmed_start_date, row.confirmed_end_date) == (NOW + DAY, NOW + 3 * DAY)


def test_a_customer_paid_rental_is_confirmed_without_an_insurer(fleet) -> None:
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY, repair_order_id=None, customer_id=fleet.customer.id)
    svc.confirm_reservation(fleet.shop.id, reservation.id, actor=fleet.user, now=NOW)
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == RS.CONFIRMED


def test_confirming_rechecks_conflicts_with_reservations_made_outside_the_use_case(fleet) -> None:
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY)
    factories.LoanerReservationFactory(
        loaner_vehicle=fleet.vehicle,
        customer=fleet.customer,
        reservation_number="RES-261101-009",
        reservation_status=RS.CONFIRMED,
        requested_start_date=NOW + 2 * DAY,
        requested_end_date=NOW + 4 * DAY,
    )
    with pytest.raises(ValidationError, match="booked by RES-261101-009"):
        confirm(fleet, reservation.id)
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == RS.PENDING


def test_confirming_refuses_a_vehicle_put_out_of_service_since(fleet) -> None:
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY)
    svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, L.OUT_OF_SERVICE, note="Brakes", actor=fleet.user, now=NOW)

    with pytest.raises(ValidationError, match="it is out of service"):
        confirm(fleet, reservation.id)


def test_cancelling_needs_a_reason_and_frees_the_vehicle_held_today(fleet) -> None:
    reservation = reserve(fleet, NOW + HOUR, NOW + DAY)
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.RESERVED

    with pytest.raises(ValidationError, match="give a reason"):
        svc.cancel_reservation(fleet.shop.id, reservation.id, reason=" ", actor=fleet.user, now=NOW)
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == RS.PENDING

    svc.cancel_reservation(fleet.shop.id, reservation.id, reason="RO finished early", actor=fleet.user, now=NOW)
    row = fleet.reload(LoanerReservation, reservation.id)
    assert (row.reservation_status, row.status_change_reason) == (RS.CANCELLED, "RO finished early")
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.AVAILABLE


def test_a_no_show_waits_until_the_pickup_day_is_over(fleet) -> None:
    reservation = reserve(fleet, NOW + HOUR, NOW + DAY)
    confirm(fleet, reservation.id)
    late_that_day = datetime(2026, 11, 3, 4, 59, tzinfo=UTC)  # 23:59 in Toronto

    with pytest.raises(TransitionRefused, match=r"before its pickup day \(Nov 2, 2026\) is over"):
        svc.mark_no_show(fleet.shop.id, reservation.id, actor=fleet.user, now=late_that_day)
    assert "no_show" not in svc.reservation_actions(fleet.reload(LoanerReservation, reservation.id), late_that_day)

    next_day = late_that_day + timedelta(minutes=1)
    svc.mark_no_show(fleet.shop.id, reservation.id, actor=fleet.user, now=next_day)
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == RS.NO_SHOW
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.AVAILABLE


# --- check-out -----------------------------------------------------------------------------------------
@pytest.fixture
def confirmed(fleet):  # type: ignore[no-untyped-def]
    reservation = reserve(fleet, NOW + HOUR, NOW + 4 * DAY)
    confirm(fleet, reservation.id)
    return reservation


def test_check_out_records_the_pickup_and_rents_the_vehicle(fleet, confirmed) -> None:
    check_out(fleet, confirmed.id, now=NOW + HOUR, driver_licence="S1234-56789-01234")

    row = fleet.reload(LoanerReservation, confirmed.id)
    assert row.reservation_status == RS.ACTIVE
    assert (row.actual_pickup_date, row.pickup_odometer, row.pickup_fuel_level) == (NOW + HOUR, 40_120, 100)
    assert (row.pickup_inspection_complete, row.pickup_inspected_by) == (True, fleet.user.id)
    assert (row.customer_id_verified, row.customer_insurance_verified, row.rental_agreement_signed) == (True,) * 3
    assert row.primary_driver_license == "S1234-56789-01234"
    assert "small chip" in row.status_change_reason
    vehicle = fleet.reload(LoanerVehicle, fleet.vehicle.id)
    assert (vehicle.current_status, vehicle.current_renter_id) == (L.RENTED, fleet.customer.id)
    assert (vehicle.current_odometer, vehicle.fuel_level, vehicle.is_on_premises) == (40_120, 100, False)


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"odometer": None}, "the pickup odometer"),
        ({"fuel_level": None}, "the fuel level"),
        ({"condition_notes": "  "}, "the condition notes"),
        ({"licence_checked": False}, "the driver's licence check"),
        ({"insurance_verified": False}, "the insurance check"),
        ({"agreement_signed": False}, "the signed rental agreement"),
        (
            {"licence_checked": False, "agreement_signed": False},
            "the driver's licence check and the signed rental agreement",
        ),
    ],
)
def test_check_out_names_what_is_missing(fleet, confirmed, overrides, missing) -> None:
    with pytest.raises(ValidationError) as refused:
        check_out(fleet, confirmed.id, **overrides)

    assert str(refused.value) == f"Cannot check out {confirmed.reservation_number}: record {missing} first."
    assert fleet.reload(LoanerReservation, confirmed.id).reservation_status == RS.CONFIRMED
    vehicle = fleet.reload(LoanerVehicle, fleet.vehicle.id)
    assert (vehicle.current_status, vehicle.current_odometer) == (L.RESERVED, 40_000)


def test_a_deposit_is_collected_when_the_vehicle_asks_for_one(app_ctx) -> None:
    fleet = build_fleet(security_deposit=Decimal("250.00"))
    reservation = reserve(fleet, NOW + HOUR, NOW + DAY)
    confirm(fleet, reservation.id)
    assert reservation.security_deposit_required

    with pytest.raises(ValidationError, match="record the security deposit first"):
        check_out(fleet, reservation.id)
    check_out(fleet, reservation.id, deposit_collected=True)
    assert fleet.reload(LoanerReservation, reservation.id).security_deposit_collected


def test_the_pickup_odometer_never_goes_below_the_vehicles_last_reading(fleet, confirmed) -> None:
    with pytest.raises(ValidationError, match="reads 39,999 km but L-07 was last at 40,000 km") as refused:
        check_out(fleet, confirmed.id, odometer=39_999)
    assert refused.value.rule == "odometer_backwards"
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_odometer == 40_000

    check_out(fleet, confirmed.id, odometer=40_000)


@pytest.mark.parametrize("fuel", [-1, 101])
def test_fuel_is_a_percentage(fleet, confirmed, fuel) -> None:
    with pytest.raises(ValidationError, match="percentage from 0 to 100"):
        check_out(fleet, confirmed.id, fuel_level=fuel)


def test_a_vehicle_still_in_cleaning_cannot_be_checked_out(fleet) -> None:
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY)
    confirm(fleet, reservation.id)
    svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, L.CLEANING, actor=fleet.user, now=NOW)

    with pytest.raises(TransitionRefused, match="Cannot move L-07 from cleaning to rented"):
        check_out(fleet, reservation.id, now=NOW + DAY)
    assert fleet.reload(LoanerReservation, reservation.id).reservation_status == RS.CONFIRMED


# --- check-in and the bill (§5.8) ----------------------------------------------------------------------
def test_the_worked_example_to_the_cent(fleet) -> None:
    # 3 days 5 hours (4 days), 1,180 km against 4 x 250 included, tank back at 3/4; the insurer allows
    # 40.00 a day for 3 days and has 2 of its 10 approved days left.
    claim = db.session.get(ClaimManagement, fleet.claim.id)
    claim.ats_days_used = 8
    db.session.commit()
    pickup = NOW + HOUR
    reservation = reserve(fleet, pickup, pickup + 5 * DAY, details={"allowance_days": 3})
    confirm(fleet, reservation.id)
    check_out(fleet, reservation.id, now=pickup, odometer=40_120, fuel_level=100)

    result = check_in(fleet, reservation.id, now=pickup + timedelta(days=3, hours=5), odometer=41_300, fuel_level=75)

    assert result.bill.fuel_charge == Decimal("45.63")  # 12.5 l x 1.65 = 20.625, + 25.00 refuel fee
    row = fleet.reload(LoanerReservation, reservation.id)
    assert row.reservation_status == RS.EARLY_RETURN  # back on the 5th, due on the 7th
    assert (row.total_rental_days, row.total_rental_charge) == (4, Decimal("180.00"))
    assert (row.total_miles_driven, row.excess_mileage, row.excess_mileage_charge) == (1180, 180, Decimal("45.00"))
    assert (row.additional_charges, row.additional_charges_description) == (Decimal("45.63"), "Fuel 45.63")
    assert row.total_amount == Decimal("270.63")
    assert (row.amount_covered_by_insurance, row.customer_responsible_amount) == (Decimal("80.00"), Decimal("190.63"))
    assert (row.return_odometer, row.return_fuel_level, row.return_inspection_complete) == (41_300, 75, True)
    assert fleet.reload(ClaimManagement, fleet.claim.id).ats_days_used == 10
    vehicle = fleet.reload(LoanerVehicle, fleet.vehicle.id)
    assert (vehicle.current_status, vehicle.current_renter_id, vehicle.is_on_premises) == (L.AVAILABLE, None, True)
    assert (vehicle.current_odometer, vehicle.fuel_level) == (41_300, 75)
    assert (vehicle.total_rentals, vehicle.total_rental_miles, vehicle.total_rental_days) == (1, 1180, 4)
    assert vehicle.revenue_generated_total == Decimal("270.63")


def test_an_on_time_return_completes_and_the_insurer_never_pays_more_than_the_rental(app_ctx) -> None:
    fleet = build_fleet()
    claim = db.session.get(ClaimManagement, fleet.claim.id)
    claim.ats_allowance_amount = Decimal("60.00")
    db.session.commit()
    pickup = NOW + HOUR
    reservation = reserve(fleet, pickup, pickup + 2 * DAY)
    confirm(fleet, reservation.id)
    check_out(fleet, reservation.id, now=pickup, odometer=40_000, fuel_level=100)

    check_in(fleet, reservation.id, now=pickup + 2 * DAY, odometer=40_100, fuel_level=100)

    row = fleet.reload(LoanerReservation, reservation.id)
    assert row.reservation_status == RS.COMPLETED
    assert (row.total_amount, row.amount_covered_by_insurance, row.customer_responsible_amount) == (
        Decimal("90.00"),
        Decimal("90.00"),
        Decimal("0.00"),
    )
    assert fleet.reload(ClaimManagement, fleet.claim.id).ats_days_used == 2


def test_a_customer_paid_rental_bills_everything_to_the_customer_with_other_charges(fleet) -> None:
    pickup = NOW + HOUR
    reservation = reserve(fleet, pickup, pickup + DAY, repair_order_id=None, customer_id=fleet.customer.id)
    confirm(fleet, reservation.id)
    check_out(fleet, reservation.id, now=pickup, odometer=40_000, fuel_level=80)

    check_in(
        fleet,
        reservation.id,
        now=pickup + DAY,
        odometer=40_100,
        fuel_level=55,
        other_charges=Decimal("30"),
        other_charges_description="Cleaning",
    )

    row = fleet.reload(LoanerReservation, reservation.id)
    # 45.00 rental + fuel (25 % of 50 l x 1.65 + 25.00 = 45.63) + 30.00 cleaning
    assert (row.total_amount, row.amount_covered_by_insurance, row.customer_responsible_amount) == (
        Decimal("120.63"),
        Decimal("0.00"),
        Decimal("120.63"),
    )
    assert row.additional_charges_description == "Fuel 45.63; Cleaning 30.00"


def test_the_shops_fuel_price_and_refuel_fee_are_used(fleet) -> None:
    shop = db.session.get(Shop, fleet.shop.id)
    shop.settings = {**(shop.settings or {}), "loanerFuelPricePerLitre": "2.00", "loanerRefuelFee": "10.00"}
    db.session.commit()
    reservation = reserve(fleet, NOW + HOUR, NOW + DAY)
    confirm(fleet, reservation.id)
    check_out(fleet, reservation.id, now=NOW + HOUR, fuel_level=100)

    result = check_in(fleet, reservation.id, now=NOW + DAY, fuel_level=50)

    assert result.bill.fuel_charge == Decimal("60.00")  # 25 l x 2.00 + 10.00


def test_new_damage_sends_the_vehicle_to_maintenance_and_needs_a_description(fleet, confirmed) -> None:
    check_out(fleet, confirmed.id, now=NOW + HOUR)

    with pytest.raises(ValidationError, match="record a description of the new damage first"):
        check_in(fleet, confirmed.id, now=NOW + DAY, new_damage=True)
    assert fleet.reload(LoanerReservation, confirmed.id).reservation_status == RS.ACTIVE

    check_in(fleet, confirmed.id, now=NOW + DAY, new_damage=True, damage_description="Dent, rear left door")
    vehicle = fleet.reload(LoanerVehicle, fleet.vehicle.id)
    assert (vehicle.current_status, vehicle.has_current_damage, vehicle.damage_reported_by) == (
        L.MAINTENANCE,
        True,
        fleet.user.id,
    )
    assert "Dent, rear left door" in fleet.reload(LoanerReservation, confirmed.id).status_change_reason


def test_the_return_odometer_never_goes_below_the_pickup(fleet, confirmed) -> None:
    check_out(fleet, confirmed.id, now=NOW + HOUR, odometer=40_120)

    with pytest.raises(ValidationError, match="reads 40,119 km, below the 40,120 km recorded at pickup") as refused:
        check_in(fleet, confirmed.id, now=NOW + DAY, odometer=40_119)

    assert refused.value.rule == "odometer_backwards"
    row = fleet.reload(LoanerReservation, confirmed.id)
    assert (row.reservation_status, row.return_odometer, row.total_amount) == (RS.ACTIVE, None, None)
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_odometer == 40_120


@pytest.mark.parametrize(
    ("overrides", "missing"), [({"odometer": None}, "return odometer"), ({"fuel_level": None}, "fuel level")]
)
def test_check_in_names_the_missing_reading(fleet, confirmed, overrides, missing) -> None:
    check_out(fleet, confirmed.id, now=NOW + HOUR)
    with pytest.raises(ValidationError, match=f"record the {missing} first"):
        check_in(fleet, confirmed.id, now=NOW + DAY, **overrides)


# --- the vehicle machine -------------------------------------------------------------------------------
@pytest.mark.parametrize("target", list(L))
@pytest.mark.parametrize("current", list(L))
def test_every_vehicle_move_on_the_table_succeeds_and_every_other_is_refused(app_ctx, current, target) -> None:
    fleet = build_fleet(current_status=current)
    by_hand = current not in (L.RESERVED, L.RENTED) and target not in (L.RESERVED, L.RENTED)
    allowed = by_hand and target in LOANER[current]
    # The vehicle page offers exactly the moves that would succeed.
    assert (target in svc.vehicle_moves(fleet.reload(LoanerVehicle, fleet.vehicle.id))) == allowed

    if allowed:
        svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, target, note="Routine", actor=fleet.user, now=NOW)
        vehicle = fleet.reload(LoanerVehicle, fleet.vehicle.id)
        assert (vehicle.current_status, vehicle.status_change_date) == (target, NOW)
        return
    with pytest.raises(TransitionRefused, match="Cannot m") as refused:
        svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, target, note="Routine", actor=fleet.user, now=NOW)
    expected = (
        {"reservation_driven_status", "vehicle_in_use"} if not by_hand else {"final_status", "transition_not_allowed"}
    )
    assert refused.value.rule in expected
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == current


@pytest.mark.parametrize("target", [L.OUT_OF_SERVICE, L.RETIRED])
def test_taking_a_vehicle_off_the_road_needs_a_reason(fleet, target) -> None:
    with pytest.raises(ValidationError, match="give a reason"):
        svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, target, actor=fleet.user, now=NOW)
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.AVAILABLE


def test_cleaning_done_records_the_date_and_retiring_stops_bookings(fleet) -> None:
    svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, L.CLEANING, actor=fleet.user, now=NOW)
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).requires_cleaning
    svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, L.AVAILABLE, actor=fleet.user, now=NOW + HOUR)
    vehicle = fleet.reload(LoanerVehicle, fleet.vehicle.id)
    assert (vehicle.requires_cleaning, vehicle.last_cleaned_date) == (False, NOW + HOUR)

    svc.move_loaner_vehicle(fleet.shop.id, fleet.vehicle.id, L.RETIRED, note="Sold", actor=fleet.user, now=NOW)
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).can_be_reserved is False


def test_vehicles_picked_up_today_are_held_by_the_daily_job(fleet) -> None:
    reserve(fleet, NOW + DAY + HOUR, NOW + 3 * DAY)
    assert svc.hold_todays_pickups(fleet.shop.id, now=NOW) == 0
    assert svc.hold_todays_pickups(fleet.shop.id, now=NOW + DAY) == 1
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.RESERVED


# --- the warning on the RO and the reservation ---------------------------------------------------------
def test_a_promised_date_past_the_approved_days_warns_on_the_ro_and_the_reservation(fleet) -> None:
    pickup = NOW + HOUR  # 09:00 on Nov 2
    reservation = reserve(fleet, pickup, pickup + 10 * DAY, details={"allowance_days": 3})
    ro = fleet.reload(type(fleet.ro), fleet.ro.id)
    ro.promised_delivery_date = pickup + timedelta(days=5, hours=8)  # Nov 7 17:00 -> 6 rental days
    db.session.commit()

    expected = (
        f"{ro.repair_order_number} is due back Nov 7 17:00 but the insurer approved rental to Nov 5 09:00 "
        f"({reservation.reservation_number}): 3 days will be the customer's."
    )
    assert svc.loaner_warnings_for_repair_order(ro, NOW) == [expected]
    assert svc.loaner_warnings_for_reservation(fleet.reload(LoanerReservation, reservation.id), NOW) == [expected]


def test_the_claims_used_days_shorten_the_approved_rental(fleet) -> None:
    claim = db.session.get(ClaimManagement, fleet.claim.id)
    claim.ats_days_used = 9
    db.session.commit()
    reservation = reserve(fleet, NOW + HOUR, NOW + 10 * DAY)
    ro = fleet.reload(type(fleet.ro), fleet.ro.id)
    ro.promised_delivery_date = NOW + HOUR + 2 * DAY
    db.session.commit()

    assert svc.loaner_warnings_for_repair_order(ro, NOW) == [
        f"{ro.repair_order_number} is due back Nov 4 09:00 but the insurer approved rental to Nov 3 09:00 "
        f"({reservation.reservation_number}): 1 day will be the customer's."
    ]


@pytest.mark.parametrize(
    ("promised", "ro_status", "allowance_days"),
    [
        (None, "in_production", 3),  # no projected date: nothing to compare
        (timedelta(days=3), "in_production", 3),  # back within the approved days
        (timedelta(days=9), "delivered", 3),  # the car is back already
        (timedelta(days=9), "in_production", None),  # nobody approved any days
    ],
)
def test_no_warning_when_the_rental_fits_or_there_is_nothing_to_compare(
    fleet, promised, ro_status, allowance_days
) -> None:
    claim = db.session.get(ClaimManagement, fleet.claim.id)
    claim.ats_days_approved = allowance_days
    if allowance_days is None:
        claim.ats_allowance_amount = None
    db.session.commit()
    reserve(fleet, NOW + HOUR, NOW + 10 * DAY, details={"allowance_days": allowance_days})
    ro = fleet.reload(type(fleet.ro), fleet.ro.id)
    ro.promised_delivery_date = NOW + HOUR + promised if promised else None
    ro.ro_status = ro_status
    db.session.commit()

    assert svc.loaner_warnings_for_repair_order(ro, NOW) == []


def test_an_overdue_ro_is_projected_from_now(fleet) -> None:
    reservation = reserve(fleet, NOW + HOUR, NOW + 20 * DAY, details={"allowance_days": 3})
    confirm(fleet, reservation.id)
    check_out(fleet, reservation.id, now=NOW + HOUR)
    ro = fleet.reload(type(fleet.ro), fleet.ro.id)
    ro.promised_delivery_date = NOW + 2 * DAY  # promised within the allowance, but not done by day 5
    db.session.commit()

    assert svc.loaner_warnings_for_repair_order(ro, NOW + 2 * DAY) == []
    [warning] = svc.loaner_warnings_for_repair_order(ro, NOW + 5 * DAY)
    assert warning.endswith("2 days will be the customer's.")


def test_domain_errors_are_the_only_refusals(fleet) -> None:
    # A refused use case leaves the session usable for the next one (everything rolled back).
    with pytest.raises(DomainError):
        reserve(fleet, NOW + 3 * DAY, NOW + DAY)
    reserve(fleet, NOW + DAY, NOW + 3 * DAY)
    assert count_reservations() == 1


def test_an_early_pickup_cannot_take_the_car_from_a_booking_before_it(fleet) -> None:
    later = reserve(fleet, NOW + 3 * DAY, NOW + 5 * DAY, repair_order_id=None, customer_id=fleet.customer.id)
    confirm(fleet, later.id)
    today = reserve(fleet, NOW + HOUR, NOW + DAY, driver_name="J. Smith")
    confirm(fleet, today.id)

    with pytest.raises(ValidationError, match=f"Cannot check out L-07 from .*booked by {today.reservation_number}"):
        check_out(fleet, later.id, now=NOW + HOUR)
    assert fleet.reload(LoanerReservation, later.id).reservation_status == RS.CONFIRMED
    assert fleet.reload(LoanerVehicle, fleet.vehicle.id).current_status == L.RESERVED

    check_out(fleet, today.id, now=NOW + HOUR)
    assert fleet.reload(LoanerReservation, today.id).reservation_status == RS.ACTIVE


def test_an_unticked_form_box_does_not_waive_the_vehicles_deposit(app_ctx) -> None:
    fleet = build_fleet(security_deposit=Decimal("250.00"))
    reservation = reserve(fleet, NOW + DAY, NOW + 3 * DAY, details={"security_deposit_required": False})
    assert (reservation.security_deposit_required, reservation.security_deposit_amount) == (True, Decimal("250.00"))
