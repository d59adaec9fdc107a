"""VIN validation and model-year decoding (DOMAIN.md §5.9)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from collisionos.domain.errors import ValidationError
from collisionos.domain.vin import decode_vin, model_year, validate_partial_vin, validate_vin

HONDA_2003 = "1HGCM82633A004352"
EUROPEAN_NO_CHECK_DIGIT = "WVWZZZ1JZXW000001"
# vininfo's list of candidate years depends on today's date.
FROZEN_NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _with(vin: str, position: int, char: str) -> str:
    """Return ``vin`` with the character at 1-based ``position`` replaced."""
    return vin[: position - 1] + char + vin[position:]


# DOMAIN.md §5.9, restated here so the test does not trust the code's own table.
_SPEC_VALUES = dict(
    zip("ABCDEFGHJKLMNPRSTUVWXYZ", (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)
_SPEC_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _spec_check_digit(vin: str) -> str:
    total = sum((int(ch) if ch.isdigit() else _SPEC_VALUES[ch]) * w for ch, w in zip(vin, _SPEC_WEIGHTS, strict=True))
    return "X" if total % 11 == 10 else str(total % 11)


def _with_check_digit(vin: str) -> str:
    return _with(vin, 9, _spec_check_digit(vin))


def _year_vin(position_7: str, year_code: str) -> str:
    # model_year() does not look at the check digit, so the base VIN's is left as it is.
    return _with(_with(HONDA_2003, 7, position_7), 10, year_code)


def test_valid_north_american_vin_decodes_to_honda_2003():
    decoded = decode_vin(HONDA_2003)

    assert decoded.vin == HONDA_2003
    assert decoded.manufacturer == "Honda"
    assert decoded.model_year == 2003
    assert decoded.wmi == "1HG"
    assert decoded.check_digit_valid is True


def test_wrong_check_digit_is_refused_and_the_message_names_the_expected_digit():
    with pytest.raises(ValidationError) as error:
        validate_vin("5YJ3E1EA7KF317000")

    assert error.value.rule == "vin_check_digit"
    assert "position 9 is 7, should be 2" in str(error.value)


@pytest.mark.parametrize("first", ["1", "2", "3", "4", "5"])
def test_check_digit_is_enforced_for_every_north_american_first_character(first):
    vin = _with_check_digit(_with(HONDA_2003, 1, first))
    wrong = "0" if vin[8] != "0" else "1"

    assert validate_vin(vin) == vin
    with pytest.raises(ValidationError) as error:
        validate_vin(_with(vin, 9, wrong))
    assert error.value.rule == "vin_check_digit"


def test_check_digit_ten_is_written_as_x():
    vin = "1M8GDM9AXKP042788"
    assert _spec_check_digit(vin) == "X"

    assert validate_vin(vin) == vin


@pytest.mark.parametrize("vin", [EUROPEAN_NO_CHECK_DIGIT, "JHMCM82633C004352", "KMHDU46D17U123456"])
def test_vin_outside_north_america_is_accepted_without_a_check_digit(vin):
    assert validate_vin(vin) == vin
    assert decode_vin(vin).check_digit_valid is None


def test_european_vin_decodes_manufacturer_offline():
    decoded = decode_vin(EUROPEAN_NO_CHECK_DIGIT)

    assert decoded.manufacturer == "Volkswagen"
    assert decoded.region == "Europe"


@pytest.mark.parametrize("vin", [HONDA_2003[:16], HONDA_2003 + "1", ""])
def test_vin_that_is_not_17_characters_is_refused(vin):
    with pytest.raises(ValidationError) as error:
        validate_vin(vin)

    assert error.value.rule == "vin_length"
    assert "17" in str(error.value)


@pytest.mark.parametrize("letter", ["I", "O", "Q"])
def test_letters_i_o_q_are_refused(letter):
    with pytest.raises(ValidationError) as error:
        validate_vin(_with(HONDA_2003, 12, letter))

    assert error.value.rule == "vin_characters"
    assert letter in str(error.value)


def test_symbol_in_vin_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_vin(_with(HONDA_2003, 12, "*"))

    assert error.value.rule == "vin_characters"


@pytest.mark.parametrize(
    "typed", ["1hgcm82633a004352", " 1HGCM 82633 A004352 ", "1HG-CM826-33A004352", "\t1hgcm82633A004352\n"]
)
def test_lower_case_spaces_and_dashes_are_normalised(typed):
    assert validate_vin(typed) == HONDA_2003


@pytest.mark.parametrize(
    ("position_7", "year_code", "expected"),
    [
        ("2", "A", 1980),
        ("V", "A", 2010),
        ("2", "F", 1985),
        ("B", "F", 2015),
        ("0", "R", 1994),
        ("X", "R", 2024),
        ("2", "Y", 2000),
        ("9", "9", 2009),
    ],
)
def test_model_year_is_disambiguated_by_position_7(position_7, year_code, expected):
    with time_machine.travel(FROZEN_NOW, tick=False):
        assert model_year(_year_vin(position_7, year_code)) == expected


@pytest.mark.parametrize(
    ("year_code", "expected"),
    [("W", 2028), ("Y", 2030), ("1", 2031), ("5", 2035), ("9", 2039)],
)
def test_model_year_with_letter_in_position_7_covers_2028_to_2039(year_code, expected):
    with time_machine.travel(FROZEN_NOW, tick=False):
        assert model_year(_year_vin("V", year_code)) == expected


def test_partial_vin_is_accepted_as_typed_without_validation():
    assert validate_partial_vin("1hgcm8 26") == "1HGCM826"
    assert validate_partial_vin("") == ""
    assert validate_partial_vin(None) == ""


def test_partial_vin_with_a_forbidden_letter_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_partial_vin("1HGO")

    assert error.value.rule == "vin_characters"


@pytest.mark.parametrize(
    ("vin", "rule"),
    [("5YJ3E1EA7KF317000", "vin_check_digit"), (HONDA_2003 + "9", "vin_length")],
)
def test_partial_vin_rules_do_not_exempt_full_length_vins(vin, rule):
    with pytest.raises(ValidationError) as error:
        validate_partial_vin(vin)

    assert error.value.rule == rule


def test_full_vin_through_partial_validation_is_normalised():
    assert validate_partial_vin(HONDA_2003.lower()) == HONDA_2003
