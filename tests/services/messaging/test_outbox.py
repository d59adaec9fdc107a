"""The "outbox" SMS provider: texts wait for staff and are never reported as sent until staff mark them; the
Outbox page says so plainly; "Customer replied STOP" records the opt-out (§5.11)."""

from __future__ import annotations

import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import CommunicationLog, ContactTimeline, Customer
from collisionos.services.messaging.dispatcher import dispatch_due
from collisionos.services.messaging.inbound import is_stop, record_stop_reply
from collisionos.services.messaging.outbox import mark_outbox_sent
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login
from tests.services.messaging.conftest import NOON, due_row, fresh, logs_for, make_template


def test_a_queued_text_is_not_sent_and_is_not_picked_again(app_ctx, shop, customer, ro, template) -> None:
    row = due_row(customer, ro=ro, template=template, automation_trigger_id="box-1")

    assert dispatch_due(now=NOON)["queued"] == 1
    assert dispatch_due(now=NOON)["claimed"] == 0

    (entry,) = logs_for(row.id)
    current = fresh(ContactTimeline, row.id)
    assert entry.status == "queued" and entry.sent_at is None and entry.delivery_attempts == 0
    assert entry.external_message_id == f"outbox:{row.id}" == current.external_system_id
    assert entry.recipient_phone == "416-555-0142" and entry.cost == 0
    assert current.status == "pending" and current.communication_log_id == entry.id
    assert "NOT sent yet" in current.notes


def test_staff_mark_it_sent(app_ctx, shop, customer, ro, template, owner) -> None:
    row = due_row(customer, ro=ro, template=template, automation_trigger_id="box-2")
    dispatch_due(now=NOON)
    (entry,) = logs_for(row.id)

    mark_outbox_sent(shop.id, entry.id, actor=owner, now=NOON)

    entry = fresh(CommunicationLog, entry.id)
    assert (entry.status, entry.sent_at, entry.sender_id, entry.delivery_attempts) == ("sent", NOON, owner.id, 1)
    current = fresh(ContactTimeline, row.id)
    assert current.status == "sent" and "sent by hand by" in current.notes


def test_a_stop_reply_records_the_opt_out_and_takes_waiting_texts_out(app_ctx, shop, customer, ro, owner) -> None:
    first_template = make_template(shop)
    other_template = make_template(shop, template_code="OTHER_001")
    first = due_row(customer, ro=ro, template=first_template, automation_trigger_id="box-3")
    waiting = due_row(customer, ro=ro, template=other_template, automation_trigger_id="box-4")
    dispatch_due(now=NOON)
    (entry,) = logs_for(first.id)
    (other,) = logs_for(waiting.id)

    record_stop_reply(shop.id, entry.id, actor=owner, now=NOON, reply="Stop")

    assert fresh(Customer, customer.id).sms_opt_in is False
    entry = fresh(CommunicationLog, entry.id)
    assert entry.status == "unsubscribed" and entry.opt_out_received is True and entry.opt_out_timestamp == NOON
    reply = db.session.scalar(sa.select(CommunicationLog).where(CommunicationLog.parent_message_id == entry.id))
    assert (reply.direction, reply.message_content, reply.channel) == ("received", "Stop", "sms")
    inbound = db.session.scalar(sa.select(ContactTimeline).where(ContactTimeline.direction == "incoming"))
    assert inbound.subject == "Replied STOP: opted out of texts"
    assert fresh(ContactTimeline, first.id).customer_response == "Stop"
    assert fresh(CommunicationLog, other.id).status == "blocked"
    assert fresh(ContactTimeline, waiting.id).error_code == "opted_out"
    # The next text is suppressed by the dispatcher, visibly.
    later = due_row(customer, ro=ro, template=first_template)
    dispatch_due(now=NOON)
    assert fresh(ContactTimeline, later.id).notes.endswith("suppressed: opted out of SMS")


def test_a_text_for_a_customer_who_opted_out_meanwhile_is_not_marked_sent(
    app_ctx, shop, customer, ro, template, owner
) -> None:
    row = due_row(customer, ro=ro, template=template, automation_trigger_id="box-5")
    dispatch_due(now=NOON)
    customer.sms_opt_in = False
    db.session.commit()
    (entry,) = logs_for(row.id)

    result = mark_outbox_sent(shop.id, entry.id, actor=owner, now=NOON)

    assert result.status == "blocked" and result.sent_at is None
    assert fresh(ContactTimeline, row.id).status == "failed"


