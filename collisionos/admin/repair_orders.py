"""Repair orders: the work order every other record hangs off."""

from __future__ import annotations

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import RepairOrder

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

    def __init__(self) -> None:
        self.column_select_related_list = [RepairOrder.customer, RepairOrder.vehicle_profile]
        super().__init__(RepairOrder, name="Repair Orders", endpoint="repair_orders", category=CATEGORY)


def views() -> list[BaseView]:
    return [RepairOrderView()]
