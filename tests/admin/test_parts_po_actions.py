"""Part line and purchase order actions through the admin (test client): the bulk "Create purchase orders",
the per-record actions, the receive form, refusals that change nothing, and who may act."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from collisionos.extensions import db
from collisionos.models import PartLine, PurchaseOrder, RepairOrder, Shop, User, Vendor
from collisionos.models.base import utcnow
from collisionos.models.enums import PartStatus as P
from collisionos.models.enums import PurchaseOrderStatus as PO
from collisionos.services import purchasing
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login


@dataclass
class ShopData:
    shop_id: int
    ro_id: int
    vendor_id: int
    lines: list[int]
    emails: dict[str, str]
    users: dict[str, int]


@pytest.fixture
def data(app: Flask) -> ShopData:
    with app.app_context():
        shop = factories.ShopFactory()
        users = {
            role: factories.UserFactory(shop=shop, role=role, password_plain=DEMO_PASSWORD)
            for role in ("parts_manager", "manager", "owner", "technician")
        }
        ro = factories.repair_order_in(shop, repair_order_number="RO40001", ro_status="estimate_approved")
        vendor = factories.VendorFactory(shop=shop, name="LKQ", vendor_code=None)
        lines = [
            factories.PartLineFactory(
                repair_order=ro,
                vendor=vendor,
                line_number=n,
                part_description=f"Part {n}",
                quantity_ordered=Decimal(3),
                net_price=Decimal("100.00"),
                sell_price=Decimal("200.00"),
                brand_type="oem",
            ).id
            for n in (1, 2)
        ]
        return ShopData(
            shop_id=shop.id,
            ro_id=ro.id,
            vendor_id=vendor.id,
            lines=lines,
            emails={role: user.email for role, user in users.items()},
            users={role: user.id for role, user in users.items()},
        )


def client_for(app: Flask, data: ShopData, role: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert login(client, data.emails[role]).status_code == 302
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))
    return client, token


def text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def bulk(client: FlaskClient, token: str, ids: list[int], **extra: str) -> Any:
    return client.post(
        "/admin/part_lines/action/",
        data={"action": "create_purchase_orders", "rowid": [str(i) for i in ids], "csrf_token": token, **extra},
        follow_redirects=True,
    )


def statuses(app: Flask, ids: list[int]) -> list[str]:
    with app.app_context():
        return [db.session.get(PartLine, i).part_status for i in ids]


def po_numbers(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(PurchaseOrder.purchase_order_number).order_by(PurchaseOrder.id)))


def user(role: str, data: ShopData) -> Any:
    return db.session.get(User, data.users[role])


# --- the bulk action ------------------------------------------------------------------------------------------
def test_the_bulk_action_creates_one_po_per_vendor_and_flashes_the_numbers(app: Flask, data: ShopData) -> None:
    with app.app_context():
        ro = db.session.get(RepairOrder, data.ro_id)
        other = factories.VendorFactory(shop=ro.shop, name="Keystone", vendor_code="KEY")
        third = factories.PartLineFactory(repair_order=ro, vendor=other, line_number=3, net_price=Decimal("10")).id
    client, token = client_for(app, data, "parts_manager")

    page = text(bulk(client, token, [*data.lines, third]))

    numbers = po_numbers(app)
    assert len(numbers) == 2 and all(re.fullmatch(r"RO40001-\d{4}-(LKQX|KEY)-001", n) for n in numbers)
    assert f"Created 2 purchase orders: {', '.join(numbers)}." in page
    assert statuses(app, [*data.lines, third]) == [P.ORDERED] * 3


def test_the_list_offers_the_action_to_a_parts_manager(app: Flask, data: ShopData) -> None:
    client, _ = client_for(app, data, "parts_manager")
    page = text(client.get("/admin/part_lines/"))
    assert "Create purchase orders" in page and 'name="override_reason"' not in page
    manager, _ = client_for(app, data, "manager")
    assert 'name="override_reason"' in text(manager.get("/admin/part_lines/"))


def test_a_refused_bulk_action_flashes_the_rule_and_changes_nothing(app: Flask, data: ShopData) -> None:
    with app.app_context():
        other_ro = factories.repair_order_in(db.session.get(Shop, data.shop_id), repair_order_number="RO40002")
        foreign = factories.PartLineFactory(repair_order=other_ro, vendor=db.session.get(Vendor, data.vendor_id)).id
    client, token = client_for(app, data, "parts_manager")

    page = text(bulk(client, token, [data.lines[0], foreign]))

    assert "belong to 2 repair orders (RO40001, RO40002)" in page
    assert po_numbers(app) == []
    assert statuses(app, [data.lines[0], foreign]) == [P.NEEDED, P.NEEDED]


def test_below_cost_is_refused_for_a_parts_manager_and_ordered_with_a_managers_reason(
    app: Flask, data: ShopData
) -> None:
    with app.app_context():
        line = db.session.get(PartLine, data.lines[0])
        line.sell_price = Decimal("90.00")
        db.session.commit()
    client, token = client_for(app, data, "parts_manager")
    assert "sells below cost" in text(bulk(client, token, [data.lines[0]]))
    assert po_numbers(app) == []

    manager, manager_token = client_for(app, data, "manager")
    page = text(bulk(manager, manager_token, [data.lines[0]], override_reason="Matching a competitor's quote"))

    assert "Created 1 purchase order" in page and "sells below cost" in page  # created, with the warning
    assert len(po_numbers(app)) == 1


def test_a_thin_margin_is_flashed_when_the_po_is_created(app: Flask, data: ShopData) -> None:
    with app.app_context():
        line = db.session.get(PartLine, data.lines[0])
        line.sell_price = Decimal("120.00")  # 16.67 % on an OEM part (minimum 20 %)
        db.session.commit()
    client, token = client_for(app, data, "parts_manager")
    page = text(bulk(client, token, [data.lines[0]]))
    assert "Created 1 purchase order" in page and "margin of 16.67 %" in page


# --- part line details and actions ------------------------------------------------------------------------------
def test_the_part_line_page_offers_only_the_moves_allowed_now(app: Flask, data: ShopData) -> None:
    client, _ = client_for(app, data, "parts_manager")
    page = text(client.get(f"/admin/part_lines/details/?id={data.lines[0]}"))
    actions = set(re.findall(r'data-action="([a-z_]+)"', page))
    assert actions == {"source", "cancel"}
    assert 'value="' in page and "LKQ" in page  # the vendor select lists the shop's vendors


def test_the_part_line_page_warns_about_a_thin_margin(app: Flask, data: ShopData) -> None:
    with app.app_context():
        line = db.session.get(PartLine, data.lines[0])
        line.sell_price = Decimal("120.00")
        db.session.commit()
    client, _ = client_for(app, data, "parts_manager")
    page = text(client.get(f"/admin/part_lines/details/?id={data.lines[0]}"))
    assert "has a margin of 16.67 %, below the minimum of 20.00 %" in page


def test_sourcing_through_the_page_records_vendor_and_price(app: Flask, data: ShopData) -> None:
    client, token = client_for(app, data, "parts_manager")
    response = client.post(
        "/admin/part_lines/source/",
        data={"id": data.lines[0], "vendor_id": data.vendor_id, "net_price": "95.50", "csrf_token": token},
        follow_redirects=True,
    )
    assert "is now sourcing" in text(response)
    with app.app_context():
        line = db.session.get(PartLine, data.lines[0])
        assert (line.part_status, line.net_price) == (P.SOURCING, Decimal("95.50"))
    page = text(client.get(f"/admin/part_lines/details/?id={data.lines[0]}"))
    assert set(re.findall(r'data-action="([a-z_]+)"', page)) == {"quote", "reopen", "cancel"}


def test_a_refused_line_action_flashes_the_rule_and_changes_nothing(app: Flask, data: ShopData) -> None:
    client, token = client_for(app, data, "parts_manager")
    response = client.post(
        "/admin/part_lines/cancel/", data={"id": data.lines[0], "csrf_token": token}, follow_redirects=True
    )
    assert "Say why the line is cancelled." in text(response)
    assert statuses(app, [data.lines[0]]) == [P.NEEDED]


def test_the_edit_form_has_no_workflow_fields(app: Flask, data: ShopData) -> None:
    client, _ = client_for(app, data, "parts_manager")
    page = text(client.get(f"/admin/part_lines/edit/?id={data.lines[0]}"))
    assert 'name="part_description"' in page
    for name in ("part_status", "quantity_received", "purchase_order", "actual_margin"):
        assert f'name="{name}"' not in page


# --- purchase order page -----------------------------------------------------------------------------------
def _sent_po(app: Flask, data: ShopData) -> int:
    with app.app_context():
        buyer = user("parts_manager", data)
        po = purchasing.create_purchase_orders(data.shop_id, data.lines, actor=buyer, now=utcnow()).orders[0]
        purchasing.send_purchase_order(data.shop_id, po.id, method="email", actor=buyer, now=utcnow())
        return po.id


def test_the_receive_form_receives_partially_then_in_full(app: Flask, data: ShopData) -> None:
    po_id = _sent_po(app, data)
    first, second = data.lines
    client, token = client_for(app, data, "parts_manager")
    page = text(client.get(f"/admin/purchase_orders/details/?id={po_id}"))
    assert f'name="qty_{first}"' in page and f'name="cond_{second}"' in page

    partial = client.post(
        "/admin/purchase_orders/receive/",
        data={
            "id": po_id,
            f"qty_{first}": "3",
            f"cond_{first}": "good",
            f"qty_{second}": "1",
            f"cond_{second}": "good",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "4 of 6 in (66.67 %), partial received" in text(partial)
    with app.app_context():
        assert db.session.get(PurchaseOrder, po_id).po_status == PO.PARTIAL_RECEIVED
    page = text(client.get(f"/admin/purchase_orders/details/?id={po_id}"))
    assert f'name="qty_{first}"' not in page and f'name="qty_{second}"' in page  # only the open line is left

    full = client.post(
        "/admin/purchase_orders/receive/",
        data={"id": po_id, f"qty_{second}": "2", f"cond_{second}": "good", "csrf_token": token},
        follow_redirects=True,
    )
    assert "6 of 6 in (100.00 %), fully received" in text(full)
    assert statuses(app, data.lines) == [P.RECEIVED, P.RECEIVED]


def test_an_over_receipt_on_the_form_is_refused_and_changes_nothing(app: Flask, data: ShopData) -> None:
    po_id = _sent_po(app, data)
    client, token = client_for(app, data, "parts_manager")
    response = client.post(
        "/admin/purchase_orders/receive/",
        data={"id": po_id, f"qty_{data.lines[0]}": "4", f"cond_{data.lines[0]}": "good", "csrf_token": token},
        follow_redirects=True,
    )
    assert "only 3 outstanding" in text(response)
    with app.app_context():
        po = db.session.get(PurchaseOrder, po_id)
        assert (po.po_status, po.total_received) == (PO.SENT, 0)


def test_a_received_line_is_returned_from_the_po_page_with_its_credit(app: Flask, data: ShopData) -> None:
    po_id = _sent_po(app, data)
    with app.app_context():
        purchasing.receive_purchase_order(
            data.shop_id, po_id, {data.lines[0]: (Decimal(3), "good")}, actor=user("parts_manager", data), now=utcnow()
        )
    client, token = client_for(app, data, "parts_manager")
    assert "po-return-line" in text(client.get(f"/admin/purchase_orders/details/?id={po_id}"))
    response = client.post(
        "/admin/purchase_orders/return_line/",
        data={
            "id": po_id,
            "line_id": data.lines[0],
            "quantity": "1",
            "reason": "not_needed",
            "restocking_fee": "10.00",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "credit 90.00 (restocking fee 10.00)" in text(response)


def test_the_requester_sees_no_approve_button_and_is_told_why(app: Flask, data: ShopData) -> None:
    with app.app_context():
        buyer = user("parts_manager", data)
        line = db.session.get(PartLine, data.lines[0])
        line.net_price, line.sell_price = Decimal("1500.00"), Decimal("2500.00")
        db.session.commit()
        po = purchasing.create_purchase_orders(data.shop_id, [data.lines[0]], actor=buyer, now=utcnow()).orders[0]
        po_id = po.id
        purchasing.submit_purchase_order(data.shop_id, po_id, actor=buyer, now=utcnow())
    requester, token = client_for(app, data, "parts_manager")
    page = text(requester.get(f"/admin/purchase_orders/details/?id={po_id}"))
    assert 'data-action="approve"' not in page and "you requested it, so someone else approves it" in page
    forced = requester.post(
        "/admin/purchase_orders/approve/", data={"id": po_id, "csrf_token": token}, follow_redirects=True
    )
    assert "you requested it" in text(forced)

    owner, owner_token = client_for(app, data, "owner")
    assert 'data-action="approve"' in text(owner.get(f"/admin/purchase_orders/details/?id={po_id}"))
    approved = owner.post(
        "/admin/purchase_orders/approve/", data={"id": po_id, "csrf_token": owner_token}, follow_redirects=True
    )
    assert "approved." in text(approved)
    with app.app_context():
        assert db.session.get(PurchaseOrder, po_id).po_status == PO.APPROVED


def test_pos_are_not_typed_in(app: Flask, data: ShopData) -> None:
    client, _ = client_for(app, data, "owner")
    assert client.get("/admin/purchase_orders/new/").status_code == 302


# --- who may act ------------------------------------------------------------------------------------------
def test_a_technician_gets_403_on_every_action_url_and_nothing_changes(app: Flask, data: ShopData) -> None:
    po_id = _sent_po(app, data)
    client, token = client_for(app, data, "technician")
    line_id = data.lines[0]
    posts = [
        ("/admin/part_lines/action/", {"action": "create_purchase_orders", "rowid": [str(line_id)]}),
        *[(f"/admin/part_lines/{name}/", {"id": line_id}) for name in ("source", "receive", "cancel", "return")],
        *[
            (f"/admin/purchase_orders/{name}/", {"id": po_id})
            for name in ("receive", "approve", "send", "cancel", "close", "return_line")
        ],
    ]
    for url, form in posts:
        assert client.post(url, data={**form, "csrf_token": token}).status_code == 403, url
    page = text(client.get(f"/admin/purchase_orders/details/?id={po_id}"))
    assert "po-receive" not in page and "workflow-action" not in page
    with app.app_context():
        assert db.session.get(PurchaseOrder, po_id).total_received == 0
    assert statuses(app, data.lines) == [P.ORDERED, P.ORDERED]
