"""The audit trail: one ``audit_log`` row per insert, update and delete made through the ORM.

A ``before_flush`` listener notes what changed (old and new values of changed columns only) and an
``after_flush`` listener writes the rows in the same transaction, once new rows have their ids.
Whoever acts (a logged-in user, a CLI command, a job) is set with :func:`acting_as`; the web layer
sets it per request. Secret columns are never written.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from collisionos.models import AuditLog, NumberSequence, SchedulerRun, Shop, User, WatchFlag
from collisionos.models.base import utcnow

# Never written to the audit log, whatever the table.
SECRET_COLUMNS = frozenset(
    {
        "password",
        "two_factor_secret",
        "password_reset_token",
        "email_verification_token",
        "session_token",
        "api_key",
    }
)
# Columns whose change alone says nothing a person needs to read.
# Timestamps, and the bulky JSON that is itself a history (an estimate's versions, an import's parsed file).
NOISE_COLUMNS = frozenset({"updated_at", "created_at", "last_activity", "version_history", "parsed_data"})
# Tables that are not business data: the log itself, the number counters, scheduler runs and watch flags.
UNAUDITED = (AuditLog, NumberSequence, SchedulerRun, WatchFlag)


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    user_label: str | None = None
    ip_address: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    reason: str | None = None


_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar(
    "audit_actor",
    default=Actor(user_label="system"),  # noqa: B039  (Actor is a frozen dataclass)
)


def current_actor() -> Actor:
    return _actor.get()


def set_actor(actor: Actor) -> contextvars.Token:
    """Set who acts from now on in this context (the web layer calls this per request)."""
    return _actor.set(actor)


def reset_actor(token: contextvars.Token) -> None:
    """Undo a :func:`set_actor`."""
    _actor.reset(token)


@contextmanager
def acting_as(user: Any = None, *, label: str | None = None, reason: str | None = None) -> Iterator[Actor]:
    """Attribute the writes inside the block to ``user`` (or to ``label``, e.g. ``"cli"``), with a reason."""
    base = current_actor()
    actor = replace(
        base,
        user_id=getattr(user, "id", None) if user is not None else base.user_id,
        user_label=(getattr(user, "username", None) or label or base.user_label),
        reason=reason if reason is not None else base.reason,
    )
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


_PLAIN = frozenset({type(None), bool, int, str})


def _jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # the common case first: every audited column of every row passes here
        return value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, float):
        return str(value)
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value


def _audited_columns(obj: Any) -> list[Any]:
    return _columns_of(inspect(obj).mapper)


@functools.cache
def _columns_of(mapper: Any) -> list[Any]:
    # Once per model: every flush of every use case asks again.
    return [
        attr
        for attr in mapper.column_attrs
        if attr.key not in SECRET_COLUMNS
        and attr.columns[0].name not in SECRET_COLUMNS
        and attr.key not in NOISE_COLUMNS
    ]


@functools.cache
def _audited_keys(mapper: Any) -> frozenset[str]:
    return frozenset(attr.key for attr in _columns_of(mapper))


def _changes_for_update(obj: Any) -> dict[str, dict[str, Any]]:
    state = inspect(obj)
    changes: dict[str, dict[str, Any]] = {}
    audited = _audited_keys(state.mapper)
    # Only the attributes set since the row was loaded can have changed (a wide row is not walked column by column).
    for key in [key for key in state.committed_state if key in audited]:
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        changes[key] = {"old": _jsonable(old), "new": _jsonable(new)}
    return changes


def _snapshot(obj: Any, *, as_new: bool) -> dict[str, dict[str, Any]]:
    changes = {}
    # A new row's values are all in memory after its INSERT; a deleted row's may need loading.
    loaded = inspect(obj).dict if as_new else None
    for attr in _audited_columns(obj):
        raw = loaded.get(attr.key) if loaded is not None else getattr(obj, attr.key, None)
        if as_new and raw is None:
            continue
        value = _jsonable(raw)
        changes[attr.key] = {"old": None, "new": value} if as_new else {"old": value, "new": None}
    return changes


def _audited(obj: Any) -> bool:
    return not isinstance(obj, UNAUDITED) and hasattr(type(obj), "__table__")


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _flush_context: Any, _instances: Any) -> None:
    pending = session.info.setdefault("audit_pending", [])
    for obj in session.new:
        if _audited(obj):
            pending.append(("insert", obj, None))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _changes_for_update(obj)
            if changes:
                pending.append(("update", obj, changes))
    for obj in session.deleted:
        if _audited(obj):
            pending.append(("delete", obj, _snapshot(obj, as_new=False)))


@event.listens_for(Session, "after_flush")
def _write(session: Session, _flush_context: Any) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    actor = current_actor()
    now = utcnow()
    # Rows about a shop or user deleted in this very flush cannot point at it any more.
    gone_shops = {obj.id for action, obj, _ in pending if action == "delete" and isinstance(obj, Shop)}
    gone_users = {obj.id for action, obj, _ in pending if action == "delete" and isinstance(obj, User)}
    rows = []
    for action, obj, changes in pending:
        if action == "insert":
            changes = _snapshot(obj, as_new=True)
        row_id = inspect(obj).identity[0] if inspect(obj).identity else getattr(obj, "id", None)
        rows.append(
            {
                "occurred_at": now,
                "created_at": now,
                "updated_at": now,
                "shop_id": None if getattr(obj, "shop_id", None) in gone_shops else getattr(obj, "shop_id", None),
                "user_id": None if actor.user_id in gone_users else actor.user_id,
                "user_label": (actor.user_label or "")[:100] or None,
                "table_name": obj.__tablename__,
                "row_id": str(row_id),
                "action": action,
                "changes": changes,
                "request_id": actor.request_id,
                "ip_address": actor.ip_address,
                "user_agent": (actor.user_agent or "")[:500] or None,
                "reason": actor.reason,
            }
        )
    session.connection().execute(sa.insert(AuditLog.__table__), rows)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("audit_pending", None)
