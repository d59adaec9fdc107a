"""PO numbering, approval, receiving roll-up (domain/purchasing.py) and part pricing, margins and returns
(domain/parts.py): DOMAIN.md §5.1-§5.5, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collisionos.domain import parts
from collisionos.domain import purchasing as po
from collisionos.domain.errors import PermissionDenied
from collisionos.domain.settings import default_settings
from collisionos.models.enums import PartStatus as P

TORONTO = ZoneInfo("America/Toronto")
TIERS = default_settings()["poApprovalTiers"]


# --- numbering (§5.1) ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        (None, "A1 Auto", "AAUT"),
        (None, "LKQ", "LKQX"),
        ("", "Keystone Automotive", "KEYS"),
        (None, "4x4 & Co.", "XCOX"),
        (None, "", "XXXX"),
        ("oem1", "Anything", "OEM1"),
        (" LKQ ", "LKQ Corp", "LKQ"),
    ],
)
def test_vendor_code_is_the_vendors_code_else_four_letters_of_its_name(code, name, expected) -> None:  # type: ignore[no-untyped-def]
    assert po.vendor_code(code, name) == expected


def test_po_number_format_and_counter_name() -> None:
    assert po.po_number("RO10452", "2509", "LKQX", 2) == "RO10452-2509-LKQX-002"
    assert po.po_number("RO10452", "2509", "LKQX", 1234) == "RO10452-2509-LKQX-1234"
    assert po.counter_name("RO10452", "2509", "LKQX") == "po:RO10452:2509:LKQX"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 25, 15, tzinfo=UTC), "2611"),
        (datetime(2026, 12, 1, 4, 59, tzinfo=UTC), "2611"),  # 23:59 on 30 November in Toronto
        (datetime(2026, 12, 1, 5, 0, tzinfo=UTC), "2612"),
        (datetime(2027, 1, 1, 5, 0, tzinfo=UTC), "2701"),
    ],
)
def test_year_month_is_taken_in_the_shops_time_zone(moment, expected) -> None:  # type: ignore[no-untyped-def]
    assert po.year_month(moment, TORONTO) == expected


# --- approval (§5.2) ------------------------------------------------------------------------------------
def test_approval_threshold_defaults_to_1000() -> None:
    assert po.approval_threshold({}) == Decimal("1000.00")
    assert po.approval_threshold({"poApprovalThreshold": "250"}) == Decimal("250.00")


@pytest.mark.parametrize(
    ("total", "expedite", "needed"),
    [("999.99", False, False), ("1000.00", False, True), ("0.00", True, True)],
)
def test_approval_needed_from_the_threshold_or_for_expedite(total, expedite, needed) -> None:  # type: ignore[no-untyped-def]
    assert po.needs_approval(Decimal(total), Decimal("1000.00"), expedite=expedite) is needed


@pytest.mark.parametrize(
    ("total", "roles"),
    [
        ("0.00", {"parts_manager", "manager", "owner", "admin"}),
        ("4999.99", {"parts_manager", "manager", "owner", "admin"}),
        ("5000.00", {"manager", "owner", "admin"}),
        ("24999.99", {"manager", "owner", "admin"}),
        ("25000.00", {"owner", "admin"}),
    ],
)
def test_approver_roles_come_from_the_highest_tier_reached(total, roles) -> None:  # type: ignore[no-untyped-def]
    assert po.approver_roles(Decimal(total), TIERS) == roles


def test_tiers_in_any_order_and_no_tiers_at_all() -> None:
    assert po.approver_roles(Decimal("6000"), list(reversed(TIERS))) == {"manager", "owner", "admin"}
    assert po.approver_roles(Decimal("10"), []) == {"owner", "admin"}


def test_the_requester_may_not_approve_even_with_the_right_role() -> None:
    with pytest.raises(PermissionDenied) as refused:
        po.check_approver(
            number="RO1-2611-LKQX-001",
            total=Decimal("100"),
            actor_id=7,
            actor_role="owner",
            requester_ids=(None, 7),
            tiers=TIERS,
        )
    assert refused.value.rule == "own_po"


def test_an_approver_below_the_tier_is_told_who_may_approve() -> None:
    with pytest.raises(PermissionDenied) as refused:
        po.check_approver(
            number="RO1-2611-LKQX-001",
            total=Decimal("6200"),
            actor_id=8,
            actor_role="parts_manager",
            requester_ids=(7, 7),
            tiers=TIERS,
        )
    assert refused.value.rule == "approval_tier"
    assert str(refused.value) == (
        "Cannot approve RO1-2611-LKQX-001: a PO of 6,200.00 is approved by a manager, owner or admin."
    )
    po.check_approver(
        number="x", total=Decimal("6200"), actor_id=8, actor_role="manager", requester_ids=(7,), tiers=TIERS
    )


# --- receiving roll-up (§5.3) ----------------------------------------------------------------------------
def line(status: str, ordered: str, received: str = "0", defective: str = "0", returned: str = "0") -> po.PoLine:
    return po.PoLine(status, Decimal(ordered), Decimal(received), Decimal(defective), Decimal(returned))


def test_rollup_counts_received_up_to_ordered_and_says_partial() -> None:
    rollup = po.receiving_rollup([line(P.ORDERED, "3", "1"), line(P.RECEIVED, "2", "2")])
    assert (rollup.total_quantity, rollup.total_received, rollup.receiving_status, rollup.complete) == (
        Decimal("5.000"),
        Decimal("3.000"),
        "partial",
        False,
    )


@pytest.mark.parametrize(
    ("lines", "status", "complete"),
    [
        ([line(P.ORDERED, "2")], "not_started", False),
        ([line(P.RECEIVED, "2", "2")], "complete", True),
        ([line(P.ORDERED, "2", "1", defective="1")], "discrepancy", False),
        ([line(P.RECEIVED, "2", "3")], "over_received", True),
        ([line(P.RECEIVED, "1", "1"), line(P.CANCELLED, "4")], "complete", True),
        ([line(P.CANCELLED, "4")], "not_started", False),
    ],
)
def test_receiving_status(lines, status, complete) -> None:  # type: ignore[no-untyped-def]
    rollup = po.receiving_rollup(lines)
    assert (rollup.receiving_status, rollup.complete) == (status, complete)


def test_cancelled_lines_do_not_count_and_backorders_and_returns_are_counted() -> None:
    rollup = po.receiving_rollup(
        [
            line(P.CANCELLED, "5"),
            line(P.BACKORDERED, "1"),
            line(P.RECEIVED, "2", "2", returned="1"),
            line(P.RETURNED, "1", "1", returned="1"),
        ]
    )
    assert (rollup.total_quantity, rollup.total_received) == (Decimal("4.000"), Decimal("3.000"))
    assert (rollup.backordered_items, rollup.returned_items) == (1, 2)


@pytest.mark.parametrize(
    ("actual_days", "on_time", "variance"),
    [(0, True, 0), (-2, True, -2), (3, False, 3)],
)
def test_delivery_kpis_against_the_promised_date(actual_days, on_time, variance) -> None:  # type: ignore[no-untyped-def]
    due = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert po.delivery_kpis(due + timedelta(days=actual_days, hours=3), due, None) == (on_time, variance)


def test_delivery_kpis_fall_back_to_the_requested_date_and_else_are_unknown() -> None:
    due = datetime(2026, 11, 25, tzinfo=UTC)
    assert po.delivery_kpis(due + timedelta(days=1), None, due) == (False, 1)
    assert po.delivery_kpis(due, None, None) == (None, None)


# --- margins (§5.4) ------------------------------------------------------------------------------------------
SETTINGS = default_settings()


def margin(net: str | None, sell: str | None, brand: str = "oem", guardrails: dict | None = None) -> parts.MarginCheck:
    return parts.check_margin(
        net_price=Decimal(net) if net is not None else None,
        sell_price=Decimal(sell) if sell is not None else None,
        brand_type=brand,
        settings=SETTINGS,
        guardrails=guardrails,
    )


@pytest.mark.parametrize(
    ("brand", "target"),
    [("oem", "25"), ("oem_equivalent", "30"), ("aftermarket", "35"), ("recycled", "40"), ("remanufactured", "30")],
)
def test_the_target_margin_depends_on_the_brand_type(brand: str, target: str) -> None:
    assert margin("100", "200", brand).target == Decimal(target)


@pytest.mark.parametrize(
    ("sell", "actual", "below_target", "below_cost"),
    [
        ("200.00", "50.00", False, False),
        ("125.00", "20.00", False, False),  # exactly 25 − 5: no warning
        ("124.00", "19.35", True, False),
        ("100.00", "0.00", True, False),
        ("80.00", "-25.00", True, True),
    ],
)
def test_margin_warns_below_target_less_the_warning_points_and_flags_below_cost(  # type: ignore[no-untyped-def]
    sell, actual, below_target, below_cost
) -> None:
    check = margin("100.00", sell)
    assert (check.actual, check.below_target, check.below_cost) == (Decimal(actual), below_target, below_cost)
    assert check.variance == Decimal(actual) - Decimal("25")


def test_a_lines_guardrails_override_the_shops() -> None:
    check = margin("100", "150", "oem", {"target_margin": 50, "min_margin": 40})
    assert (check.target, check.warn_below, check.below_target) == (Decimal("50.00"), Decimal("40"), True)


def test_without_prices_the_margin_is_unknown_and_nothing_is_flagged() -> None:
    check = margin(None, "100")
    assert (check.actual, check.below_target, check.below_cost) == (None, False, False)
    assert parts.margin_warning("RO1 #1", check) is None


def test_a_free_part_with_a_cost_sells_below_cost() -> None:
    assert margin("10", "0").below_cost


def test_margin_warning_sentences() -> None:
    assert parts.margin_warning("RO1 #1 (Hood)", margin("100", "124")) == (
        "RO1 #1 (Hood) has a margin of 19.35 %, below the minimum of 20.00 % (target 25.00 %)."
    )
    assert "sells below cost" in parts.margin_warning("RO1 #1 (Hood)", margin("100", "80"))


def test_markup_gives_the_sell_price() -> None:
    assert parts.marked_up_sell_price(Decimal("80.00"), Decimal("33.333")) == Decimal("106.67")
    assert parts.marked_up_sell_price(Decimal("80.00"), None) is None


# --- quantities and returns (§5.3, §5.5) ------------------------------------------------------------------
def test_outstanding_quantity_never_below_zero() -> None:
    assert parts.outstanding_quantity(Decimal("3"), Decimal("1")) == Decimal("2.000")
    assert parts.outstanding_quantity(Decimal("3"), None) == Decimal("3.000")
    assert parts.outstanding_quantity(Decimal("1"), Decimal("2")) == 0


def test_deadlines() -> None:
    day = datetime(2026, 11, 25, tzinfo=UTC)
    assert parts.return_deadline(day, 30) == datetime(2026, 12, 25, tzinfo=UTC)
    assert parts.core_return_due(day, 14) == datetime(2026, 12, 9, tzinfo=UTC)
    assert parts.core_return_due(None, 14) is None


@pytest.mark.parametrize(
    ("reason", "fee_amount", "fee_percent", "fee"),
    [
        ("not_needed", None, None, "0.00"),
        ("not_needed", None, Decimal("15"), "30.00"),
        ("customer_change", None, Decimal("15"), "30.00"),
        ("defective", None, Decimal("15"), "0.00"),
        ("damaged_in_shipping", None, Decimal("15"), "0.00"),
        ("defective", Decimal("12.50"), Decimal("15"), "12.50"),
    ],
)
def test_restocking_fee(reason, fee_amount, fee_percent, fee) -> None:  # type: ignore[no-untyped-def]
    assert parts.restocking_fee(reason, Decimal("200.00"), fee_amount=fee_amount, fee_percent=fee_percent) == Decimal(
        fee
    )


def test_return_credit_is_net_times_quantity_less_fee_never_negative() -> None:
    assert parts.return_credit(Decimal("100.00"), Decimal("2"), Decimal("30.00")) == Decimal("170.00")
    assert parts.return_credit(Decimal("10.00"), Decimal("1"), Decimal("30.00")) == Decimal("0.00")
    assert parts.return_credit(None, Decimal("1"), Decimal("0")) == Decimal("0.00")


@pytest.mark.parametrize(("value", "text"), [(Decimal("2.000"), "2"), (Decimal("1.500"), "1.5"), (None, "0")])
def test_quantity_text(value, text) -> None:  # type: ignore[no-untyped-def]
    assert parts.quantity_text(value) == text
