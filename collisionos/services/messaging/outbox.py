"""The Outbox: texts the "outbox" SMS provider queued for staff to send by hand from the shop's phone.

Nothing in the Outbox has been sent. An entry is a ``communication_log`` row with status ``queued`` and
``external_message_id = "outbox:<timeline row id>"`` (the same mark is on the timeline row's
``external_system_id``); the timeline row stays ``pending`` until staff click "Mark sent".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from collisionos.domain.errors import ValidationError
from collisionos.extensions import db
from collisionos.models import CommunicationLog, CommunicationTemplate, ContactTimeline, Customer
from collisionos.services.unit_of_work import load, use_case

OUTBOX_PREFIX = "outbox:"


def is_outbox_entry(entry: CommunicationLog) -> bool:
    return (entry.external_message_id or "").startswith(OUTBOX_PREFIX)


def outbox_condition() -> sa.ColumnElement[bool]:
    """Outbox entries still waiting for staff."""
    return sa.and_(
        CommunicationLog.status == "queued",
        CommunicationLog.direction == "sent",
        CommunicationLog.external_message_id.startswith(OUTBOX_PREFIX),
    )


def timeline_row_of(entry: CommunicationLog) -> ContactTimeline | None:
    return db.session.scalar(
        sa.select(ContactTimeline)
        .where(ContactTimeline.shop_id == entry.shop_id, ContactTimeline.communication_log_id == entry.id)
        .with_for_update()
        .limit(1)
    )


def note(row: ContactTimeline, text: str, now: datetime, zone: Any) -> None:
    line = f"{now.astimezone(zone):%Y-%m-%d %H:%M} {text}"
    row.notes = f"{row.notes}\n{line}" if row.notes else line


def _zone(shop_id: int) -> Any:
    from zoneinfo import ZoneInfo

    from collisionos.models import Shop

    shop = db.session.get(Shop, shop_id)
    try:
        return ZoneInfo((shop.timezone if shop else None) or "America/Toronto")
    except (KeyError, ValueError):
        return ZoneInfo("America/Toronto")


def _who(actor: Any) -> str:
    return (getattr(actor, "full_name", None) or getattr(actor, "email", None) or "staff").strip()


def mark_outbox_sent(shop_id: int, log_id: Any, *, actor: Any, now: datetime) -> CommunicationLog:
    """Staff sent the text by hand: record it as sent now, by them.

    If the customer opted out of texts after it was queued, it is taken out of the Outbox instead
    (status ``blocked``) and not recorded as sent.
    """
    with use_case(actor):
        entry = load(CommunicationLog, shop_id, log_id, label="outbox text")
        if not is_outbox_entry(entry):
            raise ValidationError("This message is not an Outbox text: only those are sent by hand.", rule="not_outbox")
        if entry.status != "queued":
            raise ValidationError(
                f"The text to {entry.recipient_name or entry.recipient_phone} is already {entry.status}.",
                rule="outbox_done",
            )
        row = timeline_row_of(entry)
        zone = _zone(shop_id)
        customer = db.session.get(Customer, entry.customer_id) if entry.customer_id else None
        if customer is not None and not customer.sms_opt_in:
            entry.status = "blocked"
            entry.last_error = "customer opted out of SMS before it was sent"
            entry.processed_by = actor.id
            if row is not None:
                row.status, row.error_code = "failed", "opted_out"
                row.error_message = "suppressed: opted out of SMS before staff sent it"
                note(row, f"{row.error_message} (taken out of the Outbox by {_who(actor)})", now, zone)
            return entry
        entry.status = "sent"
        entry.sent_at = now
        entry.delivery_attempts = 1
        entry.sender_id = actor.id
        entry.processed_by = actor.id
        if row is not None:
            row.status = "sent"
            row.user_id = row.user_id or actor.id
            note(row, f"sent by hand by {_who(actor)} to {entry.recipient_phone}", now, zone)
        if entry.template_id is not None:
            db.session.execute(
                sa.update(CommunicationTemplate)
                .where(CommunicationTemplate.id == entry.template_id)
                .values(sent_count=CommunicationTemplate.sent_count + 1)
                .execution_options(synchronize_session=False)
            )
        return entry
