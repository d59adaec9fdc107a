"""Loaner bills (DOMAIN.md §5.8), worked to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from collisionos.domain.errors import ValidationError
from collisionos.domain.loaners import Coverage, LoanerTerms, bill_loaner, rental_days

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
