"""``flask seed bulk``: many repair orders fast, for benchmarks (Core executemany with pre-assigned ids).

Bulk rows skip the ORM on purpose: 100,000 ROs are several million rows. They therefore carry no
audit entries and no estimates (RO money comes straight from the generated lines); everything else
follows the same rules as the demo data.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from collisionos.domain.numbering import customer_number, repair_order_number
from collisionos.domain.production import STAGE_BY_TYPE
from collisionos.domain.settings import merged_settings
from collisionos.extensions import db
from collisionos.models import (
    ClaimManagement,
    ContactTimeline,
    Customer,
    Job,
    PartLine,
    ProductionStage,
    ProductionWorkflow,
    RepairOrder,
    Shop,
    User,
    Vehicle,
    VehicleProfile,
)
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.models.enums import Role
from collisionos.models.search import KEYS as SEARCH_KEYS
from collisionos.services.maintenance import analyze_database
from collisionos.services.numbering import reserve_numbers
from collisionos.services.seed.defaults import seed_stages
from collisionos.services.seed.generator import (
    InsurerRef,
    Numbers,
    SeedContext,
    StageRef,
    VendorRef,
    build_bundle,
)
from collisionos.services.seed.reference import ensure_insurers, ensure_vendors

BATCH_SIZE = 1000
# A shop's history: most ROs are closed, a third are work in progress.
STATUS_WEIGHTS = {
    R.ARCHIVED: 22,
    R.PAID: 25,
    R.INVOICED: 4,
    R.DELIVERED: 4,
    R.CANCELLED: 3,
    R.READY_FOR_DELIVERY: 3,
    R.COMPLETED: 2,
    R.QUALITY_CONTROL: 3,
    R.IN_PRODUCTION: 10,
    R.CUSTOMER_APPROVAL: 2,
    R.SUPPLEMENT_APPROVED: 2,
    R.SUPPLEMENT_PENDING: 2,
    R.PARTS_HOLD: 4,
    R.PARTS_ORDERED: 5,
    R.ESTIMATE_APPROVED: 4,
    R.ESTIMATE_PENDING: 4,
    R.DRAFT: 1,
}
# Insert order follows the foreign keys.
TABLES = (
    Customer,
    Vehicle,
    VehicleProfile,
    ClaimManagement,
    RepairOrder,
    Job,
    ProductionWorkflow,
    PartLine,
    ContactTimeline,
)


def _resolve_shop(shop_id: int | None) -> Shop:
    shop = db.session.get(Shop, shop_id) if shop_id else db.session.scalar(sa.select(Shop).order_by(Shop.id))
    if shop is None:
        raise LookupError("There is no such shop yet: run `flask seed defaults` first.")
    return shop


def _context(shop: Shop, now: datetime) -> SeedContext:
    settings = merged_settings(shop.settings)
    if not db.session.scalar(sa.select(ProductionStage.id).where(ProductionStage.shop_id == shop.id).limit(1)):
        seed_stages(shop, now)
    users = db.session.scalars(sa.select(User).where(User.shop_id == shop.id).order_by(User.id)).all()
    if not users:
        raise LookupError(f"Shop #{shop.id} has no users yet: run `flask seed defaults --shop {shop.id}` first.")
    insurers = ensure_insurers(random.Random(shop.id), shop, now)
    vendors = ensure_vendors(shop, now)
    stages = db.session.scalars(
        sa.select(ProductionStage)
        .where(ProductionStage.shop_id == shop.id, ProductionStage.is_active.is_(True))
        .order_by(ProductionStage.stage_order)
    ).all()
    db.session.commit()
    return SeedContext(
        shop_id=shop.id,
        now=now,
        user_id=users[0].id,
        technician_ids=[u.id for u in users if u.role == Role.TECHNICIAN],
        estimator_ids=[u.id for u in users if u.role == Role.ESTIMATOR],
        insurers=[
            InsurerRef(
                i.id,
                i.name,
                i.body_labor_rate or Decimal("62.00"),
                i.paint_labor_rate or Decimal("62.00"),
                i.rental_car_limit or Decimal("40.00"),
                i.rental_car_days_limit or 10,
                i.is_drp,
            )
            for i in insurers
        ],
        vendors=[VendorRef(v.id, v.name, v.vendor_type, v.average_delivery_time or 2) for v in vendors],
        stages=[
            StageRef(
                s.id,
                s.workflow_stage_type,
                s.stage_name,
                s.stage_order,
                STAGE_BY_TYPE[s.workflow_stage_type].workflow_category,
                s.requires_inspection,
            )
            for s in stages
            if s.workflow_stage_type
        ],
        labor_rate=Decimal(settings["laborRate"]),
        materials_rate=Decimal(settings["paintAndMaterialsRate"]),
        tax_rates=settings["taxes"],
    )


def _next_ids() -> dict[type, int]:
    return {model: (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1 for model in TABLES}


def _insert(model: type, rows: list[dict[str, Any]]) -> None:
    """Executemany per group of rows with the same keys, so column defaults fill the rest."""
    table = model.__table__
    fill_keys = SEARCH_KEYS.get(model)
    if fill_keys is not None:
        # Core inserts skip the ORM events that keep search keys in step: fill them the same way.
        for row in rows:
            holder = _Row(row)
            fill_keys(holder)
    rows.sort(key=lambda row: tuple(sorted(row)))
    for _keys, group in groupby(rows, key=lambda row: tuple(sorted(row))):
        db.session.execute(sa.insert(table), list(group))


class _Row:
    """Lets the models' search-key functions read and write a plain row dict."""

    def __init__(self, row: dict[str, Any]) -> None:
        object.__setattr__(self, "_row", row)

    def __getattr__(self, name: str) -> Any:
        return self._row.get(name)

    def __setattr__(self, name: str, value: Any) -> None:
        self._row[name] = value


