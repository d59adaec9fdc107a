"""``flask seed ...`` and ``flask users ...`` through Flask's CLI runner."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from collisionos.domain.passwords import verify_password
from collisionos.extensions import db
from collisionos.models import RepairOrder, User
from collisionos.models.enums import RepairOrderStatus, Role
from collisionos.services.seed import demo as demo_seed
from tests import factories

PASSWORD = "a-long-staff-password"


@pytest.fixture(autouse=True)
def _no_seed_environment(monkeypatch):
    for name in ("OWNER_EMAIL", "OWNER_PASSWORD", "DEMO_PASSWORD", "SHOP_NAME", "NEW_USER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def shop_id(app) -> int:
    with app.app_context():
        return factories.ShopFactory().id


def _row_counts(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def _user(app, email: str) -> User | None:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def _create_user(runner, shop_id: int, email: str = "sana@shop.example", role: str = "service_advisor"):  # type: ignore[no-untyped-def]
    return runner.invoke(
        args=["users", "create", "--email", email, "--role", role, "--shop", str(shop_id), "--password", PASSWORD]
    )


def test_seed_defaults_reports_what_it_created_and_the_owner_login(app, runner):
    result = runner.invoke(args=["seed", "defaults"])

    assert result.exit_code == 0, result.output
    assert "18 production stages" in result.output
    assert "Owner account: owner@shop.example" in result.output
    password = re.search(r"Owner password \(shown once.*\): (\S+)", result.output)
    assert password
    owner = _user(app, "owner@shop.example")
    assert owner.role == Role.OWNER
    assert verify_password(owner.password, password[1])


def test_seed_defaults_twice_creates_nothing_new(app, runner):
    runner.invoke(args=["seed", "defaults"])
    before = _row_counts(app)

    result = runner.invoke(args=["seed", "defaults"])

    assert result.exit_code == 0, result.output
    assert "nothing new" in result.output
    assert "Owner" not in result.output
    assert _row_counts(app) == before
    assert before["production_stages"] == 18


def test_seed_defaults_for_an_unknown_shop_fails_with_a_message(runner):
    result = runner.invoke(args=["seed", "defaults", "--shop", "999"])

    assert result.exit_code != 0
    assert "no shop with id 999" in result.output


def test_seed_demo_prints_a_login_for_every_role(app, runner, monkeypatch):
    # The logins are the point here; one repair order in the main shop keeps the test quick.
    monkeypatch.setattr(demo_seed, "DEMO_STATUSES", [RepairOrderStatus.IN_PRODUCTION])

    result = runner.invoke(args=["seed", "demo"])

    assert result.exit_code == 0, result.output
    assert "Demo data created" in result.output
    password = re.search(r"Demo logins \(password for all: (\S+)\):", result.output)
    assert password
    logins = re.findall(r"^\s+(\S+@\S+)\s+(\w+)\s", result.output, re.MULTILINE)
    assert {role for _, role in logins} == set(Role)
    for email, role in logins:
        user = _user(app, email)
        assert user is not None and user.role == role, email
    owner = _user(app, next(email for email, role in logins if role == Role.OWNER))
    assert verify_password(owner.password, password[1])

    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0
    assert "already present" in again.output
    assert re.findall(r"^\s+(\S+@\S+)\s+(\w+)\s", again.output, re.MULTILINE) == logins


def test_seed_bulk_reports_the_rows_it_inserted(app, runner):
    runner.invoke(args=["seed", "defaults"])

    result = runner.invoke(args=["seed", "bulk", "--repair-orders", "5"])

    assert result.exit_code == 0, result.output
    reported = dict(re.findall(r"^\s+(\w+)\s+([\d,]+)$", result.output, re.MULTILINE))
    assert reported["repair_order_management"] == "5"
    assert reported["production_workflow"] == "90"
    total = re.search(r"Inserted ([\d,]+) rows", result.output)
    assert total and int(total[1].replace(",", "")) == sum(int(n.replace(",", "")) for n in reported.values())
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RepairOrder)) == 5


def test_seed_bulk_before_any_shop_says_what_to_run_first(runner):
    result = runner.invoke(args=["seed", "bulk", "--repair-orders", "5"])

    assert result.exit_code != 0
    assert "flask seed defaults" in result.output


def test_users_create_then_list_shows_the_user(app, runner, shop_id):
    created = _create_user(runner, shop_id, email="Sana.Malik@Shop.Example")

    assert created.exit_code == 0, created.output
    assert "Created sana.malik@shop.example (service_advisor)" in created.output
    user = _user(app, "sana.malik@shop.example")
    assert user.shop_id == shop_id
    assert verify_password(user.password, PASSWORD)
    listed = runner.invoke(args=["users", "list"])
    assert listed.exit_code == 0
    assert re.search(rf"\b{shop_id}\s+service_advisor\s+yes\s+sana\.malik@shop\.example", listed.output)


def test_users_list_filters_by_shop(app, runner, shop_id):
    with app.app_context():
        other_shop_id = factories.ShopFactory().id
    _create_user(runner, shop_id, email="mine@shop.example")
    _create_user(runner, other_shop_id, email="theirs@shop.example")

    listed = runner.invoke(args=["users", "list", "--shop", str(shop_id)])

    assert "mine@shop.example" in listed.output
    assert "theirs@shop.example" not in listed.output


def test_users_create_without_a_password_prints_a_generated_one(app, runner, shop_id):
    result = runner.invoke(
        args=["users", "create", "--email", "tom@shop.example", "--role", "technician", "--shop", str(shop_id)]
    )

    assert result.exit_code == 0, result.output
    password = re.search(r"Password \(shown once\): (\S+)", result.output)
    assert password
    assert verify_password(_user(app, "tom@shop.example").password, password[1])


def test_users_create_with_a_taken_email_fails_clearly(app, runner, shop_id):
    _create_user(runner, shop_id, email="sana@shop.example")

    result = _create_user(runner, shop_id, email="SANA@shop.example", role="manager")

    assert result.exit_code != 0
    assert "A user with email sana@shop.example already exists." in result.output
    assert _user(app, "sana@shop.example").role == "service_advisor"


def test_users_create_with_an_unknown_role_is_rejected(app, runner, shop_id):
    result = _create_user(runner, shop_id, email="boss@shop.example", role="superuser")

    assert result.exit_code != 0
    assert "Invalid value for '--role'" in result.output
    assert _user(app, "boss@shop.example") is None


def test_users_create_without_a_shop_is_refused_except_for_a_platform_admin(app, runner):
    refused = runner.invoke(
        args=["users", "create", "--email", "t@shop.example", "--role", "technician", "--password", PASSWORD]
    )
    admin = runner.invoke(
        args=["users", "create", "--email", "a@platform.example", "--role", "admin", "--password", PASSWORD]
    )

    assert refused.exit_code != 0 and "works in a shop" in refused.output
    assert _user(app, "t@shop.example") is None
    assert admin.exit_code == 0, admin.output
    assert _user(app, "a@platform.example") is not None


def test_users_create_with_a_short_password_is_rejected(app, runner, shop_id):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@shop.example",
            "--role",
            "technician",
            "--shop",
            str(shop_id),
            "--password",
            "short",
        ]
    )

    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert _user(app, "x@shop.example") is None


def test_users_set_password_changes_the_hash_and_ends_sessions(app, runner, shop_id):
    _create_user(runner, shop_id, email="sana@shop.example")
    before = _user(app, "sana@shop.example")

    result = runner.invoke(
        args=["users", "set-password", "--email", "sana@shop.example", "--password", "another-long-password"]
    )

    assert result.exit_code == 0, result.output
    after = _user(app, "sana@shop.example")
    assert after.password != before.password
    assert verify_password(after.password, "another-long-password")
    assert not verify_password(after.password, PASSWORD)
    assert after.session_token and after.session_token != before.session_token


def test_users_set_password_for_an_unknown_email_fails(runner):
    result = runner.invoke(args=["users", "set-password", "--email", "nobody@shop.example", "--password", PASSWORD])

    assert result.exit_code != 0
    assert "no user with email nobody@shop.example" in result.output
