"""Made-up VINs that pass the North American check digit and decode to the intended model year."""

from __future__ import annotations

import random

from collisionos.domain.vin import check_digit

_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"  # 2010 = A ... 2030 = Y, 2031 = 1 (30-year cycle)
_VIN_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_CHARS = _VIN_LETTERS + "0123456789"


def year_code(year: int) -> str:
    return _YEAR_CODES[(year - 2010) % 30]


def make_vin(rng: random.Random, wmi: str, year: int) -> str:
    """Return a valid VIN for ``wmi`` and ``year``; position 7 is a letter for 2010+ (North American rule)."""
    vds = [rng.choice(_VIN_CHARS) for _ in range(5)]
    vds[3] = rng.choice(_VIN_LETTERS) if year >= 2010 else rng.choice("0123456789")  # position 7
    plant = rng.choice(_VIN_LETTERS)
    serial = f"{rng.randrange(0, 1_000_000):06d}"
    draft = f"{wmi}{''.join(vds)}0{year_code(year)}{plant}{serial}"
    return draft[:8] + check_digit(draft) + draft[9:]
