"""Email through a real SMTP server started by the test (aiosmtpd on 127.0.0.1): the message arrives with the
rendered subject and body, and a server that refuses the login is recorded as a failure with its next retry."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import policy

import pytest

from collisionos.models import ContactTimeline
from collisionos.services.messaging.channels import ChannelError, send_email
from collisionos.services.messaging.dispatcher import dispatch_due
from tests.services.messaging.conftest import NOON, due_row, fresh, logs_for

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    for key, value in {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": controller.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_DEFAULT_SENDER": "service@shop.example",
        "MAIL_TIMEOUT": 5,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield inbox
    finally:
        controller.stop()


def test_a_due_email_arrives_with_the_rendered_subject_and_body(
    app_ctx, smtp_server, shop, customer, ro, template
) -> None:
    row = due_row(customer, ro=ro, template=template, communication_method="email", automation_trigger_id="mail-1")

    counts = dispatch_due(now=NOON)

    assert counts["sent"] == 1
    ((sender, recipients, message),) = smtp_server.messages
    assert sender == "service@shop.example" and recipients == ["jane@example.com"]
    assert message["Subject"] == "Your 2022 Mazda CX-5"
    body = message.get_content().replace("\r\n", "\n").strip()
    assert body == f"Hello Jane,\n\n{ro.repair_order_number} is in repair."
    (entry,) = logs_for(row.id)
    assert entry.status == "sent" and entry.recipient_email == "jane@example.com"
    assert f"<{entry.external_message_id}>" == message["Message-ID"]
    assert fresh(ContactTimeline, row.id).status == "sent"


def test_send_email_sends_html_as_an_alternative(app_ctx, smtp_server) -> None:
    send_email("pat@example.com", "Digest", "Plain text", "<p>HTML</p>")

    ((_sender, _recipients, message),) = smtp_server.messages
    assert message.get_body(("plain",)).get_content().strip() == "Plain text"
    assert message.get_body(("html",)).get_content().strip() == "<p>HTML</p>"


def test_starttls_is_required_when_asked_for(app, app_ctx, smtp_server, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)  # the test server offers no STARTTLS

    with pytest.raises(ChannelError) as refused:
        send_email("pat@example.com", "Digest", "Plain text")

    assert refused.value.code == "smtp_no_tls"
    assert smtp_server.messages == []


def test_an_unreachable_server_is_a_failure_with_its_next_retry(
    app, app_ctx, shop, customer, ro, template, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    row = due_row(customer, ro=ro, template=template, communication_method="email")

    assert dispatch_due(now=NOON)["retrying"] == 1

    current = fresh(ContactTimeline, row.id)
    assert current.error_code == "smtp_error" and current.scheduled_at == NOON + timedelta(minutes=5)
