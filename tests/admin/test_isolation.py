"""Shop isolation, CSRF, money hidden from technicians, inert stored payloads, and no 500 from bad URLs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collisionos.extensions import db
from collisionos.models import RepairOrder
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login


@pytest.fixture
def two_shops(app):  # type: ignore[no-untyped-def]
    # Built in its own app context, closed before the test's requests (Flask-Login caches the user on g).
    with app.app_context():
        return _build_two_shops()


def _build_two_shops() -> dict:
    mine, theirs = factories.ShopFactory(name="Mine"), factories.ShopFactory(name="Theirs")
    my_ro = factories.RepairOrderFactory(
        vehicle_profile__vehicle__customer__shop=mine,
        vehicle_profile__vehicle__customer__last_name="Smithers",
        approved_total="1234.56",
    )
    their_ro = factories.RepairOrderFactory(
        vehicle_profile__vehicle__customer__shop=theirs,
        vehicle_profile__vehicle__customer__last_name="Smithson",
    )
    manager = factories.UserFactory(shop=mine, role="manager", password_plain=DEMO_PASSWORD)
    technician = factories.UserFactory(shop=mine, role="technician", password_plain=DEMO_PASSWORD)
    owner = factories.UserFactory(shop=mine, role="owner", password_plain=DEMO_PASSWORD)
    data = {
        "mine": my_ro.id,
        "theirs": their_ro.id,
        "their_customer": their_ro.customer_id,
        "their_number": their_ro.repair_order_number,
        "manager": manager.email,
        "technician": technician.email,
        "owner": owner.email,
    }
    return data


def _logged_in(app, email):  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_another_shops_row_in_a_url_is_404(app, two_shops) -> None:
    client = _logged_in(app, two_shops["manager"])
    theirs = two_shops["theirs"]
    for url in (f"/admin/repair_orders/details/?id={theirs}", f"/admin/repair_orders/edit/?id={theirs}"):
        assert client.get(url).status_code == 404, url
    assert client.get("/admin/repair_orders/details/?id=not-a-number").status_code == 404


def test_another_shops_rows_never_appear_in_lists_or_lookups(app, two_shops) -> None:
    client = _logged_in(app, two_shops["manager"])
    page = client.get("/admin/repair_orders/").get_data(as_text=True)
    assert "Smithers" in page and two_shops["their_number"] not in page and "Smithson" not in page
    lookup = client.get("/admin/repair_orders/ajax/lookup/?name=customer&query=Smith")
    assert lookup.status_code == 200
    names = [text for _id, text in lookup.get_json()]
    assert any("Smithers" in n for n in names) and not any("Smithson" in n for n in names)


def test_posting_another_shops_id_changes_nothing(app, two_shops) -> None:
    client = _logged_in(app, two_shops["owner"])  # the owner may delete: only the shop differs
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))
    theirs = two_shops["theirs"]
    assert client.post("/admin/repair_orders/delete/", data={"id": theirs, "csrf_token": token}).status_code == 404
    client.post("/admin/repair_orders/action/", data={"action": "delete", "rowid": [theirs], "csrf_token": token})
    edit = client.post(
        f"/admin/repair_orders/edit/?id={theirs}",
        data={"repair_order_number": "HIJACKED", "csrf_token": token},
    )
    assert edit.status_code == 404
    with app.app_context():
        row = db.session.get(RepairOrder, theirs)
        assert row is not None and row.repair_order_number == two_shops["their_number"]


def test_a_foreign_customer_id_in_a_form_is_refused(app, two_shops) -> None:
    client = _logged_in(app, two_shops["manager"])
    mine = two_shops["mine"]
    form_page = client.get(f"/admin/repair_orders/edit/?id={mine}").get_data(as_text=True)
    token = extract_csrf(form_page)
    client.post(
        f"/admin/repair_orders/edit/?id={mine}",
        data={"csrf_token": token, "customer": two_shops["their_customer"], "repair_order_number": "RO-X"},
    )
    with app.app_context():
        row = db.session.get(RepairOrder, mine)
        assert row.customer_id != two_shops["their_customer"]
        assert row.repair_order_number != "RO-X"


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, two_shops) -> None:
    client = _logged_in(app, two_shops["manager"])
    mine = two_shops["mine"]
    assert client.post("/admin/repair_orders/delete/", data={"id": mine}).status_code == 400
    assert client.post(f"/admin/repair_orders/edit/?id={mine}", data={"repair_order_number": "X"}).status_code == 400
    assert client.post("/logout").status_code == 400
    with app.app_context():
        assert db.session.get(RepairOrder, mine) is not None


def test_technicians_never_see_money(app, two_shops) -> None:
    manager = _logged_in(app, two_shops["manager"])
    technician = _logged_in(app, two_shops["technician"])
    mine = two_shops["mine"]
    assert "1,234.56" in manager.get("/admin/repair_orders/").get_data(as_text=True)
    for url in (
        "/admin/repair_orders/",
        f"/admin/repair_orders/details/?id={mine}",
        f"/admin/repair_orders/edit/?id={mine}",
    ):
        html = technician.get(url).get_data(as_text=True)
        assert "1,234.56" not in html and "1234.56" not in html, url
        assert "Approved total" not in html and 'name="approved_total"' not in html, url


@pytest.mark.parametrize(
    "query",
    [
        "flt0_0=bogus",
        "flt99_99=1",
        "page=-1",
        "page=abc",
        "sort=99",
        "sort=abc",
        "page_size=100000",
        "search=%27%22%3C",
        "flt0_5=not-a-date",
    ],
)
def test_bad_list_parameters_never_give_a_500(app, two_shops, query) -> None:
    client = _logged_in(app, two_shops["manager"])
    response = client.get(f"/admin/repair_orders/?{query}")
    assert response.status_code in (200, 302), (query, response.status_code)


def test_stored_markup_is_shown_as_text(app, session) -> None:
    shop = factories.ShopFactory()
    ro = factories.RepairOrderFactory(
        vehicle_profile__vehicle__customer__shop=shop,
        vehicle_profile__vehicle__customer__first_name="<script>alert(1)</script>",
        vehicle_profile__vehicle__customer__last_name='"><img src=x onerror=alert(2)>',
    )
    email = factories.UserFactory(shop=shop, role="manager", password_plain=DEMO_PASSWORD).email
    ro_id = ro.id
    session.remove()
    client = _logged_in(app, email)
    for url in ("/admin/repair_orders/", f"/admin/repair_orders/details/?id={ro_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url


def test_history_shows_each_change_with_old_and_new_values(app, two_shops) -> None:
    manager = _logged_in(app, two_shops["manager"])
    mine = two_shops["mine"]
    with app.app_context():
        row = db.session.get(RepairOrder, mine)
        row.internal_reference_number = "BODY-7"
        row.approved_total = Decimal("2000.00")
        db.session.commit()
    page = manager.get(f"/admin/repair_orders/details/?id={mine}").get_data(as_text=True)
    assert f"/admin/repair_orders/history/?id={mine}" in page
    history = manager.get(f"/admin/repair_orders/history/?id={mine}").get_data(as_text=True)
    assert "internal reference number" in history and "BODY-7" in history and "2000.00" in history
    technician = _logged_in(app, two_shops["technician"]).get(f"/admin/repair_orders/history/?id={mine}")
    assert technician.status_code == 200
    assert "BODY-7" in technician.get_data(as_text=True) and "2000.00" not in technician.get_data(as_text=True)
    assert manager.get(f"/admin/repair_orders/history/?id={two_shops['theirs']}").status_code == 404


def test_an_edit_with_the_shops_own_records_saves(app, two_shops) -> None:
    client = _logged_in(app, two_shops["manager"])
    mine = two_shops["mine"]
    with app.app_context():
        row = db.session.get(RepairOrder, mine)
        own_customer, own_profile = row.customer_id, row.vehicle_profile_id
    token = extract_csrf(client.get(f"/admin/repair_orders/edit/?id={mine}").get_data(as_text=True))
    response = client.post(
        f"/admin/repair_orders/edit/?id={mine}",
        data={
            "csrf_token": token,
            "customer": own_customer,
            "vehicle_profile": own_profile,
            "repair_order_number": "RO-EDITED",
            "ro_status": "draft",
            "sla_type": "standard",
            "sla_risk_level": "green",
            "internal_reference_number": "BAY-3",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    with app.app_context():
        row = db.session.get(RepairOrder, mine)
        assert (row.repair_order_number, row.internal_reference_number) == ("RO-EDITED", "BAY-3")


def test_a_bulk_action_with_a_malformed_id_is_refused_without_an_error(app, two_shops) -> None:
    client = _logged_in(app, two_shops["owner"])
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))
    response = client.post(
        "/admin/repair_orders/action/",
        data={"action": "delete", "rowid": ["1 OR 1=1", str(two_shops["mine"])], "csrf_token": token},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(RepairOrder, two_shops["mine"]) is not None


def test_a_platform_admin_switches_shop_and_others_cannot(app, two_shops) -> None:
    with app.app_context():
        theirs = db.session.get(RepairOrder, two_shops["theirs"]).shop_id
        admin = factories.UserFactory(shop=None, role="admin", password_plain=DEMO_PASSWORD).email
    platform = _logged_in(app, admin)
    token = extract_csrf(platform.get("/admin/").get_data(as_text=True))
    assert platform.post("/switch-shop", data={"shop_id": theirs, "csrf_token": token}).status_code == 302
    assert two_shops["their_number"] in platform.get("/admin/repair_orders/").get_data(as_text=True)

    manager = _logged_in(app, two_shops["manager"])
    token = extract_csrf(manager.get("/admin/").get_data(as_text=True))
    assert manager.post("/switch-shop", data={"shop_id": theirs, "csrf_token": token}).status_code == 403
    assert two_shops["their_number"] not in manager.get("/admin/repair_orders/").get_data(as_text=True)
    assert platform.post("/switch-shop", data={"shop_id": "x", "csrf_token": token}).status_code in (400, 404)


def test_the_repair_order_form_edits_its_part_lines_inline_without_prices(app, two_shops) -> None:
    with app.app_context():
        ro = db.session.get(RepairOrder, two_shops["mine"])
        factories.PartLineFactory(
            repair_order=ro, line_number=1, part_description="Hood panel", list_price=Decimal("777.77")
        )
    for email in (two_shops["manager"], two_shops["technician"]):
        html = _logged_in(app, email).get(f"/admin/repair_orders/edit/?id={two_shops['mine']}").get_data(as_text=True)
        assert "Hood panel" in html and "777.77" not in html, email


def test_a_shop_name_with_markup_is_inert_in_the_switch_message(app) -> None:
    with app.app_context():
        factories.ShopFactory(name="Plain Shop")
        hostile = factories.ShopFactory(name="<script>alert('x')</script> Body Shop").id
        admin = factories.UserFactory(shop=None, role="admin", password_plain=DEMO_PASSWORD).email
    client = _logged_in(app, admin)
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))
    page = client.post("/switch-shop", data={"shop_id": hostile, "csrf_token": token}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "You are now working in" in html
    assert "<script>alert('x')</script>" not in html and "&lt;script&gt;" in html
