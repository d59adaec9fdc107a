"""Staff account use cases."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from collisionos.domain.errors import NotFound, ValidationError
from collisionos.domain.passwords import hash_password
from collisionos.extensions import db
from collisionos.models import Shop, User
from collisionos.models.enums import Role


def generate_password() -> str:
    """Return a random password that passes the password rules."""
    return secrets.token_urlsafe(15)


def _unique_username(email: str) -> str:
    base = email.split("@", 1)[0][:40] or "user"
    candidate, n = base, 1
    while db.session.scalar(sa.select(User.id).where(User.username == candidate)) is not None:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def create_user(
    *,
    actor: User | None,
    now: datetime,
    email: str,
    role: str,
    shop_id: int | None,
    password: str,
    first_name: str = "",
    last_name: str = "",
    username: str | None = None,
    commit: bool = True,
) -> User:
    """Create a staff account; the email must be new and the role one of DOMAIN.md's roles."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 255:
        raise ValidationError(f"{email!r} is not an email address.")
    if role not in {r.value for r in Role}:
        raise ValidationError(f"Unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}.")
    if shop_id is None and role != Role.ADMIN:
        raise ValidationError(f"A {role.replace('_', ' ')} works in a shop: give --shop.")
    if shop_id is not None and db.session.get(Shop, shop_id) is None:
        raise NotFound(f"There is no shop with id {shop_id}.")
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.email) == email)) is not None:
        raise ValidationError(f"A user with email {email} already exists.")
    user = User(
        email=email,
        username=username or _unique_username(email),
        role=role,
        shop_id=shop_id,
        password=hash_password(password),
        first_name=first_name or email.split("@", 1)[0].split(".")[0].title()[:50],
        last_name=last_name or "",
        session_token=secrets.token_hex(16),
        created_by=actor.id if actor else None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(user)
    if commit:
        db.session.commit()
    return user


def set_password(*, actor: User | None, now: datetime, email: str, password: str) -> User:
    """Set a new password and end the user's other sessions."""
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise NotFound(f"There is no user with email {email}.")
    user.password = hash_password(password)
    user.session_token = secrets.token_hex(16)
    user.failed_login_attempts = 0
    user.updated_by = actor.id if actor else None
    user.updated_at = now
    db.session.commit()
    return user


def list_users(shop_id: int | None = None) -> list[User]:
    """Return users ordered by shop, role and email."""
    query = sa.select(User).order_by(User.shop_id, User.role, User.email)
    if shop_id is not None:
        query = query.where(User.shop_id == shop_id)
    return list(db.session.scalars(query))
