"""Set up or update the repair order an imported estimate describes (inside the import's use case)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from collisionos.domain.bms.changes import LineChanges, compare_lines
from collisionos.domain.bms.model import BmsEstimate, BmsRejected
from collisionos.domain.bms.totals import ComputedTotals
from collisionos.domain.money import ZERO
from collisionos.domain.numbering import dated_number
from collisionos.extensions import db
from collisionos.models import ClaimManagement, Estimate, EstimateLineItem, RepairOrder
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.services.bms.lines import retire_part_lines, sync_lines, update_part_lines
from collisionos.services.bms.records import (
    claim_for,
    customer_for,
    estimator_for,
    fill_customer,
    insurer_for,
    vehicle_for,
)
from collisionos.services.claims import open_supplement, send_supplement
from collisionos.services.intake import start_repair_order
from collisionos.services.numbering import reserve_numbers
from collisionos.services.repair_orders import _move, create_part_lines, local_day, refresh_repair_order

CALIBRATION_WORDS = ("CALIBRAT", "ADAS", "AIM ")


@dataclass
class Applied:
    outcome: str  # "imported" or "updated"
    repair_order: RepairOrder
    estimate: Estimate
    vin: str
    first_import: bool
    previous_version: int = 0
    previous_gross: Decimal = ZERO
    changes: LineChanges | None = None
    part_lines_created: int = 0
    notes: list[str] = field(default_factory=list)


def _line_numbers(parsed: BmsEstimate) -> list[int]:
    """The file's line numbers when they are usable (unique, from 1), else positions."""
    numbers = [line.line_number for line in parsed.lines]
    if len(set(numbers)) == len(numbers) and all(number >= 1 for number in numbers):
        return numbers
    return list(range(1, len(numbers) + 1))


def estimate_of(shop_id: int, ro: RepairOrder | None) -> Estimate | None:
    """The RO's estimate, locked for the import."""
    if ro is None or ro.estimate_id is None:
        return None
    return db.session.scalars(
        sa.select(Estimate).where(Estimate.id == ro.estimate_id, Estimate.shop_id == shop_id).with_for_update()
    ).one_or_none()


def imported_already(estimate: Estimate | None, digest: str) -> dict[str, Any] | None:
    """The estimate's latest version when it came from this very file (a re-import changes nothing)."""
    history = (estimate.version_history or []) if estimate is not None else []
    return history[-1] if history and history[-1].get("sha256") == digest else None


