"""Vehicle Identification Numbers: validation (DOMAIN.md §5.9) and offline decoding with vininfo."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from vininfo import Vin

from collisionos.domain.errors import ValidationError

VIN_LENGTH = 17
_ALLOWED = re.compile(r"^[A-HJ-NPR-Z0-9]+$")
_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_NORTH_AMERICAN_FIRST = "12345"


def normalize_vin(raw: str | None) -> str:
    """Strip spaces and dashes and upper-case; ``None`` becomes an empty string."""
    return re.sub(r"[\s-]", "", raw or "").upper()


def check_digit(vin: str) -> str:
    """Return the check digit (``0``-``9`` or ``X``) that position 9 of ``vin`` must carry."""
    total = sum(_TRANSLITERATION[ch] * weight for ch, weight in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_north_american(vin: str) -> bool:
    return bool(vin) and vin[0] in _NORTH_AMERICAN_FIRST


def validate_vin(raw: str | None) -> str:
    """Return the normalised VIN, or raise :class:`ValidationError` saying what is wrong with it.

    The check digit is enforced for North American VINs (first character 1-5); other regions
    (Europe, Asia) do not use it.
    """
    vin = normalize_vin(raw)
    if len(vin) != VIN_LENGTH:
        raise ValidationError(f"A VIN has 17 characters; {vin or 'this one'!r} has {len(vin)}.", rule="vin_length")
    if not _ALLOWED.match(vin):
        bad = sorted({ch for ch in vin if not _ALLOWED.match(ch)})
        raise ValidationError(
            f"VIN {vin} contains {', '.join(bad)}: VINs use letters and digits except I, O and Q.",
            rule="vin_characters",
        )
    if is_north_american(vin):
        expected = check_digit(vin)
        if vin[8] != expected:
            raise ValidationError(
                f"VIN {vin} fails the check digit (position 9 is {vin[8]}, should be {expected}): "
                "a character was probably mistyped.",
                rule="vin_check_digit",
            )
    return vin


def validate_partial_vin(raw: str | None) -> str:
    """Accept an empty or partial VIN (fewer than 17 characters) as typed; validate a full one."""
    vin = normalize_vin(raw)
    if len(vin) < VIN_LENGTH:
        if vin and not _ALLOWED.match(vin):
            raise ValidationError(
                f"VIN {vin} contains characters VINs never use (I, O, Q or symbols).", rule="vin_characters"
            )
        return vin
    return validate_vin(vin)


@dataclass(frozen=True)
class DecodedVin:
    vin: str
    manufacturer: str | None
    country: str | None
    region: str | None
    wmi: str
    model_year: int | None
    check_digit_valid: bool | None  # None where the region has no check digit


_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # position 10; the cycle repeats every 30 years


def model_year(vin: str, today: date | None = None) -> int | None:
    """Return the model year from position 10, disambiguated by position 7 for North American VINs.

    The year code repeats every 30 years (A = 1980 or 2010 ...). For North American VINs a digit in
    position 7 means 1980-2009 and a letter 2010-2039 (DOMAIN.md §5.9). Elsewhere the latest
    year that is not beyond next year is taken.
    """
    if len(vin) < 10 or vin[9] not in _YEAR_CODES:
        return None
    first = 1980 + _YEAR_CODES.index(vin[9])
    if is_north_american(vin) and len(vin) >= 7:
        return first if vin[6].isdigit() else first + 30
    latest = (today or datetime.now(UTC).date()).year + 1
    candidates = [year for year in (first, first + 30, first + 60) if year <= latest]
    return candidates[-1] if candidates else first


def decode_vin(raw: str | None) -> DecodedVin:
    """Validate and decode a VIN offline: manufacturer, country, region, WMI and model year."""
    vin = validate_vin(raw)
    info = Vin(vin)
    return DecodedVin(
        vin=vin,
        manufacturer=info.manufacturer or None,
        country=info.country or None,
        region=info.region or None,
        wmi=info.wmi,
        model_year=model_year(vin),
        check_digit_valid=(vin[8] == check_digit(vin)) if is_north_american(vin) else None,
    )
