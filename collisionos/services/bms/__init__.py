"""Importing CIECA BMS estimate files: one use case per file, all or nothing (issue 6).

A file sets up (or updates) the customer, the vehicle, the claim, the repair order, the estimate with its lines,
and the part lines to source. A later version of the same estimate (a supplement) updates the same records and
keeps the earlier version in the estimate's history with what changed line by line.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from collisionos.domain.bms import parse_bms
from collisionos.domain.bms.changes import snapshot
from collisionos.domain.bms.model import BmsEstimate, BmsRejected
from collisionos.domain.bms.totals import Comparison, ComputedTotals, check_amounts, compare, compute
from collisionos.domain.errors import DomainError
from collisionos.domain.money import to_money
from collisionos.domain.vin import validate_vin
from collisionos.extensions import db
from collisionos.models import BmsImport, ClaimManagement, RepairOrder
from collisionos.models.enums import RepairOrderStatus as R
from collisionos.services.bms.apply import apply_estimate, estimate_of, imported_already
from collisionos.services.bms.report import difference_text, import_message, import_report, who_pays
from collisionos.services.unit_of_work import use_case

log = logging.getLogger(__name__)

IMPORTED = "imported"  # a new estimate (and usually a new RO) was set up from the file
UPDATED = "updated"  # a later version (supplement) or a re-import updated the same records
NEEDS_REVIEW = "needs_review"  # imported, but the file's own totals disagree with the computed ones
FAILED = "failed"  # nothing was written except the failed import record
UNEXPECTED = "could not be imported because of an unexpected error; the details are in the server log"


@dataclass(frozen=True)
class ImportResult:
    """The outcome of one file, as the admin page and ``flask bms import --json`` show it."""

    file: str
    status: str  # IMPORTED, UPDATED, NEEDS_REVIEW or FAILED
    message: str
    import_id: int | None = None  # the bms_imports row (also written for a failed file)
    repair_order_id: int | None = None
    repair_order: str | None = None  # the RO number
    estimate_id: int | None = None
    claim_number: str | None = None  # None for customer pay
    vin: str | None = None
    lines: int | None = None  # damage lines in the file
    gross_total: Decimal | None = None
    net_total: Decimal | None = None
    deductible: Decimal | None = None
    version: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The JSON object of ``--json``: money as exact strings ("2164.85"), never floats."""

        def money(value: Decimal | None) -> str | None:
            return None if value is None else str(to_money(value))

        return {
            "file": self.file,
            "status": self.status,
            "repair_order": self.repair_order,
            "claim_number": self.claim_number,
            "vin": self.vin,
            "lines": self.lines,
            "gross_total": money(self.gross_total),
            "net_total": money(self.net_total),
            "deductible": money(self.deductible),
            "version": self.version,
            "message": self.message,
        }


# How staff read each outcome (the admin's results page, the command's lines and summary).
STATUS_LABELS = {IMPORTED: "imported", UPDATED: "updated", NEEDS_REVIEW: "needs review", FAILED: "failed"}


def batch_summary(results: list[ImportResult]) -> str:
    """Say in one line what became of a batch: "3 files: 2 imported, 1 failed"."""
    counts = Counter(result.status for result in results)
    parts = [f"{counts[status]} {label}" for status, label in STATUS_LABELS.items() if counts[status]]
    return f"{len(results)} file{'' if len(results) == 1 else 's'}: {', '.join(parts)}"


def file_label(file_name: str | None) -> str:
    """The file's own name without any folder, as staff know it."""
    name = re.split(r"[\\/]", (file_name or "").strip())[-1]
    return name[:255] or "unnamed file"


def import_bms_files(
    shop_id: int, files: Iterable[tuple[str, bytes]], *, actor: Any, now: datetime
) -> list[ImportResult]:
    """Import each file on its own: one bad file does not stop the others."""
    return [import_bms_file(shop_id, name, data, actor=actor, now=now) for name, data in files]


