"""An imported estimate's totals computed from its lines and rates, and compared with the file's own (§5.6).

Labor is hours × the declared rate per labor type; parts are price × quantity; paint materials, shop materials,
hazardous waste, sublets and other charges are their stated prices. Tax applies to the taxable amount of each
category at each tax rate the file declares, rounded per category and tax type, then summed. A tax type the file
charges without declaring its rate is taken at the file's amount (Canadian files often declare only the
provincial rate): a missing rate is never a reason for review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from collisionos.domain.bms.model import (
    MATERIAL,
    PAINT_MATERIALS,
    PART,
    SUBLET,
    BmsEstimate,
    BmsRejected,
    DamageLine,
    FileTotals,
    Rates,
)
from collisionos.domain.money import ZERO, percent_of, to_money

CATEGORIES = ("labor", "parts", "sublet", "materials", "other")
TOLERANCE = Decimal("0.01")  # rounding differences of one cent between estimating systems are not disagreements
REFINISH_TYPE = "LAR"
# Estimating systems' tax type codes -> the shop's tax slots (§5.6: GST/PST or a single HST).
TAX_SLOTS = {"GS": "gst", "GST": "gst", "LS": "pst", "PS": "pst", "PST": "pst", "ST": "pst", "HS": "hst", "HST": "hst"}
TAX_LABELS = {"gst": "GST", "pst": "Sales tax", "hst": "HST"}


def tax_slot(tax_type: str) -> str:
    """The shop tax slot (gst, pst or hst) a file's tax type code fills; unknown codes count as sales tax."""
    return TAX_SLOTS.get(tax_type.upper(), "pst")


@dataclass(frozen=True)
class Component:
    """One priced part of a damage line (a line may carry a part and its labor)."""

    category: str  # one of CATEGORIES
    amount: Decimal
    taxable: bool
    hours: Decimal = ZERO
    labor_type: str | None = None


def labor_rate(rates: Rates, labor_type: str | None, totals: FileTotals | None = None) -> Decimal | None:
    """The declared rate of a labor type; else the file's own amount ÷ hours for that type; else None."""
    code = (labor_type or "").upper()
    if code in rates.labor:
        return rates.labor[code]
    if totals is not None:
        hours, amount = totals.labor_hours_by_type.get(code), totals.labor_by_type.get(code)
        if hours and amount is not None and hours > 0 and amount >= 0:
            return to_money(amount / hours)
    return None


def components(line: DamageLine, rates: Rates, totals: FileTotals | None = None) -> list[Component]:
    """What a damage line charges, by category: its part, its labor, its refinish, its charge."""
    found: list[Component] = []
    if line.kind in (PART, SUBLET) and line.part_price is not None:
        category = "sublet" if line.kind == SUBLET else "parts"
        found.append(Component(category, to_money(line.part_price * line.quantity), line.part_taxable))
    if line.labor_hours is not None or line.labor_amount is not None:
        hours = ZERO if line.labor_included else (line.labor_hours or ZERO)
        if line.labor_included:
            amount = ZERO
        elif line.labor_amount is not None:
            amount = to_money(line.labor_amount)
        else:
            rate = labor_rate(rates, line.labor_type, totals)
            amount = to_money(hours * rate) if rate is not None else ZERO
        found.append(Component("labor", amount, line.labor_taxable, hours, (line.labor_type or "").upper() or None))
    if line.refinish_hours is not None and not line.refinish_included:
        rate = labor_rate(rates, REFINISH_TYPE, totals)
        amount = to_money(line.refinish_hours * rate) if rate is not None else ZERO
        found.append(Component("labor", amount, line.labor_taxable, line.refinish_hours, REFINISH_TYPE))
    if line.other_price is not None:
        category = {SUBLET: "sublet", PAINT_MATERIALS: "materials", MATERIAL: "materials"}.get(line.kind, "other")
        found.append(Component(category, to_money(line.other_price), line.other_taxable))
    return found


def line_amount(line: DamageLine, rates: Rates, totals: FileTotals | None = None) -> Decimal:
    """The line's total before tax."""
    return sum((part.amount for part in components(line, rates, totals)), ZERO)


