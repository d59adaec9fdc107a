"""BMS test files: the shared fixtures (../shared/fixtures/bms) and ours (tests/fixtures/bms)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from collisionos.extensions import db
from collisionos.models import (
    BmsImport,
    ClaimManagement,
    Customer,
    Estimate,
    EstimateLineItem,
    InsuranceCompany,
    PartLine,
    RepairOrder,
    Vehicle,
    VehicleProfile,
)

OWN = Path(__file__).resolve().parent / "fixtures" / "bms"


def _shared() -> Path:
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "fixtures" / "bms"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("../shared/fixtures/bms not found beside the project")


SHARED = _shared()


def shared(name: str) -> bytes:
    return (SHARED / name).read_bytes()


def own(name: str) -> bytes:
    return (OWN / name).read_bytes()


COUNTED = (
    Customer,
    Vehicle,
    VehicleProfile,
    InsuranceCompany,
    ClaimManagement,
    RepairOrder,
    Estimate,
    EstimateLineItem,
    PartLine,
)


def row_counts() -> dict[str, int]:
    """How many rows each table the importer writes holds (bms_imports apart)."""
    db.session.expire_all()
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in COUNTED}


def imports() -> list[BmsImport]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(BmsImport).order_by(BmsImport.id)))
