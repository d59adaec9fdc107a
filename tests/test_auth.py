"""Logging in and out, sessions that end server-side, and the security headers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest

from collisionos.extensions import db
from collisionos.models import User
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login

INVALID_LOGIN = "Invalid email or password."

# No test here keeps an app context open across requests: Flask would reuse it, and with it
# Flask-Login's cached user on ``g``, so a request would not reload the user from the database.


@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    first_name: str
    last_name: str


@pytest.fixture
def staff(app) -> Staff:
    with app.app_context():
        user = factories.UserFactory(role="manager", first_name="Marcus", last_name="Reid")
        return Staff(user.id, user.email, user.first_name, user.last_name)


def _update_user(app, user_id: int, **values) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = db.session.get(User, user_id)
        for name, value in values.items():
            setattr(user, name, value)
        db.session.commit()


def _flashes(html: str) -> list[str]:
    return re.findall(r'<div class="flash \w+" role="alert">(.*?)</div>', html)


def _is_logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    response = client.get("/admin/")
    if response.status_code == 302:
        assert urlsplit(response.location).path == "/login"
        return False
    assert response.status_code == 200
    return True


def _login_with_next(client, email: str, target: str):  # type: ignore[no-untyped-def]
    token = extract_csrf(client.get("/login").get_data(as_text=True))
    return client.post(
        f"/login?next={quote(target, safe='')}",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
    )


def test_login_page_shows_the_form(client):
    response = client.get("/login")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert extract_csrf(html)
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'type="password"' in html


def test_right_password_logs_in_and_the_home_page_greets_the_user(client, staff):
    response = login(client, staff.email)

    assert response.status_code == 302
    assert response.location == "/"
    home = client.get("/admin/").get_data(as_text=True)
    assert f"Good day, {staff.first_name}" in home
    assert f"{staff.first_name} {staff.last_name}" in home


def test_email_is_matched_without_regard_to_case(client, staff):
    assert login(client, staff.email.upper()).status_code == 302
    assert _is_logged_in(client)


@pytest.mark.parametrize(
    ("email", "password"),
    [("known", "wrong-password-entirely"), ("nobody@staff.example", DEMO_PASSWORD)],
    ids=["wrong password", "unknown email"],
)
def test_failed_login_says_the_same_thing_whatever_was_wrong(client, staff, email, password):
    response = login(client, staff.email if email == "known" else email, password)

    assert response.status_code == 200
    assert _flashes(response.get_data(as_text=True)) == [INVALID_LOGIN]
    assert not _is_logged_in(client)


def test_inactive_user_cannot_log_in(app, client, staff):
    _update_user(app, staff.id, is_active=False)

    response = login(client, staff.email)

    assert response.status_code == 200
    assert _flashes(response.get_data(as_text=True)) == [INVALID_LOGIN]
    assert not _is_logged_in(client)


def test_login_post_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"email": staff.email, "password": DEMO_PASSWORD})

    assert response.status_code == 400
    assert not _is_logged_in(client)


def test_logout_by_get_is_not_allowed(client, staff):
    login(client, staff.email)

    assert client.get("/logout").status_code == 405
    assert _is_logged_in(client)


def test_logout_post_without_csrf_token_is_refused(client, staff):
    login(client, staff.email)

    assert client.post("/logout").status_code == 400
    assert _is_logged_in(client)


def test_logout_post_with_csrf_token_logs_out(client, staff):
    login(client, staff.email)
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))

    response = client.post("/logout", data={"csrf_token": token})

    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"
    assert not _is_logged_in(client)


def test_login_redirects_to_a_local_next_path(client, staff):
    response = _login_with_next(client, staff.email, "/some/path?tab=parts")

    assert response.status_code == 302
    assert response.location == "/some/path?tab=parts"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://evil.example/login",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_login_ignores_a_next_that_leaves_the_site(client, staff, target):
    response = _login_with_next(client, staff.email, target)

    assert response.status_code == 302
    assert response.location == "/"


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"


def test_deactivated_user_is_logged_out_on_the_next_request(app, client, staff):
    login(client, staff.email)
    assert _is_logged_in(client)

    _update_user(app, staff.id, is_active=False)

    assert not _is_logged_in(client)


def test_new_session_token_ends_the_session(app, client, staff):
    login(client, staff.email)
    assert _is_logged_in(client)

    _update_user(app, staff.id, session_token="rotated-token")

    assert not _is_logged_in(client)


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize("path", ["/login", "/healthz", "/"])
def test_security_headers_are_set_on_every_response(client, path):
    response = client.get(path)

    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_http_only_and_same_site_lax(client, staff):
    response = login(client, staff.email)

    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
