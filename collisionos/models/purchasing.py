"""Buying parts: vendor POs for repair orders, and stock replenishment orders with their lines."""

from __future__ import annotations

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    integer,
    money,
    percent,
    search_key_index,
    string,
    timestamp,
    user_fk,
)
from collisionos.models.enums import PurchaseOrderStatus
from collisionos.models.parts import WARRANTY_TYPES

DELIVERY_METHODS = ("pickup", "delivery", "ship_ground", "ship_air", "ship_overnight", "courier")
TRANSMISSION_METHODS = ("email", "fax", "phone", "portal", "edi", "mail", "hand_delivery")
RECEIVING_STATUSES = ("not_started", "partial", "complete", "over_received", "discrepancy")
AGREEMENT_TYPES = ("standard", "blanket", "contract", "spot_buy")
RECURRING_FREQUENCIES = ("weekly", "monthly", "quarterly", "annually")
SYNC_STATUSES = ("not_synced", "synced", "sync_error", "pending_sync")

PARTS_ORDER_STATUSES = (
    "draft",
    "pending",
    "sent",
    "confirmed",
    "in_production",
    "shipped",
    "partially_received",
    "received",
    "backordered",
    "cancelled",
    "returned",
)
PARTS_ORDER_PRIORITIES = ("low", "normal", "high", "urgent", "rush")
SHIPPING_METHODS = ("pickup", "standard", "expedited", "overnight", "freight", "delivery", "other")
PARTS_ORDER_PAYMENT_TERMS = ("cod", "net_15", "net_30", "net_60", "prepaid", "credit_card", "account")
PARTS_ORDER_PAYMENT_STATUSES = ("unpaid", "partial", "paid", "overdue", "disputed")
PAYMENT_METHODS = ("cash", "check", "credit_card", "ach", "wire", "account_credit", "other")

ORDER_ITEM_PART_TYPES = ("OEM", "Aftermarket", "Used", "Reconditioned", "Generic")
ORDER_ITEM_CATEGORIES = (
    "body",
    "frame",
    "mechanical",
    "electrical",
    "glass",
    "interior",
    "exterior",
    "paint",
    "hardware",
    "other",
)
ORDER_ITEM_STATUSES = (
    "pending",
    "ordered",
    "confirmed",
    "shipped",
    "received",
    "backordered",
    "cancelled",
    "returned",
    "damaged",
)
ORDER_ITEM_CONDITIONS = ("new", "used", "reconditioned", "damaged", "defective")
ORDER_ITEM_QUALITY_GRADES = ("A", "B", "C", "D", "F")
ORDER_ITEM_RETURN_REASONS = (
    "wrong_part",
    "damaged",
    "defective",
    "no_longer_needed",
    "customer_change",
    "warranty",
    "other",
)


