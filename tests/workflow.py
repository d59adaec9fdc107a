"""Helpers for workflow tests: a shop with its stages, staff of each role, and an RO opened at the counter."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import EstimateLineItem, ProductionWorkflow, RepairOrder
from collisionos.services import intake
from collisionos.services import repair_orders as ro_service
from collisionos.services.seed.defaults import seed_stages
from tests import factories
from tests.conftest import DEMO_PASSWORD

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def shop_with_stages(**settings: Any):  # type: ignore[no-untyped-def]
    shop = factories.ShopFactory(settings=settings or None)
    seed_stages(shop, NOW)
    db.session.commit()
    return shop


def staff(shop, role: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    return factories.UserFactory(shop=shop, role=role, password_plain=DEMO_PASSWORD, **kwargs)


def open_ro(
    shop, actor, *, vin: str | None = None, claim: bool = True, deductible: str = "500.00", **extra: Any
) -> RepairOrder:  # type: ignore[no-untyped-def]
    insurer = factories.InsuranceCompanyFactory(shop=shop) if claim else None
    data = intake.Intake(
        first_name="Jane",
        last_name="Smith",
        phone="905-555-0199",
        vin=vin or factories.make_vin(factories._vin_rng, "2HG", 2021),
        year=2021,
        make="Honda",
        model="Civic",
        license_plate="ABCD123",
        insurance_company_id=insurer.id if insurer else None,
        claim_number="CLM-1001" if claim else None,
        deductible=Decimal(deductible) if claim else None,
        **extra,
    )
    return intake.open_repair_order(shop.id, data, actor=actor, now=NOW)


def add_line(shop, ro, actor, line_type="part", price="100.00", qty="1", taxable=True, **kw):  # type: ignore[no-untyped-def]
    return ro_service.add_estimate_line(
        shop.id,
        ro.id,
        line_type=line_type,
        description=kw.pop("description", f"{line_type} line"),
        quantity=Decimal(qty),
        unit_price=Decimal(price),
        taxable=taxable,
        actor=actor,
        now=NOW,
        **kw,
    )


def reload(model: type, row_id: int):  # type: ignore[no-untyped-def]
    db.session.expire_all()
    return db.session.get(model, row_id)


def stages(ro_id: int) -> dict[str, ProductionWorkflow]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(ProductionWorkflow).where(ProductionWorkflow.repair_order_id == ro_id)).all()
    return {row.stage_type: row for row in rows}


def lines(ro: RepairOrder) -> list[EstimateLineItem]:
    return list(db.session.scalars(sa.select(EstimateLineItem).where(EstimateLineItem.estimate_id == ro.estimate_id)))
