"""The dispatcher: which rows are due, claims and leases, retries with backoff up to the limit (a failing
channel stub), the at-least-once recovery of an interrupted send, and one broken row not stopping the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import CommunicationLog, CommunicationTemplate, ContactTimeline
from collisionos.services.messaging import channels, dispatcher
from collisionos.services.messaging.dispatcher import LEASE, dispatch_due
from tests.services.messaging.conftest import NOON, due_row, fresh, logs_for


class FailingEmail:
    """An SMTP stand-in that fails the first ``failures`` sends, then accepts."""

    def __init__(self, failures: int, *, retryable: bool = True) -> None:
        self.failures, self.retryable, self.calls = failures, retryable, []

    def __call__(self, to: str, subject: str, text: str, html: str | None = None) -> str:
        self.calls.append((to, subject, text))
        if len(self.calls) <= self.failures:
            raise channels.ChannelError("smtp_error", "Email failed: 451 try later", retryable=self.retryable)
        return f"msg-{len(self.calls)}@example.com"


def test_a_failing_channel_is_retried_with_backoff_up_to_the_limit_then_failed_for_good(
    app_ctx, shop, customer, ro, template, monkeypatch
) -> None:
    stub = FailingEmail(failures=99)
    monkeypatch.setattr(channels, "send_email", stub)
    row = due_row(customer, ro=ro, template=template, communication_method="email", automation_trigger_id="t-1")
    now = NOON
    expected_waits = [timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]

    for attempt, wait in enumerate(expected_waits, start=1):
        assert dispatch_due(now=now)["retrying"] == 1
        current = fresh(ContactTimeline, row.id)
        assert current.status == "pending" and current.retry_count == attempt
        assert current.scheduled_at == now + wait  # the next retry time is visible
        assert current.error_code == "smtp_error" and current.error_message == "Email failed: 451 try later"
        assert f"failed (attempt {attempt} of 4)" in current.notes.splitlines()[-1]
        assert dispatch_due(now=now + wait - timedelta(seconds=1))["claimed"] == 0  # not before its time
        now += wait

    assert dispatch_due(now=now)["failed"] == 1
    final = fresh(ContactTimeline, row.id)
    assert final.status == "failed" and final.retry_count == 3
    assert "no retries left" in final.notes.splitlines()[-1]
    assert dispatch_due(now=now + timedelta(days=1))["claimed"] == 0
    attempts = logs_for(row.id)
    assert [(log.status, log.delivery_attempts) for log in attempts] == [("failed", n) for n in (1, 2, 3, 4)]
    assert all(log.last_error == "smtp_error: Email failed: 451 try later" for log in attempts)
    assert len(stub.calls) == 4


def test_a_retry_that_succeeds_records_the_send(app_ctx, shop, customer, ro, template, monkeypatch) -> None:
    monkeypatch.setattr(channels, "send_email", FailingEmail(failures=1))
    row = due_row(customer, ro=ro, template=template, communication_method="email", automation_trigger_id="t-2")

    dispatch_due(now=NOON)
    counts = dispatch_due(now=NOON + timedelta(minutes=5))

    assert counts["sent"] == 1
    current = fresh(ContactTimeline, row.id)
    assert (current.status, current.error_code, current.external_system_id) == ("sent", None, "msg-2@example.com")
    first, second = logs_for(row.id)
    assert first.status == "failed" and second.status == "sent"
    assert second.external_message_id == "msg-2@example.com" and second.sent_at == NOON + timedelta(minutes=5)
    assert second.subject == "Your 2022 Mazda CX-5" and second.recipient_email == "jane@example.com"
    assert fresh(CommunicationTemplate, template.id).sent_count == 1


def test_an_error_that_retrying_cannot_fix_fails_at_once(app_ctx, shop, customer, ro, template, monkeypatch) -> None:
    monkeypatch.setattr(channels, "send_email", FailingEmail(failures=1, retryable=False))
    row = due_row(customer, ro=ro, template=template, communication_method="email")

    assert dispatch_due(now=NOON)["failed"] == 1
    current = fresh(ContactTimeline, row.id)
    assert current.status == "failed" and current.retry_count == 0
    assert "not retried" in current.notes


def test_email_without_a_mail_server_fails_visibly_and_is_retried(
    app_ctx, shop, customer, ro, template, app, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    row = due_row(customer, ro=ro, template=template, communication_method="email")

    assert dispatch_due(now=NOON)["retrying"] == 1
    current = fresh(ContactTimeline, row.id)
    assert current.error_code == "not_configured" and "MAIL_SERVER is empty" in current.error_message


def test_only_due_rows_are_claimed(app_ctx, shop, customer, ro, template) -> None:
    due = due_row(customer, ro=ro, template=template, scheduled_at=NOON)
    later = due_row(customer, ro=ro, template=template, scheduled_at=NOON + timedelta(minutes=1))
    call = due_row(customer, ro=ro, template=template, communication_method="call")
    incoming = due_row(customer, ro=ro, template=template, direction="incoming", contact_type="inbound")
    done = due_row(customer, ro=ro, template=template, status="sent")
    leased = due_row(customer, ro=ro, template=template, claimed_by="other", claimed_until=NOON + timedelta(seconds=1))
    expired = due_row(customer, ro=ro, template=template, claimed_by="dead", claimed_until=NOON)

    counts = dispatch_due(now=NOON)

    assert counts["claimed"] == 2 and counts["queued"] == 2
    assert fresh(ContactTimeline, due.id).external_system_id.startswith("outbox:")
    assert fresh(ContactTimeline, expired.id).external_system_id.startswith("outbox:")
    for untouched in (later, call, incoming, done, leased):
        assert fresh(ContactTimeline, untouched.id).communication_log_id is None


def test_the_limit_caps_one_run(app_ctx, shop, customer, ro, template) -> None:
    for _ in range(7):
        due_row(customer, ro=ro, template=template)

    assert dispatch_due(now=NOON, limit=5)["queued"] == 5
    assert dispatch_due(now=NOON, limit=5)["queued"] == 2


def test_a_row_claimed_away_between_claim_and_send_is_skipped(
    app_ctx, shop, customer, ro, template, monkeypatch
) -> None:
    row = due_row(customer, ro=ro, template=template)
    original = dispatcher.claim_due

    def claim_then_lose(**kwargs):  # type: ignore[no-untyped-def]
        ids = original(**kwargs)
        if ids:  # another runner takes it over (its lease expired) before this one writes
            db.session.execute(sa.update(ContactTimeline).values(claimed_by="someone-else"))
            db.session.commit()
        return ids

    monkeypatch.setattr(dispatcher, "claim_due", claim_then_lose)

    assert dispatch_due(now=NOON)["skipped"] == 1
    assert fresh(ContactTimeline, row.id).communication_log_id is None


def test_a_send_interrupted_by_a_crash_is_counted_and_tried_again(
    app_ctx, shop, customer, ro, template, monkeypatch
) -> None:
    monkeypatch.setattr(channels, "send_email", FailingEmail(failures=0))
    row = due_row(customer, ro=ro, template=template, communication_method="email", automation_trigger_id="t-3")
    monkeypatch.setattr(dispatcher._Run, "_deliver", lambda self, attempt: None)  # the process "dies" mid-send
    dispatch_due(now=NOON)
    stuck = fresh(ContactTimeline, row.id)
    assert stuck.status == "pending" and logs_for(row.id)[0].status == "sending"
    monkeypatch.undo()
    monkeypatch.setattr(channels, "send_email", FailingEmail(failures=0))

    assert dispatch_due(now=NOON + timedelta(minutes=1))["claimed"] == 0  # the dead runner's lease still holds
    counts = dispatch_due(now=NOON + LEASE)

    assert counts["sent"] == 1
    first, second = logs_for(row.id)
    assert first.status == "failed" and first.last_error.startswith("interrupted while sending")
    assert second.status == "sent" and second.delivery_attempts == 2
    current = fresh(ContactTimeline, row.id)
    assert current.retry_count == 1 and "was interrupted" in current.notes


def test_one_broken_row_does_not_stop_the_batch(app_ctx, shop, customer, ro, template, monkeypatch) -> None:
    rows = [due_row(customer, ro=ro, template=template) for _ in range(3)]
    broken = rows[1].id
    original = dispatcher._Run._decide_row

    def decide(self, row):  # type: ignore[no-untyped-def]
        if row.id == broken:
            raise RuntimeError("bug")
        return original(self, row)

    monkeypatch.setattr(dispatcher._Run, "_decide_row", decide)

    counts = dispatch_due(now=NOON)

    assert counts["queued"] == 2 and counts["retrying"] == 1
    bad = fresh(ContactTimeline, broken)
    assert bad.error_code == "internal_error" and bad.scheduled_at == NOON + timedelta(minutes=5)
    assert bad.claimed_by is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommunicationLog)) == 2


@pytest.mark.parametrize("method", ["text", "email"])
def test_a_message_without_a_template_is_sent_as_written(app_ctx, shop, customer, method, monkeypatch) -> None:
    monkeypatch.setattr(channels, "send_email", FailingEmail(failures=0))
    row = due_row(customer, communication_method=method, subject="Your keys", message="Keys are at the front desk.")

    dispatch_due(now=NOON)

    (entry,) = logs_for(row.id)
    assert entry.message_content == "Keys are at the front desk."
    assert entry.channel == ("sms" if method == "text" else "email")
