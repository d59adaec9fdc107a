"""Templates render in a sandbox on allow-listed values: the seeded templates work in English and French,
anything outside the allow-list is an error (never a blank), and HTML email escapes what customers typed."""

from __future__ import annotations

import pytest

from collisionos.extensions import db
from collisionos.models import CommunicationTemplate
from collisionos.services.messaging.templates import TemplateProblem, context_for, render_template
from collisionos.services.seed.defaults import DEFAULT_TEMPLATES, seed_templates
from tests.services.messaging.conftest import NOON, make_template, toronto


def test_every_seeded_template_renders_every_field_in_english_and_french(app_ctx, shop, ro) -> None:
    ro.promised_delivery_date = toronto(2026, 11, 6, 17, 0)
    db.session.commit()
    seed_templates(shop, NOON)
    db.session.commit()
    templates = db.session.query(CommunicationTemplate).filter_by(shop_id=shop.id).all()
    assert len(templates) == len(DEFAULT_TEMPLATES) == 7

    for template in templates:
        for language in ("en", "fr"):
            rendered = render_template(template, language, context_for(ro))
            for name, text in rendered.fields.items():
                assert text and "{{" not in text, (template.template_code, language, name)

    status = next(t for t in templates if t.template_code == "STATUS_UPDATE_001")
    english = render_template(status, "en", context_for(ro))
    assert english.body == (
        f"Hi Jane, your 2022 Mazda is now in repair. Promised for Friday, November 6. - {shop.name}"
    )
    assert english.subject == "Update on your 2022 Mazda CX-5"
    assert ro.repair_order_number in english.text
    french = render_template(status, "fr", context_for(ro))
    assert french.body == f"Bonjour Jane, votre Mazda est maintenant en réparation. - {shop.name}"
    assert french.for_channel("sms").language == "fr"
    # The French translation has no email body: the whole email stays in English, status words included.
    assert french.for_channel("email").language == "en"
    assert "in repair" in french.text


def test_a_customer_without_an_ro_gets_their_vehicle_and_blank_ro_facts(app_ctx, shop, ro) -> None:
    context = context_for(ro.customer)

    assert context["vehicle"]["make"] == "Mazda"
    assert context["repair_order"]["number"] == ""
    assert context["status"] == ""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Hi {{ config }}", "uses config"),
        ("Hi {{ customer.password }}", "cannot be rendered"),
        ("{{ customer.__class__ }}", "cannot be rendered"),
        ("{{ ''.__class__.__mro__ }}", "cannot be rendered"),
        ("{% for x in customer.first_name.__init__.__globals__ %}{% endfor %}", "cannot be rendered"),
        ("Hi {{ customer.first_name ", "cannot be rendered"),
    ],
)
def test_what_is_not_allowed_is_refused_with_a_readable_message(app_ctx, shop, ro, source, message) -> None:
    template = make_template(shop, sms_template=source, translations={})

    with pytest.raises(TemplateProblem, match=message):
        render_template(template, "en", context_for(ro))


def test_a_template_may_declare_its_own_variable_with_a_default(app_ctx, shop, ro) -> None:
    template = make_template(
        shop,
        sms_template="{{ customer.first_name }}: {{ deductible_note }}",
        variables=[{"name": "deductible_note", "defaultValue": "bring your deductible"}],
        translations={},
    )

    assert render_template(template, "en", context_for(ro)).body == "Jane: bring your deductible"


def test_html_email_escapes_customer_text_and_plain_text_does_not(app_ctx, shop, ro) -> None:
    ro.customer.first_name = "<b>Jo</b>"
    db.session.commit()
    template = make_template(
        shop,
        email_template="Hello {{ customer.first_name }}",
        email_html_template="<p>Hello {{ customer.first_name }}</p>",
        translations={},
    )

    rendered = render_template(template, "en", context_for(ro))

    assert rendered.html == "<p>Hello &lt;b&gt;Jo&lt;/b&gt;</p>"
    assert rendered.text == "Hello <b>Jo</b>"


def test_a_runaway_template_is_refused(app_ctx, shop, ro) -> None:
    template = make_template(shop, sms_template="{% for i in range(30000) %}xx{% endfor %}", translations={})

    with pytest.raises(TemplateProblem, match="more than"):
        render_template(template, "en", context_for(ro))


def test_status_and_promised_date_follow_the_language_rendered(app_ctx, shop, ro) -> None:
    ro.ro_status = "ready_for_delivery"
    ro.promised_delivery_date = toronto(2026, 11, 6, 17, 0)
    db.session.commit()
    template = make_template(
        shop,
        sms_template="{{ status }} / {{ promised_date }}",
        translations={"fr": {"sms_template": "{{ status }} / {{ promised_date }}"}},
    )

    assert render_template(template, "en", context_for(ro)).body == "ready for pickup / Friday, November 6"
    assert render_template(template, "fr", context_for(ro)).body == "prêt à être récupéré / vendredi 6 novembre"
