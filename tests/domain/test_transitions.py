"""The state machines of DOMAIN.md §3: every listed move is allowed, every other one refused in words."""

from __future__ import annotations

import itertools

import pytest

from collisionos.domain.errors import TransitionRefused
from collisionos.domain.transitions import MACHINES, PREVIOUS, allowed_targets, check_transition
from collisionos.models.enums import (
    ClaimStatus,
    LoanerStatus,
    PartStatus,
    PurchaseOrderStatus,
    RepairOrderStatus,
    ReservationStatus,
    StageStatus,
)

ENUMS = {
    "repair order": RepairOrderStatus,
    "production stage": StageStatus,
    "part line": PartStatus,
    "purchase order": PurchaseOrderStatus,
    "loaner": LoanerStatus,
    "reservation": ReservationStatus,
    "claim": ClaimStatus,
}


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_status_of_the_enum_has_a_row(machine: str) -> None:
    assert set(MACHINES[machine]) == {status.value for status in ENUMS[machine]}


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_listed_moves_pass_and_all_others_are_refused(machine: str) -> None:
    statuses = [status.value for status in ENUMS[machine]]
    for current, target in itertools.product(statuses, statuses):
        allowed = target in MACHINES[machine][current]
        if allowed:
            check_transition(machine, "X1", current, target)
        else:
            with pytest.raises(TransitionRefused) as refusal:
                check_transition(machine, "X1", current, target)
            assert f"Cannot move X1 from {current.replace('_', ' ')}" in str(refusal.value)


@pytest.mark.parametrize(
    ("machine", "current", "target"),
    [
        ("repair order", "draft", "estimate_pending"),
        ("repair order", "ready_for_delivery", "delivered"),
        ("repair order", "quality_control", "in_production"),
        ("repair order", "paid", "archived"),
        ("production stage", "in_progress", "failed"),
        ("production stage", "rework", "in_progress"),
        ("part line", "sourcing", "quoted"),
        ("part line", "backordered", "ordered"),
        ("purchase order", "partial_received", "partial_received"),
        ("purchase order", "pending_approval", "draft"),
        ("loaner", "rented", "accident_damage"),
        ("reservation", "confirmed", "no_show"),
        ("claim", "closed", "open"),
    ],
)
def test_moves_from_domain_md_are_allowed(machine: str, current: str, target: str) -> None:
    check_transition(machine, "X1", current, target)


@pytest.mark.parametrize(
    ("machine", "current", "target"),
    [
        ("repair order", "draft", "delivered"),
        ("repair order", "in_production", "delivered"),
        ("repair order", "delivered", "cancelled"),
        ("part line", "needed", "installed"),
        ("purchase order", "draft", "fully_received"),
        ("loaner", "reserved", "maintenance"),
        ("reservation", "pending", "active"),
        ("claim", "litigation", "approved"),
    ],
)
def test_shortcuts_are_refused_with_the_moves_that_are_possible(machine: str, current: str, target: str) -> None:
    with pytest.raises(TransitionRefused) as refusal:
        check_transition(machine, "RO10452", current, target)
    message = str(refusal.value)
    assert message.startswith(f"Cannot move RO10452 from {current.replace('_', ' ')} to {target.replace('_', ' ')}")
    for possible in MACHINES[machine][current] - {PREVIOUS}:
        assert possible.replace("_", " ") in message


def test_a_repair_order_can_be_cancelled_until_it_is_delivered() -> None:
    before = [s for s in RepairOrderStatus if s not in {"delivered", "invoiced", "paid", "archived", "cancelled"}]
    for status in before:
        check_transition("repair order", "RO1", status, "cancelled")
    for status in ("delivered", "invoiced", "paid"):
        with pytest.raises(TransitionRefused):
            check_transition("repair order", "RO1", status, "cancelled")


def test_final_statuses_say_so() -> None:
    with pytest.raises(TransitionRefused, match="archived is final"):
        check_transition("repair order", "RO1", "archived", "draft")
    with pytest.raises(TransitionRefused, match="bypassed is final"):
        check_transition("production stage", "Paint", "bypassed", "ready")


def test_back_to_previous_resolves_to_the_status_before() -> None:
    assert allowed_targets("repair order", "supplement_pending", previous="in_production") == {
        "supplement_approved",
        "in_production",
        "customer_approval",
        "cancelled",
    }
    check_transition("production stage", "Paint", "on_hold", "in_progress", previous="in_progress")
    with pytest.raises(TransitionRefused):
        check_transition("production stage", "Paint", "on_hold", "completed", previous="in_progress")


def test_an_unknown_status_is_named() -> None:
    with pytest.raises(TransitionRefused, match="In progress is not a repair order status"):
        check_transition("repair order", "RO1", "draft", "in_progress")
