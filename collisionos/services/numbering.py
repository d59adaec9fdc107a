"""Per-shop number sequences taken from a counter row, never from max() + 1."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from collisionos.extensions import db
from collisionos.models import NumberSequence


def reserve_numbers(shop_id: int, name: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive values of the shop's ``name`` counter and return the first.

    The increment is a single UPDATE ... RETURNING, so two requests can never read the same
    value; it takes the row lock (PostgreSQL) or the write lock (SQLite) until the caller commits.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    bump = (
        sa.update(NumberSequence)
        .where(NumberSequence.shop_id == shop_id, NumberSequence.name == name)
        .values(last_value=NumberSequence.last_value + count)
        .returning(NumberSequence.last_value)
        .execution_options(synchronize_session=False)
    )
    last = db.session.execute(bump).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.add(NumberSequence(shop_id=shop_id, name=name, last_value=count))
            return 1
        except IntegrityError:
            # Another transaction created the counter first: bump the row it made.
            last = db.session.execute(bump).scalar_one()
    return last - count + 1
