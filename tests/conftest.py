"""Shared fixtures: an app on a database built by the migrations, cleaned after every test.

SQLite (a temporary file) by default; PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from collisionos import create_app
from collisionos.extensions import db
from tests import factories

DEMO_PASSWORD = "correct-horse-battery"


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


# A developer's exported SCHEDULER_ENABLED=1 must not start real schedulers in test processes.
os.environ.pop("SCHEDULER_ENABLED", None)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    os.environ["COLLISIONOS_INSTANCE"] = str(instance)
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "SCHEDULER_ENABLED": False,
            "INSTANCE_FOLDER": str(instance),
        }
    )
    with application.app_context():
        upgrade()
    yield application


@pytest.fixture(autouse=True)
def _reset_login_throttle(request: pytest.FixtureRequest) -> Iterator[None]:
    """Failed logins of one test must not throttle the next (they share 127.0.0.1)."""
    yield
    if "app" in request.fixturenames:
        from collisionos.extensions import limiter

        with request.getfixturevalue("app").app_context():
            limiter.reset()


@pytest.fixture(autouse=True)
def _clean_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty every table after each test that used the database."""
    yield
    if "app" not in request.fixturenames:
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        db.session.rollback()
        db.session.remove()
        # Children first; DELETE is much faster than TRUNCATE on mostly empty tables.
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                # Outside a transaction: SQLite ignores this pragma inside one.
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for name in tables:
                conn.exec_driver_sql(f"DELETE FROM {name}")  # noqa: S608
            conn.commit()
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def session(app_ctx: Flask):  # type: ignore[no-untyped-def]
    return db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def shop(app_ctx: Flask):  # type: ignore[no-untyped-def]
    return factories.ShopFactory()


@pytest.fixture
def other_shop(app_ctx: Flask):  # type: ignore[no-untyped-def]
    return factories.ShopFactory(name="Other Shop")


@pytest.fixture
def owner(shop):  # type: ignore[no-untyped-def]
    return factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD)


def login(client: FlaskClient, email: str, password: str = DEMO_PASSWORD, follow: bool = False):  # type: ignore[no-untyped-def]
    """Log in through the real form, CSRF token included."""
    page = client.get("/login")
    token = extract_csrf(page.get_data(as_text=True))
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}, follow_redirects=follow
    )


def extract_csrf(html: str) -> str:
    marker = 'name="csrf_token" type="hidden" value="'
    start = html.find(marker)
    if start == -1:
        marker = 'name="csrf_token" value="'
        start = html.find(marker)
    assert start != -1, "no CSRF token in page"
    start += len(marker)
    return html[start : html.index('"', start)]
