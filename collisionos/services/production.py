"""Production use cases (DOMAIN.md §3.2, §4): each RO's stage rows, moved one validated step at a time.

Every move appends a ``job_stage_history`` row. Dependencies gate the start of a stage: a row is
``ready`` only when every stage it depends on is completed or bypassed, and rows become ready by
themselves when their last dependency finishes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from collisionos.domain import repair_orders as ro_rules
from collisionos.domain.errors import PermissionDenied, TransitionRefused, ValidationError
from collisionos.domain.transitions import check_transition
from collisionos.extensions import db
from collisionos.models import JobStageHistory, ProductionStage, ProductionWorkflow, RepairOrder, User
from collisionos.models.enums import ProductionStageType, Role
from collisionos.models.enums import StageStatus as S
from collisionos.models.production import WORKFLOW_HOLD_REASONS
from collisionos.services.repair_orders import refresh_repair_order
from collisionos.services.unit_of_work import load, use_case

DONE = ro_rules.STAGE_DONE
# production_workflow.stage_category for each §4 stage (the configuration table has its own categories).
WORKFLOW_CATEGORY = {
    "intake": "delivery",
    "blueprint": "body",
    "disassembly": "body",
    "parts_hold": "body",
    "frame_repair": "structural",
    "body_work": "body",
    "prep_prime": "paint",
    "paint_booth": "paint",
    "paint_finish": "paint",
    "denib_polish": "paint",
    "mechanical_repair": "mechanical",
    "assembly": "assembly",
    "adas_calibration": "mechanical",
    "final_qc": "quality",
    "detail_cleanup": "delivery",
    "pre_delivery_inspection": "quality",
    "customer_walkthrough": "delivery",
    "delivery": "delivery",
}
MOVEMENT = {
    S.READY: ("forward", "normal_progression"),
    S.IN_PROGRESS: ("forward", "normal_progression"),
    S.COMPLETED: ("forward", "normal_progression"),
    S.BYPASSED: ("skip", "customer_request"),
    S.ON_HOLD: ("forward", "normal_progression"),
    S.FAILED: ("backward", "quality_issue"),
    S.REWORK: ("restart", "rework_required"),
    S.PENDING: ("backward", "normal_progression"),
}


def _words(value: str) -> str:
    return str(value).replace("_", " ")


def create_production_rows(ro: RepairOrder, *, actor: Any, now: datetime) -> list[ProductionWorkflow]:
    """One row per active stage of the shop, in the shop's order, with dependencies as row ids."""
    stages = db.session.scalars(
        sa.select(ProductionStage)
        .where(ProductionStage.shop_id == ro.shop_id, ProductionStage.is_active.is_(True))
        .order_by(ProductionStage.stage_order, ProductionStage.id)
    ).all()
    rows: dict[str, ProductionWorkflow] = {}
    for stage in stages:
        stage_type = stage.workflow_stage_type
        if stage_type is None or stage_type in rows:
            continue
        row = ProductionWorkflow(
            shop_id=ro.shop_id,
            repair_order_id=ro.id,
            production_stage_id=stage.id,
            stage_name=stage.stage_name,
            stage_order=stage.stage_order,
            stage_type=stage_type,
            stage_category=WORKFLOW_CATEGORY.get(stage_type, "body"),
            stage_status=S.PENDING,
            qc_required=bool(stage.requires_inspection),
            has_checklist=bool(stage.checklist_template),
            checklist_items=list(stage.checklist_template or []) or None,
            estimated_hours=None,
            priority="high" if ro.is_rush else "normal",
            is_rush=bool(ro.is_rush),
            triggered_by="repair_order_created",
            created_by=getattr(actor, "id", None),
        )
        db.session.add(row)
        rows[stage_type] = row
    db.session.flush()
    code_to_type = {stage.stage_code: stage.workflow_stage_type for stage in stages}
    for stage in stages:
        row = rows.get(stage.workflow_stage_type or "")
        if row is None:
            continue
        depends = [rows[code_to_type[c]].id for c in (stage.prerequisites or []) if code_to_type.get(c) in rows]
        row.depends_on_stages = depends or None
    for row in rows.values():
        if not row.depends_on_stages:
            _set_status(row, S.READY, actor=actor, now=now, note="no prerequisites")
    return list(rows.values())


