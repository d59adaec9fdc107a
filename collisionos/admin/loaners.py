"""Loaners: the shop's courtesy fleet and the reservations that hand a car to a customer.

The views only parse what staff typed and call one use case of ``services/loaners.py``; the rules
(conflicts, checks at pickup, the bill) live there and in ``domain/loaners.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import flash, url_for
from flask_admin.base import BaseView
from flask_login import current_user

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import local_datetime, money, status_badge
from collisionos.admin.workflow import (
    ActionForm,
    Field,
    form_bool,
    form_datetime,
    form_decimal,
    form_int,
    form_text,
    local_input,
)
from collisionos.domain.errors import DomainError
from collisionos.domain.loaners import UNRESERVABLE_STATUSES, words
from collisionos.domain.permissions import Action, sees_money
from collisionos.extensions import db
from collisionos.models import LoanerReservation, LoanerVehicle
from collisionos.models.enums import LoanerStatus
from collisionos.services import loaners as svc
from collisionos.tenancy import current_shop_id

CATEGORY = "Loaners"

# Moved only by the workflow actions, never typed into a form (that would skip the rules).
VEHICLE_WORKFLOW_COLUMNS = ("current_status", "status_change_date", "current_renter")
RESERVATION_WORKFLOW_COLUMNS = (
    "reservation_number",
    "reservation_status",
    "status_change_date",
    "status_change_reason",
    "status_changed_by",
    "loaner_vehicle",
    "customer",
    "repair_order",
    "claim",
    "requested_start_date",
    "requested_end_date",
    "confirmed_start_date",
    "confirmed_end_date",
    "actual_pickup_date",
    "actual_return_date",
    "pickup_odometer",
    "return_odometer",
    "pickup_fuel_level",
    "return_fuel_level",
    "pickup_inspection_complete",
    "return_inspection_complete",
    "pickup_inspected_by",
    "return_inspected_by",
    "total_miles_driven",
    "excess_mileage",
    "total_rental_days",
    "excess_mileage_charge",
    "total_rental_charge",
    "total_amount",
    "amount_covered_by_insurance",
    "customer_responsible_amount",
    "additional_charges",
    "additional_charges_description",
    "total_allowance",
    "allowance_start_date",
    "allowance_end_date",
    "has_conflict",
    "security_deposit_collected",
)
# What the create form asks for; it books through the same use case as the Reserve form.
RESERVATION_CREATE_FIELDS = (
    "customer",
    "repair_order",
    "claim",
    "loaner_vehicle",
    "requested_start_date",
    "requested_end_date",
    "primary_driver_name",
    *sorted(svc.RESERVATION_DETAILS),
)
VEHICLE_MOVE_LABELS = {
    LoanerStatus.AVAILABLE: ("Make available", "success"),
    LoanerStatus.CLEANING: ("Send to cleaning", "secondary"),
    LoanerStatus.INSPECTION: ("Send to inspection", "secondary"),
    LoanerStatus.MAINTENANCE: ("Send to maintenance", "warning"),
    LoanerStatus.OUT_OF_SERVICE: ("Out of service", "danger"),
    LoanerStatus.RETIRED: ("Retire", "danger"),
}
NEEDS_REASON = frozenset({LoanerStatus.OUT_OF_SERVICE, LoanerStatus.RETIRED})


def _drop_fields(form_class: Any, keep: Any = None, drop: Any = ()) -> Any:
    for name in [n for n in dir(form_class) if not n.startswith("_")]:
        if not hasattr(getattr(form_class, name), "field_class"):
            continue
        if (keep is not None and name not in keep) or name in drop:
            delattr(form_class, name)
    return form_class


def _id(value: Any) -> Any:
    return getattr(value, "id", None)


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

    workflow_actions = {"move": ("action_move", Action.EDIT), "reserve": ("action_reserve", Action.CREATE)}
    details_extra_template = "admin/workflow/loaner_bookings.html"

    def __init__(self) -> None:
        self.column_select_related_list = [LoanerVehicle.current_renter]
        super().__init__(LoanerVehicle, name="Loaner Fleet", endpoint="loaner_fleet", category=CATEGORY)

    def get_form(self) -> Any:
        return _drop_fields(super().get_form(), drop=VEHICLE_WORKFLOW_COLUMNS)

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        items: list[ActionForm] = []
        if self.may_run("move"):
            for target in svc.vehicle_moves(model):
                label, style = VEHICLE_MOVE_LABELS.get(target, (str(target), "secondary"))
                fields = [Field("note", "Reason", required=True)] if target in NEEDS_REASON else []
                items.append(
                    ActionForm("move", label, fields=fields, style=style, hidden={"target": target}, group="Status")
                )
        if self.may_run("reserve") and model.can_be_reserved and model.current_status not in UNRESERVABLE_STATUSES:
            items.append(
                ActionForm(
                    "reserve",
                    "Reserve",
                    fields=[
                        Field("repair_order_number", "RO number", required=True, placeholder="RO10452"),
                        Field("driver_name", "Driver", required=True),
                        Field("start", "Pickup", kind="datetime", required=True, value=local_input(self.now())),
                        Field("end", "Return", kind="datetime", required=True),
                    ],
                    group="Reserve",
                    note="The customer is the RO's; the insurer's rental allowance comes from its claim.",
                )
            )
        return items

    def upcoming_reservations(self, model: Any) -> list[LoanerReservation]:
        """The vehicle's reservations still to come or out now, soonest first."""
        return list(
            db.session.scalars(
                sa.select(LoanerReservation)
                .where(
                    LoanerReservation.loaner_vehicle_id == model.id,
                    LoanerReservation.shop_id == current_shop_id(),
                    LoanerReservation.reservation_status.in_(svc.OPEN_STATUSES),
                )
                .order_by(LoanerReservation.requested_start_date, LoanerReservation.id)
                .limit(50)
            )
        )

    def reservation_url(self, reservation: Any) -> str:
        return url_for("loaner_reservations.details_view", id=reservation.id)

    def local_time(self, value: Any) -> str:
        return local_datetime(value)

    def action_move(self, row_id: str, form: Mapping[str, str]) -> str:
        target = form_text(form, "target", required="Choose where the vehicle goes.") or ""
        vehicle = svc.move_loaner_vehicle(
            current_shop_id(), row_id, target, note=form_text(form, "note"), actor=self.actor, now=self.now()
        )
        return f"{vehicle.unit_id} is now {words(vehicle.current_status)}."

    def action_reserve(self, row_id: str, form: Mapping[str, str]) -> str:
        reservation = svc.reserve_loaner(
            current_shop_id(),
            loaner_vehicle_id=row_id,
            repair_order_number=form_text(form, "repair_order_number", required="Enter the RO number."),
            driver_name=form_text(form, "driver_name", required="Enter the driver's name."),
            start=form_datetime(form, "start", "Pickup", required=True),  # type: ignore[arg-type]
            end=form_datetime(form, "end", "Return", required=True),  # type: ignore[arg-type]
            actor=self.actor,
            now=self.now(),
        )
        return (
            f"Reserved {reservation.loaner_vehicle.unit_id} as {reservation.reservation_number} from "
            f"{local_datetime(reservation.requested_start_date)} to {local_datetime(reservation.requested_end_date)}."
        )


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

    workflow_actions = {
        "confirm": ("action_confirm", Action.EDIT),
        "check_out": ("action_check_out", Action.EDIT),
        "check_in": ("action_check_in", Action.EDIT),
        "cancel": ("action_cancel", Action.EDIT),
        "no_show": ("action_no_show", Action.EDIT),
    }
    details_extra_template = "admin/workflow/loaner_bill.html"

    def __init__(self) -> None:
        self.column_select_related_list = [
            LoanerReservation.customer,
            LoanerReservation.loaner_vehicle,
            LoanerReservation.repair_order,
        ]
        super().__init__(
            LoanerReservation, name="Loaner Reservations", endpoint="loaner_reservations", category=CATEGORY
        )

    # --- forms: creating books through the use case; editing never touches what the workflow owns ---------
    def get_create_form(self) -> Any:
        return _drop_fields(self.get_form(), keep=RESERVATION_CREATE_FIELDS)

    def get_edit_form(self) -> Any:
        return _drop_fields(self.get_form(), drop=RESERVATION_WORKFLOW_COLUMNS)

    def create_model(self, form: Any) -> Any:
        data = form.data
        details = {key: data[key] for key in svc.RESERVATION_DETAILS if key in data}
        db.session.rollback()  # the form's lookups leave nothing to save; the use case starts clean
        try:
            return svc.reserve_loaner(
                current_shop_id(),
                loaner_vehicle_id=_id(data.get("loaner_vehicle")),
                customer_id=_id(data.get("customer")),
                repair_order_id=_id(data.get("repair_order")),
                claim_id=_id(data.get("claim")),
                start=data.get("requested_start_date"),
                end=data.get("requested_end_date"),
                driver_name=data.get("primary_driver_name"),
                details=details,
                actor=self.actor,
                now=self.now(),
            )
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return False

    # --- the details page ---------------------------------------------------------------------------------
    def workflow_warnings(self, model: Any) -> list[str]:
        return svc.loaner_warnings_for_reservation(model, self.now())

    def workflow_panel(self, model: Any) -> list[ActionForm]:
        builders = {
            "confirm": self._confirm_form,
            "check_out": self._check_out_form,
            "check_in": self._check_in_form,
            "cancel": self._cancel_form,
            "no_show": self._no_show_form,
        }
        return [
            builders[action](model) for action in svc.reservation_actions(model, self.now()) if self.may_run(action)
        ]

    def _confirm_form(self, model: Any) -> ActionForm:
        fields = []
        if model.eligibility_source == "insurance" and not model.eligibility_verified:
            fields = [
                Field("eligibility_verified", "Insurer approved the rental", kind="checkbox"),
                Field("authorization_number", "Authorization no.", value=model.authorization_number),
            ]
        return ActionForm("confirm", "Confirm", fields=fields, style="success")

    def _check_out_form(self, model: Any) -> ActionForm:
        vehicle = model.loaner_vehicle
        fields = [
            Field(
                "odometer",
                "Odometer",
                kind="number",
                required=True,
                value=vehicle.current_odometer if vehicle else None,
            ),
            Field("fuel_level", "Fuel %", kind="number", required=True, value=vehicle.fuel_level if vehicle else None),
            Field(
                "condition_notes", "Condition", kind="textarea", required=True, placeholder="scratches, dents, clean"
            ),
            Field("driver_licence", "Licence no.", value=model.primary_driver_license),
            Field("licence_checked", "Licence checked", kind="checkbox"),
            Field("insurance_verified", "Insurance verified", kind="checkbox"),
            Field("agreement_signed", "Agreement signed", kind="checkbox"),
        ]
        if model.security_deposit_required:
            amount = f" {money(model.security_deposit_amount)}" if model.security_deposit_amount else ""
            fields.append(Field("deposit_collected", f"Deposit{amount} collected", kind="checkbox"))
        return ActionForm("check_out", "Check out", fields=fields, group="Actions")

    def _check_in_form(self, model: Any) -> ActionForm:
        fields = [
            Field("odometer", "Odometer", kind="number", required=True, placeholder=f"≥ {model.pickup_odometer}"),
            Field("fuel_level", "Fuel %", kind="number", required=True),
            Field("new_damage", "New damage", kind="checkbox"),
            Field("damage_description", "Damage", kind="textarea"),
        ]
        if self._shows_money():
            fields += [
                Field("other_charges", "Other charges", kind="money"),
                Field("other_charges_description", "For"),
            ]
        return ActionForm("check_in", "Check in", fields=fields, group="Actions")

    def _cancel_form(self, _model: Any) -> ActionForm:
        return ActionForm(
            "cancel",
            "Cancel reservation",
            fields=[Field("reason", "Reason", required=True)],
            style="danger",
            group="Cancel",
        )

    def _no_show_form(self, _model: Any) -> ActionForm:
        return ActionForm(
            "no_show", "No-show", style="secondary", confirm="Record that the customer did not come?", group="Cancel"
        )

    def _shows_money(self) -> bool:
        return bool(current_user and current_user.is_authenticated and sees_money(current_user.role))

    def bill_rows(self, model: Any) -> list[tuple[str, str]]:
        """The bill of a returned loaner, line by line (empty before check-in or for roles that see no money)."""
        if model.total_amount is None or not self._shows_money():
            return []
        unit = "mi" if model.loaner_vehicle and model.loaner_vehicle.odometer_unit == "miles" else "km"
        rows = [
            ("Days", f"{model.total_rental_days} × {money(model.base_rental_rate)}"),
            ("Rental", money(model.total_rental_charge)),
            ("Driven", f"{model.total_miles_driven or 0:,} {unit} ({model.excess_mileage or 0:,} {unit} over)"),
            ("Distance charge", money(model.excess_mileage_charge)),
            ("Additional charges", f"{money(model.additional_charges)} {model.additional_charges_description or ''}"),
            ("Total", money(model.total_amount)),
            ("Insurer pays", money(model.amount_covered_by_insurance)),
            ("Customer pays", money(model.customer_responsible_amount)),
        ]
        return [(label, value.strip()) for label, value in rows]

    # --- actions ------------------------------------------------------------------------------------------
    def action_confirm(self, row_id: str, form: Mapping[str, str]) -> str:
        reservation = svc.confirm_reservation(
            current_shop_id(),
            row_id,
            eligibility_verified=form_bool(form, "eligibility_verified"),
            authorization_number=form_text(form, "authorization_number", limit=100),
            actor=self.actor,
            now=self.now(),
        )
        return f"{reservation.reservation_number} is confirmed."

    def action_check_out(self, row_id: str, form: Mapping[str, str]) -> str:
        reservation = svc.check_out_loaner(
            current_shop_id(),
            row_id,
            odometer=form_int(form, "odometer", "Odometer"),
            fuel_level=form_int(form, "fuel_level", "Fuel level"),
            condition_notes=form_text(form, "condition_notes"),
            licence_checked=form_bool(form, "licence_checked"),
            insurance_verified=form_bool(form, "insurance_verified"),
            agreement_signed=form_bool(form, "agreement_signed"),
            deposit_collected=form_bool(form, "deposit_collected"),
            driver_licence=form_text(form, "driver_licence", limit=50),
            actor=self.actor,
            now=self.now(),
        )
        return (
            f"{reservation.loaner_vehicle.unit_id} checked out on {reservation.reservation_number} at "
            f"{reservation.pickup_odometer:,} with {reservation.pickup_fuel_level} % fuel."
        )

    def action_check_in(self, row_id: str, form: Mapping[str, str]) -> str:
        result = svc.check_in_loaner(
            current_shop_id(),
            row_id,
            odometer=form_int(form, "odometer", "Odometer"),
            fuel_level=form_int(form, "fuel_level", "Fuel level"),
            new_damage=form_bool(form, "new_damage"),
            damage_description=form_text(form, "damage_description"),
            other_charges=form_decimal(form, "other_charges", "Other charges"),
            other_charges_description=form_text(form, "other_charges_description", limit=200),
            actor=self.actor,
            now=self.now(),
        )
        reservation, bill = result.reservation, result.bill
        message = f"{reservation.reservation_number} checked in: {bill.days} day(s), {bill.driven:,} driven"
        if not self._shows_money():
            return message + "."
        message += f"; rental {money(bill.rental_charge)}"
        if bill.excess:
            message += f", {bill.excess:,} over the allowance {money(bill.excess_charge)}"
        if bill.fuel_charge:
            message += f", fuel {money(bill.fuel_charge)}"
        if bill.additional_charges != bill.fuel_charge:
            message += f", other {money(bill.additional_charges - bill.fuel_charge)}"
        return (
            message + f"; total {money(bill.total)}: insurer {money(bill.insurance_pays)}, "
            f"customer {money(bill.customer_pays)}."
        )

    def action_cancel(self, row_id: str, form: Mapping[str, str]) -> str:
        reservation = svc.cancel_reservation(
            current_shop_id(), row_id, reason=form_text(form, "reason"), actor=self.actor, now=self.now()
        )
        return f"{reservation.reservation_number} is cancelled."

    def action_no_show(self, row_id: str, _form: Mapping[str, str]) -> str:
        reservation = svc.mark_no_show(current_shop_id(), row_id, actor=self.actor, now=self.now())
        return f"{reservation.reservation_number} is recorded as a no-show."


def views() -> list[BaseView]:
    return [LoanerVehicleView(), LoanerReservationView()]
