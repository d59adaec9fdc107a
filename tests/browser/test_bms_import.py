"""An estimator uploads estimate files in the admin: the job is set up, the supplement shows its changes,
the bad file says why."""

from __future__ import annotations

import pytest

from collisionos.extensions import db
from collisionos.services.seed.defaults import seed_stages
from tests import factories
from tests.bms_files import SHARED
from tests.conftest import DEMO_PASSWORD
from tests.workflow import NOW

pytestmark = pytest.mark.browser


def test_upload_estimates_then_the_supplement(app, page):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = factories.ShopFactory(name="Maple Collision Centre")
        seed_stages(shop, NOW)
        estimator = factories.UserFactory(shop=shop, role="estimator", password_plain=DEMO_PASSWORD)
        db.session.commit()
        email = estimator.email
        db.session.remove()

    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    page.goto("/admin/bms_imports/")
    page.click("text=Upload BMS files")
    page.wait_for_url("**/admin/bms_imports/upload/")
    page.set_input_files("input[name=files]", [str(SHARED / "example_front_end_v0.xml"), str(SHARED / "bad_xxe.xml")])
    page.click("button:has-text('Import')")
    body = page.inner_text("body")
    assert "2 files: 1 imported, 1 failed" in body
    assert "bad_xxe.xml: the file declares a DTD or entities" in body
    assert "root:" not in body
    assert "2,164.85" in body and "1,664.85" in body and "ZZ-2026-0417-01" in body

    # The RO is ready for the parts workflow: its three parts are lines to source.
    page.click("table.bms-results a[href*='/admin/repair_orders/details/']")
    page.wait_for_url("**/admin/repair_orders/details/**")
    ro_page = page.inner_text("body")
    assert "71101-TBA-A00" in ro_page or "Bumper Cover" in ro_page
    assert "Estimate pending" in ro_page or "estimate pending" in ro_page.lower()

    page.goto("/admin/bms_imports/upload/")
    page.set_input_files("input[name=files]", str(SHARED / "example_front_end_v1_supplement.xml"))
    page.click("button:has-text('Import')")
    assert "1 file: 1 updated" in page.inner_text("body")
    page.click("table.bms-results a:has-text('example_front_end_v1_supplement.xml')")
    page.wait_for_url("**/admin/bms_imports/details/**")
    details = page.inner_text("body")
    assert "R Fender" in details and "Bumper Reinforcement" in details
    assert "Paint/Materials" in details and "250.80" in details and "296.40" in details
    assert "2,612.71" in details
