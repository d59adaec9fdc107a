"""Normalised search keys: what staff type is reduced to the same form as what is stored.

Keys are upper-case letters and digits only, so a prefix match on an indexed column finds
"ex m-4521", "EXM4521" and "exm 4521" alike, and a VIN suffix is a prefix of the reversed VIN.
"""

from __future__ import annotations

import re

import phonenumbers

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_NOT_LETTER = re.compile(r"[^A-Z]")


def alnum_key(raw: str | None) -> str | None:
    """Upper-case letters and digits of ``raw`` (``"ex m-4521"`` -> ``"EXM4521"``); None when nothing is left."""
    key = _NOT_ALNUM.sub("", (raw or "").upper())
    return key or None


def name_key(raw: str | None) -> str | None:
    """Upper-case letters only (``"O'Brien"`` -> ``"OBRIEN"``), for prefix search on names."""
    key = _NOT_LETTER.sub("", (raw or "").upper())
    return key or None


def reversed_vin(raw: str | None) -> str | None:
    """The VIN's characters back to front, so "last 6 of the VIN" becomes a prefix search."""
    key = alnum_key(raw)
    return key[::-1] if key else None


def phone_key(raw: str | None, region: str = "CA") -> str | None:
    """The national number's digits (``"+1 (905) 555-0199"`` -> ``"9055550199"``), whatever the formatting."""
    digits = re.sub(r"\D", "", raw or "")
    if not digits:
        return None
    try:
        number = phonenumbers.parse(raw or "", region)
    except phonenumbers.NumberParseException:
        return digits[:20]
    return str(number.national_number)[:20] if number.national_number else digits[:20]


def email_key(raw: str | None) -> str | None:
    email = (raw or "").strip().lower()
    return email or None
