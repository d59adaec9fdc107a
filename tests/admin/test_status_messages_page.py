"""Owners map RO statuses to message templates on the Status messages page and preview them on a real RO."""

from __future__ import annotations

import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import CommunicationTemplate
from collisionos.services.seed.defaults import seed_templates
from tests.conftest import extract_csrf, login
from tests.workflow import NOW, open_ro, shop_with_stages, staff


def world(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = shop_with_stages()
        seed_templates(shop, NOW)
        db.session.commit()
        owner, tech, desk = staff(shop, "owner"), staff(shop, "technician"), staff(shop, "receptionist")
        open_ro(shop, owner)
        pickup = db.session.scalar(
            sa.select(CommunicationTemplate.id).where(
                CommunicationTemplate.shop_id == shop.id, CommunicationTemplate.template_code == "PICKUP_READY_001"
            )
        )
        data = {"owner": owner.email, "tech": tech.email, "desk": desk.email, "pickup": pickup}
        db.session.remove()
    return data


def test_owner_maps_a_status_and_previews_it(app):
    data = world(app)
    client = app.test_client()
    login(client, data["owner"])
    page = client.get("/admin/status_messages/").get_data(as_text=True)
    assert 'data-trigger="ready_for_delivery"' in page and "Ready for pickup (PICKUP_READY_001)" in page
    token = extract_csrf(page)
    response = client.post(
        "/admin/status_messages/map/",
        data={"trigger": "in_production", "template_id": data["pickup"], "csrf_token": token},
        follow_redirects=True,
    )
    assert "In production: PICKUP_READY_001." in response.get_data(as_text=True)
    preview = client.get(f"/admin/status_messages/?preview={data['pickup']}").get_data(as_text=True)
    assert "Preview of <strong>Ready for pickup</strong> on RO10001" in preview
    assert "Jane, your 2021 Honda is ready for pickup" in preview


def test_a_role_without_communication_rights_gets_403(app):
    data = world(app)
    client = app.test_client()
    login(client, data["tech"])
    assert client.get("/admin/status_messages/").status_code == 403
    token = extract_csrf(client.get("/admin/repair_orders/").get_data(as_text=True))
    response = client.post(
        "/admin/status_messages/map/", data={"trigger": "paid", "template_id": "", "csrf_token": token}
    )
    assert response.status_code == 403


def test_the_front_desk_sees_the_mapping_but_cannot_change_it(app):
    data = world(app)
    client = app.test_client()
    login(client, data["desk"])
    page = client.get("/admin/status_messages/").get_data(as_text=True)
    assert "Ready for pickup" in page and 'action="/admin/status_messages/map/"' not in page
    token = extract_csrf(page)
    response = client.post(
        "/admin/status_messages/map/", data={"trigger": "paid", "template_id": "", "csrf_token": token}
    )
    assert response.status_code == 403
