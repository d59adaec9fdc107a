"""An imported estimate's lines: the file's damage lines become estimate lines, and part lines to source."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.domain.bms.model import (
    MATERIAL,
    OTHER,
    PAINT_MATERIALS,
    PART,
    REFINISH,
    SUBLET,
    DamageLine,
    FileTotals,
    Rates,
)
from collisionos.domain.bms.totals import REFINISH_TYPE, labor_rate
from collisionos.domain.money import ZERO, to_money
from collisionos.extensions import db
from collisionos.models import EstimateLineItem, PartLine, RepairOrder
from collisionos.models.enums import PartStatus
from collisionos.services.parts import set_status

# CIECA part types -> the estimate line's part type (PAN new OEM, PAA aftermarket, PAL recycled/LKQ,
# PAM remanufactured, PAR recored, PAC rechromed, PAG glass, PAO other OEM).
PART_TYPES = {
    "PAN": "OEM",
    "PAO": "OEM",
    "PAG": "OEM",
    "PAA": "Aftermarket",
    "PAL": "Used",
    "PAM": "Reconditioned",
    "PAR": "Reconditioned",
    "PAC": "Reconditioned",
}
# CIECA labor types -> the line's labor type and category.
LABOR_TYPES = {
    "LAB": ("body", "body"),
    "LAR": ("paint", "refinish"),
    "LAS": ("frame", "frame"),
    "LAF": ("frame", "frame"),
    "LAM": ("mechanical", "mechanical"),
    "LAE": ("electrical", "electrical"),
    "LAG": ("glass", "glass"),
    "LAD": ("detail", "other"),
}
# Part lines not yet bought: a line removed by a supplement cancels them; bought ones are flagged for return.
NOT_BOUGHT = frozenset({PartStatus.NEEDED, PartStatus.SOURCING, PartStatus.QUOTED})
TYPE_OF_KIND = {PART: "part", SUBLET: "sublet", PAINT_MATERIALS: "paint", MATERIAL: "material", OTHER: "other"}


def _cut(value: str | None, size: int | None = None) -> str | None:
    text = (value or "").strip()
    return (text[:size] if size else text) or None


def line_values(line: DamageLine, rates: Rates, totals: FileTotals) -> dict[str, Any]:
    """The estimate line's columns for a damage line (one estimate line per damage line)."""
    code = (line.labor_type or "").upper()
    labor_type, category = LABOR_TYPES.get(code, ("other", "other") if code else (None, None))
    rate = labor_rate(rates, code, totals) if code else None
    charged_rate = ZERO if line.labor_included else to_money(rate)
    refinish_rate = labor_rate(rates, REFINISH_TYPE, totals) if line.refinish_hours is not None else None
    values: dict[str, Any] = {
        "description": _cut(line.description, 255) or f"Line {line.line_number}",
        "part_description": _cut(line.description, 255) if line.kind == PART else None,
        "operation_code": _cut(line.labor_operation, 20),
        "part_number": _cut(line.part_number, 50),
        "part_type": PART_TYPES.get((line.part_type or "").upper(), "Generic") if line.part_type else None,
        "cieca_part_type": _cut(line.part_type, 4),
        "cieca_labor_type": _cut(code, 4),
        "labor_type": labor_type,
        "category": category,
        "labor_hours": line.labor_hours,
        "labor_rate": charged_rate if code else None,
        "refinish_hours": line.refinish_hours,
        "refinish_rate": (ZERO if line.refinish_included else to_money(refinish_rate))
        if line.refinish_hours is not None
        else None,
        "labor_taxable": line.labor_taxable,
        "is_refinish": code == REFINISH_TYPE or line.refinish_hours is not None,
        "is_sublet": line.kind == SUBLET,
        "quantity": line.quantity,
        "discount_amount": ZERO,
    }
    if line.kind in (PART, SUBLET) and line.part_price is not None:
        price, taxable = line.part_price, line.part_taxable
    elif line.other_price is not None:
        price, taxable, values["quantity"] = line.other_price, line.other_taxable, Decimal(1)
    elif line.kind in (PART, SUBLET):
        price, taxable = ZERO, line.part_taxable
    else:
        # A labor line: hours × rate, or the flat amount the file states.
        hours = line.labor_hours or ZERO
        if line.labor_amount is not None and not line.labor_included:
            values["quantity"], price = Decimal(1), line.labor_amount
        else:
            values["quantity"], price = hours, charged_rate
        values["labor_rate"], values["labor_taxable"] = charged_rate, None
        taxable = line.labor_taxable
        values["type"] = "labor"
        if code == REFINISH_TYPE and line.kind == REFINISH:
            values["category"] = "refinish"
    values.setdefault("type", TYPE_OF_KIND.get(line.kind, "other"))
    price = to_money(price)
    if price < 0:
        # A credit (e.g. a returned part's allowance) is a discount line: prices are never negative.
        values["type"], price = "discount", -price
    values["unit_price"], values["taxable"] = price, bool(taxable)
    if values["type"] == "labor":
        values["labor_hours"] = line.labor_hours
    return values


