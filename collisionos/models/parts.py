"""The shop's parts catalogue and the part lines of each repair order."""

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
    percent,
    string,
    timestamp,
    user_fk,
)
from collisionos.models.enums import PartStatus

PART_CATEGORIES = (
    "body",
    "mechanical",
    "electrical",
    "interior",
    "exterior",
    "paint",
    "glass",
    "tire",
    "wheel",
    "accessory",
    "other",
)
PART_TYPES = ("oem", "aftermarket", "recycled", "remanufactured", "generic", "custom")
WARRANTY_TYPES = ("manufacturer", "vendor", "shop", "none")
CATALOGUE_PART_STATUSES = ("active", "discontinued", "backordered", "obsolete", "recalled")

PART_LINE_CATEGORIES = (
    "body_panel",
    "structural",
    "mechanical",
    "electrical",
    "interior",
    "glass",
    "trim",
    "hardware",
    "paint_materials",
    "consumables",
)
PART_LINE_CONDITIONS = ("new", "used", "rebuilt", "reconditioned", "aftermarket", "surplus")
BRAND_TYPES = ("oem", "oem_equivalent", "aftermarket", "recycled", "remanufactured")
QUALITY_GRADES = ("premium", "standard", "economy")
PART_LINE_WARRANTY_TYPES = ("manufacturer", "vendor", "shop", "extended", "none")
PART_LINE_RETURN_REASONS = (
    "defective",
    "wrong_part",
    "not_needed",
    "customer_change",
    "quality_issue",
    "damaged_in_shipping",
    "other",
)
PAINT_TYPES = ("base_coat", "clear_coat", "primer", "sealer", "single_stage")
PART_LINE_PRIORITIES = ("low", "normal", "high", "urgent", "critical")


class Part(Timestamped, ShopOwned, db.Model):
    """A catalogue item the shop stocks or buys: numbers, fitment, stock levels and prices."""

    __tablename__ = "parts"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "part_number", name="uq_parts_shop_id_part_number"),
        date_order_check("parts", "year_from", "year_to"),
    )

    primary_vendor_id: Mapped[int | None] = fk("vendors", ondelete="SET NULL", nullable=True)
    part_number: Mapped[str] = string(100, nullable=False)
    oem_part_number: Mapped[str | None] = string(100, index=True)
    vendor_part_number: Mapped[str | None] = string(100, index=True)
    description: Mapped[str] = string(nullable=False)
    category: Mapped[str] = enum_column("parts", "category", PART_CATEGORIES, nullable=False, index=True)
    part_type: Mapped[str] = enum_column("parts", "part_type", PART_TYPES, nullable=False, default="oem")
    make: Mapped[str | None] = string(100)
    model: Mapped[str | None] = string(100)
    year_from: Mapped[int | None] = integer()
    year_to: Mapped[int | None] = integer()
    current_stock: Mapped[int] = integer(nullable=False, default=0, ge=0)
    minimum_stock: Mapped[int] = integer(nullable=False, default=0, ge=0)
    maximum_stock: Mapped[int | None] = integer(ge=0)
    reorder_point: Mapped[int | None] = integer(ge=0)
    reorder_quantity: Mapped[int | None] = integer(ge=0)
    location: Mapped[str | None] = string(100)
    bin_number: Mapped[str | None] = string(50)
    shelf_number: Mapped[str | None] = string(50)
    cost_price: Mapped[Decimal | None] = money()
    selling_price: Mapped[Decimal | None] = money()
    markup_percentage: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    warranty_period: Mapped[int | None] = integer(ge=0)
    warranty_type: Mapped[str | None] = enum_column("parts", "warranty_type", WARRANTY_TYPES)
    is_core: Mapped[bool] = boolean(False)
    core_return_required: Mapped[bool] = boolean(False)
    core_value: Mapped[Decimal | None] = money()
    part_status: Mapped[str | None] = enum_column(
        "parts", "part_status", CATALOGUE_PART_STATUSES, default="active", index=True
    )
    is_active: Mapped[bool] = boolean(True)
    last_order_date: Mapped[datetime | None] = timestamp()
    last_received_date: Mapped[datetime | None] = timestamp()
    last_sold_date: Mapped[datetime | None] = timestamp()

    primary_vendor = db.relationship("Vendor", foreign_keys=[primary_vendor_id])

    def __str__(self) -> str:
        return f"{self.part_number} · {self.description}"


