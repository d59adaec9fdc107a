"""Password hashing with argon2id (OWASP ASVS 5.0 strength) and password rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from collisionos.domain.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory profile: t=3, m=64 MiB, p=4
# Verified against when the email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = _hasher.hash("collisionos-timing-equaliser")


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short or all one character."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.", rule="password_length")
    if len(set(password)) < 4:
        raise ValidationError("That password is too easy to guess.", rule="password_weak")


def hash_password(password: str, *, check_rules: bool = True) -> str:
    """Return the argon2id hash of ``password``, after checking the password rules unless told not to."""
    if check_rules:
        check_password_rules(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Return True when ``password`` matches ``stored_hash``; spend the same time when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Return True when the hash was made with weaker parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
