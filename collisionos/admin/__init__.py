"""The admin portal: Flask-Admin built per app from one ordered list of views."""

from __future__ import annotations

from flask import Flask, redirect, url_for
from flask_admin import Admin, AdminIndexView, expose
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_login import current_user

from collisionos import tenancy
from collisionos.admin.estimates import ImportEstimateLink
from collisionos.admin.views import build_views
from collisionos.domain.permissions import Action, allowed
from collisionos.services.dashboard import home_counts


class HomeView(AdminIndexView):
    """``/admin/``: the logged-in user's home page."""

    def is_accessible(self) -> bool:
        return bool(current_user and current_user.is_authenticated)

    def inaccessible_callback(self, name, **kwargs):  # type: ignore[no-untyped-def]
        return redirect(url_for("auth.login", next="/admin/"))

    @expose("/")
    def index(self):  # type: ignore[no-untyped-def]
        shop = tenancy.current_shop()
        return self.render(
            "admin/home.html",
            counts=home_counts(shop.id),
            shop=shop,
            shops=tenancy.switchable_shops(),
            can_open_ro=allowed(current_user.role, "jobs", Action.CREATE),
        )


def init_admin(app: Flask) -> Admin:
    """Create the admin for ``app`` with every view, grouped in menu categories."""
    admin = Admin(
        app,
        name="CollisionOS",
        theme=Bootstrap4Theme(base_template="admin/collisionos_base.html", fluid=True),
        index_view=HomeView(name="Home", url="/admin", endpoint="admin"),
    )
    for view in build_views():
        admin.add_view(view)
    admin.add_link(MenuLink(name="Open a repair order", endpoint="repair_orders.intake_view", category="Repair Orders"))
    admin.add_link(
        ImportEstimateLink(
            name="Import estimate (BMS)", endpoint="bms_imports.upload_view", category="Insurance & Estimates"
        )
    )
    return admin
