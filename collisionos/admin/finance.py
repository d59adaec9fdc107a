"""Finance: invoices to customers and insurers, and the ledger of payments and other money movements."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import FinancialTransaction, Invoice

CATEGORY = "Finance"


def _repair_order_number(_view: Any, _context: Any, model: Invoice, _name: str) -> str:
    """The RO by its number only: ``RepairOrder.__str__`` lazy-loads the vehicle and customer of every row."""
    return model.repair_order.repair_order_number if model.repair_order is not None else ""


def _repair_order_number_export(_view: Any, _context: Any, model: Invoice, name: str) -> str:
    return _repair_order_number(_view, _context, model, name)


class InvoiceView(SecureModelView):
    area = "financial"
    column_list = (
        "invoice_number",
        "customer",
        "repair_order",
        "invoice_date",
        "due_date",
        "total_amount",
        "amount_due",
        "payment_status",
        "status",
    )
    column_labels = {
        "invoice_number": "Invoice #",
        "repair_order": "RO",
        "invoice_date": "Date",
        "due_date": "Due",
        "total_amount": "Total",
        "amount_due": "Amount due",
        "payment_status": "Payment",
        "status": "Status",
    }
    column_formatters = {
        "repair_order": _repair_order_number,
        "payment_status": status_badge,
        "status": status_badge,
        "invoice_type": status_badge,
    }
    column_formatters_export = {"repair_order": _repair_order_number_export}
    column_default_sort = [("invoice_date", True), ("id", True)]
    column_filters = (
        "payment_status",
        "status",
        "invoice_type",
        "is_drp",
        "invoice_date",
        "due_date",
        "days_overdue",
    )
    column_searchable_list = ("invoice_number", "claim_number")

    def __init__(self) -> None:
        self.column_select_related_list = [Invoice.customer, Invoice.repair_order]
        super().__init__(Invoice, name="Invoices", endpoint="invoices", category=CATEGORY)


class FinancialTransactionView(SecureModelView):
    area = "financial"
    column_list = (
        "transaction_number",
        "transaction_type",
        "category",
        "amount",
        "payment_method",
        "status",
        "transaction_date",
        "customer",
    )
    column_labels = {
        "transaction_number": "Transaction #",
        "transaction_type": "Type",
        "payment_method": "Method",
        "transaction_date": "Date",
    }
    column_formatters = {
        "transaction_type": status_badge,
        "category": status_badge,
        "payment_method": status_badge,
        "status": status_badge,
    }
    column_default_sort = [("transaction_date", True), ("id", True)]
    column_filters = (
        "transaction_type",
        "category",
        "payment_method",
        "status",
        "is_reconciled",
        "is_disputed",
        "transaction_date",
    )
    column_searchable_list = ("transaction_number", "reference_number")

    def __init__(self) -> None:
        self.column_select_related_list = [FinancialTransaction.customer]
        super().__init__(
            FinancialTransaction,
            name="Payments & Transactions",
            endpoint="financial_transactions",
            category=CATEGORY,
        )


def views() -> list[BaseView]:
    return [InvoiceView(), FinancialTransactionView()]
