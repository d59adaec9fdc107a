"""The webhook SMS provider against a local HTTP server: the POST arrives as JSON whose HMAC-SHA256 signature
verifies with the shared secret; a gateway slower than the timeout, or answering 5xx, is a failure with its
next retry; a 4xx is not retried."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from collisionos.domain.messaging import SIGNATURE_HEADER, signature_matches
from collisionos.models import ContactTimeline
from collisionos.services.messaging.dispatcher import dispatch_due
from tests.services.messaging.conftest import NOON, due_row, fresh, logs_for

SECRET = "shared-secret-for-tests"


class Gateway:
    """What the fake SMS gateway received, and how it should answer."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []  # (headers by lower-case name, body)
        self.status = 200
        self.answer: dict = {"id": "gw-123", "cost": "0.0075"}
        self.delay = 0.0


@pytest.fixture
def gateway(app, monkeypatch) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if state.delay:
                time.sleep(state.delay)  # a slow gateway: slower than the client's timeout
            payload = json.dumps(state.answer).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up already

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    for key, value in {
        "SMS_PROVIDER": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{server.server_address[1]}/sms",
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_TIMEOUT": 0.5,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_the_text_is_posted_signed_and_recorded_with_the_gateway_id_and_cost(
    app_ctx, gateway, shop, customer, ro, template
) -> None:
    row = due_row(customer, ro=ro, template=template, automation_trigger_id="hook-1")

    counts = dispatch_due(now=NOON)

    assert counts["sent"] == 1
    ((headers, body),) = gateway.requests
    assert headers["content-type"] == "application/json"
    assert signature_matches(SECRET, body, headers[SIGNATURE_HEADER.lower()])
    assert headers[SIGNATURE_HEADER.lower()].startswith("sha256=")
    assert not signature_matches("wrong-secret", body, headers[SIGNATURE_HEADER.lower()])
    payload = json.loads(body)
    assert payload["to"] == "416-555-0142" and payload["text"].startswith("Hi Jane, your Mazda is in repair.")
    assert (payload["timeline_id"], payload["customer_id"], payload["repair_order_id"]) == (row.id, customer.id, ro.id)
    (entry,) = logs_for(row.id)
    assert (entry.status, entry.external_message_id, entry.cost) == ("sent", "gw-123", Decimal("0.0075"))
    current = fresh(ContactTimeline, row.id)
    assert current.status == "sent" and current.external_system_id == "gw-123"
    assert "sent by text (webhook)" in current.notes


def test_a_gateway_slower_than_the_timeout_is_a_failure_with_its_next_retry(
    app_ctx, gateway, shop, customer, ro, template
) -> None:
    gateway.delay = 1.5  # the client's WEBHOOK_TIMEOUT is 0.5 s
    row = due_row(customer, ro=ro, template=template, automation_trigger_id="hook-2")

    counts = dispatch_due(now=NOON)

    assert counts["retrying"] == 1
    current = fresh(ContactTimeline, row.id)
    assert current.status == "pending" and current.error_code == "timeout"
    assert current.error_message == "The gateway did not answer within 0.5 s."
    assert current.retry_count == 1 and current.scheduled_at == NOON + timedelta(minutes=5)
    assert "next attempt 12:05" in current.notes
    (entry,) = logs_for(row.id)
    assert entry.status == "failed" and entry.last_error.startswith("timeout:")


@pytest.mark.parametrize(("status", "outcome", "retries"), [(503, "retrying", 1), (400, "failed", 0)])
def test_gateway_errors(app_ctx, gateway, shop, customer, ro, template, status, outcome, retries) -> None:
    gateway.status = status
    row = due_row(customer, ro=ro, template=template)

    assert dispatch_due(now=NOON)[outcome] == 1
    current = fresh(ContactTimeline, row.id)
    assert current.error_code == f"http_{status}" and current.retry_count == retries


def test_an_unsigned_webhook_is_never_sent(app, app_ctx, gateway, shop, customer, ro, template, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WEBHOOK_SECRET", "")
    row = due_row(customer, ro=ro, template=template)

    dispatch_due(now=NOON)

    assert gateway.requests == []
    assert fresh(ContactTimeline, row.id).error_code == "not_configured"
