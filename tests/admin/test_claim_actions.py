"""The claim page's actions through the test client, and the supplement handlers the RO page uses."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import g, render_template, url_for
from werkzeug.datastructures import MultiDict

from collisionos.admin import supplements as supplement_admin
from collisionos.domain.errors import ValidationError
from collisionos.extensions import db
from collisionos.models import ClaimManagement, EstimateLineItem, RepairOrder, Shop
from tests import factories
from tests.conftest import DEMO_PASSWORD, extract_csrf, login
from tests.services.test_claims import HEADLAMP, NOW, REINFORCEMENT, make_job, request

D = Decimal


@pytest.fixture
def setup(app, client):  # type: ignore[no-untyped-def]
    """An owner logged in, and an approved, insured RO on a claim with a 500.00 deductible."""
    with app.app_context():
        shop = factories.ShopFactory()
        owner = factories.UserFactory(shop=shop, role="owner", password_plain=DEMO_PASSWORD)
        job = make_job(shop, owner)
        data = SimpleNamespace(shop_id=shop.id, email=owner.email, claim_id=job.claim_id, ro_id=job.ro_id, job=job)
    assert login(client, data.email).status_code == 302
    return data


def details(client, claim_id: int) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/admin/claims/details/?id={claim_id}").get_data(as_text=True)


def post(client, claim_id: int, action: str, **fields):  # type: ignore[no-untyped-def]
    token = extract_csrf(details(client, claim_id))
    return client.post(
        f"/admin/claims/{action}/", data={"csrf_token": token, "id": claim_id, **fields}, follow_redirects=True
    )


def claim(app, claim_id: int) -> ClaimManagement:  # type: ignore[no-untyped-def]
    with app.app_context():
        row = db.session.get(ClaimManagement, claim_id)
        db.session.expunge(row)
        return row


def ro(app, ro_id: int) -> RepairOrder:  # type: ignore[no-untyped-def]
    with app.app_context():
        row = db.session.get(RepairOrder, ro_id)
        db.session.expunge(row)
        return row


def test_the_details_page_offers_only_the_moves_allowed_now(app, client, setup) -> None:
    html = details(client, setup.claim_id)
    select = html[html.index('name="target"') : html.index("</select>", html.index('name="target"'))]
    assert re.findall(r'<option value="(\w+)"', select) == ["under_review", "closed", "subrogation", "litigation"]
    assert 'data-action="waive_deductible"' in html and 'data-action="set_deductible"' in html
    assert "No supplements requested on this claim." in html
    # Status and waiver are not typed in the edit form; the deductible neither once the claim exists.
    edit = client.get(f"/admin/claims/edit/?id={setup.claim_id}").get_data(as_text=True)
    for name in (
        "claim_status",
        "deductible_waived",
        "deductible_waived_reason",
        "supplement_count",
        "deductible_amount",
    ):
        assert f'name="{name}"' not in edit, name
    assert 'name="ats_days_used"' in edit and 'name="is_drp_claim"' in edit


def test_moving_the_claim(app, client, setup) -> None:
    page = post(client, setup.claim_id, "move_claim", target="closed", reason="repairs paid").get_data(as_text=True)
    number = claim(app, setup.claim_id).claim_number
    assert f"Claim {number} is now closed." in page
    row = claim(app, setup.claim_id)
    assert (row.claim_status, row.status_notes) == ("closed", "repairs paid")
    # From closed only re-opening is offered.
    html = details(client, setup.claim_id)
    select = html[html.index('name="target"') : html.index("</select>", html.index('name="target"'))]
    assert re.findall(r'<option value="(\w+)"', select) == ["open"]


def test_a_refused_move_is_explained_and_changes_nothing(app, client, setup) -> None:
    page = post(client, setup.claim_id, "move_claim", target="pending").get_data(as_text=True)
    number = claim(app, setup.claim_id).claim_number
    assert f"Cannot move claim {number} from approved to pending" in page
    assert claim(app, setup.claim_id).claim_status == "approved"


def test_waiving_the_deductible_needs_a_reason_and_refreshes_the_ro(app, client, setup) -> None:
    page = post(client, setup.claim_id, "waive_deductible", reason="  ").get_data(as_text=True)
    assert "a reason is required" in page
    assert claim(app, setup.claim_id).deductible_waived is False

    page = post(client, setup.claim_id, "waive_deductible", reason="Fleet goodwill").get_data(as_text=True)
    assert "is waived; the shop absorbs it." in page
    assert claim(app, setup.claim_id).deductible_paid_by == "waived"
    assert ro(app, setup.ro_id).customer_portion_due == D("0.00")
    html = details(client, setup.claim_id)
    assert 'data-action="waive_deductible"' not in html
    assert "Fleet goodwill" in html


def test_setting_the_deductible(app, client, setup) -> None:
    page = post(client, setup.claim_id, "set_deductible", amount="-5").get_data(as_text=True)
    assert "cannot be negative" in page
    assert claim(app, setup.claim_id).deductible_amount == D("500.00")

    page = post(client, setup.claim_id, "set_deductible", amount="$1,000.00").get_data(as_text=True)
    assert "is now 1,000.00." in page
    assert ro(app, setup.ro_id).customer_portion_due == D("1000.00")


def test_the_supplements_are_listed_and_a_waiting_one_is_warned_about(app, client, setup) -> None:
    with app.app_context():
        request(setup.job)
    html = details(client, setup.claim_id)
    number = ro(app, setup.ro_id).repair_order_number
    assert f"{number} waits for the insurer&#39;s decision on a supplement." in html
    row = html[html.index('class="claim-supplement"') :]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[: row.index("</tr>")], re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == [
        number,
        "1",
        "awaiting decision",
        "2",
        "172.40",
        "0.00",
    ]


def test_roles_without_edit_rights_get_no_actions(app, setup) -> None:
    with app.app_context():
        shop = db.session.get(Shop, setup.shop_id)
        email = factories.UserFactory(shop=shop, role="parts_manager", password_plain=DEMO_PASSWORD).email
    client = app.test_client()
    assert login(client, email).status_code == 302
    html = details(client, setup.claim_id)
    assert "workflow-action" not in html
    token = extract_csrf(client.get("/admin/").get_data(as_text=True))
    response = client.post(
        "/admin/claims/waive_deductible/", data={"csrf_token": token, "id": setup.claim_id, "reason": "x"}
    )
    assert response.status_code == 403
    assert claim(app, setup.claim_id).deductible_waived is False


def test_an_action_without_a_csrf_token_is_refused(app, client, setup) -> None:
    response = client.post("/admin/claims/move_claim/", data={"id": setup.claim_id, "target": "closed"})
    assert response.status_code == 400
    assert claim(app, setup.claim_id).claim_status == "approved"


def _edit_form(client, claim_id: int, **fields) -> dict:  # type: ignore[no-untyped-def]
    html = client.get(f"/admin/claims/edit/?id={claim_id}").get_data(as_text=True)
    return {"csrf_token": extract_csrf(html), **fields}


def test_the_edit_form_refuses_ats_days_used_beyond_approved_and_negative_amounts(app, client, setup) -> None:
    row = claim(app, setup.claim_id)
    base = {
        "claim_number": row.claim_number,
        "customer": row.customer_id,
        "vehicle_profile": row.vehicle_profile_id,
        "insurance_company": row.insurance_company_id,
        "supplements_allowed": "y",
    }
    page = client.post(
        f"/admin/claims/edit/?id={setup.claim_id}",
        data=_edit_form(
            client, setup.claim_id, **base, ats_days_approved="3", ats_days_used="4", ats_allowance_amount="-1"
        ),
    ).get_data(as_text=True)
    assert "ATS days used (4) cannot exceed the days approved (3)." in page
    assert "The ATS allowance per day cannot be negative." in page
    assert claim(app, setup.claim_id).ats_days_approved is None

    response = client.post(
        f"/admin/claims/edit/?id={setup.claim_id}",
        data=_edit_form(
            client,
            setup.claim_id,
            **base,
            is_drp_claim="y",
            ats_days_approved="5",
            ats_days_used="2",
            ats_allowance_amount="45.00",
        ),
    )
    assert response.status_code == 302
    row = claim(app, setup.claim_id)
    assert (row.is_drp_claim, row.ats_days_approved, row.ats_days_used, row.ats_allowance_amount) == (
        True,
        5,
        2,
        D("45.00"),
    )
    assert row.deductible_amount == D("500.00")  # not in the form, left alone


# --- supplement handlers for the RO page ------------------------------------------------------------------
def _view(actor):  # type: ignore[no-untyped-def]
    return SimpleNamespace(actor=actor, now=lambda: NOW)


def test_the_supplement_handlers_parse_the_form_and_call_the_use_cases(app, setup) -> None:
    with app.app_context(), app.test_request_context():
        g.current_shop_id = setup.shop_id
        owner = setup.job.actor
        ro_row = db.session.get(RepairOrder, setup.ro_id)
        assert supplement_admin.request_supplement_form(ro_row).action == "request_supplement"

        form = MultiDict(
            {
                "description": "Headlamp bracket",
                "line_type": "part",
                "quantity": "1",
                "unit_price": "74.90",
                "part_number": "HB-7",
                "note": "teardown",
            }
        )
        message = supplement_admin.request_supplement_action(_view(owner), str(setup.ro_id), form)
        number = ro_row.repair_order_number
        assert message == f"Supplement 1 on {number}: 1 line, 74.90 before tax, waiting for the insurer's decision."
        assert supplement_admin.request_supplement_form(db.session.get(RepairOrder, setup.ro_id)) is None

        line = db.session.scalars(db.select(EstimateLineItem).where(EstimateLineItem.status == "supplement")).one()
        with pytest.raises(ValidationError):
            supplement_admin.decide_supplement_action(
                _view(owner), str(setup.ro_id), MultiDict({"supplement_number": "1", "approve_x": "y"})
            )
        message = supplement_admin.decide_supplement_action(
            _view(owner), str(setup.ro_id), MultiDict({"supplement_number": "1", f"approve_{line.id}": "y"})
        )
        assert message == (
            f"Supplement 1 on {number}: 1 approved, 0 rejected; the approved total grew by 84.63 to 1,949.19."
        )


def test_the_request_handler_refuses_a_line_without_a_price(app, setup) -> None:
    with app.app_context(), app.test_request_context():
        g.current_shop_id = setup.shop_id
        form = MultiDict({"description": "Bracket", "line_type": "part", "quantity": "1"})
        with pytest.raises(ValidationError) as refusal:
            supplement_admin.request_supplement_action(_view(setup.job.actor), str(setup.ro_id), form)
        assert str(refusal.value) == "Unit price is required."
        assert db.session.get(RepairOrder, setup.ro_id).ro_status == "estimate_approved"


def test_a_denial_through_the_handler_says_where_the_ro_went(app, setup) -> None:
    with app.app_context(), app.test_request_context():
        g.current_shop_id = setup.shop_id
        request(setup.job, lines=[HEADLAMP, REINFORCEMENT])
        message = supplement_admin.decide_supplement_action(
            _view(setup.job.actor), str(setup.ro_id), MultiDict({"supplement_number": "1"})
        )
        number = db.session.get(RepairOrder, setup.ro_id).repair_order_number
        assert message == f"Supplement 1 on {number} was denied (2 lines); the RO is back to estimate approved."


class _RepairOrderPage(supplement_admin.SupplementActions):
    """The RO view as the template sees it, with the supplement mixin (the lead wires the real one)."""

    def __init__(self, money: bool) -> None:
        self._money = money

    def get_url(self, endpoint: str, **kwargs):  # type: ignore[no-untyped-def]
        return url_for(endpoint, **kwargs)

    def shows_money(self) -> bool:
        return self._money


def test_the_decision_template_draws_a_box_per_pending_line(app, setup) -> None:
    with app.app_context():
        request(setup.job)
    with app.app_context(), app.test_request_context(f"/admin/repair_orders/details/?id={setup.ro_id}"):
        ro_row = db.session.get(RepairOrder, setup.ro_id)
        lines = db.session.scalars(db.select(EstimateLineItem).where(EstimateLineItem.status == "supplement")).all()
        html = render_template("admin/workflow/claim_supplements.html", model=ro_row, admin_view=_RepairOrderPage(True))
        assert 'action="/admin/repair_orders/decide_supplement/"' in html
        assert 'name="supplement_number" value="1"' in html
        assert sorted(re.findall(r'name="(approve_\d+)"', html)) == sorted(f"approve_{line.id}" for line in lines)
        assert "74.90" in html and "97.50" in html
        hidden = render_template(
            "admin/workflow/claim_supplements.html", model=ro_row, admin_view=_RepairOrderPage(False)
        )
        assert "approve_" not in hidden and "74.90" not in hidden and "<form" not in hidden
        assert "Headlamp bracket" in hidden


def test_a_supplement_through_the_repair_order_page(app, client, setup) -> None:
    """The RO page (wired by the RO view) draws the request form, then one decision form with a box per line."""
    page = client.get(f"/admin/repair_orders/details/?id={setup.ro_id}").get_data(as_text=True)
    assert 'data-action="request_supplement"' in page
    token = extract_csrf(page)
    fields = {"description": "Headlamp bracket", "line_type": "part", "quantity": "1", "unit_price": "74.90"}
    page = client.post(
        "/admin/repair_orders/request_supplement/",
        data={"csrf_token": token, "id": setup.ro_id, **fields},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "waiting for the insurer&#39;s decision" in page
    boxes = re.findall(r'name="(approve_\d+)"', page)
    assert len(boxes) == 1 and 'action="/admin/repair_orders/decide_supplement/"' in page
    page = client.post(
        "/admin/repair_orders/decide_supplement/",
        data={"csrf_token": token, "id": setup.ro_id, "supplement_number": "1", boxes[0]: "y"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 approved, 0 rejected; the approved total grew by 84.63 to 1,949.19." in page
    row = ro(app, setup.ro_id)
    assert (row.ro_status, row.supplement_count, row.total_supplement_amount) == ("supplement_approved", 1, D("84.63"))
    assert "approve_" not in client.get(f"/admin/repair_orders/details/?id={setup.ro_id}").get_data(as_text=True)
