"""Queue a templated message on the customer's timeline; the dispatcher sends it when it is due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from collisionos.domain import messaging as rules
from collisionos.domain.errors import DomainError, NotFound, ValidationError
from collisionos.extensions import db
from collisionos.models import CommunicationTemplate, ContactTimeline, Customer, RepairOrder

IMPORTANCE = {
    "payment_reminder": "payment_related",
    "satisfaction_survey": "customer_satisfaction",
    "delay_notification": "business_critical",
    "pickup_ready": "business_critical",
    "emergency_contact": "business_critical",
    "quality_issue": "business_critical",
}


def recipient_of(customer: Customer) -> rules.Recipient:
    """The customer's addresses and consents (a text goes to the mobile, else the phone, §5.11)."""
    return rules.Recipient(
        phone=customer.mobile or customer.phone or None,
        email=customer.email or None,
        sms_opt_in=bool(customer.sms_opt_in),
        email_opt_in=bool(customer.email_opt_in),
        marketing_opt_in=bool(customer.marketing_opt_in),
        preferred_contact=customer.preferred_contact,
    )


def queue_template_message(
    shop_id: int,
    *,
    customer_id: int,
    repair_order_id: int | None,
    template_code: str,
    trigger_id: str | None,
    now: datetime,
    actor: Any = None,
    send_at: datetime | None = None,
) -> ContactTimeline | None:
    """Put a pending outbound message for ``template_code`` on the customer's timeline, inside the caller's
    transaction (the caller's use case commits). None when ``trigger_id`` was already queued: one message per
    trigger, even when two requests race (the unique index on (shop_id, automation_trigger_id) decides).

    The channel follows the customer's preferred contact among the template's channels (§5.11); it is sent at
    ``send_at``, else after the template's ``delay_minutes``. A call is a task for staff: its script is rendered
    now and it is flagged for follow-up (the dispatcher sends texts and emails only).
    """
    template = db.session.scalar(
        sa.select(CommunicationTemplate).where(
            CommunicationTemplate.shop_id == shop_id, CommunicationTemplate.template_code == template_code
        )
    )
    if template is None:
        raise NotFound(f"There is no message template {template_code} in this shop.", rule="not_found")
    customer = _shop_row(Customer, shop_id, customer_id, "customer")
    ro = _shop_row(RepairOrder, shop_id, repair_order_id, "repair order") if repair_order_id else None
    if ro is not None and ro.customer_id != customer.id:
        raise ValidationError(
            f"{ro.repair_order_number} belongs to another customer: the message would go to the wrong person.",
            rule="customer_mismatch",
        )
    trigger = trigger_id[:100] if trigger_id else None
    if trigger and _already_queued(shop_id, trigger):
        return None
    recipient = recipient_of(customer)
    candidates = rules.template_channels(template.category, template.channels, template.preferred_channel)
    channel = rules.choose_channel(candidates, template.category, recipient)
    due = send_at or now + timedelta(minutes=template.delay_minutes or 0)
    row = ContactTimeline(
        shop_id=shop_id,
        customer_id=customer.id,
        repair_order_id=ro.id if ro else None,
        template_id=template.id,
        user_id=getattr(actor, "id", None),
        contact_type="outbound",
        communication_method=rules.METHOD_FOR_CHANNEL[channel],
        direction="outgoing",
        status="pending",
        subject=template.template_name,
        contact_name=customer.full_name[:255] or None,
        contact_phone=(recipient.phone or "")[:20] or None,
        contact_email=recipient.email,
        scheduled_at=due,
        automation_trigger_id=trigger,
        source_channel="system",
        importance=IMPORTANCE.get(template.category, "informational"),
        notes=f"queued: {template.template_name} by {channel}" + (f" ({trigger})" if trigger else ""),
        created_at=now,
        updated_at=now,
    )
    if channel == "phone":
        _prepare_call(row, template, ro or customer)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        if trigger and _already_queued(shop_id, trigger):
            return None
        raise
    return row


def _shop_row(model: type, shop_id: int, row_id: int, label: str) -> Any:
    """The shop's row from the session (the caller's unsaved changes stay as they are), else NotFound."""
    row = db.session.get(model, row_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound(f"No such {label} in this shop.", rule="not_found")
    return row


def _already_queued(shop_id: int, trigger: str) -> bool:
    return (
        db.session.scalar(
            sa.select(ContactTimeline.id)
            .where(ContactTimeline.shop_id == shop_id, ContactTimeline.automation_trigger_id == trigger)
            .limit(1)
        )
        is not None
    )


def _prepare_call(row: ContactTimeline, template: CommunicationTemplate, record: RepairOrder | Customer) -> None:
    """A call is made by staff: give them the script in the customer's language and a follow-up date."""
    from collisionos.services.messaging.templates import context_for, render_template

    row.requires_followup = True
    row.followup_date = row.scheduled_at
    row.followup_reason = f"Call the customer: {template.template_name}"[:500]
    try:
        customer = record.customer if isinstance(record, RepairOrder) else record
        rendered = render_template(template, customer.preferred_language, context_for(record))
    except DomainError as error:
        row.notes = f"{row.notes}\ncall script not rendered: {error}"
        return
    script = rendered.for_channel("phone")
    row.message = script.text or None
    row.customer_language = script.language
