"""``make bench``: seed a throwaway SQLite database with bulk data and print timings.

Environment: BENCH_REPAIR_ORDERS (default 5000), BENCH_DATABASE_URL to measure another database
(it must be empty: the schema is created by the migrations).
"""

from __future__ import annotations

import os
import tempfile
import time

from flask_migrate import upgrade

from collisionos import create_app
from collisionos.extensions import db
from collisionos.models.base import utcnow
from collisionos.services.seed.bulk import seed_bulk
from collisionos.services.seed.defaults import seed_defaults
from tests.perf.harness import QueryCounter, measure


def main() -> None:
    count = int(os.environ.get("BENCH_REPAIR_ORDERS", "5000"))
    folder = tempfile.mkdtemp(prefix="collisionos-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_FOLDER": folder, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        report = seed_defaults(now=utcnow(), owner_password="bench-password-1")
        started = time.perf_counter()
        totals = seed_bulk(count=count, shop_id=report.shop.id, now=utcnow())
        elapsed = time.perf_counter() - started
        rows = sum(totals.values())
        print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
        print(
            f"seed bulk: {count:,} repair orders, {rows:,} rows in {elapsed:.1f} s "
            f"({count / elapsed:,.0f} ROs/s, {rows / elapsed:,.0f} rows/s)"
        )

    client = app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": report.owner_email, "password": "bench-password-1", "csrf_token": token})
    with app.app_context():
        counter = QueryCounter(db.engine)
    for name, path in (("GET /healthz", "/healthz"), ("GET / (home, counts over all ROs)", "/")):
        figures = measure(name, lambda path=path: client.get(path), counter=counter)
        print(figures.line())


if __name__ == "__main__":
    main()
