"""Row-level automatic calculations (DOMAIN.md §6): the arithmetic the ORM listeners apply on every save.

Each function takes plain values and returns the derived value (or None when it is undefined, e.g. a ratio over
zero). Decimal throughout, rounded half-up at the stored scale; never float. Which columns receive the results,
and how they are fitted into their columns' ranges, is ``collisionos/models/calculations.py``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from collisionos.domain.money import HUNDRED, ZERO, to_money

Number = Decimal | int | str | None

DEFAULT_LABOR_RATE = Decimal("75.00")  # §1 B3 / §5.13: labor lines and time entries without a rate
OVERTIME_FACTOR = Decimal("1.5")  # §5.13
ESTIMATE_VALID_DAYS = 30  # §1 B2
INVOICE_TERM_DAYS = {"due_on_receipt": 0, "cod": 0, "net_15": 15, "net_30": 30, "net_60": 60}  # §5.6
SECONDS_PER_HOUR = Decimal(3600)


def decimal_of(value: Number | float) -> Decimal:
    """Return ``value`` as a Decimal; None is zero and floats go through ``str``."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        value = str(value)
    return Decimal(value)


def round_to(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ratio_percent(part: Number, whole: Number) -> Decimal | None:
    """Return part ÷ whole × 100 to 2 dp, or None when whole is zero or missing."""
    denominator = decimal_of(whole)
    if denominator == 0:
        return None
    return round_to(decimal_of(part) / denominator * HUNDRED, 2)


def _as_utc(moment: datetime) -> datetime:
    # Every datetime the app writes is aware UTC; a naive one is taken as UTC, as the UTCDateTime column does.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _seconds_between(start: datetime, end: datetime) -> Decimal:
    return Decimal(str((_as_utc(end) - _as_utc(start)).total_seconds()))


# --- T4/T5 scheduling_capacity (§5.12) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Capacity:
    remaining_hours: Decimal
    utilization: Decimal
    overbooked_hours: Decimal  # scheduled beyond capacity; the stored figures are clamped (§5.12)


def capacity(total_hours: Number, scheduled_hours: Number) -> Capacity:
    """Remaining hours and utilization %: clamped to 0 h and 100 %, 0 % when there is no capacity (§5.12)."""
    total, scheduled = decimal_of(total_hours), decimal_of(scheduled_hours)
    utilization = ratio_percent(scheduled, total) or ZERO
    return Capacity(
        remaining_hours=round_to(max(ZERO, total - scheduled), 2),
        utilization=min(HUNDRED, utilization),
        overbooked_hours=round_to(max(ZERO, scheduled - total), 2),
    )


@dataclass(frozen=True)
class Bays:
    available: int
    utilization: Decimal
    overbooked: int


def bays(total_bays: int | None, occupied_bays: int | None) -> Bays:
    """Available bays and bay utilization %, clamped like the hours (§5.12)."""
    total, occupied = total_bays or 0, occupied_bays or 0
    utilization = ratio_percent(occupied, total) or ZERO
    return Bays(
        available=max(0, total - occupied), utilization=min(HUNDRED, utilization), overbooked=max(0, occupied - total)
    )


# --- T8/T9 advanced_parts_management (§5.3, §5.4) -------------------------------------------------------------------


def quantity_remaining(received: Number, installed: Number, returned: Number) -> Decimal:
    """On hand for install: received − installed − returned, never below 0, to 3 dp (§5.3)."""
    remaining = decimal_of(received) - decimal_of(installed) - decimal_of(returned)
    return round_to(max(ZERO, remaining), 3)


def net_price(list_price: Number, discount_percentage: Number = None, discount_amount: Number = None) -> Decimal:
    """list × (1 − discount %/100) − discount amount, to the cent, never below 0 (§5.4 rule (p))."""
    net = decimal_of(list_price) * (1 - decimal_of(discount_percentage) / HUNDRED) - decimal_of(discount_amount)
    return max(ZERO, to_money(net))


def extended_cost(net: Number, quantity: Number) -> Decimal:
    """net price × quantity ordered, to the cent (§5.4)."""
    return to_money(decimal_of(net) * decimal_of(quantity))


def margin_percent(sell_price: Number, net: Number) -> Decimal | None:
    """(sell − net) ÷ sell × 100 to 2 dp; None unless there is a sell price above 0 and a net price (§5.4)."""
    if sell_price is None or net is None or decimal_of(sell_price) <= 0:
        return None
    return ratio_percent(decimal_of(sell_price) - decimal_of(net), sell_price)


def margin_variance(actual: Number, target: Number) -> Decimal | None:
    """actual margin − target margin in points; None unless both are known (§5.4)."""
    if actual is None or target is None:
        return None
    return round_to(decimal_of(actual) - decimal_of(target), 2)


# --- T10 production_workflow, T11 purchase_order_system ------------------------------------------------------------


def efficiency_ratio(actual_hours: Number, estimated_hours: Number) -> Decimal | None:
    """actual ÷ estimated hours to 2 dp (a ratio, the inverse of efficiency %, §5.13); None without an estimate."""
    estimated = decimal_of(estimated_hours)
    if estimated <= 0:
        return None
    return round_to(decimal_of(actual_hours) / estimated, 2)


def percent_received(total_received: Number, total_quantity: Number) -> Decimal:
    """received ÷ ordered × 100 to 2 dp, at most 100; 0 when nothing was ordered (§5.3)."""
    if decimal_of(total_quantity) <= 0:
        return ZERO
    return min(HUNDRED, ratio_percent(total_received, total_quantity) or ZERO)


# --- H1/H2 estimates and their lines (§1 B2-B3, §5.6) ---------------------------------------------------------------


def estimate_expiry(estimate_date: datetime) -> datetime:
    """An estimate is valid for 30 days."""
    return estimate_date + timedelta(days=ESTIMATE_VALID_DAYS)


def line_tax(total: Number, tax_rate: Number, *, taxable: bool) -> Decimal | None:
    """Tax on a line: total × rate/100 when taxable; 0 when not taxable; None (unknown) without a rate (§5.6)."""
    if not taxable:
        return ZERO
    if tax_rate is None:
        return None
    return to_money(decimal_of(total) * decimal_of(tax_rate) / HUNDRED)


# --- H5 labor_time_entries (§5.13) ----------------------------------------------------------------------------------


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Hours from ``start`` to ``end``, to 2 dp."""
    return round_to(_seconds_between(start, end) / SECONDS_PER_HOUR, 2)


def hours_worked(clock_in: datetime, clock_out: datetime, break_hours: Number = None) -> Decimal:
    """Clocked hours less the break, never below 0, to 2 dp (§5.13)."""
    worked = _seconds_between(clock_in, clock_out) / SECONDS_PER_HOUR - decimal_of(break_hours)
    return round_to(max(ZERO, worked), 2)


def overtime_rate(hourly_rate: Number) -> Decimal:
    """1.5 × the hourly rate, to the cent (§5.13)."""
    return to_money(decimal_of(hourly_rate) * OVERTIME_FACTOR)


def amount_for_hours(rate: Number, hours: Number) -> Decimal:
    """rate × hours, to the cent (labor cost, billable amount)."""
    return to_money(decimal_of(rate) * decimal_of(hours))


def time_entry_efficiency(estimated_hours: Number, worked_hours: Number) -> Decimal | None:
    """estimated ÷ clocked × 100 to 2 dp (>100 = faster than book, §5.13); None without both."""
    if estimated_hours is None or worked_hours is None:
        return None
    return ratio_percent(estimated_hours, worked_hours)


# --- H11 job_stage_history, H16 vehicle_history ---------------------------------------------------------------------


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end``, rounded half-up (§5.14 stage cycle time)."""
    return int(round_to(_seconds_between(start, end) / 60, 0))


def sum_if_any(*amounts: Number) -> Decimal | None:
    """The sum of the amounts that are set, to the cent; None when none is."""
    present = [decimal_of(a) for a in amounts if a is not None]
    return to_money(sum(present, ZERO)) if present else None


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months, the day clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


# --- H3 invoices, H8 financial_transactions (§5.6) ------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: Decimal
    total: Decimal
    amount_due: Decimal


def invoice_totals(
    amounts: tuple[Number, ...], *, discount: Number, tax: Number, late_fee: Number, paid: Number
) -> InvoiceTotals:
    """subtotal = Σ category amounts; total = max(0, subtotal − discount + tax + late fee); due = total − paid."""
    subtotal = to_money(sum((decimal_of(a) for a in amounts), ZERO))
    total = max(ZERO, to_money(subtotal - decimal_of(discount) + decimal_of(tax) + decimal_of(late_fee)))
    return InvoiceTotals(subtotal=subtotal, total=total, amount_due=to_money(total - decimal_of(paid)))


def invoice_payment_status(current: str | None, total: Number, paid: Number) -> str:
    """unpaid (nothing paid) · paid (paid ≥ total) · partial (§5.6).

    ``cancelled`` and ``refunded`` are decisions, not arithmetic, and stay. ``overdue`` needs the clock, so it is set
    elsewhere; an overdue invoice stays overdue until it is paid in full.
    """
    if current in ("cancelled", "refunded"):
        return current
    paid_amount = decimal_of(paid)
    if paid_amount > 0 and paid_amount >= decimal_of(total):
        return "paid"
    if current == "overdue":
        return current
    return "unpaid" if paid_amount <= 0 else "partial"


def invoice_due_date(invoice_date: datetime, payment_terms: str | None) -> datetime | None:
    """Due on receipt / COD: the invoice date; net 15/30/60: that many days later; None for unknown terms."""
    days = INVOICE_TERM_DAYS.get(payment_terms or "due_on_receipt")
    return None if days is None else invoice_date + timedelta(days=days)


@dataclass(frozen=True)
class TransactionAmounts:
    total_fees: Decimal
    net_amount: Decimal
    base_amount: Decimal


def transaction_amounts(amount: Number, fees: tuple[Number, ...], exchange_rate: Number) -> TransactionAmounts:
    """total fees = Σ fees; net = amount − fees; base = amount × exchange rate (1 when missing) (§5.6)."""
    gross = decimal_of(amount)
    total_fees = to_money(sum((decimal_of(f) for f in fees), ZERO))
    rate = Decimal(1) if exchange_rate is None else decimal_of(exchange_rate)
    return TransactionAmounts(
        total_fees=total_fees, net_amount=to_money(gross - total_fees), base_amount=to_money(gross * rate)
    )


# --- H9 insurance_companies (§5.18) ---------------------------------------------------------------------------------


def average_claim_value(total_value: Number, total_claims: int | None) -> Decimal | None:
    """Claims value ÷ number of claims, to the cent; None with no claims."""
    if not total_claims:
        return None
    return to_money(decimal_of(total_value) / total_claims)


def overall_rating(*ratings: Number) -> Decimal | None:
    """Mean of the ratings that are set, to 1 dp; None when none is."""
    present = [decimal_of(r) for r in ratings if r is not None]
    if not present:
        return None
    return round_to(sum(present, ZERO) / len(present), 1)
