"""The RO page through the browser's eyes (test client): intake, buttons for the moves allowed now, refusals
flashed with nothing changed, holds, payments, and the production board moving a car a step at a time."""

from __future__ import annotations

import re

import pytest

from collisionos.extensions import db
from collisionos.models import ProductionWorkflow, RepairOrder
from tests.conftest import extract_csrf, login
from tests.workflow import add_line, open_ro, shop_with_stages, staff, stages


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = shop_with_stages()
        people = {
            role: staff(shop, role) for role in ("receptionist", "estimator", "manager", "technician", "accountant")
        }
        ro = open_ro(shop, people["manager"])
        add_line(shop, ro, people["manager"], "labor", "65.00", taxable=False)
        data = {role: user.email for role, user in people.items()}
        data.update(ro=ro.id, number=ro.repair_order_number, shop=shop.id, tech_id=people["technician"].id)
        db.session.remove()
        return data


def client_for(app, email):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def post(client, url, data, page="/admin/repair_orders/"):  # type: ignore[no-untyped-def]
    token = extract_csrf(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=True)


def status(app, ro_id):  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(RepairOrder, ro_id).ro_status


def test_intake_form_opens_an_ro_and_shows_it(app, world):
    client = client_for(app, world["receptionist"])
    page = client.get("/admin/repair_orders/intake/")
    assert page.status_code == 200 and "Open a repair order" in page.get_data(as_text=True)
    response = post(
        client,
        "/admin/repair_orders/intake/",
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "phone": "416-555-0101",
            "vin": "1HGCM82633A004352",
            "year": "2003",
            "make": "Honda",
            "model": "Accord",
        },
        page="/admin/repair_orders/intake/",
    )
    body = response.get_data(as_text=True)
    assert "RO10002 opened for Ana Lopez." in body
    assert "Submit estimate" in body  # the draft RO's next move (it has no lines yet: shown but blocked)
    assert "it has no estimate with lines attached" in body


