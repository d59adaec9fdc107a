"""Replies from customers that staff record by hand (the outbox provider has no inbound channel).

A STOP reply (§5.11) opts the customer out of texts: ``sms_opt_in`` false, the message log ``unsubscribed``
with ``opt_out_received``/``opt_out_timestamp``, an inbound entry on the timeline, and every text still
waiting in the Outbox for that customer taken out (status ``blocked``). Texts queued later are suppressed by
the dispatcher ("suppressed: opted out of SMS").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from collisionos.domain.errors import ValidationError
from collisionos.extensions import db
from collisionos.models import CommunicationLog, ContactTimeline, Customer
from collisionos.services.messaging.outbox import _who, _zone, note, outbox_condition, timeline_row_of
from collisionos.services.unit_of_work import load, use_case

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"})


def is_stop(text: str | None) -> bool:
    """A reply that asks for no more texts (the carriers' keywords, English and French)."""
    return (text or "").strip().upper().rstrip(".!") in STOP_WORDS


def record_stop_reply(shop_id: int, log_id: Any, *, actor: Any, now: datetime, reply: str = "STOP") -> Customer:
    """The customer answered a text with STOP: record the opt-out (and the reply) and stop texting them."""
    with use_case(actor):
        entry = load(CommunicationLog, shop_id, log_id, label="text message")
        if entry.channel != "sms" or entry.direction != "sent":
            raise ValidationError("A STOP reply answers a text we sent; this message is not one.", rule="not_a_text")
        if entry.customer_id is None:
            raise ValidationError("This text has no customer to opt out.", rule="no_customer")
        customer = load(Customer, shop_id, entry.customer_id, label="customer")
        zone = _zone(shop_id)
        who = _who(actor)
        customer.sms_opt_in = False
        entry.status = "unsubscribed"
        entry.opt_out_received = True
        entry.opt_out_timestamp = now
        entry.response_received = True
        entry.replied_at = now
        entry.processed_by = actor.id
        reply_text = (reply or "STOP").strip()[:500]
        db.session.add(
            CommunicationLog(
                shop_id=shop_id,
                customer_id=customer.id,
                repair_order_id=entry.repair_order_id,
                template_id=entry.template_id,
                parent_message_id=entry.id,
                communication_type="inbound",
                channel="sms",
                direction="received",
                recipient_type="customer",
                recipient_name=entry.recipient_name,
                recipient_phone=entry.recipient_phone,
                message_content=reply_text,
                status="unsubscribed",
                delivery_status="delivered",
                delivered_at=now,
                opt_out_received=True,
                opt_out_timestamp=now,
                created_by=actor.id,
                processed_by=actor.id,
                created_at=now,
                updated_at=now,
            )
        )
        row = timeline_row_of(entry)
        if row is not None:
            if row.status == "pending":
                row.status = "sent"  # the customer answered it, so it went out
            row.responded, row.responded_at, row.customer_response = True, now, reply_text
            note(row, f"customer replied {reply_text!r}: opted out of SMS (recorded by {who})", now, zone)
        db.session.add(
            ContactTimeline(
                shop_id=shop_id,
                customer_id=customer.id,
                repair_order_id=entry.repair_order_id,
                user_id=actor.id,
                contact_type="inbound",
                communication_method="text",
                direction="incoming",
                status="completed",
                subject="Replied STOP: opted out of texts",
                message=reply_text,
                contact_name=customer.full_name[:255] or None,
                contact_phone=entry.recipient_phone,
                completed_at=now,
                source_channel="manual",
                notes=f"opt-out recorded by {who}; no more texts will be sent",
                created_at=now,
                updated_at=now,
            )
        )
        _block_waiting_texts(shop_id, customer.id, except_id=entry.id, now=now, zone=zone)
        return customer


def _block_waiting_texts(shop_id: int, customer_id: int, *, except_id: int, now: datetime, zone: Any) -> None:
    waiting = db.session.scalars(
        sa.select(CommunicationLog)
        .where(
            CommunicationLog.shop_id == shop_id,
            CommunicationLog.customer_id == customer_id,
            CommunicationLog.id != except_id,
            outbox_condition(),
        )
        .with_for_update()
    ).all()
    for entry in waiting:
        entry.status = "blocked"
        entry.last_error = "customer opted out of SMS (STOP)"
        row = timeline_row_of(entry)
        if row is not None and row.status == "pending":
            row.status, row.error_code = "failed", "opted_out"
            row.error_message = "suppressed: opted out of SMS"
            note(row, "suppressed: opted out of SMS (STOP reply); taken out of the Outbox", now, zone)
