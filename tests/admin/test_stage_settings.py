"""Owners edit the shop's production stages in the admin; prerequisites are checked before they are saved."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import ProductionStage
from tests.conftest import login
from tests.workflow import shop_with_stages, staff


class FormFields(HTMLParser):
    """The values a browser would submit for the first form with a csrf_token."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[name] = a.get("value") or "y"
            elif a.get("type") not in ("submit", "button"):
                self.values[name] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and ("selected" in a or self._select not in self.values):
            self.values[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "textarea":
            self._textarea = None
        if tag == "select":
            self._select = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._textarea:
            self.values[self._textarea] += data


def edit_stage(app, code: str, prerequisites: list[str]):  # type: ignore[no-untyped-def]
    with app.app_context():
        shop = shop_with_stages()
        owner = staff(shop, "owner")
        stage_id = db.session.scalar(
            sa.select(ProductionStage.id).where(ProductionStage.shop_id == shop.id, ProductionStage.stage_code == code)
        )
        email = owner.email
        db.session.remove()
    client = app.test_client()
    login(client, email)
    url = f"/admin/production_stages/edit/?id={stage_id}"
    fields = FormFields()
    fields.feed(client.get(url).get_data(as_text=True))
    data = {**fields.values, "prerequisites": json.dumps(prerequisites)}
    response = client.post(url, data=data, follow_redirects=True)
    with app.app_context():
        saved = db.session.get(ProductionStage, stage_id).prerequisites
    return response.get_data(as_text=True), saved


def test_an_owner_changes_a_stages_prerequisites(app):
    body, saved = edit_stage(app, "BODY_WORK", ["disassembly"])
    assert "Record was successfully saved." in body
    assert saved == ["DISASSEMBLY"]


def test_an_unknown_stage_code_is_refused_and_nothing_changes(app):
    body, saved = edit_stage(app, "BODY_WORK", ["DISASSEMBLY", "WAXING"])
    assert "Unknown stage code(s) in prerequisites: WAXING." in body
    assert saved == ["DISASSEMBLY", "PARTS_HOLD", "FRAME_REPAIR"]


def test_a_loop_is_refused(app):
    body, saved = edit_stage(app, "INTAKE", ["DELIVERY"])
    assert "INTAKE cannot wait for DELIVERY" in body
    assert saved == []
