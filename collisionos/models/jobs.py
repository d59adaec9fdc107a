"""Jobs (a trade's share of a repair order), their steps, stage history, clocked time and attachments."""

from __future__ import annotations

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    date_order_check,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    hours,
    integer,
    json_column,
    json_list,
    money,
    percent,
    string,
    timestamp,
    user_fk,
)
from collisionos.models.enums import PRIORITIES
from collisionos.models.estimates import vehicle_label

JOB_STATUSES = (
    "estimate",
    "intake",
    "blueprint",
    "parts_ordering",
    "parts_receiving",
    "body_structure",
    "paint_prep",
    "paint_booth",
    "reassembly",
    "quality_control",
    "calibration",
    "detail",
    "ready_pickup",
    "delivered",
    "on_hold",
    "cancelled",
)
JOB_PRIORITIES = ("low", "normal", "high", "urgent", "rush")
JOB_TYPES = (
    "collision",
    "mechanical",
    "glass",
    "paint",
    "detailing",
    "inspection",
    "warranty",
    "recall",
    "maintenance",
    "other",
)
PAYMENT_METHODS = (
    "cash",
    "check",
    "credit_card",
    "debit_card",
    "bank_transfer",
    "insurance",
    "financing",
    "other",
)
JOB_PAYMENT_STATUSES = ("pending", "partial", "paid", "overdue", "refunded")
JOB_INVOICE_STATUSES = ("draft", "sent", "paid", "overdue", "cancelled")
JOB_ESTIMATE_STATUSES = ("draft", "pending", "approved", "rejected", "revised")
JOB_PARTS_STATUSES = ("pending", "ordered", "partial", "received", "backordered")
JOB_QUALITY_STATUSES = ("pending", "in_progress", "passed", "failed", "rework")
CALIBRATION_STATUSES = ("not_required", "pending", "completed", "failed")
AUTHORIZATION_METHODS = ("in_person", "phone", "email", "text", "online", "other")

# Legacy workflow stages in stage_order (1..20); DOMAIN §C2 maps unknown stages to 999.
WORKFLOW_STAGES = (
    "estimate",
    "intake",
    "disassembly",
    "blueprint",
    "parts_ordering",
    "parts_receiving",
    "body_structure",
    "frame_repair",
    "paint_prep",
    "paint_booth",
    "paint_finish",
    "reassembly",
    "quality_control",
    "calibration",
    "road_test",
    "detail",
    "final_inspection",
    "ready_pickup",
    "delivery",
    "completed",
)
WORKFLOW_STEP_STATUSES = ("pending", "in_progress", "completed", "skipped", "on_hold", "rework", "failed")
WORKFLOW_DELAY_REASONS = (
    "parts_delay",
    "customer_delay",
    "equipment_failure",
    "staff_shortage",
    "weather",
    "quality_issue",
    "customer_change",
    "insurance_delay",
    "sublet_delay",
    "calibration_delay",
    "other",
)
WORKFLOW_REWORK_REASONS = (
    "quality_issue",
    "damage_found",
    "customer_request",
    "insurance_requirement",
    "safety_concern",
    "measurement_error",
    "paint_defect",
    "fit_issue",
    "other",
)

MOVEMENT_TYPES = ("forward", "backward", "skip", "restart", "parallel")
MOVEMENT_REASONS = (
    "normal_progression",
    "rework_required",
    "quality_issue",
    "customer_request",
    "parts_delay",
    "equipment_failure",
    "scheduling_optimization",
    "emergency_rush",
    "stage_skip_approved",
    "parallel_processing",
    "other",
)
STAGE_ISSUE_TYPES = (
    "quality_defect",
    "equipment_malfunction",
    "parts_shortage",
    "skill_gap",
    "customer_change",
    "damage_discovery",
    "measurement_error",
    "safety_concern",
    "environmental_condition",
    "other",
)
STAGE_DELAY_REASONS = (
    "parts_wait",
    "equipment_downtime",
    "customer_delay",
    "insurance_delay",
    "quality_rework",
    "scheduling_conflict",
    "weather_delay",
    "staff_shortage",
    "safety_hold",
    "other",
)
SYNC_STATUSES = ("pending", "synced", "failed", "not_applicable")

