"""The scheduled jobs: thin functions ``job(now) -> counts`` that call one service each.

The runner gives each job an app context, the audit actor "scheduler:<job id>" and ``now`` (aware UTC),
records the run and removes the session afterwards. Services are imported inside each function, so the
table can be read (``flask scheduler status``) without loading them all.
"""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)


class PartlyFailed(Exception):
    """Some of a job's work failed: the run is recorded as failed, with the counts of what was done."""

    def __init__(self, message: str, counts: dict[str, int]) -> None:
        super().__init__(message)
        self.counts = counts


def dispatch_messages(now: datetime) -> dict[str, int]:
    """Send every contact timeline entry that is due."""
    from collisionos.jobs.lock import runner_label
    from collisionos.services.messaging.dispatcher import dispatch_due

    return dispatch_due(now=now, runner=runner_label())


def sla_monitor(now: datetime) -> dict[str, int]:
    """Recompute SLA risk and flag what is overdue."""
    from collisionos.services.monitoring import sweep

    return sweep(now=now)


def daily_digest(now: datetime) -> dict[str, int]:
    """Send the managers' digest to each shop whose local morning it is (once per local day)."""
    from collisionos.services.monitoring import send_digests

    return send_digests(now=now)


def nightly_rollups(now: datetime) -> dict[str, int]:
    """Roll up technician performance and scheduling capacity."""
    from collisionos.services.rollups import run_rollups

    return run_rollups(now=now)


def hold_todays_pickups(now: datetime) -> dict[str, int]:
    """Reserve today's loaner pickups in every active shop; one shop failing does not stop the others."""
    import sqlalchemy as sa

    from collisionos.extensions import db
    from collisionos.models import Shop
    from collisionos.services.loaners import hold_todays_pickups as hold

    shop_ids = db.session.scalars(sa.select(Shop.id).where(Shop.is_active.is_not(False)).order_by(Shop.id)).all()
    db.session.rollback()  # end the read before each shop's use case opens its own transaction
    counts = {"shops": 0, "held": 0}
    failures: list[str] = []
    for shop_id in shop_ids:
        try:
            counts["held"] += hold(shop_id, now=now)
            counts["shops"] += 1
        except Exception as error:  # noqa: BLE001  (recorded below; the next shop still runs)
            db.session.rollback()
            log.exception("hold_todays_pickups failed for shop %s", shop_id)
            failures.append(f"shop {shop_id}: {type(error).__name__}: {error}")
    if failures:
        counts["failed_shops"] = len(failures)
        raise PartlyFailed("; ".join(failures), counts)
    return counts


def analyze_database(now: datetime) -> dict[str, int]:
    """Refresh the planner's statistics."""
    from collisionos.services.maintenance import analyze_database as analyze

    analyze()
    return {}
