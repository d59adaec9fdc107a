"""Money arithmetic (DOMAIN.md §5.6): Decimal only, rounded half-up to the cent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
TAX_TYPES = ("gst", "pst", "hst")
CATEGORIES = ("parts", "labor", "materials", "sublet", "other")


def to_money(value: Decimal | int | str | float | None) -> Decimal:
    """Round ``value`` half-up to the cent; ``None`` is zero. Floats go through ``str`` first."""
    if value is None:
        return ZERO
    if isinstance(value, float):
        value = str(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(
    unit_price: Decimal | int | str,
    quantity: Decimal | int | str,
    discount_percent: Decimal | int | str | None = None,
    discount_amount: Decimal | int | str | None = None,
) -> Decimal:
    """Return max(0, price × quantity × (1 − discount%/100) − discount amount), to the cent."""
    gross = Decimal(unit_price) * Decimal(quantity) * (1 - Decimal(discount_percent or 0) / HUNDRED)
    return max(ZERO, to_money(gross - Decimal(discount_amount or 0)))


def percent_of(amount: Decimal, rate_percent: Decimal | int | str) -> Decimal:
    """Return ``rate_percent`` % of ``amount`` to the cent."""
    return to_money(Decimal(amount) * Decimal(rate_percent) / HUNDRED)


@dataclass(frozen=True)
class PricedLine:
    """One priced line as the totals see it."""

    category: str  # one of CATEGORIES
    amount: Decimal  # already rounded to the cent; negative for discounts
    taxable: bool = True
    customer_pay: bool = False


@dataclass(frozen=True)
class Totals:
    parts: Decimal
    labor: Decimal
    materials: Decimal
    sublet: Decimal
    other: Decimal
    taxable_amount: Decimal
    gst: Decimal
    pst: Decimal
    hst: Decimal
    total_taxes: Decimal
    total: Decimal
    customer_pay: Decimal


def compute_totals(
    lines: Iterable[PricedLine],
    tax_rates: Mapping[str, Decimal | str | int | None],
    extra_charges: Decimal = ZERO,
    fixed_taxes: Mapping[str, Decimal | str] | None = None,
) -> Totals:
    """Sum lines per category and tax them: tax is rounded per category and tax type, then summed.

    ``tax_rates`` maps ``gst``/``pst``/``hst`` to a percentage (missing or None = not charged).
    ``extra_charges`` (e.g. storage) is added to the total untaxed. ``fixed_taxes`` maps a tax type to an
    amount charged as it is (an imported estimate's tax whose rate its file does not declare).
    """
    by_category = dict.fromkeys(CATEGORIES, ZERO)
    taxable_by_category = dict.fromkeys(CATEGORIES, ZERO)
    customer_pay = ZERO
    for line in lines:
        if line.category not in by_category:
            raise ValueError(f"unknown category {line.category!r}")
        by_category[line.category] += line.amount
        if line.taxable:
            taxable_by_category[line.category] += line.amount
        if line.customer_pay:
            customer_pay += line.amount
    taxes = dict.fromkeys(TAX_TYPES, ZERO)
    for tax_type in TAX_TYPES:
        rate = tax_rates.get(tax_type)
        if rate in (None, ""):
            continue
        for category in CATEGORIES:
            taxes[tax_type] += percent_of(max(ZERO, taxable_by_category[category]), Decimal(rate))
    for tax_type, amount in (fixed_taxes or {}).items():
        taxes[tax_type] += to_money(amount)
    total_taxes = sum(taxes.values(), ZERO)
    subtotal = sum(by_category.values(), ZERO)
    return Totals(
        parts=by_category["parts"],
        labor=by_category["labor"],
        materials=by_category["materials"],
        sublet=by_category["sublet"],
        other=by_category["other"],
        taxable_amount=sum(taxable_by_category.values(), ZERO),
        gst=taxes["gst"],
        pst=taxes["pst"],
        hst=taxes["hst"],
        total_taxes=total_taxes,
        total=to_money(subtotal + to_money(extra_charges) + total_taxes),
        customer_pay=customer_pay,
    )


def split_payers(
    approved_total: Decimal, deductible: Decimal, customer_pay: Decimal, *, insured: bool
) -> tuple[Decimal, Decimal]:
    """Return (insurance portion, customer portion) of an RO (DOMAIN.md §5.6)."""
    if not insured:
        return ZERO, approved_total
    insurance = max(ZERO, approved_total - deductible - customer_pay)
    return insurance, approved_total - insurance
