"""Global search: RO, claim and PO numbers, VIN (whole, or its last characters), plate, customer name,
phone in any formatting, and email. Exact and prefix matches on indexed, normalised columns only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from collisionos.domain.search_keys import alnum_key, email_key, name_key, phone_key
from collisionos.extensions import db
from collisionos.models import ClaimManagement, Customer, PurchaseOrder, RepairOrder, VehicleProfile

LIMIT = 10
MAX_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Hit:
    label: str
    detail: str
    endpoint: str  # admin endpoint of the record's view
    id: int


@dataclass
class Results:
    query: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(hits) for hits in self.groups.values())


def _prefix(column: Any, value: str) -> Any:
    """``column`` starts with ``value`` (letters and digits only), in a form each database indexes."""
    if db.engine.dialect.name == "sqlite":
        return column.op("GLOB")(value + "*")
    return column.like(value + "%")


def _number(raw: str) -> str:
    # RO and PO numbers are stored as issued (e.g. RO10452-2511-LKQX-001): upper-case, wildcards removed.
    return re.sub(r"[%_*?\[\]\\\s]", "", raw.upper())


def _ro_hit(ro: RepairOrder) -> Hit:
    vehicle = ro.vehicle_profile
    customer = ro.customer
    parts = [
        f"{vehicle.year} {vehicle.make} {vehicle.model}" if vehicle else "",
        f"{customer.first_name} {customer.last_name}" if customer else "",
        ro.ro_status.replace("_", " "),
    ]
    return Hit(ro.repair_order_number, " · ".join(p for p in parts if p), "repair_orders", ro.id)


def search(shop_id: int, raw: str, kinds: frozenset[str]) -> Results:
    """Search one shop; ``kinds`` limits the groups to what the user may see."""
    query = (raw or "").strip()[:MAX_QUERY_LENGTH]
    results = Results(query)
    if len(query) < 2:
        return results
    alnum = alnum_key(query) or ""
    digits = re.sub(r"\D", "", query)
    ro_ids: list[int] = []

    def repair_orders(*conditions: Any, few: bool = False) -> None:
        stmt = sa.select(RepairOrder.id).where(RepairOrder.shop_id == shop_id, *conditions)
        if few:
            # A handful of vehicles or claims have a handful of ROs: sort here, so no plan can walk
            # every RO of the shop in id order looking for them.
            found = sorted(db.session.scalars(stmt), reverse=True)[:LIMIT]
        else:
            found = db.session.scalars(stmt.order_by(RepairOrder.id.desc()).limit(LIMIT)).all()
        for ro_id in found:
            if ro_id not in ro_ids:
                ro_ids.append(ro_id)

    # One indexed prefix condition per query: an OR across columns defeats the indexes.
    vehicle_conditions = []
    if len(alnum) == 17:
        vehicle_conditions.append(VehicleProfile.vin == alnum)
    elif len(alnum) >= 4:
        vehicle_conditions.append(_prefix(VehicleProfile.vin_reversed, alnum[::-1]))
    if 2 <= len(alnum) <= 10:
        vehicle_conditions.append(_prefix(VehicleProfile.plate_key, alnum))
    profile_ids: list[int] = []
    for condition in vehicle_conditions:
        profile_ids += db.session.scalars(
            sa.select(VehicleProfile.id)
            .where(VehicleProfile.shop_id == shop_id, condition)
            .order_by(VehicleProfile.id.desc())
            .limit(LIMIT)
        ).all()

    if "repair_orders" in kinds:
        if _number(query):
            repair_orders(_prefix(RepairOrder.repair_order_number, _number(query)))
        if profile_ids:
            repair_orders(RepairOrder.vehicle_profile_id.in_(profile_ids), few=True)
        if len(alnum) >= 3:
            claim_ids = db.session.scalars(
                sa.select(ClaimManagement.id)
                .where(ClaimManagement.shop_id == shop_id, _prefix(ClaimManagement.claim_key, alnum))
                .limit(LIMIT)
            ).all()
            if claim_ids:
                repair_orders(RepairOrder.claim_management_id.in_(claim_ids), few=True)
        if ro_ids:
            rows = db.session.scalars(
                sa.select(RepairOrder)
                .where(RepairOrder.id.in_(ro_ids[:LIMIT]))
                .options(sa.orm.joinedload(RepairOrder.customer), sa.orm.joinedload(RepairOrder.vehicle_profile))
            ).all()
            by_id = {ro.id: ro for ro in rows}
            results.groups["Repair orders"] = [_ro_hit(by_id[i]) for i in ro_ids[:LIMIT] if i in by_id]

    if "customers" in kinds:
        customer_conditions = []
        if "@" in query:
            customer_conditions.append(Customer.email == email_key(query))
        if len(digits) >= 4 and len(digits) >= len(alnum) - 1:
            phone = phone_key(query) or digits
            customer_conditions += [_prefix(Customer.phone_key, phone), _prefix(Customer.mobile_key, phone)]
        words = [w for w in re.split(r"[\s,]+", query) if name_key(w)]
        if words and not digits:
            last = name_key(words[-1]) or ""
            condition = _prefix(Customer.last_name_key, last)
            if len(words) > 1:
                condition = sa.and_(condition, Customer.first_name.ilike(words[0].replace("%", "") + "%"))
            customer_conditions.append(condition)
        customer_ids: list[int] = []
        for condition in customer_conditions:
            for customer_id in db.session.scalars(
                sa.select(Customer.id).where(Customer.shop_id == shop_id, condition).limit(LIMIT)
            ):
                if customer_id not in customer_ids:
                    customer_ids.append(customer_id)
        if customer_ids:
            customers = db.session.scalars(
                sa.select(Customer)
                .where(Customer.id.in_(customer_ids[:LIMIT]))
                .order_by(Customer.last_name, Customer.first_name, Customer.id)
            ).all()
            if customers:
                results.groups["Customers"] = [
                    Hit(
                        f"{c.first_name} {c.last_name}",
                        " · ".join(p for p in (c.customer_number, c.phone, c.email) if p),
                        "customers",
                        c.id,
                    )
                    for c in customers
                ]
        if profile_ids:
            vehicles = db.session.scalars(
                sa.select(VehicleProfile).where(VehicleProfile.id.in_(profile_ids)).order_by(VehicleProfile.id.desc())
            ).all()
            if vehicles:
                results.groups["Vehicles"] = [
                    Hit(
                        f"{v.year} {v.make} {v.model}",
                        " · ".join(p for p in (v.vin, v.license_plate) if p),
                        "vehicle_profiles",
                        v.id,
                    )
                    for v in vehicles
                ]

    if "claims" in kinds and len(alnum) >= 3:
        claims = db.session.scalars(
            sa.select(ClaimManagement)
            .where(ClaimManagement.shop_id == shop_id, _prefix(ClaimManagement.claim_key, alnum))
            .order_by(ClaimManagement.id.desc())
            .limit(LIMIT)
        ).all()
        if claims:
            results.groups["Claims"] = [
                Hit(c.claim_number, str(c.insurance_company or ""), "claims", c.id) for c in claims
            ]

    if "purchase_orders" in kinds and len(_number(query)) >= 3:
        orders = db.session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.shop_id == shop_id, _prefix(PurchaseOrder.purchase_order_number, _number(query)))
            .order_by(PurchaseOrder.id.desc())
            .limit(LIMIT)
        ).all()
        if orders:
            results.groups["Purchase orders"] = [
                Hit(
                    po.purchase_order_number,
                    f"{po.vendor_name} · {po.po_status.replace('_', ' ')}",
                    "purchase_orders",
                    po.id,
                )
                for po in orders
            ]
    return results