def sync_lines(
    estimate_id: int,
    existing: list[EstimateLineItem],
    wanted: list[tuple[int, DamageLine, EstimateLineItem | None]],
    removed: list[EstimateLineItem],
    *,
    rates: Rates,
    totals: FileTotals,
    new_status: str,
    supplement_number: int | None,
    first_version: bool,
    actor: Any,
) -> list[EstimateLineItem]:
    """Make the estimate's lines the file's: update the matched ones, add the new ones, drop the removed ones.

    ``existing`` is every line the estimate has now; ``wanted`` is (line number, damage line, the estimate line
    it updates or None) in file order. Lines the file never had (typed in by staff) stay, numbered after the file's.
    """
    for item in removed:
        db.session.delete(item)
    kept_ids = {item.id for _, _, item in wanted if item is not None}
    removed_ids = {item.id for item in removed}
    # Renumber in two steps: line numbers are unique per estimate and a supplement shifts them.
    if existing:
        top = max([item.line_number for item in existing] + [number for number, _, _ in wanted])
        for item in existing:
            if item.id not in removed_ids:
                item.line_number += top + 1
        db.session.flush()
    result = []
    for number, line, item in wanted:
        values = line_values(line, rates, totals)
        if item is None:
            item = EstimateLineItem(
                estimate_id=estimate_id,
                created_by=actor.id,
                status=new_status,
                included_in_original=first_version,
                supplement_number=supplement_number,
                approval_required=new_status == "supplement",
            )
            db.session.add(item)
        else:
            item.updated_by = actor.id
        for name, value in values.items():
            setattr(item, name, value)
        item.line_number = number
        result.append(item)
    extra = max([number for number, _, _ in wanted] + [0])
    for item in sorted(existing, key=lambda row: row.line_number):
        if item.id not in kept_ids and item.id not in removed_ids:
            extra += 1
            item.line_number = extra
    db.session.flush()
    return result


def update_part_lines(ro: RepairOrder, changed: list[EstimateLineItem], *, actor: Any) -> list[str]:
    """Bring the part lines of changed estimate lines up to date; say which were already bought."""
    notes = []
    parts = _part_lines_of(ro, [item.id for item in changed])
    for item in changed:
        for part in parts.get(item.id, []):
            part.list_price = part.sell_price = item.unit_price
            part.updated_by = actor.id
            if part.part_status in NOT_BOUGHT:
                part.part_description = (item.description or part.part_description)[:500]
                part.oem_part_number = item.part_number
                part.quantity_ordered = item.quantity or Decimal(1)
            else:
                notes.append(f"{item.description} is already {part.part_status}: check the change with the vendor")
    return notes


def retire_part_lines(ro: RepairOrder, removed: list[EstimateLineItem], *, actor: Any, now: datetime) -> list[str]:
    """Removed lines: their part lines not yet bought are cancelled, bought ones are flagged for return."""
    notes = []
    parts = _part_lines_of(ro, [item.id for item in removed])
    for item in removed:
        for part in parts.get(item.id, []):
            if part.part_status in NOT_BOUGHT:
                set_status(part, PartStatus.CANCELLED, actor=actor, now=now)
                notes.append(f"{item.description}: part line cancelled")
            elif part.part_status not in (PartStatus.CANCELLED, PartStatus.RETURNED):
                part.return_reason = "not_needed"
                part.updated_by = actor.id
                notes.append(f"{item.description}: part line flagged for return")
    return notes


def _part_lines_of(ro: RepairOrder, estimate_line_ids: list[int]) -> dict[int, list[PartLine]]:
    """The RO's part lines of these estimate lines, by estimate line (one query)."""
    found: dict[int, list[PartLine]] = defaultdict(list)
    if not estimate_line_ids:
        return found
    rows = db.session.scalars(
        sa.select(PartLine).where(
            PartLine.repair_order_id == ro.id, PartLine.estimate_line_item_id.in_(estimate_line_ids)
        )
    )
    for part in rows:
        found[part.estimate_line_item_id].append(part)
    return found