def _history(row: ProductionWorkflow, old: str, new: str, *, actor: Any, now: datetime) -> None:
    movement_type, reason = MOVEMENT.get(new, ("forward", "normal_progression"))
    if new == S.BYPASSED:
        reason = "customer_request"
    entry = JobStageHistory(
        shop_id=row.shop_id,
        repair_order_id=row.repair_order_id,
        production_workflow_id=row.id,
        production_stage_id=row.production_stage_id,
        technician_id=row.assigned_technician,
        recorded_by=getattr(actor, "id", None),
        created_by=getattr(actor, "id", None),
        from_stage=f"{row.stage_type}:{old}"[:50],
        to_stage=f"{row.stage_type}:{new}"[:50],
        movement_type=movement_type,
        movement_reason=reason,
        transition_time=now,
        first_time_right=bool(row.first_time_right),
        rework_required=new in (S.FAILED, S.REWORK),
        rework_count=row.rework_count or 0,
    )
    if new == S.COMPLETED and row.actual_start_date is not None:
        entry.stage_start_time, entry.stage_end_time = row.actual_start_date, now
    db.session.add(entry)


def _set_status(row: ProductionWorkflow, new: str, *, actor: Any, now: datetime, note: str | None = None) -> None:
    """Move the row and log the move; ``note`` (why) goes to the audit entry through the use case's reason."""
    old = row.stage_status or S.PENDING
    row.previous_status, row.stage_status = old, new
    row.status_change_date = now
    row.updated_by = getattr(actor, "id", None)
    _history(row, old, new, actor=actor, now=now)


def _dependencies_open(row: ProductionWorkflow, rows: list[ProductionWorkflow]) -> list[ProductionWorkflow]:
    """The stages ``row`` waits for that are not done yet.

    Rows made by :func:`create_production_rows` list their dependencies as row ids; older rows (seeded
    in bulk) fall back to the shop's stage configuration, whose prerequisites are stage codes.
    """
    if row.depends_on_stages:
        wanted = set(row.depends_on_stages)
        return [other for other in rows if other.id in wanted and other.stage_status not in DONE]
    stage = row.production_stage
    codes = set(stage.prerequisites or []) if stage is not None else set()
    return [other for other in rows if other.stage_type.upper() in codes and other.stage_status not in DONE]


def _promote_ready(ro: RepairOrder, *, actor: Any, now: datetime) -> None:
    """Pending rows whose dependencies are all done become ready; ready rows whose dependency re-opened go back."""
    rows = list(ro.production_rows)
    for row in rows:
        blocked = _dependencies_open(row, rows)
        if row.stage_status == S.PENDING and not blocked:
            _set_status(row, S.READY, actor=actor, now=now, note="prerequisites done")
        elif row.stage_status == S.READY and blocked:
            _set_status(row, S.PENDING, actor=actor, now=now, note=f"{blocked[0].stage_name} re-opened")


def _load_row(shop_id: int, row_id: Any) -> tuple[ProductionWorkflow, RepairOrder]:
    row = load(ProductionWorkflow, shop_id, row_id, label="production stage")
    # Lock the RO too: two moves on one car are serialised, so dependencies are read as they are.
    ro = load(RepairOrder, shop_id, row.repair_order_id, label="repair order")
    return row, ro


def _label(row: ProductionWorkflow, ro: RepairOrder) -> str:
    return f"{row.stage_name} on {ro.repair_order_number}"


