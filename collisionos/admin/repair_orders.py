"""Repair orders: the work order every other record hangs off."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView

from collisionos.admin.base import SEARCH_FIELDS, SecureModelView, ShopAjaxLoader, ShopInlineForm
from collisionos.admin.formatters import status_badge
from collisionos.extensions import db
from collisionos.models import PartLine, ProductionWorkflow, RepairOrder, User

CATEGORY = "Repair Orders"


def production_rows_inline() -> ShopInlineForm:
    return ShopInlineForm(
        ProductionWorkflow,
        form_columns=["id", "stage_order", "stage_name", "stage_type", "stage_category", "stage_status", "technician"],
        form_label="Production stages",
        # A type-ahead over this shop's users only, never a select of every user.
        form_ajax_refs={
            "technician": ShopAjaxLoader("technician", db.session, User, fields=SEARCH_FIELDS["User"]),
        },
    )


def part_lines_inline() -> ShopInlineForm:
    return ShopInlineForm(
        PartLine,
        form_columns=[
            "id",
            "line_number",
            "part_description",
            "oem_part_number",
            "part_category",
            "brand_type",
            "part_status",
            "quantity_ordered",
        ],
        # No prices inline: inline rows cannot hide fields from technicians; prices live under Parts on ROs.
        form_label="Part lines",
    )


class RepairOrderView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "repair_order_number",
        "customer",
        "vehicle_profile",
        "ro_status",
        "promised_delivery_date",
        "is_on_hold",
        "sla_risk_level",
        "approved_total",
        "balance_due",
    )
    column_labels = {
        "repair_order_number": "RO",
        "vehicle_profile": "Vehicle",
        "ro_status": "Status",
        "promised_delivery_date": "Promised",
        "is_on_hold": "On hold",
        "sla_risk_level": "SLA",
        "approved_total": "Approved total",
        "balance_due": "Balance",
    }
    column_formatters = {"ro_status": status_badge, "sla_risk_level": status_badge}
    column_default_sort = [("id", True)]  # newest first; ids follow creation and are indexed
    column_filters = ("ro_status", "is_on_hold", "sla_risk_level", "promised_delivery_date", "date_created")
    column_searchable_list = ("repair_order_number",)

    def __init__(self) -> None:
        self.column_select_related_list = [RepairOrder.customer, RepairOrder.vehicle_profile]
        self.inline_models = [part_lines_inline(), production_rows_inline()]
        super().__init__(RepairOrder, name="Repair Orders", endpoint="repair_orders", category=CATEGORY)

    # A lookup while the form fills the model must not flush a new inline row before it is stamped.
    def create_model(self, form: Any) -> Any:
        with db.session.no_autoflush:
            return super().create_model(form)

    def update_model(self, form: Any, model: Any) -> bool:
        with db.session.no_autoflush:
            return super().update_model(form, model)


def views() -> list[BaseView]:
    return [RepairOrderView()]
