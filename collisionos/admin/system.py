"""Reports, settings and system: technician scorecards, the shop itself, staff accounts and the audit trail."""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from flask_admin.base import BaseView
from flask_login import current_user
from markupsafe import Markup
from wtforms import PasswordField
from wtforms.validators import Optional, ValidationError

from collisionos.admin import formatters
from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.domain.errors import DomainError
from collisionos.domain.passwords import hash_password
from collisionos.models import AuditLog, SchedulerRun, Shop, TechnicianPerformance, User
from collisionos.models.enums import ROLE_RANK, Role
from collisionos.tenancy import current_shop_id


class TechnicianPerformanceView(SecureModelView):
    """Scorecards are rolled up by the scheduler: read them, never type them."""

    area = "reports"
    read_only = True
    column_list = (
        "technician",
        "reporting_period",
        "period_start",
        "overall_efficiency",
        "utilization_rate",
        "jobs_completed",
        "performance_grade",
    )
    column_labels = {
        "reporting_period": "Period",
        "period_start": "From",
        "overall_efficiency": "Efficiency %",
        "utilization_rate": "Utilization %",
        "jobs_completed": "Jobs done",
        "performance_grade": "Grade",
    }
    column_formatters = {"reporting_period": status_badge, "performance_grade": status_badge}
    column_default_sort = [("period_start", True), ("id", True)]
    column_filters = ("reporting_period", "period_start", "performance_grade", "bonus_eligible")

    def __init__(self) -> None:
        self.column_select_related_list = [TechnicianPerformance.technician]
        super().__init__(
            TechnicianPerformance,
            name="Technician Performance",
            endpoint="technician_performance",
            category="Reports",
        )


class ShopView(SecureModelView):
    """The current shop's own settings: one row, never created or deleted here."""

    area = "settings"
    column_list = ("name", "city", "phone", "email", "timezone", "currency")
    column_default_sort = [("name", False), ("id", False)]
    column_searchable_list = ("name",)
    # JSON settings and the subscription are edited elsewhere; licence and trial state belong to the platform.
    form_excluded_columns = (
        "settings",
        "subscription",
        "license_key",
        "is_active",
        "is_trial",
        "trial_expires_at",
        "last_backup",
    )
    column_details_exclude_list = ("settings", "subscription", "license_key")

    allow_create = False
    allow_delete = False

    def scope(self, query: Any) -> Any:
        return query.filter(Shop.id == current_shop_id())

    def __init__(self) -> None:
        super().__init__(Shop, name="Shop Settings", endpoint="shops", category="Settings")


def _user_rank(role: Any) -> int:
    try:
        return ROLE_RANK[Role(role)]
    except (ValueError, KeyError):
        return -1


