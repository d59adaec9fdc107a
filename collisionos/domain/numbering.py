"""Formats of the numbers staff read aloud (DOMAIN.md §5.17)."""

from __future__ import annotations

from datetime import date


def customer_number(n: int) -> str:
    return f"CUST-{n:04d}"


def vendor_number(n: int) -> str:
    return f"VEND-{n:04d}"


def repair_order_number(prefix: str, start: int, n: int) -> str:
    """The n-th RO of a shop whose numbers start at ``start`` (e.g. RO10001)."""
    return f"{prefix}{start + n - 1}"


def dated_number(prefix: str, day: date, n: int, width: int = 3) -> str:
    """``EST-251125-001`` style: prefix, YYMMDD of the shop-local day, per-day sequence."""
    return f"{prefix}-{day:%y%m%d}-{n:0{width}d}"


def dated_sequence_name(kind: str, day: date) -> str:
    """Counter name for a per-day sequence, e.g. ``estimate:251125``."""
    return f"{kind}:{day:%y%m%d}"


def job_number(repair_order_number: str, n: int) -> str:
    """A trade sub-order of an RO: ``RO10452-1`` (DOMAIN.md §0.1)."""
    return f"{repair_order_number}-{n}"
