"""Message templates, the log of messages sent or received, and the customer contact timeline."""

from __future__ import annotations

import sqlalchemy as sa

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    date_order_check,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    integer,
    json_column,
    json_dict,
    json_list,
    mapped_column,
    percent,
    string,
    time,
    time_column,
    timestamp,
    user_fk,
)
from collisionos.models.enums import PRIORITIES

TEMPLATE_CATEGORIES = (
    "status_update",
    "parts_arrival",
    "quality_issue",
    "delay_notification",
    "completion_notice",
    "pickup_ready",
    "delivery_reminder",
    "payment_reminder",
    "satisfaction_survey",
    "warranty_notice",
    "appointment_confirmation",
    "estimate_approval",
    "insurance_communication",
    "emergency_contact",
    "marketing",
    "other",
)
TEMPLATE_CHANNELS = ("sms", "email", "phone", "push", "portal", "auto")
TEMPLATE_MAX_FREQUENCIES = ("once", "daily", "weekly", "unlimited")
TEMPLATE_STATUSES = ("draft", "active", "inactive", "archived", "testing")
# JS weekday numbers (0 = Sunday): Monday to Friday.
DEFAULT_WORKING_DAYS = (1, 2, 3, 4, 5)
DEFAULT_RECIPIENT_TYPES = ("customer",)

COMMUNICATION_TYPES = ("outbound", "inbound", "automated", "broadcast")
LOG_CHANNELS = ("sms", "email", "phone", "push", "portal", "in_person", "fax", "mail", "other")
LOG_DIRECTIONS = ("sent", "received")
RECIPIENT_TYPES = ("customer", "insurance", "vendor", "technician", "manager", "admin", "other")
LOG_STATUSES = (
    "draft",
    "queued",
    "sending",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "replied",
    "bounced",
    "failed",
    "unsubscribed",
    "spam",
    "blocked",
)
DELIVERY_STATUSES = ("pending", "delivered", "failed", "unknown")
SENTIMENTS = ("positive", "neutral", "negative", "unknown")

CONTACT_TYPES = ("inbound", "outbound", "system_generated")
CONTACT_METHODS = ("call", "text", "email", "in_person", "portal", "fax", "letter")
CONTACT_DIRECTIONS = ("incoming", "outgoing")
CONTACT_STATUSES = ("pending", "sent", "delivered", "read", "failed", "bounced", "no_answer", "busy", "completed")
CONTACT_IMPORTANCE = ("informational", "business_critical", "customer_satisfaction", "payment_related")


