"""Formats of the numbers staff read aloud (DOMAIN.md §5.17)."""

from __future__ import annotations

from datetime import date

import pytest

from collisionos.domain.numbering import (
    customer_number,
    dated_number,
    dated_sequence_name,
    job_number,
    repair_order_number,
    vendor_number,
)


@pytest.mark.parametrize(
    ("n", "expected"), [(1, "CUST-0001"), (42, "CUST-0042"), (9999, "CUST-9999"), (12345, "CUST-12345")]
)
def test_customer_number_has_four_digits_at_least(n, expected):
    assert customer_number(n) == expected


@pytest.mark.parametrize(("n", "expected"), [(1, "VEND-0001"), (310, "VEND-0310")])
def test_vendor_number_has_four_digits(n, expected):
    assert vendor_number(n) == expected


@pytest.mark.parametrize(
    ("prefix", "day", "n", "expected"),
    [
        ("EST", date(2026, 11, 25), 1, "EST-261125-001"),
        ("EST", date(2027, 1, 5), 42, "EST-270105-042"),
        ("INV", date(2026, 3, 9), 7, "INV-260309-007"),
        ("RES", date(2026, 12, 31), 120, "RES-261231-120"),
    ],
)
def test_dated_number_is_prefix_yymmdd_and_three_digit_sequence(prefix, day, n, expected):
    assert dated_number(prefix, day, n) == expected


def test_dated_number_width_is_configurable_for_transactions():
    assert dated_number("PR", date(2026, 11, 25), 7, width=4) == "PR-261125-0007"


def test_dated_sequence_name_is_per_day():
    assert dated_sequence_name("estimate", date(2026, 11, 25)) == "estimate:261125"
    assert dated_sequence_name("estimate", date(2026, 11, 26)) != dated_sequence_name("estimate", date(2026, 11, 25))


@pytest.mark.parametrize(
    ("prefix", "start", "n", "expected"),
    [("RO", 10001, 1, "RO10001"), ("RO", 10001, 452, "RO10452"), ("WO-", 1, 1, "WO-1"), ("", 500, 3, "502")],
)
def test_repair_order_number_is_prefix_plus_start_plus_sequence(prefix, start, n, expected):
    assert repair_order_number(prefix, start, n) == expected


def test_job_number_is_the_ro_number_and_the_job_index():
    assert job_number("RO10452", 1) == "RO10452-1"
    assert job_number("RO10452", 3) == "RO10452-3"
