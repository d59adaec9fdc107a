"""Database upkeep."""

from __future__ import annotations

from collisionos.extensions import db


def analyze_database() -> None:
    """Refresh the planner's statistics (after bulk loads; SQLite has none until ANALYZE runs).

    Without them SQLite may pick an index that walks every row of a shop for a 10-row page.
    """
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
