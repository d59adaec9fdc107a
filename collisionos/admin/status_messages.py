"""Status messages: which template goes to the customer when an RO changes status, with a preview."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from collisionos.admin.workflow import form_text
from collisionos.domain.errors import DomainError
from collisionos.domain.permissions import Action, allowed
from collisionos.extensions import db
from collisionos.models import CommunicationTemplate
from collisionos.models.base import utcnow
from collisionos.services import status_messages as service
from collisionos.tenancy import current_shop_id

CATEGORY = "Communication"


class StatusMessagesView(BaseView):
    """Owners map each RO status (and the parts-arrived and on-hold events) to a message template."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and allowed(current_user.role, "communication", Action.VIEW))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    @expose("/")
    def index(self) -> Any:
        shop_id = current_shop_id()
        templates = db.session.scalars(
            sa.select(CommunicationTemplate)
            .where(CommunicationTemplate.shop_id == shop_id)
            .order_by(CommunicationTemplate.template_name)
        ).all()
        mapping = {trigger: [t for t in templates if trigger in (t.job_statuses or [])] for trigger in service.TRIGGERS}
        preview = None
        wanted = request.args.get("preview", "")
        if wanted.isdigit():
            preview = self._preview(shop_id, int(wanted), request.args.get("language") or None)
        return self.render(
            "admin/status_messages.html",
            triggers=service.TRIGGERS,
            templates=[t for t in templates if t.status == "active"],
            mapping=mapping,
            preview=preview,
            can_edit=may_map(),
        )

    def _preview(self, shop_id: int, template_id: int, language: str | None) -> dict[str, Any] | None:
        from collisionos.services.messaging.templates import context_for, render_template

        template = db.session.get(CommunicationTemplate, template_id)
        if template is None or template.shop_id != shop_id:
            abort(404)
        try:
            ro = service.preview_record(shop_id)
            rendered = render_template(template, language or ro.customer.preferred_language or "en", context_for(ro))
        except DomainError as error:
            flash(str(error), "error")
            return None
        return {"template": template, "record": ro, "message": rendered}

    @expose("/map/", methods=("POST",))
    def map_trigger(self) -> Any:
        if not may_map():
            abort(403)
        trigger = form_text(request.form, "trigger") or ""
        try:
            codes = service.map_trigger(
                current_shop_id(),
                trigger,
                form_text(request.form, "template_id"),
                actor=current_user._get_current_object(),
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            label = service.TRIGGERS.get(trigger, trigger)
            flash(f"{label}: {codes[0] if codes else 'no message'}.", "success")
        return redirect(url_for(".index"))


def may_map() -> bool:
    """Which message goes out on which change is the shop's policy: owners (settings editors) decide it."""
    return allowed(current_user.role, "settings", Action.EDIT)


def views() -> list[BaseView]:
    return [StatusMessagesView(name="Status Messages", endpoint="status_messages", category=CATEGORY)]
