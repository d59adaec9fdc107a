"""Claim rules (DOMAIN.md §3.7, H3): the claim machine, deductible, ATS terms and the supplement guards."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from collisionos.domain import claims as rules
from collisionos.domain.errors import TransitionRefused, ValidationError
from collisionos.domain.transitions import CLAIM, REPAIR_ORDER
from collisionos.models.enums import ClaimStatus, RepairOrderStatus

D = Decimal
CLAIM_PAIRS = list(itertools.product([s.value for s in ClaimStatus], repeat=2))


@pytest.mark.parametrize(("current", "target"), CLAIM_PAIRS)
def test_claim_moves_follow_the_table(current: str, target: str) -> None:
    if target in CLAIM[current]:
        rules.check_claim_transition("CLM-1", current, target, pending_supplements=[])
    else:
        with pytest.raises(TransitionRefused) as refusal:
            rules.check_claim_transition("CLM-1", current, target, pending_supplements=[])
        message = str(refusal.value)
        assert message.startswith(f"Cannot move claim CLM-1 from {current.replace('_', ' ')}")
        for allowed in CLAIM[current]:
            assert allowed.replace("_", " ") in message


def test_a_claim_is_not_closed_while_an_ro_waits_for_a_supplement_decision() -> None:
    with pytest.raises(TransitionRefused) as refusal:
        rules.check_claim_transition("CLM-1", "approved", "closed", pending_supplements=["RO10002", "RO10001"])
    assert str(refusal.value) == ("Cannot close claim CLM-1: RO10001, RO10002 still wait for a supplement decision.")
    assert refusal.value.rule == "supplement_pending"
    # Other moves are not held up by it.
    rules.check_claim_transition("CLM-1", "approved", "litigation", pending_supplements=["RO10001"])


# --- supplement lines --------------------------------------------------------------------------------
def test_supplement_lines_are_parsed_and_priced() -> None:
    lines = rules.parse_supplement_lines(
        [
            {
                "description": " Headlamp bracket ",
                "type": "part",
                "quantity": "2",
                "unit_price": "37.455",
                "part_number": "HB-1",
            },
            {"description": "R&I reinforcement", "type": "labor", "quantity": D("1.5"), "unit_price": D("65")},
        ]
    )
    assert lines[0] == rules.SupplementLine("Headlamp bracket", "part", D("2"), D("37.46"), "HB-1")
    assert lines[0].amount == D("74.92")
    assert lines[1].amount == D("97.50") and lines[1].part_number is None


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ({"description": "", "type": "part", "quantity": 1, "unit_price": 1}, "supplement_description_required"),
        ({"description": "x", "type": "tax", "quantity": 1, "unit_price": 1}, "supplement_line_type"),
        ({"description": "x", "type": "part", "quantity": 0, "unit_price": 1}, "supplement_quantity"),
        ({"description": "x", "type": "part", "quantity": "two", "unit_price": 1}, "supplement_quantity"),
        ({"description": "x", "type": "part", "quantity": 1, "unit_price": "-0.01"}, "supplement_unit_price"),
        ({"description": "x", "type": "part", "quantity": 1, "unit_price": None}, "supplement_unit_price"),
    ],
)
def test_bad_supplement_lines_are_refused_naming_the_line(line: dict, rule: str) -> None:
    good = {"description": "ok", "type": "part", "quantity": 1, "unit_price": 1}
    with pytest.raises(ValidationError) as refusal:
        rules.parse_supplement_lines([good, line])
    assert refusal.value.rule == rule
    assert str(refusal.value).startswith("Supplement line 2")


def test_a_supplement_needs_a_line() -> None:
    with pytest.raises(ValidationError) as refusal:
        rules.parse_supplement_lines([])
    assert refusal.value.rule == "supplement_lines_required"


# --- supplement request guards -----------------------------------------------------------------------
def _facts(**changes) -> rules.SupplementRequestFacts:  # type: ignore[no-untyped-def]
    values = dict(
        ro_number="RO10001",
        ro_status="in_production",
        previous_status="parts_ordered",
        has_estimate=True,
        claim_number="CLM-1",
        supplements_allowed=True,
    )
    values.update(changes)
    return rules.SupplementRequestFacts(**values)


@pytest.mark.parametrize("status", [s.value for s in RepairOrderStatus])
def test_a_supplement_is_requested_only_from_the_statuses_that_may_go_to_supplement_pending(status: str) -> None:
    facts = _facts(ro_status=status)
    if RepairOrderStatus.SUPPLEMENT_PENDING in REPAIR_ORDER[status]:
        rules.check_supplement_request(facts)
    else:
        with pytest.raises(TransitionRefused) as refusal:
            rules.check_supplement_request(facts)
        assert "RO10001" in str(refusal.value) and "supplement pending" in str(refusal.value)


def test_no_supplement_without_an_estimate() -> None:
    with pytest.raises(ValidationError) as refusal:
        rules.check_supplement_request(_facts(has_estimate=False))
    assert refusal.value.rule == "estimate_required"
    assert str(refusal.value) == "Cannot request a supplement on RO10001: it has no estimate to add the lines to."


def test_no_supplement_without_a_claim() -> None:
    with pytest.raises(ValidationError) as refusal:
        rules.check_supplement_request(_facts(claim_number=None))
    assert refusal.value.rule == "claim_required"


def test_no_supplement_when_the_claim_does_not_allow_them() -> None:
    with pytest.raises(TransitionRefused) as refusal:
        rules.check_supplement_request(_facts(supplements_allowed=False))
    assert refusal.value.rule == "supplements_not_allowed"
    assert str(refusal.value) == "Cannot request a supplement on RO10001: claim CLM-1 does not allow supplements."


@pytest.mark.parametrize(
    ("current", "required", "expected"),
    [
        ("approved", True, "under_review"),
        ("open", True, "under_review"),
        ("denied", True, "under_review"),
        ("approved", False, None),  # the insurer does not review supplements
        ("pending", True, None),  # pending cannot go under review
        ("under_review", True, None),
        ("closed", True, None),
    ],
)
def test_the_claim_goes_under_review_only_when_the_insurer_reviews_and_the_machine_allows(
    current: str, required: bool, expected: str | None
) -> None:
    assert rules.claim_status_after_request(current, required) == expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [("under_review", "approved"), ("open", "approved"), ("approved", None), ("pending", None), ("closed", None)],
)
def test_an_approved_supplement_approves_the_claim_when_the_machine_allows(current: str, expected: str | None) -> None:
    assert rules.claim_status_after_approval(current) == expected


def test_the_decision_splits_lines_and_refuses_strangers() -> None:
    assert rules.split_decision("RO1", 1, [3, 4, 5], [5, 3]) == ([3, 5], [4])
    assert rules.split_decision("RO1", 1, [3, 4], []) == ([], [3, 4])
    with pytest.raises(ValidationError) as stranger:
        rules.split_decision("RO1", 1, [3, 4], [3, 9])
    assert stranger.value.rule == "supplement_line_unknown" and "Line 9" in str(stranger.value)
    with pytest.raises(TransitionRefused) as nothing:
        rules.split_decision("RO1", 2, [], [])
    assert str(nothing.value) == "Supplement 2 on RO1 has no lines awaiting a decision."


def test_supplement_numbers_follow_the_approved_count_without_reusing_a_denied_number() -> None:
    assert rules.next_supplement_number(0, None) == 1
    assert rules.next_supplement_number(2, 2) == 3
    # Supplement 3 was wholly denied (the count stayed at 2): the next one is 4, not 3 again.
    assert rules.next_supplement_number(2, 3) == 4


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        (["supplement", "supplement"], "awaiting decision"),
        (["approved", "approved"], "approved"),
        (["approved", "rejected"], "partly approved"),
        (["rejected"], "rejected"),
        (["pending", "approved"], "pending"),  # lines of an imported supplement not yet approved
        (["pending"], "pending"),
    ],
)
def test_supplement_state(statuses: list[str], state: str) -> None:
    assert rules.supplement_state(statuses) == state


# --- deductible ---------------------------------------------------------------------------------------
def test_the_deductible_is_never_negative() -> None:
    assert rules.check_deductible_amount("CLM-1", D("250.005")) == D("250.01")
    assert rules.check_deductible_amount("CLM-1", D("0")) == D("0.00")
    with pytest.raises(ValidationError) as refusal:
        rules.check_deductible_amount("CLM-1", D("-1"))
    assert refusal.value.rule == "deductible_negative"
    assert str(refusal.value) == "The deductible of claim CLM-1 cannot be negative (-1.00)."
    with pytest.raises(ValidationError):
        rules.check_deductible_amount("CLM-1", None)


def test_the_deductible_is_fixed_once_an_ro_is_invoiced() -> None:
    rules.check_deductible_change("CLM-1", [])
    with pytest.raises(TransitionRefused) as refusal:
        rules.check_deductible_change("CLM-1", ["RO10001"])
    assert str(refusal.value) == "Cannot change the deductible of claim CLM-1: RO10001 is already invoiced."
    assert rules.is_invoiced("invoiced", "delivered") and rules.is_invoiced("paid", "invoiced")
    assert rules.is_invoiced("archived", "paid")
    assert not rules.is_invoiced("archived", "cancelled") and not rules.is_invoiced("delivered", "ready_for_delivery")


def test_a_waiver_needs_a_reason() -> None:
    assert rules.check_waiver("CLM-1", reason=" loyal customer ", amount=D("500"), waived=False, paid=False) == (
        "loyal customer"
    )
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError) as refusal:
            rules.check_waiver("CLM-1", reason=reason, amount=D("500"), waived=False, paid=False)
        assert refusal.value.rule == "waiver_reason_required"


@pytest.mark.parametrize(
    ("amount", "waived", "paid", "rule"),
    [
        (D("500"), True, False, "already_waived"),
        (D("500"), False, True, "deductible_already_paid"),
        (D("0"), False, False, "no_deductible"),
        (None, False, False, "no_deductible"),
    ],
)
def test_a_waiver_is_refused_when_there_is_nothing_to_waive(amount, waived: bool, paid: bool, rule: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TransitionRefused) as refusal:
        rules.check_waiver("CLM-1", reason="goodwill", amount=amount, waived=waived, paid=paid)
    assert refusal.value.rule == rule


# --- claim terms typed in the form ----------------------------------------------------------------------
def test_claim_terms_problems() -> None:
    assert (
        rules.claim_terms_problems(
            deductible_amount=D("0"), ats_allowance_amount=D("40"), ats_days_approved=5, ats_days_used=5
        )
        == {}
    )
    assert rules.claim_terms_problems() == {}
    problems = rules.claim_terms_problems(
        deductible_amount=D("-1"),
        ats_allowance_amount=D("-0.01"),
        ats_days_approved=3,
        ats_days_used=4,
        program_discount=D("101"),
    )
    assert set(problems) == {"deductible_amount", "ats_allowance_amount", "ats_days_used", "program_discount"}
    assert problems["ats_days_used"] == "ATS days used (4) cannot exceed the days approved (3)."
    assert "ats_days_used" in rules.claim_terms_problems(ats_days_approved=None, ats_days_used=1)
    assert "ats_days_approved" in rules.claim_terms_problems(ats_days_approved=-1)


def test_the_status_refusal_says_where_the_ro_can_go() -> None:
    with pytest.raises(TransitionRefused) as refusal:
        rules.check_supplement_request(_facts(ro_status="quality_control"))
    assert str(refusal.value) == (
        "Cannot request a supplement on RO10001: a quality control RO cannot go to supplement pending "
        "(it can go to: cancelled, completed, in production)."
    )
    with pytest.raises(TransitionRefused) as final:
        rules.check_supplement_request(_facts(ro_status="archived"))
    assert str(final.value).endswith("(it can go to: nothing, it is final).")
