"""Money arithmetic (DOMAIN.md §5.6 and the worked example in shared/fixtures/bms/README.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collisionos.domain.money import PricedLine, compute_totals, line_total, percent_of, split_payers, to_money

D = Decimal


def _bms_v0_lines() -> list[PricedLine]:
    """The v0 front-end estimate: tax on parts and materials only."""
    return [
        PricedLine("parts", D("646.40")),
        PricedLine("materials", D("280.80")),
        PricedLine("labor", D("781.20"), taxable=False),
        PricedLine("sublet", D("379.95"), taxable=False),
    ]


def test_bms_example_tax_is_rounded_per_category_then_summed():
    totals = compute_totals(_bms_v0_lines(), {"pst": "8.25"})

    assert totals.taxable_amount == D("927.20")
    assert totals.pst == D("53.33") + D("23.17") == D("76.50")
    # Rounding the combined taxable base would lose a cent.
    assert percent_of(D("927.20"), "8.25") == D("76.49")
    assert totals.gst == totals.hst == D("0.00")
    assert totals.total_taxes == D("76.50")


def test_bms_example_gross_and_net_after_deductible():
    totals = compute_totals(_bms_v0_lines(), {"pst": "8.25"})

    assert (totals.parts, totals.labor, totals.materials, totals.sublet) == (
        D("646.40"),
        D("781.20"),
        D("280.80"),
        D("379.95"),
    )
    assert totals.total == D("2164.85")
    assert split_payers(totals.total, D("500.00"), D("0.00"), insured=True) == (D("1664.85"), D("500.00"))


def test_untaxed_lines_stay_out_of_the_taxable_amount():
    totals = compute_totals([PricedLine("labor", D("100.00"), taxable=False)], {"hst": "13"})

    assert totals.taxable_amount == D("0.00")
    assert totals.total_taxes == D("0.00")
    assert totals.total == D("100.00")


def test_hst_13_percent_is_rounded_per_category():
    # 10.05 × 13 % = 1.3065 → 1.31 per category; the combined 20.10 would give 2.61.
    totals = compute_totals([PricedLine("parts", D("10.05")), PricedLine("labor", D("10.05"))], {"hst": "13.00"})

    assert totals.hst == D("2.62")
    assert totals.gst == totals.pst == D("0.00")
    assert totals.total == D("22.72")


def test_gst_and_pst_are_charged_separately():
    totals = compute_totals([PricedLine("parts", D("200.00"))], {"gst": "5", "pst": "7", "hst": None})

    assert (totals.gst, totals.pst, totals.hst) == (D("10.00"), D("14.00"), D("0.00"))
    assert totals.total_taxes == D("24.00")
    assert totals.total == D("224.00")


def test_tax_type_without_a_rate_is_not_charged():
    totals = compute_totals([PricedLine("parts", D("100.00"))], {"gst": None, "pst": "", "hst": "13.00"})

    assert (totals.gst, totals.pst, totals.hst) == (D("0.00"), D("0.00"), D("13.00"))


def test_extra_charges_are_added_untaxed():
    totals = compute_totals([PricedLine("parts", D("100.00"))], {"hst": "13"}, extra_charges=D("45.00"))

    assert totals.total_taxes == D("13.00")
    assert totals.total == D("158.00")


def test_unknown_category_is_refused():
    with pytest.raises(ValueError, match="unknown category"):
        compute_totals([PricedLine("towing", D("1.00"))], {})


@pytest.mark.parametrize(
    ("unit_price", "quantity", "discount_percent", "discount_amount", "expected"),
    [
        ("412.50", "2", None, None, "825.00"),
        ("100.00", "1", "10", None, "90.00"),
        ("100.00", "1", None, "15.00", "85.00"),
        ("100.00", "2", "10", "5.00", "175.00"),
        ("0.333", "3", None, None, "1.00"),
        ("10.00", "1", None, "20.00", "0.00"),
        ("10.00", "1", "150", None, "0.00"),
    ],
)
def test_line_total_applies_discounts_and_never_goes_below_zero(
    unit_price, quantity, discount_percent, discount_amount, expected
):
    assert line_total(unit_price, quantity, discount_percent, discount_amount) == D(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.025", "0.03"),
        ("2.675", "2.68"),
        (2.675, "2.68"),
        ("-0.005", "-0.01"),
        ("0.0049", "0.00"),
        (None, "0.00"),
        (7, "7.00"),
    ],
)
def test_to_money_rounds_half_up_to_the_cent(value, expected):
    assert to_money(value) == D(expected)
    assert to_money(value).as_tuple().exponent == -2


def test_customer_pay_lines_are_summed_and_billed_to_the_customer():
    lines = [
        PricedLine("parts", D("1000.00")),
        PricedLine("parts", D("150.00"), customer_pay=True),  # betterment
        PricedLine("labor", D("300.00"), taxable=False),
    ]
    totals = compute_totals(lines, {"hst": "13"})
    assert totals.customer_pay == D("150.00")
    assert totals.total == D("1599.50")

    insurance, customer = split_payers(totals.total, D("500.00"), totals.customer_pay, insured=True)

    assert customer == D("650.00")
    assert insurance == D("949.50")
    assert insurance + customer == totals.total


def test_customer_pays_everything_without_an_insurer():
    assert split_payers(D("812.40"), D("500.00"), D("0.00"), insured=False) == (D("0.00"), D("812.40"))


def test_insurance_portion_never_goes_negative():
    insurance, customer = split_payers(D("300.00"), D("500.00"), D("0.00"), insured=True)

    assert insurance == D("0.00")
    assert customer == D("300.00")
