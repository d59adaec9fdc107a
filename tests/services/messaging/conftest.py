"""A shop in Toronto with a customer, an RO and message templates; helpers to put due rows on the timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import CommunicationLog, CommunicationTemplate, ContactTimeline
from tests import factories

TORONTO = ZoneInfo("America/Toronto")


def toronto(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO).astimezone(UTC)


# Wednesday 4 November 2026, noon in Toronto: inside every window.
NOON = toronto(2026, 11, 4, 12, 0)


def make_template(shop: Any, **kwargs: Any) -> CommunicationTemplate:
    values: dict[str, Any] = dict(
        shop_id=shop.id,
        template_code="STATUS_TEST_001",
        template_name="Status update",
        category="status_update",
        channels=["sms", "email"],
        status="active",
        language="en",
        sms_template="Hi {{ customer.first_name }}, your {{ vehicle.make }} is {{ status }}. - {{ shop.name }}",
        email_subject="Your {{ vehicle.year }} {{ vehicle.make }} {{ vehicle.model }}",
        email_template="Hello {{ customer.first_name }},\n\n{{ repair_order.number }} is {{ status }}.",
        translations={
            "fr": {
                "sms_template": "Bonjour {{ customer.first_name }}, votre {{ vehicle.make }} est {{ status }}.",
            }
        },
    )
    values.update(kwargs)
    template = CommunicationTemplate(**values)
    db.session.add(template)
    db.session.commit()
    return template


def due_row(customer: Any, *, ro: Any = None, template: Any = None, **kwargs: Any) -> ContactTimeline:
    """A pending outgoing text (by default) for ``customer``, due now."""
    values: dict[str, Any] = dict(
        shop_id=customer.shop_id,
        customer_id=customer.id,
        repair_order_id=ro.id if ro is not None else None,
        template_id=template.id if template is not None else None,
        contact_type="outbound",
        communication_method="text",
        direction="outgoing",
        status="pending",
        scheduled_at=None,
        source_channel="system",
    )
    values.update(kwargs)
    row = ContactTimeline(**values)
    db.session.add(row)
    db.session.commit()
    return row


def logs_for(row_id: int) -> list[CommunicationLog]:
    """Every send attempt of a timeline row (attempts carry the row's trigger, or are linked from it)."""
    row = db.session.get(ContactTimeline, row_id)
    query = sa.select(CommunicationLog).order_by(CommunicationLog.id)
    if row.automation_trigger_id:
        query = query.where(CommunicationLog.trigger_event == row.automation_trigger_id)
    else:
        query = query.where(CommunicationLog.id == row.communication_log_id)
    return list(db.session.scalars(query))


def fresh(model: type, row_id: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, row_id)


@pytest.fixture
def customer(shop):  # type: ignore[no-untyped-def]
    return factories.CustomerFactory(
        shop=shop,
        first_name="Jane",
        mobile="416-555-0142",
        email="jane@example.com",
        sms_opt_in=True,
        email_opt_in=True,
        preferred_contact="sms",
        preferred_language="en",
    )


@pytest.fixture
def ro(shop, customer):  # type: ignore[no-untyped-def]
    profile = factories.VehicleProfileFactory(
        vehicle=factories.VehicleFactory(customer=customer, make="Mazda", model="CX-5", year=2022),
        make="Mazda",
        model="CX-5",
        year=2022,
    )
    return factories.RepairOrderFactory(vehicle_profile=profile, ro_status="in_production")


@pytest.fixture
def template(shop):  # type: ignore[no-untyped-def]
    return make_template(shop)
