"""Purchasing: vendor POs for repair orders, and stock replenishment orders with their lines."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView
from flask_login import current_user

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import PartLine, PartsOrder, PartsOrderItem, PurchaseOrder

CATEGORY = "Parts & Purchasing"


def repair_order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """The RO by its number only (its full label would load the vehicle for every row)."""
    repair_order = getattr(model, "repair_order", None)
    return "" if repair_order is None else repair_order.repair_order_number


def order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """The stock order by its number only (its full label would load the vendor for every row)."""
    order = getattr(model, "order", None)
    return "" if order is None else order.order_number


class PurchaseOrderView(SecureModelView):
    area = "parts"
    column_list = (
        "purchase_order_number",
        "repair_order",
        "vendor_name",
        "po_status",
        "po_date",
        "total_amount",
        "percent_received",
        "receiving_status",
    )
    column_labels = {
        "purchase_order_number": "PO",
        "repair_order": "RO",
        "ro_number": "RO number",
        "vendor_name": "Vendor",
        "po_status": "Status",
        "po_date": "PO date",
        "total_amount": "Total",
        "percent_received": "% received",
        "receiving_status": "Receiving",
        "part_lines": "Part lines",
    }
    column_formatters = {
        "repair_order": repair_order_number,
        "po_status": status_badge,
        "receiving_status": status_badge,
    }
    column_default_sort = [("po_date", True), ("id", True)]
    column_filters = ("po_status", "receiving_status", "is_rush_order", "requires_approval", "po_date")
    column_searchable_list = ("purchase_order_number", "ro_number")
    inline_models = [
        (
            PartLine,
            dict(
                form_columns=[
                    "id",
                    "line_number",
                    "part_description",
                    "part_category",
                    "quantity_ordered",
                    "quantity_received",
                    "part_status",
                ]
            ),
        )
    ]

    def __init__(self) -> None:
        self.column_select_related_list = [PurchaseOrder.repair_order]
        super().__init__(PurchaseOrder, name="Purchase Orders", endpoint="purchase_orders", category=CATEGORY)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        # A part line added on the PO belongs to the PO's shop and repair order.
        for line in model.part_lines:
            if line.shop_id is None:
                line.shop_id = model.shop_id
            if line.repair_order_id is None and line.repair_order is None:
                line.repair_order = model.repair_order
            if line.id is None and line.created_by is None:
                line.created_by = current_user.id


class PartsOrderView(SecureModelView):
    area = "inventory"
    column_list = ("order_number", "vendor", "status", "order_date", "expected_date", "total_amount")
    column_labels = {
        "order_number": "Order",
        "order_date": "Ordered",
        "expected_date": "Expected",
        "total_amount": "Total",
        "items": "Lines",
    }
    column_formatters = {"status": status_badge, "payment_status": status_badge}
    column_default_sort = [("order_date", True), ("id", True)]
    column_filters = ("status", "priority", "payment_status", "is_archived", "order_date", "expected_date")
    column_searchable_list = ("order_number", "vendor_order_number")
    inline_models = [
        (
            PartsOrderItem,
            dict(
                form_columns=[
                    "id",
                    "line_number",
                    "part_number",
                    "description",
                    "quantity_ordered",
                    "unit_cost",
                    "status",
                ]
            ),
        )
    ]

    def __init__(self) -> None:
        self.column_select_related_list = [PartsOrder.vendor]
        super().__init__(PartsOrder, name="Stock Orders", endpoint="parts_orders", category=CATEGORY)

    def on_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        super().on_model_change(form, model, is_created)
        for item in model.items:
            if item.id is None and item.created_by is None:
                item.created_by = current_user.id


class PartsOrderItemView(SecureModelView):
    area = "inventory"
    parent_scope = (PartsOrder, "parts_order_id")
    simple_list_pager = True
    column_list = (
        "order",
        "line_number",
        "part_number",
        "description",
        "quantity_ordered",
        "quantity_received",
        "status",
    )
    column_labels = {
        "line_number": "Line",
        "part_number": "Part #",
        "vendor_part_number": "Vendor part #",
        "quantity_ordered": "Qty ordered",
        "quantity_received": "Qty received",
    }
    column_formatters = {"order": order_number, "status": status_badge}
    # The unique (parts_order_id, line_number) index serves this order.
    column_default_sort = [("parts_order_id", True), ("line_number", False), ("id", True)]
    column_filters = ("status", "part_type", "condition", "expected_date", "received_date")
    column_searchable_list = ("part_number", "vendor_part_number")

    def __init__(self) -> None:
        self.column_select_related_list = [PartsOrderItem.order]
        super().__init__(PartsOrderItem, name="Stock Order Lines", endpoint="parts_order_items", category=CATEGORY)


def views() -> list[BaseView]:
    return [PurchaseOrderView(), PartsOrderView(), PartsOrderItemView()]