def test_intake_refusal_keeps_what_was_typed(app, world):
    client = client_for(app, world["receptionist"])
    response = post(
        client,
        "/admin/repair_orders/intake/",
        {
            "first_name": "Ana",
            "last_name": "Lopez",
            "phone": "416",
            "vin": "NOT-A-VIN",
            "year": "2003",
            "make": "Honda",
            "model": "Accord",
        },
        page="/admin/repair_orders/intake/",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "VIN" in body and 'value="Lopez"' in body


def test_details_page_offers_only_the_moves_allowed_now(app, world):
    client = client_for(app, world["estimator"])
    body = client.get(f"/admin/repair_orders/details/?id={world['ro']}").get_data(as_text=True)
    assert 'name="target" value="estimate_pending"' in body
    assert 'name="target" value="cancelled"' in body
    assert 'name="target" value="delivered"' not in body
    assert 'name="target" value="estimate_approved"' not in body


def test_a_move_through_the_page_and_a_refusal_flashed(app, world):
    client = client_for(app, world["estimator"])
    url = "/admin/repair_orders/transition/"
    body = post(client, url, {"id": world["ro"], "target": "estimate_pending"}).get_data(as_text=True)
    assert f"{world['number']} is now estimate pending." in body
    body = post(client, url, {"id": world["ro"], "target": "delivered"}).get_data(as_text=True)
    assert f"Cannot move {world['number']} from estimate pending to delivered" in body
    assert status(app, world["ro"]) == "estimate_pending"


def test_a_role_without_edit_cannot_post_actions_and_sees_no_buttons(app, world):
    client = client_for(app, world["accountant"])
    body = client.get(f"/admin/repair_orders/details/?id={world['ro']}").get_data(as_text=True)
    assert 'name="target"' not in body
    token = extract_csrf(client.get("/admin/repair_orders/").get_data(as_text=True))
    response = client.post(
        "/admin/repair_orders/transition/", data={"id": world["ro"], "target": "cancelled", "csrf_token": token}
    )
    assert response.status_code == 403
    assert status(app, world["ro"]) == "draft"


def test_actions_without_the_csrf_token_are_rejected(app, world):
    client = client_for(app, world["manager"])
    response = client.post(
        "/admin/repair_orders/transition/", data={"id": world["ro"], "target": "cancelled", "reason": "x"}
    )
    assert response.status_code == 400
    assert status(app, world["ro"]) == "draft"


def test_another_shops_ro_cannot_be_moved(app, world):
    with app.app_context():
        other = shop_with_stages()
        theirs = open_ro(other, staff(other, "manager")).id
        db.session.remove()
    client = client_for(app, world["manager"])
    body = post(
        client, "/admin/repair_orders/transition/", {"id": theirs, "target": "cancelled", "reason": "x"}
    ).get_data(as_text=True)
    assert "No such repair order in this shop." in body
    assert status(app, theirs) == "draft"


def test_unknown_action_is_404(app, world):
    client = client_for(app, world["manager"])
    token = extract_csrf(client.get("/admin/repair_orders/").get_data(as_text=True))
    assert (
        client.post("/admin/repair_orders/explode/", data={"id": world["ro"], "csrf_token": token}).status_code == 404
    )


def test_bad_numbers_in_a_form_are_a_message_not_a_500(app, world):
    client = client_for(app, world["manager"])
    body = post(
        client,
        "/admin/repair_orders/record_payment/",
        {"id": world["ro"], "amount": "12,3x", "payer": "customer", "method": "cash"},
    ).get_data(as_text=True)
    assert "Amount must be a number" in body
    body = post(
        client,
        "/admin/repair_orders/record_payment/",
        {"id": world["ro"], "amount": "1e400", "payer": "customer", "method": "cash"},
    ).get_data(as_text=True)
    assert "out of range" in body or "must be a number" in body


def test_hold_and_release_from_the_page(app, world):
    client = client_for(app, world["manager"])
    body = post(
        client,
        "/admin/repair_orders/hold/",
        {"id": world["ro"], "reason": "insurance_approval", "note": "adjuster on Friday"},
    ).get_data(as_text=True)
    assert f"{world['number']} is on hold (insurance approval)." in body
    assert "On hold since" in body and "adjuster on Friday" in body
    body = post(client, "/admin/repair_orders/release_hold/", {"id": world["ro"]}).get_data(as_text=True)
    assert "is off hold; 1 hold day(s) in all." in body


def test_technician_sees_no_money_and_cannot_record_a_payment(app, world):
    client = client_for(app, world["technician"])
    body = client.get(f"/admin/repair_orders/details/?id={world['ro']}").get_data(as_text=True)
    assert "Record payment" not in body and "Customer pays" not in body
    body = post(
        client,
        "/admin/repair_orders/record_payment/",
        {"id": world["ro"], "amount": "10", "payer": "customer", "method": "cash"},
    ).get_data(as_text=True)
    assert "Your role does not handle money." in body


def test_board_shows_the_car_and_moves_it_one_step(app, world):
    client = client_for(app, world["technician"])
    board = client.get("/admin/production_board/").get_data(as_text=True)
    assert f'data-ro="{world["number"]}"' not in board  # a draft RO is not on the board yet
    with app.app_context():
        ro = db.session.get(RepairOrder, world["ro"])
        ro.ro_status = "estimate_approved"
        db.session.commit()
        intake_id = stages(world["ro"])["intake"].id
        db.session.remove()
    board = client.get("/admin/production_board/").get_data(as_text=True)
    card = board[board.index(f'data-ro="{world["number"]}"') :]
    assert "Jane Smith" in card[:600] and "Take it" in card[:3000]
    next_url = "/admin/production_board/"
    body = post(
        client,
        "/admin/production/assign/",
        {"id": intake_id, "technician_id": world["tech_id"], "next": next_url},
        page=next_url,
    ).get_data(as_text=True)
    assert "assigned to" in body and 'class="board"' in body
    body = post(client, "/admin/production/start/", {"id": intake_id, "next": next_url}, page=next_url).get_data(
        as_text=True
    )
    assert f"Intake / check-in on {world['number']} started." in body
    body = post(client, "/admin/production/complete/", {"id": intake_id, "next": next_url}, page=next_url).get_data(
        as_text=True
    )
    assert "completed" in body
    with app.app_context():
        assert db.session.get(ProductionWorkflow, intake_id).stage_status == "completed"
    blueprint = re.search(r'data-stage="blueprint".*?data-ro="([^"]+)"', body, re.S)
    assert blueprint and blueprint.group(1) == world["number"]


def test_next_must_be_a_local_path(app, world):
    client = client_for(app, world["manager"])
    token = extract_csrf(client.get("/admin/repair_orders/").get_data(as_text=True))
    response = client.post(
        "/admin/repair_orders/hold/",
        data={"id": world["ro"], "reason": "other", "note": "x", "next": "//evil.example/", "csrf_token": token},
    )
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]