class PartLine(Timestamped, ShopOwned, UserStamped, db.Model):
    """One part needed for a repair order, followed from sourcing to install, return and core credit."""

    __tablename__ = "advanced_parts_management"
    __table_args__ = (
        db.UniqueConstraint("repair_order_id", "line_number", name="uq_advanced_parts_management_ro_line_number"),
        db.CheckConstraint("quantity_ordered > 0", name="advanced_parts_management_quantity_ordered_positive"),
        date_order_check(
            "advanced_parts_management",
            "warranty_start_date",
            "warranty_end_date",
            name="advanced_parts_management_warranty_end_after_start",
        ),
        db.Index("ix_advanced_parts_management_shop_id_id", "shop_id", "id"),
        db.Index("ix_advanced_parts_management_shop_status_eta", "shop_id", "part_status", "estimated_delivery_date"),
        db.Index("ix_advanced_parts_management_vendor_order_date", "vendor_id", "order_date"),
    )

    # The unique (repair_order_id, line_number) and the (vendor_id, order_date) index serve these lookups.
    repair_order_id: Mapped[int] = fk("repair_order_management", ondelete="CASCADE", nullable=False, index=False)
    vendor_id: Mapped[int | None] = fk("vendors", ondelete="SET NULL", nullable=True, index=False)
    # §0.1: a line may draw on stock (part_id) and is bought through a PO (purchase_order_id).
    part_id: Mapped[int | None] = fk("parts", ondelete="SET NULL", nullable=True)
    purchase_order_id: Mapped[int | None] = fk("purchase_order_system", ondelete="SET NULL", nullable=True)
    parts_order_id: Mapped[int | None] = fk("parts_orders", ondelete="SET NULL", nullable=True)
    estimate_line_item_id: Mapped[int | None] = fk("estimate_line_items", ondelete="SET NULL", nullable=True)
    status_changed_by: Mapped[int | None] = user_fk()
    sourced_by: Mapped[int | None] = user_fk()
    ordered_by: Mapped[int | None] = user_fk()
    received_by: Mapped[int | None] = user_fk()
    inspected_by: Mapped[int | None] = user_fk()
    installed_by: Mapped[int | None] = user_fk()
    returned_by: Mapped[int | None] = user_fk()

    line_number: Mapped[int] = integer(nullable=False, ge=1)
    part_description: Mapped[str] = string(500, nullable=False)
    operation_code: Mapped[str | None] = string(50)
    oem_part_number: Mapped[str | None] = string(100, index=True)
    vendor_part_number: Mapped[str | None] = string(100, index=True)
    alternate_part_numbers: Mapped[list | None] = json_column()
    universal_product_code: Mapped[str | None] = string(50)
    vehicle_position: Mapped[str | None] = string(100)
    position_code: Mapped[str | None] = string(20)
    assembly_group: Mapped[str | None] = string(100)
    part_category: Mapped[str] = enum_column(
        "advanced_parts_management", "part_category", PART_LINE_CATEGORIES, nullable=False
    )
    part_condition: Mapped[str | None] = enum_column(
        "advanced_parts_management", "part_condition", PART_LINE_CONDITIONS, default="new"
    )
    brand_type: Mapped[str | None] = enum_column("advanced_parts_management", "brand_type", BRAND_TYPES, default="oem")
    quality_grade: Mapped[str | None] = enum_column(
        "advanced_parts_management", "quality_grade", QUALITY_GRADES, default="standard"
    )
    part_status: Mapped[str | None] = enum_column(
        "advanced_parts_management", "part_status", PartStatus, default=PartStatus.NEEDED, index=True
    )
    previous_status: Mapped[str | None] = string(50)
    status_change_date: Mapped[datetime | None] = timestamp()
    quantity_ordered: Mapped[Decimal] = decimal(10, 3, nullable=False, default=1)
    quantity_received: Mapped[Decimal | None] = decimal(10, 3, default=0, ge=0)
    quantity_installed: Mapped[Decimal | None] = decimal(10, 3, default=0, ge=0)
    quantity_returned: Mapped[Decimal | None] = decimal(10, 3, default=0, ge=0)
    quantity_defective: Mapped[Decimal | None] = decimal(10, 3, default=0, ge=0)
    quantity_remaining: Mapped[Decimal | None] = decimal(10, 3, default=0, ge=0)
    unit_of_measure: Mapped[str | None] = string(20, default="each")
    is_core_item: Mapped[bool] = boolean(False)
    core_charge: Mapped[Decimal | None] = money()
    core_return_credit: Mapped[Decimal | None] = money()
    core_returned: Mapped[bool] = boolean(False)
    core_return_date: Mapped[datetime | None] = timestamp()
    list_price: Mapped[Decimal | None] = money()
    net_price: Mapped[Decimal | None] = money()
    total_cost: Mapped[Decimal | None] = money()
    sell_price: Mapped[Decimal | None] = money()
    discount_percentage: Mapped[Decimal | None] = percent(default=0)
    discount_amount: Mapped[Decimal | None] = money(default=0)
    markup: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    target_margin: Mapped[Decimal | None] = decimal(5, 2)
    actual_margin: Mapped[Decimal | None] = decimal(5, 2)
    margin_variance: Mapped[Decimal | None] = decimal(5, 2)
    margin_guardrails: Mapped[dict | None] = json_column()
    sourcing_date: Mapped[datetime | None] = timestamp()
    quote_expiration_date: Mapped[datetime | None] = timestamp()
    order_date: Mapped[datetime | None] = timestamp()
    purchase_order_number: Mapped[str | None] = string(50)
    vendor_order_number: Mapped[str | None] = string(50)
    estimated_delivery_date: Mapped[datetime | None] = timestamp(index=True)
    promised_delivery_date: Mapped[datetime | None] = timestamp()
    actual_delivery_date: Mapped[datetime | None] = timestamp()
    received_date: Mapped[datetime | None] = timestamp()
    lead_time: Mapped[int | None] = integer(ge=0)
    on_time_delivery: Mapped[bool] = boolean(True)
    expedite_requested: Mapped[bool] = boolean(False)
    expedite_fee: Mapped[Decimal | None] = money()
    shipping_cost: Mapped[Decimal | None] = money()
    tracking_number: Mapped[str | None] = string(100)
    packing_slip_number: Mapped[str | None] = string(50)
    invoice_number: Mapped[str | None] = string(50)
    inspection_required: Mapped[bool] = boolean(False)
    inspection_completed: Mapped[bool] = boolean(False)
    inspection_passed: Mapped[bool] = boolean(True)
    inspection_date: Mapped[datetime | None] = timestamp()
    # §3.3 records a failed inspection as inspection_passed=false plus defect_description; §1 H9 omits the column.
    defect_description: Mapped[str | None] = string()
    installation_date: Mapped[datetime | None] = timestamp()
    installation_time: Mapped[Decimal | None] = hours(6)
    warranty_type: Mapped[str | None] = enum_column(
        "advanced_parts_management", "warranty_type", PART_LINE_WARRANTY_TYPES
    )
    part_warranty_period: Mapped[int | None] = integer(ge=0)
    part_warranty_mileage: Mapped[int | None] = integer(ge=0)
    warranty_start_date: Mapped[datetime | None] = timestamp()
    warranty_end_date: Mapped[datetime | None] = timestamp()
    is_returnable: Mapped[bool] = boolean(True)
    return_deadline: Mapped[datetime | None] = timestamp()
    return_date: Mapped[datetime | None] = timestamp()
    return_auth_number: Mapped[str | None] = string(50)
    # An amount here, unlike purchase_order_system.restocking_fee which is a percentage (§9.10).
    restocking_fee: Mapped[Decimal | None] = money()
    return_credit: Mapped[Decimal | None] = money()
    return_reason: Mapped[str | None] = enum_column(
        "advanced_parts_management", "return_reason", PART_LINE_RETURN_REASONS
    )
    backorder_date: Mapped[datetime | None] = timestamp()
    estimated_backorder_release: Mapped[datetime | None] = timestamp()
    backorder_reason: Mapped[str | None] = string(255)
    backorder_alternative_offered: Mapped[bool] = boolean(False)
    paint_code: Mapped[str | None] = string(50)
    paint_type: Mapped[str | None] = enum_column("advanced_parts_management", "paint_type", PAINT_TYPES)
    hazardous_material: Mapped[bool] = boolean(False)
    msds_required: Mapped[bool] = boolean(False)
    hazmat_class: Mapped[str | None] = string(10)
    vendor_performance_score: Mapped[int | None] = integer(ge=1, le=5)
    quality_rating: Mapped[int | None] = integer(ge=1, le=5)
    priority: Mapped[str | None] = enum_column(
        "advanced_parts_management", "priority", PART_LINE_PRIORITIES, default="normal"
    )
    is_rush_order: Mapped[bool] = boolean(False)
    customer_waiting: Mapped[bool] = boolean(False)

    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id], back_populates="part_lines")
    vendor = db.relationship("Vendor", foreign_keys=[vendor_id])
    part = db.relationship("Part", foreign_keys=[part_id])
    purchase_order = db.relationship("PurchaseOrder", foreign_keys=[purchase_order_id], back_populates="part_lines")

    def __str__(self) -> str:
        ro_number = getattr(self.repair_order, "repair_order_number", None)
        head = f"{ro_number} #{self.line_number}" if ro_number else f"#{self.line_number}"
        text = f"{head} · {self.part_description}"
        part_number = self.oem_part_number or self.vendor_part_number
        return f"{text} ({part_number})" if part_number else text