def apply_estimate(
    shop_id: int,
    parsed: BmsEstimate,
    vin: str,
    claim: ClaimManagement | None,
    ro: RepairOrder | None,
    estimate: Estimate | None,
    *,
    computed: ComputedTotals,
    snapshots: list[dict[str, Any]],
    digest: str,
    import_id: int,
    actor: Any,
    now: datetime,
) -> Applied:
    """Write what the file says into ``ro`` and ``estimate`` (new ones when None); refuse an older version."""
    history = list(estimate.version_history or []) if estimate is not None else []
    previous = history[-1] if history else None
    if previous is not None and ro is not None and parsed.version < int(previous["version"]):
        raise BmsRejected(
            f"this is version {parsed.version}, older than version {previous['version']} already imported on "
            f"{ro.repair_order_number}; nothing changed",
            rule="bms_older_version",
        )
    customer = ro.customer if ro is not None else customer_for(shop_id, parsed.owner)
    if ro is not None:
        fill_customer(customer, parsed.owner)
    profile = vehicle_for(shop_id, customer, parsed, vin, now)
    if ro is not None and ro.vehicle_profile_id != profile.id:
        raise BmsRejected(
            f"the VIN differs from the vehicle on {ro.repair_order_number} for this claim; check the file",
            rule="bms_vin_mismatch",
        )
    insurer = None if parsed.is_customer_pay else insurer_for(shop_id, parsed.insurer_name)
    if not parsed.is_customer_pay:
        claim = claim_for(shop_id, claim, parsed, customer, profile, insurer, actor=actor, now=now)
    first_import = previous is None
    new_estimate = estimate is None
    if estimate is None:
        day = local_day(shop_id, now)
        estimate = Estimate(
            shop_id=shop_id,
            customer_id=customer.id,
            vehicle_id=profile.vehicle_id,
            estimate_number=dated_number("EST", day, reserve_numbers(shop_id, f"estimate:{day:%y%m%d}")),
            estimate_date=min(parsed.created_at or now, now),
            status="pending_review",
            created_by=actor.id,
            version_history=[],
        )
        db.session.add(estimate)
    _fill_estimate(estimate, parsed, computed, claim, insurer, actor=actor)
    db.session.flush()
    if ro is None:
        ro = RepairOrder(
            shop_id=shop_id,
            customer_id=customer.id,
            vehicle_profile_id=profile.id,
            claim_management_id=claim.id if claim is not None else None,
            estimate_id=estimate.id,
            created_by=actor.id,
        )
        _fill_repair_order(ro, parsed, shop_id, actor=actor)
        start_repair_order(ro, actor=actor, now=now, refresh=False)
    else:
        ro.estimate_id = ro.estimate_id or estimate.id
        if claim is not None and ro.claim_management_id is None:
            ro.claim_management_id = claim.id
        _fill_repair_order(ro, parsed, shop_id, actor=actor)
    applied = Applied(
        "imported" if first_import else "updated",
        ro,
        estimate,
        vin,
        first_import=first_import,
        previous_version=int(previous["version"]) if previous else 0,
        previous_gross=Decimal(previous["gross"]) if previous else ZERO,
    )
    kept = _apply_lines(applied, parsed, snapshots, previous, claim, new_estimate=new_estimate, actor=actor, now=now)
    if ro.ro_status == R.DRAFT:
        _move(ro, R.ESTIMATE_PENDING, actor=actor, now=now, reason="Estimate imported", override=False)
    refresh_repair_order(ro, now)
    entry = {
        "version": parsed.version,
        "document_id": parsed.document_id,
        "sha256": digest,
        "imported_at": now.isoformat(),
        "import_id": import_id,
        "gross": str(computed.gross),
        "net": str(computed.net),
        "deductible": None if computed.deductible is None else str(computed.deductible),
        "tax": str(computed.tax),
        "lines": len(parsed.lines),
        "changes": applied.changes.counts() if applied.changes is not None else None,
        "line_snapshots": kept,
    }
    estimate.version_history = [*history, entry]
    return applied


def _fill_estimate(
    estimate: Estimate,
    parsed: BmsEstimate,
    computed: ComputedTotals,
    claim: ClaimManagement | None,
    insurer: Any,
    *,
    actor: Any,
) -> None:
    by = computed.by_category
    paint = computed.paint_materials_charged or ZERO
    estimate.parts_total, estimate.labor_total, estimate.sublet_total = by["parts"], by["labor"], by["sublet"]
    estimate.paint_total, estimate.material_total = paint, max(ZERO, by["materials"] - paint)
    estimate.other_total, estimate.tax_total, estimate.estimate_total = by["other"], computed.tax, computed.gross
    estimate.deductible = computed.deductible or ZERO
    estimate.tax_setup = {
        "rates": {slot: str(rate) for slot, rate in computed.tax_rates.items()},
        "amounts": {slot: str(amount) for slot, amount in computed.tax_amounts.items()},
    }
    estimate.claim_number = (parsed.claim.claim_number or "")[:50] or None
    estimate.insurance_company_id = insurer.id if insurer is not None else None
    estimate.is_drp = bool(claim is not None and claim.is_drp_claim)
    if parsed.claim.loss_date is not None:
        estimate.date_of_loss = parsed.claim.loss_date
    if parsed.claim.total_loss:
        estimate.damage_type = "total_loss"
    adjuster = parsed.adjuster
    if adjuster is not None and adjuster.display_name:
        estimate.adjuster_name = adjuster.display_name[:100]
        estimate.adjuster_email = (adjuster.email or "")[:255] or estimate.adjuster_email
    estimate.updated_by = actor.id


