"""Authentication use cases."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from collisionos.domain.passwords import hash_password, needs_rehash, verify_password
from collisionos.extensions import db
from collisionos.models import User
from collisionos.models.base import utcnow


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """Return the user when the email and password match an account that may log in."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if not verify_password(user.password if user else None, password) or user is None:
        return None
    if not user.can_log_in(now):
        return None
    user.last_login = now
    if needs_rehash(user.password):
        user.password = hash_password(password, check_rules=False)
    db.session.commit()
    return user


def load_session_user(session_id: str) -> User | None:
    """Return the user for a session id ``"<id>:<token>"``; None once the user is inactive or the token changed."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdigit():
        return None
    # The shop comes with the user: every page needs it (time zone, name), so it costs no extra query.
    user = db.session.get(User, int(user_id), options=[sa.orm.joinedload(User.shop)])
    if user is None or not user.can_log_in(utcnow()) or (user.session_token or "") != token:
        return None
    return user
