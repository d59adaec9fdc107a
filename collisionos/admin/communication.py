"""Communication: reusable message templates, the log of every message sent or received, the Outbox of texts
waiting for staff to send by hand, and the queue of scheduled messages with the dispatcher's decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import url_for
from flask_admin.base import BaseView
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.admin.workflow import ActionForm, form_text
from collisionos.domain.messaging import SENDABLE_METHODS
from collisionos.domain.permissions import Action
from collisionos.extensions import db
from collisionos.models import CommunicationLog, CommunicationTemplate, ContactTimeline
from collisionos.tenancy import current_shop_id

CATEGORY = "Communication"


class CommunicationTemplateView(SecureModelView):
    area = "communication"
    column_list = (
        "template_code",
        "template_name",
        "category",
        "preferred_channel",
        "status",
        "language",
        "is_default",
    )
    column_labels = {
        "template_code": "Code",
        "template_name": "Name",
        "preferred_channel": "Channel",
        "is_default": "Default",
    }
    column_formatters = {"category": status_badge, "preferred_channel": status_badge, "status": status_badge}
    column_default_sort = [("template_code", False), ("id", False)]
    column_filters = ("category", "preferred_channel", "status", "language", "is_default", "requires_approval")
    column_searchable_list = ("template_code",)

    def __init__(self) -> None:
        super().__init__(
            CommunicationTemplate, name="Message Templates", endpoint="communication_templates", category=CATEGORY
        )


def _recipient_contact(_view: Any, _context: Any, model: CommunicationLog, _name: str) -> str:
    """The address the message went to: the email, or the phone number for SMS and calls."""
    return model.recipient_email or model.recipient_phone or ""


class CommunicationLogView(SecureModelView):
    area = "communication"
    read_only = True
    simple_list_pager = True
    column_list = (
        "sent_at",
        "channel",
        "direction",
        "recipient_name",
        "recipient_email",
        "subject",
        "status",
        "delivery_status",
        "customer",
    )
    column_labels = {
        "sent_at": "Sent",
        "recipient_name": "Recipient",
        "recipient_email": "Email / phone",
        "delivery_status": "Delivery",
    }
    column_formatters = {
        "recipient_email": _recipient_contact,
        "channel": status_badge,
        "direction": status_badge,
        "status": status_badge,
        "delivery_status": status_badge,
    }
    column_formatters_export = {"recipient_email": _recipient_contact}
    column_sortable_list = ("sent_at", "channel", "direction", "recipient_name", "status", "delivery_status")
    column_default_sort = [("sent_at", True), ("id", True)]
    column_filters = ("channel", "direction", "status", "delivery_status", "is_automated", "sent_at")
    column_searchable_list = ("recipient_email", "recipient_phone")

    def __init__(self) -> None:
        self.column_select_related_list = [CommunicationLog.customer]
        super().__init__(CommunicationLog, name="Message Log", endpoint="communication_log", category=CATEGORY)


def _repair_order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    return model.repair_order.repair_order_number if model.repair_order is not None else ""


def _customer_name(_view: Any, _context: Any, model: Any, _name: str) -> str:
    return model.customer.full_name if model.customer is not None else ""


def _message_text(_view: Any, _context: Any, model: CommunicationLog, _name: str) -> Markup:
    """The whole text, kept on its lines, ready to copy into the shop's phone."""
    return Markup('<div class="outbox-text" style="white-space: pre-wrap; max-width: 36em">{}</div>').format(
        model.message_content or ""
    )


OUTBOX_ACTIONS = (
    ("mark_sent", "Mark sent", "success", None),
    (
        "customer_stop",
        "Customer replied STOP",
        "outline-danger",
        "Record that the customer replied STOP? They will get no more texts.",
    ),
)


def _outbox_buttons(view: OutboxView, _context: Any, model: CommunicationLog, _name: str) -> Markup:
    """ "Mark sent" and "Customer replied STOP" on each waiting text (one CSRF token per page, no query)."""
    if model.status != "queued" or not view.may_run("mark_sent"):
        return Markup("")
    token, back = generate_csrf(), url_for(".index_view")
    forms = []
    for action, label, style, confirm in OUTBOX_ACTIONS:
        check = Markup(' onsubmit="return confirm({});"').format(json.dumps(confirm)) if confirm else Markup("")
        forms.append(
            Markup(
                '<form method="post" action="{}" class="d-inline-block mr-1 mb-1 outbox-action" data-action="{}"{}>'
                '<input type="hidden" name="csrf_token" value="{}"><input type="hidden" name="id" value="{}">'
                '<input type="hidden" name="next" value="{}">'
                '<button type="submit" class="btn btn-sm btn-{}">{}</button></form>'
            ).format(
                url_for(".run_workflow_action", action_name=action), action, check, token, model.id, back, style, label
            )
        )
    return Markup("").join(forms)


