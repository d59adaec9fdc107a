"""Pages outside the admin: the home page and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from collisionos.extensions import db
from collisionos.services.dashboard import home_counts

bp = Blueprint("pages", __name__)


@bp.route("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    counts = home_counts(current_user.shop_id) if current_user.shop_id else None
    return render_template("home.html", counts=counts)


@bp.route("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok")
