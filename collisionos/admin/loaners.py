"""Loaners: the shop's courtesy fleet and the reservations that hand a car to a customer."""

from __future__ import annotations

from typing import Any

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import LoanerReservation, LoanerVehicle

CATEGORY = "Loaners"


def year_make_model(_view: Any, _context: Any, model: Any, _name: str) -> str:
    return " ".join(str(v) for v in (model.year, model.make, model.model) if v)


class LoanerVehicleView(SecureModelView):
    area = "jobs"
    column_list = (
        "unit_id",
        "vehicle",
        "license_plate",
        "vehicle_class",
        "current_status",
        "current_odometer",
        "fuel_level",
        "current_renter",
    )
    column_labels = {
        "unit_id": "Unit",
        "vehicle": "Vehicle",
        "license_plate": "Plate",
        "vehicle_class": "Class",
        "current_status": "Status",
        "current_odometer": "Odometer",
        "fuel_level": "Fuel %",
        "current_renter": "Renter",
    }
    column_formatters = {
        "vehicle": year_make_model,
        "vehicle_class": status_badge,
        "current_status": status_badge,
    }
    column_default_sort = [("unit_id", False), ("id", False)]
    column_filters = ("current_status", "vehicle_class", "can_be_reserved", "has_current_damage", "next_service_due")
    column_searchable_list = ("unit_id", "license_plate")

    def __init__(self) -> None:
        self.column_select_related_list = [LoanerVehicle.current_renter]
        super().__init__(LoanerVehicle, name="Loaner Fleet", endpoint="loaner_fleet", category=CATEGORY)


class LoanerReservationView(SecureModelView):
    area = "jobs"
    column_list = (
        "reservation_number",
        "customer",
        "loaner_vehicle",
        "repair_order",
        "reservation_status",
        "requested_start_date",
        "requested_end_date",
    )
    column_labels = {
        "reservation_number": "Reservation",
        "loaner_vehicle": "Loaner",
        "repair_order": "RO",
        "reservation_status": "Status",
        "requested_start_date": "From",
        "requested_end_date": "To",
    }
    column_formatters = {"reservation_status": status_badge}
    column_default_sort = [("requested_start_date", True), ("id", True)]
    column_filters = ("reservation_status", "requested_start_date", "requested_end_date", "actual_return_date")
    column_searchable_list = ("reservation_number", "primary_driver_name")

    def __init__(self) -> None:
        self.column_select_related_list = [
            LoanerReservation.customer,
            LoanerReservation.loaner_vehicle,
            LoanerReservation.repair_order,
        ]
        super().__init__(
            LoanerReservation, name="Loaner Reservations", endpoint="loaner_reservations", category=CATEGORY
        )


def views() -> list[BaseView]:
    return [LoanerVehicleView(), LoanerReservationView()]
