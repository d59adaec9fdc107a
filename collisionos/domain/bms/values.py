"""Read one value from a BMS file: text, a code, a number, money, hours, a date or a yes/no flag.

A value that is required to be a number or a date and is not one refuses the whole file: importing a guess would
put wrong money on an estimate. Each refusal is a :class:`BmsRejected` that names the value, never quotes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree.ElementTree import Element

from collisionos.domain.bms.model import BmsRejected
from collisionos.domain.money import ZERO, to_money

_YES = frozenset({"Y", "YES", "1", "TRUE", "T"})
_NO = frozenset({"N", "NO", "0", "FALSE", "F"})
# Bounded so that no number in a file can exceed Decimal's precision when rounded to the cent.
_NUMBER = re.compile(r"[+-]?(?:\d{1,15}(?:\.\d{0,10})?|\.\d{1,10})", re.ASCII)
_WHOLE_NUMBER = re.compile(r"\d{1,15}", re.ASCII)


def text(element: Element | None, path: str) -> str | None:
    """Return the stripped text at ``path`` under ``element``; ``None`` when absent or blank."""
    found = element.find(path) if element is not None else None
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def first(element: Element, *paths: str) -> Element | None:
    return next((found for path in paths if (found := element.find(path)) is not None), None)


def code(text: str | None) -> str | None:
    return text.upper() if text else None


def bad_value(message: str) -> BmsRejected:
    return BmsRejected(message, rule="bms_bad_value")


# Beyond these no collision estimate goes; they also keep every value inside its database column.
MONEY_LIMIT = Decimal("1000000.00")  # one amount (a line's price, a rate, a total)
HOURS_LIMIT = Decimal("9999.99")
QUANTITY_LIMIT = Decimal("99999")
WHOLE_LIMIT = 2_000_000_000


def out_of_range(message: str) -> BmsRejected:
    return bad_value(message.replace("is not a number", "is out of range"))


def decimal(text: str | None, message: str, *, limit: Decimal = MONEY_LIMIT) -> Decimal | None:
    if text is None:
        return None
    if _NUMBER.fullmatch(text) is None:
        raise bad_value(message)
    value = Decimal(text)
    if abs(value) > limit:
        raise out_of_range(message)
    return value


def money(text: str | None, message: str) -> Decimal | None:
    value = decimal(text, message)
    return None if value is None else to_money(value)


def not_negative(value: Decimal | None, message: str) -> Decimal | None:
    if value is not None and value < 0:
        raise bad_value(message.replace("is not a number", "is negative"))
    return value


def hours(text: str | None, subject: str) -> Decimal | None:
    value = decimal(text, f"{subject} is not a number", limit=HOURS_LIMIT)
    if value is not None and value < 0:
        raise bad_value(f"{subject} is negative")
    return value


def whole(text: str | None, message: str) -> int | None:
    if text is None:
        return None
    if _WHOLE_NUMBER.fullmatch(text) is None:
        raise bad_value(message)
    value = int(text)
    if abs(value) > WHOLE_LIMIT:
        raise out_of_range(message)
    return value


def moment(text: str | None, message: str) -> datetime | None:
    """Read an ISO 8601 date or date-time as aware UTC; a time without an offset is taken as UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise bad_value(message) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def flag(text: str | None) -> bool:
    return text is not None and text.upper() in _YES


def yes_no(text: str | None) -> bool | None:
    if text is None:
        return None
    if text.upper() in _YES:
        return True
    return False if text.upper() in _NO else None


def sum_of(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [value for value in values if value is not None]
    return sum(present, ZERO) if present else None


def first_present(*values: Decimal | None) -> Decimal | None:
    return next((value for value in values if value is not None), None)
