"""The repair order: the shop's work order for one vehicle, and the hub everything else hangs off."""

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
    money,
    search_key_index,
    string,
    timestamp,
    user_fk,
)
from collisionos.models.enums import RepairOrderHoldReason, RepairOrderStatus
from collisionos.models.estimates import customer_label, vehicle_label

SLA_TYPES = ("standard", "priority", "express", "fleet", "insurance_sla")
SLA_RISK_LEVELS = ("green", "yellow", "red", "critical")


class RepairOrder(Timestamped, ShopOwned, UserStamped, db.Model):
    """A repair order (RO): status, holds, SLA, assignments, money and parts/production/QC roll-ups."""

    __tablename__ = "repair_order_management"
    __table_args__ = (
        # Prefix search on RO numbers (the unique index cannot serve LIKE on PostgreSQL outside the C collation).
        search_key_index("ix_repair_order_management_shop_number_prefix", "repair_order_number"),
        # Newest-first lists page through (shop_id, id) without touching the table, at any depth.
        db.Index("ix_repair_order_management_shop_id_id", "shop_id", "id"),
        db.UniqueConstraint(
            "shop_id", "repair_order_number", name="uq_repair_order_management_shop_id_repair_order_number"
        ),
        date_order_check("repair_order_management", "hold_start_date", "hold_end_date"),
        # date_order_check's name would be 70 characters here, over PostgreSQL's 63.
        db.CheckConstraint(
            "warranty_end_date IS NULL OR warranty_start_date IS NULL OR warranty_end_date >= warranty_start_date",
            name="repair_order_management_warranty_end_after_start",
        ),
        db.Index("ix_repair_order_management_shop_status_created", "shop_id", "ro_status", "created_at"),
        db.Index("ix_repair_order_management_customer_created", "customer_id", "created_at"),
        db.Index("ix_repair_order_management_shop_created", "shop_id", "created_at"),
    )

    # A customer or vehicle with ROs must not be deletable (lead's decision; DOMAIN.md says CASCADE);
    # the claim is optional because customer-pay ROs have none.
    customer_id: Mapped[int] = fk("customers", ondelete=None, nullable=False)
    vehicle_profile_id: Mapped[int] = fk("vehicle_profiles", ondelete=None, nullable=False)
    claim_management_id: Mapped[int | None] = fk("claim_management", ondelete=None, nullable=True)
    estimate_id: Mapped[int | None] = fk("estimates", ondelete="SET NULL", nullable=True)
    primary_technician: Mapped[int | None] = user_fk()
    assigned_estimator: Mapped[int | None] = user_fk()
    assigned_sales_rep: Mapped[int | None] = user_fk()
    qc_inspector: Mapped[int | None] = user_fk()
    status_changed_by: Mapped[int | None] = user_fk()

    repair_order_number: Mapped[str] = string(50, nullable=False, index=True)
    internal_reference_number: Mapped[str | None] = string(50)

    ro_status: Mapped[str] = enum_column(
        "repair_order_management",
        "ro_status",
        RepairOrderStatus,
        default=RepairOrderStatus.DRAFT,
        nullable=False,
        index=True,
    )
    previous_status: Mapped[str | None] = string(50)
    status_change_date: Mapped[datetime | None] = timestamp()
    status_change_reason: Mapped[str | None] = string()

    date_created: Mapped[datetime] = timestamp(nullable=False, default_now=True)
    date_estimate_approved: Mapped[datetime | None] = timestamp()
    date_parts_ordered: Mapped[datetime | None] = timestamp()
    date_production_started: Mapped[datetime | None] = timestamp()
    date_qc_completed: Mapped[datetime | None] = timestamp()
    promised_delivery_date: Mapped[datetime | None] = timestamp(index=True)
    actual_delivery_date: Mapped[datetime | None] = timestamp(index=True)

    is_on_hold: Mapped[bool] = boolean(False, index=True)
    hold_start_date: Mapped[datetime | None] = timestamp()
    hold_end_date: Mapped[datetime | None] = timestamp()
    hold_days: Mapped[int] = integer(nullable=False, default=0, ge=0)
    # (p) Not in DOMAIN.md: the whole days of finished holds whose reason pauses the SLA clock (§5.7).
    sla_paused_days: Mapped[int] = integer(nullable=False, default=0, ge=0)
    hold_reason: Mapped[str | None] = enum_column("repair_order_management", "hold_reason", RepairOrderHoldReason)
    hold_description: Mapped[str | None] = string()

    sla_type: Mapped[str | None] = enum_column("repair_order_management", "sla_type", SLA_TYPES, default="standard")
    target_completion_days: Mapped[int | None] = integer(ge=0)
    is_overdue: Mapped[bool] = boolean(False, index=True)
    overdue_by: Mapped[int] = integer(nullable=False, default=0, ge=0)
    sla_risk_level: Mapped[str | None] = enum_column(
        "repair_order_management", "sla_risk_level", SLA_RISK_LEVELS, default="green", index=True
    )
    is_rush: Mapped[bool] = boolean(False)
    is_priority: Mapped[bool] = boolean(False)
    requires_special_handling: Mapped[bool] = boolean(False)
    has_complications: Mapped[bool] = boolean(False)

    estimated_total: Mapped[Decimal | None] = money(default=0)
    approved_total: Mapped[Decimal | None] = money(default=0)
    invoiced_total: Mapped[Decimal | None] = money(default=0)
    paid_amount: Mapped[Decimal | None] = money(default=0)
    # Negative when the customer or insurer has overpaid.
    balance_due: Mapped[Decimal | None] = money(default=0, nonneg=False)
    parts_cost: Mapped[Decimal | None] = money(default=0)
    labor_cost: Mapped[Decimal | None] = money(default=0)
    materials_cost: Mapped[Decimal | None] = money(default=0)
    sublet_cost: Mapped[Decimal | None] = money(default=0)
    taxable_amount: Mapped[Decimal | None] = money(default=0)
    pst_amount: Mapped[Decimal | None] = money(default=0)
    gst_amount: Mapped[Decimal | None] = money(default=0)
    hst_amount: Mapped[Decimal | None] = money(default=0)
    total_taxes: Mapped[Decimal | None] = money(default=0)
    customer_portion_due: Mapped[Decimal | None] = money(default=0)
    insurance_portion_due: Mapped[Decimal | None] = money(default=0)
    deductible_amount: Mapped[Decimal | None] = money(default=0)
    deductible_collected: Mapped[bool] = boolean(False)

    supplement_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    total_supplement_amount: Mapped[Decimal | None] = money(default=0)
    last_supplement_date: Mapped[datetime | None] = timestamp()
    supplements_pending: Mapped[bool] = boolean(False)

    parts_ordered_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    parts_received_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    parts_pending_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    parts_backordered_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    all_parts_received: Mapped[bool] = boolean(False, index=True)
    next_part_expected_date: Mapped[datetime | None] = timestamp()

    production_stage: Mapped[str | None] = string(100)
    production_percent_complete: Mapped[int] = integer(nullable=False, default=0, ge=0, le=100)
    hours_estimated: Mapped[Decimal | None] = hours(8, default=0)
    hours_actual: Mapped[Decimal | None] = hours(8, default=0)
    efficiency_ratio: Mapped[Decimal | None] = decimal(5, 2, ge=0)

    qc_required: Mapped[bool] = boolean(True)
    qc_completed: Mapped[bool] = boolean(False)
    qc_passed: Mapped[bool] = boolean(False)
    requires_rework: Mapped[bool] = boolean(False)
    qc_date: Mapped[datetime | None] = timestamp()
    requires_adas_calibration: Mapped[bool] = boolean(False)
    # Whether the car can be driven, from the imported estimate (None: not known).
    vehicle_drivable: Mapped[bool | None] = boolean(None)
    adas_calibration_completed: Mapped[bool] = boolean(False)
    adas_calibration_date: Mapped[datetime | None] = timestamp()

    last_customer_contact: Mapped[datetime | None] = timestamp()
    next_scheduled_contact: Mapped[datetime | None] = timestamp()
    customer_satisfaction_score: Mapped[int | None] = integer(ge=1, le=5)

    storage_location: Mapped[str | None] = string(100)
    internal_storage_charges: Mapped[Decimal | None] = money(default=0)
    requires_sublets: Mapped[bool] = boolean(False)
    sublet_costs_approved: Mapped[bool] = boolean(False)
    hazardous_materials_present: Mapped[bool] = boolean(False)

    warranty_provided: Mapped[bool] = boolean(True)
    warranty_period: Mapped[int | None] = integer(ge=0)
    warranty_start_date: Mapped[datetime | None] = timestamp()
    warranty_end_date: Mapped[datetime | None] = timestamp()

    photo_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    has_before_photos: Mapped[bool] = boolean(False)
    has_after_photos: Mapped[bool] = boolean(False)
    has_progress_photos: Mapped[bool] = boolean(False)
    compliance_complete: Mapped[bool] = boolean(False)
    compliance_checklist: Mapped[dict | None] = json_column()

    customer = db.relationship("Customer", foreign_keys=[customer_id])
    vehicle_profile = db.relationship("VehicleProfile", foreign_keys=[vehicle_profile_id])
    claim = db.relationship("ClaimManagement", foreign_keys=[claim_management_id])
    estimate = db.relationship("Estimate", foreign_keys=[estimate_id])
    primary_technician_user = db.relationship("User", foreign_keys=[primary_technician])
    part_lines = db.relationship(
        "PartLine",
        foreign_keys="PartLine.repair_order_id",
        back_populates="repair_order",
        order_by="PartLine.line_number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    production_rows = db.relationship(
        "ProductionWorkflow",
        back_populates="repair_order",
        order_by="ProductionWorkflow.stage_order",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        parts = (
            self.repair_order_number or "RO (unsaved)",
            vehicle_label(self.vehicle_profile),
            customer_label(self.customer),
        )
        return " · ".join(part for part in parts if part)
