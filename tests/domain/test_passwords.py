"""Password hashing with argon2id and the password rules."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from collisionos.domain.errors import ValidationError
from collisionos.domain.passwords import (
    MIN_PASSWORD_LENGTH,
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def stored_hash() -> str:
    return hash_password(PASSWORD)


def test_hash_is_argon2id(stored_hash):
    assert stored_hash.startswith("$argon2id$")
    assert PASSWORD not in stored_hash


def test_same_password_hashes_differently_each_time(stored_hash):
    assert hash_password(PASSWORD) != stored_hash


def test_right_password_verifies(stored_hash):
    assert verify_password(stored_hash, PASSWORD) is True


@pytest.mark.parametrize("attempt", ["correct-horse-batterY", "", PASSWORD + " "])
def test_wrong_password_does_not_verify(stored_hash, attempt):
    assert verify_password(stored_hash, attempt) is False


def test_missing_hash_never_verifies():
    assert verify_password(None, PASSWORD) is False
    assert verify_password(None, "collisionos-timing-equaliser") is False


def test_garbage_hash_does_not_verify_or_raise():
    assert verify_password("not-a-hash", PASSWORD) is False


def test_password_shorter_than_twelve_characters_is_refused():
    assert MIN_PASSWORD_LENGTH == 12
    with pytest.raises(ValidationError) as error:
        hash_password("abcdefghijk")
    assert error.value.rule == "password_length"

    check_password_rules("abcdefghijkl")


def test_password_of_too_few_distinct_characters_is_refused():
    with pytest.raises(ValidationError) as error:
        check_password_rules("abababababababab")

    assert error.value.rule == "password_weak"


def test_rules_can_be_skipped_when_rehashing_an_existing_password():
    short = "short"

    assert verify_password(hash_password(short, check_rules=False), short) is True


def test_hash_made_with_weaker_parameters_needs_rehash(stored_hash):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)

    assert needs_rehash(weak) is True
    assert needs_rehash(stored_hash) is False
    assert needs_rehash("not-a-hash") is True
