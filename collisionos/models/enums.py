"""Enums that the domain rules and several tables share.

Values are stored as plain strings (``StrEnum`` members compare equal to them).
"""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    SERVICE_ADVISOR = "service_advisor"
    ESTIMATOR = "estimator"
    TECHNICIAN = "technician"
    PARTS_MANAGER = "parts_manager"
    RECEPTIONIST = "receptionist"
    ACCOUNTANT = "accountant"
    ADMIN = "admin"


# Role rank from DOMAIN.md §A2, high to low.
ROLE_RANK = {
    Role.OWNER: 8,
    Role.ADMIN: 7,
    Role.MANAGER: 6,
    Role.SERVICE_ADVISOR: 5,
    Role.ESTIMATOR: 4,
    Role.PARTS_MANAGER: 3,
    Role.ACCOUNTANT: 2,
    Role.TECHNICIAN: 1,
    Role.RECEPTIONIST: 0,
}

VEHICLE_FUEL_TYPES = ("gasoline", "diesel", "hybrid", "electric", "plug_in_hybrid", "hydrogen", "other")
MILEAGE_UNITS = ("miles", "kilometers")
VEHICLE_CLASSES = ("economy", "compact", "mid_size", "full_size", "premium", "suv", "pickup", "van")
PRIORITIES = ("low", "normal", "high", "urgent")


class RepairOrderStatus(StrEnum):
    DRAFT = "draft"
    ESTIMATE_PENDING = "estimate_pending"
    ESTIMATE_APPROVED = "estimate_approved"
    PARTS_ORDERED = "parts_ordered"
    PARTS_HOLD = "parts_hold"
    IN_PRODUCTION = "in_production"
    QUALITY_CONTROL = "quality_control"
    SUPPLEMENT_PENDING = "supplement_pending"
    SUPPLEMENT_APPROVED = "supplement_approved"
    CUSTOMER_APPROVAL = "customer_approval"
    READY_FOR_DELIVERY = "ready_for_delivery"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    INVOICED = "invoiced"
    PAID = "paid"
    ARCHIVED = "archived"
    CANCELLED = "cancelled"


class StageStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    BYPASSED = "bypassed"
    FAILED = "failed"
    REWORK = "rework"


class PartStatus(StrEnum):
    NEEDED = "needed"
    SOURCING = "sourcing"
    QUOTED = "quoted"
    ORDERED = "ordered"
    BACKORDERED = "backordered"
    SHIPPED = "shipped"
    RECEIVED = "received"
    INSPECTED = "inspected"
    INSTALLED = "installed"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    PARTIAL_RECEIVED = "partial_received"
    FULLY_RECEIVED = "fully_received"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    DISPUTED = "disputed"


class LoanerStatus(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    RENTED = "rented"
    MAINTENANCE = "maintenance"
    OUT_OF_SERVICE = "out_of_service"
    ACCIDENT_DAMAGE = "accident_damage"
    CLEANING = "cleaning"
    INSPECTION = "inspection"
    RETIRED = "retired"


class ReservationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    EARLY_RETURN = "early_return"


class ClaimStatus(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    DENIED = "denied"
    CLOSED = "closed"
    SUBROGATION = "subrogation"
    LITIGATION = "litigation"


class ProductionStageType(StrEnum):
    """The 18 production stages of DOMAIN.md §4, in board order."""

    INTAKE = "intake"
    BLUEPRINT = "blueprint"
    DISASSEMBLY = "disassembly"
    PARTS_HOLD = "parts_hold"
    FRAME_REPAIR = "frame_repair"
    BODY_WORK = "body_work"
    PREP_PRIME = "prep_prime"
    PAINT_BOOTH = "paint_booth"
    PAINT_FINISH = "paint_finish"
    DENIB_POLISH = "denib_polish"
    MECHANICAL_REPAIR = "mechanical_repair"
    ASSEMBLY = "assembly"
    ADAS_CALIBRATION = "adas_calibration"
    FINAL_QC = "final_qc"
    DETAIL_CLEANUP = "detail_cleanup"
    PRE_DELIVERY_INSPECTION = "pre_delivery_inspection"
    CUSTOMER_WALKTHROUGH = "customer_walkthrough"
    DELIVERY = "delivery"


class RepairOrderHoldReason(StrEnum):
    PARTS_DELAY = "parts_delay"
    INSURANCE_APPROVAL = "insurance_approval"
    CUSTOMER_APPROVAL = "customer_approval"
    SUPPLEMENT_REVIEW = "supplement_review"
    SUBLET_DELAY = "sublet_delay"
    TECHNICIAN_UNAVAILABLE = "technician_unavailable"
    EQUIPMENT_DOWN = "equipment_down"
    MATERIAL_SHORTAGE = "material_shortage"
    QUALITY_ISSUE = "quality_issue"
    CUSTOMER_REQUEST = "customer_request"
    PAYMENT_ISSUE = "payment_issue"
    OTHER = "other"
