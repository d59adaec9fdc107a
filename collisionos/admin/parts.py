"""Parts: the part lines of each repair order, the shop's parts catalogue and its vendors."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import Part, PartLine, Vendor

CATEGORY = "Parts & Purchasing"


def repair_order_number(_view: Any, _context: Any, model: Any, _name: str) -> str:
    """The RO by its number only (its full label would load the vehicle for every row)."""
    repair_order = getattr(model, "repair_order", None)
    return "" if repair_order is None else repair_order.repair_order_number


class PartLineView(SecureModelView):
    area = "parts"
    simple_list_pager = True
    column_list = (
        "repair_order",
        "line_number",
        "part_description",
        "oem_part_number",
        "brand_type",
        "part_status",
        "quantity_ordered",
        "quantity_received",
        "vendor",
        "estimated_delivery_date",
        "sell_price",
    )
    column_labels = {
        "repair_order": "RO",
        "line_number": "Line",
        "part_description": "Description",
        "oem_part_number": "OEM part #",
        "vendor_part_number": "Vendor part #",
        "brand_type": "Brand",
        "part_status": "Status",
        "quantity_ordered": "Qty ordered",
        "quantity_received": "Qty received",
        "estimated_delivery_date": "ETA",
        "sell_price": "Sell price",
    }
    column_formatters = {
        "repair_order": repair_order_number,
        "part_status": status_badge,
        "brand_type": status_badge,
    }
    # The unique (repair_order_id, line_number) index serves this order.
    column_default_sort = [("id", True)]  # newest first, on the primary key (1M+ rows)
    column_filters = (
        "part_status",
        "brand_type",
        "part_category",
        "is_rush_order",
        "customer_waiting",
        "estimated_delivery_date",
        "order_date",
    )
    column_searchable_list = ("oem_part_number", "vendor_part_number")

    def __init__(self) -> None:
        self.column_select_related_list = [PartLine.repair_order, PartLine.vendor]
        super().__init__(PartLine, name="Parts on ROs", endpoint="part_lines", category=CATEGORY)


class PartView(SecureModelView):
    area = "inventory"
    column_list = (
        "part_number",
        "description",
        "category",
        "current_stock",
        "minimum_stock",
        "cost_price",
        "selling_price",
        "primary_vendor",
    )
    column_labels = {
        "part_number": "Part #",
        "oem_part_number": "OEM part #",
        "vendor_part_number": "Vendor part #",
        "current_stock": "In stock",
        "minimum_stock": "Minimum",
        "cost_price": "Cost",
        "selling_price": "Price",
        "primary_vendor": "Vendor",
    }
    column_formatters = {"category": status_badge, "part_status": status_badge}
    column_default_sort = [("part_number", False), ("id", False)]
    column_filters = ("category", "part_type", "part_status", "is_active", "is_core", "last_order_date")
    column_searchable_list = ("part_number", "oem_part_number", "vendor_part_number")

    def __init__(self) -> None:
        self.column_select_related_list = [Part.primary_vendor]
        super().__init__(Part, name="Parts Catalogue", endpoint="parts", category=CATEGORY)


class VendorView(SecureModelView):
    area = "parts"
    column_list = (
        "vendor_number",
        "vendor_code",
        "name",
        "vendor_type",
        "vendor_status",
        "phone",
        "email",
        "average_delivery_time",
    )
    column_labels = {
        "vendor_number": "Vendor #",
        "vendor_code": "Code",
        "vendor_type": "Type",
        "vendor_status": "Status",
        "average_delivery_time": "Avg delivery (days)",
    }
    column_formatters = {"vendor_type": status_badge, "vendor_status": status_badge}
    column_default_sort = [("name", False), ("id", False)]
    column_filters = ("vendor_type", "vendor_status", "is_active")
    column_searchable_list = ("name", "vendor_number", "vendor_code")
    # The integration key is a secret: never shown or exported (base already keeps it out of forms).
    column_details_exclude_list = ("api_key",)
    column_export_exclude_list = ("api_key",)

    def __init__(self) -> None:
        super().__init__(Vendor, name="Vendors", endpoint="vendors", category=CATEGORY)


def views() -> list[BaseView]:
    return [PartLineView(), PartView(), VendorView()]
