"""Watch-list pages (admin/watchlists.py): the current shop's open flags per kind, linked to their records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collisionos.domain import permissions
from collisionos.extensions import db
from collisionos.models import Shop, User
from collisionos.models.enums import Role
from collisionos.services import monitoring
from tests import factories
from tests.conftest import DEMO_PASSWORD, login

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def flagged(app):  # type: ignore[no-untyped-def]
    """A shop with one flag of each kind (and another shop with an RO at risk), after a sweep."""
    now = _now()
    with app.app_context():
        shop = factories.ShopFactory(timezone="UTC")
        other = factories.ShopFactory(timezone="UTC")
        late = factories.repair_order_in(shop, ro_status="in_production", date_created=now - 15 * DAY)
        theirs = factories.repair_order_in(other, ro_status="in_production", date_created=now - 15 * DAY)
        waiting = factories.repair_order_in(shop, ro_status="parts_ordered", date_created=now - DAY)
        part = factories.PartLineFactory(
            repair_order=waiting, part_status="ordered", estimated_delivery_date=now - 2 * DAY, part_description="Hood"
        )
        factories.PartLineFactory(repair_order=waiting, part_status="backordered", backorder_date=now - 9 * DAY)
        delivered = factories.repair_order_in(shop, ro_status="delivered", date_created=now - 20 * DAY)
        in_qc = factories.repair_order_in(shop, ro_status="quality_control", date_created=now - DAY)
        factories.PartLineFactory(repair_order=in_qc, part_status="received", part_description="Clip")
        po = factories.PurchaseOrderFactory(
            repair_order=waiting, po_status="pending_approval", status_change_date=now - 30 * HOUR
        )
        loaner = factories.LoanerReservationFactory(
            loaner_vehicle=factories.LoanerVehicleFactory(shop=shop),
            reservation_status="active",
            requested_start_date=now - 4 * DAY,
            requested_end_date=now - DAY,
        )
        factories.repair_order_in(
            shop, ro_status="supplement_pending", date_created=now - 6 * DAY, status_change_date=now - 5 * DAY
        )
        monitoring.sweep(now=now)
        users = {
            role: factories.UserFactory(shop=shop, role=role, password_plain=DEMO_PASSWORD).email
            for role in ("owner", "receptionist", "technician")
        }
        ids = {
            "late": (late.id, late.repair_order_number),
            "theirs": (theirs.id, theirs.repair_order_number),
            "part": (part.id, None),
            "delivered": (delivered.id, delivered.repair_order_number),
            "po": (po.id, po.purchase_order_number),
            "loaner": (loaner.id, loaner.reservation_number),
        }
    return users, ids


def test_every_watch_list_shows_the_shops_flags_with_a_link_to_the_record(app, client, flagged) -> None:
    users, ids = flagged
    login(client, users["owner"])
    expected = {
        "at_risk": ("repair_orders", ids["late"]),
        "parts_overdue": ("part_lines", ids["part"]),
        "delivered_not_invoiced": ("repair_orders", ids["delivered"]),
        "po_awaiting_approval": ("purchase_orders", ids["po"]),
        "loaner_overdue": ("loaner_reservations", ids["loaner"]),
    }
    for kind, (endpoint, (row_id, label)) in expected.items():
        html = client.get(f"/admin/watchlists/?kind={kind}").get_data(as_text=True)
        assert f'href="/admin/{endpoint}/details/?id={row_id}"' in html, kind
        if label:
            assert label in html, kind
    for kind in monitoring.KINDS:
        html = client.get(f"/admin/watchlists/?kind={kind}").get_data(as_text=True)
        assert "Nothing on this list." not in html, kind  # the fixture flags every kind
    page = client.get("/admin/watchlists/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "At risk" in html and "POs awaiting approval" in html
    assert "critical" in html and "5 days overdue" in html and "Hood" not in html


def test_another_shops_flags_never_show(app, client, flagged) -> None:
    users, ids = flagged
    login(client, users["owner"])
    html = client.get("/admin/watchlists/?kind=at_risk").get_data(as_text=True)
    assert ids["late"][1] in html and ids["theirs"][1] not in html


def test_parts_lists_need_the_parts_area(app, client, flagged) -> None:
    users, ids = flagged
    login(client, users["receptionist"])  # jobs yes, parts no
    html = client.get("/admin/watchlists/").get_data(as_text=True)
    assert "At risk" in html and "Parts overdue" not in html and "POs awaiting approval" not in html
    assert client.get("/admin/watchlists/?kind=parts_overdue").status_code == 404
    assert client.get("/admin/watchlists/?kind=bogus").status_code == 404


def test_a_role_without_jobs_view_gets_403_and_anonymous_is_sent_to_login(app, client, flagged, monkeypatch) -> None:
    users, _ids = flagged
    assert "/login" in client.get("/admin/watchlists/").headers["Location"]
    monkeypatch.setitem(permissions.MATRIX, Role.TECHNICIAN, {"parts": "v"})
    login(client, users["technician"])
    assert client.get("/admin/watchlists/").status_code == 403
    assert client.get("/admin/watchlists/?kind=parts_overdue").status_code == 403


def test_the_page_runs_the_same_few_queries_for_3_or_60_flags(app, client, flagged) -> None:
    users, _ids = flagged
    login(client, users["owner"])
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("q")

    def queries() -> int:
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/admin/watchlists/?kind=at_risk").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    few = queries()
    with app.app_context():
        shop_id = db.session.scalar(sa.select(User.shop_id).where(User.email == users["owner"]))
        shop = db.session.get(Shop, shop_id)
        now = _now()
        for _ in range(60):
            factories.repair_order_in(shop, ro_status="in_production", date_created=now - 20 * DAY)
        monitoring.sweep(now=now)
    many = queries()
    assert many == few and few <= 6
