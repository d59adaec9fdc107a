"""Templates rendered in a Jinja sandbox on an allow-listed context of plain values (never ORM objects).

Placeholders are ``{{ name }}`` (DOMAIN.md F1). A name or field outside the allow-list
(``domain.messaging.TEMPLATE_VARIABLES`` plus the template's declared variables) is an error, not a blank:
the preview shows it and the dispatcher records it, instead of a customer receiving "Hi ,".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from collisionos.domain import messaging as rules
from collisionos.domain.errors import ValidationError
from collisionos.domain.money import to_money
from collisionos.extensions import db
from collisionos.models import CommunicationTemplate, Customer, RepairOrder, Shop, VehicleProfile

# The most text a rendered field may have: a template that loops cannot fill the database.
MAX_RENDERED_CHARS = 20_000

_text_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_html_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=False)
HTML_FIELDS = frozenset({"email_html_template"})


class TemplateProblem(ValidationError):
    """A template that cannot be rendered (unknown variable, syntax error, sandbox refusal)."""


class MessageContext(dict):
    """The render context, plus the raw facts that are worded per language (status, promised date)."""

    def __init__(
        self, values: Mapping[str, Any], *, worded: bool, status: str | None, promised: datetime | None, zone: str
    ) -> None:
        super().__init__(values)
        self.worded = worded
        self.status = status
        self.promised = promised
        self.zone = zone

    def in_language(self, language: str) -> dict[str, Any]:
        """A plain copy with the status and the promised date worded in ``language``."""
        values = {key: dict(value) if isinstance(value, dict) else value for key, value in self.items()}
        if not self.worded:
            return values
        day = self.promised.astimezone(ZoneInfo(self.zone)).date() if self.promised else None
        status, promised = rules.status_words(self.status, language), rules.date_words(day, language)
        values["status"], values["promised_date"] = status, promised
        if isinstance(values.get("repair_order"), dict):
            values["repair_order"].update(status=status, promised_date=promised)
        return values


@dataclass(frozen=True)
class ChannelMessage:
    """What goes out on one channel."""

    channel: str
    language: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class RenderedMessage:
    """Every field of a template rendered; each channel in the language it was rendered in."""

    language: str  # the language asked for
    fields: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)  # channel -> language used
    name: str = ""

    @property
    def subject(self) -> str:
        return self.fields.get("email_subject", "")

    @property
    def text(self) -> str:
        """The email's plain text."""
        return self.fields.get("email_template", "")

    @property
    def html(self) -> str | None:
        return self.fields.get("email_html_template") or None

    @property
    def body(self) -> str:
        """The text message."""
        return self.fields.get("sms_template", "")

    def for_channel(self, channel: str) -> ChannelMessage:
        language = self.languages.get(channel, self.language)
        if channel == "email":
            return ChannelMessage(channel, language, self.subject or self.name, self.text, self.html)
        if channel == "sms":
            return ChannelMessage(channel, language, self.name, self.body)
        if channel == "phone":
            return ChannelMessage(channel, language, self.name, self.fields.get("phone_script", ""))
        if channel == "push":
            title = self.fields.get("push_notification_title") or self.name
            return ChannelMessage(channel, language, title, self.fields.get("push_notification_body", ""))
        return ChannelMessage(channel, language, self.name, self.fields.get("portal_message", ""))


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> tuple[Template, frozenset[str]]:
    """The compiled template and the top-level names it uses (compiling is most of the cost of a render)."""
    env = _html_env if html else _text_env
    parsed = env.parse(source)
    return env.from_string(parsed), frozenset(meta.find_undeclared_variables(parsed))


def _render_one(source: str, values: Mapping[str, Any], declared: Any, *, html: bool, label: str) -> str:
    try:
        compiled, names = _compiled(source, html)
        unknown = rules.unknown_variables(names, declared)
        if unknown:
            allowed = ", ".join(sorted(rules.TEMPLATE_VARIABLES))
            raise TemplateProblem(
                f"{label} uses {', '.join(unknown)}, which a message cannot show (use {allowed}).",
                rule="template_variable",
            )
        rendered = compiled.render(values)
    except TemplateProblem:
        raise
    except TemplateError as error:  # undefined field, syntax error, sandbox SecurityError
        raise TemplateProblem(f"{label} cannot be rendered: {error}", rule="template_error") from None
    if len(rendered) > MAX_RENDERED_CHARS:
        raise TemplateProblem(f"{label} renders more than {MAX_RENDERED_CHARS:,} characters.", rule="template_size")
    return rendered.strip()


