"""What an import says: its message to staff and the report kept on its bms_imports row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from collisionos.domain.bms.model import BmsEstimate
from collisionos.domain.bms.totals import Comparison, ComputedTotals
from collisionos.domain.money import to_money
from collisionos.services.bms.apply import Applied


def who_pays(parsed: BmsEstimate) -> str:
    """Name who pays for the job as messages do: "claim ZZ-1" or "customer pay"."""
    return "customer pay" if parsed.is_customer_pay else f"claim {parsed.claim.claim_number}"


def money_text(value: Decimal | None) -> str:
    """Write an amount as staff read it: 2,164.85."""
    return f"{to_money(value):,.2f}"


def difference_text(row: Comparison) -> str:
    """Say how a total of the file disagrees with the lines, and on which side."""
    assert row.difference is not None and row.stated is not None
    side = "more" if row.difference < 0 else "less"
    return (
        f"{row.label}: the file says {money_text(row.stated)}, the lines add up to {money_text(row.computed)} "
        f"({money_text(abs(row.difference))} {side} in the file)"
    )


def import_message(
    name: str,
    parsed: BmsEstimate,
    applied: Applied,
    computed: ComputedTotals,
    differences: list[Comparison],
) -> str:
    """Tell staff in one paragraph what the import did, and what needs their review."""
    ro, who = applied.repair_order.repair_order_number, who_pays(parsed)
    if applied.first_import:
        text = (
            f"{name}: imported on {ro} ({who}): {len(parsed.lines)} lines, "
            f"{applied.part_lines_created} part lines to source, gross {money_text(computed.gross)}, "
            f"net {money_text(computed.net)}."
        )
    else:
        counts = applied.changes.counts() if applied.changes is not None else {"added": 0, "removed": 0, "changed": 0}
        label = f"supplement {parsed.version}" if parsed.version > applied.previous_version else "a new export"
        text = (
            f"{name}: {label} updated {ro} ({who}): {counts['added']} lines added, {counts['removed']} removed, "
            f"{counts['changed']} changed; gross {money_text(applied.previous_gross)} -> {money_text(computed.gross)}."
        )
    notes = list(applied.notes)
    if differences:
        notes.insert(0, "Needs review: " + "; ".join(difference_text(row) for row in differences))
    return " ".join([text, *[note if note.endswith(".") else note + "." for note in notes]])


def import_report(
    parsed: BmsEstimate,
    applied: Applied,
    status: str,
    message: str,
    rows: list[Comparison],
    differences: list[Comparison],
    computed: ComputedTotals,
) -> dict[str, Any]:
    """The JSON kept on the import row: outcome, totals against the file, line changes, what was read."""
    owner = parsed.owner
    vehicle = parsed.vehicle
    return {
        "outcome": applied.outcome,
        "status": status,
        "message": message,
        "repair_order": applied.repair_order.repair_order_number,
        "repair_order_id": applied.repair_order.id,
        "estimate_id": applied.estimate.id,
        "claim_number": parsed.claim.claim_number,
        "vin": applied.vin,
        "version": parsed.version,
        "previous_version": None if applied.first_import else applied.previous_version,
        "lines": len(parsed.lines),
        "totals": [row.as_json() for row in rows],
        "differences": [row.as_json() for row in differences],
        "changes": applied.changes.as_json() if applied.changes is not None else None,
        "document": {
            "id": parsed.document_id,
            "provider": parsed.provider,
            "bms_version": parsed.bms_version,
            "created_at": parsed.created_at.isoformat() if parsed.created_at else None,
            "currency": parsed.currency,
        },
        "owner": {
            "name": owner.display_name,
            "phones": owner.phones,
            "email": owner.email,
            "address": ", ".join(p for p in (owner.address1, owner.city, owner.state, owner.postal_code) if p),
        },
        "policyholder": parsed.policyholder.display_name if parsed.policyholder else None,
        "insurer": parsed.insurer_name,
        "estimator": parsed.estimator.display_name if parsed.estimator else None,
        "claim": {
            "policy_number": parsed.claim.policy_number,
            "deductible": None if parsed.claim.deductible is None else str(parsed.claim.deductible),
            "deductible_status": parsed.claim.deductible_status,
            "loss_date": parsed.claim.loss_date.isoformat() if parsed.claim.loss_date else None,
            "point_of_impact": parsed.claim.point_of_impact,
            "total_loss": parsed.claim.total_loss,
        },
        "vehicle": {
            "year": vehicle.year,
            "make": vehicle.make,
            "model": vehicle.model,
            "trim": vehicle.trim,
            "body_style": vehicle.body_style,
            "plate": vehicle.license_plate,
            "plate_state": vehicle.plate_state,
            "paint_code": vehicle.paint_code,
            "odometer": vehicle.odometer,
            "drivable": vehicle.drivable,
        },
        "rates": {
            "labor": {code: str(rate) for code, rate in parsed.rates.labor.items()},
            "paint_materials": None if parsed.rates.paint_materials is None else str(parsed.rates.paint_materials),
            "taxes": {code: str(rate) for code, rate in parsed.rates.taxes.items()},
        },
        "tax_by_type": {code: str(amount) for code, amount in computed.tax_by_type.items()},
    }
