"""Production: each RO's stage rows, daily department capacity, and the shop's stage configuration."""

from __future__ import annotations

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import ProductionStage, ProductionWorkflow, RepairOrder, SchedulingCapacity

CATEGORY = "Repair Orders"
SETTINGS_CATEGORY = "Settings"


class ProductionWorkflowView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "repair_order",
        "stage_order",
        "stage_name",
        "stage_status",
        "technician",
        "actual_start_date",
        "actual_end_date",
        "on_hold",
    )
    column_labels = {
        "repair_order": "RO",
        "stage_order": "#",
        "stage_name": "Stage",
        "stage_status": "Status",
        "technician": "Technician",
        "actual_start_date": "Started",
        "actual_end_date": "Finished",
        "on_hold": "On hold",
    }
    column_formatters = {"stage_status": status_badge}
    column_default_sort = [("id", True)]
    column_filters = (
        "stage_status",
        "stage_type",
        "on_hold",
        "is_rush",
        "planned_start_date",
        "actual_start_date",
        "actual_end_date",
    )

    def __init__(self) -> None:
        self.column_select_related_list = [ProductionWorkflow.repair_order, ProductionWorkflow.technician]
        self.column_searchable_list = [RepairOrder.repair_order_number]
        super().__init__(ProductionWorkflow, name="Production", endpoint="production", category=CATEGORY)


class SchedulingCapacityView(SecureModelView):
    area = "jobs"
    column_list = (
        "schedule_date",
        "department",
        "shift_name",
        "available_technicians",
        "total_capacity_hours",
        "scheduled_hours",
        "utilization_percentage",
    )
    column_labels = {
        "schedule_date": "Date",
        "shift_name": "Shift",
        "available_technicians": "Technicians",
        "total_capacity_hours": "Capacity (h)",
        "scheduled_hours": "Scheduled (h)",
        "utilization_percentage": "Utilization %",
    }
    column_formatters = {"department": status_badge, "schedule_status": status_badge}
    column_default_sort = [("schedule_date", True), ("id", True)]
    column_filters = ("schedule_date", "department", "shift_name", "schedule_status")

    def __init__(self) -> None:
        super().__init__(
            SchedulingCapacity, name="Scheduling Capacity", endpoint="scheduling_capacity", category=CATEGORY
        )


class ProductionStageView(SecureModelView):
    area = "settings"
    column_list = (
        "stage_order",
        "stage_name",
        "stage_code",
        "category",
        "is_active",
        "can_skip",
        "requires_inspection",
        "max_rework_attempts",
    )
    column_labels = {
        "stage_order": "#",
        "stage_name": "Stage",
        "stage_code": "Code",
        "is_active": "Active",
        "can_skip": "Can skip",
        "requires_inspection": "Inspection",
        "max_rework_attempts": "Max rework",
    }
    column_formatters = {"category": status_badge}
    column_default_sort = [("stage_order", False), ("id", False)]
    column_filters = ("category", "stage_type", "is_active", "can_skip", "requires_inspection")
    column_searchable_list = ("stage_name", "stage_code")

    def __init__(self) -> None:
        super().__init__(
            ProductionStage, name="Production Stages", endpoint="production_stages", category=SETTINGS_CATEGORY
        )


def views() -> list[BaseView]:
    return [ProductionWorkflowView(), SchedulingCapacityView(), ProductionStageView()]
