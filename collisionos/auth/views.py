"""Login and logout views."""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from collisionos.extensions import limiter, login_manager
from collisionos.models.base import utcnow
from collisionos.services.auth import authenticate, load_session_user

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.login_message_category = "info"
INVALID_LOGIN = "Invalid email or password."


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=255)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


@login_manager.user_loader
def load_user(session_id: str):  # type: ignore[no-untyped-def]
    return load_session_user(session_id)


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only when it is a path on this site (no scheme, no host, no ``//``)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


FAILED_LOGIN_LIMIT = "5 per 15 minutes"


def _login_failed(response) -> bool:  # type: ignore[no-untyped-def]
    # Only failed attempts count: a successful login redirects.
    return response.status_code != 302


def _account_key() -> str:
    return "login-account:" + (request.form.get("email") or "").strip().lower()[:255]


def _address_key() -> str:
    return "login-address:" + (request.remote_addr or "unknown")


def _too_many_attempts(limit) -> Response:  # type: ignore[no-untyped-def]
    # Never more than the 15-minute window (reset times carry a second of rounding).
    minutes = min(15, max(1, math.ceil((limit.reset_at - time.time()) / 60)))
    flash(f"Too many failed attempts. Try again in {minutes} minute{'s' if minutes != 1 else ''}.", "danger")
    response = make_response(render_template("auth/login.html", form=LoginForm()), 429)
    response.headers["Retry-After"] = str(minutes * 60)
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    FAILED_LOGIN_LIMIT, key_func=_address_key, methods=["POST"], deduct_when=_login_failed, on_breach=_too_many_attempts
)
@limiter.limit(
    FAILED_LOGIN_LIMIT, key_func=_account_key, methods=["POST"], deduct_when=_login_failed, on_breach=_too_many_attempts
)
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "", now=utcnow())
        if user is not None:
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("pages.home"))
        flash(INVALID_LOGIN, "danger")
    elif request.method == "POST":
        flash(INVALID_LOGIN, "danger")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
