"""A shop's default settings (DOMAIN.md §A1 plus the thresholds CollisionOS proposes).

Money and rates are strings so JSON never turns them into floats.
"""

from __future__ import annotations

import copy
from typing import Any

from collisionos.models.enums import RepairOrderHoldReason as Hold

# Holds caused by the customer or the insurer pause the SLA clock (DOMAIN.md §5.7).
HOLD_REASONS: dict[str, dict[str, Any]] = {
    Hold.PARTS_DELAY: {"label": "Parts delay", "pausesSla": False},
    Hold.INSURANCE_APPROVAL: {"label": "Waiting for insurer approval", "pausesSla": True},
    Hold.CUSTOMER_APPROVAL: {"label": "Waiting for customer approval", "pausesSla": True},
    Hold.SUPPLEMENT_REVIEW: {"label": "Supplement under review", "pausesSla": True},
    Hold.SUBLET_DELAY: {"label": "Sublet delay", "pausesSla": False},
    Hold.TECHNICIAN_UNAVAILABLE: {"label": "Technician unavailable", "pausesSla": False},
    Hold.EQUIPMENT_DOWN: {"label": "Equipment down", "pausesSla": False},
    Hold.MATERIAL_SHORTAGE: {"label": "Material shortage", "pausesSla": False},
    Hold.QUALITY_ISSUE: {"label": "Quality issue", "pausesSla": False},
    Hold.CUSTOMER_REQUEST: {"label": "Customer request", "pausesSla": True},
    Hold.PAYMENT_ISSUE: {"label": "Payment issue", "pausesSla": True},
    Hold.OTHER: {"label": "Other", "pausesSla": False},
}

SLA_TARGET_DAYS = {"express": 3, "priority": 5, "fleet": 7, "standard": 10, "insurance_sla": 10}

DEFAULT_SHOP_SETTINGS: dict[str, Any] = {
    "laborRate": "65.00",
    "paintAndMaterialsRate": "45.00",
    "workingHours": {
        **{
            day: {"start": "08:00", "end": "17:00", "enabled": True}
            for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
        "saturday": {"start": "09:00", "end": "15:00", "enabled": False},
        "sunday": {"start": "09:00", "end": "15:00", "enabled": False},
    },
    "autoBackup": True,
    "backupFrequency": "daily",
    "notifications": {"email": True, "sms": False, "push": True},
    "integrations": {"cccOne": False, "mitchell": False, "audatex": False, "webEst": False},
    "repairOrderNumberPrefix": "RO",
    "repairOrderNumberStart": 10001,
    # Ontario: a single 13 % HST. Shops elsewhere set gst/pst instead (percentages as strings).
    "taxes": {"gst": None, "pst": None, "hst": "13.00"},
    "holdReasons": HOLD_REASONS,
    "slaTargetDays": SLA_TARGET_DAYS,
    "slaYellowAt": "0.75",
    "poApprovalThreshold": "1000.00",
    # Who may approve a PO of at least `min` (DOMAIN.md §5.2).
    "poApprovalTiers": [
        {"min": "0.00", "roles": ["parts_manager", "manager", "owner", "admin"]},
        {"min": "5000.00", "roles": ["manager", "owner", "admin"]},
        {"min": "25000.00", "roles": ["owner", "admin"]},
    ],
    "poApprovalMaxWaitHours": 24,
    "marginTargets": {"oem": 25, "oem_equivalent": 30, "aftermarket": 35, "recycled": 40, "remanufactured": 30},
    "marginWarningPoints": 5,
    "backorderCriticalDays": 7,
    "supplementPendingMaxDays": 3,
    "quietHours": {"start": "21:00", "end": "08:00"},
    "loanerFuelPricePerLitre": "1.65",
    "loanerRefuelFee": "25.00",
    "loanerTurnaroundHours": 2,
    "coreReturnDays": 30,
    "partReturnDays": 30,
}

DEFAULT_SUBSCRIPTION: dict[str, Any] = {
    "plan": "starter",
    "status": "active",
    "maxUsers": 5,
    "maxJobs": 50,
    "features": ["basic_dashboard", "job_management", "customer_management"],
}


def default_settings() -> dict[str, Any]:
    """Return a fresh deep copy of the default settings."""
    return copy.deepcopy(DEFAULT_SHOP_SETTINGS)


def merged_settings(current: dict[str, Any] | None) -> dict[str, Any]:
    """Return the defaults overlaid with what the shop has set (keys the shop set win)."""
    merged = default_settings()
    for key, value in (current or {}).items():
        merged[key] = value
    return merged
