"""How every workflow use case touches the database: take the write lock first, lock the row, commit once.

Two clicks on one button, or two people acting on one record, must not both succeed. PostgreSQL
locks the record with ``SELECT ... FOR UPDATE``; SQLite has no row locks (SQLAlchemy drops
``FOR UPDATE`` silently), so a use case there starts with ``BEGIN IMMEDIATE``, which takes the
database's write lock before the first read (STACK_NOTES.md: 0 of 400 failures, against 357 of 400
for a deferred transaction that reads and then writes). Either way the second request waits, then
reads the state the first one left and is refused by the rules if the move no longer applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, TypeVar

import sqlalchemy as sa

from collisionos.domain.errors import NotFound
from collisionos.extensions import db
from collisionos.services.audit import acting_as

T = TypeVar("T")


def begin_write() -> None:
    """Start the use case's transaction; on SQLite take the write lock now.

    Any read-only transaction the request opened (loading the user, the page) is ended first so its
    snapshot cannot be stale; there must be no unsaved changes at this point.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("begin_write() called with unsaved changes in the session")
    if session.get_bind().dialect.name != "sqlite":
        return
    session.rollback()
    session.connection().exec_driver_sql("BEGIN IMMEDIATE")


def load(model: type[T], shop_id: int, row_id: Any, *, label: str | None = None, lock: bool = True) -> T:
    """Return the shop's ``model`` row ``row_id``, locked for update; NotFound for another shop's or no row."""
    try:
        key = int(row_id)
    except (TypeError, ValueError):
        raise NotFound(f"No such {label or model.__name__}.", rule="not_found") from None
    query = sa.select(model).where(model.id == key, model.shop_id == shop_id)  # type: ignore[attr-defined]
    if lock:
        query = query.with_for_update()
    row = db.session.scalars(query.execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise NotFound(f"No such {label or model.__name__} in this shop.", rule="not_found")
    return row


@contextmanager
def use_case(actor: Any = None, *, reason: str | None = None) -> Iterator[None]:
    """Run a use case as ``actor``: begin (write lock on SQLite), commit once, or roll back everything.

    The audit rows written inside carry the actor and, for overrides, the reason given.
    """
    begin_write()
    try:
        with acting_as(actor, reason=reason) if actor is not None or reason else nullcontext():
            yield
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
