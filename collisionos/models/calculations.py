"""Row-level automatic calculations (DOMAIN.md §6), applied on every ORM insert and update.

One ``recalculate_*`` function per model, called from both ``before_insert`` and ``before_update`` (the reference's
SQL triggers fired only after updates, so fresh rows lacked their figures). The arithmetic is in
``collisionos.domain.calculations``; this module decides which columns receive it and fits every value into its
column: rounded half-up to the column's scale and clamped to its CHECK range and Numeric precision (a Numeric(5,2)
holds at most 999.99), so a derived value can never make a save fail.

Conventions:
- A derived value is recomputed on every save; it becomes NULL when it is undefined (a ratio over zero, a
  difference with a side missing).
- A few values are defaults rather than derivations and are filled only when missing (labor rate 75.00, overtime
  rate, an estimate's expiry, an invoice's due date): what a user typed is kept.
- On insert, an unset column (None) counts as its column default (quantity 1, amounts 0, taxable true), which is
  what the INSERT will store.
- Not here: roll-ups across rows (RO money/parts/SLA in services/repair_orders.py, PO totals in the purchasing
  service, loaner charges T6/T7 in the loaner service), and values that need the clock beyond "now" for a missing
  date (overdue invoices are a nightly job).
- Core ``insert()``/``update()`` statements (the bulk seeder) bypass ORM events and must fill these themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from collisionos.domain import calculations as calc
from collisionos.domain.money import line_total
from collisionos.models.base import utcnow
from collisionos.models.estimates import Estimate, EstimateLineItem
from collisionos.models.finance import FinancialTransaction, Invoice
from collisionos.models.insurance import InsuranceCompany
from collisionos.models.jobs import JobStageHistory, LaborTimeEntry
from collisionos.models.parts import PartLine
from collisionos.models.production import ProductionWorkflow, SchedulingCapacity
from collisionos.models.purchasing import PurchaseOrder
from collisionos.models.vehicles import VehicleHistory

OVERBOOKED = "Over-booked"  # prefix of the scheduling warnings this module owns in validation_errors
OPEN_TIME_ENTRY_STATUSES = ("active", "on_break")


# --- column helpers -------------------------------------------------------------------------------------------------


def _column(target: Any, key: str) -> sa.Column:
    return sa.inspect(type(target)).columns[key]


def _value(target: Any, key: str, inserting: bool) -> Any:
    """The attribute's value; on insert an unset attribute is its column's scalar default (what INSERT stores)."""
    value = getattr(target, key)
    if value is None and inserting:
        default = _column(target, key).default
        if default is not None and default.is_scalar:
            return default.arg
    return value


def _changed(target: Any, key: str, inserting: bool) -> bool:
    """Whether this save sets ``key``: given at all on insert, modified on update."""
    if inserting:
        return getattr(target, key) is not None
    return sa.inspect(target).attrs[key].history.has_changes()


def _bounds(column: sa.Column) -> tuple[Decimal | int | None, Decimal | int | None]:
    low: Decimal | int | None = None
    high: Decimal | int | None = None
    column_type = column.type
    if isinstance(column_type, sa.Numeric) and column_type.precision is not None and column_type.scale is not None:
        high = Decimal(10) ** (column_type.precision - column_type.scale) - Decimal(1).scaleb(-column_type.scale)
        low = -high
    rule = column.info.get("check")
    if rule == "nonneg":
        low = 0
    elif rule:
        _, ge, le = rule
        low = ge if ge is not None else low
        high = le if le is not None else high
    return low, high


def fit(column: sa.Column, value: Any) -> Any:
    """Round ``value`` to the column's scale and clamp it into the column's range (CHECK and precision)."""
    if value is None:
        return None
    column_type = column.type
    if isinstance(column_type, sa.Numeric) and column_type.scale is not None:
        value = calc.round_to(calc.decimal_of(value), column_type.scale)
    low, high = _bounds(column)
    if low is not None and value < low:
        value = type(value)(low)
    if high is not None and value > high:
        value = type(value)(high)
    return value


def _store(target: Any, key: str, value: Any) -> None:
    """Assign the fitted value, leaving the attribute untouched when it already holds it."""
    value = fit(_column(target, key), value)
    if getattr(target, key) != value:
        setattr(target, key, value)


# --- T4/T5 scheduling_capacity --------------------------------------------------------------------------------------


def recalculate_scheduling_capacity(row: SchedulingCapacity, inserting: bool) -> None:
    """Remaining hours, utilization, free bays and bay utilization (§5.12).

    Over-booking cannot be stored (the columns are 0-100 % and non-negative): the figures are clamped and an
    "Over-booked ..." message in validation_errors (with is_valid=false) says by how much (§5.12 rule (p)).
    """
    total = _value(row, "total_capacity_hours", inserting)
    scheduled = _value(row, "scheduled_hours", inserting)
    hours = calc.capacity(total, scheduled)
    _store(row, "remaining_capacity_hours", hours.remaining_hours)
    _store(row, "utilization_percentage", hours.utilization)

    total_bays = _value(row, "total_bays", inserting)
    occupied = _value(row, "occupied_bays", inserting)
    bays = calc.bays(total_bays, occupied)
    _store(row, "available_bays", bays.available)
    _store(row, "bay_utilization", bays.utilization)

    others = [m for m in (row.validation_errors or []) if not str(m).startswith(OVERBOOKED)]
    warnings = []
    if hours.overbooked_hours:
        warnings.append(
            f"{OVERBOOKED} by {hours.overbooked_hours} h: {calc.decimal_of(scheduled)} h scheduled "
            f"against {calc.decimal_of(total)} h of capacity."
        )
    if bays.overbooked:
        warnings.append(f"{OVERBOOKED} by {bays.overbooked} bay(s): {occupied} occupied of {total_bays or 0}.")
    messages = others + warnings
    if messages != (row.validation_errors or []):
        row.validation_errors = messages or None
    if warnings:
        row.is_valid = False
    elif not others and _value(row, "is_valid", inserting) is False:
        row.is_valid = True


# --- T8/T9 advanced_parts_management --------------------------------------------------------------------------------

PRICE_INPUTS = ("list_price", "discount_percentage", "discount_amount")


def recalculate_part_line(line: PartLine, inserting: bool) -> None:
    """Quantity on hand, net price, extended cost and margins (§5.3, §5.4).

    net_price follows list price and discounts whenever one of them is set or changed, unless the same save sets
    net_price itself: a net price quoted by the vendor (or copied from the estimate's cost) is kept as given.
    """
    _store(
        line,
        "quantity_remaining",
        calc.quantity_remaining(
            _value(line, "quantity_received", inserting),
            _value(line, "quantity_installed", inserting),
            _value(line, "quantity_returned", inserting),
        ),
    )

    list_price = line.list_price
    reprice = any(_changed(line, key, inserting) for key in PRICE_INPUTS)
    if list_price is not None and reprice and not _changed(line, "net_price", inserting):
        _store(
            line,
            "net_price",
            calc.net_price(
                list_price,
                _value(line, "discount_percentage", inserting),
                _value(line, "discount_amount", inserting),
            ),
        )
    net = line.net_price
    quantity = _value(line, "quantity_ordered", inserting)
    _store(line, "total_cost", None if net is None else calc.extended_cost(net, quantity))
    actual = calc.margin_percent(line.sell_price, net)
    _store(line, "actual_margin", actual)
    # The variance is taken from the stored (clamped) margin so that the two columns agree.
    _store(line, "margin_variance", calc.margin_variance(line.actual_margin, line.target_margin))


# --- T10 production_workflow, T11 purchase_order_system -------------------------------------------------------------


def recalculate_production_workflow(row: ProductionWorkflow, inserting: bool) -> None:
    """efficiency_ratio = actual ÷ estimated hours; NULL without an estimate, capped at 999.99 (Numeric(5,2))."""
    ratio = calc.efficiency_ratio(_value(row, "actual_hours", inserting), _value(row, "estimated_hours", inserting))
    _store(row, "efficiency_ratio", ratio)


def recalculate_purchase_order(po: PurchaseOrder, inserting: bool) -> None:
    """percent_received = received ÷ ordered × 100, within 0-100 (§5.3)."""
    percent = calc.percent_received(_value(po, "total_received", inserting), _value(po, "total_quantity", inserting))
    _store(po, "percent_received", percent)


# --- H1/H2 estimates and their lines --------------------------------------------------------------------------------


def recalculate_estimate(estimate: Estimate, inserting: bool) -> None:
    """An estimate without an expiry expires 30 days after its date (its totals are summed by a service)."""
    if estimate.estimate_date is None and inserting:
        estimate.estimate_date = utcnow()  # the column default, applied now so that the expiry can follow it
    if estimate.expiration_date is None and estimate.estimate_date is not None:
        estimate.expiration_date = calc.estimate_expiry(estimate.estimate_date)


def recalculate_estimate_line(line: EstimateLineItem, inserting: bool) -> None:
    """Line total, labor rate default, tax lines untaxed, line tax (§1 B3, §5.6)."""
    if line.type == "tax":
        _store(line, "taxable", False)  # tax is not taxed (also a CHECK)
    if line.type == "labor" and line.labor_rate is None:
        _store(line, "labor_rate", calc.DEFAULT_LABOR_RATE)
    total = line_total(
        _value(line, "unit_price", inserting) or 0,
        _value(line, "quantity", inserting) or 0,
        line.discount,
        _value(line, "discount_amount", inserting),
    )
    _store(line, "total_price", total)
    tax = calc.line_tax(total, line.tax_rate, taxable=bool(_value(line, "taxable", inserting)))
    if tax is not None:  # taxable without a rate: an imported tax amount is authoritative (§5.6)
        _store(line, "tax_amount", tax)


# --- H5 labor_time_entries ------------------------------------------------------------------------------------------


def recalculate_time_entry(entry: LaborTimeEntry, inserting: bool) -> None:
    """Rates, break, hours worked, cost, billable amount, variance, efficiency; clocking out completes (§5.13)."""
    if entry.hourly_rate is None:
        _store(entry, "hourly_rate", calc.DEFAULT_LABOR_RATE)
    if entry.overtime_rate is None:
        _store(entry, "overtime_rate", calc.overtime_rate(entry.hourly_rate))
    if entry.break_start is not None and entry.break_end is not None:
        _store(entry, "break_time", calc.hours_between(entry.break_start, entry.break_end))

    worked = None
    if entry.clock_in is not None and entry.clock_out is not None:
        worked = calc.hours_worked(entry.clock_in, entry.clock_out, _value(entry, "break_time", inserting))
        if (_value(entry, "status", inserting) or "active") in OPEN_TIME_ENTRY_STATUSES:
            entry.status = "completed"
    _store(entry, "hours_worked", worked)
    worked = entry.hours_worked
    _store(entry, "labor_cost", None if worked is None else calc.amount_for_hours(entry.hourly_rate, worked))
    billable = (
        calc.amount_for_hours(entry.customer_rate, entry.billable_hours)
        if entry.customer_rate is not None and entry.billable_hours is not None
        else None
    )
    _store(entry, "billable_amount", billable)
    estimated = entry.estimated_hours
    variance = None if worked is None or estimated is None else calc.decimal_of(worked) - calc.decimal_of(estimated)
    _store(entry, "variance_hours", variance)
    _store(entry, "efficiency", calc.time_entry_efficiency(estimated, worked))


# --- H11 job_stage_history, H16 vehicle_history ---------------------------------------------------------------------


def recalculate_stage_history(row: JobStageHistory, inserting: bool) -> None:
    """stage_duration in minutes; total_cost = labor + material + overhead (§1 C3, §5.14)."""
    duration = None
    if row.stage_start_time is not None and row.stage_end_time is not None:
        duration = calc.minutes_between(row.stage_start_time, row.stage_end_time)
    _store(row, "stage_duration", duration)
    _store(row, "total_cost", calc.sum_if_any(row.labor_cost, row.material_cost, row.overhead_cost))


def recalculate_vehicle_history(row: VehicleHistory, inserting: bool) -> None:
    """mileage_difference = mileage − previous; warranty_expiry = service date + warranty months (§1 C7)."""
    difference = None
    if row.mileage is not None and row.previous_mileage is not None:
        difference = row.mileage - row.previous_mileage  # negative only after an override (§5.15)
    _store(row, "mileage_difference", difference)
    expiry = None
    if row.service_date is not None and row.warranty_period:
        expiry = calc.add_months(row.service_date, row.warranty_period)
    _store(row, "warranty_expiry", expiry)


# --- H3 invoices, H8 financial_transactions -------------------------------------------------------------------------

INVOICE_AMOUNTS = ("labor_amount", "parts_amount", "paint_amount", "material_amount", "sublet_amount", "misc_amount")


def recalculate_invoice(invoice: Invoice, inserting: bool) -> None:
    """Due date from terms, subtotal, total, amount due, payment status and paid-in-full date (§5.6)."""
    if invoice.invoice_date is None and inserting:
        invoice.invoice_date = utcnow()  # the column default, applied now so that the due date can follow it
    terms_moved = _changed(invoice, "payment_terms", inserting) or _changed(invoice, "invoice_date", inserting)
    if invoice.due_date is None or (not inserting and terms_moved and not _changed(invoice, "due_date", inserting)):
        due = calc.invoice_due_date(invoice.invoice_date, _value(invoice, "payment_terms", inserting))
        if due is not None:
            invoice.due_date = due

    paid = _value(invoice, "amount_paid", inserting)
    totals = calc.invoice_totals(
        tuple(_value(invoice, key, inserting) for key in INVOICE_AMOUNTS),
        discount=_value(invoice, "discount_amount", inserting),
        tax=_value(invoice, "tax_amount", inserting),
        late_fee=_value(invoice, "late_fee_amount", inserting),
        paid=paid,
    )
    _store(invoice, "subtotal", totals.subtotal)
    _store(invoice, "total_amount", totals.total)
    _store(invoice, "amount_due", totals.amount_due)
    status = calc.invoice_payment_status(_value(invoice, "payment_status", inserting), totals.total, paid)
    _store(invoice, "payment_status", status)
    if status == "paid" and invoice.paid_in_full_date is None:
        invoice.paid_in_full_date = invoice.last_payment_date or utcnow()
    elif status in ("unpaid", "partial", "overdue") and invoice.paid_in_full_date is not None:
        invoice.paid_in_full_date = None


FEES = ("processing_fee", "merchant_fee", "bank_fee", "other_fees")


def recalculate_transaction(row: FinancialTransaction, inserting: bool) -> None:
    """total_fees, net_amount = amount − fees, base_amount = amount × exchange rate (§5.6)."""
    if row.amount is None:
        return  # NOT NULL: the INSERT refuses the row anyway
    amounts = calc.transaction_amounts(row.amount, tuple(getattr(row, key) for key in FEES), row.exchange_rate)
    _store(row, "total_fees", amounts.total_fees)
    _store(row, "net_amount", amounts.net_amount)
    _store(row, "base_amount", amounts.base_amount)


# --- H9 insurance_companies -----------------------------------------------------------------------------------------


def recalculate_insurer(insurer: InsuranceCompany, inserting: bool) -> None:
    """avg_claim_value = claims value ÷ claims; overall_rating = mean of the service and payment ratings (§5.18)."""
    average = calc.average_claim_value(
        _value(insurer, "total_claims_value", inserting), _value(insurer, "total_claims", inserting)
    )
    _store(insurer, "avg_claim_value", average)
    _store(insurer, "overall_rating", calc.overall_rating(insurer.customer_service_rating, insurer.payment_rating))


RECALCULATIONS: dict[type, Callable[[Any, bool], None]] = {
    SchedulingCapacity: recalculate_scheduling_capacity,
    PartLine: recalculate_part_line,
    ProductionWorkflow: recalculate_production_workflow,
    PurchaseOrder: recalculate_purchase_order,
    Estimate: recalculate_estimate,
    EstimateLineItem: recalculate_estimate_line,
    LaborTimeEntry: recalculate_time_entry,
    JobStageHistory: recalculate_stage_history,
    VehicleHistory: recalculate_vehicle_history,
    Invoice: recalculate_invoice,
    FinancialTransaction: recalculate_transaction,
    InsuranceCompany: recalculate_insurer,
}


def _listen(model: type, recalculate: Callable[[Any, bool], None]) -> None:
    @event.listens_for(model, "before_insert")
    def _before_insert(_mapper: Any, _connection: Any, target: Any) -> None:
        recalculate(target, True)

    @event.listens_for(model, "before_update")
    def _before_update(_mapper: Any, _connection: Any, target: Any) -> None:
        recalculate(target, False)


for _model, _recalculate in RECALCULATIONS.items():
    _listen(_model, _recalculate)
