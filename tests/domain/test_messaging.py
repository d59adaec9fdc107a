"""Messaging rules (DOMAIN.md §5.11, §3.8): channels and consent, quiet and business hours, language, caps,
cooldowns, retries and webhook signatures. Pure functions: no database."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from collisionos.domain import messaging as m
from collisionos.domain.errors import ValidationError

TORONTO = ZoneInfo("America/Toronto")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Toronto wall-clock time as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=TORONTO).astimezone(UTC)


def recipient(**kwargs) -> m.Recipient:  # type: ignore[no-untyped-def]
    values = dict(
        phone="905-555-0199",
        email="jane@example.com",
        sms_opt_in=True,
        email_opt_in=True,
        marketing_opt_in=False,
        preferred_contact="sms",
    )
    values.update(kwargs)
    return m.Recipient(**values)


# --- consent ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("channel", "category", "changes", "code", "text"),
    [
        ("sms", "status_update", {"sms_opt_in": False}, "opted_out", "suppressed: opted out of SMS"),
        ("sms", "status_update", {"phone": None}, "no_address", "suppressed: no mobile or phone number for SMS"),
        ("email", "status_update", {"email_opt_in": False}, "opted_out", "suppressed: opted out of email"),
        ("email", "status_update", {"email": None}, "no_address", "suppressed: no email address"),
        ("email", "marketing", {}, "no_marketing_consent", "suppressed: no consent to marketing messages"),
        ("sms", "marketing", {}, "no_marketing_consent", "suppressed: no consent to marketing messages"),
    ],
)
def test_consent_refusals_name_the_reason(channel, category, changes, code, text) -> None:
    refusal = m.consent_refusal(channel, category, recipient(**changes))

    assert refusal is not None and refusal.action == "suppress"
    assert (refusal.code, refusal.text) == (code, text)


def test_consent_allows_transactional_texts_with_opt_in_and_marketing_with_marketing_opt_in() -> None:
    assert m.consent_refusal("sms", "pickup_ready", recipient()) is None
    assert m.consent_refusal("email", "status_update", recipient(sms_opt_in=False)) is None
    assert m.consent_refusal("email", "marketing", recipient(marketing_opt_in=True)) is None


def test_channel_follows_the_preferred_contact_among_the_template_channels() -> None:
    assert m.choose_channel(["sms", "email"], "status_update", recipient(preferred_contact="email")) == "email"
    assert m.choose_channel(["sms", "email"], "status_update", recipient(preferred_contact="sms")) == "sms"
    # "phone": a text to their phone when they agreed to texts ...
    assert m.choose_channel(["sms", "phone"], "pickup_ready", recipient(preferred_contact="phone")) == "sms"
    # ... else a call (staff), never a text without consent.
    assert m.choose_channel(["sms", "phone"], "pickup_ready", recipient(sms_opt_in=False)) == "phone"
    assert m.choose_channel(["sms", "email"], "status_update", recipient(sms_opt_in=False)) == "email"


def test_channel_falls_back_to_the_first_choice_when_nothing_is_allowed_so_the_refusal_is_recorded() -> None:
    nobody = recipient(sms_opt_in=False, email_opt_in=False, preferred_contact="sms")

    assert m.choose_channel(["sms", "email"], "status_update", nobody) == "sms"


def test_template_channels_default_by_category_with_the_preferred_channel_first() -> None:
    assert m.template_channels("pickup_ready", [], "auto") == ["sms", "phone"]
    assert m.template_channels("quality_issue", None, None) == ["phone", "email"]
    assert m.template_channels("status_update", ["sms", "email"], "email") == ["email", "sms"]


# --- quiet hours and business hours ---------------------------------------------------------------------
def test_a_text_at_2130_is_deferred_to_0800_shop_time() -> None:
    window = m.send_window("sms")
    now = local(2026, 11, 4, 21, 30)

    decision = m.window_decision("sms", now, TORONTO, window)

    assert decision.action == "defer"
    assert decision.until == local(2026, 11, 5, 8, 0)
    assert decision.text == "deferred: quiet hours until Thu 08:00"


def test_a_text_at_0230_waits_until_0800_the_same_day() -> None:
    decision = m.window_decision("sms", local(2026, 11, 5, 2, 30), TORONTO, m.send_window("sms"))

    assert decision.until == local(2026, 11, 5, 8, 0)
    assert decision.text == "deferred: quiet hours until 08:00"


@pytest.mark.parametrize(("hour", "minute"), [(8, 0), (12, 0), (20, 59)])
def test_texts_inside_the_day_go_now(hour, minute) -> None:
    assert m.window_decision("sms", local(2026, 11, 4, hour, minute), TORONTO, m.send_window("sms")) is m.SEND


def test_the_boundaries_are_2100_closed_and_0800_open() -> None:
    window = m.send_window("sms")

    assert m.next_allowed(local(2026, 11, 4, 21, 0), TORONTO, window) == local(2026, 11, 5, 8, 0)
    assert m.next_allowed(local(2026, 11, 5, 7, 59), TORONTO, window) == local(2026, 11, 5, 8, 0)
    assert m.next_allowed(local(2026, 11, 5, 8, 0), TORONTO, window) is None


def test_email_has_no_quiet_hours_unless_the_template_asks_for_business_hours() -> None:
    late = local(2026, 11, 4, 23, 0)

    assert m.window_decision("email", late, TORONTO, m.send_window("email")) is m.SEND
    business = m.send_window("email", business_hours_only=True, working_days=[1, 2, 3, 4, 5])
    decision = m.window_decision("email", late, TORONTO, business)
    assert decision.action == "defer" and decision.until == local(2026, 11, 5, 8, 0)
    assert decision.text == "deferred: outside the template's business hours until Thu 08:00"


def test_business_hours_skip_the_weekend_and_use_the_template_start_time() -> None:
    window = m.send_window(
        "sms", business_hours_only=True, working_days=[1, 2, 3, 4, 5], start_time=time(9, 30), end_time=time(17, 0)
    )
    friday_evening = local(2026, 11, 6, 17, 0)  # Friday 17:00: closed, weekend follows

    assert m.next_allowed(friday_evening, TORONTO, window) == local(2026, 11, 9, 9, 30)  # Monday 09:30


def test_the_shop_quiet_hours_setting_is_used() -> None:
    window = m.send_window("sms", quiet_hours={"start": "20:00", "end": "09:00"})

    assert m.next_allowed(local(2026, 11, 4, 20, 15), TORONTO, window) == local(2026, 11, 5, 9, 0)


def test_quiet_hours_are_in_shop_time_across_the_dst_change() -> None:
    # 1 Nov 2026: clocks go back at 02:00 in Toronto; 08:00 local is then 13:00 UTC (EST), not 12:00.
    decision = m.window_decision("sms", local(2026, 10, 31, 22, 0), TORONTO, m.send_window("sms"))

    assert decision.until == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_a_template_that_can_never_send_is_refused_not_looped() -> None:
    window = m.send_window("email", business_hours_only=True, working_days=[])

    with pytest.raises(ValidationError, match="can never be sent"):
        m.next_allowed(local(2026, 11, 4, 12, 0), TORONTO, window)


# --- frequency --------------------------------------------------------------------------------------------
NOW = local(2026, 11, 4, 12, 0)


def past(minutes_ago: int, content: str = "Hello") -> m.PastSend:
    return m.PastSend(NOW - timedelta(minutes=minutes_ago), content)


def test_no_history_sends() -> None:
    assert m.frequency_decision(m.FrequencyRules("once", 60), [], "Hello", NOW, TORONTO) is m.SEND


def test_max_once_suppresses_a_second_message() -> None:
    decision = m.frequency_decision(m.FrequencyRules("once"), [past(60 * 24 * 30)], "Hi", NOW, TORONTO)

    assert decision.action == "suppress" and decision.code == "max_once"


@pytest.mark.parametrize(
    ("cap", "minutes_ago", "suppressed"),
    [
        ("daily", 60 * 23, True),
        ("daily", 60 * 25, False),
        ("weekly", 60 * 24 * 6, True),
        ("weekly", 60 * 24 * 8, False),
    ],
)
def test_daily_and_weekly_caps(cap, minutes_ago, suppressed) -> None:
    decision = m.frequency_decision(m.FrequencyRules(cap), [past(minutes_ago)], "Hi", NOW, TORONTO)

    assert (decision.action == "suppress") is suppressed


def test_cooldown_defers_until_it_has_passed() -> None:
    decision = m.frequency_decision(m.FrequencyRules("unlimited", 30), [past(10, "Old")], "New", NOW, TORONTO)

    assert decision.action == "defer" and decision.code == "cooldown"
    assert decision.until == NOW + timedelta(minutes=20)
    assert decision.text == "deferred: cooldown after the message at 11:50, until 12:20"


def test_identical_content_inside_the_cooldown_is_dropped_unless_duplicates_are_allowed() -> None:
    rules = m.FrequencyRules("unlimited", 30, suppress_duplicates=True)
    assert m.frequency_decision(rules, [past(10, "Same")], "Same", NOW, TORONTO).code == "duplicate"

    allowed = m.FrequencyRules("unlimited", 30, suppress_duplicates=False)
    assert m.frequency_decision(allowed, [past(10, "Same")], "Same", NOW, TORONTO).code == "cooldown"


def test_after_the_cooldown_a_message_goes() -> None:
    assert m.frequency_decision(m.FrequencyRules("unlimited", 30), [past(31, "Same")], "Same", NOW, TORONTO) is m.SEND


def test_history_is_only_needed_when_the_template_limits_frequency() -> None:
    assert not m.FrequencyRules("unlimited", 0).needs_history
    assert m.FrequencyRules("daily", 0).needs_history
    assert m.FrequencyRules("unlimited", 5).needs_history


# --- retries ----------------------------------------------------------------------------------------------
def test_retries_back_off_then_stop_at_the_limit() -> None:
    waits = [m.retry_at(NOW, used, 3) for used in range(4)]

    assert waits[:3] == [NOW + timedelta(minutes=5), NOW + timedelta(minutes=30), NOW + timedelta(hours=2)]
    assert waits[3] is None
    assert m.retry_at(NOW, 0, 0) is None


# --- language ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("preferred", "expected"),
    [("fr", "fr"), ("FR", "fr"), ("fr-CA", "fr"), ("fr_CA", "fr"), ("es", "en"), (None, "en"), ("en-CA", "en")],
)
def test_language_uses_a_translation_when_there_is_one(preferred, expected) -> None:
    assert m.choose_language(preferred, "en", ["fr"]) == expected


def test_a_translation_counts_for_a_channel_only_when_it_has_that_channels_message() -> None:
    translations = {"fr": {"sms_template": "Bonjour", "email_subject": "Sujet"}}

    assert m.translation_for("sms", "fr", "en", translations) == "fr"
    assert m.translation_for("email", "fr", "en", translations) == "en"  # no French email body: all in English


def test_status_and_dates_are_worded_for_the_customer() -> None:
    assert m.status_words("ready_for_delivery", "en") == "ready for pickup"
    assert m.status_words("ready_for_delivery", "fr-CA") == "prêt à être récupéré"
    assert m.date_words(date(2026, 11, 6), "en") == "Friday, November 6"
    assert m.date_words(date(2026, 11, 6), "fr") == "vendredi 6 novembre"
    assert m.date_words(None, "en") == "a date we will confirm"


# --- variables and signatures -----------------------------------------------------------------------------
def test_only_allow_listed_or_declared_variables_may_be_used() -> None:
    declared = [{"name": "deductible_note", "defaultValue": "your deductible"}, {"name": "__class__"}]

    assert m.unknown_variables(["customer", "shop", "status"]) == []
    assert m.unknown_variables(["customer", "config", "request"]) == ["config", "request"]
    assert m.unknown_variables(["deductible_note"], declared) == []
    assert m.declared_defaults(declared) == {"deductible_note": "your deductible"}


def test_signature_is_hmac_sha256_of_the_body_and_verifies_in_constant_time() -> None:
    body = b'{"text":"hi"}'
    signature = m.sign_payload("s3cret", body)

    assert signature == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert m.signature_matches("s3cret", body, signature)
    assert not m.signature_matches("other", body, signature)
    assert not m.signature_matches("s3cret", body + b" ", signature)
    assert not m.signature_matches("s3cret", body, None)
