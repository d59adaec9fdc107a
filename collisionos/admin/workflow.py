"""Per-record workflow actions: small forms on a details page, each a POST to ``/admin/<endpoint>/<action>/``.

A view lists what may be done to a record *now* (``workflow_panel``); each entry is drawn as a form
whose fields the view's handler reads and passes to one service. The handler returns the message
to flash; a :class:`DomainError` becomes an error message and the service has changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from collisionos.domain.errors import DomainError, NotFound, ValidationError
from collisionos.domain.permissions import Action
from collisionos.extensions import db
from collisionos.models.base import utcnow
from collisionos.tenancy import current_shop


@dataclass(frozen=True)
class Field:
    """One input of an action form."""

    name: str
    label: str
    kind: str = "text"  # text, textarea, number, money, select, checkbox, datetime, hidden
    choices: Sequence[tuple[str, str]] = ()
    required: bool = False
    value: Any = None
    placeholder: str = ""


@dataclass(frozen=True)
class ActionForm:
    """A button (with optional inputs) that runs one workflow action on the record."""

    action: str
    label: str
    fields: Sequence[Field] = ()
    style: str = "primary"
    confirm: str | None = None
    hidden: Mapping[str, Any] = field(default_factory=dict)
    group: str = "Actions"
    note: str | None = None
    disabled: bool = False  # shown, with ``note`` saying what stands in the way, but not clickable


def form_text(form: Mapping[str, str], name: str, *, required: str | None = None, limit: int = 2000) -> str | None:
    """A trimmed text field; ``required`` is the message when it is missing."""
    value = (form.get(name) or "").strip()[:limit]
    if not value and required:
        raise ValidationError(required, rule=f"{name}_required")
    return value or None


def form_int(form: Mapping[str, str], name: str, label: str, *, required: bool = False) -> int | None:
    raw = (form.get(name) or "").strip().replace(",", "")
    if not raw:
        if required:
            raise ValidationError(f"{label} is required.", rule=f"{name}_required")
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{label} must be a whole number, not {raw[:20]!r}.", rule=f"{name}_invalid") from None


def form_decimal(form: Mapping[str, str], name: str, label: str, *, required: bool = False) -> Decimal | None:
    raw = (form.get(name) or "").strip().replace(",", "").replace("$", "")
    if not raw:
        if required:
            raise ValidationError(f"{label} is required.", rule=f"{name}_required")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(f"{label} must be a number, not {raw[:20]!r}.", rule=f"{name}_invalid") from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise ValidationError(f"{label} is out of range.", rule=f"{name}_invalid")
    return value


def form_bool(form: Mapping[str, str], name: str) -> bool:
    return (form.get(name) or "").lower() in ("1", "y", "yes", "on", "true")


def form_datetime(form: Mapping[str, str], name: str, label: str, *, required: bool = False) -> datetime | None:
    """A ``datetime-local`` input, read as shop time and returned in UTC."""
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationError(f"{label} is required.", rule=f"{name}_required")
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{label} is not a date and time: {raw[:30]!r}.", rule=f"{name}_invalid") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(current_shop().timezone or "UTC"))
    return local.astimezone(ZoneInfo("UTC"))


def local_input(value: datetime | None) -> str:
    """A UTC datetime as the value of a ``datetime-local`` input in shop time."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(current_shop().timezone or "UTC")).strftime("%Y-%m-%dT%H:%M")


Handler = Callable[[Any, Mapping[str, str]], str]


class WorkflowMixin:
    """Adds the per-record action route and an empty panel; views override both maps."""

    # action name -> (method name, permission needed in the view's area)
    workflow_actions: Mapping[str, tuple[str, Action]] = {}
    # A template included under the details table (e.g. an RO's parts and production summary).
    details_extra_template: str | None = None

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        """The actions that apply to ``model`` now, for the current user."""
        return []

    def workflow_groups(self, model: Any) -> list[tuple[str, list[ActionForm]]]:
        """The panel's actions grouped in the order the view lists them (status moves first, as written)."""
        groups: dict[str, list[ActionForm]] = {}
        for item in self.workflow_panel(model):
            groups.setdefault(item.group, []).append(item)
        return list(groups.items())

    def workflow_warnings(self, model: Any) -> list[str]:
        """Things staff should know about this record now (shown above the actions)."""
        return []

    def may_run(self, action: str) -> bool:
        entry = self.workflow_actions.get(action)
        return entry is not None and self._may(entry[1])  # type: ignore[attr-defined]

    def now(self) -> datetime:
        return utcnow()

    def local(self, value: datetime | None) -> str:
        """A UTC time as the shop reads it."""
        from collisionos.admin.formatters import local_datetime

        return local_datetime(value)

    @expose("/<action_name>/", methods=("POST",))
    def run_workflow_action(self, action_name: str) -> Any:
        entry = self.workflow_actions.get(action_name)
        if entry is None:
            abort(404)
        method, permission = entry
        if not self._may(permission):  # type: ignore[attr-defined]
            abort(403)
        row_id = request.form.get("id", "")
        try:
            message = getattr(self, method)(row_id, request.form)
        except NotFound as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".index_view"))
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(message, "success")
        return redirect(self._back_url(row_id))

    def _back_url(self, row_id: str) -> str:
        target = request.form.get("next") or ""
        parts = urlsplit(target)
        # Only a path on this site: never an open redirect.
        if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
            return target
        if row_id.isdigit():
            return url_for(".details_view", id=row_id)
        return url_for(".index_view")

    @property
    def actor(self) -> Any:
        return current_user._get_current_object()
