"""Production: each RO's stage rows, daily department capacity, and the shop's stage configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_admin import expose
from flask_admin.base import BaseView
from flask_login import current_user
from wtforms.validators import ValidationError as WtfValidationError

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.admin.workflow import ActionForm, Field, form_bool, form_text
from collisionos.domain import repair_orders as ro_rules
from collisionos.domain.errors import DomainError
from collisionos.domain.permissions import Action, allowed
from collisionos.domain.production import check_prerequisites
from collisionos.extensions import db
from collisionos.models import ProductionStage, ProductionWorkflow, RepairOrder, SchedulingCapacity, User
from collisionos.models.base import utcnow
from collisionos.models.enums import Role
from collisionos.models.enums import StageStatus as S
from collisionos.models.production import WORKFLOW_HOLD_REASONS
from collisionos.services import production as service
from collisionos.tenancy import current_shop_id

CATEGORY = "Repair Orders"
SETTINGS_CATEGORY = "Settings"


class ProductionWorkflowView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "repair_order",
        "stage_order",
        "stage_name",
        "stage_status",
        "technician",
        "actual_start_date",
        "actual_end_date",
        "on_hold",
    )
    column_labels = {
        "repair_order": "RO",
        "stage_order": "#",
        "stage_name": "Stage",
        "stage_status": "Status",
        "technician": "Technician",
        "actual_start_date": "Started",
        "actual_end_date": "Finished",
        "on_hold": "On hold",
    }
    column_formatters = {"stage_status": status_badge}
    column_default_sort = [("id", True)]
    column_filters = (
        "stage_status",
        "stage_type",
        "on_hold",
        "is_rush",
        "planned_start_date",
        "actual_start_date",
        "actual_end_date",
    )

    # The workflow writes these; the edit form keeps to planning fields (bay, hours, notes...).
    form_excluded_columns = (
        "stage_status",
        "previous_status",
        "status_change_date",
        "actual_start_date",
        "actual_end_date",
        "actual_duration",
        "completion_date",
        "is_completed",
        "completed_by",
        "progress_percentage",
        "on_hold",
        "hold_start_date",
        "hold_end_date",
        "hold_duration_minutes",
        "qc_completed",
        "qc_passed",
        "qc_date",
        "rework_count",
        "rework_date",
        "first_time_right",
        "depends_on_stages",
        "efficiency_ratio",
    )
    workflow_actions = {
        "assign": ("action_assign", Action.EDIT),
        "start": ("action_start", Action.EDIT),
        "complete": ("action_complete", Action.EDIT),
        "hold": ("action_hold", Action.EDIT),
        "resume": ("action_resume", Action.EDIT),
        "fail": ("action_fail", Action.EDIT),
        "bypass": ("action_bypass", Action.EDIT),
    }

    def __init__(self) -> None:
        self.column_select_related_list = [ProductionWorkflow.repair_order, ProductionWorkflow.technician]
        self.column_searchable_list = [RepairOrder.repair_order_number]
        super().__init__(ProductionWorkflow, name="Production", endpoint="production", category=CATEGORY)

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        if not self._may(Action.EDIT) or model.repair_order.ro_status in ro_rules.CLOSED_STATUSES:
            return []
        return stage_actions(model, technicians(model.shop_id))

    def action_assign(self, row_id: str, form: Mapping[str, str]) -> str:
        technician = form_text(form, "technician_id") or (
            str(self.actor.id) if self.actor.role == Role.TECHNICIAN else ""
        )
        row = service.assign_technician(current_shop_id(), row_id, technician, actor=self.actor, now=self.now())
        return f"{row.stage_name} on {row.repair_order.repair_order_number} assigned to {row.technician.full_name}."

    def action_start(self, row_id: str, form: Mapping[str, str]) -> str:
        row = service.start_stage(
            current_shop_id(), row_id, actor=self.actor, now=self.now(), override_reason=form_text(form, "reason")
        )
        return f"{row.stage_name} on {row.repair_order.repair_order_number} started."

    def action_complete(self, row_id: str, form: Mapping[str, str]) -> str:
        row = service.complete_stage(
            current_shop_id(),
            row_id,
            actor=self.actor,
            now=self.now(),
            checklist_done=form_bool(form, "checklist_done"),
            notes=form_text(form, "notes"),
        )
        return f"{row.stage_name} on {row.repair_order.repair_order_number} completed."

    def action_hold(self, row_id: str, form: Mapping[str, str]) -> str:
        row = service.hold_stage(
            current_shop_id(),
            row_id,
            reason=form_text(form, "reason") or "",
            note=form_text(form, "note"),
            actor=self.actor,
            now=self.now(),
        )
        return f"{row.stage_name} on {row.repair_order.repair_order_number} is on hold."

    def action_resume(self, row_id: str, form: Mapping[str, str]) -> str:
        row = service.resume_stage(current_shop_id(), row_id, actor=self.actor, now=self.now())
        return (
            f"{row.stage_name} on {row.repair_order.repair_order_number} is {row.stage_status.replace('_', ' ')} again."
        )

    def action_fail(self, row_id: str, form: Mapping[str, str]) -> str:
        row = service.fail_stage(
            current_shop_id(), row_id, reason=form_text(form, "reason"), actor=self.actor, now=self.now()
        )
        return f"{row.stage_name} on {row.repair_order.repair_order_number} sent to rework."

    def action_bypass(self, row_id: str, form: Mapping[str, str]) -> str:
        row = service.bypass_stage(
            current_shop_id(), row_id, reason=form_text(form, "reason"), actor=self.actor, now=self.now()
        )
        return f"{row.stage_name} on {row.repair_order.repair_order_number} bypassed."


def technicians(shop_id: int) -> list[tuple[str, str]]:
    """The shop's active technicians, for the assign select."""
    rows = db.session.execute(
        sa.select(User.id, User.first_name, User.last_name)
        .where(User.shop_id == shop_id, User.role == Role.TECHNICIAN, User.is_active.is_(True))
        .order_by(User.first_name, User.last_name)
    ).all()
    return [(str(r.id), f"{r.first_name} {r.last_name}") for r in rows]