def refinish_hours(lines: tuple[DamageLine, ...] | list[DamageLine]) -> Decimal:
    """Charged refinish hours: what paint materials are priced on."""
    total = ZERO
    for line in lines:
        if (line.labor_type or "").upper() == REFINISH_TYPE and not line.labor_included:
            total += line.labor_hours or ZERO
        if line.refinish_hours is not None and not line.refinish_included:
            total += line.refinish_hours
    return total


@dataclass(frozen=True)
class ComputedTotals:
    by_category: dict[str, Decimal]
    taxable_by_category: dict[str, Decimal]
    labor_by_type: dict[str, Decimal]
    labor_hours_by_type: dict[str, Decimal]
    tax_by_type: dict[str, Decimal]  # file tax type code -> amount
    tax_rates: dict[str, Decimal]  # shop slot -> declared rate
    tax_amounts: dict[str, Decimal]  # shop slot -> amount taken from the file (rate not declared)
    tax: Decimal
    gross: Decimal
    deductible: Decimal | None
    net: Decimal
    paint_materials_charged: Decimal | None  # the paint materials lines' prices, when there are any
    paint_materials_expected: Decimal | None  # refinish hours × the MAPA rate, when the rate is declared
    refinish_hours: Decimal = field(default=ZERO)


def compute(estimate: BmsEstimate) -> ComputedTotals:
    """Compute the estimate's totals from its lines and declared rates."""
    by_category = dict.fromkeys(CATEGORIES, ZERO)
    taxable = dict.fromkeys(CATEGORIES, ZERO)
    labor_by_type: dict[str, Decimal] = {}
    hours_by_type: dict[str, Decimal] = {}
    paint_charged = None
    for line in estimate.lines:
        for part in components(line, estimate.rates, estimate.totals):
            by_category[part.category] += part.amount
            if part.taxable:
                taxable[part.category] += part.amount
            if part.labor_type:
                labor_by_type[part.labor_type] = labor_by_type.get(part.labor_type, ZERO) + part.amount
                hours_by_type[part.labor_type] = hours_by_type.get(part.labor_type, ZERO) + part.hours
        if line.kind == PAINT_MATERIALS and line.other_price is not None:
            paint_charged = (paint_charged or ZERO) + to_money(line.other_price)
    tax_by_type: dict[str, Decimal] = {}
    for code, rate in estimate.rates.taxes.items():
        tax_by_type[code] = sum((percent_of(max(ZERO, taxable[c]), rate) for c in CATEGORIES), ZERO)
    fixed: dict[str, Decimal] = {}
    for code, amount in estimate.totals.tax_by_type.items():
        if code not in estimate.rates.taxes:
            tax_by_type[code] = to_money(amount)
            fixed[tax_slot(code)] = fixed.get(tax_slot(code), ZERO) + to_money(amount)
    if not estimate.rates.taxes and not estimate.totals.tax_by_type and estimate.totals.tax:
        # No rate and no amount per tax type: the file's tax total is all there is to go on.
        tax_by_type["TAX"] = to_money(estimate.totals.tax)
        fixed["pst"] = to_money(estimate.totals.tax)
    tax = sum(tax_by_type.values(), ZERO)
    gross = sum(by_category.values(), ZERO) + tax
    deductible = None if estimate.is_customer_pay else to_money(estimate.claim.deductible)
    rates = {}
    for code, rate in estimate.rates.taxes.items():
        rates[tax_slot(code)] = rate
    paint_rate = estimate.rates.paint_materials
    hours = refinish_hours(estimate.lines)
    return ComputedTotals(
        by_category=by_category,
        taxable_by_category=taxable,
        labor_by_type=labor_by_type,
        labor_hours_by_type=hours_by_type,
        tax_by_type=tax_by_type,
        tax_rates=rates,
        tax_amounts=fixed,
        tax=tax,
        gross=gross,
        deductible=deductible,
        net=gross - (deductible or ZERO),
        paint_materials_charged=paint_charged,
        paint_materials_expected=to_money(hours * paint_rate) if paint_rate is not None and paint_charged else None,
        refinish_hours=hours,
    )


