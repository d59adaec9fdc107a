"""Automatic status updates: when an RO changes status (or its parts arrive, or it is put on hold), the
template the owner mapped to that change is queued for the customer, once per change.

The mapping is each template's ``job_statuses`` list (DOMAIN.md F1): RO statuses, plus two events,
``parts_arrived`` and ``on_hold``. Owners edit it on the Status messages page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from collisionos.domain.errors import NotFound, ValidationError
from collisionos.extensions import db
from collisionos.models import CommunicationTemplate, RepairOrder
from collisionos.models.enums import RepairOrderStatus
from collisionos.services.unit_of_work import load, use_case

# What can trigger a message, in the order the page lists them.
EVENTS = {"parts_arrived": "Parts arrived", "on_hold": "Put on hold (delayed)"}
TRIGGERS: dict[str, str] = {
    **{status.value: status.value.replace("_", " ").capitalize() for status in RepairOrderStatus},
    **EVENTS,
}


def mapped_templates(shop_id: int, trigger: str) -> list[CommunicationTemplate]:
    """The shop's active templates mapped to ``trigger``."""
    templates = db.session.scalars(
        sa.select(CommunicationTemplate)
        .where(CommunicationTemplate.shop_id == shop_id, CommunicationTemplate.status == "active")
        .order_by(CommunicationTemplate.template_code)
    ).all()
    return [template for template in templates if trigger in (template.job_statuses or [])]


def trigger_id(ro: RepairOrder, trigger: str, now: datetime) -> str:
    """One message per change: the RO, what changed and when (to the second)."""
    return f"ro:{ro.id}:{trigger}:{now:%Y%m%dT%H%M%S}"[:100]


def queue_status_messages(ro: RepairOrder, trigger: str, *, actor: Any, now: datetime) -> int:
    """Inside the caller's use case: queue every template mapped to ``trigger`` for the RO's customer."""
    templates = mapped_templates(ro.shop_id, trigger)
    if not templates:
        return 0
    from collisionos.services.messaging.queue import queue_template_message

    queued = 0
    for template in templates:
        row = queue_template_message(
            ro.shop_id,
            customer_id=ro.customer_id,
            repair_order_id=ro.id,
            template_code=template.template_code,
            trigger_id=trigger_id(ro, f"{trigger}:{template.id}", now),
            now=now,
            actor=actor,
        )
        queued += row is not None
    return queued


def map_trigger(shop_id: int, trigger: str, template_id: Any, *, actor: Any, now: datetime) -> list[str]:
    """Map ``trigger`` to one template (or to none): the template gains it, every other template loses it."""
    if trigger not in TRIGGERS:
        raise ValidationError("Choose a status or event from the list.", rule="unknown_trigger")
    with use_case(actor):
        chosen = None
        if template_id not in (None, ""):
            chosen = load(CommunicationTemplate, shop_id, template_id, label="message template")
            if chosen.status != "active":
                raise ValidationError(
                    f"{chosen.template_name} is {chosen.status}: activate it before mapping it.", rule="inactive"
                )
        templates = db.session.scalars(
            sa.select(CommunicationTemplate).where(CommunicationTemplate.shop_id == shop_id).with_for_update()
        ).all()
        for template in templates:
            statuses = [s for s in (template.job_statuses or []) if s != trigger]
            if chosen is not None and template.id == chosen.id:
                statuses.append(trigger)
            if statuses != list(template.job_statuses or []):
                template.job_statuses = statuses
                template.updated_by = actor.id
        return [chosen.template_code] if chosen else []


def preview_record(shop_id: int) -> RepairOrder:
    """The record previews are rendered on: the shop's newest RO."""
    ro = db.session.scalar(
        sa.select(RepairOrder).where(RepairOrder.shop_id == shop_id).order_by(RepairOrder.id.desc()).limit(1)
    )
    if ro is None:
        raise NotFound("Open a repair order first: the preview is rendered on the newest one.", rule="no_ro")
    return ro
