"""§5.11 through the dispatcher, with an explicit ``now``: quiet hours defer (never drop), opt-outs suppress
visibly, the customer's language is used and stored, caps and cooldowns hold, and queueing is once per trigger."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from collisionos.extensions import db
from collisionos.models import CommunicationLog, ContactTimeline
from collisionos.services.messaging import queue as queue_module
from collisionos.services.messaging.dispatcher import dispatch_due
from collisionos.services.messaging.queue import queue_template_message
from collisionos.services.unit_of_work import use_case
from tests import factories
from tests.services.messaging.conftest import NOON, due_row, fresh, logs_for, make_template, toronto


def log_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CommunicationLog))


# --- quiet hours ------------------------------------------------------------------------------------------
def test_a_text_due_at_2130_is_deferred_to_0800_toronto_and_sent_then(app_ctx, shop, customer, ro, template) -> None:
    row = due_row(customer, ro=ro, template=template, scheduled_at=toronto(2026, 11, 4, 21, 0))
    evening = toronto(2026, 11, 4, 21, 30)

    counts = dispatch_due(now=evening)

    row = fresh(ContactTimeline, row.id)
    assert counts["deferred"] == 1
    assert row.status == "pending" and row.scheduled_at == toronto(2026, 11, 5, 8, 0)
    assert row.notes.endswith("deferred: quiet hours until Thu 08:00")
    assert row.respected_quiet_hours is True
    assert (row.claimed_by, row.claimed_until) == (None, None)
    assert log_count() == 0
    # Still too early at 07:59; at 08:00 it goes.
    assert dispatch_due(now=toronto(2026, 11, 5, 7, 59))["claimed"] == 0
    assert dispatch_due(now=toronto(2026, 11, 5, 8, 0))["queued"] == 1
    assert fresh(ContactTimeline, row.id).external_system_id.startswith("outbox:")


def test_quiet_hours_with_frozen_time_in_the_job_path(app_ctx, shop, customer, ro, template) -> None:
    from collisionos.models.base import utcnow

    row = due_row(customer, ro=ro, template=template)
    with time_machine.travel(toronto(2026, 11, 4, 23, 15), tick=False):
        counts = dispatch_due(now=utcnow())

    assert counts["deferred"] == 1
    assert fresh(ContactTimeline, row.id).scheduled_at == toronto(2026, 11, 5, 8, 0)


def test_email_is_not_held_by_quiet_hours(app_ctx, shop, customer, ro, template, monkeypatch) -> None:
    sent = []
    monkeypatch.setattr(
        "collisionos.services.messaging.channels.send_email", lambda *args, **kwargs: sent.append(args) or "id-1"
    )
    row = due_row(customer, ro=ro, template=template, communication_method="email")

    counts = dispatch_due(now=toronto(2026, 11, 4, 23, 0))

    assert counts["sent"] == 1 and len(sent) == 1
    assert fresh(ContactTimeline, row.id).status == "sent"


def test_a_business_hours_template_waits_for_the_next_working_morning(app_ctx, shop, customer, ro) -> None:
    template = make_template(shop, business_hours_only=True, working_days=[1, 2, 3, 4, 5])
    row = due_row(customer, ro=ro, template=template, communication_method="email")

    dispatch_due(now=toronto(2026, 11, 7, 11, 0))  # Saturday

    row = fresh(ContactTimeline, row.id)
    assert row.scheduled_at == toronto(2026, 11, 9, 8, 0)  # Monday
    assert "outside the template's business hours" in row.notes


# --- consent ----------------------------------------------------------------------------------------------
def test_an_opted_out_customer_is_not_texted_and_the_timeline_says_so(app_ctx, shop, customer, ro, template) -> None:
    customer.sms_opt_in = False
    db.session.commit()
    row = due_row(customer, ro=ro, template=template)

    counts = dispatch_due(now=NOON)

    row = fresh(ContactTimeline, row.id)
    assert counts["suppressed"] == 1
    assert row.status == "failed" and row.error_code == "opted_out"
    assert row.consent_verified is False
    assert row.notes.endswith("suppressed: opted out of SMS")
    assert row.message.startswith("Hi Jane")  # the message it would have been stays visible
    assert log_count() == 0
    assert dispatch_due(now=NOON + timedelta(hours=1))["claimed"] == 0  # final: not retried


def test_email_needs_an_address_and_email_opt_in(app_ctx, shop, customer, ro, template) -> None:
    customer.email_opt_in = False
    db.session.commit()
    row = due_row(customer, ro=ro, template=template, communication_method="email")

    dispatch_due(now=NOON)

    row = fresh(ContactTimeline, row.id)
    assert row.error_code == "opted_out" and row.notes.endswith("suppressed: opted out of email")


def test_marketing_needs_marketing_consent(app_ctx, shop, customer, ro) -> None:
    template = make_template(shop, template_code="PROMO_001", category="marketing")
    row = due_row(customer, ro=ro, template=template)

    dispatch_due(now=NOON)

    assert fresh(ContactTimeline, row.id).error_code == "no_marketing_consent"
    customer.marketing_opt_in = True
    db.session.commit()
    other = due_row(customer, ro=ro, template=template)
    assert dispatch_due(now=NOON)["queued"] == 1
    assert fresh(ContactTimeline, other.id).consent_verified is True


@pytest.mark.parametrize(
    ("changes", "code"),
    [({"status": "inactive"}, "template_inactive"), ({"requires_approval": True}, "not_approved")],
)
def test_an_inactive_or_unapproved_template_is_not_sent(app_ctx, shop, customer, ro, changes, code) -> None:
    template = make_template(shop, **changes)
    row = due_row(customer, ro=ro, template=template)

    dispatch_due(now=NOON)

    assert fresh(ContactTimeline, row.id).error_code == code


def test_an_approved_template_is_sent(app_ctx, shop, customer, ro, owner) -> None:
    template = make_template(shop, requires_approval=True, approved_by=owner.id)
    due_row(customer, ro=ro, template=template)

    assert dispatch_due(now=NOON)["queued"] == 1


# --- language ---------------------------------------------------------------------------------------------
def test_a_french_speaking_customer_gets_the_french_text_and_it_is_stored(
    app_ctx, shop, customer, ro, template
) -> None:
    customer.preferred_language = "fr"
    db.session.commit()
    row = due_row(customer, ro=ro, template=template)

    dispatch_due(now=NOON)

    row = fresh(ContactTimeline, row.id)
    assert row.customer_language == "fr"
    assert row.message == "Bonjour Jane, votre Mazda est en réparation."
    assert logs_for(row.id)[0].message_content == row.message


def test_without_a_translation_the_base_language_is_used_and_stored(app_ctx, shop, customer, ro) -> None:
    customer.preferred_language = "es"
    db.session.commit()
    template = make_template(shop, translations={})
    row = due_row(customer, ro=ro, template=template)

    dispatch_due(now=NOON)

    row = fresh(ContactTimeline, row.id)
    assert row.customer_language == "en" and row.message.startswith("Hi Jane")


# --- frequency --------------------------------------------------------------------------------------------
def test_max_once_per_customer_and_ro(app_ctx, shop, customer, ro) -> None:
    template = make_template(shop, max_frequency="once")
    first = due_row(customer, ro=ro, template=template)
    second = due_row(customer, ro=ro, template=template)
    other_ro = factories.RepairOrderFactory(vehicle_profile=ro.vehicle_profile)
    third = due_row(customer, ro=other_ro, template=template)

    counts = dispatch_due(now=NOON)

    assert counts["queued"] == 2 and counts["suppressed"] == 1
    assert fresh(ContactTimeline, first.id).external_system_id.startswith("outbox:")
    assert fresh(ContactTimeline, second.id).error_code == "max_once"
    assert fresh(ContactTimeline, third.id).external_system_id.startswith("outbox:")  # another RO


def test_daily_cap(app_ctx, shop, customer, ro) -> None:
    template = make_template(shop, max_frequency="daily")
    due_row(customer, ro=ro, template=template)
    dispatch_due(now=NOON)
    later = due_row(customer, ro=ro, template=template, scheduled_at=NOON + timedelta(hours=3))
    next_day = due_row(customer, ro=ro, template=template, scheduled_at=NOON + timedelta(hours=25))

    dispatch_due(now=NOON + timedelta(hours=3))
    dispatch_due(now=NOON + timedelta(hours=25))

    assert fresh(ContactTimeline, later.id).error_code == "max_daily"
    assert fresh(ContactTimeline, next_day.id).external_system_id.startswith("outbox:")


def test_cooldown_defers_and_identical_content_is_dropped(app_ctx, shop, customer, ro) -> None:
    template = make_template(
        shop, cooldown_minutes=30, sms_template="{{ customer.first_name }}: {{ status }}", translations={}
    )
    due_row(customer, ro=ro, template=template)
    dispatch_due(now=NOON)
    same = due_row(customer, ro=ro, template=template)
    ro.ro_status = "quality_control"
    db.session.commit()

    dispatch_due(now=NOON + timedelta(minutes=10))
    assert fresh(ContactTimeline, same.id).status == "pending"  # new content: deferred, not dropped
    row = fresh(ContactTimeline, same.id)
    assert row.scheduled_at == NOON + timedelta(minutes=30)
    assert "deferred: cooldown" in row.notes

    ro.ro_status = "in_production"  # back to what the first message said
    db.session.commit()
    repeat = due_row(customer, ro=ro, template=template)
    dispatch_due(now=NOON + timedelta(minutes=15))
    assert fresh(ContactTimeline, repeat.id).error_code == "duplicate"

    ro.ro_status = "quality_control"
    db.session.commit()
    assert dispatch_due(now=NOON + timedelta(minutes=30))["queued"] == 1
    assert fresh(ContactTimeline, same.id).external_system_id.startswith("outbox:")


# --- queueing ---------------------------------------------------------------------------------------------
def test_queueing_picks_the_channel_and_the_send_time_and_happens_once_per_trigger(
    app_ctx, shop, customer, ro, owner
) -> None:
    template = make_template(shop, delay_minutes=15)
    customer.preferred_contact = "email"
    db.session.commit()

    with use_case(owner):
        row = queue_template_message(
            shop.id,
            customer_id=customer.id,
            repair_order_id=ro.id,
            template_code=template.template_code,
            trigger_id="ro:1:status:in_production:20261104T120000",
            now=NOON,
            actor=owner,
        )
    with use_case(owner):
        again = queue_template_message(
            shop.id,
            customer_id=customer.id,
            repair_order_id=ro.id,
            template_code=template.template_code,
            trigger_id="ro:1:status:in_production:20261104T120000",
            now=NOON,
            actor=owner,
        )

    assert again is None
    row = fresh(ContactTimeline, row.id)
    assert row.communication_method == "email" and row.contact_email == "jane@example.com"
    assert row.scheduled_at == NOON + timedelta(minutes=15)
    assert (row.status, row.direction, row.user_id) == ("pending", "outgoing", owner.id)
    assert dispatch_due(now=NOON)["claimed"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactTimeline)) == 1


def test_a_racing_duplicate_trigger_is_caught_by_the_unique_index(
    app_ctx, shop, customer, ro, template, monkeypatch
) -> None:
    trigger = "ro:1:status:ready_for_delivery:20261104T120000"
    due_row(customer, ro=ro, template=template, automation_trigger_id=trigger)
    checks = iter([False, True])  # the first check misses the other request's row, as in a race
    monkeypatch.setattr(queue_module, "_already_queued", lambda *_args: next(checks))

    with use_case(None):
        row = queue_template_message(
            shop.id,
            customer_id=customer.id,
            repair_order_id=ro.id,
            template_code=template.template_code,
            trigger_id=trigger,
            now=NOON,
        )
        assert row is None
        ro.internal_reference_number = "still in the same transaction"

    assert fresh(type(ro), ro.id).internal_reference_number == "still in the same transaction"


def test_a_call_is_queued_for_staff_with_its_script_and_left_alone_by_the_dispatcher(
    app_ctx, shop, customer, ro
) -> None:
    customer.sms_opt_in = False
    db.session.commit()
    make_template(
        shop,
        template_code="PICKUP_TEST",
        category="pickup_ready",
        channels=["sms", "phone"],
        phone_script="Call {{ customer.first_name }}: the {{ vehicle.make }} is {{ status }}.",
    )

    with use_case(None):
        row = queue_template_message(
            shop.id,
            customer_id=customer.id,
            repair_order_id=ro.id,
            template_code="PICKUP_TEST",
            trigger_id="t",
            now=NOON,
        )

    row = fresh(ContactTimeline, row.id)
    assert row.communication_method == "call"
    assert row.message == "Call Jane: the Mazda is in repair."
    assert row.requires_followup is True and row.followup_date == NOON
    assert dispatch_due(now=NOON)["claimed"] == 0


def test_queueing_refuses_an_ro_of_another_customer(app_ctx, shop, customer, ro, template) -> None:
    from collisionos.domain.errors import ValidationError

    stranger = factories.CustomerFactory(shop=shop)
    with pytest.raises(ValidationError, match="another customer"), use_case(None):
        queue_template_message(
            shop.id,
            customer_id=stranger.id,
            repair_order_id=ro.id,
            template_code=template.template_code,
            trigger_id="x",
            now=NOON,
        )