class CommunicationTemplate(Timestamped, ShopOwned, UserStamped, db.Model):
    """A reusable message per channel, with its triggers, send window and frequency rules."""

    __tablename__ = "communication_templates"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "template_code", name="uq_communication_templates_shop_id_template_code"),
        date_order_check("communication_templates", "start_time", "end_time"),
        db.Index("ix_communication_templates_shop_category_status", "shop_id", "category", "status"),
    )

    parent_template_id: Mapped[int | None] = fk("communication_templates", ondelete="SET NULL", nullable=True)
    template_name: Mapped[str] = string(100, nullable=False)
    template_code: Mapped[str] = string(50, nullable=False, index=True)
    category: Mapped[str] = enum_column(
        "communication_templates", "category", TEMPLATE_CATEGORIES, nullable=False, index=True
    )
    channels: Mapped[list | None] = json_list()
    preferred_channel: Mapped[str | None] = enum_column(
        "communication_templates", "preferred_channel", TEMPLATE_CHANNELS, default="auto", index=True
    )
    trigger_events: Mapped[list | None] = json_list()
    job_statuses: Mapped[list | None] = json_list()
    workflow_stages: Mapped[list | None] = json_list()
    custom_triggers: Mapped[dict | None] = json_dict()
    sms_template: Mapped[str | None] = string()
    email_subject: Mapped[str | None] = string(200)
    email_template: Mapped[str | None] = string()
    email_html_template: Mapped[str | None] = string()
    phone_script: Mapped[str | None] = string()
    push_notification_title: Mapped[str | None] = string(100)
    push_notification_body: Mapped[str | None] = string(200)
    portal_message: Mapped[str | None] = string()
    variables: Mapped[list | None] = json_list()
    send_immediately: Mapped[bool] = boolean(True)
    delay_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)
    business_hours_only: Mapped[bool] = boolean(False)
    working_days: Mapped[list | None] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_WORKING_DAYS))
    start_time: Mapped[time | None] = time_column()
    end_time: Mapped[time | None] = time_column()
    # DOMAIN says def=America/New_York but asks for the shop timezone; shops default to America/Toronto.
    timezone: Mapped[str | None] = string(50, default="America/Toronto")
    recipient_types: Mapped[list | None] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_RECIPIENT_TYPES))
    requires_approval: Mapped[bool] = boolean(False, index=True)
    compliance_required: Mapped[bool] = boolean(False)
    legal_review: Mapped[bool] = boolean(False)
    approval_roles: Mapped[list | None] = json_list()
    approved_by: Mapped[int | None] = user_fk()
    approved_at: Mapped[datetime | None] = timestamp()
    max_frequency: Mapped[str | None] = enum_column(
        "communication_templates", "max_frequency", TEMPLATE_MAX_FREQUENCIES, default="unlimited"
    )
    cooldown_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)
    suppress_duplicates: Mapped[bool] = boolean(True)
    status: Mapped[str] = enum_column(
        "communication_templates", "status", TEMPLATE_STATUSES, default="draft", nullable=False, index=True
    )
    language: Mapped[str | None] = string(10, default="en", index=True)
    translations: Mapped[dict | None] = json_dict()
    sent_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    delivered_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    opened_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    clicked_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    response_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    bounce_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    unsubscribe_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    delivery_rate: Mapped[Decimal | None] = percent()
    open_rate: Mapped[Decimal | None] = percent()
    click_rate: Mapped[Decimal | None] = percent()
    response_rate: Mapped[Decimal | None] = percent()
    version: Mapped[str | None] = string(20, default="1.0")
    is_default: Mapped[bool] = boolean(False, index=True)
    ab_test_enabled: Mapped[bool] = boolean(False)
    ab_test_split: Mapped[int] = integer(nullable=False, default=50, ge=0, le=100)

    parent_template = db.relationship(
        "CommunicationTemplate", foreign_keys=[parent_template_id], remote_side="CommunicationTemplate.id"
    )

    def __str__(self) -> str:
        return f"{self.template_name} ({self.template_code})"


