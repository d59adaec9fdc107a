"""Production: the shop's stage configuration, each RO's stage rows, and daily department capacity."""

from __future__ import annotations

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    date,
    date_column,
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
    time,
    time_column,
    timestamp,
    user_fk,
)
from collisionos.models.enums import ProductionStageType, StageStatus

STAGE_TYPES = ("production", "quality", "administrative", "customer_interaction", "external")
STAGE_CATEGORIES = ("intake", "disassembly", "repair", "paint", "reassembly", "quality", "delivery")
WORKFLOW_STAGE_CATEGORIES = ("structural", "body", "paint", "mechanical", "assembly", "quality", "delivery")
BAY_TYPES = ("general", "frame", "paint_booth", "prep_station", "assembly", "alignment")
WORKFLOW_HOLD_REASONS = (
    "parts_delay",
    "technician_unavailable",
    "equipment_down",
    "customer_approval",
    "insurance_approval",
    "material_shortage",
    "quality_issue",
    "rework_required",
    "sublet_delay",
    "environmental",
    "safety_concern",
    "other",
)
WORKFLOW_PRIORITIES = ("low", "normal", "high", "urgent", "critical")
DEPARTMENTS = (
    "intake",
    "estimating",
    "body",
    "frame",
    "paint",
    "prep",
    "assembly",
    "mechanical",
    "detailing",
    "quality_control",
    "glass",
    "parts",
    "sublet",
)
FLEXIBILITY_RATINGS = ("low", "medium", "high")
SCHEDULE_STATUSES = ("draft", "active", "locked", "historical", "archived")


class ProductionStage(Timestamped, ShopOwned, UserStamped, db.Model):
    """A shop's configuration of one production stage: order, prerequisites, capacity, QC and rework rules."""

    __tablename__ = "production_stages"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "stage_code", name="uq_production_stages_shop_id_stage_code"),
        db.UniqueConstraint("shop_id", "stage_order", name="uq_production_stages_shop_id_stage_order"),
    )

    stage_name: Mapped[str] = string(100, nullable=False)
    customer_visible_name: Mapped[str | None] = string(100)
    # Str(30), not DOMAIN's Str(20): §4 codes are the stage types upper-cased, e.g. PRE_DELIVERY_INSPECTION (23).
    stage_code: Mapped[str] = string(30, nullable=False)
    stage_type: Mapped[str] = enum_column(
        "production_stages", "stage_type", STAGE_TYPES, default="production", nullable=False
    )
    # (p) Not in DOMAIN.md: links the configured stage to the §4 list; the seeder sets it.
    workflow_stage_type: Mapped[str | None] = enum_column(
        "production_stages", "workflow_stage_type", ProductionStageType, nullable=True, index=True
    )
    category: Mapped[str] = enum_column("production_stages", "category", STAGE_CATEGORIES, nullable=False)
    stage_order: Mapped[int] = integer(nullable=False, ge=0)
    is_required: Mapped[bool] = boolean(True)
    is_active: Mapped[bool] = boolean(True)
    prerequisites: Mapped[list | None] = json_list()
    dependent_stages: Mapped[list | None] = json_list()

    estimated_duration: Mapped[int | None] = integer(ge=0)
    buffer_time: Mapped[int] = integer(nullable=False, default=0, ge=0)
    max_concurrent_jobs: Mapped[int | None] = integer(ge=0)

    required_skills: Mapped[list | None] = json_list()
    required_certifications: Mapped[list | None] = json_list()
    equipment_required: Mapped[list | None] = json_list()
    tools_required: Mapped[list | None] = json_list()
    bay_types: Mapped[list | None] = json_list()
    inspection_criteria: Mapped[list | None] = json_list()
    quality_checkpoints: Mapped[list | None] = json_list()
    photo_types: Mapped[list | None] = json_list()
    documents_required: Mapped[list | None] = json_list()
    safety_requirements: Mapped[list | None] = json_list()
    checklist_template: Mapped[list | None] = json_list()

    requires_inspection: Mapped[bool] = boolean(False)
    customer_notification_required: Mapped[bool] = boolean(False)
    customer_approval_required: Mapped[bool] = boolean(False)
    photos_required: Mapped[bool] = boolean(False)
    can_skip: Mapped[bool] = boolean(False)
    can_parallelize: Mapped[bool] = boolean(False)
    allow_rework: Mapped[bool] = boolean(True)
    max_rework_attempts: Mapped[int] = integer(nullable=False, default=3, ge=0)

    labor_rate: Mapped[Decimal | None] = money()
    material_cost_multiplier: Mapped[Decimal | None] = decimal(5, 2, default="1.00", ge=0)
    is_profit_center: Mapped[bool] = boolean(True)
    target_efficiency: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    max_delay_minutes: Mapped[int | None] = integer(ge=0)
    escalation_threshold: Mapped[int | None] = integer(ge=0)
    environmental_requirements: Mapped[dict | None] = json_column()
    kpi_targets: Mapped[dict | None] = json_column()

    def __str__(self) -> str:
        return f"{self.stage_name} ({self.stage_code})"


