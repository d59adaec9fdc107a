"""Pages outside the admin: the home page and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, request, url_for
from flask_login import login_required

from collisionos import tenancy
from collisionos.extensions import db

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("admin.index"))


@bp.route("/switch-shop", methods=["POST"])
@login_required
def switch_shop():  # type: ignore[no-untyped-def]
    """A platform admin picks the shop to work in."""
    try:
        shop_id = int(request.form.get("shop_id", ""))
    except ValueError:
        abort(404)
    shop = tenancy.switch_shop(shop_id)
    flash(f"You are now working in {shop.name}.", "success")
    return redirect(url_for("pages.home"))


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
