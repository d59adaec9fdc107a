"""``make bench``: timings of the pages staff use most, printed as p50/p95 and queries per request.

By default it seeds a throwaway SQLite database with BENCH_REPAIR_ORDERS (default 5,000) repair
orders. To measure at 100,000, seed once and point the benchmark at it:

    COLLISIONOS_INSTANCE=/tmp/b100 flask seed defaults && flask seed bulk --repair-orders 100000
    BENCH_DATABASE_URL=sqlite:////tmp/b100/collisionos.db BENCH_EMAIL=owner@... BENCH_PASSWORD=... make bench

BENCH_CONCURRENCY (default 8) clients then hit the same pages through gunicorn (BENCH_WORKERS, default 4).
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_migrate import upgrade

from collisionos import create_app
from collisionos.extensions import db
from collisionos.models import Customer, RepairOrder, VehicleProfile
from collisionos.models.base import utcnow
from collisionos.services.seed.bulk import seed_bulk
from collisionos.services.seed.defaults import seed_defaults
from tests.perf.harness import Figures, QueryCounter, measure

PASSWORD = "bench-password-1"


def _prepare() -> tuple[str, str, str, str]:
    """Return (database URL, instance folder, email, password), seeding a fresh database when none is given."""
    url = os.environ.get("BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp(prefix="collisionos-bench-")
    if url:
        return url, folder, os.environ["BENCH_EMAIL"], os.environ["BENCH_PASSWORD"]
    count = int(os.environ.get("BENCH_REPAIR_ORDERS", "5000"))
    url = f"sqlite:///{folder}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_FOLDER": folder, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        report = seed_defaults(now=utcnow(), owner_password=PASSWORD, owner_email="owner@bench.example")
        started = time.perf_counter()
        totals = seed_bulk(count=count, shop_id=report.shop.id, now=utcnow())
        elapsed = time.perf_counter() - started
        rows = sum(totals.values())
        print(f"seed bulk: {count:,} repair orders, {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s)")
    return url, folder, "owner@bench.example", PASSWORD


def _samples(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        vin, plate = db.session.execute(
            sa.select(VehicleProfile.vin, VehicleProfile.license_plate).order_by(VehicleProfile.id.desc()).limit(1)
        ).one()
        number = db.session.scalar(sa.select(RepairOrder.repair_order_number).order_by(RepairOrder.id).limit(1))
        ro_id = db.session.scalar(sa.select(RepairOrder.id).order_by(RepairOrder.id.desc()).limit(1))
        phone = db.session.scalar(sa.select(Customer.phone).order_by(Customer.id.desc()).limit(1))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(RepairOrder))
    return {"vin6": vin[-6:], "plate": plate, "ro": number, "ro_id": str(ro_id), "phone": phone, "ros": str(total)}


def _pages(sample: dict[str, str]) -> list[tuple[str, str]]:
    last_page = max(0, int(sample["ros"]) // 20 - 1)
    deep_page = min(5000, last_page)
    return [
        ("repair order list, 20/page", "/admin/repair_orders/"),
        ("repair order list, 50/page", "/admin/repair_orders/?page_size=50"),
        ("repair order list, 100/page", "/admin/repair_orders/?page_size=100"),
        (f"repair order list, page {deep_page + 1}", f"/admin/repair_orders/?page={deep_page}"),
        ("part lines list", "/admin/part_lines/"),
        ("customer list", "/admin/customers/"),
        ("search: VIN last 6", "/admin/search/?" + urlencode({"q": sample["vin6"]})),
        ("search: plate", "/admin/search/?" + urlencode({"q": sample["plate"].lower()})),
        ("search: RO number", "/admin/search/?" + urlencode({"q": sample["ro"]})),
        ("search: phone", "/admin/search/?" + urlencode({"q": sample["phone"]})),
        ("repair order edit form", f"/admin/repair_orders/edit/?id={sample['ro_id']}"),
        ("repair order create form", "/admin/repair_orders/new/"),
        ("home", "/admin/"),
    ]


def single_client(app, email: str, password: str, pages: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token.group(1)})
    assert response.status_code == 302, "benchmark login failed"
    with app.app_context():
        counter = QueryCounter(db.engine)
    print("\nsingle client (in-process):")
    for name, path in pages:

        def get(path: str = path) -> None:
            response = client.get(path)
            assert response.status_code in (200, 302), (path, response.status_code)

        print(measure(name, get, repeat=40, counter=counter).line())


def concurrent(url: str, folder: str, email: str, password: str, pages: list[tuple[str, str]]) -> None:
    clients = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    workers = os.environ.get("BENCH_WORKERS", "4")
    port = int(os.environ.get("BENCH_PORT", "5077"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COLLISIONOS_INSTANCE": folder,
        "SECRET_KEY": "bench",
        "SCHEDULER_ENABLED": "0",
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            workers,
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        cookie = _login_over_http(port, email, password)
        # Warm every worker up (templates compiled, connections opened) before measuring.
        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _name, path in pages:
            for _ in range(int(workers) * 3):
                warm.request("GET", path, headers={"Cookie": cookie})
                warm.getresponse().read()
        print(f"\n{clients} concurrent clients, gunicorn -w {workers}:")
        for name, path in pages:
            if "form" in name or "page " in name:
                continue
            samples: list[float] = []
            lock = threading.Lock()
            per_client = 25
            started = time.perf_counter()

            def worker(
                path: str = path,
                samples: list[float] = samples,
                lock: threading.Lock = lock,
                per_client: int = per_client,
            ) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                for _ in range(per_client):
                    begin = time.perf_counter()
                    conn.request("GET", path, headers={"Cookie": cookie})
                    conn.getresponse().read()
                    with lock:
                        samples.append((time.perf_counter() - begin) * 1000)

            threads = [threading.Thread(target=worker) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            line = Figures(name, samples).line()
            print(f"{line}  {len(samples) / elapsed:7.1f} req/s")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _login_over_http(port: int, email: str, password: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    html = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    body = urlencode({"email": email, "password": password, "csrf_token": token})
    conn.request(
        "POST", "/login", body=body, headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 302, f"login over HTTP failed: {response.status}"
    return response.getheader("Set-Cookie", cookie).split(";")[0]


def main() -> None:
    url, folder, email, password = _prepare()
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_FOLDER": folder, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
    )
    sample = _samples(app)
    print(f"database: {sa.engine.make_url(url).render_as_string(hide_password=True)}, {int(sample['ros']):,} ROs")
    pages = _pages(sample)
    single_client(app, email, password, pages)
    if os.environ.get("BENCH_CONCURRENCY", "8") != "0":
        concurrent(url, folder, email, password, pages)


if __name__ == "__main__":
    main()
