"""How values look in admin lists, details and exports: money to the cent, times in the shop's zone."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_admin.model import typefmt
from markupsafe import Markup, escape

from collisionos.domain.money import to_money


def money(value: Decimal | None) -> str:
    return "" if value is None else f"{to_money(value):,.2f}"


def shop_zone() -> ZoneInfo:
    from collisionos.tenancy import current_shop

    try:
        return ZoneInfo(current_shop().timezone)
    except Exception:  # noqa: BLE001  (an unknown zone name must not break a page)
        return ZoneInfo("America/Toronto")


def local_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(shop_zone()).strftime("%Y-%m-%d %H:%M")


def _type_money(_view: Any, value: Decimal, _name: str = "") -> str:
    return money(value)


def _type_datetime(_view: Any, value: datetime, _name: str = "") -> str:
    return local_datetime(value)


def _type_date(_view: Any, value: date, _name: str = "") -> str:
    return value.isoformat()


def _type_bool(_view: Any, value: bool, _name: str = "") -> Markup:
    return (
        Markup('<span class="badge badge-success">Yes</span>')
        if value
        else Markup('<span class="badge badge-light">No</span>')
    )


def _type_none(_view: Any, _value: None, _name: str = "") -> str:
    return ""


def _type_list(_view: Any, value: list, _name: str = "") -> str:
    return ", ".join(str(v) for v in value)


TYPE_FORMATTERS = {
    type(None): _type_none,
    Decimal: _type_money,
    datetime: _type_datetime,
    date: _type_date,
    bool: _type_bool,
    list: _type_list,
}
# Details pages: the same money, local times and badges as the lists; JSON still shown as Flask-Admin does.
DETAIL_TYPE_FORMATTERS = {**typefmt.DETAIL_FORMATTERS, **TYPE_FORMATTERS}
EXPORT_TYPE_FORMATTERS = {
    type(None): _type_none,
    Decimal: lambda _v, value, _name="": str(value),
    datetime: _type_datetime,
    date: _type_date,
    bool: lambda _v, value, _name="": "yes" if value else "no",
    list: _type_list,
}

BADGE_CLASSES = {
    "green": "success",
    "yellow": "warning",
    "red": "danger",
    "critical": "dark",
    "cancelled": "secondary",
    "archived": "secondary",
    "delivered": "success",
    "paid": "success",
    "installed": "success",
    "completed": "success",
    "received": "info",
    "backordered": "danger",
    "on_hold": "warning",
}


def status_badge(_view: Any, _context: Any, model: Any, name: str) -> Markup:
    """Render an enum value as a readable badge (``in_production`` -> "in production")."""
    value = getattr(model, name, None)
    if value is None:
        return Markup("")
    css = BADGE_CLASSES.get(str(value), "primary")
    label = escape(str(value).replace("_", " "))
    return Markup('<span class="badge badge-{}">{}</span>').format(css, label)


def money_column(_view: Any, _context: Any, model: Any, name: str) -> str:
    return money(getattr(model, name, None))
