"""Staff find a repair order by the last characters of its VIN, edit it, and see the change in its history."""

from __future__ import annotations

import pytest

from collisionos.extensions import db
from tests import factories
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

VIN = "2HGFC2F52MH512345"


def test_search_vin_suffix_open_edit_and_see_history(app, page):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = factories.ShopFactory(name="Maple Collision Centre")
        customer = factories.CustomerFactory(shop=shop, first_name="Jane", last_name="Smith")
        vehicle = factories.VehicleFactory(customer=customer, vin=VIN, license_plate="EXM4521")
        profile = factories.VehicleProfileFactory(vehicle=vehicle)
        factories.RepairOrderFactory(vehicle_profile=profile, repair_order_number="RO24051")
        factories.RepairOrderFactory(vehicle_profile__vehicle__customer__shop=shop, repair_order_number="RO24052")
        advisor = factories.UserFactory(shop=shop, role="service_advisor", password_plain=DEMO_PASSWORD)
        email, username = advisor.email, advisor.username
        db.session.remove()

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.goto("/admin/repair_orders/")
    page.fill("input[name=q]", VIN[-6:])
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/admin/search/**")
    assert "RO24051" in page.inner_text("body") and "RO24052" not in page.inner_text("body")
    page.click("text=RO24051")
    page.wait_for_url("**/admin/repair_orders/details/**")

    page.click("a.nav-link:has-text('Edit')")
    page.fill("input[name=internal_reference_number]", "BAY-7 blue tag")
    page.click("input[type=submit][value='Save']")
    page.wait_for_url("**/admin/repair_orders/**")
    assert "Record was successfully saved." in page.inner_text("body")

    page.goto(page.url)  # the list; open the RO again through search by plate
    page.fill("input[name=q]", "exm 4521")
    page.press("input[name=q]", "Enter")
    page.click("text=RO24051")
    page.click("a.nav-link:has-text('History')")
    history = page.inner_text("body")
    assert "internal reference number" in history and "BAY-7 blue tag" in history
    assert username in history  # who made the change

    page.click("button:has-text('Log out')")
    page.wait_for_url("**/login")
    page.goto("/admin/repair_orders/")
    assert "/login" in page.url
