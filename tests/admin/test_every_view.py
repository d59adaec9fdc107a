"""Checks generated over every registered admin view, so a new view cannot be missed."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import Customer
from tests import factories
from tests.admin.test_permissions import first_row_id, secure_views
from tests.conftest import DEMO_PASSWORD, login
from tests.models.test_on_delete import populate


@pytest.fixture
def owner_client(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = factories.ShopFactory()
        populate(db.session, shop)
        email = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD).email
        rows = {v.endpoint: first_row_id(v.model, shop.id, v.parent_scope) for v in secure_views(app)}
    client = app.test_client()
    login(client, email)
    return client, rows


def test_no_state_changing_post_works_without_a_csrf_token(app, owner_client) -> None:
    client, rows = owner_client
    refused = []
    for view in secure_views(app):
        row_id = rows[view.endpoint]
        posts = [(f"/admin/{view.endpoint}/new/", {}), (f"/admin/{view.endpoint}/action/", {"action": "delete"})]
        if row_id is not None:
            posts += [
                (f"/admin/{view.endpoint}/delete/", {"id": row_id}),
                (f"/admin/{view.endpoint}/edit/?id={row_id}", {}),
            ]
        for url, data in posts:
            status = client.post(url, data=data).status_code
            if status != 400:
                refused.append(f"{url}: {status}")
    assert refused == []
    with app.app_context():
        for view in secure_views(app):
            if rows[view.endpoint] is not None:
                assert db.session.get(view.model, rows[view.endpoint]) is not None, view.endpoint


def test_list_pages_run_the_same_number_of_queries_at_20_and_100_rows(app, owner_client) -> None:
    client, _rows = owner_client
    counts: dict[str, list[int]] = {}
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("q")

    with app.app_context():
        engine = db.engine
    for view in secure_views(app):
        for size in (20, 100):
            statements.clear()
            sa.event.listen(engine, "before_cursor_execute", count)
            try:
                assert client.get(f"/admin/{view.endpoint}/?page_size={size}").status_code == 200
            finally:
                sa.event.remove(engine, "before_cursor_execute", count)
            counts.setdefault(view.endpoint, []).append(len(statements))
    assert {endpoint: c for endpoint, c in counts.items() if c[0] != c[1]} == {}


def test_exports_neutralise_spreadsheet_formulas_and_stay_plain_text(app) -> None:
    with app.app_context():
        shop = factories.ShopFactory()
        factories.CustomerFactory(
            shop=shop, first_name='=HYPERLINK("http://evil.example")', last_name="+SUM(A1)", customer_status="vip"
        )
        email = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD).email
    client = app.test_client()
    login(client, email)
    with client.get("/admin/customers/export/csv/") as response:
        body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil.example")' in cells and "'+SUM(A1)" in cells
    assert "<span" not in body


def test_list_search_matches_the_start_of_a_value_only(app) -> None:
    with app.app_context():
        shop = factories.ShopFactory()
        factories.CustomerFactory(shop=shop, last_name="Tremblay", customer_number="CUST-0042")
        factories.CustomerFactory(shop=shop, last_name="Bouchard", customer_number="CUST-0043")
        email = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD).email
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 2
    client = app.test_client()
    login(client, email)
    html = client.get("/admin/customers/?search=trem").get_data(as_text=True)
    assert "Tremblay" in html and "Bouchard" not in html
    assert "Tremblay" not in client.get("/admin/customers/?search=mbla").get_data(as_text=True)