def test_stop_keywords() -> None:
    assert all(is_stop(word) for word in ("STOP", "stop", " Stop. ", "UNSUBSCRIBE", "arrêt"))
    assert not is_stop("Stop by at 5?")


# --- the admin page ---------------------------------------------------------------------------------------
def _queue_one(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = factories.ShopFactory()
        customer = factories.CustomerFactory(shop=shop, first_name="Jane", mobile="416-555-0142", sms_opt_in=True)
        template = make_template(shop)
        row = due_row(customer, template=template, automation_trigger_id="admin-1")
        dispatch_due(now=NOON)
        entry_id = logs_for(row.id)[0].id
        owner = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD).email
        receptionist = factories.UserFactory(shop=shop, role="receptionist", password_plain=DEMO_PASSWORD).email
        ids = (entry_id, row.id, customer.id)
    return (*ids, owner, receptionist)


def test_the_outbox_page_says_plainly_the_texts_are_not_sent_and_marks_them(app) -> None:
    entry_id, row_id, _customer_id, owner, _ = _queue_one(app)
    client = app.test_client()
    login(client, owner)

    page = client.get("/admin/outbox/").get_data(as_text=True)

    assert "These texts have NOT been sent." in page
    assert "1 text waiting." in page
    assert "Hi Jane, your" in page and "416-555-0142" in page
    assert 'data-action="mark_sent"' in page and 'data-action="customer_stop"' in page
    token = extract_csrf(page)
    response = client.post(
        "/admin/outbox/mark_sent/", data={"id": entry_id, "csrf_token": token, "next": "/admin/outbox/"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(CommunicationLog, entry_id).status == "sent"
        assert db.session.get(ContactTimeline, row_id).status == "sent"
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "was sent by hand" in page and "0 texts waiting." in page


def test_customer_replied_stop_from_the_outbox_page(app) -> None:
    entry_id, _row_id, customer_id, owner, _ = _queue_one(app)
    client = app.test_client()
    login(client, owner)
    token = extract_csrf(client.get("/admin/outbox/").get_data(as_text=True))

    client.post("/admin/outbox/customer_stop/", data={"id": entry_id, "csrf_token": token})

    with app.app_context():
        assert db.session.get(Customer, customer_id).sms_opt_in is False
        assert db.session.get(CommunicationLog, entry_id).status == "unsubscribed"


def test_the_front_desk_sends_the_outbox_texts(app) -> None:
    """Receptionists send the texts by hand, so they may mark them sent (communication edit)."""
    entry_id, _row_id, _customer_id, _owner, receptionist = _queue_one(app)
    client = app.test_client()
    login(client, receptionist)
    page = client.get("/admin/outbox/").get_data(as_text=True)
    assert "These texts have NOT been sent." in page and 'data-action="mark_sent"' in page

    client.post("/admin/outbox/mark_sent/", data={"id": entry_id, "csrf_token": extract_csrf(page)})

    with app.app_context():
        assert db.session.get(CommunicationLog, entry_id).status == "sent"


def test_a_role_without_communication_rights_cannot_mark(app) -> None:
    entry_id, *_ = _queue_one(app)
    with app.app_context():
        shop_id = db.session.get(CommunicationLog, entry_id).shop_id
        estimator = factories.UserFactory(shop_id=shop_id, role="estimator", password_plain=DEMO_PASSWORD).email
    client = app.test_client()
    login(client, estimator)
    assert client.get("/admin/outbox/").status_code == 403
    token = extract_csrf(client.get("/admin/repair_orders/").get_data(as_text=True))

    response = client.post("/admin/outbox/mark_sent/", data={"id": entry_id, "csrf_token": token})

    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(CommunicationLog, entry_id).status == "queued"


def test_the_scheduled_messages_page_shows_each_decision(app) -> None:
    with app.app_context():
        shop = factories.ShopFactory()
        customer = factories.CustomerFactory(shop=shop, mobile="416-555-0142", sms_opt_in=False)
        template = make_template(shop)
        due_row(customer, template=template)
        dispatch_due(now=NOON)
        owner = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD).email
    client = app.test_client()
    login(client, owner)

    page = client.get("/admin/message_queue/").get_data(as_text=True)

    assert "suppressed: opted out of SMS" in page