class CommunicationLog(Timestamped, ShopOwned, db.Model):
    """One message actually sent or received on one channel, with delivery, engagement and consent data."""

    __tablename__ = "communication_log"
    __table_args__ = (
        db.Index("ix_communication_log_shop_status", "shop_id", "status"),
        db.Index("ix_communication_log_delivery_retry", "status", "delivery_status", "delivery_attempts"),
        db.Index("ix_communication_log_customer_sent", "customer_id", "sent_at"),
        db.Index("ix_communication_log_repair_order_sent", "repair_order_id", "sent_at"),
    )

    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    customer_id: Mapped[int | None] = fk("customers", ondelete="SET NULL", nullable=True)
    template_id: Mapped[int | None] = fk("communication_templates", ondelete="SET NULL", nullable=True)
    workflow_status_id: Mapped[int | None] = fk("workflow_status", ondelete="SET NULL", nullable=True)
    sender_id: Mapped[int | None] = user_fk()
    parent_message_id: Mapped[int | None] = fk("communication_log", ondelete="SET NULL", nullable=True)
    communication_type: Mapped[str] = enum_column(
        "communication_log", "communication_type", COMMUNICATION_TYPES, default="outbound", nullable=False, index=True
    )
    channel: Mapped[str] = enum_column("communication_log", "channel", LOG_CHANNELS, nullable=False, index=True)
    direction: Mapped[str] = enum_column("communication_log", "direction", LOG_DIRECTIONS, nullable=False, index=True)
    recipient_type: Mapped[str] = enum_column(
        "communication_log", "recipient_type", RECIPIENT_TYPES, default="customer", nullable=False
    )
    recipient_name: Mapped[str | None] = string(200)
    recipient_phone: Mapped[str | None] = string(20, index=True)
    recipient_email: Mapped[str | None] = string(255, index=True)
    subject: Mapped[str | None] = string(200)
    message_content: Mapped[str | None] = string()
    message_html: Mapped[str | None] = string()
    status: Mapped[str] = enum_column(
        "communication_log", "status", LOG_STATUSES, default="draft", nullable=False, index=True
    )
    delivery_status: Mapped[str | None] = enum_column(
        "communication_log", "delivery_status", DELIVERY_STATUSES, default="pending"
    )
    delivery_attempts: Mapped[int] = integer(nullable=False, default=0, ge=0)
    max_delivery_attempts: Mapped[int] = integer(nullable=False, default=3, ge=0)
    error_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    last_error: Mapped[str | None] = string()
    scheduled_at: Mapped[datetime | None] = timestamp(index=True)
    sent_at: Mapped[datetime | None] = timestamp(index=True)
    delivered_at: Mapped[datetime | None] = timestamp()
    opened_at: Mapped[datetime | None] = timestamp()
    clicked_at: Mapped[datetime | None] = timestamp()
    replied_at: Mapped[datetime | None] = timestamp()
    last_opened_at: Mapped[datetime | None] = timestamp()
    last_clicked_at: Mapped[datetime | None] = timestamp()
    was_opened: Mapped[bool] = boolean(False)
    was_clicked: Mapped[bool] = boolean(False)
    response_received: Mapped[bool] = boolean(False)
    response_processed: Mapped[bool] = boolean(False)
    open_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    click_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    sentiment: Mapped[str | None] = enum_column("communication_log", "sentiment", SENTIMENTS)
    priority: Mapped[str | None] = enum_column("communication_log", "priority", PRIORITIES, default="normal")
    is_automated: Mapped[bool] = boolean(False, index=True)
    trigger_event: Mapped[str | None] = string(100)
    # An automation rule id kept as a plain integer: there is no rules table to point at.
    automation_rule_id: Mapped[int | None] = integer(index=True)
    campaign_id: Mapped[str | None] = string(50, index=True)
    requires_consent: Mapped[bool] = boolean(False)
    consent_received: Mapped[bool] = boolean(False)
    consent_timestamp: Mapped[datetime | None] = timestamp()
    opt_out_received: Mapped[bool] = boolean(False)
    opt_out_timestamp: Mapped[datetime | None] = timestamp()
    gdpr_compliant: Mapped[bool] = boolean(True)
    requires_follow_up: Mapped[bool] = boolean(False)
    follow_up_completed: Mapped[bool] = boolean(False)
    follow_up_date: Mapped[datetime | None] = timestamp(index=True)
    thread_id: Mapped[str | None] = string(50, index=True)
    external_message_id: Mapped[str | None] = string(100, index=True)
    external_thread_id: Mapped[str | None] = string(100)
    cost: Mapped[Decimal | None] = decimal(8, 4, ge=0)
    # DOMAIN says def=USD; shops default to CAD (§9.8).
    cost_currency: Mapped[str | None] = string(3, default="CAD")
    billing_units: Mapped[int] = integer(nullable=False, default=1, ge=0)
    created_by: Mapped[int | None] = user_fk()
    processed_by: Mapped[int | None] = user_fk()

    job = db.relationship("Job", foreign_keys=[job_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    customer = db.relationship("Customer", foreign_keys=[customer_id])
    template = db.relationship("CommunicationTemplate", foreign_keys=[template_id])
    sender = db.relationship("User", foreign_keys=[sender_id])
    parent_message = db.relationship(
        "CommunicationLog", foreign_keys=[parent_message_id], remote_side="CommunicationLog.id"
    )

    def __str__(self) -> str:
        recipient = self.recipient_name or self.recipient_email or self.recipient_phone or "unknown recipient"
        return f"{self.channel} {self.direction} · {recipient} · {self.status}"


class ContactTimeline(Timestamped, ShopOwned, db.Model):
    """One customer touch-point (call, text, email, visit) with follow-up and consent evidence."""

    __tablename__ = "contact_timeline"
    __table_args__ = (
        db.Index("ix_contact_timeline_customer_created", "customer_id", "created_at"),
        db.Index("ix_contact_timeline_followup", "requires_followup", "followup_date"),
        db.Index("ix_contact_timeline_shop_status_scheduled", "shop_id", "status", "scheduled_at"),
        # One automatic message per trigger (e.g. one status update per RO status change), even under races.
        db.Index("uq_contact_timeline_shop_trigger", "shop_id", "automation_trigger_id", unique=True),
    )

    customer_id: Mapped[int] = fk("customers", ondelete="CASCADE", nullable=False)
    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    user_id: Mapped[int | None] = user_fk()
    template_id: Mapped[int | None] = fk("communication_templates", ondelete="SET NULL", nullable=True)
    # §0.1: outbound entries link to the communication_log row of the message actually sent.
    communication_log_id: Mapped[int | None] = fk("communication_log", ondelete="SET NULL", nullable=True)
    contact_type: Mapped[str] = enum_column(
        "contact_timeline", "contact_type", CONTACT_TYPES, default="outbound", nullable=False
    )
    communication_method: Mapped[str] = enum_column(
        "contact_timeline", "communication_method", CONTACT_METHODS, nullable=False, index=True
    )
    direction: Mapped[str] = enum_column("contact_timeline", "direction", CONTACT_DIRECTIONS, nullable=False)
    status: Mapped[str] = enum_column(
        "contact_timeline", "status", CONTACT_STATUSES, default="pending", nullable=False, index=True
    )
    subject: Mapped[str | None] = string(500)
    message: Mapped[str | None] = string()
    notes: Mapped[str | None] = string()
    customer_response: Mapped[str | None] = string()
    contact_name: Mapped[str | None] = string(255)
    contact_phone: Mapped[str | None] = string(20)
    contact_email: Mapped[str | None] = string(255)
    scheduled_at: Mapped[datetime | None] = timestamp()
    attempted_at: Mapped[datetime | None] = timestamp()
    completed_at: Mapped[datetime | None] = timestamp(index=True)
    duration_seconds: Mapped[int | None] = integer(ge=0)
    requires_followup: Mapped[bool] = boolean(False)
    followup_date: Mapped[datetime | None] = timestamp()
    followup_completed: Mapped[bool] = boolean(False)
    followup_reason: Mapped[str | None] = string(500)
    respected_quiet_hours: Mapped[bool] = boolean(True)
    consent_verified: Mapped[bool] = boolean(True)
    customer_language: Mapped[str | None] = string(10)
    opened: Mapped[bool] = boolean(False)
    clicked: Mapped[bool] = boolean(False)
    responded: Mapped[bool] = boolean(False)
    opened_at: Mapped[datetime | None] = timestamp()
    clicked_at: Mapped[datetime | None] = timestamp()
    responded_at: Mapped[datetime | None] = timestamp()
    campaign_id: Mapped[str | None] = string(100, index=True)
    automation_trigger_id: Mapped[str | None] = string(100)
    # (p) Not in DOMAIN.md: the dispatcher's lease on a due row, so two runners never send it twice.
    claimed_until: Mapped[datetime | None] = timestamp()
    claimed_by: Mapped[str | None] = string(100)
    external_system_id: Mapped[str | None] = string(100)
    external_system_response: Mapped[str | None] = string()
    cost: Mapped[Decimal | None] = decimal(10, 4, ge=0)
    priority: Mapped[str | None] = enum_column("contact_timeline", "priority", PRIORITIES, default="normal")
    importance: Mapped[str | None] = enum_column(
        "contact_timeline", "importance", CONTACT_IMPORTANCE, default="informational"
    )
    error_code: Mapped[str | None] = string(50)
    error_message: Mapped[str | None] = string()
    retry_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    max_retries: Mapped[int] = integer(nullable=False, default=3, ge=0)
    source_channel: Mapped[str | None] = string(100)
    tags: Mapped[list | None] = json_column()
    attachment_count: Mapped[int] = integer(nullable=False, default=0, ge=0)

    customer = db.relationship("Customer", foreign_keys=[customer_id])
    job = db.relationship("Job", foreign_keys=[job_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    user = db.relationship("User", foreign_keys=[user_id])
    template = db.relationship("CommunicationTemplate", foreign_keys=[template_id])
    communication_log = db.relationship("CommunicationLog", foreign_keys=[communication_log_id])

    def __str__(self) -> str:
        parts = [f"{self.communication_method} {self.direction}"]
        if self.contact_name:
            parts.append(self.contact_name)
        elif self.customer is not None:
            parts.append(f"{self.customer.first_name} {self.customer.last_name}")
        when = self.completed_at or self.attempted_at or self.scheduled_at or self.created_at
        if when is not None:
            parts.append(f"{when:%Y-%m-%d}")
        return " · ".join(parts)