TIME_ENTRY_LABOR_TYPES = (
    "body",
    "paint",
    "frame",
    "mechanical",
    "electrical",
    "glass",
    "detail",
    "prep",
    "quality_control",
    "other",
)
TIME_ENTRY_STATUSES = ("active", "completed", "on_break", "cancelled", "disputed")
TIME_ENTRY_WORK_STATUSES = (
    "in_progress",
    "completed",
    "quality_check",
    "rework_required",
    "waiting_parts",
    "waiting_approval",
    "on_hold",
)
TIME_ENTRY_REWORK_REASONS = (
    "quality_issue",
    "damage",
    "incorrect_procedure",
    "parts_issue",
    "customer_request",
    "other",
)
TIME_ENTRY_DELAY_REASONS = ("parts_delay", "equipment_failure", "quality_issue", "customer_delay", "weather", "other")

ATTACHMENT_FILE_TYPES = ("image", "video", "document", "audio", "other")
ATTACHMENT_CATEGORIES = (
    "before_damage",
    "after_repair",
    "during_repair",
    "damage_assessment",
    "supplement",
    "parts_received",
    "quality_check",
    "delivery",
    "customer_signature",
    "invoice",
    "estimate",
    "blueprint",
    "authorization",
    "insurance_doc",
    "parts_receipt",
    "warranty",
    "other",
)
ATTACHMENT_STATUSES = ("uploaded", "processing", "ready", "archived", "deleted")
ACCESS_LEVELS = ("public", "internal", "restricted", "confidential")
STORAGE_PROVIDERS = ("local", "aws_s3", "google_cloud", "azure", "other")

_OPEN_TIME_ENTRY = db.text("status IN ('active', 'on_break')")


