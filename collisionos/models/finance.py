"""Invoices to customers and insurers, and the ledger of every money movement."""

from __future__ import annotations

import sqlalchemy as sa

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    boolean,
    date_order_check,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    integer,
    json_dict,
    json_list,
    mapped_column,
    money,
    percent,
    string,
    timestamp,
    user_fk,
)

INVOICE_PAYMENT_STATUSES = ("unpaid", "partial", "paid", "overdue", "cancelled", "refunded")
INVOICE_STATUSES = ("draft", "sent", "viewed", "paid", "overdue", "cancelled", "voided")
INVOICE_TYPES = ("standard", "insurance", "warranty", "supplement", "final")
INVOICE_PAYMENT_TERMS = ("due_on_receipt", "net_15", "net_30", "net_60", "cod")
DEFAULT_PAYMENT_METHODS = ("cash", "check", "credit_card")

TRANSACTION_TYPES = (
    "payment_received",
    "payment_sent",
    "refund_issued",
    "refund_received",
    "adjustment",
    "fee",
    "discount",
    "tax",
    "interest",
    "penalty",
    "chargeback",
    "dispute",
    "settlement",
    "writeoff",
    "other",
)
TRANSACTION_CATEGORIES = (
    "customer_payment",
    "insurance_payment",
    "vendor_payment",
    "employee_payment",
    "tax_payment",
    "fee_payment",
    "refund",
    "adjustment",
    "other",
)
TRANSACTION_PAYMENT_METHODS = (
    "cash",
    "check",
    "credit_card",
    "debit_card",
    "bank_transfer",
    "ach",
    "wire_transfer",
    "paypal",
    "stripe",
    "square",
    "financing",
    "insurance_direct",
    "other",
)
TRANSACTION_STATUSES = (
    "pending",
    "processing",
    "completed",
    "failed",
    "cancelled",
    "disputed",
    "refunded",
    "partially_refunded",
    "reversed",
    "settled",
)
TRANSACTION_PROCESSING_STATUSES = ("queued", "processing", "processed", "failed", "retry")
RECURRING_FREQUENCIES = ("weekly", "monthly", "quarterly", "annually")
SYNC_STATUSES = ("pending", "synced", "failed", "not_applicable")


