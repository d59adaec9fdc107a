"""Production stage moves (DOMAIN.md §3.2, §4): dependencies, technicians, QC sign-off, rework limits,
bypass rules, holds, and the stage history every move appends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from collisionos.domain.errors import PermissionDenied, TransitionRefused, ValidationError
from collisionos.domain.transitions import PREVIOUS, STAGE
from collisionos.extensions import db
from collisionos.models import JobStageHistory, PartLine, ProductionStage, RepairOrder
from collisionos.models.enums import StageStatus as S
from collisionos.services import production as svc
from tests.workflow import NOW, open_ro, reload, shop_with_stages, staff, stages


@pytest.fixture
def shop(app_ctx):  # type: ignore[no-untyped-def]
    return shop_with_stages()


@pytest.fixture
def tech(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "technician")


@pytest.fixture
def manager(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "manager")


@pytest.fixture
def ro(shop, manager):  # type: ignore[no-untyped-def]
    return open_ro(shop, manager)


def run(shop, ro, stage_type, tech, minutes=30):  # type: ignore[no-untyped-def]
    """Take, start and complete one stage as ``tech``."""
    row = stages(ro.id)[stage_type]
    svc.assign_technician(shop.id, row.id, tech.id, actor=tech, now=NOW)
    svc.start_stage(shop.id, row.id, actor=tech, now=NOW)
    svc.complete_stage(shop.id, row.id, actor=tech, now=NOW + timedelta(minutes=minutes))
    return stages(ro.id)[stage_type]


def test_a_stage_cannot_start_before_its_dependencies(shop, ro, tech):
    blueprint = stages(ro.id)["blueprint"]
    svc.assign_technician(shop.id, blueprint.id, tech.id, actor=tech, now=NOW)
    with pytest.raises(TransitionRefused, match="Cannot start Blueprint .* on RO10001: waiting for Intake / check-in"):
        svc.start_stage(shop.id, blueprint.id, actor=tech, now=NOW)
    assert stages(ro.id)["blueprint"].stage_status == "pending"


def test_a_stage_cannot_start_without_a_technician(shop, ro, tech):
    intake = stages(ro.id)["intake"]
    with pytest.raises(TransitionRefused, match="no technician is assigned"):
        svc.start_stage(shop.id, intake.id, actor=tech, now=NOW)
    assert stages(ro.id)["intake"].actual_start_date is None


def test_completing_a_stage_readies_the_next_and_records_times(shop, ro, tech):
    intake = run(shop, ro, "intake", tech, minutes=45)
    assert (intake.stage_status, intake.actual_start_date, intake.actual_duration) == ("completed", NOW, 45)
    assert intake.completed_by == tech.id and intake.progress_percentage == 100 and intake.is_completed
    rows = stages(ro.id)
    assert rows["blueprint"].stage_status == "ready"
    assert rows["disassembly"].stage_status == "pending"
    assert reload(RepairOrder, ro.id).production_percent_complete == 6  # 1 of 18


def test_every_move_appends_to_the_stage_history(shop, ro, tech):
    run(shop, ro, "intake", tech, minutes=45)
    moves = db.session.execute(
        sa.select(JobStageHistory.from_stage, JobStageHistory.to_stage, JobStageHistory.stage_duration)
        .where(JobStageHistory.repair_order_id == ro.id)
        .order_by(JobStageHistory.id)
    ).all()
    assert [(m.from_stage, m.to_stage) for m in moves] == [
        ("intake:pending", "intake:ready"),
        ("intake:ready", "intake:in_progress"),
        ("intake:in_progress", "intake:completed"),
        ("blueprint:pending", "blueprint:ready"),
    ]
    assert moves[2].stage_duration == 45


def test_a_technician_may_only_take_a_stage_for_themselves(shop, ro, tech):
    other = staff(shop, "technician")
    intake = stages(ro.id)["intake"]
    with pytest.raises(PermissionDenied):
        svc.assign_technician(shop.id, intake.id, other.id, actor=tech, now=NOW)


def test_only_a_shop_technician_can_be_assigned(shop, ro, manager, app_ctx):
    outsider = staff(shop_with_stages(), "technician")
    with pytest.raises(ValidationError):
        svc.assign_technician(shop.id, stages(ro.id)["intake"].id, outsider.id, actor=manager, now=NOW)


def test_a_qc_stage_needs_a_manager_to_pass(shop, ro, tech, manager):
    row = stages(ro.id)["final_qc"]
    row.stage_status, row.assigned_technician = S.IN_PROGRESS, tech.id
    db.session.commit()
    with pytest.raises(PermissionDenied, match="QC sign-off"):
        svc.complete_stage(shop.id, row.id, actor=tech, now=NOW)
    svc.complete_stage(shop.id, row.id, actor=manager, now=NOW)
    row = stages(ro.id)["final_qc"]
    assert (row.stage_status, row.qc_passed, row.qc_inspector) == ("completed", True, manager.id)


def test_failed_qc_goes_to_rework_and_counts_up_to_the_limit(shop, ro, tech, manager):
    row = stages(ro.id)["body_work"]
    row.stage_status, row.assigned_technician = S.IN_PROGRESS, tech.id
    config = db.session.get(ProductionStage, row.production_stage_id)
    config.max_rework_attempts = 2
    db.session.commit()
    for attempt in (1, 2):
        svc.fail_stage(shop.id, row.id, reason="orange peel on door", actor=manager, now=NOW)
        assert stages(ro.id)["body_work"].stage_status == "rework"
        svc.start_stage(shop.id, row.id, actor=tech, now=NOW)
        assert stages(ro.id)["body_work"].rework_count == attempt
    svc.fail_stage(shop.id, row.id, reason="still orange peel", actor=manager, now=NOW)
    with pytest.raises(TransitionRefused, match="reworked 2 times, the stage allows 2"):
        svc.start_stage(shop.id, row.id, actor=tech, now=NOW)
    with pytest.raises(TransitionRefused, match="reworked 2 times"):
        svc.start_stage(shop.id, row.id, actor=tech, now=NOW, override_reason="I say so")  # not a manager
    svc.start_stage(shop.id, row.id, actor=manager, now=NOW, override_reason="senior painter on it")
    row = stages(ro.id)["body_work"]
    assert (row.rework_count, row.first_time_right, row.stage_status) == (3, False, "in_progress")


def test_a_completed_stage_can_be_reopened_for_a_defect_and_dependants_wait_again(shop, ro, tech, manager):
    run(shop, ro, "intake", tech)
    assert stages(ro.id)["blueprint"].stage_status == "ready"
    svc.fail_stage(shop.id, stages(ro.id)["intake"].id, reason="missed damage", actor=manager, now=NOW)
    rows = stages(ro.id)
    assert rows["intake"].stage_status == "rework" and rows["blueprint"].stage_status == "pending"


def test_fail_needs_a_reason(shop, ro, manager):
    with pytest.raises(ValidationError):
        svc.fail_stage(shop.id, stages(ro.id)["intake"].id, reason=None, actor=manager, now=NOW)


def test_only_skippable_stages_can_be_bypassed_and_only_with_a_reason(shop, ro, manager):
    rows = stages(ro.id)
    with pytest.raises(TransitionRefused, match="do not allow skipping"):
        svc.bypass_stage(shop.id, rows["intake"].id, reason="no need", actor=manager, now=NOW)
    with pytest.raises(ValidationError, match="reason"):
        svc.bypass_stage(shop.id, rows["frame_repair"].id, reason=None, actor=manager, now=NOW)
    svc.bypass_stage(shop.id, rows["frame_repair"].id, reason="no structural damage", actor=manager, now=NOW)
    assert stages(ro.id)["frame_repair"].stage_status == "bypassed"


def test_parts_hold_completes_only_when_the_parts_are_in(shop, ro, tech):
    row = stages(ro.id)["parts_hold"]
    row.stage_status, row.assigned_technician = S.IN_PROGRESS, tech.id
    db.session.add(
        PartLine(
            shop_id=shop.id, repair_order_id=ro.id, line_number=1, part_description="Hood", part_category="body_panel"
        )
    )
    db.session.commit()
    from collisionos.services.repair_orders import refresh_repair_order

    refresh_repair_order(reload(RepairOrder, ro.id), NOW)
    db.session.commit()
    with pytest.raises(TransitionRefused, match="not received yet"):
        svc.complete_stage(shop.id, row.id, actor=tech, now=NOW)


def test_hold_and_resume_go_back_to_the_status_before(shop, ro, tech):
    intake = stages(ro.id)["intake"]
    svc.assign_technician(shop.id, intake.id, tech.id, actor=tech, now=NOW)
    svc.start_stage(shop.id, intake.id, actor=tech, now=NOW)
    with pytest.raises(ValidationError):
        svc.hold_stage(shop.id, intake.id, reason="lunch", note=None, actor=tech, now=NOW)
    svc.hold_stage(shop.id, intake.id, reason="equipment_down", note="lift broken", actor=tech, now=NOW)
    svc.resume_stage(shop.id, intake.id, actor=tech, now=NOW + timedelta(minutes=20))
    row = stages(ro.id)["intake"]
    assert (row.stage_status, row.hold_duration_minutes, row.on_hold) == ("in_progress", 20, False)


def test_adas_stage_completion_marks_the_ro_calibrated(shop, ro, tech):
    row = stages(ro.id)["adas_calibration"]
    row.stage_status, row.assigned_technician = S.IN_PROGRESS, tech.id
    db.session.commit()
    svc.complete_stage(shop.id, row.id, actor=tech, now=NOW)
    assert reload(RepairOrder, ro.id).adas_calibration_completed


def test_a_closed_ro_stages_do_not_move(shop, ro, tech):
    ro.ro_status = "cancelled"
    db.session.commit()
    with pytest.raises(TransitionRefused, match="the RO is cancelled"):
        svc.assign_technician(shop.id, stages(ro.id)["intake"].id, tech.id, actor=tech, now=NOW)


USE_CASES = {
    # use case -> the table moves that let it run from a status
    "start": lambda c: S.IN_PROGRESS in STAGE[c],
    "complete": lambda c: S.COMPLETED in STAGE[c],
    "hold": lambda c: S.ON_HOLD in STAGE[c],
    "resume": lambda c: PREVIOUS in STAGE[c],
    "bypass": lambda c: S.BYPASSED in STAGE[c],
    "fail": lambda c: S.FAILED in STAGE[c] or S.REWORK in STAGE[c],
}


@pytest.mark.parametrize(
    ("current", "use_case"),
    sorted((c, name) for c in S for name, allowed in USE_CASES.items() if not allowed(c)),
)
def test_use_cases_refuse_statuses_the_table_does_not_allow(shop, ro, manager, tech, current, use_case):
    row = stages(ro.id)["frame_repair"]  # skippable, so only the table can refuse a bypass
    row.stage_status, row.assigned_technician = current, tech.id
    db.session.commit()
    calls = {
        "start": lambda: svc.start_stage(shop.id, row.id, actor=manager, now=NOW),
        "complete": lambda: svc.complete_stage(shop.id, row.id, actor=manager, now=NOW),
        "hold": lambda: svc.hold_stage(shop.id, row.id, reason="other", note=None, actor=manager, now=NOW),
        "resume": lambda: svc.resume_stage(shop.id, row.id, actor=manager, now=NOW),
        "bypass": lambda: svc.bypass_stage(shop.id, row.id, reason="x", actor=manager, now=NOW),
        "fail": lambda: svc.fail_stage(shop.id, row.id, reason="x", actor=manager, now=NOW),
    }
    with pytest.raises(TransitionRefused):
        calls[use_case]()
    assert stages(ro.id)["frame_repair"].stage_status == current


def test_a_pending_stage_whose_prerequisites_are_done_starts(shop, ro, tech):
    """Rows seeded as pending after their prerequisites finished are ready in fact; starting them says so."""
    run(shop, ro, "intake", tech)
    blueprint = stages(ro.id)["blueprint"]
    blueprint.stage_status = S.PENDING
    db.session.commit()
    svc.assign_technician(shop.id, blueprint.id, tech.id, actor=tech, now=NOW)
    svc.start_stage(shop.id, blueprint.id, actor=tech, now=NOW)
    assert stages(ro.id)["blueprint"].stage_status == "in_progress"