class Job(Timestamped, ShopOwned, UserStamped, db.Model):
    """One trade's share of a repair order (collision, mechanical, glass...); technicians clock time to it."""

    __tablename__ = "jobs"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "job_number", name="uq_jobs_shop_id_job_number"),
        db.Index("ix_jobs_shop_status", "shop_id", "status"),
        date_order_check("jobs", "start_date", "completion_date"),
        date_order_check("jobs", "check_in_date", "check_out_date"),
        date_order_check("jobs", "rental_start_date", "rental_end_date"),
    )

    # §0.1: every job hangs off the repair order it is part of.
    repair_order_id: Mapped[int] = fk("repair_order_management", ondelete="CASCADE", nullable=False)
    customer_id: Mapped[int] = fk("customers", ondelete=None, nullable=False)
    vehicle_id: Mapped[int] = fk("vehicles", ondelete=None, nullable=False)
    assigned_to: Mapped[int | None] = user_fk()
    archived_by: Mapped[int | None] = user_fk()
    insurance_id: Mapped[int | None] = fk("insurance_companies", ondelete="SET NULL", nullable=True)
    # Bare ids without a foreign key, as in the reference: there is no bays table, and the claim is the RO's.
    bay_id: Mapped[int | None] = integer(index=True)
    claim_id: Mapped[int | None] = integer()
    # Str(20) in DOMAIN §C1 cannot hold §0.1's "{RO number}-{n}" when the RO number uses its full Str(50).
    job_number: Mapped[str] = string(60, nullable=False, index=True)
    status: Mapped[str] = enum_column("jobs", "status", JOB_STATUSES, default="estimate", nullable=False, index=True)
    priority: Mapped[str | None] = enum_column("jobs", "priority", JOB_PRIORITIES, default="normal", index=True)
    job_type: Mapped[str] = enum_column("jobs", "job_type", JOB_TYPES, default="collision", nullable=False, index=True)
    claim_number: Mapped[str | None] = string(50, index=True)
    deductible: Mapped[Decimal | None] = money()
    customer_pay: Mapped[Decimal | None] = money()
    insurance_pay: Mapped[Decimal | None] = money()
    rental_cost: Mapped[Decimal | None] = money()
    tow_cost: Mapped[Decimal | None] = money()
    total_amount: Mapped[Decimal | None] = money()
    labor_amount: Mapped[Decimal | None] = money()
    parts_amount: Mapped[Decimal | None] = money()
    materials_amount: Mapped[Decimal | None] = money()
    sublet_amount: Mapped[Decimal | None] = money()
    tax_amount: Mapped[Decimal | None] = money()
    profit_margin: Mapped[Decimal | None] = decimal(5, 2)
    efficiency: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    estimated_hours: Mapped[Decimal | None] = hours(8)
    actual_hours: Mapped[Decimal | None] = hours(8)
    cycle_time: Mapped[int | None] = integer(ge=0)
    target_delivery_date: Mapped[datetime | None] = timestamp(index=True)
    actual_delivery_date: Mapped[datetime | None] = timestamp(index=True)
    start_date: Mapped[datetime | None] = timestamp()
    completion_date: Mapped[datetime | None] = timestamp()
    check_in_date: Mapped[datetime | None] = timestamp(index=True)
    check_out_date: Mapped[datetime | None] = timestamp(index=True)
    payment_method: Mapped[str | None] = enum_column("jobs", "payment_method", PAYMENT_METHODS)
    payment_status: Mapped[str | None] = enum_column(
        "jobs", "payment_status", JOB_PAYMENT_STATUSES, default="pending", index=True
    )
    invoice_status: Mapped[str | None] = enum_column(
        "jobs", "invoice_status", JOB_INVOICE_STATUSES, default="draft", index=True
    )
    estimate_status: Mapped[str | None] = enum_column(
        "jobs", "estimate_status", JOB_ESTIMATE_STATUSES, default="draft", index=True
    )
    parts_status: Mapped[str | None] = enum_column(
        "jobs", "parts_status", JOB_PARTS_STATUSES, default="pending", index=True
    )
    quality_status: Mapped[str | None] = enum_column(
        "jobs", "quality_status", JOB_QUALITY_STATUSES, default="pending", index=True
    )
    calibration_status: Mapped[str | None] = enum_column(
        "jobs", "calibration_status", CALIBRATION_STATUSES, default="not_required", index=True
    )
    authorization_method: Mapped[str | None] = enum_column("jobs", "authorization_method", AUTHORIZATION_METHODS)
    authorization_received: Mapped[bool] = boolean(False)
    authorization_date: Mapped[datetime | None] = timestamp()
    authorization_by: Mapped[str | None] = string(100)
    supplement_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    supplement_amount: Mapped[Decimal | None] = money(default=0)
    last_supplement_date: Mapped[datetime | None] = timestamp()
    sublet_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    sublet_total: Mapped[Decimal | None] = money(default=0)
    is_drp: Mapped[bool] = boolean(False)
    is_warranty: Mapped[bool] = boolean(False)
    is_rush: Mapped[bool] = boolean(False)
    is_express: Mapped[bool] = boolean(False)
    is_vip: Mapped[bool] = boolean(False)
    is_insurance: Mapped[bool] = boolean(False)
    is_customer_pay: Mapped[bool] = boolean(False)
    is_cash: Mapped[bool] = boolean(False)
    is_financed: Mapped[bool] = boolean(False)
    rental_required: Mapped[bool] = boolean(False)
    rental_provided: Mapped[bool] = boolean(False)
    tow_required: Mapped[bool] = boolean(False)
    tow_provided: Mapped[bool] = boolean(False)
    sublet_required: Mapped[bool] = boolean(False)
    come_back: Mapped[bool] = boolean(False)
    warranty_claim: Mapped[bool] = boolean(False)
    is_archived: Mapped[bool] = boolean(False, index=True)
    drp_program: Mapped[str | None] = string(100)
    come_back_date: Mapped[datetime | None] = timestamp()
    rental_start_date: Mapped[datetime | None] = timestamp()
    rental_end_date: Mapped[datetime | None] = timestamp()
    warranty_claim_date: Mapped[datetime | None] = timestamp()
    archived_date: Mapped[datetime | None] = timestamp()
    customer_satisfaction: Mapped[int | None] = integer(ge=1, le=5)

    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    customer = db.relationship("Customer", foreign_keys=[customer_id])
    vehicle = db.relationship("Vehicle", foreign_keys=[vehicle_id])
    insurance_company = db.relationship("InsuranceCompany", foreign_keys=[insurance_id])
    assigned_technician = db.relationship("User", foreign_keys=[assigned_to])
    workflow_steps = db.relationship(
        "WorkflowStatus",
        back_populates="job",
        order_by="WorkflowStatus.stage_order",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        parts = (self.job_number, self.job_type, vehicle_label(self.vehicle))
        return " · ".join(part for part in parts if part)


class WorkflowStatus(Timestamped, ShopOwned, db.Model):
    """One step of a job's own workflow (work beside the production board, e.g. a sublet glass job)."""

    __tablename__ = "workflow_status"
    __table_args__ = (
        db.Index("ix_workflow_status_job_stage", "job_id", "stage"),
        db.Index("ix_workflow_status_job_order", "job_id", "stage_order"),
        db.Index("ix_workflow_status_tech_status_started", "technician_id", "status", "started_at"),
        date_order_check("workflow_status", "started_at", "completed_at"),
    )

    job_id: Mapped[int] = fk("jobs", ondelete="CASCADE", nullable=False)
    technician_id: Mapped[int | None] = user_fk()
    assigned_by: Mapped[int | None] = user_fk()
    inspected_by: Mapped[int | None] = user_fk()
    original_workflow_id: Mapped[int | None] = fk("workflow_status", ondelete="SET NULL", nullable=True)
    stage: Mapped[str] = enum_column("workflow_status", "stage", WORKFLOW_STAGES, nullable=False, index=True)
    stage_order: Mapped[int] = integer(nullable=False, ge=1, le=999, index=True)
    status: Mapped[str] = enum_column(
        "workflow_status", "status", WORKFLOW_STEP_STATUSES, default="pending", nullable=False, index=True
    )
    started_at: Mapped[datetime | None] = timestamp(index=True)
    completed_at: Mapped[datetime | None] = timestamp(index=True)
    assigned_at: Mapped[datetime | None] = timestamp()
    estimated_duration: Mapped[int | None] = integer(ge=0)
    actual_duration: Mapped[int | None] = integer(ge=0)
    progress_percentage: Mapped[int] = integer(nullable=False, default=0, ge=0, le=100)
    bay_number: Mapped[str | None] = string(10, index=True)
    requires_inspection: Mapped[bool] = boolean(False)
    inspection_completed: Mapped[bool] = boolean(False)
    has_issues: Mapped[bool] = boolean(False)
    issue_resolved: Mapped[bool] = boolean(False)
    requires_rework: Mapped[bool] = boolean(False)
    customer_approval_required: Mapped[bool] = boolean(False)
    customer_approved: Mapped[bool] = boolean(False)
    customer_notified: Mapped[bool] = boolean(False)
    photos_required: Mapped[bool] = boolean(False)
    certification_required: Mapped[bool] = boolean(False)
    certification_completed: Mapped[bool] = boolean(False)
    can_start: Mapped[bool] = boolean(True)
    delay_reason: Mapped[str | None] = enum_column("workflow_status", "delay_reason", WORKFLOW_DELAY_REASONS)
    delay_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)
    rework_reason: Mapped[str | None] = enum_column("workflow_status", "rework_reason", WORKFLOW_REWORK_REASONS)
    rework_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    depends_on: Mapped[list | None] = json_list()
    blocked_by: Mapped[list | None] = json_list()
    labor_cost: Mapped[Decimal | None] = money()
    material_cost: Mapped[Decimal | None] = money()
    sublet_cost: Mapped[Decimal | None] = money()
    total_stage_cost: Mapped[Decimal | None] = money()
    quality_rating: Mapped[int | None] = integer(ge=1, le=5)
    temperature: Mapped[Decimal | None] = decimal(5, 2)
    humidity: Mapped[Decimal | None] = percent()
    booth_conditions: Mapped[dict | None] = json_column()

    job = db.relationship("Job", back_populates="workflow_steps")
    technician = db.relationship("User", foreign_keys=[technician_id])
    original_workflow = db.relationship(
        "WorkflowStatus", foreign_keys=[original_workflow_id], remote_side="WorkflowStatus.id"
    )

    def __str__(self) -> str:
        job = f"{self.job.job_number} · " if self.job is not None else ""
        return f"{job}{self.stage} ({self.status or 'pending'})"


