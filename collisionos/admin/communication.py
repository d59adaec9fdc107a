"""Communication: reusable message templates and the log of every message sent or received."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import CommunicationLog, CommunicationTemplate

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


def views() -> list[BaseView]:
    return [CommunicationTemplateView(), CommunicationLogView()]