class ProductionWorkflow(Timestamped, ShopOwned, UserStamped, db.Model):
    """One production stage of one RO: assignment, bay, schedule, QC gate, hold, rework and hours."""

    __tablename__ = "production_workflow"
    __table_args__ = (
        db.UniqueConstraint(
            "repair_order_id", "stage_order", name="uq_production_workflow_repair_order_id_stage_order"
        ),
        # date_order_check's name would be 64 characters here, over PostgreSQL's 63.
        db.CheckConstraint(
            "planned_end_date IS NULL OR planned_start_date IS NULL OR planned_end_date >= planned_start_date",
            name="production_workflow_planned_end_after_start",
        ),
        date_order_check("production_workflow", "actual_start_date", "actual_end_date"),
        date_order_check("production_workflow", "hold_start_date", "hold_end_date"),
        db.Index("ix_production_workflow_shop_type_status", "shop_id", "stage_type", "stage_status"),
        db.Index("ix_production_workflow_technician_status", "assigned_technician", "stage_status"),
    )

    repair_order_id: Mapped[int] = fk("repair_order_management", ondelete="CASCADE", nullable=False)
    production_stage_id: Mapped[int | None] = fk("production_stages", ondelete="SET NULL", nullable=True)
    assigned_technician: Mapped[int | None] = user_fk()
    backup_technician: Mapped[int | None] = user_fk()
    qc_inspector: Mapped[int | None] = user_fk()
    completed_by: Mapped[int | None] = user_fk()
    original_work_order_id: Mapped[int | None] = fk("production_workflow", ondelete="SET NULL", nullable=True)

    stage_name: Mapped[str] = string(100, nullable=False)
    stage_order: Mapped[int] = integer(nullable=False, ge=0)
    stage_type: Mapped[str] = enum_column("production_workflow", "stage_type", ProductionStageType, nullable=False)
    stage_category: Mapped[str] = enum_column(
        "production_workflow", "stage_category", WORKFLOW_STAGE_CATEGORIES, nullable=False
    )
    stage_status: Mapped[str | None] = enum_column(
        "production_workflow", "stage_status", StageStatus, default=StageStatus.PENDING, index=True
    )
    previous_status: Mapped[str | None] = string(50)
    status_change_date: Mapped[datetime | None] = timestamp()

    planned_start_date: Mapped[datetime | None] = timestamp(index=True)
    planned_end_date: Mapped[datetime | None] = timestamp()
    actual_start_date: Mapped[datetime | None] = timestamp()
    actual_end_date: Mapped[datetime | None] = timestamp()
    planned_duration: Mapped[int | None] = integer(ge=0)
    actual_duration: Mapped[int | None] = integer(ge=0)
    elapsed_time_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)

    assigned_bay: Mapped[str | None] = string(50)
    bay_type: Mapped[str | None] = enum_column("production_workflow", "bay_type", BAY_TYPES)
    required_skills: Mapped[list | None] = json_list()
    certification_required: Mapped[list | None] = json_list()
    required_equipment: Mapped[list | None] = json_list()
    equipment_assigned: Mapped[list | None] = json_list()
    depends_on_stages: Mapped[list | None] = json_list()
    blocked_by_stages: Mapped[list | None] = json_list()
    blocking_stages: Mapped[list | None] = json_list()

    qc_required: Mapped[bool] = boolean(False)
    qc_completed: Mapped[bool] = boolean(False)
    qc_passed: Mapped[bool] = boolean(False)
    qc_date: Mapped[datetime | None] = timestamp()
    qc_notes: Mapped[str | None] = string()
    qc_photos: Mapped[list | None] = json_column()

    has_checklist: Mapped[bool] = boolean(False)
    checklist_completed: Mapped[bool] = boolean(False)
    checklist_items: Mapped[list | None] = json_column()
    checklist_progress: Mapped[int] = integer(nullable=False, default=0, ge=0, le=100)
    progress_percentage: Mapped[int] = integer(nullable=False, default=0, ge=0, le=100)
    is_completed: Mapped[bool] = boolean(False)
    completion_date: Mapped[datetime | None] = timestamp()

    on_hold: Mapped[bool] = boolean(False)
    hold_start_date: Mapped[datetime | None] = timestamp()
    hold_end_date: Mapped[datetime | None] = timestamp()
    hold_duration_minutes: Mapped[int] = integer(nullable=False, default=0, ge=0)
    hold_reason: Mapped[str | None] = enum_column("production_workflow", "hold_reason", WORKFLOW_HOLD_REASONS)

    requires_rework: Mapped[bool] = boolean(False)
    rework_reason: Mapped[str | None] = string()
    rework_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    rework_date: Mapped[datetime | None] = timestamp()

    estimated_hours: Mapped[Decimal | None] = hours(8, default=0)
    actual_hours: Mapped[Decimal | None] = hours(8, default=0)
    labor_rate: Mapped[Decimal | None] = money()
    labor_cost: Mapped[Decimal | None] = money(default=0)
    materials_cost: Mapped[Decimal | None] = money(default=0)
    efficiency_ratio: Mapped[Decimal | None] = decimal(5, 2, ge=0)

    temperature_required: Mapped[int | None] = integer()
    humidity_required: Mapped[int | None] = integer(ge=0, le=100)

    requires_customer_approval: Mapped[bool] = boolean(False)
    customer_approval_received: Mapped[bool] = boolean(False)
    customer_approval_date: Mapped[datetime | None] = timestamp()
    customer_notification_sent: Mapped[bool] = boolean(False)
    customer_notification_date: Mapped[datetime | None] = timestamp()

    priority: Mapped[str | None] = enum_column("production_workflow", "priority", WORKFLOW_PRIORITIES, default="normal")
    is_rush: Mapped[bool] = boolean(False)
    first_time_right: Mapped[bool] = boolean(True)
    quality_score: Mapped[int | None] = integer(ge=1, le=5)
    customer_satisfaction_score: Mapped[int | None] = integer(ge=1, le=5)

    requires_photos: Mapped[bool] = boolean(False)
    photo_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    before_photos: Mapped[list | None] = json_column()
    progress_photos: Mapped[list | None] = json_column()
    after_photos: Mapped[list | None] = json_column()
    triggered_by: Mapped[str | None] = string(100)

    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id], back_populates="production_rows")
    production_stage = db.relationship("ProductionStage", foreign_keys=[production_stage_id])
    technician = db.relationship("User", foreign_keys=[assigned_technician])
    original_work_order = db.relationship(
        "ProductionWorkflow", foreign_keys=[original_work_order_id], remote_side="ProductionWorkflow.id"
    )

    def __str__(self) -> str:
        ro = self.repair_order
        label = f"{self.stage_name} ({self.stage_status or StageStatus.PENDING})"
        return f"{ro.repair_order_number} · {label}" if ro is not None and ro.repair_order_number else label