def _apply_lines(
    applied: Applied,
    parsed: BmsEstimate,
    snapshots: list[dict[str, Any]],
    previous: dict[str, Any] | None,
    claim: ClaimManagement | None,
    *,
    new_estimate: bool,
    actor: Any,
    now: datetime,
) -> list[dict[str, Any]]:
    ro, estimate = applied.repair_order, applied.estimate
    existing = (
        {
            item.id: item
            for item in db.session.scalars(
                sa.select(EstimateLineItem).where(EstimateLineItem.estimate_id == estimate.id)
            )
        }
        if not new_estimate
        else {}
    )
    matched: dict[int, EstimateLineItem] = {}  # index in the file -> the estimate line it updates
    removed: list[EstimateLineItem] = []
    changed_index: set[int] = set()
    if previous is not None:
        changes = compare_lines(previous.get("line_snapshots") or [], snapshots)
        applied.changes = changes
        position = {id(snap): index for index, snap in enumerate(snapshots)}
        for before, after in changes.kept:
            item = existing.get(before.get("estimate_line_id"))
            if item is not None:
                matched[position[id(after)]] = item
        changed_index = {position[id(change.after)] for change in changes.changed}
        removed = [
            existing[line["estimate_line_id"]] for line in changes.removed if line.get("estimate_line_id") in existing
        ]
    approved = ro.date_estimate_approved is not None
    adds = any(index not in matched for index in range(len(snapshots)))
    new_status, supplement_number = "pending", None
    if approved and claim is not None and adds:
        supplement_number = open_supplement(ro, estimate, claim)
        new_status = "supplement"
    elif previous is not None and parsed.version > 0:
        supplement_number = parsed.version
    applied.notes += retire_part_lines(ro, removed, actor=actor, now=now)
    numbers = _line_numbers(parsed)
    items = sync_lines(
        estimate.id,
        list(existing.values()),
        [(numbers[index], line, matched.get(index)) for index, line in enumerate(parsed.lines)],
        removed,
        rates=parsed.rates,
        totals=parsed.totals,
        new_status=new_status,
        supplement_number=supplement_number,
        first_version=previous is None,
        actor=actor,
    )
    kept = [dict(snap, estimate_line_id=item.id) for snap, item in zip(snapshots, items, strict=True)]
    applied.notes += update_part_lines(ro, [items[index] for index in sorted(changed_index)], actor=actor)
    if parsed.claim.total_loss:
        applied.notes.append("Total loss: no part lines were created")
    else:
        wanted = [item for item in items if item.type == "part" and item.status in ("pending", "approved")]
        applied.part_lines_created = len(create_part_lines(ro, wanted, actor=actor))
    if new_status == "supplement":
        assert claim is not None and supplement_number is not None
        send_supplement(ro, claim, supplement_number, note="imported from the estimating system", actor=actor, now=now)
        applied.notes.append(f"Supplement {supplement_number} waits for the insurer's decision")
    elif previous is not None and parsed.version > int(previous["version"]):
        estimate.supplement_count = max(estimate.supplement_count or 0, parsed.version)
        estimate.last_supplement_date = now
    if previous is not None:
        estimate.revision_count = (estimate.revision_count or 0) + 1
    return kept


def _fill_repair_order(ro: RepairOrder, parsed: BmsEstimate, shop_id: int, *, actor: Any) -> None:
    if parsed.vehicle.drivable is not None:
        ro.vehicle_drivable = parsed.vehicle.drivable
    if ro.assigned_estimator is None:
        estimator = estimator_for(shop_id, parsed.estimator)
        ro.assigned_estimator = estimator.id if estimator is not None else None
    if any(word in f" {line.description.upper()} " for line in parsed.lines for word in CALIBRATION_WORDS):
        ro.requires_adas_calibration = True
    ro.updated_by = actor.id