class Invoice(Timestamped, ShopOwned, db.Model):
    """A bill to the customer and/or insurer for a repair order, with payment tracking and revisions."""

    __tablename__ = "invoices"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "invoice_number", name="uq_invoices_shop_id_invoice_number"),
        # §0.1: invoices are for ROs now; legacy invoices still point at a job, so one of the two must be set.
        db.CheckConstraint("job_id IS NOT NULL OR repair_order_id IS NOT NULL", name="invoices_job_or_repair_order"),
        date_order_check("invoices", "invoice_date", "due_date"),
        db.Index("ix_invoices_shop_status_date", "shop_id", "status", "invoice_date"),
        db.Index("ix_invoices_shop_payment_due", "shop_id", "payment_status", "due_date"),
    )

    # DOMAIN §E1 has job_id NN; §0.1 moves invoices to the RO, so job_id is optional.
    job_id: Mapped[int | None] = fk("jobs", ondelete=None, nullable=True)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    customer_id: Mapped[int] = fk("customers", ondelete=None, nullable=False)
    vehicle_id: Mapped[int] = fk("vehicles", ondelete=None, nullable=False)
    insurance_company_id: Mapped[int | None] = fk("insurance_companies", ondelete="SET NULL", nullable=True)
    original_invoice_id: Mapped[int | None] = fk("invoices", ondelete="SET NULL", nullable=True)
    invoice_number: Mapped[str] = string(20, nullable=False, index=True)
    invoice_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    due_date: Mapped[datetime] = timestamp(nullable=False, index=True)
    labor_amount: Mapped[Decimal] = money(nullable=False, default=0)
    parts_amount: Mapped[Decimal] = money(nullable=False, default=0)
    paint_amount: Mapped[Decimal] = money(nullable=False, default=0)
    material_amount: Mapped[Decimal] = money(nullable=False, default=0)
    sublet_amount: Mapped[Decimal] = money(nullable=False, default=0)
    misc_amount: Mapped[Decimal] = money(nullable=False, default=0)
    subtotal: Mapped[Decimal] = money(nullable=False, default=0)
    total_amount: Mapped[Decimal] = money(nullable=False, default=0, index=True)
    amount_paid: Mapped[Decimal] = money(nullable=False, default=0)
    # Negative when the invoice is overpaid.
    amount_due: Mapped[Decimal] = money(nullable=False, default=0, nonneg=False, index=True)
    customer_payment: Mapped[Decimal] = money(nullable=False, default=0)
    insurance_payment: Mapped[Decimal] = money(nullable=False, default=0)
    discount_amount: Mapped[Decimal] = money(nullable=False, default=0)
    tax_amount: Mapped[Decimal] = money(nullable=False, default=0)
    late_fee_amount: Mapped[Decimal] = money(nullable=False, default=0)
    deductible: Mapped[Decimal | None] = money(default=0)
    discount_percentage: Mapped[Decimal | None] = percent()
    tax_rate: Mapped[Decimal | None] = percent()
    interest_rate: Mapped[Decimal | None] = percent()
    tax_details: Mapped[dict | None] = json_dict()
    payment_status: Mapped[str] = enum_column(
        "invoices", "payment_status", INVOICE_PAYMENT_STATUSES, default="unpaid", nullable=False, index=True
    )
    status: Mapped[str] = enum_column(
        "invoices", "status", INVOICE_STATUSES, default="draft", nullable=False, index=True
    )
    invoice_type: Mapped[str] = enum_column(
        "invoices", "invoice_type", INVOICE_TYPES, default="standard", nullable=False, index=True
    )
    payment_terms: Mapped[str | None] = enum_column(
        "invoices", "payment_terms", INVOICE_PAYMENT_TERMS, default="due_on_receipt"
    )
    payment_methods: Mapped[list | None] = mapped_column(sa.JSON, default=lambda: list(DEFAULT_PAYMENT_METHODS))
    claim_number: Mapped[str | None] = string(50, index=True)
    adjuster_id: Mapped[str | None] = string(50)
    po_number: Mapped[str | None] = string(50)
    is_drp: Mapped[bool] = boolean(False, index=True)
    sent_date: Mapped[datetime | None] = timestamp(index=True)
    viewed_date: Mapped[datetime | None] = timestamp()
    first_payment_date: Mapped[datetime | None] = timestamp()
    last_payment_date: Mapped[datetime | None] = timestamp()
    paid_in_full_date: Mapped[datetime | None] = timestamp()
    days_overdue: Mapped[int] = integer(nullable=False, default=0, ge=0, index=True)
    print_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    email_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    revision_number: Mapped[int] = integer(nullable=False, default=1, ge=1)
    is_revision: Mapped[bool] = boolean(False)
    revision_reason: Mapped[str | None] = string()
    created_by: Mapped[int] = fk("users", ondelete=None, nullable=False)
    updated_by: Mapped[int | None] = user_fk()
    sent_by: Mapped[int | None] = user_fk()

    job = db.relationship("Job", foreign_keys=[job_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    customer = db.relationship("Customer", foreign_keys=[customer_id])
    vehicle = db.relationship("Vehicle", foreign_keys=[vehicle_id])
    insurance_company = db.relationship("InsuranceCompany", foreign_keys=[insurance_company_id])
    original_invoice = db.relationship("Invoice", foreign_keys=[original_invoice_id], remote_side="Invoice.id")
    transactions = db.relationship(
        "FinancialTransaction",
        back_populates="invoice",
        order_by="FinancialTransaction.transaction_date",
        passive_deletes=True,
    )

    def __str__(self) -> str:
        parts = [self.invoice_number or "Invoice"]
        if self.customer is not None:
            parts.append(f"{self.customer.first_name} {self.customer.last_name}")
        if self.total_amount is not None:
            parts.append(f"{self.total_amount:,.2f}")
        return " · ".join(parts)


class FinancialTransaction(Timestamped, ShopOwned, db.Model):
    """One money movement: a payment in or out, a refund, a fee, an adjustment or a write-off."""

    __tablename__ = "financial_transactions"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "transaction_number", name="uq_financial_transactions_shop_id_number"),
        db.Index("ix_financial_transactions_shop_date", "shop_id", "transaction_date"),
        db.Index("ix_financial_transactions_customer_date", "customer_id", "transaction_date", "status"),
        db.Index("ix_financial_transactions_reconciled_date", "is_reconciled", "transaction_date"),
    )

    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    customer_id: Mapped[int | None] = fk("customers", ondelete="SET NULL", nullable=True)
    invoice_id: Mapped[int | None] = fk("invoices", ondelete="SET NULL", nullable=True)
    estimate_id: Mapped[int | None] = fk("estimates", ondelete="SET NULL", nullable=True)
    parts_order_id: Mapped[int | None] = fk("parts_orders", ondelete="SET NULL", nullable=True)
    purchase_order_id: Mapped[int | None] = fk("purchase_order_system", ondelete="SET NULL", nullable=True)
    vendor_id: Mapped[int | None] = fk("vendors", ondelete="SET NULL", nullable=True)
    insurance_company_id: Mapped[int | None] = fk("insurance_companies", ondelete="SET NULL", nullable=True)
    parent_transaction_id: Mapped[int | None] = fk("financial_transactions", ondelete="SET NULL", nullable=True)
    original_transaction_id: Mapped[int | None] = fk("financial_transactions", ondelete="SET NULL", nullable=True)
    transaction_number: Mapped[str] = string(50, nullable=False, index=True)
    external_transaction_id: Mapped[str | None] = string(100, index=True)
    reference_number: Mapped[str | None] = string(100, index=True)
    authorization_code: Mapped[str | None] = string(50, index=True)
    transaction_type: Mapped[str] = enum_column(
        "financial_transactions", "transaction_type", TRANSACTION_TYPES, nullable=False, index=True
    )
    category: Mapped[str] = enum_column(
        "financial_transactions", "category", TRANSACTION_CATEGORIES, nullable=False, index=True
    )
    # The absolute amount; transaction_type carries the direction (DOMAIN §5.6).
    amount: Mapped[Decimal] = money(nullable=False)
    # DOMAIN says def=USD but asks for the shop currency; shops default to CAD.
    currency: Mapped[str | None] = string(3, default="CAD")
    exchange_rate: Mapped[Decimal | None] = decimal(10, 6, default=1, ge=0)
    base_amount: Mapped[Decimal | None] = money(nonneg=False)
    payment_method: Mapped[str] = enum_column(
        "financial_transactions", "payment_method", TRANSACTION_PAYMENT_METHODS, nullable=False, index=True
    )
    status: Mapped[str] = enum_column(
        "financial_transactions", "status", TRANSACTION_STATUSES, default="pending", nullable=False, index=True
    )
    processing_status: Mapped[str | None] = enum_column(
        "financial_transactions", "processing_status", TRANSACTION_PROCESSING_STATUSES, default="queued"
    )
    transaction_date: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    effective_date: Mapped[datetime | None] = timestamp()
    processed_date: Mapped[datetime | None] = timestamp(index=True)
    settled_date: Mapped[datetime | None] = timestamp(index=True)
    due_date: Mapped[datetime | None] = timestamp(index=True)
    processing_fee: Mapped[Decimal | None] = money(default=0)
    merchant_fee: Mapped[Decimal | None] = money(default=0)
    bank_fee: Mapped[Decimal | None] = money(default=0)
    other_fees: Mapped[Decimal | None] = money(default=0)
    total_fees: Mapped[Decimal | None] = money(default=0)
    net_amount: Mapped[Decimal | None] = money(nonneg=False)
    tax_amount: Mapped[Decimal | None] = money(default=0)
    tax_rate: Mapped[Decimal | None] = decimal(5, 4, ge=0)
    tax_exempt: Mapped[bool] = boolean(False)
    requires_approval: Mapped[bool] = boolean(False)
    approved: Mapped[bool] = boolean(False, index=True)
    approved_at: Mapped[datetime | None] = timestamp()
    is_recurring: Mapped[bool] = boolean(False)
    recurring_frequency: Mapped[str | None] = enum_column(
        "financial_transactions", "recurring_frequency", RECURRING_FREQUENCIES
    )
    is_split: Mapped[bool] = boolean(False)
    split_total: Mapped[Decimal | None] = money()
    split_sequence: Mapped[int | None] = integer(ge=1)
    split_count: Mapped[int | None] = integer(ge=1)
    is_disputed: Mapped[bool] = boolean(False, index=True)
    dispute_resolved: Mapped[bool] = boolean(False)
    dispute_amount: Mapped[Decimal | None] = money()
    dispute_date: Mapped[datetime | None] = timestamp()
    refund_amount: Mapped[Decimal | None] = money(default=0)
    refundable_amount: Mapped[Decimal | None] = money()
    sync_status: Mapped[str | None] = enum_column(
        "financial_transactions", "sync_status", SYNC_STATUSES, default="pending", index=True
    )
    is_reconciled: Mapped[bool] = boolean(False)
    reconciled_date: Mapped[datetime | None] = timestamp()
    bank_statement_date: Mapped[datetime | None] = timestamp()
    reconciliation_difference: Mapped[Decimal | None] = money(default=0, nonneg=False)
    transaction_history: Mapped[list | None] = json_list()
    error_log: Mapped[list | None] = json_list()
    retry_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    max_retries: Mapped[int] = integer(nullable=False, default=3, ge=0)
    gl_code: Mapped[str | None] = string(50)
    cost_center: Mapped[str | None] = string(50)
    department: Mapped[str | None] = string(50)
    debit_account: Mapped[str | None] = string(100)
    credit_account: Mapped[str | None] = string(100)
    approved_by: Mapped[int | None] = user_fk()
    created_by: Mapped[int | None] = user_fk()
    processed_by: Mapped[int | None] = user_fk()
    reconciled_by: Mapped[int | None] = user_fk()

    job = db.relationship("Job", foreign_keys=[job_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    customer = db.relationship("Customer", foreign_keys=[customer_id])
    invoice = db.relationship("Invoice", foreign_keys=[invoice_id], back_populates="transactions")
    vendor = db.relationship("Vendor", foreign_keys=[vendor_id])
    insurance_company = db.relationship("InsuranceCompany", foreign_keys=[insurance_company_id])
    purchase_order = db.relationship("PurchaseOrder", foreign_keys=[purchase_order_id])
    parent_transaction = db.relationship(
        "FinancialTransaction", foreign_keys=[parent_transaction_id], remote_side="FinancialTransaction.id"
    )
    original_transaction = db.relationship(
        "FinancialTransaction", foreign_keys=[original_transaction_id], remote_side="FinancialTransaction.id"
    )

    def __str__(self) -> str:
        parts = [self.transaction_number or "Transaction", self.transaction_type or "?"]
        if self.amount is not None:
            parts.append(f"{self.amount:,.2f} {self.currency or ''}".strip())
        return " · ".join(parts)