class SchedulingCapacity(Timestamped, ShopOwned, UserStamped, db.Model):
    """Capacity of one department on one day and shift: technician hours, bays, utilization, constraints."""

    __tablename__ = "scheduling_capacity"
    __table_args__ = (
        db.UniqueConstraint(
            "shop_id", "schedule_date", "department", "shift_name", name="uq_scheduling_capacity_shop_date_dept_shift"
        ),
    )

    schedule_date: Mapped[date] = date_column(nullable=False, index=True)
    schedule_week: Mapped[int | None] = integer(ge=1, le=53)
    schedule_month: Mapped[int | None] = integer(ge=1, le=12)
    schedule_year: Mapped[int] = integer(nullable=False)
    day_of_week: Mapped[int] = integer(nullable=False, ge=1, le=7)

    # NOT NULL although DOMAIN.md only gives a default: a NULL shift would slip past the unique constraint.
    shift_name: Mapped[str] = string(50, nullable=False, default="day_shift")
    shift_start_time: Mapped[time | None] = time_column()
    shift_end_time: Mapped[time | None] = time_column()
    shift_hours: Mapped[Decimal | None] = hours(4, default=Decimal("8.00"))
    department: Mapped[str] = enum_column("scheduling_capacity", "department", DEPARTMENTS, nullable=False)

    available_technicians: Mapped[int] = integer(nullable=False, default=0, ge=0)
    total_capacity_hours: Mapped[Decimal | None] = hours(8, default=0)
    scheduled_hours: Mapped[Decimal | None] = hours(8, default=0)
    remaining_capacity_hours: Mapped[Decimal | None] = hours(8, default=0)
    utilization_percentage: Mapped[Decimal | None] = percent(default=0)

    total_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)
    available_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)
    occupied_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)
    bay_utilization: Mapped[Decimal | None] = percent(default=0)
    frame_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)
    body_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)
    paint_booths: Mapped[int] = integer(nullable=False, default=0, ge=0)
    prep_stations: Mapped[int] = integer(nullable=False, default=0, ge=0)
    assembly_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)
    detail_bays: Mapped[int] = integer(nullable=False, default=0, ge=0)

    jobs_scheduled: Mapped[int] = integer(nullable=False, default=0, ge=0)
    rush_jobs_scheduled: Mapped[int] = integer(nullable=False, default=0, ge=0)
    priority_jobs_scheduled: Mapped[int] = integer(nullable=False, default=0, ge=0)
    average_job_duration: Mapped[Decimal | None] = hours(6)
    complexity_weighted_hours: Mapped[Decimal | None] = hours(8, default=0)
    rush_hours_allocated: Mapped[Decimal | None] = hours(8, default=0)
    priority_hours_allocated: Mapped[Decimal | None] = hours(8, default=0)

    buffer_hours: Mapped[Decimal | None] = hours(6, default=0)
    overtime_capacity: Mapped[Decimal | None] = hours(6, default=0)
    blocked_hours: Mapped[Decimal | None] = hours(6, default=0)
    quality_control_hours: Mapped[Decimal | None] = hours(6, default=0)
    rework_hours_reserved: Mapped[Decimal | None] = hours(6, default=0)
    inspection_hours: Mapped[Decimal | None] = hours(6, default=0)
    parts_constrained_hours: Mapped[Decimal | None] = hours(6, default=0)
    material_constrained_hours: Mapped[Decimal | None] = hours(6, default=0)
    sublet_constrained_hours: Mapped[Decimal | None] = hours(6, default=0)
    customer_approval_hours: Mapped[Decimal | None] = hours(6, default=0)
    insurance_approval_hours: Mapped[Decimal | None] = hours(6, default=0)

    flexibility_rating: Mapped[str | None] = enum_column(
        "scheduling_capacity", "flexibility_rating", FLEXIBILITY_RATINGS, default="medium"
    )
    has_constraints: Mapped[bool] = boolean(False)
    constraints: Mapped[list | None] = json_column()
    available_skills: Mapped[list | None] = json_column()
    certified_technicians: Mapped[dict | None] = json_column()
    equipment_available: Mapped[list | None] = json_column()
    equipment_in_use: Mapped[list | None] = json_column()
    equipment_downtime: Mapped[list | None] = json_column()

    planned_efficiency: Mapped[Decimal | None] = decimal(5, 2, default=100, ge=0)
    actual_efficiency: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    historical_utilization: Mapped[Decimal | None] = percent()
    productivity_target: Mapped[Decimal | None] = decimal(8, 2, ge=0)
    actual_productivity: Mapped[Decimal | None] = decimal(8, 2, ge=0)
    seasonal_adjustment: Mapped[Decimal | None] = decimal(5, 2, default=0)
    trend_adjustment: Mapped[Decimal | None] = decimal(5, 2, default=0)

    schedule_status: Mapped[str | None] = enum_column(
        "scheduling_capacity", "schedule_status", SCHEDULE_STATUSES, default="active", index=True
    )
    is_valid: Mapped[bool] = boolean(True)
    validation_errors: Mapped[list | None] = json_column()
    auto_update_enabled: Mapped[bool] = boolean(True)
    last_recalculated: Mapped[datetime | None] = timestamp()
    recalculation_trigger: Mapped[str | None] = string(100)

    def __str__(self) -> str:
        return f"{self.schedule_date} · {self.department} · {self.shift_name or 'day_shift'}"