class PurchaseOrder(Timestamped, ShopOwned, UserStamped, db.Model):
    """A vendor PO for one repair order's part lines, numbered ``{RO}-{YYMM}-{CODE}-{seq}``."""

    __tablename__ = "purchase_order_system"
    __table_args__ = (
        search_key_index("ix_purchase_order_system_shop_number_prefix", "purchase_order_number"),
        db.UniqueConstraint(
            "shop_id", "purchase_order_number", name="uq_purchase_order_system_shop_id_purchase_order_number"
        ),
        db.UniqueConstraint(
            "shop_id", "ro_number", "year_month", "vendor_code", "sequence_number", name="uq_po_system_number_parts"
        ),
        db.CheckConstraint("length(year_month) = 4", name="purchase_order_system_year_month_length"),
        db.Index("ix_purchase_order_system_shop_status", "shop_id", "po_status"),
        db.Index("ix_purchase_order_system_ro_vendor", "repair_order_id", "vendor_id"),
        db.Index("ix_purchase_order_system_vendor_po_date", "vendor_id", "po_date"),
    )

    # The (repair_order_id, vendor_id) and (vendor_id, po_date) indexes serve these lookups.
    repair_order_id: Mapped[int] = fk("repair_order_management", ondelete="CASCADE", nullable=False, index=False)
    # The reference cascades; a vendor with POs must not vanish with them (DOMAIN.md §H10 (p)).
    vendor_id: Mapped[int] = fk("vendors", ondelete=None, nullable=False, index=False)
    parent_order_id: Mapped[int | None] = fk("purchase_order_system", ondelete="SET NULL", nullable=True)
    status_changed_by: Mapped[int | None] = user_fk()
    approved_by: Mapped[int | None] = user_fk()
    rejected_by: Mapped[int | None] = user_fk()
    sent_by: Mapped[int | None] = user_fk()
    inspected_by: Mapped[int | None] = user_fk()
    requested_by: Mapped[int | None] = user_fk()
    authorized_by: Mapped[int | None] = user_fk()
    buyer_assigned: Mapped[int | None] = user_fk()

    purchase_order_number: Mapped[str] = string(50, nullable=False, index=True)
    ro_number: Mapped[str] = string(50, nullable=False)
    year_month: Mapped[str] = string(4, nullable=False)
    vendor_code: Mapped[str] = string(10, nullable=False)
    sequence_number: Mapped[int] = integer(nullable=False, ge=1)
    po_status: Mapped[str | None] = enum_column(
        "purchase_order_system", "po_status", PurchaseOrderStatus, default=PurchaseOrderStatus.DRAFT
    )
    previous_status: Mapped[str | None] = string(50)
    status_change_date: Mapped[datetime | None] = timestamp()
    status_change_reason: Mapped[str | None] = string()
    po_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    requested_delivery_date: Mapped[datetime | None] = timestamp()
    promised_delivery_date: Mapped[datetime | None] = timestamp()
    actual_delivery_date: Mapped[datetime | None] = timestamp()
    estimated_delivery: Mapped[datetime | None] = timestamp()
    vendor_name: Mapped[str] = string(255, nullable=False)
    vendor_contact: Mapped[str | None] = string(255)
    vendor_email: Mapped[str | None] = string(255)
    vendor_phone: Mapped[str | None] = string(20)
    vendor_fax: Mapped[str | None] = string(20)
    delivery_method: Mapped[str | None] = enum_column(
        "purchase_order_system", "delivery_method", DELIVERY_METHODS, default="delivery"
    )
    payment_terms: Mapped[str | None] = string(100)
    payment_terms_code: Mapped[str | None] = string(20)
    discount_terms: Mapped[str | None] = string(100)
    discount_percentage: Mapped[Decimal | None] = percent()
    discount_days: Mapped[int | None] = integer(ge=0)
    subtotal_amount: Mapped[Decimal | None] = money(default=0)
    total_amount: Mapped[Decimal | None] = money(default=0)
    discount_amount: Mapped[Decimal | None] = money(default=0)
    tax_amount: Mapped[Decimal | None] = money(default=0)
    shipping_amount: Mapped[Decimal | None] = money(default=0)
    handling_amount: Mapped[Decimal | None] = money(default=0)
    adjustment_amount: Mapped[Decimal | None] = money(default=0, nonneg=False)
    total_line_items: Mapped[int] = integer(nullable=False, default=0, ge=0)
    total_quantity: Mapped[Decimal | None] = decimal(12, 3, default=0, ge=0)
    total_received: Mapped[Decimal | None] = decimal(12, 3, default=0, ge=0)
    percent_received: Mapped[Decimal | None] = percent(default=0)
    requires_approval: Mapped[bool] = boolean(False)
    approval_threshold: Mapped[Decimal | None] = money()
    approved_date: Mapped[datetime | None] = timestamp()
    rejected_date: Mapped[datetime | None] = timestamp()
    approval_notes: Mapped[str | None] = string()
    rejection_reason: Mapped[str | None] = string()
    transmission_method: Mapped[str | None] = enum_column(
        "purchase_order_system", "transmission_method", TRANSMISSION_METHODS
    )
    sent_date: Mapped[datetime | None] = timestamp()
    acknowledgment_received: Mapped[bool] = boolean(False)
    acknowledgment_date: Mapped[datetime | None] = timestamp()
    vendor_confirmation_number: Mapped[str | None] = string(100)
    receiving_status: Mapped[str | None] = enum_column(
        "purchase_order_system", "receiving_status", RECEIVING_STATUSES, default="not_started", index=True
    )
    first_receipt_date: Mapped[datetime | None] = timestamp()
    last_receipt_date: Mapped[datetime | None] = timestamp()
    allow_partial_receiving: Mapped[bool] = boolean(True)
    partial_shipments: Mapped[int] = integer(nullable=False, default=0, ge=0)
    backordered_items: Mapped[int] = integer(nullable=False, default=0, ge=0)
    cancelled_items: Mapped[int] = integer(nullable=False, default=0, ge=0)
    returned_items: Mapped[int] = integer(nullable=False, default=0, ge=0)
    inspection_required: Mapped[bool] = boolean(False)
    inspection_completed: Mapped[bool] = boolean(False)
    inspection_passed: Mapped[bool] = boolean(True)
    is_rush_order: Mapped[bool] = boolean(False)
    expedite_requested: Mapped[bool] = boolean(False)
    expedite_approved: Mapped[bool] = boolean(False)
    expedite_fee: Mapped[Decimal | None] = money()
    agreement_type: Mapped[str | None] = enum_column(
        "purchase_order_system", "agreement_type", AGREEMENT_TYPES, default="spot_buy"
    )
    contract_number: Mapped[str | None] = string(100)
    blanket_order_number: Mapped[str | None] = string(100)
    returns_allowed: Mapped[bool] = boolean(True)
    return_deadline: Mapped[datetime | None] = timestamp()
    # A percentage here, unlike advanced_parts_management.restocking_fee which is an amount (§9.10).
    restocking_fee: Mapped[Decimal | None] = percent()
    on_time_delivery: Mapped[bool | None] = boolean(None)
    # Days late; negative means early.
    delivery_variance: Mapped[int | None] = integer()
    accuracy_rate: Mapped[Decimal | None] = percent()
    vendor_rating: Mapped[int | None] = integer(ge=1, le=5)
    vendor_response_time: Mapped[int | None] = integer(ge=0)
    is_recurring_order: Mapped[bool] = boolean(False)
    recurring_frequency: Mapped[str | None] = enum_column(
        "purchase_order_system", "recurring_frequency", RECURRING_FREQUENCIES
    )
    next_recurring_date: Mapped[datetime | None] = timestamp()
    sync_status: Mapped[str | None] = enum_column(
        "purchase_order_system", "sync_status", SYNC_STATUSES, default="not_synced"
    )
    edi_capable: Mapped[bool] = boolean(False)
    hazardous_materials: Mapped[bool] = boolean(False)
    requires_msds: Mapped[bool] = boolean(False)
    certification_required: Mapped[bool] = boolean(False)
    certification_received: Mapped[bool] = boolean(False)

    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    vendor = db.relationship("Vendor", foreign_keys=[vendor_id])
    parent = db.relationship(
        "PurchaseOrder", foreign_keys=[parent_order_id], remote_side="PurchaseOrder.id", back_populates="children"
    )
    children = db.relationship(
        "PurchaseOrder", foreign_keys=[parent_order_id], back_populates="parent", passive_deletes=True
    )
    part_lines = db.relationship(
        "PartLine",
        foreign_keys="PartLine.purchase_order_id",
        back_populates="purchase_order",
        order_by="PartLine.line_number",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        vendor_name = self.vendor_name or getattr(self.vendor, "name", None)
        return f"{self.purchase_order_number} · {vendor_name}" if vendor_name else self.purchase_order_number


class PartsOrder(Timestamped, ShopOwned, db.Model):
    """A stock replenishment order to one vendor; receiving it adds to the catalogue's stock."""

    __tablename__ = "parts_orders"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "order_number", name="uq_parts_orders_shop_id_order_number"),
        db.Index("ix_parts_orders_shop_status", "shop_id", "status"),
    )

    # §0.1: replenishment is not tied to a job, so job_id is nullable; a job with orders still cannot be deleted.
    job_id: Mapped[int | None] = fk("jobs", ondelete=None, nullable=True)
    estimate_id: Mapped[int | None] = fk("estimates", ondelete="SET NULL", nullable=True)
    vendor_id: Mapped[int] = fk("vendors", ondelete=None, nullable=False)
    created_by: Mapped[int] = fk("users", ondelete=None, nullable=False)
    updated_by: Mapped[int | None] = user_fk()
    approved_by: Mapped[int | None] = user_fk()
    inspected_by: Mapped[int | None] = user_fk()
    sent_by: Mapped[int | None] = user_fk()
    received_by: Mapped[int | None] = user_fk()

    order_number: Mapped[str] = string(20, nullable=False)
    vendor_order_number: Mapped[str | None] = string(50, index=True)
    order_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    requested_date: Mapped[datetime | None] = timestamp()
    promised_date: Mapped[datetime | None] = timestamp()
    shipped_date: Mapped[datetime | None] = timestamp()
    received_date: Mapped[datetime | None] = timestamp()
    expected_date: Mapped[datetime | None] = timestamp(index=True)
    status: Mapped[str] = enum_column("parts_orders", "status", PARTS_ORDER_STATUSES, nullable=False, default="draft")
    priority: Mapped[str | None] = enum_column("parts_orders", "priority", PARTS_ORDER_PRIORITIES, default="normal")
    subtotal: Mapped[Decimal] = money(nullable=False, default=0)
    total_amount: Mapped[Decimal] = money(nullable=False, default=0)
    tax_amount: Mapped[Decimal] = money(nullable=False, default=0)
    shipping_amount: Mapped[Decimal] = money(nullable=False, default=0)
    handling_amount: Mapped[Decimal] = money(nullable=False, default=0)
    discount_amount: Mapped[Decimal] = money(nullable=False, default=0)
    shipping_method: Mapped[str | None] = enum_column(
        "parts_orders", "shipping_method", SHIPPING_METHODS, default="standard"
    )
    tracking_number: Mapped[str | None] = string(50)
    carrier: Mapped[str | None] = string(100)
    payment_terms: Mapped[str | None] = enum_column(
        "parts_orders", "payment_terms", PARTS_ORDER_PAYMENT_TERMS, default="account"
    )
    payment_status: Mapped[str | None] = enum_column(
        "parts_orders", "payment_status", PARTS_ORDER_PAYMENT_STATUSES, default="unpaid", index=True
    )
    payment_date: Mapped[datetime | None] = timestamp()
    payment_method: Mapped[str | None] = enum_column("parts_orders", "payment_method", PAYMENT_METHODS)
    requires_approval: Mapped[bool] = boolean(False)
    approved: Mapped[bool] = boolean(False)
    approval_date: Mapped[datetime | None] = timestamp()
    approval_limit: Mapped[Decimal | None] = money()
    inspection_required: Mapped[bool] = boolean(False)
    inspection_completed: Mapped[bool] = boolean(False)
    has_returns: Mapped[bool] = boolean(False)
    is_archived: Mapped[bool] = boolean(False)
    return_amount: Mapped[Decimal | None] = money(default=0)

    job = db.relationship("Job", foreign_keys=[job_id])
    estimate = db.relationship("Estimate", foreign_keys=[estimate_id])
    vendor = db.relationship("Vendor", foreign_keys=[vendor_id])
    items = db.relationship(
        "PartsOrderItem",
        back_populates="order",
        order_by="PartsOrderItem.line_number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        vendor_name = getattr(self.vendor, "name", None)
        return f"{self.order_number} · {vendor_name}" if vendor_name else self.order_number


class PartsOrderItem(Timestamped, UserStamped, db.Model):
    """One line of a parts order: what was ordered and how much arrived, was backordered or went back."""

    __tablename__ = "parts_order_items"
    __table_args__ = (
        db.UniqueConstraint("parts_order_id", "line_number", name="uq_parts_order_items_parts_order_id_line_number"),
    )

    # No shop_id: the line belongs to the shop of its order (DOMAIN.md §0 tenancy).
    # The unique (parts_order_id, line_number) serves lookups by order.
    parts_order_id: Mapped[int] = fk("parts_orders", ondelete="CASCADE", nullable=False, index=False)
    part_id: Mapped[int | None] = fk("parts", ondelete="SET NULL", nullable=True)
    estimate_line_item_id: Mapped[int | None] = fk("estimate_line_items", ondelete="SET NULL", nullable=True)
    installed_by: Mapped[int | None] = user_fk()
    received_by: Mapped[int | None] = user_fk()

    line_number: Mapped[int] = integer(nullable=False, ge=1)
    part_number: Mapped[str] = string(50, nullable=False, index=True)
    vendor_part_number: Mapped[str | None] = string(50, index=True)
    description: Mapped[str] = string(nullable=False)
    part_type: Mapped[str] = enum_column(
        "parts_order_items", "part_type", ORDER_ITEM_PART_TYPES, nullable=False, default="OEM"
    )
    category: Mapped[str | None] = enum_column("parts_order_items", "category", ORDER_ITEM_CATEGORIES)
    quantity_ordered: Mapped[Decimal] = decimal(8, 2, nullable=False, default=1, ge=0)
    quantity_received: Mapped[Decimal] = decimal(8, 2, nullable=False, default=0, ge=0)
    quantity_backordered: Mapped[Decimal] = decimal(8, 2, nullable=False, default=0, ge=0)
    quantity_returned: Mapped[Decimal] = decimal(8, 2, nullable=False, default=0, ge=0)
    unit_cost: Mapped[Decimal] = money(nullable=False, default=0)
    list_price: Mapped[Decimal | None] = money()
    discount: Mapped[Decimal | None] = percent(default=0)
    discount_amount: Mapped[Decimal | None] = money(default=0)
    core: Mapped[Decimal | None] = money(default=0)
    total_cost: Mapped[Decimal] = money(nullable=False, default=0)
    status: Mapped[str] = enum_column(
        "parts_order_items", "status", ORDER_ITEM_STATUSES, nullable=False, default="pending", index=True
    )
    condition: Mapped[str | None] = enum_column("parts_order_items", "condition", ORDER_ITEM_CONDITIONS, default="new")
    quality_grade: Mapped[str | None] = enum_column("parts_order_items", "quality_grade", ORDER_ITEM_QUALITY_GRADES)
    expected_date: Mapped[datetime | None] = timestamp()
    shipped_date: Mapped[datetime | None] = timestamp()
    received_date: Mapped[datetime | None] = timestamp()
    inspection_date: Mapped[datetime | None] = timestamp()
    installed_date: Mapped[datetime | None] = timestamp()
    returnable: Mapped[bool] = boolean(True)
    return_deadline: Mapped[datetime | None] = timestamp()
    return_reason: Mapped[str | None] = enum_column("parts_order_items", "return_reason", ORDER_ITEM_RETURN_REASONS)
    warranty_months: Mapped[int | None] = integer(ge=0)
    warranty_miles: Mapped[int | None] = integer(ge=0)
    warranty_type: Mapped[str | None] = enum_column(
        "parts_order_items", "warranty_type", WARRANTY_TYPES, default="manufacturer"
    )
    inspection_required: Mapped[bool] = boolean(False)
    special_handling: Mapped[bool] = boolean(False)
    hazardous_material: Mapped[bool] = boolean(False)
    installed: Mapped[bool] = boolean(False)
    # NULL until the line has been inspected.
    inspection_passed: Mapped[bool | None] = boolean(None)
    bin_location: Mapped[str | None] = string(20)
    shelf_location: Mapped[str | None] = string(50)
    warehouse_location: Mapped[str | None] = string(100)

    order = db.relationship("PartsOrder", foreign_keys=[parts_order_id], back_populates="items")
    part = db.relationship("Part", foreign_keys=[part_id])

    def __str__(self) -> str:
        order_number = getattr(self.order, "order_number", None)
        head = f"{order_number} #{self.line_number}" if order_number else f"#{self.line_number}"
        return f"{head} · {self.description} ({self.part_number})"
