"""Repair order rules."""

from collisionos.models.enums import RepairOrderStatus

# Statuses in which a car is no longer the shop's work in progress.
CLOSED_STATUSES = frozenset(
    {
        RepairOrderStatus.DELIVERED,
        RepairOrderStatus.INVOICED,
        RepairOrderStatus.PAID,
        RepairOrderStatus.ARCHIVED,
        RepairOrderStatus.CANCELLED,
    }
)
OPEN_STATUSES = frozenset(RepairOrderStatus) - CLOSED_STATUSES
