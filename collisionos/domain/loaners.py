"""Loaner charges (DOMAIN.md §5.8): rental days, kilometres over the allowance, fuel, and the ATS split."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from collisionos.domain.errors import ValidationError
from collisionos.domain.money import ZERO, to_money

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
