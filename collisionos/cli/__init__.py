"""Command-line groups: ``flask seed ...`` and ``flask users ...`` (``flask db`` comes from Flask-Migrate)."""

from collisionos.cli.seed import seed_cli
from collisionos.cli.users import users_cli

__all__ = ["seed_cli", "users_cli"]