class UserView(SecureModelView):
    """Staff accounts; passwords are set through ``new_password`` and stored as argon2id hashes."""

    area = "users"
    column_list = ("first_name", "last_name", "email", "role", "department", "is_active", "last_login")
    column_labels = {"is_active": "Active", "last_login": "Last login"}
    column_formatters = {"role": status_badge}
    column_default_sort = [("last_name", False), ("first_name", False), ("id", False)]
    column_filters = ("role", "department", "is_active", "account_locked", "last_login")
    column_searchable_list = ("last_name", "email")
    column_details_exclude_list = ("password", "permissions")
    # What the system writes while people log in and work: not typed by an administrator.
    form_excluded_columns = (
        "login_attempts",
        "failed_login_attempts",
        "last_login",
        "last_activity",
        "is_online",
        "is_clocked_in",
        "clock_in_time",
        "clock_out_time",
        "current_jobs",
        "total_hours",
        "overtime_hours",
        "two_factor_enabled",
        "email_verified",
    )
    form_extra_fields = {
        "new_password": PasswordField(
            "New password",
            validators=[Optional()],
            description="Leave empty to keep the current password (required for a new account).",
        )
    }

    def __init__(self) -> None:
        super().__init__(User, name="Staff", endpoint="users", category="Settings")

    def _limit_roles(self, form: Any, obj: Any = None) -> Any:
        """Offer only roles ranked no higher than the current user's (an account keeps its own role)."""
        field = getattr(form, "role", None)
        if field is not None and getattr(field, "choices", None):
            mine = _user_rank(current_user.role)
            keep = getattr(obj, "role", None)
            field.choices = [
                choice
                for choice in field.choices
                if _user_rank(choice[0]) <= mine or (keep is not None and str(choice[0]) == str(keep))
            ]
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._limit_roles(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._limit_roles(super().edit_form(obj), obj)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        state = sa.inspect(model)
        role_history = state.attrs.role.history
        if (is_created or role_history.has_changes()) and _user_rank(model.role) > _user_rank(current_user.role):
            raise ValidationError("You may not give an account a role above your own.")
        if model.email:
            model.email = model.email.strip().lower()
        field = getattr(form, "new_password", None)
        new_password = (field.data if field is not None else None) or ""
        if is_created and not new_password:
            raise ValidationError("A new account needs a password.")
        rotate = False
        if new_password:
            try:
                model.password = hash_password(new_password)
            except DomainError as error:
                raise ValidationError(str(error)) from error
            rotate = True
        if not model.is_active and (is_created or state.attrs.is_active.history.has_changes()):
            rotate = True
        if rotate:
            # Ends every session the user has open (see services.auth).
            model.session_token = secrets.token_hex(16)


def _changes_table(_view: Any, _context: Any, model: AuditLog, _name: str) -> Markup:
    """Render ``{"column": {"old": ..., "new": ...}}`` as a small old → new table."""
    changes = model.changes
    if not changes:
        return Markup("")
    if not isinstance(changes, dict):
        return Markup("<code>{}</code>").format(str(changes))
    rows = Markup("")
    for column, change in changes.items():
        if isinstance(change, dict) and ("old" in change or "new" in change):
            old, new = change.get("old"), change.get("new")
        else:
            old, new = None, change
        rows += Markup("<tr><th>{}</th><td>{}</td><td>{}</td></tr>").format(
            column, "" if old is None else str(old), "" if new is None else str(new)
        )
    return Markup(
        '<table class="table table-sm table-bordered mb-0"><thead><tr><th>Field</th><th>Old</th><th>New</th></tr>'
        "</thead><tbody>{}</tbody></table>"
    ).format(rows)


class AuditLogView(SecureModelView):
    """The append-only trail written by the audit service: read it, filter it, export it."""

    area = "audit"
    read_only = True
    simple_list_pager = True
    column_list = ("occurred_at", "user_label", "table_name", "row_id", "action", "reason")
    column_labels = {
        "occurred_at": "When",
        "user_label": "Who",
        "table_name": "Table",
        "row_id": "Row",
        "ip_address": "IP address",
    }
    column_formatters = {"action": status_badge}
    column_formatters_detail = {"action": status_badge, "changes": _changes_table}
    column_details_list = (
        "occurred_at",
        "user_label",
        "table_name",
        "row_id",
        "action",
        "reason",
        "changes",
        "request_id",
        "ip_address",
        "user_agent",
    )
    column_default_sort = [("id", True)]  # rows are appended in time order
    column_filters = ("table_name", "row_id", "action", "user_label", "occurred_at")
    column_searchable_list = ("table_name",)

    def __init__(self) -> None:
        super().__init__(AuditLog, name="Audit Trail", endpoint="audit_log", category="System")


OUTCOME_BADGES = {"success": "success", "failed": "danger", "running": "info"}


def _outcome_badge(_view: Any, _context: Any, model: SchedulerRun, _name: str) -> Markup:
    return Markup('<span class="badge badge-{}">{}</span>').format(
        OUTCOME_BADGES.get(model.outcome, "secondary"), model.outcome
    )


def _run_time(_view: Any, _context: Any, model: SchedulerRun, name: str) -> str:
    value = getattr(model, name)
    return "" if value is None else value.astimezone(formatters.shop_zone()).strftime("%Y-%m-%d %H:%M:%S")


def _run_counts(_view: Any, _context: Any, model: SchedulerRun, _name: str) -> str:
    counts = model.counts or {}
    if not isinstance(counts, dict):
        return str(counts)
    return ", ".join(f"{name}={value}" for name, value in counts.items())


def _error_summary(_view: Any, _context: Any, model: SchedulerRun, _name: str) -> str:
    first = (model.error or "").strip().split("\n", 1)[0]
    return first if len(first) <= 160 else first[:159] + "…"


def _error_text(_view: Any, _context: Any, model: SchedulerRun, _name: str) -> Markup:
    return Markup('<pre class="mb-0" style="white-space: pre-wrap">{}</pre>').format(model.error or "")


class SchedulerRunView(SecureModelView):
    """Every run of a scheduled job, newest first: written by the scheduler, read here.

    Runs belong to the installation, not to a shop (one scheduler serves every shop).
    """

    area = "audit"
    read_only = True
    simple_list_pager = True
    column_list = ("job_id", "started_at", "finished_at", "outcome", "counts", "error", "runner")
    column_details_list = ("job_id", "started_at", "finished_at", "outcome", "counts", "runner", "error")
    column_labels = {"job_id": "Job", "started_at": "Started", "finished_at": "Ended"}
    column_formatters = {
        "started_at": _run_time,
        "finished_at": _run_time,
        "outcome": _outcome_badge,
        "counts": _run_counts,
        "error": _error_summary,
    }
    column_formatters_detail = {
        "started_at": _run_time,
        "finished_at": _run_time,
        "outcome": _outcome_badge,
        "counts": _run_counts,
        "error": _error_text,
    }
    column_sortable_list = ("job_id", "started_at", "finished_at", "outcome")
    column_default_sort = [("started_at", True), ("id", True)]
    column_filters = ("job_id", "outcome", "started_at")

    def scope(self, query: Any) -> Any:
        return query

    def __init__(self) -> None:
        super().__init__(SchedulerRun, name="Scheduler Runs", endpoint="scheduler_runs", category="System")


def views() -> list[BaseView]:
    return [TechnicianPerformanceView(), ShopView(), UserView(), AuditLogView(), SchedulerRunView()]
