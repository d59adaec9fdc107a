"""Command-line groups: ``flask seed``, ``users``, ``scheduler``, ``bms`` (``flask db`` is Flask-Migrate's)."""

from collisionos.cli.bms import bms_cli
from collisionos.cli.scheduler import scheduler_cli
from collisionos.cli.seed import seed_cli
from collisionos.cli.users import users_cli
from collisionos.services.audit import Actor, set_actor


def _attribute_to_cli() -> None:
    # Writes made by a command show up in the audit trail as "cli" (no user is logged in).
    set_actor(Actor(user_label="cli"))


for _group in (seed_cli, users_cli, scheduler_cli, bms_cli):
    _group.callback = _attribute_to_cli

__all__ = ["bms_cli", "scheduler_cli", "seed_cli", "users_cli"]
