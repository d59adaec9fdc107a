"""BMS estimate import (issue 6: a typical estimate of 15-40 lines in at most 50 ms with its database writes,
on SQLite). Figures printed, not asserted.

    .venv/bin/python -m tests.perf.bench_bms

Each sample imports a new estimate (its own claim number and VIN, so customer, vehicle, claim, RO with its 18
production rows, estimate, lines and part lines are all written), on a fresh SQLite database in a temporary folder.
Measured: the shared 14-line fixture, a 35-line estimate, and the 16-line supplement of an imported estimate.

    BENCH_BMS_RUNS=50      samples per case
"""

from __future__ import annotations

import gc
import os
import random
import re
import tempfile
from pathlib import Path

from flask_migrate import upgrade

from collisionos import create_app
from collisionos.extensions import db
from collisionos.models import User
from collisionos.models.base import utcnow
from collisionos.services.bms import import_bms_file
from collisionos.services.seed.defaults import seed_defaults
from collisionos.services.seed.vins import make_vin
from tests.bms_files import own, shared
from tests.perf.harness import QueryCounter, measure

PASSWORD = "bench-password-1"


def _first_lines(data: bytes, count: int) -> bytes:
    """The estimate with only its first ``count`` damage lines (its totals then disagree: it needs review)."""
    text = data.decode()
    starts = [match.start() for match in re.finditer("<DamageLineInfo>", text)]
    end = text.rindex("</DamageLineInfo>") + len("</DamageLineInfo>")
    return (text[: starts[count]] + text[end:]).encode() if count < len(starts) else data


def main() -> None:
    runs = int(os.environ.get("BENCH_BMS_RUNS", "50"))
    folder = Path(tempfile.mkdtemp(prefix="collisionos-bench-bms-"))
    url = f"sqlite:///{folder}/collisionos.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_FOLDER": str(folder),
            "SECRET_KEY": "bench",
            "SCHEDULER_ENABLED": False,
        }
    )
    rng = random.Random(6)
    with app.app_context():
        upgrade()
        seed_defaults(now=utcnow(), owner_password=PASSWORD, owner_email="owner@bench-bms.example")
        owner = db.session.scalar(db.select(User).where(User.role == "owner"))
        shop_id, counter = owner.shop_id, QueryCounter(db.engine)
        v0, v1 = shared("example_front_end_v0.xml"), shared("example_front_end_v1_supplement.xml")
        large = _first_lines(own("large_300_lines.xml"), 35)
        serial = iter(range(1, 1_000_000))

        def fresh(data: bytes, claim: bytes, vin: bytes) -> tuple[bytes, bytes]:
            number = f"BENCH-{next(serial):06d}".encode()
            new_vin = make_vin(rng, "1HG", 2021).encode()
            return data.replace(claim, number).replace(vin, new_vin), number

        def import_v0() -> None:
            data, _ = fresh(v0, b"ZZ-2026-0417-01", b"1HGCM82633A004352")
            assert import_bms_file(shop_id, "v0.xml", data, actor=owner, now=utcnow()).status == "imported"

        def import_35() -> None:
            data, _ = fresh(large, b"ZZ-2026-0815-30", b"1FTFW1E50MFA42917")
            assert import_bms_file(shop_id, "35.xml", data, actor=owner, now=utcnow()).status == "needs_review"

        pending: list[bytes] = []

        def prepare_supplement() -> None:
            data, number = fresh(v0, b"ZZ-2026-0417-01", b"1HGCM82633A004352")
            import_bms_file(shop_id, "v0.xml", data, actor=owner, now=utcnow())
            vin = re.search(rb"<VINNum>(\w+)</VINNum>", data).group(1)
            pending.append(v1.replace(b"ZZ-2026-0417-01", number).replace(b"1HGCM82633A004352", vin))

        def import_supplement() -> None:
            if not pending:
                prepare_supplement()
            result = import_bms_file(shop_id, "v1.xml", pending.pop(), actor=owner, now=utcnow())
            assert result.status == "updated", result.message

        # As wsgi.py does for the web process: the long-lived objects leave the collector's generations.
        gc.collect()
        gc.freeze()
        print(f"database: {url}")
        for name, action in (
            ("new estimate, 14 lines (shared v0)", import_v0),
            ("new estimate, 35 lines", import_35),
        ):
            print(measure(name, action, repeat=runs, counter=counter).line())
        samples = []
        for _ in range(runs):
            prepare_supplement()
            samples.append(measure("supplement", import_supplement, repeat=1, warmup=0).samples_ms[0])
        with counter.active():
            prepare_supplement()
        with counter.active():
            import_supplement()
        from tests.perf.harness import Figures

        print(Figures("supplement of an imported estimate, 16 lines", samples, counter.count).line())


if __name__ == "__main__":
    main()
