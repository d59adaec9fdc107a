"""Customer messaging rules (DOMAIN.md §5.11, §3.8): which channel, whether the customer agreed to it,
when a message may go out, in which language, how often, how retries back off, and how webhooks are signed.

Pure functions over values: the dispatcher loads the rows, asks these rules, and writes what they decide.
Every refusal carries the visible text the customer's timeline shows ("deferred: quiet hours until 08:00").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from collisionos.domain.errors import ValidationError

# --- channels ------------------------------------------------------------------------------------------
# Channels the dispatcher sends by itself; a call is a task for staff (its script is on the timeline).
SENDABLE_CHANNELS = ("sms", "email")
CHANNEL_FOR_METHOD = {"text": "sms", "email": "email", "call": "phone", "portal": "portal"}
METHOD_FOR_CHANNEL = {channel: method for method, channel in CHANNEL_FOR_METHOD.items()}
SENDABLE_METHODS = tuple(METHOD_FOR_CHANNEL[channel] for channel in SENDABLE_CHANNELS)

# Default channels per template category (§5.11, ref), used when a template lists none or says "auto".
DEFAULT_CHANNELS: dict[str, tuple[str, ...]] = {
    "status_update": ("sms", "email"),
    "parts_arrival": ("sms",),
    "quality_issue": ("phone", "email"),
    "delay_notification": ("sms", "email"),
    "completion_notice": ("sms", "email"),
    "pickup_ready": ("sms", "phone"),
    "delivery_reminder": ("sms",),
    "payment_reminder": ("email", "sms"),
    "satisfaction_survey": ("email",),
    "warranty_notice": ("email",),
    "appointment_confirmation": ("sms", "email"),
    "estimate_approval": ("email",),
    "insurance_communication": ("email",),
    "emergency_contact": ("phone", "sms"),
    "marketing": ("email",),
    "other": ("email",),
}
MARKETING_CATEGORIES = frozenset({"marketing"})
# Channels a customer can be reached on, in the order we try them for each preferred contact. "phone" means
# "reach me on my phone": a text when they agreed to texts (it arrives without staff), else a call.
PREFERENCE_ORDER: dict[str, tuple[str, ...]] = {
    "sms": ("sms", "phone", "email"),
    "phone": ("sms", "phone", "email"),
    "email": ("email", "sms", "phone"),
    "mail": ("email", "sms", "phone"),
}


@dataclass(frozen=True)
class Recipient:
    """What the customer agreed to and where they can be reached."""

    phone: str | None
    email: str | None
    sms_opt_in: bool
    email_opt_in: bool
    marketing_opt_in: bool
    preferred_contact: str | None = None


@dataclass(frozen=True)
class Decision:
    """What to do with a due message now: send it, defer it to ``until``, or suppress it for good."""

    action: str  # "send", "defer", "suppress"
    code: str = ""
    text: str = ""
    until: datetime | None = None

    @property
    def sends(self) -> bool:
        return self.action == "send"


SEND = Decision("send")


def template_channels(category: str | None, channels: Sequence[str] | None, preferred: str | None) -> list[str]:
    """The template's channels (its preferred one first), or the category's defaults when it lists none."""
    listed = [c for c in (channels or []) if c in ("sms", "email", "phone", "push", "portal")]
    if not listed:
        listed = list(DEFAULT_CHANNELS.get(category or "other", ("email",)))
    if preferred and preferred != "auto" and preferred in listed:
        listed.remove(preferred)
        listed.insert(0, preferred)
    return listed


def consent_refusal(channel: str, category: str | None, recipient: Recipient) -> Decision | None:
    """Why ``recipient`` may not get a ``category`` message on ``channel`` (§5.11), or None when they may."""
    if category in MARKETING_CATEGORIES and not recipient.marketing_opt_in:
        return Decision("suppress", "no_marketing_consent", "suppressed: no consent to marketing messages")
    if channel == "sms":
        if not recipient.phone:
            return Decision("suppress", "no_address", "suppressed: no mobile or phone number for SMS")
        if not recipient.sms_opt_in:
            return Decision("suppress", "opted_out", "suppressed: opted out of SMS")
    elif channel == "email":
        if not recipient.email:
            return Decision("suppress", "no_address", "suppressed: no email address")
        if not recipient.email_opt_in:
            return Decision("suppress", "opted_out", "suppressed: opted out of email")
    elif channel == "phone":
        if not recipient.phone:
            return Decision("suppress", "no_address", "suppressed: no phone number to call")
    else:
        return Decision("suppress", "unsupported_channel", f"suppressed: {channel} messages cannot be sent")
    return None


def choose_channel(candidates: Sequence[str], category: str | None, recipient: Recipient) -> str:
    """The channel to use: the customer's preferred contact first, among the template's channels, that the
    customer agreed to. When none is allowed, the first candidate (the dispatcher then records why it is not sent).
    """
    usable = [c for c in candidates if c in ("sms", "email", "phone")] or ["email"]
    order = PREFERENCE_ORDER.get(recipient.preferred_contact or "phone", PREFERENCE_ORDER["phone"])
    ranked = sorted(usable, key=lambda c: (order.index(c), usable.index(c)))
    for channel in ranked:
        if consent_refusal(channel, category, recipient) is None:
            return channel
    return ranked[0]


# --- send windows: quiet hours and business hours -----------------------------------------------------
QUIET_CHANNELS = frozenset({"sms", "phone", "push"})
DEFAULT_QUIET_START, DEFAULT_QUIET_END = time(21, 0), time(8, 0)
# The reference's automation business hours, when a template asks for business hours without its own.
DEFAULT_BUSINESS_START, DEFAULT_BUSINESS_END = time(8, 0), time(18, 0)
DEFAULT_WORKING_DAYS = (1, 2, 3, 4, 5)  # JS weekday numbers: 0 = Sunday


def parse_clock(value: str | time | None, default: time) -> time:
    """An "HH:MM" setting as a time; the default when it is missing or unreadable."""
    if isinstance(value, time):
        return value
    try:
        hours, minutes = str(value).split(":")[:2]
        return time(int(hours), int(minutes))
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class SendWindow:
    """When a message may go out, in shop local time."""

    quiet_start: time | None = None  # no quiet hours when None
    quiet_end: time | None = None
    business_only: bool = False
    working_days: frozenset[int] = field(default_factory=lambda: frozenset(DEFAULT_WORKING_DAYS))
    start: time = DEFAULT_BUSINESS_START
    end: time = DEFAULT_BUSINESS_END

    def quiet_at(self, clock: time) -> bool:
        start, end = self.quiet_start, self.quiet_end
        if start is None or end is None or start == end:
            return False
        if start > end:  # wraps midnight, e.g. 21:00-08:00
            return clock >= start or clock < end
        return start <= clock < end

    def business_at(self, local: datetime) -> bool:
        if not self.business_only:
            return True
        if local.isoweekday() % 7 not in self.working_days:
            return False
        clock = local.time()
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def allows(self, local: datetime) -> bool:
        return not self.quiet_at(local.time()) and self.business_at(local)


def send_window(
    channel: str,
    *,
    quiet_hours: Mapping[str, str] | None = None,
    business_hours_only: bool = False,
    working_days: Iterable[int] | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
) -> SendWindow:
    """The window for ``channel``: quiet hours (texts and calls only) and the template's business hours."""
    quiet_start = quiet_end = None
    if channel in QUIET_CHANNELS:
        quiet = quiet_hours or {}
        quiet_start = parse_clock(quiet.get("start"), DEFAULT_QUIET_START)
        quiet_end = parse_clock(quiet.get("end"), DEFAULT_QUIET_END)
    days = DEFAULT_WORKING_DAYS if working_days is None else working_days
    return SendWindow(
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        business_only=business_hours_only,
        working_days=frozenset(int(d) % 7 for d in days),
        start=start_time or DEFAULT_BUSINESS_START,
        end=end_time or DEFAULT_BUSINESS_END,
    )