def render_template(
    template: CommunicationTemplate, language: str | None, context: Mapping[str, Any]
) -> RenderedMessage:
    """Render every field of ``template`` for the customer's ``language`` (a channel uses the translation only
    when it has that channel's message, else the template's base language, §5.11)."""
    translations = template.translations if isinstance(template.translations, dict) else {}
    base = rules.normalise_language(template.language) or "en"
    defaults = rules.declared_defaults(template.variables)
    fields: dict[str, str] = {}
    languages: dict[str, str] = {}
    for channel, names in rules.CHANNEL_FIELDS.items():
        chosen = rules.translation_for(channel, language, base, translations)
        languages[channel] = chosen
        own = translations.get(chosen, {}) if chosen != base else {}
        if isinstance(context, MessageContext):
            values: dict[str, Any] = context.in_language(chosen)
        else:
            values = dict(context)
        values = {**defaults, **values}
        for name in names:
            source = (own.get(name) if isinstance(own, Mapping) else None) or getattr(template, name) or ""
            if not source:
                continue
            label = f"{template.template_code} {name.replace('_', ' ')}" + (f" ({chosen})" if own else "")
            fields[name] = _render_one(str(source), values, template.variables, html=name in HTML_FIELDS, label=label)
    return RenderedMessage(
        language=rules.normalise_language(language) or base,
        fields=fields,
        languages=languages,
        name=template.template_name,
    )


def _text(value: Any) -> Any:
    return "" if value is None else value


def _money_text(value: Any) -> str:
    return "" if value is None else f"{to_money(value):,.2f}"


def _customer_values(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return dict.fromkeys(rules.TEMPLATE_VARIABLES["customer"], "")
    return {
        "first_name": _text(customer.first_name),
        "last_name": _text(customer.last_name),
        "full_name": customer.full_name,
        "company_name": _text(customer.company_name),
        "email": _text(customer.email),
        "phone": _text(customer.phone),
        "mobile": _text(customer.mobile),
    }


def _vehicle_values(profile: VehicleProfile | None) -> dict[str, Any]:
    if profile is None:
        return dict.fromkeys(rules.TEMPLATE_VARIABLES["vehicle"], "")
    description = " ".join(str(part) for part in (profile.year, profile.make, profile.model) if part)
    return {
        "year": _text(profile.year),
        "make": _text(profile.make),
        "model": _text(profile.model),
        "trim": _text(profile.trim),
        "color": _text(profile.exterior_color),
        "license_plate": _text(profile.license_plate),
        "description": description,
    }


def _shop_values(shop: Shop | None) -> dict[str, Any]:
    if shop is None:
        return dict.fromkeys(rules.TEMPLATE_VARIABLES["shop"], "")
    return {
        "name": _text(shop.business_name or shop.name),
        "phone": _text(shop.phone),
        "email": _text(shop.email),
        "address": _text(shop.address),
        "city": _text(shop.city),
        "website": _text(shop.website),
    }


def context_for(record: RepairOrder | Customer, *, language: str | None = None) -> MessageContext:
    """The values a template may use for an RO (customer, vehicle, RO, shop, status, promised date, links) or for
    a customer alone (no RO: vehicle is the customer's latest profile, status and promised date are blank)."""
    if isinstance(record, RepairOrder):
        ro: RepairOrder | None = record
        customer = record.customer
        profile = record.vehicle_profile
    else:
        ro, customer = None, record
        profile = db.session.scalar(
            sa.select(VehicleProfile)
            .where(VehicleProfile.customer_id == record.id)
            .order_by(VehicleProfile.id.desc())
            .limit(1)
        )
    shop = db.session.get(Shop, record.shop_id)
    zone = (shop.timezone if shop else None) or "America/Toronto"
    repair_order = {
        "number": ro.repair_order_number if ro else "",
        "status": "",
        "promised_date": "",
        "balance_due": _money_text(ro.balance_due) if ro else "",
        "deductible": _money_text(ro.deductible_amount) if ro else "",
    }
    shop_values = _shop_values(shop)
    values = {
        "customer": _customer_values(customer),
        "vehicle": _vehicle_values(profile),
        "repair_order": repair_order,
        "shop": shop_values,
        "status": "",
        "promised_date": "",
        "links": {"website": shop_values["website"], "phone": f"tel:{shop_values['phone']}" if shop else ""},
    }
    context = MessageContext(
        values,
        worded=ro is not None,
        status=ro.ro_status if ro else None,
        promised=ro.promised_delivery_date if ro else None,
        zone=zone,
    )
    wanted = language or (customer.preferred_language if customer else None) or "en"
    context.update(context.in_language(wanted))
    return context
