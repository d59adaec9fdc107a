"""Estimates, their priced lines, and the BMS/EMS files they were imported from."""

from __future__ import annotations

from typing import Any

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
    json_dict,
    json_list,
    mapped_column,
    money,
    percent,
    string,
    timestamp,
    user_fk,
)

BMS_FILE_TYPES = ("EMS", "BMS", "CSV", "XML", "JSON")
BMS_IMPORT_STATUSES = ("pending", "processing", "success", "failed", "partial", "cancelled")

ESTIMATE_STATUSES = (
    "draft",
    "pending_review",
    "under_review",
    "approved",
    "rejected",
    "revised",
    "supplements_required",
    "converted_to_job",
)
ESTIMATE_TYPES = ("collision", "hail", "vandalism", "theft", "flood", "mechanical", "glass", "paint", "other")
DAMAGE_TYPES = ("minor", "moderate", "major", "severe", "total_loss")

LINE_TYPES = ("part", "labor", "paint", "material", "sublet", "other", "tax", "discount")
LINE_CATEGORIES = (
    "body",
    "frame",
    "mechanical",
    "electrical",
    "glass",
    "interior",
    "exterior",
    "paint",
    "refinish",
    "other",
)
PART_TYPES = ("OEM", "Aftermarket", "Used", "Reconditioned", "Generic")
LINE_LABOR_TYPES = ("body", "paint", "frame", "mechanical", "electrical", "glass", "detail", "other")
SKILL_LEVELS = ("apprentice", "journeyman", "expert", "master")
PAINT_TYPES = ("basecoat", "clearcoat", "primer", "sealer", "adhesion_promoter", "other")
LINE_STATUSES = ("pending", "approved", "rejected", "on_hold", "supplement")


def vehicle_label(vehicle: Any) -> str | None:
    """Return "2021 Honda Civic" for a vehicle, or None when there is none."""
    if vehicle is None:
        return None
    return " ".join(str(part) for part in (vehicle.year, vehicle.make, vehicle.model) if part) or None


def customer_label(customer: Any) -> str | None:
    """Return "J. Smith" (or the company name) for a customer, or None when there is none."""
    if customer is None:
        return None
    if customer.first_name and customer.last_name:
        return f"{customer.first_name[0]}. {customer.last_name}"
    return customer.last_name or customer.company_name or customer.first_name or None


class BmsImport(Timestamped, ShopOwned, db.Model):
    """One uploaded estimate file (CIECA BMS, EMS, CSV...) with its parse outcome and rollback data."""

    __tablename__ = "bms_imports"
    __table_args__ = (
        db.Index("ix_bms_imports_shop_document", "shop_id", "document_id"),
        date_order_check("bms_imports", "processing_started", "processing_completed"),
    )

    created_by: Mapped[int] = fk("users", ondelete=None, nullable=False)
    updated_by: Mapped[int | None] = user_fk()
    estimate_id: Mapped[int | None] = fk("estimates", ondelete="SET NULL", nullable=True)
    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    file_name: Mapped[str] = string(255, nullable=False, index=True)
    original_file_name: Mapped[str | None] = string(255)
    file_path: Mapped[str | None] = string(500)
    file_size: Mapped[int | None] = integer(big=True, ge=0)
    file_type: Mapped[str] = enum_column(
        "bms_imports", "file_type", BMS_FILE_TYPES, default="BMS", nullable=False, index=True
    )
    status: Mapped[str] = enum_column(
        "bms_imports", "status", BMS_IMPORT_STATUSES, default="pending", nullable=False, index=True
    )
    import_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    total_records: Mapped[int] = integer(nullable=False, default=0, ge=0)
    processed_records: Mapped[int] = integer(nullable=False, default=0, ge=0)
    error_records: Mapped[int] = integer(nullable=False, default=0, ge=0)
    skipped_records: Mapped[int] = integer(nullable=False, default=0, ge=0)
    processing_started: Mapped[datetime | None] = timestamp()
    processing_completed: Mapped[datetime | None] = timestamp()
    processing_duration: Mapped[int | None] = integer(ge=0)
    parsed_data: Mapped[dict | None] = json_dict()
    error_log: Mapped[dict | None] = json_dict()
    data_mapping: Mapped[dict | None] = json_dict()
    # "metadata" is reserved on declarative classes: the column keeps DOMAIN's name, the attribute cannot.
    metadata_: Mapped[dict | None] = mapped_column("metadata", db.JSON, nullable=True, default=dict)
    validation_errors: Mapped[list | None] = json_list()
    backup_data: Mapped[dict | None] = json_column()
    bms_version: Mapped[str | None] = string(50)
    bms_provider: Mapped[str | None] = string(100, index=True)
    can_rollback: Mapped[bool] = boolean(False)
    rolled_back: Mapped[bool] = boolean(False)
    rollback_date: Mapped[datetime | None] = timestamp()
    # CIECA DocumentID / DocumentVerNum: a re-import or supplement of the same estimate shares the document id.
    document_id: Mapped[str | None] = string(100)
    document_version: Mapped[int | None] = integer(ge=0)
    # The file imported but its own totals disagree with the computed ones by more than a cent (issue 6).
    needs_review: Mapped[bool] = boolean(False, index=True)

    estimate = db.relationship("Estimate", foreign_keys=[estimate_id])
    job = db.relationship("Job", foreign_keys=[job_id])
    creator = db.relationship("User", foreign_keys=[created_by])

    def __str__(self) -> str:
        return f"{self.original_file_name or self.file_name} · {self.status or 'pending'}"