def import_bms_file(shop_id: int, file_name: str, data: bytes, *, actor: Any, now: datetime) -> ImportResult:
    """Import one file for ``shop_id``; a failure writes only a failed import record and never raises."""
    name = file_label(file_name)
    started = time.perf_counter()
    parsed = None
    try:
        parsed = parse_bms(data, max_bytes=current_app.config["BMS_MAX_BYTES"])
        vin = _vin(parsed)
        return _import(shop_id, name, data, parsed, vin, actor=actor, now=now, started=started)
    except DomainError as error:
        db.session.rollback()
        return _failed(shop_id, name, data, parsed, str(error), actor=actor, now=now, started=started)
    except Exception:
        db.session.rollback()
        log.exception("BMS import of %s failed", name)
        return _failed(shop_id, name, data, parsed, UNEXPECTED, actor=actor, now=now, started=started)


def _vin(parsed: BmsEstimate) -> str:
    raw = parsed.vehicle.vin or ""
    if not raw:
        raise BmsRejected("the file has no VIN: add it in the estimating system and export again", rule="bms_no_vin")
    if len(raw) > 17 or not raw.isalnum():
        raise BmsRejected("the VIN is not 17 letters and digits", rule="bms_vin")
    try:
        return validate_vin(raw)
    except DomainError as error:
        raise BmsRejected(f"{error} Correct it in the estimating system and export again.", rule="bms_vin") from None


def document_key(parsed: BmsEstimate) -> str | None:
    """The estimate's document id without a version suffix ("CP-1102-V1" -> "CP-1102"): shared by its versions."""
    document = (parsed.document_id or "").strip()
    if not document:
        return None
    base = re.sub(rf"[-_ .]?V0*{parsed.version}$", "", document, flags=re.IGNORECASE)
    return (base or document)[:100]


def _find_repair_order(shop_id: int, parsed: BmsEstimate) -> tuple[ClaimManagement | None, RepairOrder | None]:
    """The claim and RO this file belongs to: by claim number, or for customer pay by its document id."""
    from collisionos.services.bms.records import find_claim

    if parsed.claim.claim_number:
        claim = find_claim(shop_id, parsed.claim.claim_number[:100])
        if claim is None:
            return None, None
        ro = db.session.scalar(
            sa.select(RepairOrder)
            .where(
                RepairOrder.shop_id == shop_id,
                RepairOrder.claim_management_id == claim.id,
                RepairOrder.ro_status != R.CANCELLED,
            )
            .order_by(RepairOrder.id.desc())
            .limit(1)
            .with_for_update()
        )
        return claim, ro
    key = document_key(parsed)
    if key is None:
        return None, None
    estimate_id = db.session.scalar(
        sa.select(BmsImport.estimate_id)
        .where(
            BmsImport.shop_id == shop_id,
            BmsImport.document_id == key,
            BmsImport.status == "success",
            BmsImport.estimate_id.is_not(None),
        )
        .order_by(BmsImport.id.desc())
        .limit(1)
    )
    if estimate_id is None:
        return None, None
    ro = db.session.scalar(
        sa.select(RepairOrder)
        .where(
            RepairOrder.shop_id == shop_id,
            RepairOrder.estimate_id == estimate_id,
            RepairOrder.ro_status != R.CANCELLED,
        )
        .order_by(RepairOrder.id.desc())
        .limit(1)
        .with_for_update()
    )
    return None, ro