def next_allowed(now: datetime, zone: ZoneInfo, window: SendWindow) -> datetime | None:
    """The first minute at or after ``now`` when ``window`` allows sending (UTC), or None when it allows now.

    Windows open only at midnight, at the end of quiet hours or at the start of business hours, so the
    answer is the earliest of those moments (over the next eight days) that the window allows.
    """
    if window.allows(now.astimezone(zone)):
        return None
    today = now.astimezone(zone).date()
    openings = {time(0, 0), window.start}
    if window.quiet_end is not None:
        openings.add(window.quiet_end)
    best: datetime | None = None
    for offset in range(9):
        day = today + timedelta(days=offset)
        for clock in openings:
            moment = datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
            if moment > now and window.allows(moment.astimezone(zone)) and (best is None or moment < best):
                best = moment
        if best is not None:
            return best
    raise ValidationError(
        "This message can never be sent: the template allows no day or hour (check its working days and hours).",
        rule="no_send_window",
    )


def local_label(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """``08:00`` when it is later today (shop time), else ``Mon 08:00``, or ``2026-11-14 08:00`` beyond a week."""
    local, today = moment.astimezone(zone), now.astimezone(zone)
    if local.date() == today.date():
        return f"{local:%H:%M}"
    if (local.date() - today.date()).days < 7:
        return f"{local:%a %H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def window_decision(channel: str, now: datetime, zone: ZoneInfo, window: SendWindow) -> Decision:
    """Send now, or defer to the next allowed minute (never drop): quiet hours first, then business hours."""
    until = next_allowed(now, zone, window)
    if until is None:
        return SEND
    local = now.astimezone(zone)
    reason = "quiet hours" if window.quiet_at(local.time()) else "outside the template's business hours"
    code = "quiet_hours" if reason == "quiet hours" else "business_hours"
    return Decision("defer", code, f"deferred: {reason} until {local_label(until, now, zone)}", until)


# --- frequency caps, cooldowns, duplicates ------------------------------------------------------------
FREQUENCY_WINDOWS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass(frozen=True)
class FrequencyRules:
    max_frequency: str | None = "unlimited"
    cooldown_minutes: int = 0
    suppress_duplicates: bool = True

    @property
    def needs_history(self) -> bool:
        return (self.max_frequency or "unlimited") != "unlimited" or self.cooldown_minutes > 0


@dataclass(frozen=True)
class PastSend:
    """A message of the same template already sent (or handed to staff) to the same customer and RO."""

    at: datetime
    content: str | None


def frequency_decision(
    rules: FrequencyRules, history: Sequence[PastSend], content: str | None, now: datetime, zone: ZoneInfo
) -> Decision:
    """Apply the template's max_frequency, duplicate suppression and cooldown (§5.11, per customer + RO)."""
    if not history:
        return SEND
    last = max(past.at for past in history)
    last_label = local_label(last, now, zone)
    cap = rules.max_frequency or "unlimited"
    if cap == "once":
        return Decision("suppress", "max_once", f"suppressed: already sent once (at {last_label}; max once)")
    if cap in FREQUENCY_WINDOWS and last > now - FREQUENCY_WINDOWS[cap]:
        period = "day" if cap == "daily" else "week"
        return Decision("suppress", f"max_{cap}", f"suppressed: already sent at {last_label} (max once a {period})")
    cooldown = timedelta(minutes=rules.cooldown_minutes)
    if cooldown:
        recent = [past for past in history if past.at > now - cooldown]
        if rules.suppress_duplicates and any(past.content == content for past in recent):
            return Decision("suppress", "duplicate", f"suppressed: the same message was sent at {last_label}")
        if recent:
            until = last + cooldown
            label = local_label(until, now, zone)
            return Decision(
                "defer", "cooldown", f"deferred: cooldown after the message at {last_label}, until {label}", until
            )
    return SEND


# --- retries ------------------------------------------------------------------------------------------
# Waits before each retry; the last one repeats if a row allows more retries than listed.
RETRY_BACKOFF = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=6))


