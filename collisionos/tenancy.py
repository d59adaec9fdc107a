"""The current shop of the logged-in user (a platform admin may switch it)."""

from __future__ import annotations

from flask import abort, g, session
from flask_login import current_user

from collisionos.domain.permissions import PLATFORM_ROLES
from collisionos.extensions import db
from collisionos.models import Shop

SESSION_KEY = "current_shop_id"


def current_shop_id() -> int:
    """Return the id of the shop the user works in now; 403 when there is none."""
    if "current_shop_id" in g:
        return g.current_shop_id
    shop_id = None
    if current_user and current_user.is_authenticated:
        if current_user.role in PLATFORM_ROLES:
            shop_id = session.get(SESSION_KEY) or current_user.shop_id
            if shop_id is None:
                shop_id = db.session.scalar(db.select(Shop.id).order_by(Shop.id).limit(1))
        else:
            shop_id = current_user.shop_id
    if shop_id is None:
        abort(403)
    g.current_shop_id = shop_id
    return shop_id


def current_shop() -> Shop:
    if "current_shop" not in g:
        g.current_shop = db.session.get(Shop, current_shop_id())
    return g.current_shop


def switch_shop(shop_id: int) -> Shop:
    """Make ``shop_id`` the platform admin's current shop."""
    if current_user.role not in PLATFORM_ROLES:
        abort(403)
    shop = db.session.get(Shop, shop_id)
    if shop is None:
        abort(404)
    session[SESSION_KEY] = shop.id
    g.pop("current_shop_id", None)
    g.pop("current_shop", None)
    return shop


def switchable_shops() -> list[Shop]:
    """The shops a platform admin may switch to (empty for everyone else)."""
    if current_user.role not in PLATFORM_ROLES:
        return []
    return list(db.session.scalars(db.select(Shop).order_by(Shop.name)))
