"""The SLA monitor, the watch flags it raises and the managers' daily digest (issue 5; DOMAIN.md §5.7).

``sweep(now=...)`` runs every few minutes. Per shop it

1. recomputes ``is_overdue``, ``overdue_by`` and ``sla_risk_level`` of every open RO with the same rule the RO
   use cases apply (:func:`collisionos.services.repair_orders.sla_of`), set-based: one query for the ROs' columns
   (read as the driver returns them, no ORM objects), one for their intake starts, the arithmetic in Python, and one
   executemany UPDATE of only the rows whose values changed;
2. looks for the conditions staff must act on (an RO at risk, a part past its expected date, an aged backorder,
   a PO waiting too long for approval, a loaner not back, a supplement pending too long, a car delivered but not
   invoiced, a part received but not installed on a car already in QC): one query per kind, and keeps one
   ``watch_flags`` row per (shop, kind, subject, condition): a condition seen again keeps its row open and moves
   ``last_seen_at``; one that no longer holds gets ``cleared_at``; one that comes back re-opens its row (a fresh
   ``first_flagged_at``, not yet notified). Nothing is flagged twice. Messages carry no day counts (they would
   change every day); the watch-lists and the digest show how long an item has been flagged and, for an RO, its
   overdue days.

The reads run outside the write lock; the writes of a shop run in one short transaction (``BEGIN IMMEDIATE`` on
SQLite). Each RO update is guarded by the ``updated_at`` the sweep read, so an RO a person changed in between is
left alone (its use case recomputed the SLA anyway) and the next sweep looks at it again. These are Core
statements: the SLA columns and the flags are bookkeeping, not audited (watch_flags is unaudited by design).

``send_digests(now=...)`` runs hourly: once per shop per local day, after 07:00 shop time, it emails the shop's
active managers and owners the open flags (counts per kind, what is new since the last digest, the oldest items)
and marks the new ones ``notified_at``. The day a digest went out is kept in the shop's settings JSON under
``lastDigestDate`` (ISO date, shop time), claimed under the write lock before sending so two runners cannot both
send; if no recipient could be reached the claim is released and the next run tries again. A shop with nothing
flagged gets no email (the day is still marked).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from collisionos.domain import repair_orders as ro_rules
from collisionos.domain import sla
from collisionos.domain.performance import local_midnight
from collisionos.domain.settings import merged_settings
from collisionos.extensions import db
from collisionos.models import (
    LoanerReservation,
    PartLine,
    ProductionWorkflow,
    PurchaseOrder,
    RepairOrder,
    Shop,
    User,
    WatchFlag,
)
from collisionos.models.enums import PartStatus, PurchaseOrderStatus, ReservationStatus, Role
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.services.repair_orders import sla_of
from collisionos.services.unit_of_work import begin_write

log = logging.getLogger(__name__)

RO_TABLE = RepairOrder.__tablename__
PART_TABLE = PartLine.__tablename__
PO_TABLE = PurchaseOrder.__tablename__
RESERVATION_TABLE = LoanerReservation.__tablename__


@dataclass(frozen=True)
class WatchKind:
    code: str
    title: str  # the watch-list page's title
    subject_table: str
    endpoint: str  # the admin view whose details page shows the subject
    area: str  # the permission area whose view right the list needs (domain/permissions.py)
    explain: str  # one line under the title


KINDS: dict[str, WatchKind] = {
    kind.code: kind
    for kind in (
        WatchKind(
            "at_risk",
            "At risk",
            RO_TABLE,
            "repair_orders",
            "jobs",
            "Open repair orders whose SLA is red (overdue 1-3 days, or 90 % of the time gone with parts missing) "
            "or critical (overdue more than 3 days, or overdue while on hold).",
        ),
        WatchKind(
            "parts_overdue",
            "Parts overdue",
            PART_TABLE,
            "part_lines",
            "parts",
            "Part lines ordered, backordered or shipped whose expected delivery day has passed.",
        ),
        WatchKind(
            "backorder_aged",
            "Backorders aged",
            PART_TABLE,
            "part_lines",
            "parts",
            "Part lines backordered for longer than the shop's limit (backorderCriticalDays, default 7).",
        ),
        WatchKind(
            "delivered_not_invoiced",
            "Delivered not invoiced",
            RO_TABLE,
            "repair_orders",
            "jobs",
            "Cars that have left the shop and whose repair order is not invoiced yet.",
        ),
        WatchKind(
            "received_not_installed",
            "Received not installed",
            PART_TABLE,
            "part_lines",
            "parts",
            "Parts received or inspected but not installed on repair orders already in quality control or later.",
        ),
        WatchKind(
            "loaner_overdue",
            "Loaners overdue",
            RESERVATION_TABLE,
            "loaner_reservations",
            "jobs",
            "Loaners out on an active reservation past their confirmed (else requested) return time.",
        ),
        WatchKind(
            "po_awaiting_approval",
            "POs awaiting approval",
            PO_TABLE,
            "purchase_orders",
            "parts",
            "Purchase orders pending approval for longer than the shop's limit (poApprovalMaxWaitHours, default 24).",
        ),
        WatchKind(
            "supplement_pending_long",
            "Supplements pending",
            RO_TABLE,
            "repair_orders",
            "jobs",
            "Repair orders waiting on a supplement decision for longer than the shop's limit "
            "(supplementPendingMaxDays, default 3).",
        ),
    )
}

OPEN_RO_STATUSES = tuple(sorted(ro_rules.OPEN_STATUSES))
AT_RISK_LEVELS = frozenset({sla.RED, sla.CRITICAL})
AWAITED_PART_STATUSES = (PartStatus.ORDERED, PartStatus.BACKORDERED, PartStatus.SHIPPED)
ON_HAND_PART_STATUSES = (PartStatus.RECEIVED, PartStatus.INSPECTED)
# From quality control on, a part still on the shelf is a part that was forgotten (or is no longer needed).
QC_OR_LATER = (
    R.QUALITY_CONTROL,
    R.COMPLETED,
    R.READY_FOR_DELIVERY,
    R.DELIVERED,
    R.INVOICED,
    R.PAID,
)
DIGEST_KEY = "lastDigestDate"
DIGEST_HOUR = time(7, 0)
DIGEST_ROLES = (Role.OWNER, Role.MANAGER)
DIGEST_TOP_ITEMS = 10

Key = tuple[str, str, int, str]  # (kind, subject_table, subject_id, condition)


def _zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _words(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _active_shops() -> list[Any]:
    rows = db.session.execute(
        sa.select(Shop.id, Shop.name, Shop.timezone, Shop.settings).where(Shop.is_active.is_(True)).order_by(Shop.id)
    ).all()
    db.session.rollback()  # end the read transaction: each shop's work starts afresh
    return rows


# --- the SLA sweep --------------------------------------------------------------------------------------------------


def sweep(*, now: datetime) -> dict[str, int]:
    """Recompute the SLA of every shop's open ROs and refresh the watch flags; counts per kind.

    A shop that fails is logged and does not stop the others; the run then ends with an error naming it.
    """
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for shop in _active_shops():
        try:
            zone, settings = _zone(shop.timezone), merged_settings(shop.settings)
            counts.update(sweep_shop(shop.id, now=now, zone=zone, settings=settings))
        except Exception as error:
            db.session.rollback()
            log.exception("SLA sweep of shop #%s failed", shop.id)
            failures.append(f"shop #{shop.id}: {error}")
            continue
        counts["shops"] += 1
    if failures:
        raise RuntimeError(f"SLA sweep failed for {len(failures)} shop(s): " + "; ".join(failures))
    return dict(counts)


def sweep_shop(shop_id: int, *, now: datetime, zone: ZoneInfo, settings: dict[str, Any]) -> dict[str, int]:
    """One shop's sweep: SLA recomputed, flags observed, then written in one transaction."""
    ro_rows = _fetch(_open_repair_orders(shop_id))
    reads = {
        name: _fetch(query) for name, query in _watch_queries(shop_id, now=now, zone=zone, settings=settings).items()
    }
    open_ros = {row[0]: row[2] for row in ro_rows}  # id -> number
    intake = _first_intake(reads["intake"], open_ros)
    changes, observed = _recompute_sla(ro_rows, intake, now=now, zone=zone, settings=settings)
    observed.update(_observe(reads, open_ros, now=now, zone=zone))
    db.session.rollback()  # the reads are done; the writes take the lock
    begin_write()
    try:
        updated = _write_sla(changes)
        counts = _reconcile_flags(shop_id, observed, now=now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    counts["repair_orders"] = len(open_ros)
    counts["sla_updated"] = updated
    return counts


def _raw(column: Any) -> Any:
    """``column`` as the database driver returns it, without SQLAlchemy's per-value conversion (text timestamps and
    0/1 booleans on SQLite). See :func:`_fetch` and :func:`_when`."""
    return sa.type_coerce(column, sa.String).label(getattr(column, "key", None) or "value")


def _fetch(statement: Any) -> list[tuple]:
    """Run ``statement`` (SQLAlchemy compiles it and binds its parameters) and return the driver's plain tuples:
    no result row objects and no per-value processing, which is most of the cost of reading 100,000 rows."""
    result = db.session.connection().execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _when(value: Any) -> datetime | None:
    """A timestamp read with :func:`_raw` (or through a coalesce()) as an aware UTC datetime.

    SQLite hands back the UTC text SQLAlchemy stored, without an offset; parsing it with "+00:00" appended is
    several times faster than parsing and then attaching the zone.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value if value[-6] in "+-" else value + "+00:00")
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _open_repair_orders(shop_id: int) -> Any:
    ro = RepairOrder.__table__.c
    return sa.select(
        ro.id,
        _raw(ro.updated_at),
        ro.repair_order_number,
        _raw(ro.ro_status),
        _raw(ro.status_change_date),
        _raw(ro.date_created),
        _raw(ro.promised_delivery_date),
        _raw(ro.sla_type),
        ro.target_completion_days,
        ro.sla_paused_days,
        _raw(ro.is_on_hold),
        _raw(ro.hold_reason),
        _raw(ro.hold_start_date),
        _raw(ro.all_parts_received),
        _raw(ro.is_overdue),
        ro.overdue_by,
        _raw(ro.sla_risk_level),
    ).where(ro.shop_id == shop_id, ro.ro_status.in_(OPEN_RO_STATUSES))


def _first_intake(rows: list[tuple], open_ros: dict[int, str]) -> dict[int, datetime]:
    """RO id -> when its first intake stage started (§5.7: the SLA clock starts at intake), for the open ROs.

    ``rows`` are the shop's started intake rows (one query); the open ROs are picked here rather than by joining
    the RO table, which would cost a lookup of each row's RO for nothing (the intake rows are read either way).
    The first by stage order wins, as intake_started() takes it from the RO's ordered rows.
    """
    first: dict[int, tuple[int, Any]] = {}
    for ro_id, order, started in rows:
        if ro_id not in open_ros:
            continue
        seen = first.get(ro_id)
        if seen is None or order < seen[0]:
            first[ro_id] = (order, started)
    return {ro_id: _when(started) for ro_id, (_order, started) in first.items()}


def _recompute_sla(
    rows: list[tuple], intake: dict[int, datetime], *, now: datetime, zone: ZoneInfo, settings: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[Key, str]]:
    """The SLA of each open RO by the RO services' own rule; the changed rows to write and the ROs to flag."""
    local_date = _local_date(zone, now)
    supplement_cutoff = now - timedelta(days=_number(settings.get("supplementPendingMaxDays"), 3))
    changes: list[dict[str, Any]] = []
    observed: dict[Key, str] = {}
    for (
        ro_id,
        updated_at,
        number,
        status,
        status_changed,
        created,
        promised,
        sla_type,
        target,
        paused_days,
        on_hold,
        hold_reason,
        hold_start,
        parts_in,
        was_overdue,
        was_overdue_by,
        was_risk,
    ) in rows:
        state = sla_of(
            now=now,
            started=intake.get(ro_id) or _when(created),
            ro_status=status,
            sla_type=sla_type,
            target_completion_days=target,
            promised=None if promised is None else _when(promised),
            sla_paused_days=paused_days,
            is_on_hold=bool(on_hold),
            hold_reason=hold_reason,
            hold_start_date=None if hold_start is None else _when(hold_start),
            all_parts_received=bool(parts_in),
            settings=settings,
            local_date=local_date,
        )
        if state.risk != was_risk or state.overdue_by != was_overdue_by or state.is_overdue != bool(was_overdue):
            changes.append(
                {
                    "b_id": ro_id,
                    "b_seen": updated_at,  # as read: see _unchanged_since_read()
                    "is_overdue": state.is_overdue,
                    "overdue_by": state.overdue_by,
                    "sla_risk_level": state.risk,
                    "updated_at": now,
                }
            )
        if state.risk in AT_RISK_LEVELS:
            observed[("at_risk", RO_TABLE, ro_id, state.risk)] = _at_risk_message(
                number, status, state, bool(on_hold), hold_reason, bool(parts_in), local_date
            )
        if status == R.SUPPLEMENT_PENDING:
            since = _when(status_changed) or _when(created)
            if since < supplement_cutoff:
                observed[("supplement_pending_long", RO_TABLE, ro_id, "supplement_pending")] = (
                    f"{number} has waited for a supplement decision since {local_date(since).isoformat()}."
                )
    return changes, observed


def _local_date(zone: ZoneInfo, now: datetime | None = None):  # type: ignore[no-untyped-def]
    """Instant -> the shop's calendar day (the sweep asks for ``now``'s 100,000 times: answered once)."""
    today = now.astimezone(zone).date() if now is not None else None

    def local_date(instant: datetime) -> date:
        if instant is now:
            return today  # type: ignore[return-value]
        return instant.astimezone(zone).date()

    return local_date


def _at_risk_message(
    number: str,
    status: str,
    state: sla.SlaState,
    on_hold: bool,
    hold_reason: str | None,
    parts_in: bool,
    local_date: Any,
) -> str:
    # No day counts in messages: they would change every day; the lists show the RO's overdue days beside them.
    text = f"{number} is {state.risk}, due {local_date(state.due).isoformat()}"
    if on_hold:
        text += f", on hold ({_words(hold_reason) or 'no reason'})"
    elif not parts_in:
        text += ", parts still missing"
    return text + f"; status {_words(status)}."


def _unchanged_since_read(column: Any) -> Any:
    """``column`` still holds the value the sweep read (bound as ``b_seen``): on SQLite the exact text read back, so
    that no timestamp format question arises; elsewhere the timestamp itself."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.type_coerce(column, sa.String) == sa.bindparam("b_seen", type_=sa.String)
    return column == sa.bindparam("b_seen")


def _write_sla(changes: list[dict[str, Any]]) -> int:
    """One executemany UPDATE of the changed ROs, each guarded by the ``updated_at`` the sweep read."""
    if not changes:
        return 0
    table = RepairOrder.__table__
    statement = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"), _unchanged_since_read(table.c.updated_at))
        .values(
            is_overdue=sa.bindparam("is_overdue"),
            overdue_by=sa.bindparam("overdue_by"),
            sla_risk_level=sa.bindparam("sla_risk_level"),
            updated_at=sa.bindparam("updated_at"),
        )
    )
    db.session.execute(statement, changes)
    return len(changes)


# --- the other watch conditions -------------------------------------------------------------------------------------


def _watch_queries(shop_id: int, *, now: datetime, zone: ZoneInfo, settings: dict[str, Any]) -> dict[str, Any]:
    """The reads behind the watch conditions (and the intake starts the SLA needs first), in the order needed."""
    today_starts = local_midnight(now.astimezone(zone).date(), zone)
    pw = ProductionWorkflow.__table__.c
    pl, ro = PartLine.__table__.c, RepairOrder.__table__.c
    po, lr = PurchaseOrder.__table__.c, LoanerReservation.__table__.c
    backordered_since = sa.func.coalesce(pl.backorder_date, pl.order_date, pl.status_change_date, pl.created_at)
    po_waiting_since = sa.func.coalesce(po.status_change_date, po.po_date)
    loaner_due = sa.func.coalesce(lr.confirmed_end_date, lr.requested_end_date)
    return {
        "intake": sa.select(pw.repair_order_id, pw.stage_order, _raw(pw.actual_start_date)).where(
            pw.shop_id == shop_id, pw.stage_type == "intake", pw.actual_start_date.is_not(None)
        ),
        # Past their expected day (a part due today is not late until tomorrow, shop time); open ROs picked later.
        "parts_overdue": sa.select(
            pl.id,
            pl.repair_order_id,
            pl.line_number,
            pl.part_description,
            _raw(pl.part_status),
            _raw(pl.estimated_delivery_date),
        ).where(
            pl.shop_id == shop_id,
            pl.part_status.in_(AWAITED_PART_STATUSES),
            pl.estimated_delivery_date < today_starts,
        ),
        "backorder_aged": sa.select(
            pl.id, pl.repair_order_id, pl.line_number, pl.part_description, _raw(backordered_since)
        ).where(
            pl.shop_id == shop_id,
            pl.part_status == PartStatus.BACKORDERED,
            backordered_since < now - timedelta(days=_number(settings.get("backorderCriticalDays"), 7)),
        ),
        "received_not_installed": sa.select(
            pl.id, pl.line_number, pl.part_description, _raw(pl.part_status), ro.repair_order_number, _raw(ro.ro_status)
        )
        .select_from(PartLine.__table__.join(RepairOrder.__table__, ro.id == pl.repair_order_id))
        .where(pl.shop_id == shop_id, pl.part_status.in_(ON_HAND_PART_STATUSES), ro.ro_status.in_(QC_OR_LATER)),
        "delivered_not_invoiced": sa.select(
            ro.id, ro.repair_order_number, _raw(ro.actual_delivery_date), _raw(ro.status_change_date)
        ).where(ro.shop_id == shop_id, ro.ro_status == R.DELIVERED),
        "po_awaiting_approval": sa.select(
            po.id, po.purchase_order_number, po.vendor_name, _raw(po_waiting_since)
        ).where(
            po.shop_id == shop_id,
            po.po_status == PurchaseOrderStatus.PENDING_APPROVAL,
            po_waiting_since < now - timedelta(hours=_number(settings.get("poApprovalMaxWaitHours"), 24)),
        ),
        "loaner_overdue": sa.select(lr.id, lr.reservation_number, lr.primary_driver_name, _raw(loaner_due)).where(
            lr.shop_id == shop_id, lr.reservation_status == ReservationStatus.ACTIVE, loaner_due < now
        ),
    }


def _observe(
    reads: dict[str, list[tuple]], open_ros: dict[int, str], *, now: datetime, zone: ZoneInfo
) -> dict[Key, str]:
    """Every other watch condition of the shop, from :func:`_watch_queries`; ``open_ros`` maps id -> number."""
    local_date = _local_date(zone, now)
    observed: dict[Key, str] = {}

    for line_id, ro_id, line_number, description, status, eta_at in reads["parts_overdue"]:
        if ro_id in open_ros:
            eta = local_date(_when(eta_at)).isoformat()
            observed[("parts_overdue", PART_TABLE, line_id, f"eta:{eta}")] = (
                f"{open_ros[ro_id]} #{line_number} {description}: expected {eta}, still {_words(status)}."
            )

    for line_id, ro_id, line_number, description, since_at in reads["backorder_aged"]:
        if ro_id in open_ros:
            since = local_date(_when(since_at)).isoformat()
            observed[("backorder_aged", PART_TABLE, line_id, "backordered")] = (
                f"{open_ros[ro_id]} #{line_number} {description}: backordered since {since}."
            )

    for line_id, line_number, description, status, number, ro_status in reads["received_not_installed"]:
        observed[("received_not_installed", PART_TABLE, line_id, "received")] = (
            f"{number} #{line_number} {description}: {_words(status)}, not installed, "
            f"and the RO is {_words(ro_status)}."
        )

    for ro_id, number, delivered_at, status_changed in reads["delivered_not_invoiced"]:
        delivered = _when(delivered_at) or _when(status_changed)
        when = f" on {local_date(delivered).isoformat()}" if delivered else ""
        observed[("delivered_not_invoiced", RO_TABLE, ro_id, "delivered")] = (
            f"{number} was delivered{when} and is not invoiced."
        )

    for po_id, po_number, vendor, since_at in reads["po_awaiting_approval"]:
        since = _when(since_at).astimezone(zone)
        observed[("po_awaiting_approval", PO_TABLE, po_id, "pending_approval")] = (
            f"{po_number} ({vendor}) has waited for approval since {since:%Y-%m-%d %H:%M}."
        )

    for reservation_id, number, driver, due_at in reads["loaner_overdue"]:
        due = _when(due_at).astimezone(zone)
        observed[("loaner_overdue", RESERVATION_TABLE, reservation_id, "overdue")] = (
            f"{number} ({driver}) was due back {due:%Y-%m-%d %H:%M}."
        )
    return observed


# --- flags ----------------------------------------------------------------------------------------------------------


def _upsert(rows: list[dict[str, Any]]) -> None:
    """Insert new flags; a row for the same condition that was cleared re-opens (a fresh episode)."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(WatchFlag.__table__)
    reopened = WatchFlag.__table__.c.cleared_at.is_not(None)
    statement = statement.on_conflict_do_update(
        index_elements=["shop_id", "kind", "subject_table", "subject_id", "condition"],
        set_={
            "message": statement.excluded.message,
            "last_seen_at": statement.excluded.last_seen_at,
            "first_flagged_at": sa.case(
                (reopened, statement.excluded.first_flagged_at), else_=WatchFlag.__table__.c.first_flagged_at
            ),
            "notified_at": sa.case((reopened, None), else_=WatchFlag.__table__.c.notified_at),
            "cleared_at": None,
            "updated_at": statement.excluded.updated_at,
        },
    )
    db.session.execute(statement, rows)


def _reconcile_flags(shop_id: int, observed: dict[Key, str], *, now: datetime) -> Counter[str]:
    table = WatchFlag.__table__
    wf = table.c
    kinds = tuple(KINDS)
    # (kind, subject_table, subject_id, condition) -> (id, message) of every open flag.
    current = {
        (kind, subject_table, subject_id, condition): (flag_id, message)
        for flag_id, kind, subject_table, subject_id, condition, message in _fetch(
            sa.select(wf.id, wf.kind, wf.subject_table, wf.subject_id, wf.condition, wf.message).where(
                wf.shop_id == shop_id, wf.cleared_at.is_(None), wf.kind.in_(kinds)
            )
        )
    }
    counts: Counter[str] = Counter()

    gone = [(key[0], flag_id) for key, (flag_id, _message) in current.items() if key not in observed]
    if gone:
        db.session.execute(
            sa.update(table).where(wf.id == sa.bindparam("b_id")).values(cleared_at=now, updated_at=now),
            [{"b_id": flag_id} for _kind, flag_id in gone],
        )
        for kind, _flag_id in gone:
            counts[f"{kind}_cleared"] += 1

    fresh = [
        {
            "shop_id": shop_id,
            "kind": key[0],
            "subject_table": key[1],
            "subject_id": key[2],
            "condition": key[3],
            "message": message[:500],
            "first_flagged_at": now,
            "last_seen_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for key, message in observed.items()
        if key not in current
    ]
    if fresh:
        _upsert(fresh)
        for row in fresh:
            counts[f"{row['kind']}_new"] += 1

    reworded = []
    for key, message in observed.items():
        known = current.get(key)
        if known is not None and known[1] != message[:500]:
            reworded.append({"b_id": known[0], "message": message[:500]})
    if reworded:
        db.session.execute(
            sa.update(table)
            .where(wf.id == sa.bindparam("b_id"))
            .values(message=sa.bindparam("message"), updated_at=now),
            reworded,
        )
    # Everything still seen (and the rows just re-opened) was seen now.
    db.session.execute(
        sa.update(table)
        .where(wf.shop_id == shop_id, wf.cleared_at.is_(None), wf.kind.in_(kinds), wf.last_seen_at < now)
        .values(last_seen_at=now, updated_at=now)
    )
    for key in observed:
        counts[f"{key[0]}_open"] += 1
    return counts


# --- reading flags (watch-list pages, digest) -----------------------------------------------------------------------


def ro_subject() -> Any:
    """Join condition from a flag to the RO it is about (flags about other records join nothing)."""
    return sa.and_(WatchFlag.subject_table == RO_TABLE, RepairOrder.id == WatchFlag.subject_id)


def open_flag_counts(shop_id: int) -> dict[str, int]:
    """Open flags per kind for ``shop_id`` (every kind present, 0 when none)."""
    rows = db.session.execute(
        sa.select(WatchFlag.kind, sa.func.count())
        .where(WatchFlag.shop_id == shop_id, WatchFlag.cleared_at.is_(None))
        .group_by(WatchFlag.kind)
    ).all()
    found = dict(rows)
    return {code: int(found.get(code, 0)) for code in KINDS}


def open_flags(shop_id: int, kind: str, *, limit: int | None = None) -> list[WatchFlag]:
    """The open flags of one kind, longest-flagged first."""
    query = (
        sa.select(WatchFlag)
        .where(WatchFlag.shop_id == shop_id, WatchFlag.kind == kind, WatchFlag.cleared_at.is_(None))
        .order_by(WatchFlag.first_flagged_at, WatchFlag.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


# --- the daily digest -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str


def send_digests(*, now: datetime) -> dict[str, int]:
    """Email each shop's managers and owners their watch-list digest, once per shop per local day after 07:00."""
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for shop in _active_shops():
        zone = _zone(shop.timezone)
        local = now.astimezone(zone)
        if local.time() < DIGEST_HOUR:
            counts["too_early"] += 1
            continue
        if (shop.settings or {}).get(DIGEST_KEY) == local.date().isoformat():
            counts["already_sent"] += 1
            continue
        try:
            counts.update(_digest_for_shop(shop.id, shop.name, local.date(), now=now))
        except Exception as error:
            db.session.rollback()
            log.exception("Daily digest of shop #%s failed", shop.id)
            failures.append(f"shop #{shop.id}: {error}")
    if failures:
        raise RuntimeError(f"Daily digest failed for {len(failures)} shop(s): " + "; ".join(failures))
    return dict(counts)


def _digest_for_shop(shop_id: int, shop_name: str, day: date, *, now: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    claim = _claim_digest_day(shop_id, day, now=now)
    if claim is None:
        counts["already_sent"] += 1
        return counts
    previous, flags, new_ids, recipients = claim
    if not flags:
        counts["empty"] += 1
        return counts
    if not recipients:
        counts["no_recipients"] += 1
        return counts
    digest = build_digest(shop_name, day, flags, new_ids, now=now)
    from collisionos.services.messaging.channels import send_email  # written alongside; imported when used

    delivered = 0
    for address in recipients:
        try:
            send_email(address, digest.subject, digest.text, digest.html)
            delivered += 1
        except Exception:  # one bad address must not stop the others
            log.exception("Daily digest of shop #%s to %s failed", shop_id, address)
            counts["failed"] += 1
    counts["sent"] += delivered
    if delivered:
        counts["shops_notified"] += 1
    else:
        _release_digest_day(shop_id, previous, new_ids)
    return counts


def _claim_digest_day(
    shop_id: int, day: date, *, now: datetime
) -> tuple[str | None, list[Any], set[int], list[str]] | None:
    """Under the write lock: mark today's digest as taken, read the open flags and mark the new ones notified.

    Returns None when another run took the day first.
    """
    begin_write()
    try:
        settings = db.session.scalar(sa.select(Shop.settings).where(Shop.id == shop_id).with_for_update()) or {}
        if settings.get(DIGEST_KEY) == day.isoformat():
            db.session.rollback()
            return None
        previous = settings.get(DIGEST_KEY)
        db.session.execute(
            sa.update(Shop.__table__)
            .where(Shop.__table__.c.id == shop_id)
            .values(settings={**settings, DIGEST_KEY: day.isoformat()})
        )
        wf = WatchFlag
        flags = db.session.execute(
            sa.select(
                wf.id,
                wf.kind,
                wf.subject_table,
                wf.subject_id,
                wf.message,
                wf.first_flagged_at,
                wf.notified_at,
                RepairOrder.overdue_by,
            )
            .outerjoin(RepairOrder, ro_subject())
            .where(wf.shop_id == shop_id, wf.cleared_at.is_(None), wf.kind.in_(tuple(KINDS)))
            .order_by(wf.first_flagged_at, wf.id)
        ).all()
        new_ids = {flag.id for flag in flags if flag.notified_at is None}
        if new_ids:
            _set_notified(new_ids, now)
        recipients = list(
            db.session.scalars(
                sa.select(User.email)
                .where(User.shop_id == shop_id, User.role.in_(DIGEST_ROLES), User.is_active.is_(True))
                .order_by(User.id)
            )
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return previous, flags, new_ids, [address for address in recipients if address]


def _set_notified(ids: Iterable[int], value: datetime | None) -> None:
    table = WatchFlag.__table__
    db.session.execute(
        sa.update(table).where(table.c.id == sa.bindparam("b_id")).values(notified_at=value),
        [{"b_id": flag_id} for flag_id in ids],
    )


def _release_digest_day(shop_id: int, previous: str | None, new_ids: set[int]) -> None:
    """Nobody got the digest: give the day back so that the next run tries again."""
    begin_write()
    try:
        settings = db.session.scalar(sa.select(Shop.settings).where(Shop.id == shop_id).with_for_update()) or {}
        restored = {key: value for key, value in settings.items() if key != DIGEST_KEY}
        if previous is not None:
            restored[DIGEST_KEY] = previous
        db.session.execute(sa.update(Shop.__table__).where(Shop.__table__.c.id == shop_id).values(settings=restored))
        if new_ids:
            _set_notified(new_ids, None)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def build_digest(shop_name: str, day: date, flags: list[Any], new_ids: set[int], *, now: datetime) -> Digest:
    """The digest's subject, plain text and HTML: per kind the count, what is new, and the oldest items."""
    from markupsafe import escape

    by_kind: dict[str, list[Any]] = defaultdict(list)
    for flag in flags:
        by_kind[flag.kind].append(flag)
    total, new_total = len(flags), len(new_ids)
    subject = f"{shop_name}: {total} watch-list item{'s' if total != 1 else ''} ({new_total} new), {day:%a %d %b %Y}"
    text = [
        f"Watch-lists for {shop_name} on {day:%A %d %B %Y}: {total} open, {new_total} new since the last digest.",
        "",
    ]
    html = [
        f"<p>Watch-lists for <strong>{escape(shop_name)}</strong> on {day:%A %d %B %Y}: {total} open, "
        f"{new_total} new since the last digest.</p>"
    ]
    for code, kind in KINDS.items():
        items = by_kind.get(code, [])
        if not items:
            continue
        fresh = [flag for flag in items if flag.id in new_ids]
        text.append(f"{kind.title}: {len(items)} open, {len(fresh)} new")
        html.append(f"<h3>{escape(kind.title)}: {len(items)} open, {len(fresh)} new</h3><ul>")
        # New items first, then the longest-flagged.
        shown = (fresh + [flag for flag in items if flag.id not in new_ids])[:DIGEST_TOP_ITEMS]
        for flag in shown:
            age = _flagged_for(now - _when(flag.first_flagged_at))
            mark = "NEW " if flag.id in new_ids else ""
            late = f" ({_days(flag.overdue_by)} overdue)" if flag.overdue_by else ""
            text.append(f"  - {mark}{flag.message}{late} (flagged {age} ago)")
            html.append(
                f"<li>{'<strong>new</strong> ' if mark else ''}{escape(flag.message or '')}{late} "
                f"<small>(flagged {age} ago)</small></li>"
            )
        if len(items) > len(shown):
            text.append(f"  ... and {len(items) - len(shown)} more")
            html.append(f"<li>... and {len(items) - len(shown)} more</li>")
        html.append("</ul>")
        text.append("")
    text.append("The full lists are in CollisionOS under Repair Orders > Watch-lists.")
    html.append("<p>The full lists are in CollisionOS under Repair Orders &gt; Watch-lists.</p>")
    return Digest(subject=subject, text="\n".join(text), html="\n".join(html))


def _flagged_for(age: timedelta) -> str:
    if age.days:
        return _days(age.days)
    hours = int(age.total_seconds() // 3600)
    return f"{hours} h" if hours else f"{max(1, int(age.total_seconds() // 60))} min"