def retry_at(now: datetime, retries_used: int, max_retries: int) -> datetime | None:
    """When to try again after a failed attempt, or None once ``max_retries`` retries are used (§3.8)."""
    if retries_used >= max_retries:
        return None
    return now + RETRY_BACKOFF[min(retries_used, len(RETRY_BACKOFF) - 1)]


# --- language -----------------------------------------------------------------------------------------
def normalise_language(code: str | None) -> str:
    return (code or "").strip().lower().replace("_", "-")


def choose_language(preferred: str | None, base: str | None, available: Iterable[str]) -> str:
    """The customer's language when the template has it (``fr-CA`` falls back to ``fr``), else the base one."""
    base_code = normalise_language(base) or "en"
    wanted = normalise_language(preferred)
    if not wanted or wanted == base_code:
        return base_code
    offered = {normalise_language(code): code for code in available}
    for candidate in (wanted, wanted.split("-")[0]):
        if candidate == base_code:
            return base_code
        if candidate in offered:
            return offered[candidate]
    return base_code


# The template fields of each channel; the first one is the message itself.
CHANNEL_FIELDS: dict[str, tuple[str, ...]] = {
    "sms": ("sms_template",),
    "email": ("email_template", "email_subject", "email_html_template"),
    "phone": ("phone_script",),
    "push": ("push_notification_body", "push_notification_title"),
    "portal": ("portal_message",),
}


def translation_for(
    channel: str, preferred: str | None, base: str | None, translations: Mapping[str, Mapping] | None
) -> str:
    """The language to use on ``channel``: a translation counts only when it has that channel's message."""
    message_fields = CHANNEL_FIELDS[channel][:1] if channel != "email" else ("email_template", "email_html_template")
    available = [
        code
        for code, fields in (translations or {}).items()
        if isinstance(fields, Mapping) and any(fields.get(name) for name in message_fields)
    ]
    return choose_language(preferred, base, available)


