"""Login throttling: 5 failed attempts for an account or from an address within 15 minutes lock further tries."""

from __future__ import annotations

import re

import time_machine

from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf


def _attempt(client, email: str, password: str, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    token = extract_csrf(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def _user(app, email: str) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return factories.UserFactory(email=email, password_plain=DEMO_PASSWORD).email


def test_the_sixth_failed_attempt_on_an_account_is_refused_even_with_the_right_password(app) -> None:
    email = _user(app, "target@staff.example")
    client = app.test_client()
    for n in range(5):
        assert _attempt(client, email, "wrong-password", address=f"10.0.1.{n}").status_code == 200
    blocked = _attempt(client, email, DEMO_PASSWORD, address="10.0.2.1")
    assert blocked.status_code == 429
    message = re.search(r"Too many failed attempts\. Try again in (\d+) minutes?\.", blocked.get_data(as_text=True))
    assert message is not None, blocked.get_data(as_text=True)
    assert 1 <= int(message.group(1)) <= 15
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60


def test_an_address_is_throttled_across_accounts(app) -> None:
    client = app.test_client()
    for n in range(5):
        assert _attempt(client, f"nobody{n}@staff.example", "wrong-password").status_code == 200
    assert _attempt(client, "someone-else@staff.example", "wrong-password").status_code == 429
    # Another address is not affected.
    assert _attempt(client, "someone-else@staff.example", "wrong-password", address="10.9.9.9").status_code == 200


def test_successful_logins_do_not_count(app) -> None:
    email = _user(app, "regular@staff.example")
    for _ in range(7):
        client = app.test_client()
        assert _attempt(client, email, DEMO_PASSWORD).status_code == 302


def test_the_lock_lifts_after_15_minutes(app) -> None:
    email = _user(app, "patient@staff.example")
    client = app.test_client()
    with time_machine.travel("2026-11-25 10:00:00+00:00", tick=False) as clock:
        for n in range(5):
            _attempt(client, email, "wrong-password", address=f"10.0.3.{n}")
        assert _attempt(client, email, DEMO_PASSWORD, address="10.0.4.1").status_code == 429
        clock.shift(15 * 60 + 1)
        assert _attempt(client, email, DEMO_PASSWORD, address="10.0.4.2").status_code == 302
