"""Every admin view × every role does what the permission matrix says; generated, so no view is missed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from collisionos.admin.base import SecureModelView
from collisionos.domain.permissions import Action, allowed
from collisionos.extensions import db
from collisionos.models.enums import Role
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login
from tests.models.test_on_delete import populate


def secure_views(app) -> list[SecureModelView]:  # type: ignore[no-untyped-def]
    admin = app.extensions["admin"][0]
    return [view for view in admin._views if isinstance(view, SecureModelView)]


def first_row_id(model: type, shop_id: int, parent_scope) -> int | None:  # type: ignore[no-untyped-def]
    query = sa.select(model.id).order_by(model.id).limit(1)
    if hasattr(model, "shop_id"):
        query = query.where(model.shop_id == shop_id)
    elif model.__tablename__ == "shops":
        query = query.where(model.id == shop_id)
    elif parent_scope is not None:
        parent, key = parent_scope
        query = query.join(parent, getattr(model, key) == parent.id).where(parent.shop_id == shop_id)
    return db.session.scalar(query)


def test_every_model_has_a_secure_view_with_a_stable_endpoint(app) -> None:
    from collisionos.models import DOMAIN_MODELS

    views = secure_views(app)
    endpoints = [view.endpoint for view in views]
    assert len(endpoints) == len(set(endpoints))
    covered = {view.model for view in views}
    assert [model.__name__ for model in DOMAIN_MODELS if model not in covered] == []


def test_anonymous_requests_are_sent_to_login(app, client) -> None:
    for view in secure_views(app):
        response = client.get(f"/admin/{view.endpoint}/")
        assert response.status_code == 302, view.endpoint
        assert "/login" in response.headers["Location"], view.endpoint


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_gets_exactly_what_the_matrix_allows(app, client, role) -> None:
    views = [(v.endpoint, v.area, v.model, v.parent_scope, v.read_only, v.allow_create) for v in secure_views(app)]
    with app.app_context():
        shop = factories.ShopFactory()
        populate(db.session, shop)
        email = factories.UserFactory(shop=shop, role=role, password_plain=DEMO_PASSWORD).email
        rows = {endpoint: first_row_id(model, shop.id, scope) for endpoint, _, model, scope, _, _ in views}
    assert login(client, email).status_code == 302

    problems = []
    for endpoint, area, _model, _scope, read_only, creatable in views:
        may = {action: allowed(role, area, action) for action in Action}
        row_id = rows[endpoint]
        expect = 200 if may[Action.VIEW] else 403
        checks = [(f"/admin/{endpoint}/", expect)]
        if row_id is not None:
            checks.append((f"/admin/{endpoint}/details/?id={row_id}", expect))
        for url, wanted in checks:
            got = client.get(url).status_code
            if got != wanted:
                problems.append(f"{role} GET {url}: {got}, matrix says {wanted}")
        if not may[Action.VIEW]:
            continue
        create = client.get(f"/admin/{endpoint}/new/").status_code
        if (create == 200) != (may[Action.CREATE] and creatable and not read_only):
            problems.append(f"{role} GET /admin/{endpoint}/new/: {create}, create allowed={may[Action.CREATE]}")
        if row_id is not None:
            edit = client.get(f"/admin/{endpoint}/edit/?id={row_id}").status_code
            if (edit == 200) != (may[Action.EDIT] and not read_only):
                problems.append(f"{role} GET edit {endpoint}: {edit}, edit allowed={may[Action.EDIT]}")
        # Close the streamed export, or its app context (and logged-in user) lingers into the next request.
        with client.get(f"/admin/{endpoint}/export/csv/") as export:
            exported = export.status_code
        if (exported == 200) != may[Action.EXPORT]:
            problems.append(f"{role} export {endpoint}: {exported}, export allowed={may[Action.EXPORT]}")
    # Deleting last (a cascade may remove rows other views were checked with): without the right, nothing goes.
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))
    for endpoint, area, model, _scope, read_only, _creatable in views:
        row_id = rows[endpoint]
        if row_id is None or allowed(role, area, Action.DELETE) and not read_only:
            continue
        client.post(f"/admin/{endpoint}/delete/", data={"id": row_id, "csrf_token": token})
        client.post(f"/admin/{endpoint}/action/", data={"action": "delete", "rowid": [row_id], "csrf_token": token})
        with app.app_context():
            if db.session.get(model, row_id) is None:
                problems.append(f"{role} deleted {endpoint} #{row_id} without the right to")
    assert problems == []


def test_a_role_without_delete_cannot_delete_and_an_owner_can(app) -> None:
    view = next((v for v in secure_views(app) if v.model.__name__ == "Customer"), None)
    if view is None:
        pytest.skip("customers view not registered yet")
    with app.app_context():
        shop = factories.ShopFactory()
        customers = [factories.CustomerFactory(shop=shop).id for _ in range(2)]
        manager = factories.UserFactory(shop=shop, role="manager", password_plain=DEMO_PASSWORD).email
        owner = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD).email
    for email, customer_id, should_delete in ((manager, customers[0], False), (owner, customers[1], True)):
        client = app.test_client()
        login(client, email)
        token = extract_csrf(client.get("/admin/").get_data(as_text=True))  # a real token: only the role differs
        client.post(f"/admin/{view.endpoint}/delete/", data={"id": customer_id, "csrf_token": token})
        with app.app_context():
            exists = db.session.get(view.model, customer_id) is not None
        assert exists is not should_delete, email
