"""``flask seed defaults``: a shop's production stages, templates, hold reasons, SLA defaults and first owner."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from collisionos.domain.production import STAGES
from collisionos.domain.settings import DEFAULT_SUBSCRIPTION, merged_settings
from collisionos.extensions import db
from collisionos.models import CommunicationTemplate, ProductionStage, Shop, User
from collisionos.models.enums import Role
from collisionos.services.users import create_user, generate_password


@dataclass
class DefaultsReport:
    shop: Shop
    created: dict[str, int] = field(default_factory=dict)
    owner_email: str | None = None
    owner_password: str | None = None  # set only when it was generated now: print it once


# Status-update templates the owner can edit; Jinja placeholders are filled by the messaging jobs.
DEFAULT_TEMPLATES = (
    {
        "template_code": "STATUS_UPDATE_001",
        "template_name": "Repair status update",
        "category": "status_update",
        "channels": ["sms", "email"],
        "job_statuses": ["in_production", "quality_control"],
        "sms_template": "Hi {{ customer.first_name }}, your {{ vehicle.year }} {{ vehicle.make }} is now "
        "{{ status }}. Promised for {{ promised_date }}. - {{ shop.name }}",
        "email_subject": "Update on your {{ vehicle.year }} {{ vehicle.make }} {{ vehicle.model }}",
        "email_template": "Hello {{ customer.first_name }},\n\nYour vehicle ({{ repair_order.number }}) is now "
        "{{ status }}. We still expect it ready on {{ promised_date }}.\n\n{{ shop.name }}",
        "translations": {
            "fr": {
                "sms_template": "Bonjour {{ customer.first_name }}, votre {{ vehicle.make }} est maintenant "
                "{{ status }}. - {{ shop.name }}",
                "email_subject": "Mise à jour : votre {{ vehicle.make }} {{ vehicle.model }}",
            }
        },
    },
    {
        "template_code": "PARTS_ARRIVAL_001",
        "template_name": "Parts have arrived",
        "category": "parts_arrival",
        "channels": ["sms"],
        "job_statuses": [],
        "sms_template": "Good news {{ customer.first_name }}: the parts for your {{ vehicle.make }} arrived and "
        "repairs continue. - {{ shop.name }}",
    },
    {
        "template_code": "DELAY_NOTIFICATION_001",
        "template_name": "Repair delayed",
        "category": "delay_notification",
        "channels": ["sms", "email"],
        "job_statuses": ["parts_hold", "supplement_pending"],
        "sms_template": "Hi {{ customer.first_name }}, your repair is delayed ({{ status }}). We will call you "
        "with a new date. - {{ shop.name }}",
        "email_subject": "Your repair is delayed",
        "email_template": "Hello {{ customer.first_name }},\n\nYour repair ({{ repair_order.number }}) is delayed: "
        "{{ status }}. We will call you with a new date.\n\n{{ shop.name }}",
    },
    {
        "template_code": "PICKUP_READY_001",
        "template_name": "Ready for pickup",
        "category": "pickup_ready",
        "channels": ["sms", "phone"],
        "job_statuses": ["ready_for_delivery"],
        "sms_template": "{{ customer.first_name }}, your {{ vehicle.year }} {{ vehicle.make }} is ready for pickup "
        "at {{ shop.name }}. See you soon!",
        "phone_script": "Call {{ customer.first_name }}: vehicle ready, confirm pickup time and deductible.",
    },
    {
        "template_code": "ESTIMATE_APPROVAL_001",
        "template_name": "Estimate ready for approval",
        "category": "estimate_approval",
        "channels": ["email"],
        "job_statuses": ["estimate_pending"],
        "email_subject": "Your repair estimate is ready",
        "email_template": "Hello {{ customer.first_name }},\n\nYour estimate for the {{ vehicle.year }} "
        "{{ vehicle.make }} is ready. Please call us to approve it.\n\n{{ shop.name }}",
    },
    {
        "template_code": "PAYMENT_REMINDER_001",
        "template_name": "Payment reminder",
        "category": "payment_reminder",
        "channels": ["email", "sms"],
        "job_statuses": ["invoiced"],
        "email_subject": "Invoice for {{ repair_order.number }}",
        "email_template": "Hello {{ customer.first_name }},\n\nA balance remains on {{ repair_order.number }}. "
        "Thank you for settling it at your convenience.\n\n{{ shop.name }}",
        "sms_template": "Reminder from {{ shop.name }}: a balance remains on {{ repair_order.number }}.",
    },
    {
        "template_code": "SATISFACTION_SURVEY_001",
        "template_name": "How did we do?",
        "category": "satisfaction_survey",
        "channels": ["email"],
        "job_statuses": ["delivered"],
        "email_subject": "How did we do, {{ customer.first_name }}?",
        "email_template": "Thank you for choosing {{ shop.name }}. Reply with a score from 1 to 5.",
    },
)


def _first_or_new_shop(now: datetime, shop_id: int | None, shop_name: str | None) -> tuple[Shop, bool]:
    if shop_id is not None:
        shop = db.session.get(Shop, shop_id)
        if shop is None:
            raise LookupError(f"There is no shop with id {shop_id}.")
        return shop, False
    shop = db.session.scalar(sa.select(Shop).order_by(Shop.id).limit(1))
    if shop is not None:
        return shop, False
    shop = Shop(
        name=shop_name or os.environ.get("SHOP_NAME", "My Collision Shop"),
        email=os.environ.get("SHOP_EMAIL", "office@shop.example"),
        phone=os.environ.get("SHOP_PHONE", "905-555-0100"),
        address=os.environ.get("SHOP_ADDRESS", "100 Main St"),
        city=os.environ.get("SHOP_CITY", "Mississauga"),
        state=os.environ.get("SHOP_STATE", "ON"),
        postal_code=os.environ.get("SHOP_POSTAL_CODE", "L5B 1A1"),
        timezone=os.environ.get("SHOP_TIMEZONE", "America/Toronto"),
        created_at=now,
        updated_at=now,
    )
    db.session.add(shop)
    db.session.flush()
    return shop, True


def seed_stages(shop: Shop, now: datetime) -> int:
    """Create the 18 production stages of DOMAIN.md §4 that the shop does not have yet."""
    existing = set(db.session.scalars(sa.select(ProductionStage.stage_code).where(ProductionStage.shop_id == shop.id)))
    dependents: dict[str, list[str]] = {}
    for stage in STAGES:
        for dependency in stage.depends_on:
            dependents.setdefault(dependency.value.upper(), []).append(stage.code)
    created = 0
    for order, stage in enumerate(STAGES, start=1):
        if stage.code in existing:
            continue
        db.session.add(
            ProductionStage(
                shop_id=shop.id,
                stage_name=stage.name,
                customer_visible_name=stage.name,
                stage_code=stage.code,
                stage_type=stage.config_type,
                category=stage.config_category,
                stage_order=order,
                workflow_stage_type=stage.stage_type,
                is_required=not stage.can_skip,
                is_active=True,
                prerequisites=[d.value.upper() for d in stage.depends_on],
                dependent_stages=dependents.get(stage.code, []),
                estimated_duration=int(stage.average_hours * 60),
                max_concurrent_jobs=stage.capacity,
                can_skip=stage.can_skip,
                requires_inspection=stage.requires_inspection,
                allow_rework=True,
                max_rework_attempts=3,
                created_at=now,
                updated_at=now,
            )
        )
        created += 1
    return created


def seed_templates(shop: Shop, now: datetime) -> int:
    """Create the default communication templates the shop does not have yet."""
    existing = set(
        db.session.scalars(
            sa.select(CommunicationTemplate.template_code).where(CommunicationTemplate.shop_id == shop.id)
        )
    )
    created = 0
    for spec in DEFAULT_TEMPLATES:
        if spec["template_code"] in existing:
            continue
        db.session.add(
            CommunicationTemplate(
                shop_id=shop.id,
                status="active",
                is_default=True,
                language="en",
                timezone=shop.timezone,
                preferred_channel="auto",
                created_at=now,
                updated_at=now,
                **spec,
            )
        )
        created += 1
    return created


def seed_defaults(
    *,
    now: datetime,
    shop_id: int | None = None,
    shop_name: str | None = None,
    owner_email: str | None = None,
    owner_password: str | None = None,
) -> DefaultsReport:
    """Give the shop (the first one, created if none) everything a new shop needs; safe to run again."""
    shop, shop_created = _first_or_new_shop(now, shop_id, shop_name)
    report = DefaultsReport(shop=shop, created={"shops": int(shop_created)})
    settings = merged_settings(shop.settings)
    if settings != (shop.settings or {}):
        shop.settings = settings
        report.created["settings"] = 1
    if not shop.subscription:
        shop.subscription = dict(DEFAULT_SUBSCRIPTION)
    report.created["production_stages"] = seed_stages(shop, now)
    report.created["communication_templates"] = seed_templates(shop, now)

    has_owner = db.session.scalar(sa.select(User.id).where(User.shop_id == shop.id, User.role == Role.OWNER).limit(1))
    if has_owner is None:
        email = owner_email or os.environ.get("OWNER_EMAIL") or "owner@shop.example"
        password = owner_password or os.environ.get("OWNER_PASSWORD")
        generated = password is None
        password = password or generate_password()
        create_user(
            actor=None,
            now=now,
            email=email,
            role=Role.OWNER,
            shop_id=shop.id,
            password=password,
            first_name="Shop",
            last_name="Owner",
            commit=False,
        )
        report.owner_email = email
        report.owner_password = password if generated else None
        report.created["users"] = 1
    db.session.commit()
    return report