def stage_actions(row: ProductionWorkflow, techs: list[tuple[str, str]]) -> list[ActionForm]:
    """The moves a stage row can make now, as buttons (for its details page and its board card)."""
    user = current_user
    manager = ro_rules.is_manager(user.role)
    items: list[ActionForm] = []
    status = row.stage_status
    if status not in ro_rules.STAGE_DONE:
        if user.role == Role.TECHNICIAN:
            if row.assigned_technician != user.id:
                items.append(
                    ActionForm(
                        "assign",
                        "Take it",
                        hidden={"technician_id": user.id},
                        style="primary" if row.assigned_technician is None else "outline-primary",
                    )
                )
        elif techs:
            items.append(
                ActionForm(
                    "assign",
                    "Assign",
                    fields=[Field("technician_id", "Technician", "select", techs, True, row.assigned_technician)],
                    style="outline-primary" if row.assigned_technician else "primary",
                )
            )
    # A pending stage at the head of the car's line has its prerequisites done; the service re-checks.
    if status in (S.PENDING, S.READY, S.REWORK):
        if row.assigned_technician is None:
            items.append(ActionForm("start", "Start", disabled=True, note="assign a technician first"))
        else:
            items.append(ActionForm("start", "Start rework" if status == S.REWORK else "Start", style="primary"))
            if status == S.REWORK and manager:
                items.append(
                    ActionForm(
                        "start",
                        "Start rework (override limit)",
                        fields=[Field("reason", "Reason", required=True)],
                        style="warning",
                    )
                )
    if status == S.IN_PROGRESS:
        if row.qc_required and not manager:
            items.append(
                ActionForm("complete", "Pass QC", disabled=True, note="QC sign-off needs a manager, owner or admin")
            )
        else:
            fields = [Field("checklist_done", "Checklist complete", "checkbox")] if row.has_checklist else []
            items.append(
                ActionForm("complete", "Pass QC" if row.qc_required else "Complete", fields=fields, style="success")
            )
        if manager or row.qc_required:
            items.append(
                ActionForm(
                    "fail", "Fail QC", fields=[Field("reason", "What failed", required=True)], style="outline-danger"
                )
            )
    if status == S.COMPLETED and manager:
        items.append(
            ActionForm(
                "fail",
                "Defect found (rework)",
                fields=[Field("reason", "Defect", required=True)],
                style="outline-danger",
            )
        )
    if status in (S.READY, S.IN_PROGRESS):
        items.append(
            ActionForm(
                "hold",
                "Hold",
                fields=[
                    Field(
                        "reason", "Reason", "select", [(r, r.replace("_", " ")) for r in WORKFLOW_HOLD_REASONS], True
                    ),
                    Field("note", "Note"),
                ],
                style="outline-warning",
            )
        )
    if status == S.ON_HOLD:
        items.append(ActionForm("resume", "Resume", style="success"))
    if (
        status in (S.PENDING, S.READY)
        and row.production_stage is not None
        and (row.production_stage.can_skip or not row.production_stage.is_required)
    ):
        items.append(
            ActionForm(
                "bypass", "Bypass", fields=[Field("reason", "Why not needed", required=True)], style="outline-secondary"
            )
        )
    return items


