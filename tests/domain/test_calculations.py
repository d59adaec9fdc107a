"""The arithmetic of the row-level automatic calculations (DOMAIN.md §6), without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from collisionos.domain import calculations as calc

D = Decimal
T0 = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


# --- T4/T5 capacity ---------------------------------------------------------------------------------------------------


def test_capacity_remaining_and_utilization():
    assert calc.capacity(D("32.00"), D("24.00")) == calc.Capacity(D("8.00"), D("75.00"), D("0.00"))


def test_capacity_utilization_is_rounded_half_up():
    assert calc.capacity(D("30"), D("10")).utilization == D("33.33")
    assert calc.capacity(D("16"), D("10.0008")).utilization == D("62.51")  # 62.505 → 62.51


def test_overbooked_capacity_is_clamped_and_reports_the_excess():
    assert calc.capacity(D("32.00"), D("40.50")) == calc.Capacity(D("0.00"), D("100"), D("8.50"))


def test_no_capacity_means_zero_utilization():
    assert calc.capacity(D("0"), D("0")) == calc.Capacity(D("0.00"), D("0.00"), D("0.00"))
    assert calc.capacity(None, None).utilization == D("0.00")


def test_bays_available_and_utilization():
    assert calc.bays(4, 3) == calc.Bays(1, D("75.00"), 0)
    assert calc.bays(3, 1).utilization == D("33.33")


def test_overbooked_bays_are_clamped():
    assert calc.bays(4, 6) == calc.Bays(0, D("100"), 2)


def test_no_bays_means_zero_bay_utilization():
    assert calc.bays(0, 0) == calc.Bays(0, D("0.00"), 0)
    assert calc.bays(None, None) == calc.Bays(0, D("0.00"), 0)


# --- T8/T9 part lines -------------------------------------------------------------------------------------------------


def test_quantity_remaining_is_received_less_installed_and_returned():
    assert calc.quantity_remaining(D("3"), D("1"), D("0.5")) == D("1.500")


def test_quantity_remaining_never_goes_below_zero():
    assert calc.quantity_remaining(D("1"), D("1"), D("1")) == D("0.000")
    assert calc.quantity_remaining(None, None, None) == D("0.000")


def test_net_price_applies_the_percentage_then_the_amount():
    # 412.50 × 0.90 = 371.25, less 5.00 (§5.4 rule (p); the reference ignored the percentage).
    assert calc.net_price(D("412.50"), D("10"), D("5.00")) == D("366.25")


def test_net_price_is_rounded_half_up_to_the_cent():
    assert calc.net_price(D("10.05"), D("50")) == D("5.03")  # 5.025


def test_net_price_without_discounts_is_the_list_price():
    assert calc.net_price(D("412.50")) == D("412.50")


def test_net_price_never_goes_below_zero():
    assert calc.net_price(D("10.00"), D("0"), D("15.00")) == D("0.00")


def test_extended_cost_is_net_times_quantity():
    assert calc.extended_cost(D("366.25"), D("2")) == D("732.50")
    assert calc.extended_cost(D("3.33"), D("1.5")) == D("5.00")  # 4.995


def test_margin_is_the_share_of_the_sell_price_kept():
    assert calc.margin_percent(D("500.00"), D("366.25")) == D("26.75")
    assert calc.margin_percent(D("3.00"), D("2.00")) == D("33.33")


def test_selling_below_cost_gives_a_negative_margin():
    assert calc.margin_percent(D("100.00"), D("120.00")) == D("-20.00")


@pytest.mark.parametrize(("sell", "net"), [(D("0.00"), D("10.00")), (None, D("10.00")), (D("10.00"), None)])
def test_margin_is_undefined_without_a_sell_price_or_a_net_price(sell, net):
    assert calc.margin_percent(sell, net) is None


def test_margin_variance_is_actual_less_target():
    assert calc.margin_variance(D("26.75"), D("25")) == D("1.75")
    assert calc.margin_variance(D("20.00"), D("25.00")) == D("-5.00")


def test_margin_variance_needs_both_margins():
    assert calc.margin_variance(D("26.75"), None) is None
    assert calc.margin_variance(None, D("25")) is None


# --- T10/T11 ----------------------------------------------------------------------------------------------------------


def test_efficiency_ratio_is_actual_over_estimated():
    assert calc.efficiency_ratio(D("5.00"), D("4.00")) == D("1.25")
    assert calc.efficiency_ratio(D("1"), D("3")) == D("0.33")
    assert calc.efficiency_ratio(None, D("4")) == D("0.00")


def test_efficiency_ratio_without_an_estimate_is_undefined():
    assert calc.efficiency_ratio(D("5"), D("0")) is None
    assert calc.efficiency_ratio(D("5"), None) is None


def test_percent_received():
    assert calc.percent_received(D("3"), D("8")) == D("37.50")
    assert calc.percent_received(D("1"), D("3")) == D("33.33")
    assert calc.percent_received(D("8"), D("8")) == D("100.00")


def test_percent_received_never_exceeds_100_and_is_0_when_nothing_was_ordered():
    assert calc.percent_received(D("9"), D("8")) == D("100")
    assert calc.percent_received(D("0"), D("0")) == D("0.00")
    assert calc.percent_received(None, None) == D("0.00")


# --- H1/H2 estimates --------------------------------------------------------------------------------------------------


def test_an_estimate_expires_30_days_after_its_date():
    assert calc.estimate_expiry(T0) == datetime(2026, 12, 25, 8, 0, tzinfo=UTC)


def test_line_tax_on_a_taxable_line():
    assert calc.line_tax(D("737.50"), D("13"), taxable=True) == D("95.88")  # 95.875


def test_untaxed_line_carries_no_tax_and_a_missing_rate_leaves_it_unknown():
    assert calc.line_tax(D("737.50"), D("13"), taxable=False) == D("0.00")
    assert calc.line_tax(D("737.50"), None, taxable=True) is None


# --- H5 time entries --------------------------------------------------------------------------------------------------


def test_hours_between_to_two_places():
    assert calc.hours_between(T0, T0 + timedelta(minutes=20)) == D("0.33")
    assert calc.hours_between(T0, T0 + timedelta(minutes=15)) == D("0.25")


def test_hours_worked_less_the_break():
    assert calc.hours_worked(T0, T0 + timedelta(hours=4, minutes=30), D("0.25")) == D("4.25")
    assert calc.hours_worked(T0, T0 + timedelta(minutes=50)) == D("0.83")


def test_hours_worked_never_go_below_zero():
    assert calc.hours_worked(T0, T0 + timedelta(minutes=10), D("0.50")) == D("0.00")


def test_naive_times_are_taken_as_utc():
    assert calc.hours_worked(T0.replace(tzinfo=None), T0 + timedelta(hours=2)) == D("2.00")


def test_overtime_rate_is_time_and_a_half():
    assert calc.overtime_rate(D("75.00")) == D("112.50")
    assert calc.overtime_rate(D("33.33")) == D("50.00")  # 49.995


def test_amount_for_hours():
    assert calc.amount_for_hours(D("75.00"), D("4.25")) == D("318.75")
    assert calc.amount_for_hours(D("95.00"), D("0.33")) == D("31.35")


def test_time_entry_efficiency_is_book_over_clocked():
    assert calc.time_entry_efficiency(D("4.00"), D("4.25")) == D("94.12")
    assert calc.time_entry_efficiency(D("4.00"), D("0.00")) is None
    assert calc.time_entry_efficiency(None, D("4.00")) is None


# --- H11/H16 ----------------------------------------------------------------------------------------------------------


def test_minutes_between_rounds_half_up():
    assert calc.minutes_between(T0, T0 + timedelta(minutes=90, seconds=30)) == 91
    assert calc.minutes_between(T0, T0 + timedelta(minutes=90, seconds=29)) == 90


def test_sum_if_any():
    assert calc.sum_if_any(D("100.00"), D("25.50"), None) == D("125.50")
    assert calc.sum_if_any(None, None, None) is None


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 15, 9, 0, tzinfo=UTC), 12, datetime(2027, 1, 15, 9, 0, tzinfo=UTC)),
        (datetime(2026, 1, 31, 9, 0, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, 0, tzinfo=UTC)),
        (datetime(2027, 12, 31, 9, 0, tzinfo=UTC), 2, datetime(2028, 2, 29, 9, 0, tzinfo=UTC)),
        (datetime(2026, 11, 30, 9, 0, tzinfo=UTC), 3, datetime(2027, 2, 28, 9, 0, tzinfo=UTC)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start, months, expected):
    assert calc.add_months(start, months) == expected


# --- H3/H8 ------------------------------------------------------------------------------------------------------------

AMOUNTS = (D("781.20"), D("646.40"), D("0.00"), D("280.80"), D("379.95"), None)


def test_invoice_totals():
    totals = calc.invoice_totals(AMOUNTS, discount=D("88.35"), tax=D("76.50"), late_fee=D("0"), paid=D("1000.00"))

    assert totals == calc.InvoiceTotals(D("2088.35"), D("2076.50"), D("1076.50"))


def test_invoice_total_never_goes_below_zero_and_overpayment_is_negative_due():
    totals = calc.invoice_totals((D("50.00"),), discount=D("80.00"), tax=None, late_fee=None, paid=D("10.00"))

    assert totals == calc.InvoiceTotals(D("50.00"), D("0.00"), D("-10.00"))


@pytest.mark.parametrize(
    ("current", "total", "paid", "expected"),
    [
        ("unpaid", D("100.00"), D("0.00"), "unpaid"),
        ("unpaid", D("100.00"), D("40.00"), "partial"),
        ("partial", D("100.00"), D("100.00"), "paid"),
        ("partial", D("100.00"), D("120.00"), "paid"),
        ("paid", D("150.00"), D("100.00"), "partial"),  # the total grew after payment
        ("paid", D("100.00"), D("0.00"), "unpaid"),  # the payment was reversed
        ("unpaid", D("0.00"), D("0.00"), "unpaid"),  # nothing paid → unpaid first (§5.6 order)
        ("overdue", D("100.00"), D("40.00"), "overdue"),  # overdue needs the clock: it stays until paid
        ("overdue", D("100.00"), D("100.00"), "paid"),
        ("cancelled", D("100.00"), D("100.00"), "cancelled"),
        ("refunded", D("100.00"), D("0.00"), "refunded"),
        (None, D("100.00"), D("0.00"), "unpaid"),
    ],
)
def test_invoice_payment_status(current, total, paid, expected):
    assert calc.invoice_payment_status(current, total, paid) == expected


@pytest.mark.parametrize(
    ("terms", "days"), [("due_on_receipt", 0), ("cod", 0), ("net_15", 15), ("net_30", 30), ("net_60", 60), (None, 0)]
)
def test_invoice_due_date_follows_the_payment_terms(terms, days):
    assert calc.invoice_due_date(T0, terms) == T0 + timedelta(days=days)


def test_invoice_due_date_for_unknown_terms_is_unknown():
    assert calc.invoice_due_date(T0, "net_90") is None


def test_transaction_fees_net_and_base_amount():
    amounts = calc.transaction_amounts(D("500.00"), (D("14.50"), D("0.30"), None, D("1.00")), D("1.350000"))

    assert amounts == calc.TransactionAmounts(D("15.80"), D("484.20"), D("675.00"))


def test_transaction_without_an_exchange_rate_is_in_the_base_currency():
    amounts = calc.transaction_amounts(D("99.99"), (None, None, None, None), None)

    assert amounts == calc.TransactionAmounts(D("0.00"), D("99.99"), D("99.99"))


def test_transaction_base_amount_is_rounded_half_up():
    assert calc.transaction_amounts(D("10.01"), (), D("0.5")).base_amount == D("5.01")  # 5.005


# --- H9 ---------------------------------------------------------------------------------------------------------------


def test_average_claim_value():
    assert calc.average_claim_value(D("10000.02"), 4) == D("2500.01")  # 2500.005


def test_average_claim_value_without_claims_is_undefined():
    assert calc.average_claim_value(D("0"), 0) is None
    assert calc.average_claim_value(None, None) is None


def test_overall_rating_is_the_mean_of_the_ratings_given_rounded_half_up():
    assert calc.overall_rating(D("4.5"), D("4.0")) == D("4.3")  # 4.25; half-even would say 4.2
    assert calc.overall_rating(D("3.5"), None) == D("3.5")
    assert calc.overall_rating(None, None) is None


# --- helpers ----------------------------------------------------------------------------------------------------------


def test_ratio_percent_over_zero_is_undefined():
    assert calc.ratio_percent(D("1"), D("0")) is None
    assert calc.ratio_percent(D("1"), None) is None


def test_floats_go_through_str():
    assert calc.decimal_of(0.1) == D("0.1")
    assert calc.decimal_of(None) == D("0.00")
