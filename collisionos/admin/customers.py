"""Customers and their vehicles: owners, cars, collision profiles, service history and contact timeline."""

from __future__ import annotations

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import ContactTimeline, Customer, Vehicle, VehicleHistory, VehicleProfile

CATEGORY = "Customers & Vehicles"


class CustomerView(SecureModelView):
    area = "customers"
    simple_list_pager = True
    column_list = (
        "customer_number",
        "last_name",
        "first_name",
        "phone",
        "email",
        "city",
        "customer_type",
        "customer_status",
    )
    column_labels = {
        "customer_number": "Customer #",
        "customer_type": "Type",
        "customer_status": "Status",
    }
    column_formatters = {"customer_type": status_badge, "customer_status": status_badge}
    column_default_sort = [("last_name", False), ("first_name", False), ("id", False)]
    column_filters = ("customer_type", "customer_status", "is_active", "last_visit_date", "created_at")
    column_searchable_list = ("customer_number", "last_name", "phone", "email")

    def __init__(self) -> None:
        super().__init__(Customer, name="Customers", endpoint="customers", category=CATEGORY)


class VehicleView(SecureModelView):
    area = "customers"
    simple_list_pager = True
    column_list = ("year", "make", "model", "vin", "license_plate", "customer", "vehicle_status")
    column_labels = {"vin": "VIN", "license_plate": "Plate", "vehicle_status": "Status"}
    column_formatters = {"vehicle_status": status_badge}
    column_default_sort = [("id", True)]
    column_filters = ("vehicle_status", "make", "year", "created_at")
    column_searchable_list = ("vin", "license_plate")

    def __init__(self) -> None:
        self.column_select_related_list = [Vehicle.customer]
        super().__init__(Vehicle, name="Vehicles", endpoint="vehicles", category=CATEGORY)


class VehicleProfileView(SecureModelView):
    area = "customers"
    simple_list_pager = True
    column_list = (
        "year",
        "make",
        "model",
        "vin",
        "license_plate",
        "customer",
        "paint_code",
        "has_adas_features",
        "vehicle_status",
    )
    column_labels = {
        "vin": "VIN",
        "license_plate": "Plate",
        "has_adas_features": "ADAS",
        "vehicle_status": "Status",
    }
    column_formatters = {"vehicle_status": status_badge}
    column_default_sort = [("id", True)]
    column_filters = (
        "vehicle_status",
        "has_adas_features",
        "requires_calibration",
        "title_status",
        "make",
        "created_at",
    )
    column_searchable_list = ("vin", "license_plate")

    def __init__(self) -> None:
        self.column_select_related_list = [VehicleProfile.customer]
        super().__init__(VehicleProfile, name="Vehicle Profiles", endpoint="vehicle_profiles", category=CATEGORY)


class VehicleHistoryView(SecureModelView):
    area = "customers"
    simple_list_pager = True
    column_list = ("vehicle", "service_date", "service_type", "mileage", "total_cost", "is_return_visit")
    column_labels = {
        "service_date": "Date",
        "service_type": "Service",
        "total_cost": "Total cost",
        "is_return_visit": "Comeback",
    }
    column_formatters = {"service_type": status_badge}
    column_default_sort = [("service_date", True), ("id", True)]
    column_filters = ("service_type", "service_date", "is_return_visit", "follow_up_required", "insurance_claim")
    column_searchable_list = ("claim_number",)

    def __init__(self) -> None:
        self.column_select_related_list = [VehicleHistory.vehicle]
        super().__init__(VehicleHistory, name="Service History", endpoint="vehicle_histories", category=CATEGORY)


class ContactTimelineView(SecureModelView):
    area = "customers"
    simple_list_pager = True
    column_list = (
        "customer",
        "repair_order",
        "communication_method",
        "direction",
        "status",
        "subject",
        "scheduled_at",
        "requires_followup",
        "followup_date",
    )
    column_labels = {
        "repair_order": "RO",
        "communication_method": "Method",
        "scheduled_at": "Scheduled",
        "requires_followup": "Follow-up",
        "followup_date": "Follow-up date",
    }
    column_formatters = {
        "communication_method": status_badge,
        "direction": status_badge,
        "status": status_badge,
    }
    column_default_sort = [("id", True)]
    column_filters = (
        "communication_method",
        "direction",
        "status",
        "requires_followup",
        "followup_completed",
        "scheduled_at",
        "followup_date",
        "created_at",
    )

    def __init__(self) -> None:
        self.column_select_related_list = [ContactTimeline.customer, ContactTimeline.repair_order]
        super().__init__(ContactTimeline, name="Contact Timeline", endpoint="contact_timeline", category=CATEGORY)


def views() -> list[BaseView]:
    return [CustomerView(), VehicleView(), VehicleProfileView(), VehicleHistoryView(), ContactTimelineView()]