class ProductionBoardView(BaseView):
    """One column per stage, one card per RO in the stage it is at; each button is a validated move."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and allowed(current_user.role, "jobs", Action.VIEW))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        from flask import abort, redirect, request

        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    @expose("/")
    def index(self) -> Any:
        shop_id = current_shop_id()
        stages, columns = service.board(shop_id)
        techs = technicians(shop_id)
        can_move = allowed(current_user.role, "jobs", Action.EDIT)
        return self.render(
            "admin/workflow/production_board.html",
            stages=stages,
            columns=columns,
            techs=techs,
            can_move=can_move,
            stage_actions=stage_actions,
            now=utcnow(),
            production_view=self.admin._views
            and next(v for v in self.admin._views if getattr(v, "endpoint", None) == "production"),
        )


class SchedulingCapacityView(SecureModelView):
    area = "jobs"
    column_list = (
        "schedule_date",
        "department",
        "shift_name",
        "available_technicians",
        "total_capacity_hours",
        "scheduled_hours",
        "utilization_percentage",
    )
    column_labels = {
        "schedule_date": "Date",
        "shift_name": "Shift",
        "available_technicians": "Technicians",
        "total_capacity_hours": "Capacity (h)",
        "scheduled_hours": "Scheduled (h)",
        "utilization_percentage": "Utilization %",
    }
    column_formatters = {"department": status_badge, "schedule_status": status_badge}
    column_default_sort = [("schedule_date", True), ("id", True)]
    column_filters = ("schedule_date", "department", "shift_name", "schedule_status")

    def __init__(self) -> None:
        super().__init__(
            SchedulingCapacity, name="Scheduling Capacity", endpoint="scheduling_capacity", category=CATEGORY
        )


class ProductionStageView(SecureModelView):
    area = "settings"
    column_list = (
        "stage_order",
        "stage_name",
        "stage_code",
        "category",
        "is_active",
        "can_skip",
        "requires_inspection",
        "max_rework_attempts",
    )
    column_labels = {
        "stage_order": "#",
        "stage_name": "Stage",
        "stage_code": "Code",
        "is_active": "Active",
        "can_skip": "Can skip",
        "requires_inspection": "Inspection",
        "max_rework_attempts": "Max rework",
    }
    column_formatters = {"category": status_badge}
    column_default_sort = [("stage_order", False), ("id", False)]
    column_filters = ("category", "stage_type", "is_active", "can_skip", "requires_inspection")
    column_searchable_list = ("stage_name", "stage_code")

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Prerequisites must name the shop's stages, and never make a loop."""
        super().on_model_change(form, model, is_created)
        rows = db.session.execute(
            sa.select(ProductionStage.id, ProductionStage.stage_code, ProductionStage.prerequisites).where(
                ProductionStage.shop_id == current_shop_id()
            )
        ).all()
        graph = {row.stage_code: list(row.prerequisites or []) for row in rows if row.id != model.id}
        graph[model.stage_code] = []
        try:
            model.prerequisites = check_prerequisites(model.stage_code, list(model.prerequisites or []), graph)
        except DomainError as error:
            raise WtfValidationError(str(error)) from error

    def __init__(self) -> None:
        super().__init__(
            ProductionStage, name="Production Stages", endpoint="production_stages", category=SETTINGS_CATEGORY
        )


def views() -> list[BaseView]:
    return [
        ProductionBoardView(name="Production Board", endpoint="production_board", category=CATEGORY),
        ProductionWorkflowView(),
        SchedulingCapacityView(),
        ProductionStageView(),
    ]
