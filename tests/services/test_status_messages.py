"""Automatic status updates (issue 5 point 4): the template mapped to a change is queued once per change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from collisionos.domain.errors import ValidationError
from collisionos.extensions import db
from collisionos.models import CommunicationTemplate, ContactTimeline, RepairOrder
from collisionos.services import repair_orders as ro_service
from collisionos.services import status_messages as svc
from collisionos.services.seed.defaults import seed_templates
from tests.workflow import NOW, add_line, open_ro, reload, shop_with_stages, staff


@pytest.fixture
def shop(app_ctx):  # type: ignore[no-untyped-def]
    shop = shop_with_stages()
    seed_templates(shop, NOW)
    db.session.commit()
    return shop


@pytest.fixture
def manager(shop):  # type: ignore[no-untyped-def]
    return staff(shop, "manager")


def template(shop, code):  # type: ignore[no-untyped-def]
    return db.session.scalar(
        sa.select(CommunicationTemplate).where(
            CommunicationTemplate.shop_id == shop.id, CommunicationTemplate.template_code == code
        )
    )


def queued(ro_id: int) -> list[ContactTimeline]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ContactTimeline)
            .where(ContactTimeline.repair_order_id == ro_id, ContactTimeline.automation_trigger_id.is_not(None))
            .order_by(ContactTimeline.id)
        )
    )


def test_mapping_a_status_moves_it_to_one_template(shop, manager):
    pickup = template(shop, "PICKUP_READY_001")
    status = template(shop, "STATUS_UPDATE_001")
    svc.map_trigger(shop.id, "in_production", pickup.id, actor=manager, now=NOW)
    assert "in_production" in template(shop, "PICKUP_READY_001").job_statuses
    assert "in_production" not in template(shop, "STATUS_UPDATE_001").job_statuses
    assert "quality_control" in template(shop, "STATUS_UPDATE_001").job_statuses  # other statuses stay
    svc.map_trigger(shop.id, "in_production", None, actor=manager, now=NOW)
    assert svc.mapped_templates(shop.id, "in_production") == []
    assert status is not None


@pytest.mark.parametrize(("trigger", "template_code", "rule"), [("teleported", None, "unknown_trigger")])
def test_unknown_triggers_are_refused(shop, manager, trigger, template_code, rule):
    with pytest.raises(ValidationError) as refused:
        svc.map_trigger(shop.id, trigger, template_code, actor=manager, now=NOW)
    assert refused.value.rule == rule


def test_an_inactive_template_cannot_be_mapped(shop, manager):
    draft = template(shop, "PAYMENT_REMINDER_001")
    draft.status = "draft"
    db.session.commit()
    with pytest.raises(ValidationError, match="activate it"):
        svc.map_trigger(shop.id, "invoiced", draft.id, actor=manager, now=NOW)


def test_a_status_change_queues_the_mapped_message_once(shop, manager):
    ro = open_ro(shop, manager)
    add_line(shop, ro, manager, "labor", "100.00", taxable=False)
    ro_service.transition_repair_order(shop.id, ro.id, "estimate_pending", actor=manager, now=NOW)
    rows = queued(ro.id)
    assert [r.template.template_code for r in rows] == ["ESTIMATE_APPROVAL_001"]
    assert rows[0].status == "pending" and rows[0].customer_id == ro.customer_id
    # Back to draft and forward again later: a new change, a new message.
    ro_service.transition_repair_order(shop.id, ro.id, "draft", actor=manager, now=NOW + timedelta(minutes=5))
    ro_service.transition_repair_order(
        shop.id, ro.id, "estimate_pending", actor=manager, now=NOW + timedelta(minutes=9)
    )
    assert len(queued(ro.id)) == 2


def test_the_same_change_twice_queues_one_message(shop, manager):
    ro = open_ro(shop, manager)
    ro = reload(RepairOrder, ro.id)
    first = svc.queue_status_messages(ro, "ready_for_delivery", actor=manager, now=NOW)
    second = svc.queue_status_messages(ro, "ready_for_delivery", actor=manager, now=NOW)
    db.session.commit()
    assert (first, second) == (1, 0)
    assert len(queued(ro.id)) == 1


def test_an_unmapped_status_queues_nothing(shop, manager):
    ro = open_ro(shop, manager)
    ro_service.transition_repair_order(shop.id, ro.id, "cancelled", actor=manager, now=NOW, reason="test")
    assert queued(ro.id) == []


def test_a_hold_queues_the_delay_message_when_mapped(shop, manager):
    svc.map_trigger(shop.id, "on_hold", template(shop, "DELAY_NOTIFICATION_001").id, actor=manager, now=NOW)
    ro = open_ro(shop, manager)
    ro_service.put_on_hold(shop.id, ro.id, reason="parts_delay", note="bumper late", actor=manager, now=NOW)
    assert [r.template.template_code for r in queued(ro.id)] == ["DELAY_NOTIFICATION_001"]
