"""Login and logout views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from collisionos.extensions import login_manager
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


@bp.route("/login", methods=["GET", "POST"])
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