# --- words customers read -----------------------------------------------------------------------------
STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "draft": "being set up",
        "estimate_pending": "waiting for estimate approval",
        "estimate_approved": "approved for repair",
        "parts_ordered": "waiting for parts",
        "parts_hold": "on hold for parts",
        "in_production": "in repair",
        "quality_control": "in final quality check",
        "supplement_pending": "waiting for insurer approval of extra repairs",
        "supplement_approved": "approved for extra repairs",
        "customer_approval": "waiting for your approval",
        "ready_for_delivery": "ready for pickup",
        "completed": "completed",
        "delivered": "delivered",
        "invoiced": "invoiced",
        "paid": "paid",
        "archived": "closed",
        "cancelled": "cancelled",
    },
    "fr": {
        "draft": "en préparation",
        "estimate_pending": "en attente d'approbation de l'estimation",
        "estimate_approved": "approuvé pour réparation",
        "parts_ordered": "en attente de pièces",
        "parts_hold": "en attente de pièces",
        "in_production": "en réparation",
        "quality_control": "au contrôle de qualité final",
        "supplement_pending": "en attente d'approbation de réparations supplémentaires",
        "supplement_approved": "approuvé pour des réparations supplémentaires",
        "customer_approval": "en attente de votre approbation",
        "ready_for_delivery": "prêt à être récupéré",
        "completed": "terminé",
        "delivered": "livré",
        "invoiced": "facturé",
        "paid": "payé",
        "archived": "fermé",
        "cancelled": "annulé",
    },
}
_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}
_TO_BE_CONFIRMED = {"en": "a date we will confirm", "fr": "une date à confirmer"}


def status_words(status: str | None, language: str) -> str:
    """An RO status as a customer reads it (English when the language has no words for it)."""
    words = STATUS_WORDS.get(normalise_language(language).split("-")[0], STATUS_WORDS["en"])
    return words.get(status or "", (status or "").replace("_", " "))


def date_words(day: date | None, language: str) -> str:
    """``Thursday, November 6`` / ``jeudi 6 novembre``; a promise still to be confirmed when there is no date."""
    lang = normalise_language(language).split("-")[0]
    lang = lang if lang in _DAYS else "en"
    if day is None:
        return _TO_BE_CONFIRMED[lang]
    weekday, month = _DAYS[lang][day.weekday()], _MONTHS[lang][day.month - 1]
    if lang == "fr":
        return f"{weekday} {day.day} {month}"
    return f"{weekday}, {month} {day.day}"


# --- template variables -------------------------------------------------------------------------------
# What a template may use: top-level names and, for records, their fields. Nothing else reaches the sandbox.
TEMPLATE_VARIABLES: dict[str, tuple[str, ...]] = {
    "customer": ("first_name", "last_name", "full_name", "company_name", "email", "phone", "mobile"),
    "vehicle": ("year", "make", "model", "trim", "color", "license_plate", "description"),
    "repair_order": ("number", "status", "promised_date", "balance_due", "deductible"),
    "shop": ("name", "phone", "email", "address", "city", "website"),
    "status": (),
    "promised_date": (),
    "links": ("website", "phone"),
}


def declared_defaults(variables: Sequence[Mapping] | None) -> dict[str, str]:
    """Extra top-level names a template declares with a default value (F1 ``variables``)."""
    defaults: dict[str, str] = {}
    for item in variables or []:
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name") or "")
        if name.isidentifier() and not name.startswith("_") and name not in TEMPLATE_VARIABLES:
            defaults[name] = str(item.get("defaultValue") or "")
    return defaults


def unknown_variables(names: Iterable[str], variables: Sequence[Mapping] | None = None) -> list[str]:
    """The names a template uses that are neither allowed nor declared with a default."""
    allowed = set(TEMPLATE_VARIABLES) | set(declared_defaults(variables))
    return sorted(name for name in names if name not in allowed)


# --- webhook signatures -------------------------------------------------------------------------------
SIGNATURE_HEADER = "X-CollisionOS-Signature"


def sign_payload(secret: str | bytes, body: bytes) -> str:
    """The ``X-CollisionOS-Signature`` value: ``sha256=`` and the HMAC-SHA256 of the body, in hex."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_matches(secret: str | bytes, body: bytes, header: str | None) -> bool:
    """Check a received signature in constant time."""
    return bool(header) and hmac.compare_digest(sign_payload(secret, body), header.strip())
