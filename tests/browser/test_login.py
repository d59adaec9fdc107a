"""A member of staff logs in, sees the home page with the shop's figures, and logs out."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_log_in_see_home_and_log_out(app_ctx, page):  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory(name="Maple Collision Centre")
    user = factories.UserFactory(shop=shop, role="manager", first_name="Marcus", password_plain=DEMO_PASSWORD)
    factories.RepairOrderFactory(vehicle_profile__vehicle__customer__shop=shop, ro_status="in_production")
    factories.RepairOrderFactory(vehicle_profile__vehicle__customer__shop=shop, ro_status="paid")

    page.goto("/")
    assert page.url.endswith("/login?next=%2F")
    page.fill("#email", user.email)
    page.fill("#password", "wrong password!")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text() == "Invalid email or password."

    page.fill("#email", user.email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    assert "Good day, Marcus" in page.inner_text("h1")
    assert "Maple Collision Centre" in page.inner_text("body")
    open_count = page.locator(".stat", has_text="Open repair orders").locator(".n").inner_text()
    assert open_count == "1"  # the paid RO is closed

    page.click("button:has-text('Log out')")
    page.wait_for_url("**/login")
    assert page.get_by_role("alert").inner_text() == "You are logged out."
    page.goto("/")
    assert "/login" in page.url
