"""The audit trail: every ORM insert, update and delete writes one row with old and new values."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from collisionos.models import AuditLog, Customer, User
from collisionos.services.audit import acting_as
from tests import factories
from tests.conftest import login


def _rows(session, table: str, row_id: int) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            sa.select(AuditLog)
            .where(AuditLog.table_name == table, AuditLog.row_id == str(row_id))
            .order_by(AuditLog.id)
        )
    )


def test_insert_update_delete_each_write_one_row_with_old_and_new_values(session, shop) -> None:
    customer = factories.CustomerFactory(shop=shop, first_name="Jane", credit_limit=Decimal("100.00"))
    customer.first_name = "Janet"
    customer.credit_limit = Decimal("250.50")
    session.commit()
    customer_id = customer.id
    session.delete(customer)
    session.commit()

    insert, update, delete = _rows(session, "customers", customer_id)
    assert (insert.action, update.action, delete.action) == ("insert", "update", "delete")
    assert insert.changes["first_name"] == {"old": None, "new": "Jane"}
    assert update.changes == {
        "first_name": {"old": "Jane", "new": "Janet"},
        "credit_limit": {"old": "100.00", "new": "250.50"},
    }
    assert delete.changes["first_name"] == {"old": "Janet", "new": None}
    assert {row.shop_id for row in (insert, update, delete)} == {shop.id}


def test_an_update_that_changes_nothing_writes_no_row(session, shop) -> None:
    customer = factories.CustomerFactory(shop=shop, first_name="Jane")
    customer.first_name = "Jane"
    session.commit()
    assert [row.action for row in _rows(session, "customers", customer.id)] == ["insert"]


def test_secrets_never_reach_the_log(session, shop) -> None:
    user = factories.UserFactory(shop=shop)
    user.password = "$argon2id$new-hash"
    user.session_token = "new-token"
    session.commit()
    rows = _rows(session, "users", user.id)
    assert [row.action for row in rows] == ["insert"]  # the update touched only secrets
    assert not {"password", "session_token", "two_factor_secret"} & set(rows[0].changes)


def test_writes_are_attributed_to_the_actor_with_a_reason(session, shop) -> None:
    manager = factories.UserFactory(shop=shop, role="manager", username="mreid")
    with acting_as(manager, reason="customer asked for a correction"):
        customer = factories.CustomerFactory(shop=shop)
    (row,) = _rows(session, "customers", customer.id)
    assert (row.user_id, row.user_label, row.reason) == (manager.id, "mreid", "customer asked for a correction")


def test_a_rolled_back_write_leaves_no_audit_row(session, shop) -> None:
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    session.add(Customer(shop_id=shop.id, customer_number="CUST-9999", first_name="A", last_name="B"))
    session.flush()
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before


def test_a_write_during_a_request_records_who_and_where(app, client, session, owner) -> None:
    user_id = owner.id
    login(client, owner.email)
    session.remove()
    # Logging in updates last_login; the request was not yet authenticated when it started.
    row = _rows(session, "users", user_id)[-1]
    assert row.action == "update" and set(row.changes) == {"last_login"}
    assert (row.user_id, row.user_label, row.ip_address) == (None, "anonymous", "127.0.0.1")
    assert len(row.request_id) == 32
    assert session.get(User, user_id).last_login is not None
