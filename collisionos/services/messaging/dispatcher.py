"""Send every due message on the contact timeline, exactly once, recording each decision where staff see it.

A row is due when it is an outgoing text or email, ``pending``, scheduled at or before ``now`` (or not
scheduled), not in the Outbox already, and not claimed by a live runner (``claimed_until`` empty or past).

How "exactly once" holds:

1. **Claim.** In one short transaction a runner picks a batch of due rows and writes its name and a lease
   (``claimed_by``, ``claimed_until = now + LEASE``). PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``, so two
   runners take disjoint batches without waiting; SQLite: ``BEGIN IMMEDIATE`` serialises the claims.
2. **Decide and write.** In a second transaction the runner locks its rows again, keeps only those still
   claimed by it, and for each one decides (template active and approved, consent per channel and category,
   quiet hours and business hours, frequency cap, cooldown, duplicates, §5.11), renders it in the customer's
   language, and records the outcome. For the **outbox** provider the Outbox entry (a ``communication_log``
   row, status ``queued``) and the row's mark (``external_system_id = "outbox:<row id>"``) are written in this
   same transaction: a run killed at any point either wrote both or neither, and the restarted run (after
   the lease) picks up exactly the rows that have no entry. No duplicate, no loss.
3. **Send (email, webhook SMS).** The attempt is committed first (log row ``sending``, linked from the
   timeline row), then the message is sent outside any transaction, then the result is committed at once.
   This is *at least once*: if the process dies between the provider accepting a message and that last
   commit, the row is still pending with a ``sending`` log; once the lease expires the next run marks that
   log ``failed`` ("interrupted"), counts it as an attempt, and sends again. That window is one network call.

Deferrals move ``scheduled_at`` to the next allowed minute and release the claim (never dropped); refusals are
final (``failed`` with an error code such as ``opted_out``); failed sends are retried with backoff up to
``max_retries``, each attempt written to ``communication_log``. Every decision is appended to the row's notes.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import selectinload

from collisionos.domain import messaging as rules
from collisionos.domain.errors import DomainError
from collisionos.domain.settings import merged_settings
from collisionos.extensions import db
from collisionos.models import CommunicationLog, CommunicationTemplate, ContactTimeline, RepairOrder, Shop
from collisionos.services.messaging import channels
from collisionos.services.messaging.queue import recipient_of
from collisionos.services.messaging.templates import ChannelMessage, context_for, render_template
from collisionos.services.unit_of_work import begin_write

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
BATCH_SIZE = 50
LOCK_RETRIES = 6  # SQLite: each wait is the busy timeout (5 s)
OUTBOX_PREFIX = "outbox:"
# Log statuses that mean the message went out (or was handed to staff): they count for caps and cooldowns.
HANDED_OVER = ("queued", "sent", "delivered", "opened", "clicked", "replied")
COUNT_KEYS = ("claimed", "sent", "queued", "deferred", "suppressed", "retrying", "failed", "skipped")


def due_condition(now: datetime) -> sa.ColumnElement[bool]:
    """The rows the dispatcher may claim at ``now``."""
    row = ContactTimeline
    return sa.and_(
        row.status == "pending",
        row.direction == "outgoing",
        row.communication_method.in_(rules.SENDABLE_METHODS),
        sa.or_(row.scheduled_at.is_(None), row.scheduled_at <= now),
        sa.or_(row.claimed_until.is_(None), row.claimed_until <= now),
        sa.or_(row.external_system_id.is_(None), sa.not_(row.external_system_id.startswith(OUTBOX_PREFIX))),
    )


def default_runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _begin() -> None:
    """Start a write transaction; on SQLite, wait again if another writer kept the lock past the busy timeout
    (two dispatchers, or a long web request): the claim must wait its turn, not fail the run."""
    for attempt in range(LOCK_RETRIES):
        try:
            begin_write()
            return
        except OperationalError as error:
            db.session.rollback()
            if "locked" not in str(error.orig) or attempt == LOCK_RETRIES - 1:
                raise


def claim_due(*, now: datetime, claimant: str, size: int) -> list[int]:
    """Claim up to ``size`` due rows for ``claimant`` and commit; return their ids (oldest first)."""
    _begin()
    try:
        query = sa.select(ContactTimeline.id).where(due_condition(now)).order_by(ContactTimeline.id).limit(size)
        if _postgres():
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(query))
        if ids:
            db.session.execute(
                sa.update(ContactTimeline)
                .where(ContactTimeline.id.in_(ids))
                .values(claimed_until=now + LEASE, claimed_by=claimant)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ids


def dispatch_due(*, now: datetime, limit: int = 500, runner: str | None = None) -> dict[str, int]:
    """Send up to ``limit`` due timeline rows; return what happened to them (counts by outcome).

    Safe to run in several processes at once: each row is claimed by one runner (see the module notes).
    """
    claimant = f"{runner or default_runner()}/{secrets.token_hex(4)}"[:100]
    run = _Run(now=now, claimant=claimant)
    while run.counts["claimed"] < limit:
        ids = claim_due(now=now, claimant=claimant, size=min(BATCH_SIZE, limit - run.counts["claimed"]))
        if not ids:
            break
        run.counts["claimed"] += len(ids)
        run.process(ids)
    return run.counts


@dataclass
class _Attempt:
    """A message to hand to an outside provider once its attempt is committed."""

    row_id: int
    entry: CommunicationLog  # its id is known once the batch is flushed
    channel: str
    address: str
    message: ChannelMessage
    shop_id: int
    customer_id: int
    repair_order_id: int | None
    log_id: int = 0


@dataclass(frozen=True)
class _ShopRules:
    zone: ZoneInfo
    quiet_hours: dict
    # Held for the whole run so the session's identity map keeps it: rendering needs the shop for every message.
    shop: Shop | None = None


class _Run:
    def __init__(self, *, now: datetime, claimant: str) -> None:
        self.now = now
        self.claimant = claimant
        self.counts = dict.fromkeys(COUNT_KEYS, 0)
        self._shops: dict[int, _ShopRules] = {}
        self._contexts: dict[tuple[str, int], Any] = {}
        self._provider: channels.SmsProvider | None = None

    # --- batches ---------------------------------------------------------------------------------------
    def process(self, ids: Sequence[int]) -> None:
        """Decide and write a claimed batch in one transaction; if one row breaks it, go row by row."""
        try:
            outcomes, attempts = self._decide(ids)
        except Exception:
            db.session.rollback()
            if len(ids) == 1:
                log.exception("Message %s could not be handled", ids[0])
                self._internal_error(ids[0])
                return
            for row_id in ids:
                self.process([row_id])
            return
        for outcome in outcomes:
            self.counts[outcome] += 1
        for attempt in attempts:
            self._deliver(attempt)

    def _decide(self, ids: Sequence[int]) -> tuple[list[str], list[_Attempt]]:
        _begin()
        query = (
            sa.select(ContactTimeline)
            .where(
                ContactTimeline.id.in_(ids),
                ContactTimeline.claimed_by == self.claimant,
                ContactTimeline.status == "pending",
            )
            .options(
                selectinload(ContactTimeline.customer),
                selectinload(ContactTimeline.template),
                selectinload(ContactTimeline.communication_log),
                selectinload(ContactTimeline.repair_order).selectinload(RepairOrder.vehicle_profile),
            )
            .order_by(ContactTimeline.id)
            .execution_options(populate_existing=True)
        )
        if _postgres():
            query = query.with_for_update(of=ContactTimeline)
        rows = list(db.session.scalars(query))
        outcomes = ["skipped"] * (len(ids) - len(rows))
        attempts: list[_Attempt] = []
        # One flush for the batch: the lookups made while deciding must not flush row by row.
        with db.session.no_autoflush:
            for row in rows:
                result = self._decide_row(row)
                if isinstance(result, _Attempt):
                    attempts.append(result)
                else:
                    outcomes.append(result)
        db.session.flush()
        for attempt in attempts:
            attempt.log_id = attempt.entry.id
        db.session.commit()
        return outcomes, attempts

    # --- one row ---------------------------------------------------------------------------------------
    def _decide_row(self, row: ContactTimeline) -> str | _Attempt:
        if (row.external_system_id or "").startswith(OUTBOX_PREFIX):
            return "skipped"
        shop = self._shop(row.shop_id)
        if row.communication_log is not None and row.communication_log.status == "sending":
            interrupted = self._interrupted(row, shop)
            if interrupted:
                return interrupted
        channel = rules.CHANNEL_FOR_METHOD[row.communication_method]
        template = row.template
        customer = row.customer
        if template is not None:
            if template.status != "active":
                return self._suppress(
                    row,
                    shop,
                    "template_inactive",
                    f"suppressed: template {template.template_code} is {template.status}",
                )
            if template.requires_approval and template.approved_by is None:
                return self._suppress(
                    row, shop, "not_approved", f"suppressed: template {template.template_code} is not approved yet"
                )
        try:
            message = self._message(row, channel)
        except DomainError as error:
            return self._fail(row, shop, "template_error", f"failed: {error}")
        row.subject = (message.subject or row.subject or "")[:500] or None
        row.message = message.text
        row.customer_language = message.language
        if not message.text.strip():
            return self._fail(row, shop, "empty_message", f"failed: the {channel} message is empty")
        category = template.category if template is not None else "other"
        recipient = recipient_of(customer)
        refusal = rules.consent_refusal(channel, category, recipient)
        if refusal is not None:
            row.consent_verified = False
            return self._suppress(row, shop, refusal.code, refusal.text)
        row.consent_verified = True
        if template is not None:
            frequency = rules.FrequencyRules(
                template.max_frequency, template.cooldown_minutes or 0, bool(template.suppress_duplicates)
            )
            if frequency.needs_history:
                decision = rules.frequency_decision(frequency, self._history(row), message.text, self.now, shop.zone)
                if decision.action == "suppress":
                    return self._suppress(row, shop, decision.code, decision.text)
                if decision.action == "defer":
                    return self._defer(row, shop, decision)
        try:
            window = rules.send_window(
                channel,
                quiet_hours=shop.quiet_hours,
                business_hours_only=bool(template.business_hours_only) if template else False,
                working_days=template.working_days if template else None,
                start_time=template.start_time if template else None,
                end_time=template.end_time if template else None,
            )
            decision = rules.window_decision(channel, self.now, shop.zone, window)
        except DomainError as error:
            return self._suppress(row, shop, "no_send_window", f"suppressed: {error}")
        row.respected_quiet_hours = True
        if decision.action == "defer":
            return self._defer(row, shop, decision)
        address = recipient.phone if channel == "sms" else recipient.email
        if channel == "sms":
            row.contact_phone = (address or "")[:20] or None
        else:
            row.contact_email = address
        if channel == "sms" and self.provider.queues_for_staff:
            return self._queue_in_outbox(row, shop, message, address or "")
        return self._start_attempt(row, shop, message, channel, address or "")

    def _message(self, row: ContactTimeline, channel: str) -> ChannelMessage:
        customer = row.customer
        if row.template is None:
            language = rules.normalise_language(row.customer_language or customer.preferred_language) or "en"
            return ChannelMessage(channel, language, row.subject or "", row.message or "")
        record = row.repair_order if row.repair_order is not None else customer
        key = ("ro" if record is row.repair_order else "customer", record.id)
        if key not in self._contexts:  # one run sees one state of the records: build each context once
            self._contexts[key] = context_for(record)
        rendered = render_template(row.template, customer.preferred_language, self._contexts[key])
        return rendered.for_channel(channel)

    def _history(self, row: ContactTimeline) -> list[rules.PastSend]:
        db.session.flush()  # this batch's earlier messages count too
        sent = CommunicationLog
        same_ro = (
            sent.repair_order_id.is_(None)
            if row.repair_order_id is None
            else sent.repair_order_id == row.repair_order_id
        )
        rows = db.session.execute(
            sa.select(sa.func.coalesce(sent.sent_at, sent.created_at), sent.message_content).where(
                sent.shop_id == row.shop_id,
                sent.customer_id == row.customer_id,
                sent.template_id == row.template_id,
                same_ro,
                sent.direction == "sent",
                sent.status.in_(HANDED_OVER),
            )
        )
        return [rules.PastSend(at, content) for at, content in rows]

    # --- outcomes --------------------------------------------------------------------------------------
    def _note(self, row: ContactTimeline, shop: _ShopRules, text: str) -> None:
        line = f"{self.now.astimezone(shop.zone):%Y-%m-%d %H:%M} {text}"
        row.notes = f"{row.notes}\n{line}" if row.notes else line

    def _release(self, row: ContactTimeline) -> None:
        row.claimed_until = None
        row.claimed_by = None

    def _defer(self, row: ContactTimeline, shop: _ShopRules, decision: rules.Decision) -> str:
        row.scheduled_at = decision.until
        self._note(row, shop, decision.text)
        self._release(row)
        return "deferred"

    def _suppress(self, row: ContactTimeline, shop: _ShopRules, code: str, text: str) -> str:
        row.status = "failed"
        row.error_code = code[:50]
        row.error_message = text
        row.attempted_at = self.now
        self._note(row, shop, text)
        self._release(row)
        return "suppressed"

    def _fail(self, row: ContactTimeline, shop: _ShopRules, code: str, text: str) -> str:
        row.status = "failed"
        row.error_code = code[:50]
        row.error_message = text
        row.attempted_at = self.now
        self._note(row, shop, text)
        self._release(row)
        return "failed"

    def _new_log(
        self, row: ContactTimeline, message: ChannelMessage, channel: str, address: str, status: str
    ) -> CommunicationLog:
        entry = CommunicationLog(
            shop_id=row.shop_id,
            customer_id=row.customer_id,
            repair_order_id=row.repair_order_id,
            template_id=row.template_id,
            communication_type="automated" if row.source_channel == "system" else "outbound",
            channel=channel,
            direction="sent",
            recipient_type="customer",
            recipient_name=(row.contact_name or row.customer.full_name or None),
            recipient_phone=address[:20] if channel == "sms" else None,
            recipient_email=address if channel == "email" else None,
            subject=(message.subject or "")[:200] or None,
            message_content=message.text,
            message_html=message.html,
            status=status,
            delivery_status="pending",
            delivery_attempts=0 if status == "queued" else row.retry_count + 1,
            max_delivery_attempts=1 if status == "queued" else row.max_retries + 1,
            scheduled_at=row.scheduled_at,
            priority=row.priority or "normal",
            is_automated=row.source_channel == "system",
            trigger_event=row.automation_trigger_id,
            campaign_id=(row.campaign_id or "")[:50] or None,
            requires_consent=True,
            consent_received=True,
            cost=Decimal("0"),
            created_by=row.user_id,
            created_at=self.now,
            updated_at=self.now,
        )
        db.session.add(entry)
        row.communication_log = entry
        row.attempted_at = self.now
        return entry

    def _queue_in_outbox(self, row: ContactTimeline, shop: _ShopRules, message: ChannelMessage, address: str) -> str:
        """Write the Outbox entry and mark the row in the caller's transaction: both or neither."""
        entry = self._new_log(row, message, "sms", address, "queued")
        # The outbox's message id names the timeline row: known before the insert, so the entry and the row's
        # mark are written by the same flush of the same transaction.
        entry.external_message_id = row.external_system_id = f"{OUTBOX_PREFIX}{row.id}"
        row.error_code = None
        row.error_message = None
        self._note(row, shop, f"in the Outbox for staff to text {address} by hand: NOT sent yet")
        self._release(row)
        return "queued"

    def _start_attempt(
        self, row: ContactTimeline, shop: _ShopRules, message: ChannelMessage, channel: str, address: str
    ) -> _Attempt:
        entry = self._new_log(row, message, channel, address, "sending")
        return _Attempt(
            row_id=row.id,
            entry=entry,
            channel=channel,
            address=address,
            message=message,
            shop_id=row.shop_id,
            customer_id=row.customer_id,
            repair_order_id=row.repair_order_id,
        )

    def _interrupted(self, row: ContactTimeline, shop: _ShopRules) -> str | None:
        """A previous run died while sending this row: count that attempt, then retry (or give up)."""
        entry = row.communication_log
        entry.status = "failed"
        entry.delivery_status = "unknown"
        entry.error_count = (entry.error_count or 0) + 1
        entry.last_error = "interrupted while sending: the message may or may not have gone out"
        if row.retry_count >= row.max_retries:
            return self._fail(row, shop, "interrupted", "failed: interrupted while sending, no retries left")
        row.retry_count += 1
        self._note(row, shop, f"attempt {row.retry_count} was interrupted while sending: trying again")
        return None

    # --- outside providers -----------------------------------------------------------------------------
    @property
    def provider(self) -> channels.SmsProvider:
        if self._provider is None:
            self._provider = channels.sms_provider()
        return self._provider

    def _deliver(self, attempt: _Attempt) -> None:
        """Send one committed attempt, then commit its result at once."""
        try:
            if attempt.channel == "email":
                message = attempt.message
                delivery = channels.Delivery(
                    channels.send_email(attempt.address, message.subject, message.text, message.html)
                )
            else:
                delivery = self.provider.send(
                    channels.OutgoingText(
                        to=attempt.address,
                        text=attempt.message.text,
                        shop_id=attempt.shop_id,
                        timeline_id=attempt.row_id,
                        customer_id=attempt.customer_id,
                        repair_order_id=attempt.repair_order_id,
                        language=attempt.message.language,
                    )
                )
        except channels.ChannelError as error:
            self._record(attempt, None, error)
        except Exception as error:  # noqa: BLE001 (a provider bug is a failed attempt, not a stopped run)
            log.exception("Sending message %s failed unexpectedly", attempt.row_id)
            self._record(attempt, None, channels.ChannelError("internal_error", f"unexpected error: {error}"))
        else:
            self._record(attempt, delivery, None)

    def _record(
        self, attempt: _Attempt, delivery: channels.Delivery | None, error: channels.ChannelError | None
    ) -> None:
        _begin()
        try:
            row = db.session.scalars(
                sa.select(ContactTimeline)
                .where(ContactTimeline.id == attempt.row_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            entry = db.session.get(CommunicationLog, attempt.log_id, populate_existing=True)
            shop = self._shop(row.shop_id)
            if delivery is not None:
                outcome = self._sent(row, entry, shop, attempt, delivery)
            else:
                outcome = self._failed_attempt(row, entry, shop, attempt, error)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        self.counts[outcome] += 1

    def _sent(
        self,
        row: ContactTimeline,
        entry: CommunicationLog,
        shop: _ShopRules,
        attempt: _Attempt,
        delivery: channels.Delivery,
    ) -> str:
        entry.status = "sent"
        entry.sent_at = self.now
        entry.external_message_id = delivery.provider_id[:100]
        entry.cost = delivery.cost
        row.status = "sent"
        row.external_system_id = delivery.provider_id[:100]
        row.cost = delivery.cost
        row.error_code = None
        row.error_message = None
        by = "email" if attempt.channel == "email" else f"text ({self.provider.name})"
        self._note(row, shop, f"sent by {by} to {attempt.address}")
        self._release(row)
        if row.template_id is not None:
            db.session.execute(
                sa.update(CommunicationTemplate)
                .where(CommunicationTemplate.id == row.template_id)
                .values(sent_count=CommunicationTemplate.sent_count + 1)
                .execution_options(synchronize_session=False)
            )
        return "sent"

    def _failed_attempt(
        self,
        row: ContactTimeline,
        entry: CommunicationLog,
        shop: _ShopRules,
        attempt: _Attempt,
        error: channels.ChannelError | None,
    ) -> str:
        error = error or channels.ChannelError("internal_error", "unknown error")
        entry.status = "failed"
        entry.delivery_status = "failed"
        entry.error_count = (entry.error_count or 0) + 1
        entry.last_error = f"{error.code}: {error.message}"
        row.error_code = error.code[:50]
        row.error_message = error.message
        attempt_number, attempts_allowed = row.retry_count + 1, row.max_retries + 1
        retry = rules.retry_at(self.now, row.retry_count, row.max_retries) if error.retryable else None
        self._release(row)
        if retry is None:
            row.status = "failed"
            left = "no retries left" if error.retryable else "not retried"
            self._note(row, shop, f"failed (attempt {attempt_number} of {attempts_allowed}, {left}): {error.message}")
            return "failed"
        row.retry_count += 1
        row.scheduled_at = retry
        when = rules.local_label(retry, self.now, shop.zone)
        self._note(
            row, shop, f"failed (attempt {attempt_number} of {attempts_allowed}): {error.message}; next attempt {when}"
        )
        return "retrying"

    def _internal_error(self, row_id: int) -> None:
        """A row that breaks its own transaction: keep it visible and retry it later, like a failed send."""
        _begin()
        try:
            row = db.session.scalars(
                sa.select(ContactTimeline)
                .where(ContactTimeline.id == row_id, ContactTimeline.claimed_by == self.claimant)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one_or_none()
            if row is None:
                db.session.rollback()
                self.counts["skipped"] += 1
                return
            shop = self._shop(row.shop_id)
            retry = rules.retry_at(self.now, row.retry_count, row.max_retries)
            row.error_code = "internal_error"
            row.error_message = "CollisionOS could not prepare this message (see the server log)."
            self._release(row)
            if retry is None:
                row.status = "failed"
                self._note(row, shop, "failed: could not be prepared, no retries left")
                outcome = "failed"
            else:
                row.retry_count += 1
                row.scheduled_at = retry
                self._note(
                    row, shop, f"could not be prepared; next attempt {rules.local_label(retry, self.now, shop.zone)}"
                )
                outcome = "retrying"
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        self.counts[outcome] += 1

    # --- shop rules ------------------------------------------------------------------------------------
    def _shop(self, shop_id: int) -> _ShopRules:
        if shop_id not in self._shops:
            shop = db.session.get(Shop, shop_id)
            try:
                zone = ZoneInfo((shop.timezone if shop else None) or "America/Toronto")
            except (KeyError, ValueError):
                zone = ZoneInfo("America/Toronto")
            settings = merged_settings(shop.settings if shop else None)
            quiet = settings.get("quietHours") if isinstance(settings.get("quietHours"), dict) else {}
            self._shops[shop_id] = _ShopRules(zone=zone, quiet_hours=dict(quiet), shop=shop)
        return self._shops[shop_id]
