"""All 35 domain models (plus the number-sequence counter), imported so ``db.metadata`` knows every table."""

from collisionos.models import calculations as _calculations  # noqa: F401  (registers the §6 calculation listeners)
from collisionos.models import search as _search_keys  # noqa: E402,F401  (registers the search-key listeners)
from collisionos.models.analytics import TechnicianPerformance
from collisionos.models.audit import AuditLog
from collisionos.models.communication import CommunicationLog, CommunicationTemplate, ContactTimeline
from collisionos.models.customers import Customer
from collisionos.models.estimates import BmsImport, Estimate, EstimateLineItem
from collisionos.models.finance import FinancialTransaction, Invoice
from collisionos.models.insurance import ClaimManagement, InsuranceCompany
from collisionos.models.jobs import Attachment, Job, JobStageHistory, LaborTimeEntry, WorkflowStatus
from collisionos.models.loaners import LoanerReservation, LoanerVehicle
from collisionos.models.operations import SchedulerRun, WatchFlag
from collisionos.models.parts import Part, PartLine
from collisionos.models.production import ProductionStage, ProductionWorkflow, SchedulingCapacity
from collisionos.models.purchasing import PartsOrder, PartsOrderItem, PurchaseOrder
from collisionos.models.repair_orders import RepairOrder
from collisionos.models.shops import NumberSequence, Shop
from collisionos.models.users import User
from collisionos.models.vehicles import Vehicle, VehicleHistory, VehicleProfile
from collisionos.models.vendors import Vendor

# The 35 models of DOMAIN.md, in its layer order (A Foundation ... I Audit).
DOMAIN_MODELS = (
    Shop, User, Customer, Vehicle, Vendor, InsuranceCompany,
    BmsImport, Estimate, EstimateLineItem,
    Job, WorkflowStatus, JobStageHistory, ProductionStage, LaborTimeEntry, Attachment, VehicleHistory,
    Part, PartsOrder, PartsOrderItem,
    Invoice, FinancialTransaction,
    CommunicationTemplate, CommunicationLog,
    TechnicianPerformance,
    ContactTimeline, VehicleProfile, ClaimManagement, RepairOrder, ProductionWorkflow, SchedulingCapacity,
    LoanerVehicle, LoanerReservation, PartLine, PurchaseOrder,
    AuditLog,
)  # fmt: skip

__all__ = [
    "DOMAIN_MODELS",
    "Attachment", "AuditLog", "BmsImport", "ClaimManagement", "CommunicationLog", "CommunicationTemplate",
    "ContactTimeline", "Customer", "Estimate", "EstimateLineItem", "FinancialTransaction", "InsuranceCompany",
    "Invoice", "Job", "JobStageHistory", "LaborTimeEntry", "LoanerReservation", "LoanerVehicle", "NumberSequence",
    "Part", "PartLine", "PartsOrder", "PartsOrderItem", "ProductionStage", "ProductionWorkflow", "PurchaseOrder",
    "RepairOrder", "SchedulerRun", "SchedulingCapacity", "Shop", "TechnicianPerformance", "User", "Vehicle",
    "VehicleHistory", "VehicleProfile", "Vendor", "WatchFlag", "WorkflowStatus",
]  # fmt: skip
