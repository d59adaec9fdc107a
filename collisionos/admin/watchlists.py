"""Watch-lists: what the SLA monitor flagged in the current shop, one tab per kind, each item linked to its record.

Read-only: a flag clears itself when its condition no longer holds (``collisionos/services/monitoring.py``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from collisionos.domain.permissions import Action, allowed
from collisionos.extensions import db
from collisionos.models import RepairOrder, WatchFlag
from collisionos.models.base import utcnow
from collisionos.services import monitoring
from collisionos.tenancy import current_shop_id

CATEGORY = "Repair Orders"
PAGE_SIZE = 100


class WatchListsView(BaseView):
    """``/admin/watchlists/?kind=at_risk``: the open flags of one kind, longest-flagged first."""

    area = "jobs"

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated and allowed(current_user.role, self.area, Action.VIEW))

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)

    def _kinds(self) -> list[monitoring.WatchKind]:
        """The kinds this user may see (part and PO lists need the parts area too)."""
        return [kind for kind in monitoring.KINDS.values() if allowed(current_user.role, kind.area, Action.VIEW)]

    def _links(self) -> dict[str, bool]:
        """Per subject endpoint: whether this user may open its details page."""
        areas = {getattr(view, "endpoint", None): getattr(view, "area", None) for view in self.admin._views}
        return {
            kind.endpoint: bool(
                areas.get(kind.endpoint) and allowed(current_user.role, areas[kind.endpoint], Action.VIEW)
            )
            for kind in monitoring.KINDS.values()
        }

    @staticmethod
    def local(value: Any) -> str:
        from collisionos.admin.formatters import local_datetime

        return local_datetime(value)

    @expose("/")
    def index(self) -> Any:
        shop_id = current_shop_id()
        kinds = self._kinds()
        if not kinds:
            abort(403)
        codes = [kind.code for kind in kinds]
        code = request.args.get("kind") or codes[0]
        if code not in codes:
            abort(404)
        kind = monitoring.KINDS[code]
        try:
            page = max(0, int(request.args.get("page", 0)))
        except ValueError:
            page = 0
        counts = monitoring.open_flag_counts(shop_id)
        # Each flag with its RO's overdue days as the sweep keeps them (flags about other records join nothing).
        flags = db.session.execute(
            sa.select(WatchFlag, RepairOrder.overdue_by)
            .outerjoin(RepairOrder, monitoring.ro_subject())
            .where(WatchFlag.shop_id == shop_id, WatchFlag.kind == code, WatchFlag.cleared_at.is_(None))
            .order_by(WatchFlag.first_flagged_at, WatchFlag.id)
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        links = self._links()
        return self.render(
            "admin/watchlists/index.html",
            kinds=kinds,
            kind=kind,
            counts=counts,
            flags=flags,
            page=page,
            pages=max(1, -(-counts.get(code, 0) // PAGE_SIZE)),
            link=(lambda flag: url_for(f"{kind.endpoint}.details_view", id=flag.subject_id))
            if links.get(kind.endpoint)
            else None,
            age=_age,
            now=utcnow(),
        )


def _age(since: Any, now: Any) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    days, hours = seconds // 86400, seconds % 86400 // 3600
    if days:
        return f"{days} d {hours} h" if days < 3 else f"{days} days"
    if hours:
        return f"{hours} h"
    return f"{max(1, seconds // 60)} min"


def views() -> list[BaseView]:
    return [WatchListsView(name="Watch-lists", endpoint="watchlists", category=CATEGORY)]
