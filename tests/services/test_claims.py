"""Claim use cases (DOMAIN.md §3.7): status moves, the deductible, and supplements worked to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from collisionos.domain.errors import NotFound, TransitionRefused, ValidationError
from collisionos.extensions import db
from collisionos.models import AuditLog, ClaimManagement, Estimate, EstimateLineItem, PartLine, RepairOrder
from collisionos.services import claims as svc
from collisionos.services.repair_orders import transition_repair_order
from tests import factories

D = Decimal
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=2)
HEADLAMP = {
    "description": "Headlamp bracket",
    "type": "part",
    "quantity": "1",
    "unit_price": "74.90",
    "part_number": "HB-7",
}
REINFORCEMENT = {"description": "R&I bumper reinforcement", "type": "labor", "quantity": "1.5", "unit_price": "65.00"}


@dataclass
class Job:
    shop_id: int
    ro_id: int
    claim_id: int
    estimate_id: int
    actor: object

    def ro(self) -> RepairOrder:
        return db.session.get(RepairOrder, self.ro_id)

    def claim(self) -> ClaimManagement:
        return db.session.get(ClaimManagement, self.claim_id)

    def estimate(self) -> Estimate:
        return db.session.get(Estimate, self.estimate_id)

    def lines(self) -> list[EstimateLineItem]:
        return list(
            db.session.scalars(
                sa.select(EstimateLineItem)
                .where(EstimateLineItem.estimate_id == self.estimate_id)
                .order_by(EstimateLineItem.line_number)
            )
        )


def make_job(shop, owner, *, approve: bool = True, claim_status: str = "approved", **claim_fields) -> Job:  # type: ignore[no-untyped-def]
    """An insured RO whose estimate has a 1,000.05 part and 10 h of labour at 65.00, approved by default."""
    profile = factories.VehicleProfileFactory(vehicle__customer__shop=shop)
    claim = factories.ClaimFactory(vehicle_profile=profile, claim_status=claim_status, **claim_fields)
    estimate = factories.EstimateFactory(
        vehicle=profile.vehicle,
        created_by=owner.id,
        parts_total=D("1000.05"),
        labor_total=D("650.00"),
        tax_total=D("214.51"),
        estimate_total=D("1864.56"),
    )
    factories.EstimateLineItemFactory(
        estimate=estimate,
        line_number=1,
        type="part",
        description="Front bumper cover",
        unit_price=D("1000.05"),
        total_price=D("1000.05"),
    )
    factories.EstimateLineItemFactory(
        estimate=estimate,
        line_number=2,
        type="labor",
        description="Body labour",
        quantity=D("10"),
        unit_price=D("65.00"),
        total_price=D("650.00"),
    )
    ro = factories.RepairOrderFactory(vehicle_profile=profile, claim=claim, estimate=estimate)
    job = Job(shop.id, ro.id, claim.id, estimate.id, owner)
    if approve:
        for target in ("estimate_pending", "estimate_approved"):
            transition_repair_order(shop.id, ro.id, target, actor=owner, now=NOW)
    return job


def request(job: Job, lines=(HEADLAMP, REINFORCEMENT), note: str | None = "found at teardown"):  # type: ignore[no-untyped-def]
    return svc.request_supplement(job.shop_id, job.ro_id, lines=list(lines), note=note, actor=job.actor, now=NOW)


def decide(job: Job, number: int, approved_ids: list[int]):  # type: ignore[no-untyped-def]
    return svc.decide_supplement(
        job.shop_id, job.ro_id, supplement_number=number, approved_line_ids=approved_ids, actor=job.actor, now=LATER
    )


def snapshot(job: Job) -> dict:
    ro, claim, estimate = job.ro(), job.claim(), job.estimate()
    return {
        "ro": (ro.ro_status, ro.previous_status, ro.supplements_pending, ro.supplement_count, ro.approved_total),
        "claim": (claim.claim_status, claim.supplement_count, claim.supplement_total, claim.deductible_amount),
        "estimate": (estimate.supplement_count, estimate.supplement_total),
        "lines": [(line.line_number, line.status) for line in job.lines()],
        "parts": db.session.scalar(
            sa.select(sa.func.count()).select_from(PartLine).where(PartLine.repair_order_id == job.ro_id)
        ),
    }


# --- the worked example ------------------------------------------------------------------------------
def test_an_approved_ro_before_any_supplement(shop, owner) -> None:
    job = make_job(shop, owner)
    ro = job.ro()
    # Parts 1,000.05 -> HST 130.0065 -> 130.01; labour 650.00 -> 84.50.
    assert (ro.parts_cost, ro.labor_cost, ro.hst_amount, ro.approved_total) == (
        D("1000.05"),
        D("650.00"),
        D("214.51"),
        D("1864.56"),
    )


def test_requesting_a_supplement_adds_lines_awaiting_the_insurer(shop, owner) -> None:
    job = make_job(shop, owner)
    result = request(job)

    assert result.number == 1 and result.amount == D("172.40")
    new = job.lines()[2:]
    assert [
        (line.line_number, line.type, line.status, line.included_in_original, line.supplement_number, line.total_price)
        for line in new
    ] == [
        (3, "part", "supplement", False, 1, D("74.90")),
        (4, "labor", "supplement", False, 1, D("97.50")),
    ]
    assert new[0].part_number == "HB-7" and new[1].labor_hours == D("1.50") and new[1].labor_rate == D("65.00")
    ro = job.ro()
    assert (ro.ro_status, ro.previous_status, ro.supplements_pending) == (
        "supplement_pending",
        "estimate_approved",
        True,
    )
    assert ro.status_change_date == NOW and ro.status_changed_by == owner.id
    assert ro.status_change_reason == "Supplement 1 requested: found at teardown"
    # Lines awaiting the insurer do not count yet.
    assert (ro.approved_total, ro.estimated_total) == (D("1864.56"), D("1864.56"))
    claim = job.claim()
    assert claim.claim_status == "under_review" and claim.status_update_date == NOW
    assert claim.status_notes == f"{ro.repair_order_number}: Supplement 1 requested: found at teardown"
    assert list(svc.pending_supplement_lines(ro)) == [1]
    assert [line.line_number for line in svc.pending_supplement_lines(ro)[1]] == [3, 4]


def test_a_partly_approved_supplement_worked_to_the_cent(shop, owner) -> None:
    job = make_job(shop, owner)
    request(job)
    headlamp, reinforcement = job.lines()[2:]

    result = decide(job, 1, [headlamp.id])

    # Parts 1,074.95 -> HST 139.7435 -> 139.74 (tax per category, then summed); labour still 650.00 -> 84.50.
    # Approved total 1,724.95 + 224.24 = 1,949.19: it grew by 84.63, not by 74.90 + 9.74 = 84.64.
    assert result.amount == D("84.63") and (result.approved, result.rejected) == (1, 1)
    ro = job.ro()
    assert (ro.parts_cost, ro.labor_cost, ro.hst_amount, ro.total_taxes) == (
        D("1074.95"),
        D("650.00"),
        D("224.24"),
        D("224.24"),
    )
    assert ro.approved_total == D("1949.19") and ro.estimated_total == D("1949.19")
    assert (ro.supplement_count, ro.total_supplement_amount, ro.last_supplement_date) == (1, D("84.63"), LATER)
    assert (ro.ro_status, ro.previous_status, ro.supplements_pending) == (
        "supplement_approved",
        "supplement_pending",
        False,
    )
    assert (ro.deductible_amount, ro.customer_portion_due, ro.insurance_portion_due) == (
        D("500.00"),
        D("500.00"),
        D("1449.19"),
    )
    assert [(line.line_number, line.status) for line in job.lines()] == [
        (1, "approved"),
        (2, "approved"),
        (3, "approved"),
        (4, "rejected"),
    ]
    assert job.lines()[2].approval_date == LATER and job.lines()[2].approved_by == owner.id
    claim = job.claim()
    assert (claim.claim_status, claim.supplement_count, claim.supplement_total, claim.last_supplement_date) == (
        "approved",
        1,
        D("84.63"),
        LATER,
    )
    assert claim.reviewed_by == owner.id and claim.reviewed_at == LATER
    estimate = job.estimate()
    assert (estimate.supplement_count, estimate.supplement_total, estimate.last_supplement_date) == (
        1,
        D("84.63"),
        LATER,
    )
    assert (estimate.parts_total, estimate.labor_total, estimate.tax_total, estimate.estimate_total) == (
        D("1074.95"),
        D("650.00"),
        D("224.24"),
        D("1949.19"),
    )
    # The approved part line of the supplement is now a part line to source, numbered after the first.
    parts = db.session.scalars(
        sa.select(PartLine).where(PartLine.repair_order_id == job.ro_id).order_by(PartLine.line_number)
    ).all()
    assert [(p.line_number, p.part_description, p.oem_part_number, p.estimate_line_item_id) for p in parts] == [
        (1, "Front bumper cover", None, job.lines()[0].id),
        (2, "Headlamp bracket", "HB-7", headlamp.id),
    ]
    assert ro.parts_pending_count == 2


def test_a_wholly_rejected_supplement_returns_the_ro_to_its_previous_status(shop, owner) -> None:
    job = make_job(shop, owner)
    transition_repair_order(shop.id, job.ro_id, "parts_ordered", actor=owner, now=NOW)
    request(job)

    result = decide(job, 1, [])

    assert (result.approved, result.rejected, result.amount) == (0, 2, D("0.00"))
    ro = job.ro()
    assert (ro.ro_status, ro.previous_status, ro.supplements_pending) == ("parts_ordered", "supplement_pending", False)
    assert ro.status_change_reason == "Supplement 1: 0 of 2 lines approved"
    assert (ro.supplement_count, ro.total_supplement_amount, ro.last_supplement_date) == (0, D("0.00"), None)
    assert (ro.approved_total, ro.estimated_total) == (D("1864.56"), D("1864.56"))
    assert [status for _, status in snapshot(job)["lines"][2:]] == ["rejected", "rejected"]
    assert snapshot(job)["parts"] == 1
    assert (job.claim().supplement_count, job.estimate().supplement_count) == (0, 0)
    # The claim's own status is left to staff: a denied supplement is not a denied claim.
    assert job.claim().claim_status == "under_review"


def test_the_next_supplement_after_a_denial_gets_a_new_number(shop, owner) -> None:
    job = make_job(shop, owner)
    request(job)
    decide(job, 1, [])
    second = request(job, lines=[HEADLAMP])
    assert second.number == 2
    assert [line.line_number for line in second.lines] == [5]
    decide(job, 2, [line.id for line in second.lines])
    assert job.estimate().supplement_count == 1 and job.ro().supplement_count == 1
    summaries = svc.claim_supplements(job.claim())
    assert [(s.number, s.state, s.line_count, s.requested_amount, s.approved_amount) for s in summaries] == [
        (1, "rejected", 2, D("172.40"), D("0.00")),
        (2, "approved", 1, D("74.90"), D("74.90")),
    ]


# --- guards on the request -------------------------------------------------------------------------------
def test_no_supplement_when_the_claim_does_not_allow_them(shop, owner) -> None:
    job = make_job(shop, owner, supplements_allowed=False)
    before = snapshot(job)
    with pytest.raises(TransitionRefused) as refusal:
        request(job)
    assert refusal.value.rule == "supplements_not_allowed"
    assert snapshot(job) == before


def test_no_supplement_on_an_ro_without_an_estimate(shop, owner) -> None:
    job = make_job(shop, owner)
    ro = job.ro()
    ro.estimate_id = None
    db.session.commit()
    with pytest.raises(ValidationError) as refusal:
        request(job)
    assert refusal.value.rule == "estimate_required"
    assert job.ro().ro_status == "estimate_approved" and len(job.lines()) == 2


def test_no_supplement_on_a_customer_pay_ro(shop, owner) -> None:
    job = make_job(shop, owner)
    job.ro().claim_management_id = None
    db.session.commit()
    with pytest.raises(ValidationError) as refusal:
        request(job)
    assert refusal.value.rule == "claim_required"
    assert len(job.lines()) == 2


@pytest.mark.parametrize("status", ["draft", "estimate_pending", "quality_control", "completed", "delivered"])
def test_no_supplement_from_a_status_that_cannot_go_to_supplement_pending(shop, owner, status: str) -> None:
    job = make_job(shop, owner)
    job.ro().ro_status = status
    db.session.commit()
    before = snapshot(job)
    with pytest.raises(TransitionRefused) as refusal:
        request(job)
    assert refusal.value.rule == "supplement_status"
    assert snapshot(job) == before


@pytest.mark.parametrize("status", ["estimate_approved", "parts_ordered", "parts_hold", "in_production"])
def test_a_supplement_may_be_requested_from_each_allowed_status(shop, owner, status: str) -> None:
    job = make_job(shop, owner)
    job.ro().ro_status = status
    db.session.commit()
    request(job)
    assert (job.ro().ro_status, job.ro().previous_status) == ("supplement_pending", status)


def test_a_second_request_while_one_is_pending_is_refused(shop, owner) -> None:
    job = make_job(shop, owner)
    request(job)
    before = snapshot(job)
    with pytest.raises(TransitionRefused):
        request(job)
    assert snapshot(job) == before


def test_bad_lines_are_refused_before_anything_changes(shop, owner) -> None:
    job = make_job(shop, owner)
    before = snapshot(job)
    with pytest.raises(ValidationError):
        request(job, lines=[HEADLAMP, {**REINFORCEMENT, "unit_price": "-5"}])
    assert snapshot(job) == before


def test_the_claim_stays_put_when_the_insurer_does_not_review_supplements(shop, owner) -> None:
    job = make_job(shop, owner)
    job.claim().insurance_company.supplement_approval_required = False
    db.session.commit()
    request(job)
    assert job.claim().claim_status == "approved"
    assert job.ro().ro_status == "supplement_pending"


def test_a_pending_claim_is_not_forced_under_review(shop, owner) -> None:
    job = make_job(shop, owner, claim_status="pending")
    request(job)
    assert job.claim().claim_status == "pending" and job.claim().status_update_date is None
    decide(job, 1, [job.lines()[2].id])
    # pending cannot go straight to approved either; the counters still follow.
    assert job.claim().claim_status == "pending" and job.claim().supplement_count == 1


# --- guards on the decision -------------------------------------------------------------------------------
def test_a_decision_needs_a_supplement_pending(shop, owner) -> None:
    job = make_job(shop, owner)
    with pytest.raises(TransitionRefused) as refusal:
        decide(job, 1, [])
    assert refusal.value.rule == "no_pending_supplement"
    assert (
        str(refusal.value)
        == f"{job.ro().repair_order_number} is not waiting for a supplement decision (it is estimate approved)."
    )


def test_a_decision_twice_is_refused_the_second_time(shop, owner) -> None:
    job = make_job(shop, owner)
    request(job)
    ids = [line.id for line in job.lines()[2:]]
    decide(job, 1, ids)
    before = snapshot(job)
    with pytest.raises(TransitionRefused):
        decide(job, 1, ids)
    assert snapshot(job) == before


def test_a_decision_naming_a_line_outside_the_supplement_changes_nothing(shop, owner) -> None:
    job = make_job(shop, owner)
    request(job)
    before = snapshot(job)
    original = job.lines()[0].id
    with pytest.raises(ValidationError) as refusal:
        decide(job, 1, [job.lines()[2].id, original])
    assert refusal.value.rule == "supplement_line_unknown"
    assert snapshot(job) == before
    with pytest.raises(TransitionRefused):
        decide(job, 7, [])
    assert snapshot(job) == before


def test_another_shops_ro_is_not_found(shop, owner) -> None:
    job = make_job(shop, owner)
    other = factories.ShopFactory()
    with pytest.raises(NotFound):
        svc.request_supplement(other.id, job.ro_id, lines=[HEADLAMP], actor=owner, now=NOW)


# --- claim status -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("pending", "open"),
        ("open", "under_review"),
        ("under_review", "approved"),
        ("approved", "closed"),
        ("closed", "open"),
    ],
)
def test_a_claim_moves_along_its_machine(shop, owner, current: str, target: str) -> None:
    job = make_job(shop, owner, approve=False, claim_status=current)
    claim = svc.transition_claim(shop.id, job.claim_id, target, reason="adjuster called", actor=owner, now=NOW)
    assert claim.claim_status == target
    claim = job.claim()
    assert (claim.claim_status, claim.status_update_date, claim.status_notes, claim.updated_by) == (
        target,
        NOW,
        "adjuster called",
        owner.id,
    )


def test_opening_and_reviewing_a_claim_stamp_their_dates(shop, owner) -> None:
    job = make_job(shop, owner, approve=False, claim_status="pending")
    svc.transition_claim(shop.id, job.claim_id, "open", actor=owner, now=NOW)
    svc.transition_claim(shop.id, job.claim_id, "under_review", actor=owner, now=NOW)
    svc.transition_claim(shop.id, job.claim_id, "denied", actor=owner, now=LATER)
    claim = job.claim()
    assert (claim.date_claim_opened, claim.reviewed_at, claim.reviewed_by, claim.status_notes) == (
        NOW,
        LATER,
        owner.id,
        None,
    )


@pytest.mark.parametrize(
    ("current", "target"), [("pending", "approved"), ("litigation", "open"), ("approved", "pending")]
)
def test_a_claim_move_off_the_table_is_refused_and_changes_nothing(shop, owner, current: str, target: str) -> None:
    job = make_job(shop, owner, approve=False, claim_status=current)
    with pytest.raises(TransitionRefused) as refusal:
        svc.transition_claim(shop.id, job.claim_id, target, actor=owner, now=NOW)
    assert refusal.value.rule == "transition_not_allowed"
    assert (job.claim().claim_status, job.claim().status_update_date) == (current, None)


def test_a_claim_is_not_closed_while_a_supplement_waits(shop, owner) -> None:
    job = make_job(shop, owner, claim_status="open")
    request(job)  # the claim goes under review
    svc.transition_claim(shop.id, job.claim_id, "approved", actor=owner, now=NOW)
    with pytest.raises(TransitionRefused) as refusal:
        svc.transition_claim(shop.id, job.claim_id, "closed", actor=owner, now=NOW)
    assert refusal.value.rule == "supplement_pending"
    assert job.claim().claim_status == "approved"


# --- deductible -------------------------------------------------------------------------------------------
def test_waiving_the_deductible_drops_the_customer_portion(shop, owner) -> None:
    job = make_job(shop, owner)
    assert (job.ro().customer_portion_due, job.ro().insurance_portion_due) == (D("500.00"), D("1364.56"))

    svc.waive_deductible(shop.id, job.claim_id, reason="  Loyal fleet customer ", actor=owner, now=NOW)

    claim = job.claim()
    assert (claim.deductible_waived, claim.deductible_waived_reason, claim.deductible_paid_by) == (
        True,
        "Loyal fleet customer",
        "waived",
    )
    ro = job.ro()
    assert (ro.customer_portion_due, ro.insurance_portion_due, ro.deductible_collected) == (
        D("0.00"),
        D("1364.56"),
        True,
    )
    reasons = db.session.scalars(
        sa.select(AuditLog.reason).where(
            AuditLog.table_name == "claim_management", AuditLog.row_id == str(job.claim_id)
        )
    ).all()
    assert "Loyal fleet customer" in reasons


def test_a_waiver_without_a_reason_is_refused(shop, owner) -> None:
    job = make_job(shop, owner)
    with pytest.raises(ValidationError) as refusal:
        svc.waive_deductible(shop.id, job.claim_id, reason="  ", actor=owner, now=NOW)
    assert refusal.value.rule == "waiver_reason_required"
    assert (job.claim().deductible_waived, job.claim().deductible_paid_by) == (False, None)
    assert job.ro().customer_portion_due == D("500.00")


def test_a_deductible_is_waived_once(shop, owner) -> None:
    job = make_job(shop, owner)
    svc.waive_deductible(shop.id, job.claim_id, reason="goodwill", actor=owner, now=NOW)
    with pytest.raises(TransitionRefused) as refusal:
        svc.waive_deductible(shop.id, job.claim_id, reason="again", actor=owner, now=NOW)
    assert refusal.value.rule == "already_waived"
    assert job.claim().deductible_waived_reason == "goodwill"


def test_setting_the_deductible_refreshes_the_ros(shop, owner) -> None:
    job = make_job(shop, owner)
    svc.set_deductible(shop.id, job.claim_id, amount=D("250"), actor=owner, now=NOW)
    ro = job.ro()
    assert (job.claim().deductible_amount, ro.deductible_amount) == (D("250.00"), D("250.00"))
    assert (ro.customer_portion_due, ro.insurance_portion_due) == (D("250.00"), D("1614.56"))


def test_a_negative_deductible_is_refused(shop, owner) -> None:
    job = make_job(shop, owner)
    with pytest.raises(ValidationError) as refusal:
        svc.set_deductible(shop.id, job.claim_id, amount=D("-0.01"), actor=owner, now=NOW)
    assert refusal.value.rule == "deductible_negative"
    assert (job.claim().deductible_amount, job.ro().customer_portion_due) == (D("500.00"), D("500.00"))


def test_the_deductible_is_fixed_once_an_ro_is_invoiced(shop, owner) -> None:
    job = make_job(shop, owner)
    ro = job.ro()
    ro.ro_status, ro.previous_status = "invoiced", "delivered"
    db.session.commit()
    with pytest.raises(TransitionRefused) as refusal:
        svc.set_deductible(shop.id, job.claim_id, amount=D("100"), actor=owner, now=NOW)
    assert refusal.value.rule == "deductible_invoiced"
    assert job.claim().deductible_amount == D("500.00")
    # Setting the same amount again changes nothing and is not refused.
    svc.set_deductible(shop.id, job.claim_id, amount=D("500.00"), actor=owner, now=NOW)
