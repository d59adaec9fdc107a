"""The channels a message leaves by: email over SMTP, and SMS through a provider.

SMS providers (``SMS_PROVIDER``):

- ``outbox`` (default): nothing is sent. The text waits in the admin's Outbox until staff send it from the
  shop's phone and click "Mark sent"; it is never reported as sent before that.
- ``webhook``: the text is POSTed as JSON to ``WEBHOOK_URL``, signed with HMAC-SHA256 of the body under
  ``WEBHOOK_SECRET`` in ``X-CollisionOS-Signature: sha256=<hex>``; the gateway answers 2xx (optionally
  ``{"id": "...", "cost": "0.0075"}``). Anything else, or no answer within ``WEBHOOK_TIMEOUT``, is a failure.

Settings come from ``current_app.config`` (collisionos/config.py). Failures raise :class:`ChannelError`
with a short code the timeline shows (``timeout``, ``http_503``, ``smtp_refused`` ...).
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import current_app

from collisionos.domain.messaging import SIGNATURE_HEADER, sign_payload


class ChannelError(Exception):
    """A send that did not go through; ``retryable`` is False when trying again cannot help."""

    def __init__(self, code: str, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Delivery:
    """A message the provider accepted."""

    provider_id: str
    cost: Decimal = Decimal("0")


# --- email ---------------------------------------------------------------------------------------------
def _sender(config: Any) -> str:
    return config.get("MAIL_DEFAULT_SENDER") or config.get("MAIL_USERNAME") or "collisionos@localhost"


def send_email(to: str, subject: str, text: str, html: str | None = None) -> str:
    """Send one email through the configured SMTP server and return its Message-ID.

    ``MAIL_USE_SSL`` connects with implicit TLS (port 465); otherwise ``MAIL_USE_TLS`` upgrades with
    STARTTLS (and refuses to go on in clear text if the server cannot). ``MAIL_USERNAME`` logs in.
    """
    config = current_app.config
    host = config.get("MAIL_SERVER") or ""
    if not host:
        raise ChannelError("not_configured", "Email is not set up: MAIL_SERVER is empty.")
    message = EmailMessage()
    sender = _sender(config)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message_id = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Message-ID"] = message_id
    message.set_content(text or "")
    if html:
        message.add_alternative(html, subtype="html")
    port = int(config.get("MAIL_PORT") or 0)
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    try:
        if config.get("MAIL_USE_SSL"):
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port or 465, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port or 587, timeout=timeout)
        with client:
            if not config.get("MAIL_USE_SSL") and config.get("MAIL_USE_TLS"):
                client.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            client.send_message(message)
    except TimeoutError as error:
        raise ChannelError("timeout", f"The mail server did not answer within {timeout:g} s.") from error
    except smtplib.SMTPRecipientsRefused as error:
        raise ChannelError("smtp_refused", f"The mail server refused {to}.", retryable=False) from error
    except smtplib.SMTPAuthenticationError as error:
        raise ChannelError("smtp_auth", "The mail server refused the login (check MAIL_USERNAME).") from error
    except smtplib.SMTPNotSupportedError as error:
        raise ChannelError("smtp_no_tls", "The mail server does not offer STARTTLS (MAIL_USE_TLS is on).") from error
    except (smtplib.SMTPException, OSError) as error:
        raise ChannelError("smtp_error", f"Email failed: {error}") from error
    return message_id.strip("<>")


# --- SMS -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutgoingText:
    to: str
    text: str
    shop_id: int
    timeline_id: int
    customer_id: int | None = None
    repair_order_id: int | None = None
    language: str | None = None


class SmsProvider(Protocol):
    name: str
    # True: the provider only queues the text for staff (the dispatcher records it in the Outbox).
    queues_for_staff: bool

    def send(self, message: OutgoingText) -> Delivery: ...


class OutboxProvider:
    """Texts wait for staff to send them by hand: nothing leaves CollisionOS."""

    name = "outbox"
    queues_for_staff = True

    def send(self, message: OutgoingText) -> Delivery:
        raise ChannelError("outbox", "The outbox provider does not send: staff send the text by hand.", retryable=False)


class WebhookProvider:
    """POST the text as signed JSON to the shop's SMS gateway."""

    name = "webhook"
    queues_for_staff = False

    def __init__(self, url: str, secret: str, timeout: float) -> None:
        self.url, self.secret, self.timeout = url, secret, timeout

    def send(self, message: OutgoingText) -> Delivery:
        payload = {
            "id": str(uuid.uuid4()),
            "channel": "sms",
            "to": message.to,
            "text": message.text,
            "language": message.language,
            "shop_id": message.shop_id,
            "timeline_id": message.timeline_id,
            "customer_id": message.customer_id,
            "repair_order_id": message.repair_order_id,
        }
        answer = post_signed(self.url, payload, secret=self.secret, timeout=self.timeout)
        provider_id = str(answer.get("id") or payload["id"])[:100]
        return Delivery(provider_id=provider_id, cost=_cost(answer.get("cost")))


def _cost(value: Any) -> Decimal:
    try:
        cost = Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")
    return cost if cost.is_finite() and cost >= 0 else Decimal("0")


def post_signed(url: str, payload: dict[str, Any], *, secret: str, timeout: float) -> dict[str, Any]:
    """POST ``payload`` as JSON with its HMAC-SHA256 signature; return the JSON answer ({} when there is none)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ChannelError("not_configured", "WEBHOOK_URL must be an http:// or https:// address.", retryable=False)
    if not secret:
        raise ChannelError("not_configured", "WEBHOOK_SECRET is empty: webhook messages must be signed.")
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "CollisionOS",
            SIGNATURE_HEADER: sign_payload(secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read(65536)
    except urllib.error.HTTPError as error:
        retryable = error.code >= 500 or error.code in (408, 429)
        raise ChannelError(
            f"http_{error.code}", f"The gateway answered HTTP {error.code}.", retryable=retryable
        ) from None
    except TimeoutError as error:
        raise ChannelError("timeout", f"The gateway did not answer within {timeout:g} s.") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise ChannelError("timeout", f"The gateway did not answer within {timeout:g} s.") from error
        raise ChannelError("unreachable", f"The gateway cannot be reached: {error.reason}") from error
    except OSError as error:
        raise ChannelError("unreachable", f"The gateway cannot be reached: {error}") from error
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def sms_provider() -> SmsProvider:
    """The provider named by ``SMS_PROVIDER`` (``outbox`` unless set)."""
    config = current_app.config
    name = (config.get("SMS_PROVIDER") or "outbox").lower()
    if name == "webhook":
        return WebhookProvider(
            config.get("WEBHOOK_URL") or "",
            config.get("WEBHOOK_SECRET") or "",
            float(config.get("WEBHOOK_TIMEOUT") or 10),
        )
    if name != "outbox":
        current_app.logger.warning("SMS_PROVIDER=%r is unknown: texts go to the outbox.", name)
    return OutboxProvider()
