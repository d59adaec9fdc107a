"""Declarative base, naming convention and column helpers shared by every model.

Every table gets ``id``, ``created_at`` and ``updated_at`` from :class:`Timestamped`.
The column helpers keep the conventions in one place: money is ``Numeric(12, 2)``,
enums are portable VARCHAR + CHECK named ``<table>_<column>``, times are UTC-aware,
and range/non-negative rules become named CHECK constraints.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import ColumnProperty, DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_IDENTIFIER_LENGTH = 63  # PostgreSQL truncates longer names silently


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Store timezone-aware datetimes as UTC and always return them aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            # Naive values are taken as UTC: everything the app writes is aware already.
            return value.replace(tzinfo=UTC) if dialect.name != "sqlite" else value
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention Alembic needs for SQLite batch mode."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class Timestamped:
    """Integer primary key plus ``created_at``/``updated_at`` (UTC, refreshed on update)."""

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, sort_order=-100)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, server_default=sa.func.now(), sort_order=100
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        nullable=False,
        default=utcnow,
        onupdate=utcnow,
        server_default=sa.func.now(),
        sort_order=100,
    )


class ShopOwned:
    """Tenant column: every shop-owned row carries ``shop_id``; deleting the shop deletes the row."""

    shop_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("shops.id", ondelete="CASCADE"), nullable=False, index=True, sort_order=-90
    )

    @declared_attr
    def shop(cls) -> Mapped[Any]:
        return relationship("Shop", foreign_keys=[cls.shop_id])


class UserStamped:
    """``created_by``/``updated_by``: the users who wrote the row; NULL once the user is deleted."""

    created_by: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True, sort_order=90
    )
    updated_by: Mapped[int | None] = mapped_column(
        sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True, sort_order=90
    )


# --- column helpers -----------------------------------------------------------------------------
#
# Checks are declared through ``Column.info`` and turned into named CHECK constraints once the
# model is mapped (see ``_configure_model``), so each rule is written once.


def _values(values: Iterable[str] | type[Enum]) -> list[str]:
    if isinstance(values, type) and issubclass(values, Enum):
        return [str(member.value) for member in values]
    return [str(v) for v in values]


def enum_column(
    table: str,
    column: str,
    values: Iterable[str] | type[Enum],
    *,
    default: str | None = None,
    nullable: bool = True,
    index: bool = False,
) -> Any:
    """A portable enum: VARCHAR plus CHECK ``ck_<table>_<column>``; values are plain strings."""
    allowed = _values(values)
    if default is not None and default not in allowed:
        raise ValueError(f"default {default!r} is not one of {table}.{column}'s values")
    enum_type = sa.Enum(
        *allowed,
        name=f"{table}_{column}",
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(v) for v in allowed),
    )
    return mapped_column(enum_type, nullable=nullable, default=default, index=index)


def money(
    *,
    nullable: bool = True,
    default: Decimal | int | None = None,
    nonneg: bool = True,
    precision: int = 12,
    index: bool = False,
) -> Any:
    """A money amount: ``Numeric(12, 2)``, non-negative unless ``nonneg=False``."""
    return mapped_column(
        sa.Numeric(precision, 2),
        nullable=nullable,
        default=None if default is None else Decimal(default),
        index=index,
        info={"check": "nonneg"} if nonneg else {},
    )


def decimal(
    precision: int,
    scale: int,
    *,
    nullable: bool = True,
    default: Decimal | int | str | None = None,
    ge: int | float | None = None,
    le: int | float | None = None,
    index: bool = False,
) -> Any:
    """A non-money decimal (hours, quantities, rates, percentages) with an optional range check."""
    info: dict[str, Any] = {}
    if ge is not None or le is not None:
        info["check"] = ("range", ge, le)
    return mapped_column(
        sa.Numeric(precision, scale),
        nullable=nullable,
        default=None if default is None else Decimal(str(default)),
        index=index,
        info=info,
    )


def hours(precision: int = 6, *, nullable: bool = True, default: Decimal | int | None = None) -> Any:
    """Hours: ``Numeric(precision, 2)``, never negative."""
    return decimal(precision, 2, nullable=nullable, default=default, ge=0)


def percent(*, nullable: bool = True, default: Decimal | int | None = None, index: bool = False) -> Any:
    """A percentage: ``Numeric(5, 2)`` between 0 and 100."""
    return decimal(5, 2, nullable=nullable, default=default, ge=0, le=100, index=index)


def integer(
    *,
    nullable: bool = True,
    default: int | None = None,
    ge: int | None = None,
    le: int | None = None,
    index: bool = False,
    big: bool = False,
) -> Any:
    """An integer column with an optional inclusive range check."""
    info: dict[str, Any] = {}
    if ge is not None or le is not None:
        info["check"] = ("range", ge, le)
    return mapped_column(
        sa.BigInteger if big else sa.Integer, nullable=nullable, default=default, index=index, info=info
    )


def string(
    length: int | None = None,
    *,
    nullable: bool = True,
    default: str | None = None,
    index: bool = False,
    unique: bool = False,
) -> Any:
    """A VARCHAR(length), or TEXT when ``length`` is None."""
    return mapped_column(
        sa.String(length) if length else sa.Text,
        nullable=nullable,
        default=default,
        index=index,
        unique=unique or None,
    )


def boolean(default: bool | None = False, *, nullable: bool | None = None, index: bool = False) -> Any:
    """A boolean; NOT NULL when it has a default."""
    if nullable is None:
        nullable = default is None
    return mapped_column(sa.Boolean, nullable=nullable, default=default, index=index)


def timestamp(*, nullable: bool = True, default_now: bool = False, index: bool = False) -> Any:
    """A UTC, timezone-aware DateTime."""
    return mapped_column(UTCDateTime, nullable=nullable, default=utcnow if default_now else None, index=index)


def date_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A calendar date (no time, no zone)."""
    return mapped_column(sa.Date, nullable=nullable, index=index)


