"""The SLA sweep over 100,000 open repair orders (issue 5: at most 2 s on SQLite). Figures printed, not asserted.

    .venv/bin/python -m tests.perf.bench_sla_sweep

Seeds once, through the bulk seeder (``flask seed bulk``), a SQLite database whose repair orders are all open (the
seeder's own mix of open statuses, ages, holds, parts and stages; the closed statuses are left out so that 100,000
ROs are 100,000 open ones), and reuses it on the next run. Then it times ``sweep``: the first run, which writes the
SLA of almost every RO and raises the flags, the steady runs the scheduler makes every 5 minutes (p50 of a few), and
the first run of the next day (every overdue RO one day later).

    BENCH_SLA_OPEN=100000                                    open ROs wanted (default 100,000)
    BENCH_SLA_FOLDER=/tmp/collisionos-bench-sla               where the seeded database is kept and reused
    BENCH_SLA_DATABASE_URL=sqlite:////path/collisionos.db     time an existing database instead (nothing seeded)
    BENCH_SLA_RUNS=5                                          steady runs
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from collisionos import create_app
from collisionos.domain.repair_orders import OPEN_STATUSES
from collisionos.extensions import db
from collisionos.models import RepairOrder, WatchFlag
from collisionos.models.base import utcnow
from collisionos.services import monitoring
from collisionos.services.seed import bulk
from collisionos.services.seed.defaults import seed_defaults
from tests.perf.harness import QueryCounter

PASSWORD = "bench-password-1"


def _open_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(RepairOrder).where(RepairOrder.ro_status.in_(tuple(OPEN_STATUSES)))
    )


def _prepare() -> str:
    url = os.environ.get("BENCH_SLA_DATABASE_URL")
    if url:
        return url
    wanted = int(os.environ.get("BENCH_SLA_OPEN", "100000"))
    folder = Path(os.environ.get("BENCH_SLA_FOLDER", "/tmp/collisionos-bench-sla"))  # noqa: S108
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder}/collisionos.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_FOLDER": str(folder), "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        have = _open_count()
        if have < wanted:
            if not db.session.scalar(sa.select(sa.func.count()).select_from(RepairOrder)):
                seed_defaults(now=utcnow(), owner_password=PASSWORD, owner_email="owner@bench-sla.example")
            # Only the open statuses, in the seeder's own proportions.
            bulk.STATUS_WEIGHTS = {s: w for s, w in bulk.STATUS_WEIGHTS.items() if s in OPEN_STATUSES}
            started = time.perf_counter()
            totals = bulk.seed_bulk(count=wanted - have, shop_id=None, now=utcnow())
            elapsed = time.perf_counter() - started
            print(f"seed bulk: {wanted - have:,} open repair orders, {sum(totals.values()):,} rows in {elapsed:.0f} s")
        else:
            print(f"reusing {folder}/collisionos.db")
    return url


def main() -> None:
    url = _prepare()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_ENABLED": False})
    runs = int(os.environ.get("BENCH_SLA_RUNS", "5"))
    with app.app_context():
        counter = QueryCounter(db.engine)
        open_ros = _open_count()
        print(f"database: {sa.engine.make_url(url).render_as_string(hide_password=True)}, {open_ros:,} open ROs")

        # From scratch: SLA columns as the seeder left them, no flags.
        db.session.execute(sa.delete(WatchFlag))
        db.session.execute(sa.update(RepairOrder).values(is_overdue=False, overdue_by=0, sla_risk_level="green"))
        db.session.commit()

        with counter.active():
            started = time.perf_counter()
            first = monitoring.sweep(now=utcnow())
            cold = time.perf_counter() - started
        print(
            f"first sweep:  {cold * 1000:8.0f} ms  queries {counter.count:>3}  "
            f"SLA rows written {first.get('sla_updated', 0):,}  flags raised "
            f"{sum(v for k, v in first.items() if k.endswith('_new')):,}"
        )

        samples, counts = [], {}
        for _ in range(runs):
            with counter.active():
                started = time.perf_counter()
                counts = monitoring.sweep(now=utcnow())
                samples.append(time.perf_counter() - started)
        open_flags = sum(v for k, v in counts.items() if k.endswith("_open"))
        print(
            f"steady sweep: p50 {statistics.median(samples) * 1000:6.0f} ms  (min {min(samples) * 1000:.0f}, "
            f"max {max(samples) * 1000:.0f}, n={runs})  queries {counter.count:>3}  "
            f"ROs {counts.get('repair_orders', 0):,}  SLA rows written {counts.get('sla_updated', 0):,}  "
            f"open flags {open_flags:,}"
        )
        per_kind = {k[:-5]: v for k, v in sorted(counts.items()) if k.endswith("_open")}
        print("open flags per kind: " + ", ".join(f"{k} {v:,}" for k, v in per_kind.items()))

        # The first sweep after the shop's midnight: every overdue RO is a day later, new risks and parts late.
        with counter.active():
            started = time.perf_counter()
            next_day = monitoring.sweep(now=utcnow() + timedelta(days=1))
            elapsed = time.perf_counter() - started
        print(
            f"next day:     {elapsed * 1000:8.0f} ms  queries {counter.count:>3}  "
            f"SLA rows written {next_day.get('sla_updated', 0):,}  flags raised "
            f"{sum(v for k, v in next_day.items() if k.endswith('_new')):,}, cleared "
            f"{sum(v for k, v in next_day.items() if k.endswith('_cleared')):,}"
        )


if __name__ == "__main__":
    main()
