"""factory_boy factories: a test states only what matters to it."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from collisionos.domain.passwords import hash_password
from collisionos.extensions import db
from collisionos.models import (
    ClaimManagement,
    Customer,
    Estimate,
    EstimateLineItem,
    InsuranceCompany,
    LoanerReservation,
    LoanerVehicle,
    PartLine,
    ProductionStage,
    ProductionWorkflow,
    PurchaseOrder,
    RepairOrder,
    Shop,
    User,
    Vehicle,
    VehicleProfile,
    Vendor,
)
from collisionos.models.base import utcnow
from collisionos.services.seed.vins import make_vin

_vin_rng = random.Random(99)
_hash_cache: dict[str, str] = {}


def _hashed(password: str) -> str:
    # argon2 is deliberately slow: hash each test password once per run.
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class ShopFactory(Base):
    class Meta:
        model = Shop

    name = factory.Sequence(lambda n: f"Test Collision {n}")
    email = factory.Sequence(lambda n: f"shop{n}@shop.example")
    phone = "905-555-0100"
    address = "1 Main St"
    city = "Mississauga"
    state = "ON"
    postal_code = "L5B 1A1"


class UserFactory(Base):
    class Meta:
        model = User
        exclude = ("password_plain",)

    shop = factory.SubFactory(ShopFactory)
    password_plain = "correct-horse-battery"
    email = factory.Sequence(lambda n: f"user{n}@staff.example")
    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    role = "technician"
    password = factory.LazyAttribute(lambda o: _hashed(o.password_plain))
    session_token = factory.Sequence(lambda n: f"token{n}")


class CustomerFactory(Base):
    class Meta:
        model = Customer

    shop = factory.SubFactory(ShopFactory)
    customer_number = factory.Sequence(lambda n: f"CUST-{n + 1:04d}")
    first_name = "Jane"
    last_name = factory.Sequence(lambda n: f"Smith{n}")
    phone = "905-555-0199"
    email = factory.Sequence(lambda n: f"jane{n}@example.com")


class VehicleFactory(Base):
    class Meta:
        model = Vehicle

    shop = factory.LazyAttribute(lambda o: o.customer.shop)
    customer = factory.SubFactory(CustomerFactory)
    vin = factory.LazyFunction(lambda: make_vin(_vin_rng, "2HG", 2021))
    year = 2021
    make = "Honda"
    model = "Civic"
    license_plate = factory.Sequence(lambda n: f"ABCD{n:03d}")


class VehicleProfileFactory(Base):
    class Meta:
        model = VehicleProfile

    vehicle = factory.SubFactory(VehicleFactory)
    shop = factory.LazyAttribute(lambda o: o.vehicle.shop)
    customer = factory.LazyAttribute(lambda o: o.vehicle.customer)
    vin = factory.LazyAttribute(lambda o: o.vehicle.vin)
    license_plate = factory.LazyAttribute(lambda o: o.vehicle.license_plate)
    year = 2021
    make = "Honda"
    model = "Civic"


class InsuranceCompanyFactory(Base):
    class Meta:
        model = InsuranceCompany

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"Insurer {n}")


class ClaimFactory(Base):
    class Meta:
        model = ClaimManagement

    vehicle_profile = factory.SubFactory(VehicleProfileFactory)
    shop = factory.LazyAttribute(lambda o: o.vehicle_profile.shop)
    customer = factory.LazyAttribute(lambda o: o.vehicle_profile.customer)
    insurance_company = factory.LazyAttribute(lambda o: InsuranceCompanyFactory(shop=o.shop))
    claim_number = factory.Sequence(lambda n: f"CLM-{n:05d}")
    deductible_amount = Decimal("500.00")


_ro_numbers = itertools.count(10001)


class RepairOrderFactory(Base):
    class Meta:
        model = RepairOrder

    vehicle_profile = factory.SubFactory(VehicleProfileFactory)
    shop = factory.LazyAttribute(lambda o: o.vehicle_profile.shop)
    customer = factory.LazyAttribute(lambda o: o.vehicle_profile.customer)
    repair_order_number = factory.LazyFunction(lambda: f"RO{next(_ro_numbers)}")
    ro_status = "draft"
    date_created = factory.LazyFunction(utcnow)


class VendorFactory(Base):
    class Meta:
        model = Vendor

    shop = factory.SubFactory(ShopFactory)
    vendor_number = factory.Sequence(lambda n: f"VEND-{n + 1:04d}")
    name = factory.Sequence(lambda n: f"Parts Supplier {n}")
    vendor_code = factory.Sequence(lambda n: f"V{n:03d}")


class PartLineFactory(Base):
    class Meta:
        model = PartLine

    repair_order = factory.SubFactory(RepairOrderFactory)
    shop = factory.LazyAttribute(lambda o: o.repair_order.shop)
    line_number = factory.Sequence(lambda n: n + 1)
    part_description = "Front bumper cover"
    part_category = "body_panel"
    quantity_ordered = Decimal("1")
    list_price = Decimal("412.50")


class PurchaseOrderFactory(Base):
    class Meta:
        model = PurchaseOrder

    repair_order = factory.SubFactory(RepairOrderFactory)
    shop = factory.LazyAttribute(lambda o: o.repair_order.shop)
    vendor = factory.LazyAttribute(lambda o: VendorFactory(shop=o.shop))
    ro_number = factory.LazyAttribute(lambda o: o.repair_order.repair_order_number)
    year_month = "2611"
    vendor_code = factory.LazyAttribute(lambda o: o.vendor.vendor_code)
    sequence_number = factory.Sequence(lambda n: n + 1)
    purchase_order_number = factory.LazyAttribute(
        lambda o: f"{o.ro_number}-{o.year_month}-{o.vendor_code}-{o.sequence_number:03d}"
    )
    vendor_name = factory.LazyAttribute(lambda o: o.vendor.name)


class ProductionStageFactory(Base):
    class Meta:
        model = ProductionStage

    shop = factory.SubFactory(ShopFactory)
    stage_name = factory.Sequence(lambda n: f"Stage {n}")
    stage_code = factory.Sequence(lambda n: f"STAGE_{n}")
    category = "repair"
    stage_order = factory.Sequence(lambda n: n + 1)


class ProductionWorkflowFactory(Base):
    class Meta:
        model = ProductionWorkflow

    repair_order = factory.SubFactory(RepairOrderFactory)
    shop = factory.LazyAttribute(lambda o: o.repair_order.shop)
    stage_name = "Body work"
    stage_order = factory.Sequence(lambda n: n + 1)
    stage_type = "body_work"
    stage_category = "body"


class EstimateFactory(Base):
    class Meta:
        model = Estimate

    vehicle = factory.SubFactory(VehicleFactory)
    shop = factory.LazyAttribute(lambda o: o.vehicle.shop)
    customer = factory.LazyAttribute(lambda o: o.vehicle.customer)
    estimate_number = factory.Sequence(lambda n: f"EST-261125-{n + 1:03d}")
    created_by = factory.LazyAttribute(lambda o: UserFactory(shop=o.shop).id)


class EstimateLineItemFactory(Base):
    class Meta:
        model = EstimateLineItem

    estimate = factory.SubFactory(EstimateFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    type = "part"
    description = "Front bumper cover"
    quantity = Decimal("1")
    unit_price = Decimal("412.50")
    total_price = Decimal("412.50")


class LoanerVehicleFactory(Base):
    class Meta:
        model = LoanerVehicle

    shop = factory.SubFactory(ShopFactory)
    unit_id = factory.Sequence(lambda n: f"L-{n:02d}")
    license_plate = factory.Sequence(lambda n: f"LNR{n:03d}")
    vin = factory.LazyFunction(lambda: make_vin(_vin_rng, "2T1", 2023))
    year = 2023
    make = "Toyota"
    model = "Corolla"
    vehicle_class = "compact"


class LoanerReservationFactory(Base):
    class Meta:
        model = LoanerReservation

    loaner_vehicle = factory.SubFactory(LoanerVehicleFactory)
    shop = factory.LazyAttribute(lambda o: o.loaner_vehicle.shop)
    customer = factory.LazyAttribute(lambda o: CustomerFactory(shop=o.shop))
    reservation_number = factory.Sequence(lambda n: f"RES-261125-{n + 1:03d}")
    requested_start_date = factory.LazyFunction(utcnow)
    requested_end_date = factory.LazyAttribute(lambda o: o.requested_start_date.replace(microsecond=0) + _days(3))
    primary_driver_name = "Jane Smith"


def _days(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(days=n)


def repair_order_in(shop, **kwargs):  # type: ignore[no-untyped-def]
    """An RO of ``shop`` (its own customer, vehicle and profile): RepairOrderFactory alone makes a new shop."""
    customer = CustomerFactory(shop=shop)
    profile = VehicleProfileFactory(vehicle=VehicleFactory(customer=customer))
    return RepairOrderFactory(vehicle_profile=profile, **kwargs)