def time_column(*, nullable: bool = True) -> Any:
    """A wall-clock time of day (shop local)."""
    return mapped_column(sa.Time, nullable=nullable)


def json_list(*, nullable: bool = True) -> Any:
    """A JSON array defaulting to ``[]``."""
    return mapped_column(sa.JSON, nullable=nullable, default=list)


def json_dict(*, nullable: bool = True) -> Any:
    """A JSON object defaulting to ``{}``."""
    return mapped_column(sa.JSON, nullable=nullable, default=dict)


def json_column(*, nullable: bool = True) -> Any:
    """A JSON value without a default."""
    return mapped_column(sa.JSON, nullable=nullable)


def fk(
    target: str,
    *,
    ondelete: str | None,
    nullable: bool,
    index: bool = True,
    unique: bool = False,
) -> Any:
    """A foreign key to ``<table>.id``. ``ondelete=None`` means NO ACTION: deleting a referenced row fails."""
    return mapped_column(
        sa.Integer,
        sa.ForeignKey(f"{target}.id", ondelete=ondelete),
        nullable=nullable,
        index=index,
        unique=unique or None,
    )


def user_fk(*, nullable: bool = True) -> Any:
    """A ``*_by`` / assignee column: users.id, SET NULL when the user is deleted."""
    return fk("users", ondelete="SET NULL", nullable=nullable)


def search_key_index(name: str, column: str) -> sa.Index:
    """Index ``(shop_id, column)`` for prefix search (LIKE 'x%' uses it on PostgreSQL with any collation)."""
    return sa.Index(name, "shop_id", column, postgresql_ops={column: "text_pattern_ops"})


def date_order_check(table: str, start: str, end: str, *, name: str | None = None) -> sa.CheckConstraint:
    """CHECK ``end >= start`` when both are set, named ``ck_<table>_<end>_after_<start>`` unless ``name`` is given."""
    return sa.CheckConstraint(
        f"{end} IS NULL OR {start} IS NULL OR {end} >= {start}",
        name=name or f"{table}_{end}_after_{start}",
    )


@event.listens_for(Mapper, "after_mapper_constructed")
def _configure_model(mapper: Mapper, _class: type) -> None:
    """Keep old values for the audit trail and turn ``info['check']`` into named CHECK constraints."""
    # Load a column's old value before it is overwritten, even on an expired object, so the
    # audit trail can record "old" and a no-op assignment is recognised as one.
    for prop in mapper._props.values():  # not .column_attrs: that would configure every mapper now
        if isinstance(prop, ColumnProperty):
            prop.active_history = True
    table = mapper.local_table
    if not isinstance(table, sa.Table):
        return
    for column in table.columns:
        rule = column.info.get("check")
        if not rule:
            continue
        name = column.name
        if rule == "nonneg":
            constraint_name, sql = f"{table.name}_{name}_nonneg", f"{name} >= 0"
        else:
            _, ge, le = rule
            bounds = [f"{name} >= {ge}"] if ge is not None else []
            bounds += [f"{name} <= {le}"] if le is not None else []
            constraint_name, sql = f"{table.name}_{name}_range", " AND ".join(bounds)
        table.append_constraint(sa.CheckConstraint(sql, name=constraint_name))


__all__ = [
    "Base",
    "db",
    "Decimal",
    "Mapped",
    "ShopOwned",
    "Timestamped",
    "UTCDateTime",
    "UserStamped",
    "boolean",
    "date",
    "date_column",
    "date_order_check",
    "search_key_index",
    "datetime",
    "decimal",
    "enum_column",
    "fk",
    "hours",
    "integer",
    "json_column",
    "json_dict",
    "json_list",
    "mapped_column",
    "money",
    "percent",
    "string",
    "time",
    "time_column",
    "timestamp",
    "user_fk",
    "utcnow",
]
