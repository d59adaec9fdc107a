"""Settings from the environment, the generated secret key and the SQLite connection set-up."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import make_url

from collisionos import create_app
from collisionos.config import build_config
from collisionos.extensions import db


@pytest.fixture
def instance(monkeypatch, tmp_path) -> Path:
    folder = tmp_path / "instance"
    monkeypatch.setenv("COLLISIONOS_INSTANCE", str(folder))
    for name in ("SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return folder


def test_secret_key_is_generated_once_into_the_instance_folder_readable_by_owner_only(instance):
    config = build_config()

    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == config["SECRET_KEY"]
    assert len(config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_generated_secret_key_is_reused_by_the_next_build(instance):
    first = build_config()["SECRET_KEY"]

    assert build_config()["SECRET_KEY"] == first
    assert [p.name for p in instance.iterdir()] == ["secret_key"]


def test_secret_key_from_the_environment_wins(instance, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    assert build_config()["SECRET_KEY"] == "from-the-environment"
    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://app:pw@db.internal:5432/collisionos", "postgresql+psycopg://app:pw@db.internal:5432/collisionos"),
        ("postgresql://app@db.internal/collisionos", "postgresql+psycopg://app@db.internal/collisionos"),
        ("postgresql+psycopg://app@db.internal/collisionos", "postgresql+psycopg://app@db.internal/collisionos"),
        ("sqlite:////var/lib/collisionos/app.db", "sqlite:////var/lib/collisionos/app.db"),
    ],
)
def test_database_url_uses_the_psycopg_driver(instance, monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)

    assert build_config()["SQLALCHEMY_DATABASE_URI"] == expected


def test_default_database_is_a_sqlite_file_in_the_instance_folder(instance):
    url = make_url(build_config()["SQLALCHEMY_DATABASE_URI"])

    assert url.get_backend_name() == "sqlite"
    assert Path(url.database).parent == instance.resolve()
    assert build_config()["INSTANCE_FOLDER"] == str(instance.resolve())


def test_session_cookie_settings_default_to_http_only_and_same_site_lax(instance):
    config = build_config()

    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["REMEMBER_COOKIE_HTTPONLY"] is True


@pytest.fixture
def sqlite_app(instance, tmp_path) -> Iterator[Flask]:
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pragmas.db'}", "INSTANCE_FOLDER": str(instance)}
    )
    with application.app_context():
        yield application
        db.engine.dispose()


def _pragma(connection: sa.Connection, name: str):  # type: ignore[no-untyped-def]
    return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_every_sqlite_connection_is_set_up_for_a_web_app(sqlite_app):
    db.engine.dispose()
    with db.engine.connect() as first, db.engine.connect() as second:
        for connection in (first, second):
            assert _pragma(connection, "journal_mode") == "wal"
            assert _pragma(connection, "foreign_keys") == 1
            assert _pragma(connection, "busy_timeout") >= 5000
            assert _pragma(connection, "synchronous") == 1


def test_query_count_header_is_off_by_default_and_counts_statements_when_on(app, tmp_path) -> None:
    from collisionos import create_app

    assert "X-Query-Count" not in app.test_client().get("/healthz").headers
    counting = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'q.db'}",
            "INSTANCE_FOLDER": str(tmp_path),
            "QUERY_COUNT_HEADER": True,
            "SECRET_KEY": "x",
        }
    )
    assert counting.test_client().get("/healthz").headers["X-Query-Count"] == "1"  # SELECT 1
    assert counting.test_client().get("/login").headers["X-Query-Count"] == "0"