def seed_bulk(
    *, count: int, shop_id: int | None, now: datetime, seed: int = 7, progress: Callable[[int], Any] | None = None
) -> dict[str, int]:
    """Insert ``count`` repair orders with everything around them; return rows inserted per table."""
    shop = _resolve_shop(shop_id)
    ctx = _context(shop, now)
    settings = merged_settings(shop.settings)
    rng = random.Random(seed)
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    totals: dict[str, int] = defaultdict(int)
    first_customer = reserve_numbers(shop.id, "customer", count)
    first_ro = reserve_numbers(shop.id, "repair_order", count)
    first_claim = reserve_numbers(shop.id, "bulk_claim", count)
    db.session.commit()
    prefix, start = settings["repairOrderNumberPrefix"], int(settings["repairOrderNumberStart"])
    ids = _next_ids()
    done = 0
    while done < count:
        size = min(BATCH_SIZE, count - done)
        rows: dict[type, list[dict[str, Any]]] = defaultdict(list)
        for offset in range(done, done + size):
            numbers = Numbers(
                customer_number=customer_number(first_customer + offset),
                repair_order_number=repair_order_number(prefix, start, first_ro + offset),
                estimate_number="",
                claim_number=f"BK-{first_claim + offset:07d}",
            )
            bundle = build_bundle(rng, ctx, numbers, rng.choices(statuses, weights)[0], part_count=(8, 12))
            customer_id, vehicle_id, profile_id = ids[Customer], ids[Vehicle], ids[VehicleProfile]
            ids[Customer] += 1
            ids[Vehicle] += 1
            ids[VehicleProfile] += 1
            rows[Customer].append({"id": customer_id, **bundle.customer})
            rows[Vehicle].append({"id": vehicle_id, "customer_id": customer_id, **bundle.vehicle})
            rows[VehicleProfile].append(
                {"id": profile_id, "customer_id": customer_id, "vehicle_id": vehicle_id, **bundle.profile}
            )
            claim_id = None
            if bundle.claim:
                claim_id = ids[ClaimManagement]
                ids[ClaimManagement] += 1
                rows[ClaimManagement].append(
                    {
                        "id": claim_id,
                        "customer_id": customer_id,
                        "vehicle_profile_id": profile_id,
                        **bundle.claim,
                    }
                )
            ro_id = ids[RepairOrder]
            ids[RepairOrder] += 1
            rows[RepairOrder].append(
                {
                    "id": ro_id,
                    "customer_id": customer_id,
                    "vehicle_profile_id": profile_id,
                    "claim_management_id": claim_id,
                    **bundle.repair_order,
                }
            )
            rows[Job].append(
                {"repair_order_id": ro_id, "customer_id": customer_id, "vehicle_id": vehicle_id, **bundle.job}
            )
            rows[ProductionWorkflow].extend({"repair_order_id": ro_id, **row} for row in bundle.production_rows)
            for line in bundle.part_lines:
                vendor = line["_vendor"]
                values = {k: v for k, v in line.items() if not k.startswith("_")}
                rows[PartLine].append({"repair_order_id": ro_id, "vendor_id": vendor.id, **values})
            rows[ContactTimeline].extend(
                {"customer_id": customer_id, "repair_order_id": ro_id, **entry} for entry in bundle.timeline
            )
        for model in TABLES:
            if rows[model]:
                _insert(model, rows[model])
                totals[model.__tablename__] += len(rows[model])
        db.session.commit()
        done += size
        if progress:
            progress(size)
    _resync_sequences()
    analyze_database()
    return dict(totals)


def _resync_sequences() -> None:
    """On PostgreSQL, move each id sequence past the ids we assigned ourselves."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in TABLES:
        table = model.__tablename__
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT max(id) FROM {table}), 1))"  # noqa: S608
            )
        )
    db.session.commit()