@dataclass(frozen=True)
class Comparison:
    label: str
    computed: Decimal
    stated: Decimal | None  # what the file says; None when it does not say

    @property
    def difference(self) -> Decimal | None:
        return None if self.stated is None else self.computed - self.stated

    @property
    def disagrees(self) -> bool:
        return self.difference is not None and abs(self.difference) > TOLERANCE

    def as_json(self) -> dict[str, str | None]:
        return {
            "label": self.label,
            "computed": str(self.computed),
            "file": None if self.stated is None else str(to_money(self.stated)),
            "difference": None if self.difference is None else str(to_money(self.difference)),
        }


LABOR_LABELS = {
    "LAB": "Body labor",
    "LAR": "Refinish labor",
    "LAS": "Structural labor",
    "LAF": "Frame labor",
    "LAM": "Mechanical labor",
    "LAE": "Electrical labor",
    "LAG": "Glass labor",
    "LAD": "Diagnostic labor",
}


TOTAL_LIMIT = Decimal("1000000000.00")  # far above any repair, well inside the 12-digit money columns


def check_amounts(estimate: BmsEstimate, computed: ComputedTotals) -> None:
    """Refuse an estimate whose credits outweigh a whole category, its tax or its total (no shop bills that),
    or whose amounts are beyond any repair."""
    amounts = [*computed.by_category.items(), ("tax", computed.tax), ("gross", computed.gross)]
    for label, amount in amounts:
        if amount < 0:
            raise BmsRejected(
                f"the estimate's {label} total comes out negative ({amount}); check the file", rule="bms_negative"
            )
        if amount > TOTAL_LIMIT:
            raise BmsRejected(f"the estimate's {label} total is beyond any repair; check the file", rule="bms_large")
    for line in estimate.lines:
        if any(abs(part.amount) > TOTAL_LIMIT for part in components(line, estimate.rates, estimate.totals)):
            raise BmsRejected(f"line {line.line_number}: its amount is beyond any repair", rule="bms_large")


def compare(estimate: BmsEstimate, computed: ComputedTotals) -> list[Comparison]:
    """Every total the file states, next to the computed one (rows the file is silent on have no file value)."""
    stated = estimate.totals
    rows = []
    for code in sorted(set(computed.labor_by_type) | set(stated.labor_by_type)):
        label = LABOR_LABELS.get(code, f"Labor {code}")
        rows.append(
            Comparison(
                f"{label} hours", computed.labor_hours_by_type.get(code, ZERO), stated.labor_hours_by_type.get(code)
            )
        )
        rows.append(Comparison(label, computed.labor_by_type.get(code, ZERO), stated.labor_by_type.get(code)))
    rows += [
        Comparison("Labor", computed.by_category["labor"], stated.labor),
        Comparison("Parts", computed.by_category["parts"], stated.parts),
        Comparison("Sublet", computed.by_category["sublet"], stated.sublet),
        Comparison("Materials", computed.by_category["materials"], stated.materials),
        Comparison("Other charges", computed.by_category["other"], stated.other),
    ]
    if computed.paint_materials_expected is not None and computed.paint_materials_charged is not None:
        rate = estimate.rates.paint_materials
        rows.append(
            Comparison(
                f"Paint materials ({computed.refinish_hours} h × {rate})",
                computed.paint_materials_expected,
                computed.paint_materials_charged,
            )
        )
    for code in sorted(computed.tax_by_type):
        if code in stated.tax_by_type:
            rows.append(
                Comparison(
                    f"{TAX_LABELS[tax_slot(code)]} ({code})", computed.tax_by_type[code], stated.tax_by_type[code]
                )
            )
    rows += [
        Comparison("Tax", computed.tax, stated.tax),
        Comparison("Gross total", computed.gross, stated.gross),
    ]
    if computed.deductible is not None or stated.deductible is not None:
        rows.append(Comparison("Deductible", computed.deductible or ZERO, stated.deductible))
    rows.append(Comparison("Net total", computed.net, stated.net))
    return rows