class JobStageHistory(Timestamped, ShopOwned, db.Model):
    """One stage move of a repair order or job: the append-only source of cycle time, touch time and FTR."""

    __tablename__ = "job_stage_history"
    __table_args__ = (
        # §0.1: the log also records production_workflow moves, whose RO may have no job of its own.
        db.CheckConstraint(
            "job_id IS NOT NULL OR repair_order_id IS NOT NULL", name="job_stage_history_job_or_repair_order"
        ),
        db.Index("ix_job_stage_history_job_time", "job_id", "transition_time"),
        db.Index("ix_job_stage_history_ro_time", "repair_order_id", "transition_time"),
        db.Index("ix_job_stage_history_tech_time", "technician_id", "transition_time"),
        db.Index("ix_job_stage_history_stage_time", "to_stage", "transition_time"),
        date_order_check("job_stage_history", "stage_start_time", "stage_end_time"),
    )

    # DOMAIN §C3 says job_id NN CASCADE; nullable SET NULL so that RO-only moves fit and history outlives a job.
    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="CASCADE", nullable=True)
    workflow_status_id: Mapped[int | None] = fk("workflow_status", ondelete="SET NULL", nullable=True)
    # (p) Not in DOMAIN.md: the RO's production row that moved, so a stage's moves can be listed together.
    production_workflow_id: Mapped[int | None] = fk("production_workflow", ondelete="SET NULL", nullable=True)
    production_stage_id: Mapped[int | None] = fk("production_stages", ondelete="SET NULL", nullable=True)
    technician_id: Mapped[int | None] = user_fk()
    supervisor_id: Mapped[int | None] = user_fk()
    authorized_by: Mapped[int | None] = user_fk()
    inspected_by: Mapped[int | None] = user_fk()
    created_by: Mapped[int | None] = user_fk()
    recorded_by: Mapped[int | None] = user_fk()
    from_stage: Mapped[str | None] = string(50, index=True)
    to_stage: Mapped[str] = string(50, nullable=False, index=True)
    movement_type: Mapped[str] = enum_column(
        "job_stage_history", "movement_type", MOVEMENT_TYPES, default="forward", nullable=False, index=True
    )
    movement_reason: Mapped[str] = enum_column(
        "job_stage_history",
        "movement_reason",
        MOVEMENT_REASONS,
        default="normal_progression",
        nullable=False,
        index=True,
    )
    transition_time: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    stage_start_time: Mapped[datetime | None] = timestamp(index=True)
    stage_end_time: Mapped[datetime | None] = timestamp(index=True)
    stage_duration: Mapped[int | None] = integer(ge=0)
    wait_time: Mapped[int] = integer(nullable=False, default=0, ge=0)
    delay_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)
    resolution_time: Mapped[int | None] = integer(ge=0)
    first_time_right: Mapped[bool] = boolean(True)
    rework_required: Mapped[bool] = boolean(False)
    had_issues: Mapped[bool] = boolean(False)
    rework_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    issue_type: Mapped[str | None] = enum_column("job_stage_history", "issue_type", STAGE_ISSUE_TYPES)
    delay_reason: Mapped[str | None] = enum_column("job_stage_history", "delay_reason", STAGE_DELAY_REASONS)
    quality_score: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    efficiency_percentage: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    labor_cost: Mapped[Decimal | None] = money()
    material_cost: Mapped[Decimal | None] = money()
    overhead_cost: Mapped[Decimal | None] = money()
    total_cost: Mapped[Decimal | None] = money()
    budget_variance: Mapped[Decimal | None] = money(nonneg=False)
    customer_notified: Mapped[bool] = boolean(False)
    customer_notification_time: Mapped[datetime | None] = timestamp()
    customer_approval_required: Mapped[bool] = boolean(False)
    customer_approved: Mapped[bool] = boolean(False)
    customer_approval_time: Mapped[datetime | None] = timestamp()
    inspection_required: Mapped[bool] = boolean(False)
    inspection_completed: Mapped[bool] = boolean(False)
    inspection_time: Mapped[datetime | None] = timestamp()
    bay_number: Mapped[str | None] = string(10, index=True)
    bay_type: Mapped[str | None] = string(50)
    work_order_number: Mapped[str | None] = string(50)
    sync_status: Mapped[str | None] = enum_column(
        "job_stage_history", "sync_status", SYNC_STATUSES, default="not_applicable"
    )

    job = db.relationship("Job", foreign_keys=[job_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    workflow_status = db.relationship("WorkflowStatus", foreign_keys=[workflow_status_id])
    production_stage = db.relationship("ProductionStage", foreign_keys=[production_stage_id])
    technician = db.relationship("User", foreign_keys=[technician_id])

    def __str__(self) -> str:
        move = f"{self.from_stage or 'start'} → {self.to_stage}"
        if self.transition_time is None:
            return move
        return f"{move} · {self.transition_time:%Y-%m-%d %H:%M} UTC"


class LaborTimeEntry(Timestamped, ShopOwned, db.Model):
    """A technician's clock-in/clock-out on a job or repair order: the source of clocked hours."""

    __tablename__ = "labor_time_entries"
    __table_args__ = (
        db.CheckConstraint(
            "job_id IS NOT NULL OR repair_order_id IS NOT NULL", name="labor_time_entries_job_or_repair_order"
        ),
        # DOMAIN §C5 (p): a technician has at most one open (active or on-break) entry at a time.
        db.Index(
            "uq_labor_time_entries_open_per_technician",
            "technician_id",
            unique=True,
            sqlite_where=_OPEN_TIME_ENTRY,
            postgresql_where=_OPEN_TIME_ENTRY,
        ),
        db.Index("ix_labor_time_entries_tech_clock_in", "technician_id", "clock_in"),
        db.Index("ix_labor_time_entries_job_type_clock_in", "job_id", "labor_type", "clock_in"),
        date_order_check("labor_time_entries", "clock_in", "clock_out"),
        date_order_check("labor_time_entries", "break_start", "break_end"),
    )

    technician_id: Mapped[int] = fk("users", ondelete=None, nullable=False)
    # §C5 (p): nullable once repair_order_id exists; still RESTRICT so clocked time cannot vanish with a job.
    job_id: Mapped[int | None] = fk("jobs", ondelete=None, nullable=True)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    estimate_line_item_id: Mapped[int | None] = fk("estimate_line_items", ondelete="SET NULL", nullable=True)
    approved_by: Mapped[int | None] = user_fk()
    original_time_entry_id: Mapped[int | None] = fk("labor_time_entries", ondelete="SET NULL", nullable=True)
    clock_in: Mapped[datetime] = timestamp(nullable=False, index=True)
    clock_out: Mapped[datetime | None] = timestamp(index=True)
    break_start: Mapped[datetime | None] = timestamp()
    break_end: Mapped[datetime | None] = timestamp()
    hours_worked: Mapped[Decimal | None] = hours(8)
    break_time: Mapped[Decimal | None] = hours(6, default=0)
    billable_hours: Mapped[Decimal | None] = hours(8)
    non_billable_hours: Mapped[Decimal | None] = hours(8, default=0)
    overtime_hours: Mapped[Decimal | None] = hours(8, default=0)
    estimated_hours: Mapped[Decimal | None] = hours(8)
    variance_hours: Mapped[Decimal | None] = decimal(8, 2)
    labor_type: Mapped[str] = enum_column(
        "labor_time_entries", "labor_type", TIME_ENTRY_LABOR_TYPES, nullable=False, index=True
    )
    operation_code: Mapped[str | None] = string(20)
    status: Mapped[str] = enum_column(
        "labor_time_entries", "status", TIME_ENTRY_STATUSES, default="active", nullable=False, index=True
    )
    work_status: Mapped[str | None] = enum_column(
        "labor_time_entries", "work_status", TIME_ENTRY_WORK_STATUSES, default="in_progress", index=True
    )
    priority: Mapped[str | None] = enum_column("labor_time_entries", "priority", PRIORITIES, default="normal")
    hourly_rate: Mapped[Decimal | None] = money()
    overtime_rate: Mapped[Decimal | None] = money()
    customer_rate: Mapped[Decimal | None] = money()
    labor_cost: Mapped[Decimal | None] = money()
    billable_amount: Mapped[Decimal | None] = money()
    efficiency: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    quality_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    requires_approval: Mapped[bool] = boolean(False)
    approved: Mapped[bool] = boolean(False)
    approval_date: Mapped[datetime | None] = timestamp()
    is_rework: Mapped[bool] = boolean(False)
    rework_reason: Mapped[str | None] = enum_column("labor_time_entries", "rework_reason", TIME_ENTRY_REWORK_REASONS)
    rework_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    delay_reason: Mapped[str | None] = enum_column("labor_time_entries", "delay_reason", TIME_ENTRY_DELAY_REASONS)
    delay_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)
    progress_percentage: Mapped[int] = integer(nullable=False, default=0, ge=0, le=100)
    bay_number: Mapped[str | None] = string(10)
    payroll_processed: Mapped[bool] = boolean(False)
    payroll_date: Mapped[datetime | None] = timestamp()
    payroll_period: Mapped[str | None] = string(20, index=True)

    technician = db.relationship("User", foreign_keys=[technician_id])
    job = db.relationship("Job", foreign_keys=[job_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    estimate_line_item = db.relationship("EstimateLineItem", foreign_keys=[estimate_line_item_id])
    original_time_entry = db.relationship(
        "LaborTimeEntry", foreign_keys=[original_time_entry_id], remote_side="LaborTimeEntry.id"
    )

    def __str__(self) -> str:
        who = self.technician.full_name if self.technician is not None else f"technician #{self.technician_id}"
        when = f"{self.clock_in:%Y-%m-%d %H:%M} UTC" if self.clock_in is not None else "not clocked in"
        return f"{who} · {self.labor_type} · {when}"


class Attachment(Timestamped, ShopOwned, db.Model):
    """A photo or document on a repair order, job, estimate, claim, reservation, PO, customer or vehicle."""

    __tablename__ = "attachments"

    uploaded_by: Mapped[int] = fk("users", ondelete=None, nullable=False)
    parent_attachment_id: Mapped[int | None] = fk("attachments", ondelete="SET NULL", nullable=True)
    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    estimate_id: Mapped[int | None] = fk("estimates", ondelete="SET NULL", nullable=True)
    customer_id: Mapped[int | None] = fk("customers", ondelete="SET NULL", nullable=True)
    vehicle_id: Mapped[int | None] = fk("vehicles", ondelete="SET NULL", nullable=True)
    parts_order_id: Mapped[int | None] = fk("parts_orders", ondelete="SET NULL", nullable=True)
    # §0.1: the Phase-1 owners of photos and documents.
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    claim_management_id: Mapped[int | None] = fk("claim_management", ondelete="SET NULL", nullable=True)
    loaner_reservation_id: Mapped[int | None] = fk("loaner_reservations", ondelete="SET NULL", nullable=True)
    purchase_order_id: Mapped[int | None] = fk("purchase_order_system", ondelete="SET NULL", nullable=True)
    vehicle_profile_id: Mapped[int | None] = fk("vehicle_profiles", ondelete="SET NULL", nullable=True)
    file_name: Mapped[str] = string(255, nullable=False, index=True)
    original_file_name: Mapped[str] = string(255, nullable=False)
    file_path: Mapped[str] = string(500, nullable=False)
    thumbnail_path: Mapped[str | None] = string(500)
    storage_key: Mapped[str | None] = string(500)
    file_type: Mapped[str] = enum_column("attachments", "file_type", ATTACHMENT_FILE_TYPES, nullable=False, index=True)
    mime_type: Mapped[str | None] = string(100)
    file_extension: Mapped[str | None] = string(10)
    file_size: Mapped[int] = integer(nullable=False, ge=0, big=True)
    image_width: Mapped[int | None] = integer(ge=0)
    image_height: Mapped[int | None] = integer(ge=0)
    category: Mapped[str] = enum_column(
        "attachments", "category", ATTACHMENT_CATEGORIES, default="other", nullable=False, index=True
    )
    status: Mapped[str | None] = enum_column(
        "attachments", "status", ATTACHMENT_STATUSES, default="uploaded", index=True
    )
    access_level: Mapped[str | None] = enum_column(
        "attachments", "access_level", ACCESS_LEVELS, default="internal", index=True
    )
    storage_provider: Mapped[str | None] = enum_column(
        "attachments", "storage_provider", STORAGE_PROVIDERS, default="local"
    )
    upload_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    taken_date: Mapped[datetime | None] = timestamp()
    expiration_date: Mapped[datetime | None] = timestamp()
    visible_to_customer: Mapped[bool] = boolean(True)
    visible_to_insurance: Mapped[bool] = boolean(False)
    is_public: Mapped[bool] = boolean(False)
    is_required: Mapped[bool] = boolean(False)
    customer_approved: Mapped[bool] = boolean(False)
    insurance_approved: Mapped[bool] = boolean(False)
    version: Mapped[int] = integer(nullable=False, default=1, ge=1)
    is_latest_version: Mapped[bool] = boolean(True)
    processed: Mapped[bool] = boolean(False)
    backed_up: Mapped[bool] = boolean(False)
    archived: Mapped[bool] = boolean(False)
    backup_date: Mapped[datetime | None] = timestamp()
    archive_date: Mapped[datetime | None] = timestamp()
    title: Mapped[str | None] = string(255)
    vehicle_part: Mapped[str | None] = string(100)
    damage_type: Mapped[str | None] = string(100)
    location: Mapped[str | None] = string(100)
    tags: Mapped[list | None] = json_list()
    exif_data: Mapped[dict | None] = json_column()
    gps_coordinates: Mapped[dict | None] = json_column()

    uploader = db.relationship("User", foreign_keys=[uploaded_by])
    parent_attachment = db.relationship("Attachment", foreign_keys=[parent_attachment_id], remote_side="Attachment.id")
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    job = db.relationship("Job", foreign_keys=[job_id])
    estimate = db.relationship("Estimate", foreign_keys=[estimate_id])
    claim = db.relationship("ClaimManagement", foreign_keys=[claim_management_id])
    loaner_reservation = db.relationship("LoanerReservation", foreign_keys=[loaner_reservation_id])
    purchase_order = db.relationship("PurchaseOrder", foreign_keys=[purchase_order_id])
    parts_order = db.relationship("PartsOrder", foreign_keys=[parts_order_id])
    customer = db.relationship("Customer", foreign_keys=[customer_id])
    vehicle = db.relationship("Vehicle", foreign_keys=[vehicle_id])
    vehicle_profile = db.relationship("VehicleProfile", foreign_keys=[vehicle_profile_id])

    def __str__(self) -> str:
        return f"{self.title or self.original_file_name or self.file_name} ({self.category or 'other'})"