def _import(
    shop_id: int,
    name: str,
    data: bytes,
    parsed: BmsEstimate,
    vin: str,
    *,
    actor: Any,
    now: datetime,
    started: float,
) -> ImportResult:
    computed = compute(parsed)
    check_amounts(parsed, computed)
    rows = compare(parsed, computed)
    differences = [row for row in rows if row.disagrees]
    digest = hashlib.sha256(data).hexdigest()
    snapshots = [snapshot(line, parsed.rates, parsed.totals) for line in parsed.lines]
    with use_case(actor, reason=f"Estimate imported from {name}"):
        claim, ro = _find_repair_order(shop_id, parsed)
        estimate = estimate_of(shop_id, ro)
        same = imported_already(estimate, digest)
        if ro is not None and same is not None:
            return _unchanged(name, parsed, ro, same, computed, differences, vin)
        record = _record(shop_id, name, data, parsed, actor=actor, now=now, started=started)
        db.session.flush()  # its id goes into the estimate's version history
        applied = apply_estimate(
            shop_id,
            parsed,
            vin,
            claim,
            ro,
            estimate,
            computed=computed,
            snapshots=snapshots,
            digest=digest,
            import_id=record.id,
            actor=actor,
            now=now,
        )
        status = NEEDS_REVIEW if differences else (IMPORTED if applied.first_import else UPDATED)
        message = import_message(name, parsed, applied, computed, differences)
        record.status, record.needs_review = "success", bool(differences)
        record.estimate_id = applied.estimate.id
        record.total_records = record.processed_records = len(parsed.lines)
        record.can_rollback = False
        record.processing_completed = now
        record.processing_duration = int(time.perf_counter() - started)
        record.parsed_data = import_report(parsed, applied, status, message, rows, differences, computed)
        record.validation_errors = [difference_text(row) for row in differences]
        result = _result(name, status, message, record.id, applied.repair_order, parsed, computed, vin)
    return result


def _unchanged(
    name: str,
    parsed: BmsEstimate,
    ro: RepairOrder,
    entry: dict[str, Any],
    computed: ComputedTotals,
    differences: list[Comparison],
    vin: str,
) -> ImportResult:
    """The very file of the estimate's latest version again: nothing is written, not even an import record."""
    message = (
        f"{name}: nothing changed; this file is already imported on {ro.repair_order_number} ({who_pays(parsed)}, "
        f"version {entry['version']})."
    )
    status = NEEDS_REVIEW if differences else UPDATED
    return _result(name, status, message, entry.get("import_id"), ro, parsed, computed, vin)


def _result(
    name: str,
    status: str,
    message: str,
    import_id: int | None,
    ro: RepairOrder,
    parsed: BmsEstimate,
    computed: ComputedTotals,
    vin: str,
) -> ImportResult:
    return ImportResult(
        file=name,
        status=status,
        message=message,
        import_id=import_id,
        repair_order_id=ro.id,
        repair_order=ro.repair_order_number,
        estimate_id=ro.estimate_id,
        claim_number=parsed.claim.claim_number,
        vin=vin,
        lines=len(parsed.lines),
        gross_total=computed.gross,
        net_total=computed.net,
        deductible=computed.deductible,
        version=parsed.version,
    )


def _record(
    shop_id: int, name: str, data: bytes, parsed: BmsEstimate | None, *, actor: Any, now: datetime, started: float
) -> BmsImport:
    record = BmsImport(
        shop_id=shop_id,
        created_by=actor.id,
        file_name=name,
        original_file_name=name,
        file_size=len(data),
        file_type="BMS",
        import_date=now,
        processing_started=now,
        processing_completed=now,
    )
    if parsed is not None:
        record.bms_version = (parsed.bms_version or "")[:50] or None
        record.bms_provider = (parsed.provider or "")[:100] or None
        record.document_id = document_key(parsed)
        record.document_version = parsed.version if parsed.version >= 0 else None
    db.session.add(record)
    return record


def _failed(
    shop_id: int,
    name: str,
    data: bytes,
    parsed: BmsEstimate | None,
    reason: str,
    *,
    actor: Any,
    now: datetime,
    started: float,
) -> ImportResult:
    message = f"{name}: {reason}"
    record_id = None
    try:
        with use_case(actor, reason=f"Estimate import failed: {name}"):
            record = _record(shop_id, name, data, parsed, actor=actor, now=now, started=started)
            record.status, record.error_records, record.total_records = "failed", 1, 1
            record.error_log = {"message": message}
            record.validation_errors = [message]
            record.parsed_data = {"outcome": FAILED, "status": FAILED, "message": message}
            db.session.flush()
            record_id = record.id
    except Exception:
        db.session.rollback()
        log.exception("Could not record the failed BMS import of %s", name)
    return ImportResult(file=name, status=FAILED, message=message, import_id=record_id)