def _refuse_closed(row: ProductionWorkflow, ro: RepairOrder) -> None:
    if ro.ro_status in ro_rules.CLOSED_STATUSES:
        raise TransitionRefused(f"Cannot move {_label(row, ro)}: the RO is {_words(ro.ro_status)}.", rule="ro_closed")


def assign_technician(
    shop_id: int, row_id: Any, technician_id: Any, *, actor: Any, now: datetime
) -> ProductionWorkflow:
    """Assign (or reassign) the technician who works the stage: an active technician of the shop."""
    with use_case(actor):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        if row.stage_status in DONE:
            raise TransitionRefused(
                f"Cannot assign {_label(row, ro)}: it is {_words(row.stage_status)}.", rule="stage_done"
            )
        try:
            user = db.session.get(User, int(technician_id))
        except (TypeError, ValueError):
            user = None
        if user is None or user.shop_id != shop_id or not user.is_active:
            raise ValidationError("Choose an active technician of this shop.", rule="technician_invalid")
        if actor.role == Role.TECHNICIAN and user.id != actor.id:
            raise PermissionDenied("A technician may only take a stage for themselves.", rule="assign_others")
        row.assigned_technician = user.id
        row.updated_by = actor.id
        refresh_repair_order(ro, now)
    return row


def start_stage(
    shop_id: int, row_id: Any, *, actor: Any, now: datetime, override_reason: str | None = None
) -> ProductionWorkflow:
    """Start a ready stage (or a stage back from rework); it needs its dependencies done and a technician."""
    with use_case(actor, reason=override_reason):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        label = _label(row, ro)
        if row.stage_status == S.PENDING:
            blocked = _dependencies_open(row, list(ro.production_rows))
            if blocked:
                names = ", ".join(other.stage_name for other in blocked[:3])
                raise TransitionRefused(f"Cannot start {label}: waiting for {names}.", rule="dependencies_open")
            # Its prerequisites are done (e.g. a row seeded before they were): it was ready all along.
            _set_status(row, S.READY, actor=actor, now=now)
        check_transition("production stage", label, row.stage_status, S.IN_PROGRESS, row.previous_status)
        if row.assigned_technician is None:
            raise TransitionRefused(f"Cannot start {label}: no technician is assigned.", rule="technician_required")
        if row.stage_status == S.REWORK:
            stage = db.session.get(ProductionStage, row.production_stage_id) if row.production_stage_id else None
            limit = stage.max_rework_attempts if stage is not None else 3
            if (row.rework_count or 0) >= limit:
                if not (override_reason and ro_rules.is_manager(actor.role)):
                    raise TransitionRefused(
                        f"Cannot rework {label} again: it has been reworked {row.rework_count} times, the stage "
                        f"allows {limit}. A manager may override with a reason.",
                        rule="rework_limit",
                    )
            row.rework_count = (row.rework_count or 0) + 1
            row.rework_date = now
        if row.actual_start_date is None:
            row.actual_start_date = now
        row.progress_percentage = max(row.progress_percentage or 0, 10)
        _set_status(row, S.IN_PROGRESS, actor=actor, now=now, note=override_reason)
        refresh_repair_order(ro, now)
    return row


