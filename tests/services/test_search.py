"""Global search: exact and prefix matches on normalised keys, one shop only, what the role may see."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.services.search import search
from tests import factories
from tests.conftest import DEMO_PASSWORD, login

ALL = frozenset({"repair_orders", "customers", "claims", "purchase_orders"})
VIN = "2HGFC2F52MH512345"


@pytest.fixture
def shop_with_ro(session):  # type: ignore[no-untyped-def]
    return build_shop_with_ro()


def build_shop_with_ro() -> dict:
    shop = factories.ShopFactory()
    customer = factories.CustomerFactory(
        shop=shop, first_name="Jane", last_name="O'Brien", phone="(905) 555-0199", email="Jane.OBrien@Example.com"
    )
    vehicle = factories.VehicleFactory(customer=customer, vin=VIN, license_plate="exm 4521")
    profile = factories.VehicleProfileFactory(vehicle=vehicle)
    claim = factories.ClaimFactory(vehicle_profile=profile, claim_number="ZZ-2026-0417-01")
    ro = factories.RepairOrderFactory(vehicle_profile=profile, claim=claim, repair_order_number="RO24051")
    po = factories.PurchaseOrderFactory(repair_order=ro)
    other = factories.ShopFactory()
    other_customer = factories.CustomerFactory(shop=other, last_name="Obrecht", phone="905-555-0199")
    factories.RepairOrderFactory(
        vehicle_profile__vehicle__customer=other_customer,
        vehicle_profile__vehicle__license_plate="EXM4529",
        repair_order_number="RO24052",
    )
    return {"shop": shop.id, "ro": ro.id, "customer": customer.id, "po": po.purchase_order_number}


def labels(results, group: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.label for hit in results.groups.get(group, [])]


@pytest.mark.parametrize(
    "query",
    [
        VIN,
        VIN.lower(),
        VIN[-6:],
        VIN[-8:],
        "EXM4521",
        "exm 4521",
        "ex m-45",
        "RO24051",
        "ro240",
        "ZZ-2026-0417-01",
        "zz20260417",
        "905 555 0199",
        "+1 (905) 555-0199",
        "9055550199",
        "jane.obrien@example.com",
        "O'Brien",
        "obri",
        "Jane O'Brien",
    ],
)
def test_each_way_of_typing_finds_the_repair_order_or_its_customer(session, shop_with_ro, query) -> None:
    results = search(shop_with_ro["shop"], query, ALL)
    found = labels(results, "Repair orders") + [h.label for h in results.groups.get("Customers", [])]
    assert "RO24051" in found or "Jane O'Brien" in found, (query, results.groups)


def test_other_shops_never_show(session, shop_with_ro) -> None:
    for query in ("EXM452", "RO2405", "905-555-0199", "ob"):
        results = search(shop_with_ro["shop"], query, ALL)
        everything = [hit.label for hits in results.groups.values() for hit in hits]
        assert "RO24052" not in everything and not any("Obrecht" in label for label in everything), query


def test_a_vin_fragment_from_the_middle_does_not_match(session, shop_with_ro) -> None:
    assert search(shop_with_ro["shop"], VIN[4:10], ALL).groups.get("Vehicles") is None


def test_purchase_orders_by_number_prefix(session, shop_with_ro) -> None:
    results = search(shop_with_ro["shop"], shop_with_ro["po"][:9], ALL)
    assert labels(results, "Purchase orders") == [shop_with_ro["po"]]


def test_groups_follow_what_the_role_may_see(session, shop_with_ro) -> None:
    results = search(shop_with_ro["shop"], "O'Brien", frozenset({"repair_orders"}))
    assert "Customers" not in results.groups


@pytest.mark.parametrize("query", ["", "a", "%", "*", "_%", "[a-z]*", "' OR 1=1 --"])
def test_short_or_wildcard_queries_find_nothing_and_never_fail(session, shop_with_ro, query) -> None:
    assert search(shop_with_ro["shop"], query, ALL).count == 0


def test_no_leading_wildcard_scan_is_ever_issued(app, session, shop_with_ro) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        statements.append(f"{statement} {parameters}")

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        for query in ("EXM4521", VIN[-6:], "obri", "905 555", "RO2405", "zz2026"):
            search(shop_with_ro["shop"], query, ALL)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert statements
    assert not [s for s in statements if "'%" in s or "('%" in s or "'*" in s]


def test_the_top_bar_search_opens_the_single_match_directly(app) -> None:
    # Data made in its own app context, closed before the requests (Flask-Login caches the user on g).
    with app.app_context():
        data = build_shop_with_ro()
        shop = db.session.get(factories.ShopFactory._meta.model, data["shop"])
        email = factories.UserFactory(shop=shop, role="service_advisor", password_plain=DEMO_PASSWORD).email
    client = app.test_client()
    login(client, email)
    response = client.get("/admin/search/?q=jane.obrien@example.com")  # only the customer matches
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/customers/details/?id={data['customer']}")
    many = client.get("/admin/search/?q=exm4521")  # the RO and its vehicle
    page = many.get_data(as_text=True)
    assert many.status_code == 200 and "RO24051" in page and "EXM4521" in page.upper()