class Estimate(Timestamped, ShopOwned, db.Model):
    """A priced repair estimate (original plus supplements) for a customer's vehicle."""

    __tablename__ = "estimates"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "estimate_number", name="uq_estimates_shop_id_estimate_number"),
        db.Index("ix_estimates_shop_status_date", "shop_id", "status", "estimate_date"),
        date_order_check("estimates", "estimate_date", "expiration_date"),
    )

    customer_id: Mapped[int] = fk("customers", ondelete=None, nullable=False)
    vehicle_id: Mapped[int] = fk("vehicles", ondelete=None, nullable=False)
    insurance_company_id: Mapped[int | None] = fk("insurance_companies", ondelete="SET NULL", nullable=True)
    # estimates -> jobs -> repair_order_management -> estimates is a cycle: this legacy link is created
    # after the tables (use_alter) so create_all, drop_all and Alembic can order them.
    job_id: Mapped[int | None] = mapped_column(
        db.Integer, db.ForeignKey("jobs.id", ondelete="SET NULL", use_alter=True), nullable=True, index=True
    )
    created_by: Mapped[int] = fk("users", ondelete=None, nullable=False)
    updated_by: Mapped[int | None] = user_fk()
    approved_by: Mapped[int | None] = user_fk()
    estimate_number: Mapped[str] = string(20, nullable=False, index=True)
    claim_number: Mapped[str | None] = string(50, index=True)
    date_of_loss: Mapped[datetime | None] = timestamp(index=True)
    parts_total: Mapped[Decimal] = money(nullable=False, default=0)
    labor_total: Mapped[Decimal] = money(nullable=False, default=0)
    paint_total: Mapped[Decimal] = money(nullable=False, default=0)
    sublet_total: Mapped[Decimal] = money(nullable=False, default=0)
    material_total: Mapped[Decimal] = money(nullable=False, default=0)
    other_total: Mapped[Decimal] = money(nullable=False, default=0)
    tax_total: Mapped[Decimal] = money(nullable=False, default=0)
    estimate_total: Mapped[Decimal] = money(nullable=False, default=0)
    deductible: Mapped[Decimal | None] = money(default=0)
    status: Mapped[str] = enum_column(
        "estimates", "status", ESTIMATE_STATUSES, default="draft", nullable=False, index=True
    )
    estimate_type: Mapped[str] = enum_column(
        "estimates", "estimate_type", ESTIMATE_TYPES, default="collision", nullable=False, index=True
    )
    damage_type: Mapped[str | None] = enum_column("estimates", "damage_type", DAMAGE_TYPES)
    is_drp: Mapped[bool] = boolean(False)
    drp_program: Mapped[str | None] = string(100)
    adjuster_id: Mapped[str | None] = string(50)
    adjuster_name: Mapped[str | None] = string(100)
    adjuster_phone: Mapped[str | None] = string(20)
    adjuster_email: Mapped[str | None] = string(255)
    estimate_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    expiration_date: Mapped[datetime | None] = timestamp(index=True)
    approval_date: Mapped[datetime | None] = timestamp()
    rejection_date: Mapped[datetime | None] = timestamp()
    conversion_date: Mapped[datetime | None] = timestamp()
    supplement_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    supplement_total: Mapped[Decimal | None] = money(default=0)
    last_supplement_date: Mapped[datetime | None] = timestamp()
    customer_approval: Mapped[bool] = boolean(False)
    insurance_approval: Mapped[bool] = boolean(False)
    customer_approval_date: Mapped[datetime | None] = timestamp()
    insurance_approval_date: Mapped[datetime | None] = timestamp()
    revision_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    photos_required: Mapped[bool] = boolean(True)
    photos_taken: Mapped[bool] = boolean(False)
    photos_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    converted_to_job: Mapped[bool] = boolean(False)
    version_history: Mapped[list | None] = json_list()
    # Taxes of an imported estimate, as its file states them: {"rates": {"pst": "8.25"}, "amounts": {"gst": "32.32"}}
    # (a rate the file does not declare is charged at the file's amount). None: the shop's own tax setup applies.
    tax_setup: Mapped[dict | None] = json_column()

    customer = db.relationship("Customer", foreign_keys=[customer_id])
    vehicle = db.relationship("Vehicle", foreign_keys=[vehicle_id])
    insurance_company = db.relationship("InsuranceCompany", foreign_keys=[insurance_company_id])
    job = db.relationship("Job", foreign_keys=[job_id])
    creator = db.relationship("User", foreign_keys=[created_by])
    line_items = db.relationship(
        "EstimateLineItem",
        back_populates="estimate",
        order_by="EstimateLineItem.line_number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        parts = (self.estimate_number, vehicle_label(self.vehicle), customer_label(self.customer))
        return " · ".join(part for part in parts if part)


class EstimateLineItem(Timestamped, UserStamped, db.Model):
    """One priced operation, part or charge on an estimate; supplement lines are flagged."""

    __tablename__ = "estimate_line_items"
    __table_args__ = (
        db.UniqueConstraint("estimate_id", "line_number", name="uq_estimate_line_items_estimate_id_line_number"),
        # Portable: PostgreSQL compares booleans, SQLite (3.23+) reads `false` as 0.
        db.CheckConstraint("type <> 'tax' OR taxable = false", name="estimate_line_items_tax_line_not_taxable"),
    )

    # No shop_id: the line belongs to the shop of its estimate.
    estimate_id: Mapped[int] = fk("estimates", ondelete="CASCADE", nullable=False)
    vendor_id: Mapped[int | None] = fk("vendors", ondelete="SET NULL", nullable=True)
    sublet_vendor_id: Mapped[int | None] = fk("vendors", ondelete="SET NULL", nullable=True)
    approved_by: Mapped[int | None] = user_fk()
    line_number: Mapped[int] = integer(nullable=False, ge=1)
    type: Mapped[str] = enum_column("estimate_line_items", "type", LINE_TYPES, nullable=False, index=True)
    category: Mapped[str | None] = enum_column("estimate_line_items", "category", LINE_CATEGORIES, index=True)
    operation_code: Mapped[str | None] = string(20, index=True)
    description: Mapped[str] = string(nullable=False)
    part_description: Mapped[str | None] = string()
    quantity: Mapped[Decimal] = decimal(8, 2, nullable=False, default=1, ge=0)
    unit_price: Mapped[Decimal] = money(nullable=False, default=0)
    total_price: Mapped[Decimal] = money(nullable=False, default=0)
    part_number: Mapped[str | None] = string(50, index=True)
    vendor_part_number: Mapped[str | None] = string(50, index=True)
    part_type: Mapped[str | None] = enum_column("estimate_line_items", "part_type", PART_TYPES)
    labor_hours: Mapped[Decimal | None] = hours(6)
    labor_rate: Mapped[Decimal | None] = money()
    # Refinish hours on a line whose main labor is another kind (e.g. repair 1.5 h + refinish 2.6 h) are paid at this.
    refinish_rate: Mapped[Decimal | None] = money()
    refinish_hours: Mapped[Decimal | None] = hours(6)
    # Whether the labor on a part line (and its refinish) is taxed; None: as the line (`taxable`).
    labor_taxable: Mapped[bool | None] = boolean(None)
    remove_time: Mapped[Decimal | None] = hours(6)
    install_time: Mapped[Decimal | None] = hours(6)
    labor_type: Mapped[str | None] = enum_column("estimate_line_items", "labor_type", LINE_LABOR_TYPES)
    skill_level: Mapped[str | None] = enum_column("estimate_line_items", "skill_level", SKILL_LEVELS)
    paint_code: Mapped[str | None] = string(20)
    paint_type: Mapped[str | None] = enum_column("estimate_line_items", "paint_type", PAINT_TYPES)
    coverage: Mapped[Decimal | None] = decimal(6, 2, ge=0)
    coats: Mapped[int | None] = integer(ge=0)
    list_price: Mapped[Decimal | None] = money()
    cost: Mapped[Decimal | None] = money()
    markup: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    discount: Mapped[Decimal | None] = percent()
    tax_rate: Mapped[Decimal | None] = percent()
    discount_amount: Mapped[Decimal | None] = money(default=0)
    tax_amount: Mapped[Decimal | None] = money(default=0)
    taxable: Mapped[bool] = boolean(True)
    status: Mapped[str | None] = enum_column(
        "estimate_line_items", "status", LINE_STATUSES, default="pending", index=True
    )
    approval_required: Mapped[bool] = boolean(False)
    approval_date: Mapped[datetime | None] = timestamp()
    included_in_original: Mapped[bool] = boolean(True)
    supplement_number: Mapped[int | None] = integer(ge=0)
    is_sublet: Mapped[bool] = boolean(False)
    is_rand_i: Mapped[bool] = boolean(False)
    is_refinish: Mapped[bool] = boolean(False)
    # Raw CIECA codes from the BMS file (PAN/PAA/PAL..., LAB/LAR/LAS...), kept for re-mapping.
    cieca_part_type: Mapped[str | None] = string(4)
    cieca_labor_type: Mapped[str | None] = string(4)

    estimate = db.relationship("Estimate", back_populates="line_items")
    vendor = db.relationship("Vendor", foreign_keys=[vendor_id])
    sublet_vendor = db.relationship("Vendor", foreign_keys=[sublet_vendor_id])

    def __str__(self) -> str:
        prefix = f"{self.estimate.estimate_number} " if self.estimate is not None else ""
        label = f"{prefix}#{self.line_number} · {self.description}"
        return f"{label} ({self.part_number})" if self.part_number else label