class OutboxView(SecureModelView):
    """Texts the "outbox" SMS provider queued: NOT sent until staff send them by hand and mark them."""

    area = "communication"
    read_only = True
    simple_list_pager = True
    list_template = "admin/communication/outbox_list.html"
    column_list = ("created_at", "recipient_name", "recipient_phone", "message_content", "repair_order", "actions")
    column_labels = {
        "created_at": "Waiting since",
        "recipient_name": "Customer",
        "recipient_phone": "Text to",
        "message_content": "Text to send (not sent yet)",
        "repair_order": "RO",
        "actions": "When you have sent it",
    }
    column_formatters = {
        "message_content": _message_text,
        "repair_order": _repair_order_number,
        "actions": _outbox_buttons,
    }
    column_formatters_export = {"repair_order": _repair_order_number}
    column_sortable_list = ("created_at", "recipient_name")
    column_default_sort = [("created_at", False), ("id", False)]
    column_searchable_list = ("recipient_phone",)
    workflow_actions = {
        "mark_sent": ("action_mark_sent", Action.EDIT),
        "customer_stop": ("action_customer_stop", Action.EDIT),
    }

    def __init__(self) -> None:
        self.column_select_related_list = [CommunicationLog.repair_order]
        super().__init__(CommunicationLog, name="Outbox (send by hand)", endpoint="outbox", category=CATEGORY)

    def get_query(self) -> Any:
        from collisionos.services.messaging.outbox import outbox_condition

        return super().get_query().filter(outbox_condition())

    def get_count_query(self) -> Any:
        from collisionos.services.messaging.outbox import outbox_condition

        return super().get_count_query().filter(outbox_condition())

    def get_one(self, id: Any) -> Any:
        """Any of the shop's messages opens here (the list shows only the waiting ones)."""
        try:
            key = int(id)
        except (TypeError, ValueError):
            return super().get_one(id)
        row = self.scope(db.session.query(CommunicationLog)).filter(CommunicationLog.id == key).one_or_none()
        return row if row is not None else super().get_one(id)

    def waiting_count(self) -> int:
        return self.get_count_query().scalar() or 0

    def workflow_warnings(self, model: CommunicationLog) -> list[str]:
        if model.status == "queued":
            return ["This text has NOT been sent. Send it from the shop's phone, then click Mark sent."]
        return []

    def workflow_panel(self, model: CommunicationLog) -> list[ActionForm]:
        if model.status != "queued" or not self._may(Action.EDIT):
            return []
        return [
            ActionForm("mark_sent", "Mark sent", style="success", note="You sent this text from the shop's phone."),
            ActionForm("customer_stop", "Customer replied STOP", style="outline-danger", confirm=OUTBOX_ACTIONS[1][3]),
        ]

    def action_mark_sent(self, row_id: str, form: Mapping[str, str]) -> str:
        from collisionos.services.messaging.outbox import mark_outbox_sent

        entry = mark_outbox_sent(current_shop_id(), row_id, actor=self.actor, now=self.now())
        if entry.status == "blocked":
            return f"Not sent: {entry.recipient_name or 'the customer'} opted out of texts. Removed from the Outbox."
        return f"Recorded: the text to {entry.recipient_name or entry.recipient_phone} was sent by hand."

    def action_customer_stop(self, row_id: str, form: Mapping[str, str]) -> str:
        from collisionos.services.messaging.inbound import record_stop_reply

        reply = form_text(form, "reply", limit=500) or "STOP"
        customer = record_stop_reply(current_shop_id(), row_id, actor=self.actor, now=self.now(), reply=reply)
        return f"{customer.full_name} opted out of texts: no more texts will be sent to them."


def _decision(_view: Any, _context: Any, model: ContactTimeline, _name: str) -> str:
    """The dispatcher's latest decision (the last line of the notes)."""
    return (model.notes or "").strip().splitlines()[-1] if model.notes else ""


class MessageQueueView(SecureModelView):
    """Scheduled texts and emails: what is waiting, deferred, sent or refused, and why (read-only)."""

    area = "communication"
    read_only = True
    simple_list_pager = True
    column_list = (
        "scheduled_at",
        "customer",
        "communication_method",
        "status",
        "subject",
        "notes",
        "error_code",
        "retry_count",
        "repair_order",
    )
    column_labels = {
        "scheduled_at": "Next attempt",
        "communication_method": "Channel",
        "notes": "Latest decision",
        "error_code": "Error",
        "retry_count": "Retries",
        "repair_order": "RO",
    }
    column_formatters = {
        "customer": _customer_name,
        "communication_method": status_badge,
        "status": status_badge,
        "notes": _decision,
        "repair_order": _repair_order_number,
    }
    column_formatters_export = {"customer": _customer_name, "repair_order": _repair_order_number}
    column_sortable_list = ("scheduled_at", "status", "retry_count")
    column_default_sort = [("id", True)]
    column_filters = ("status", "communication_method", "error_code", "scheduled_at", "customer_language")
    column_details_list = (
        "customer",
        "repair_order",
        "template",
        "communication_method",
        "status",
        "scheduled_at",
        "attempted_at",
        "subject",
        "message",
        "customer_language",
        "consent_verified",
        "respected_quiet_hours",
        "error_code",
        "error_message",
        "retry_count",
        "max_retries",
        "external_system_id",
        "automation_trigger_id",
        "notes",
    )

    def __init__(self) -> None:
        self.column_select_related_list = [ContactTimeline.customer, ContactTimeline.repair_order]
        super().__init__(ContactTimeline, name="Scheduled Messages", endpoint="message_queue", category=CATEGORY)

    def get_query(self) -> Any:
        return super().get_query().filter(*self._outgoing())

    def get_count_query(self) -> Any:
        return super().get_count_query().filter(*self._outgoing())

    @staticmethod
    def _outgoing() -> tuple[Any, ...]:
        return (
            ContactTimeline.direction == "outgoing",
            ContactTimeline.communication_method.in_(SENDABLE_METHODS),
        )

    def get_one(self, id: Any) -> Any:
        try:
            key = int(id)
        except (TypeError, ValueError):
            return super().get_one(id)
        row = self.scope(db.session.query(ContactTimeline)).filter(ContactTimeline.id == key).one_or_none()
        return row if row is not None else super().get_one(id)


def views() -> list[BaseView]:
    return [CommunicationTemplateView(), CommunicationLogView(), OutboxView(), MessageQueueView()]
