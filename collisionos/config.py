"""Settings, all read from the environment (see the configuration table in README.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

TRUE_WORDS = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def instance_path() -> Path:
    """Return the folder for the SQLite database and the generated secret key."""
    return Path(os.environ.get("COLLISIONOS_INSTANCE", Path.cwd() / "instance")).resolve()


def load_or_create_secret_key(folder: Path) -> str:
    """Return SECRET_KEY from the environment, else from ``instance/secret_key``, generating it once."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = folder / "secret_key"
    if key_file.exists():
        stored = key_file.read_text().strip()
        if stored:
            return stored
        key_file.unlink()  # an empty key file would mean an empty key: make a new one
    folder.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions; never readable by other local users.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` spellings and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def build_config() -> dict:
    """Read every setting from the environment into a dict for ``app.config``."""
    folder = instance_path()
    folder.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'collisionos.db'}"
    return {
        "INSTANCE_FOLDER": str(folder),
        "SECRET_KEY": load_or_create_secret_key(folder),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SHOP_TIMEZONE": os.environ.get("SHOP_TIMEZONE", "America/Toronto"),
        # --- Scheduler (collisionos/jobs): runs only in the process holding the lock; README "Scheduler". ---
        "SCHEDULER_ENABLED": env_bool("SCHEDULER_ENABLED", False),
        "SCHEDULER_TIMEZONE": os.environ.get("SCHEDULER_TIMEZONE")
        or os.environ.get("SHOP_TIMEZONE", "America/Toronto"),
        "SCHEDULER_LOCK_RETRY_SECONDS": env_int("SCHEDULER_LOCK_RETRY_SECONDS", 30),
        "SCHEDULER_JOB_TABLE": os.environ.get("SCHEDULER_JOB_TABLE", "collisionos.jobs.table:JOBS"),
        # --- end of the scheduler settings ---
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": env_int("MAIL_PORT", 587),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", ""),
        # --- customer messaging (services/messaging): email goes through the MAIL_* server above -----------
        "MAIL_TIMEOUT": env_int("MAIL_TIMEOUT", 10),
        # "outbox": texts wait in the admin's Outbox for staff to send by hand; "webhook": POSTed to WEBHOOK_URL.
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", "outbox").strip().lower(),
        "WEBHOOK_URL": os.environ.get("WEBHOOK_URL", ""),
        "WEBHOOK_SECRET": os.environ.get("WEBHOOK_SECRET", ""),
        "WEBHOOK_TIMEOUT": env_int("WEBHOOK_TIMEOUT", 10),
        # --- end of the messaging settings ---
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", False),
        "MAX_CONTENT_LENGTH": env_int("MAX_UPLOAD_BYTES", 16 * 1024 * 1024),
        "BMS_MAX_BYTES": env_int("BMS_MAX_BYTES", 5 * 1024 * 1024),
        "QUERY_COUNT_HEADER": env_bool("QUERY_COUNT_HEADER", False),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "WTF_CSRF_TIME_LIMIT": None,
    }
