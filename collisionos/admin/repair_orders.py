"""Repair orders: the work order every other record hangs off."""

from __future__ import annotations

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView, ShopAjaxLoader
from collisionos.admin.formatters import status_badge
from collisionos.models import ClaimManagement, Customer, RepairOrder, VehicleProfile

CATEGORY = "Repair Orders"


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
    column_default_sort = [("date_created", True), ("id", True)]
    column_filters = ("ro_status", "is_on_hold", "sla_risk_level", "promised_delivery_date", "date_created")
    form_excluded_columns = ("production_rows",)

    def __init__(self) -> None:
        self.column_select_related_list = [RepairOrder.customer, RepairOrder.vehicle_profile]
        self.form_ajax_refs = {
            "customer": ShopAjaxLoader("customer", None, Customer, fields=["last_name", "first_name", "phone"]),
            "vehicle_profile": ShopAjaxLoader("vehicle_profile", None, VehicleProfile, fields=["vin", "license_plate"]),
            "claim": ShopAjaxLoader("claim", None, ClaimManagement, fields=["claim_number"]),
        }
        super().__init__(RepairOrder, name="Repair Orders", endpoint="repair_orders", category=CATEGORY)


def views() -> list[BaseView]:
    return [RepairOrderView()]
