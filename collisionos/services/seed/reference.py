"""A shop's insurers and vendors for seeding: the existing ones, or the catalogue's when there are none."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from collisionos.domain.numbering import vendor_number
from collisionos.extensions import db
from collisionos.models import InsuranceCompany, Shop, Vendor
from collisionos.services.numbering import reserve_numbers
from collisionos.services.seed import catalogue as cat


def ensure_insurers(rng: random.Random, shop: Shop, now: datetime) -> list[InsuranceCompany]:
    """Return the shop's insurers, creating the catalogue's five when it has none."""
    existing = db.session.scalars(sa.select(InsuranceCompany).where(InsuranceCompany.shop_id == shop.id)).all()
    if existing:
        return list(existing)
    rows = []
    for name, code, body, paint, rental, days, drp in cat.INSURERS:
        insurer = InsuranceCompany(
            shop_id=shop.id,
            name=name,
            code=f"{code}{rng.randrange(10, 99)}",
            type="auto",
            is_drp=drp,
            body_labor_rate=Decimal(body),
            paint_labor_rate=Decimal(paint),
            frame_labor_rate=Decimal(body),
            mechanical_labor_rate=Decimal("95.00"),
            glass_labor_rate=Decimal(body),
            provides_rental_car=True,
            covers_rental=True,
            rental_car_limit=Decimal(rental),
            rental_car_days_limit=days,
            claims_phone="1-800-555-0199",
            relationship_status="good",
            created_at=now,
            updated_at=now,
        )
        db.session.add(insurer)
        rows.append(insurer)
    db.session.flush()
    return rows


def ensure_vendors(shop: Shop, now: datetime) -> list[Vendor]:
    """Return the shop's vendors, creating the catalogue's six when it has none."""
    existing = db.session.scalars(sa.select(Vendor).where(Vendor.shop_id == shop.id)).all()
    if existing:
        return list(existing)
    rows = []
    for name, code, vendor_type, terms, lead in cat.VENDORS:
        vendor = Vendor(
            shop_id=shop.id,
            vendor_number=vendor_number(reserve_numbers(shop.id, "vendor")),
            name=name,
            vendor_code=code,
            vendor_type=vendor_type,
            vendor_status="active",
            payment_terms=terms,
            email=f"orders@{code.lower()}.example",
            phone="905-555-0170",
            average_delivery_time=lead,
            discount_percentage=Decimal("30.00") if vendor_type == "oem" else Decimal("0.00"),
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        db.session.add(vendor)
        rows.append(vendor)
    db.session.flush()
    return rows
