"""Keep the normalised search keys in step with the columns they come from, on every ORM save."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from collisionos.domain.search_keys import alnum_key, email_key, name_key, phone_key, reversed_vin
from collisionos.models.customers import Customer
from collisionos.models.insurance import ClaimManagement
from collisionos.models.loaners import LoanerVehicle
from collisionos.models.vehicles import Vehicle, VehicleProfile


def customer_keys(customer: Any) -> None:
    customer.phone_key = phone_key(customer.phone)
    customer.mobile_key = phone_key(customer.mobile)
    customer.last_name_key = name_key(customer.last_name)
    customer.email = email_key(customer.email)


def vehicle_keys(vehicle: Any) -> None:
    vehicle.vin_reversed = reversed_vin(vehicle.vin)
    vehicle.plate_key = alnum_key(vehicle.license_plate)


def loaner_keys(loaner: Any) -> None:
    loaner.plate_key = alnum_key(loaner.license_plate)


def claim_keys(claim: Any) -> None:
    claim.claim_key = alnum_key(claim.claim_number)


KEYS = {
    Customer: customer_keys,
    Vehicle: vehicle_keys,
    VehicleProfile: vehicle_keys,
    LoanerVehicle: loaner_keys,
    ClaimManagement: claim_keys,
}


def _listen(model: type, fill: Any) -> None:
    @event.listens_for(model, "before_insert")
    @event.listens_for(model, "before_update")
    def _fill(_mapper: Any, _connection: Any, target: Any) -> None:
        fill(target)


for _model, _fill_keys in KEYS.items():
    _listen(_model, _fill_keys)
