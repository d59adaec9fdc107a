"""``/admin/search/?q=``: one box in the top bar finds repair orders, customers, vehicles, claims and POs."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, request, url_for
from flask_admin import BaseView, expose
from flask_login import current_user

from collisionos.domain.permissions import Action, allowed
from collisionos.services.search import search
from collisionos.tenancy import current_shop_id

# Result group -> permission area whose view right it needs.
KIND_AREAS = {"repair_orders": "jobs", "customers": "customers", "claims": "estimates", "purchase_orders": "parts"}


class SearchView(BaseView):
    def is_visible(self) -> bool:
        return False  # reached from the top bar, not the menu

    def is_accessible(self) -> bool:
        return bool(current_user and current_user.is_authenticated)

    @expose("/")
    def index(self) -> Any:
        kinds = frozenset(kind for kind, area in KIND_AREAS.items() if allowed(current_user.role, area, Action.VIEW))
        results = search(current_shop_id(), request.args.get("q", ""), kinds)
        # Only records that have a page here can be shown (one click to the record).
        for group, hits in list(results.groups.items()):
            hits = [hit for hit in hits if f"{hit.endpoint}.details_view" in current_app.view_functions]
            if hits:
                results.groups[group] = hits
            else:
                del results.groups[group]
        if results.count == 1:
            hit = next(iter(results.groups.values()))[0]
            return self.redirect_to(hit)
        return self.render("admin/search.html", results=results, link=self.link)

    @staticmethod
    def link(hit: Any) -> str:
        return url_for(f"{hit.endpoint}.details_view", id=hit.id)

    def redirect_to(self, hit: Any) -> Any:
        return redirect(self.link(hit))


def views() -> list[BaseView]:
    return [SearchView(name="Search", endpoint="search", url="/admin/search")]