def complete_stage(
    shop_id: int, row_id: Any, *, actor: Any, now: datetime, checklist_done: bool = False, notes: str | None = None
) -> ProductionWorkflow:
    """Finish a stage in progress. A QC stage is finished by passing QC, which needs a QC sign-off role."""
    with use_case(actor):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        label = _label(row, ro)
        check_transition("production stage", label, row.stage_status, S.COMPLETED, row.previous_status)
        if row.qc_required:
            if not ro_rules.is_manager(actor.role):
                raise PermissionDenied(
                    f"Cannot complete {label}: it needs a QC sign-off by a manager, owner or admin.", rule="qc_sign_off"
                )
            row.qc_completed, row.qc_passed, row.qc_date, row.qc_inspector = True, True, now, actor.id
            row.qc_notes = notes or row.qc_notes
        if row.has_checklist and not (row.checklist_completed or checklist_done):
            raise TransitionRefused(f"Cannot complete {label}: its checklist is not complete.", rule="checklist_open")
        if row.has_checklist:
            row.checklist_completed, row.checklist_progress = True, 100
        if row.stage_type == ProductionStageType.PARTS_HOLD and not ro.all_parts_received:
            raise TransitionRefused(
                f"Cannot complete {label}: {ro.parts_pending_count} part line(s) are not received yet.",
                rule="parts_not_received",
            )
        if row.stage_type == ProductionStageType.ADAS_CALIBRATION:
            ro.adas_calibration_completed, ro.adas_calibration_date = True, now
        start = row.actual_start_date or now
        row.actual_end_date = row.completion_date = now
        row.actual_duration = max(0, int((now - start).total_seconds() // 60) - (row.hold_duration_minutes or 0))
        row.completed_by, row.is_completed, row.progress_percentage = actor.id, True, 100
        row.requires_rework = False
        _set_status(row, S.COMPLETED, actor=actor, now=now, note=notes)
        _promote_ready(ro, actor=actor, now=now)
        refresh_repair_order(ro, now)
    return row


def hold_stage(
    shop_id: int, row_id: Any, *, reason: str, note: str | None, actor: Any, now: datetime
) -> ProductionWorkflow:
    """Put a ready or running stage on hold with a reason."""
    with use_case(actor):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        label = _label(row, ro)
        check_transition("production stage", label, row.stage_status, S.ON_HOLD, row.previous_status)
        if reason not in WORKFLOW_HOLD_REASONS:
            raise ValidationError("Choose a hold reason from the list.", rule="hold_reason_required")
        row.on_hold, row.hold_reason, row.hold_start_date, row.hold_end_date = True, reason, now, None
        _set_status(row, S.ON_HOLD, actor=actor, now=now, note=note)
        refresh_repair_order(ro, now)
    return row


def resume_stage(shop_id: int, row_id: Any, *, actor: Any, now: datetime) -> ProductionWorkflow:
    """Take a stage off hold, back to the status it had."""
    with use_case(actor):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        label = _label(row, ro)
        if row.stage_status != S.ON_HOLD:
            raise TransitionRefused(
                f"Cannot resume {label}: it is {_words(row.stage_status)}, not on hold.", rule="not_on_hold"
            )
        back = row.previous_status if row.previous_status in (S.READY, S.IN_PROGRESS) else S.READY
        check_transition("production stage", label, row.stage_status, back, back)
        row.on_hold, row.hold_end_date = False, now
        if row.hold_start_date is not None:
            row.hold_duration_minutes = (row.hold_duration_minutes or 0) + int(
                (now - row.hold_start_date).total_seconds() // 60
            )
        _set_status(row, back, actor=actor, now=now)
        refresh_repair_order(ro, now)
    return row


def fail_stage(shop_id: int, row_id: Any, *, reason: str | None, actor: Any, now: datetime) -> ProductionWorkflow:
    """QC failed on a running stage (or found a defect in a completed one): it goes to rework."""
    with use_case(actor, reason=reason):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        label = _label(row, ro)
        if not reason:
            raise ValidationError("Say what failed (a reason is required).", rule="rework_reason_required")
        if row.stage_status == S.IN_PROGRESS:
            check_transition("production stage", label, row.stage_status, S.FAILED, row.previous_status)
            row.qc_completed, row.qc_passed, row.qc_date = True, False, now
            _set_status(row, S.FAILED, actor=actor, now=now, note=reason)
        check_transition("production stage", label, row.stage_status, S.REWORK, row.previous_status)
        row.first_time_right, row.requires_rework, row.rework_reason = False, True, reason
        row.is_completed, row.progress_percentage = False, 50
        _set_status(row, S.REWORK, actor=actor, now=now, note=reason)
        _promote_ready(ro, actor=actor, now=now)
        refresh_repair_order(ro, now)
    return row


def bypass_stage(shop_id: int, row_id: Any, *, reason: str | None, actor: Any, now: datetime) -> ProductionWorkflow:
    """Skip a stage the car does not need: only stages the shop marks skippable, and with a reason."""
    with use_case(actor, reason=reason):
        row, ro = _load_row(shop_id, row_id)
        _refuse_closed(row, ro)
        label = _label(row, ro)
        check_transition("production stage", label, row.stage_status, S.BYPASSED, row.previous_status)
        stage = db.session.get(ProductionStage, row.production_stage_id) if row.production_stage_id else None
        skippable = stage is not None and (stage.can_skip or not stage.is_required)
        if not skippable:
            raise TransitionRefused(
                f"Cannot bypass {label}: the shop's stage settings do not allow skipping it.", rule="not_skippable"
            )
        if not reason:
            raise ValidationError(
                f"Say why {row.stage_name} is bypassed (a reason is required).", rule="bypass_reason_required"
            )
        _set_status(row, S.BYPASSED, actor=actor, now=now, note=reason)
        _promote_ready(ro, actor=actor, now=now)
        refresh_repair_order(ro, now)
    return row


def finish_at_delivery(ro: RepairOrder, *, actor: Any, now: datetime) -> None:
    """Inside the RO's delivery: the walk-through and keys-out stages happen now; complete what is left of them."""
    for row in ro.production_rows:
        if row.stage_type in ro_rules.AT_DELIVERY_STAGES and row.stage_status not in DONE:
            row.actual_start_date = row.actual_start_date or now
            row.actual_end_date = row.completion_date = now
            row.completed_by, row.is_completed, row.progress_percentage = actor.id, True, 100
            _set_status(row, S.COMPLETED, actor=actor, now=now)


# --- the board ---------------------------------------------------------------------------------------
BOARD_STATUSES = (S.READY, S.IN_PROGRESS, S.ON_HOLD, S.FAILED, S.REWORK)


def board(shop_id: int) -> tuple[list[ProductionStage], dict[str, list[tuple[ProductionWorkflow, RepairOrder]]]]:
    """The shop's active stages and, per stage type, the ROs whose current stage it is.

    An RO sits in the column of its first stage that is neither done nor bypassed; only open ROs past
    the estimate appear. Two queries, whatever the number of cards.
    """
    stages = db.session.scalars(
        sa.select(ProductionStage)
        .where(
            ProductionStage.shop_id == shop_id,
            ProductionStage.is_active.is_(True),
            ProductionStage.workflow_stage_type.is_not(None),
        )
        .order_by(ProductionStage.stage_order)
    ).all()
    on_board = sorted(ro_rules.OPEN_STATUSES - {"draft", "estimate_pending"})
    rows = db.session.execute(
        sa.select(ProductionWorkflow, RepairOrder)
        .join(RepairOrder, RepairOrder.id == ProductionWorkflow.repair_order_id)
        .where(
            ProductionWorkflow.shop_id == shop_id,
            RepairOrder.shop_id == shop_id,
            RepairOrder.ro_status.in_(on_board),
            ProductionWorkflow.stage_status.not_in(tuple(DONE)),
        )
        .options(
            sa.orm.joinedload(RepairOrder.customer),
            sa.orm.joinedload(RepairOrder.vehicle_profile),
            sa.orm.joinedload(ProductionWorkflow.technician),
            sa.orm.joinedload(ProductionWorkflow.production_stage),
        )
        .order_by(RepairOrder.id, ProductionWorkflow.stage_order)
    ).all()
    columns: dict[str, list[tuple[ProductionWorkflow, RepairOrder]]] = {s.workflow_stage_type: [] for s in stages}
    seen: set[int] = set()
    for row, ro in rows:
        if ro.id in seen:
            continue
        seen.add(ro.id)
        columns.setdefault(row.stage_type, []).append((row, ro))
    return list(stages), columns
