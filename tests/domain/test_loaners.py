"""Loaner bills (DOMAIN.md §5.8), worked to the cent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from collisionos.domain.errors import TransitionRefused, ValidationError
from collisionos.domain.loaners import (
    Booking,
    CheckIn,
    CheckOut,
    Coverage,
    LoanerTerms,
    ats_shortfall,
    bill_loaner,
    booked_window,
    check_check_in,
    check_check_out,
    check_manual_vehicle_move,
    check_no_show,
    check_reservable,
    conflict_message,
    find_conflict,
    is_early_return,
    rental_days,
)

PICKUP = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TERMS = LoanerTerms(
    daily_rate=Decimal("45.00"),
    allowance_per_day=250,
    excess_rate=Decimal("0.250"),
    tank_capacity=Decimal("50.00"),
    fuel_price=Decimal("1.65"),
    refuel_fee=Decimal("25.00"),
)


@pytest.mark.parametrize(
    ("duration", "days"),
    [
        (timedelta(hours=2), 1),
        (timedelta(hours=24), 1),
        (timedelta(hours=24, minutes=59), 1),  # inside the 59-minute grace
        (timedelta(hours=25), 2),
        (timedelta(days=3, hours=1), 4),
        (timedelta(days=5), 5),
    ],
)
def test_rental_days_count_started_days_with_a_59_minute_grace(duration: timedelta, days: int) -> None:
    assert rental_days(PICKUP, PICKUP + duration) == days


def test_a_return_before_pickup_is_refused() -> None:
    with pytest.raises(ValidationError, match="before the pickup"):
        rental_days(PICKUP, PICKUP - timedelta(minutes=1))


def test_worked_example_with_kilometres_over_fuel_short_and_insurer_paying_its_days() -> None:
    # 4 days (3 days 5 hours), 1,180 km driven against 4 x 250 = 1,000 included, tank back at 3/4.
    bill = bill_loaner(
        TERMS,
        pickup=PICKUP,
        returned=PICKUP + timedelta(days=3, hours=5),
        pickup_odometer=40_120,
        return_odometer=41_300,
        pickup_fuel=100,
        return_fuel=75,
        coverage=Coverage(daily_allowance=Decimal("40.00"), allowance_days=3, days_approved=10, days_used=8),
    )
    assert bill.days == 4
    assert bill.rental_charge == Decimal("180.00")  # 4 x 45.00
    assert (bill.driven, bill.excess) == (1180, 180)
    assert bill.excess_charge == Decimal("45.00")  # 180 x 0.250
    assert bill.fuel_charge == Decimal("45.63")  # 12.5 l x 1.65 = 20.625, + 25.00 refuel fee -> 45.63
    assert bill.total == Decimal("270.63")
    # The claim has 2 approved days left (10 - 8): the insurer pays 2 x 40.00; everything else is the customer's.
    assert (bill.covered_days, bill.insurance_pays, bill.customer_pays) == (2, Decimal("80.00"), Decimal("190.63"))


def test_fuel_charge_is_litres_times_price_plus_the_refuel_fee_rounded_half_up() -> None:
    bill = bill_loaner(
        TERMS,
        pickup=PICKUP,
        returned=PICKUP + timedelta(hours=3),
        pickup_odometer=10,
        return_odometer=20,
        pickup_fuel=80,
        return_fuel=55,
    )
    # 25 % of 50 l = 12.5 l x 1.65 = 20.625, + 25.00 = 45.625 -> 45.63
    assert bill.fuel_charge == Decimal("45.63")


def test_no_mileage_charge_without_an_allowance_and_rate() -> None:
    terms = LoanerTerms(daily_rate=Decimal("45.00"))
    bill = bill_loaner(
        terms,
        pickup=PICKUP,
        returned=PICKUP + timedelta(days=1),
        pickup_odometer=0,
        return_odometer=5_000,
        pickup_fuel=50,
        return_fuel=10,
    )
    assert (bill.excess, bill.excess_charge, bill.fuel_charge, bill.total) == (0, 0, 0, Decimal("45.00"))


def test_the_insurer_never_pays_more_than_the_rental() -> None:
    bill = bill_loaner(
        TERMS,
        pickup=PICKUP,
        returned=PICKUP + timedelta(days=2),
        pickup_odometer=0,
        return_odometer=100,
        pickup_fuel=100,
        return_fuel=100,
        coverage=Coverage(daily_allowance=Decimal("60.00"), allowance_days=10, days_approved=10),
    )
    assert (bill.insurance_pays, bill.customer_pays) == (Decimal("90.00"), Decimal("0.00"))


@pytest.mark.parametrize(
    ("odometers", "fuel", "message"),
    [((1000, 999), (100, 100), "below the pickup reading"), ((0, 10), (100, 101), "percentages")],
)
def test_impossible_readings_are_refused(odometers, fuel, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        bill_loaner(
            TERMS,
            pickup=PICKUP,
            returned=PICKUP + timedelta(days=1),
            pickup_odometer=odometers[0],
            return_odometer=odometers[1],
            pickup_fuel=fuel[0],
            return_fuel=fuel[1],
        )


# --- booking rules (§5.15) and the readings of a check-out or check-in (§3.6) ---------------------------
TORONTO = ZoneInfo("America/Toronto")
HOUR = timedelta(hours=1)
TWO_HOURS = timedelta(hours=2)


def booking(start: datetime, end: datetime, number: str = "RES-261102-001") -> Booking:
    return Booking(number, "J. Smith", start, end)


@pytest.mark.parametrize(
    ("existing", "new", "clash"),
    [
        ((0, 24), (10, 30), True),  # overlaps the end
        ((10, 30), (0, 24), True),  # overlaps the start
        ((5, 6), (0, 24), True),  # inside
        ((0, 48), (5, 6), True),  # around
        ((0, 24), (25, 30), True),  # inside the 2-hour turnaround after the return
        ((0, 24), (26, 30), True),  # touching the turnaround's end: the bounds are inclusive
        ((30, 40), (0, 28), True),  # the new return's turnaround runs into the next pickup
        ((0, 24), (27, 30), False),
        ((31, 40), (0, 28), False),
    ],
)
def test_overlap_counts_the_turnaround_after_each_return(existing, new, clash) -> None:  # type: ignore[no-untyped-def]
    found = find_conflict(
        [booking(PICKUP + existing[0] * HOUR, PICKUP + existing[1] * HOUR)],
        PICKUP + new[0] * HOUR,
        PICKUP + new[1] * HOUR,
        TWO_HOURS,
    )
    assert (found is not None) == clash


def test_the_first_conflicting_booking_is_named_with_its_dates_in_shop_time() -> None:
    later = booking(PICKUP + 48 * HOUR, PICKUP + 72 * HOUR, "RES-261102-002")
    earlier = booking(PICKUP, PICKUP + 30 * HOUR, "RES-261102-001")
    found = find_conflict([later, earlier], PICKUP + 10 * HOUR, PICKUP + 60 * HOUR, TWO_HOURS)
    assert found == earlier
    assert conflict_message("L-07", PICKUP + 10 * HOUR, PICKUP + 60 * HOUR, earlier, TWO_HOURS, TORONTO) == (
        "Cannot reserve L-07 from Nov 2 14:00 to Nov 4 16:00: it is booked by RES-261102-001 (J. Smith) "
        "from Nov 2 04:00 to Nov 3 10:00."
    )


def test_a_clash_inside_the_turnaround_says_so() -> None:
    existing = booking(PICKUP, PICKUP + 24 * HOUR)
    message = conflict_message("L-07", PICKUP + 25 * HOUR, PICKUP + 30 * HOUR, existing, TWO_HOURS, TORONTO)
    assert message.endswith("and needs a 2-hour turnaround between rentals.")


def test_confirmed_dates_win_over_requested_ones() -> None:
    confirmed = (PICKUP + HOUR, PICKUP + 5 * HOUR)
    assert booked_window(*confirmed, PICKUP, PICKUP + 24 * HOUR) == confirmed
    assert booked_window(None, None, PICKUP, PICKUP + 24 * HOUR) == (PICKUP, PICKUP + 24 * HOUR)


def loaner(**changes):  # type: ignore[no-untyped-def]
    values = {
        "unit_id": "L-07",
        "current_status": "available",
        "can_be_reserved": True,
        "registration_expiry_date": None,
        "insurance_expiry_date": None,
        "minimum_rental_days": 1,
        "maximum_rental_days": 30,
        "advance_booking_days": 30,
        "age_restriction": None,
    }
    values.update(changes)
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"current_status": "out_of_service"}, "vehicle_unavailable"),
        ({"current_status": "accident_damage"}, "vehicle_unavailable"),
        ({"current_status": "retired"}, "vehicle_unavailable"),
        ({"can_be_reserved": False}, "not_reservable"),
        ({"registration_expiry_date": PICKUP + 47 * HOUR}, "registration_expires"),
        ({"insurance_expiry_date": PICKUP + 47 * HOUR}, "insurance_expires"),
        ({"minimum_rental_days": 3}, "minimum_rental_days"),
        ({"maximum_rental_days": 1}, "maximum_rental_days"),
    ],
)
def test_a_vehicle_that_cannot_take_the_booking_is_refused(changes, rule) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        check_reservable(loaner(**changes), PICKUP, PICKUP + 48 * HOUR, now=PICKUP, zone=TORONTO)
    assert refused.value.rule == rule


@pytest.mark.parametrize("status", ["available", "reserved", "rented", "cleaning", "maintenance", "inspection"])
def test_a_vehicle_busy_now_can_still_be_booked_for_later(status) -> None:  # type: ignore[no-untyped-def]
    check_reservable(
        loaner(current_status=status, registration_expiry_date=PICKUP + 48 * HOUR),
        PICKUP,
        PICKUP + 48 * HOUR,
        now=PICKUP,
        zone=TORONTO,
    )


CHECK_OUT = CheckOut(40_120, 100, "Clean", True, True, True)


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"odometer": None}, "the pickup odometer"),
        ({"fuel_level": None}, "the fuel level"),
        ({"condition_notes": ""}, "the condition notes"),
        ({"licence_checked": False}, "the driver's licence check"),
        ({"insurance_verified": False}, "the insurance check"),
        ({"agreement_signed": False}, "the signed rental agreement"),
        ({"odometer": None, "fuel_level": None, "agreement_signed": False}, None),
    ],
)
def test_a_check_out_names_every_missing_item(changes, missing) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        check_check_out(
            "RES-1",
            "L-07",
            replace(CHECK_OUT, **changes),
            vehicle_odometer=0,
            deposit_required=False,
            distance_unit="km",
        )
    expected = missing or "the pickup odometer, the fuel level and the signed rental agreement"
    assert str(refused.value) == f"Cannot check out RES-1: record {expected} first."


def test_a_required_deposit_must_be_collected() -> None:
    with pytest.raises(ValidationError, match="the security deposit"):
        check_check_out("RES-1", "L-07", CHECK_OUT, vehicle_odometer=0, deposit_required=True, distance_unit="km")
    check_check_out(
        "RES-1",
        "L-07",
        replace(CHECK_OUT, deposit_collected=True),
        vehicle_odometer=0,
        deposit_required=True,
        distance_unit="km",
    )


def test_odometers_never_go_backwards() -> None:
    with pytest.raises(ValidationError, match="odometer never goes backwards"):
        check_check_out("RES-1", "L-07", CHECK_OUT, vehicle_odometer=40_121, deposit_required=False, distance_unit="km")
    check_check_out("RES-1", "L-07", CHECK_OUT, vehicle_odometer=40_120, deposit_required=False, distance_unit="km")
    with pytest.raises(ValidationError, match="below the 40,120 mi recorded at pickup"):
        check_check_in("RES-1", CheckIn(40_000, 50, False), pickup_odometer=40_120, distance_unit="mi")
    check_check_in("RES-1", CheckIn(40_120, 50, False), pickup_odometer=40_120, distance_unit="mi")


def test_new_damage_must_be_described() -> None:
    with pytest.raises(ValidationError, match="a description of the new damage"):
        check_check_in("RES-1", CheckIn(41_000, 50, True, " "), pickup_odometer=40_000, distance_unit="km")
    check_check_in("RES-1", CheckIn(41_000, 50, True, "Dent"), pickup_odometer=40_000, distance_unit="km")


def test_early_return_and_no_show_are_judged_by_the_shops_calendar_day() -> None:
    due = datetime(2026, 11, 5, 14, 0, tzinfo=UTC)  # 09:00 in Toronto
    # 04:59 UTC on the 5th is still the 4th in Toronto; 05:00 UTC is midnight there.
    assert is_early_return(datetime(2026, 11, 5, 4, 59, tzinfo=UTC), due, TORONTO)
    assert not is_early_return(datetime(2026, 11, 5, 5, 0, tzinfo=UTC), due, TORONTO)
    with pytest.raises(TransitionRefused, match="before its pickup day"):
        check_no_show("RES-1", due, datetime(2026, 11, 6, 4, 59, tzinfo=UTC), TORONTO)
    check_no_show("RES-1", due, datetime(2026, 11, 6, 5, 0, tzinfo=UTC), TORONTO)


@pytest.mark.parametrize(
    ("current", "target", "rule"),
    [
        ("available", "reserved", "reservation_driven_status"),
        ("reserved", "available", "vehicle_in_use"),
        ("rented", "maintenance", "vehicle_in_use"),
        ("cleaning", "rented", "reservation_driven_status"),
    ],
)
def test_reserved_and_rented_follow_the_reservations_only(current, target, rule) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TransitionRefused) as refused:
        check_manual_vehicle_move("L-07", current, target)
    assert refused.value.rule == rule


@pytest.mark.parametrize(
    ("projected", "approved", "customer_days"),
    [(timedelta(days=2), 3, None), (timedelta(days=3, minutes=59), 3, None), (timedelta(days=5, hours=1), 3, 3)],
)
def test_days_beyond_the_insurers_approval(projected, approved, customer_days) -> None:  # type: ignore[no-untyped-def]
    shortfall = ats_shortfall(PICKUP, PICKUP + projected, approved)
    if customer_days is None:
        assert shortfall is None
        return
    assert shortfall is not None
    assert (shortfall.customer_days, shortfall.covered_until) == (customer_days, PICKUP + timedelta(days=approved))
