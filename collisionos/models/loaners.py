"""The loaner fleet and its reservations."""

from __future__ import annotations

from sqlalchemy.orm import validates

from collisionos.domain.vin import validate_vin
from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    integer,
    money,
    percent,
    string,
    time,
    time_column,
    timestamp,
    user_fk,
)
from collisionos.models.enums import MILEAGE_UNITS, VEHICLE_CLASSES, LoanerStatus, ReservationStatus

LOANER_VEHICLE_TYPES = ("loaner", "rental", "courtesy", "demo", "shop_vehicle")
LOANER_FUEL_TYPES = ("gasoline", "diesel", "hybrid", "electric")
CONDITIONS = ("excellent", "very_good", "good", "fair", "poor")
SAFETY_INSPECTION_STATUSES = ("current", "due_soon", "overdue", "not_applicable")
TRANSMISSION_TYPES = ("manual", "automatic", "cvt")
KEY_TYPES = ("traditional", "transponder", "smart_key", "proximity")
DRIVING_RECORD_REQUIREMENTS = ("none", "clean", "minor_violations_ok", "case_by_case")
ELIGIBILITY_SOURCES = ("insurance", "warranty", "goodwill", "customer_pay")
COVERAGE_TYPES = ("full_coverage", "basic_coverage", "liability_only", "customer_insurance", "none")
PAYMENT_METHODS = ("cash", "credit_card", "debit_card", "check", "insurance_direct", "account_billing")
CONTACT_PREFERENCES = ("phone", "email", "text", "mail")


class LoanerVehicle(Timestamped, ShopOwned, UserStamped, db.Model):
    """A courtesy or loaner vehicle of the shop, with status, odometer, fuel, damage, service and rates."""

    __tablename__ = "loaner_fleet_management"
    __table_args__ = (
        db.Index(
            "ix_loaner_fleet_management_shop_plate_key",
            "shop_id",
            "plate_key",
            postgresql_ops={"plate_key": "text_pattern_ops"},
        ),
        db.UniqueConstraint("shop_id", "unit_id", name="uq_loaner_fleet_management_shop_id_unit_id"),
        db.UniqueConstraint("shop_id", "vin", name="uq_loaner_fleet_management_shop_id_vin"),
        db.CheckConstraint("length(vin) = 17", name="loaner_fleet_management_vin_length"),
        db.Index("ix_loaner_fleet_management_shop_class_status", "shop_id", "vehicle_class", "current_status"),
    )

    current_renter_id: Mapped[int | None] = fk("customers", ondelete="SET NULL", nullable=True)
    damage_reported_by: Mapped[int | None] = user_fk()

    unit_id: Mapped[str] = string(50, nullable=False)
    license_plate: Mapped[str] = string(20, nullable=False, index=True)
    plate_province: Mapped[str | None] = string(3)
    vin: Mapped[str] = string(17, nullable=False)
    year: Mapped[int] = integer(nullable=False, ge=1990, le=2050)
    make: Mapped[str] = string(100, nullable=False)
    model: Mapped[str] = string(100, nullable=False)
    trim: Mapped[str | None] = string(100)
    color: Mapped[str | None] = string(100)
    body_style: Mapped[str | None] = string(50)
    vehicle_class: Mapped[str] = enum_column(
        "loaner_fleet_management", "vehicle_class", VEHICLE_CLASSES, nullable=False, index=True
    )
    vehicle_type: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "vehicle_type", LOANER_VEHICLE_TYPES, default="loaner"
    )
    seating_capacity: Mapped[int | None] = integer(ge=2, le=15)

    current_status: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "current_status", LoanerStatus, default=LoanerStatus.AVAILABLE, index=True
    )
    status_change_date: Mapped[datetime | None] = timestamp()
    current_location: Mapped[str | None] = string(100)
    is_on_premises: Mapped[bool] = boolean(True)

    current_odometer: Mapped[int] = integer(nullable=False, default=0, ge=0)
    last_odometer_reading: Mapped[int | None] = integer(ge=0)
    odometer_unit: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "odometer_unit", MILEAGE_UNITS, default="kilometers"
    )
    total_rental_miles: Mapped[int] = integer(nullable=False, default=0, ge=0)
    fuel_level: Mapped[int | None] = integer(ge=0, le=100)
    fuel_type: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "fuel_type", LOANER_FUEL_TYPES, default="gasoline"
    )
    # (p) Needed for the fuel charge of DOMAIN.md §5.8.
    fuel_tank_capacity: Mapped[Decimal | None] = decimal(6, 2, ge=0)
    # Normalised search keys, filled from the columns above on every save (domain/search_keys.py).
    plate_key: Mapped[str | None] = string(20)

    overall_condition: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "overall_condition", CONDITIONS, default="good"
    )
    has_current_damage: Mapped[bool] = boolean(False)
    damage_report_date: Mapped[datetime | None] = timestamp()
    insurance_expiry_date: Mapped[datetime | None] = timestamp()
    registration_expiry_date: Mapped[datetime | None] = timestamp()

    next_service_due: Mapped[datetime | None] = timestamp()
    next_service_odometer: Mapped[int | None] = integer(ge=0)
    last_service_odometer: Mapped[int | None] = integer(ge=0)
    service_interval_miles: Mapped[int] = integer(nullable=False, default=5000, ge=0)
    last_safety_inspection: Mapped[datetime | None] = timestamp()
    next_safety_inspection_due: Mapped[datetime | None] = timestamp()
    safety_inspection_status: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "safety_inspection_status", SAFETY_INSPECTION_STATUSES, default="current"
    )

    transmission_type: Mapped[str | None] = enum_column(
        "loaner_fleet_management", "transmission_type", TRANSMISSION_TYPES, default="automatic"
    )
    key_type: Mapped[str | None] = enum_column("loaner_fleet_management", "key_type", KEY_TYPES, default="transponder")
    key_count: Mapped[int] = integer(nullable=False, default=2, ge=0)

    can_be_reserved: Mapped[bool] = boolean(True)
    minimum_rental_days: Mapped[int] = integer(nullable=False, default=1, ge=0)
    maximum_rental_days: Mapped[int] = integer(nullable=False, default=30, ge=0)
    advance_booking_days: Mapped[int] = integer(nullable=False, default=30, ge=0)
    daily_rental_rate: Mapped[Decimal | None] = money()
    weekly_rental_rate: Mapped[Decimal | None] = money()
    monthly_rental_rate: Mapped[Decimal | None] = money()
    security_deposit: Mapped[Decimal | None] = money()
    mileage_rate: Mapped[Decimal | None] = decimal(6, 3, ge=0)
    mileage_allowance_daily: Mapped[int | None] = integer(ge=0)

    total_rentals: Mapped[int] = integer(nullable=False, default=0, ge=0)
    total_rental_days: Mapped[int] = integer(nullable=False, default=0, ge=0)
    average_rental_duration: Mapped[Decimal | None] = decimal(5, 2, ge=0)
    utilization_rate: Mapped[Decimal | None] = percent()
    revenue_generated_total: Mapped[Decimal | None] = money(default=0)

    requires_cleaning: Mapped[bool] = boolean(False)
    last_cleaned_date: Mapped[datetime | None] = timestamp()
    age_restriction: Mapped[int | None] = integer(ge=0)
    driving_record_requirement: Mapped[str | None] = enum_column(
        "loaner_fleet_management",
        "driving_record_requirement",
        DRIVING_RECORD_REQUIREMENTS,
        default="minor_violations_ok",
    )
    credit_check_required: Mapped[bool] = boolean(False)

    purchase_price: Mapped[Decimal | None] = money()
    current_book_value: Mapped[Decimal | None] = money()
    planned_retirement_date: Mapped[datetime | None] = timestamp()
    planned_retirement_odometer: Mapped[int | None] = integer(ge=0)

    current_renter = db.relationship("Customer", foreign_keys=[current_renter_id])
    reservations = db.relationship(
        "LoanerReservation",
        back_populates="loaner_vehicle",
        order_by="LoanerReservation.requested_start_date",
        # "all": leave the FK alone even on loaded rows, so the database's NO ACTION refuses the delete.
        passive_deletes="all",
    )

    @validates("vin")
    def _validate_vin(self, _key: str, value: str) -> str:
        return validate_vin(value)

    def __str__(self) -> str:
        ymm = " ".join(str(v) for v in (self.year, self.make, self.model) if v)
        return " · ".join(p for p in (self.unit_id, ymm, self.license_plate) if p)


class LoanerReservation(Timestamped, ShopOwned, UserStamped, db.Model):
    """A booking of a loaner for a customer or RO, with eligibility, pickup/return inspection and charges."""

    __tablename__ = "loaner_reservations"
    # date_order_check's names would exceed PostgreSQL's 63 characters here, so the checks are spelt out.
    __table_args__ = (
        db.UniqueConstraint("shop_id", "reservation_number", name="uq_loaner_reservations_shop_id_reservation_number"),
        db.CheckConstraint(
            "requested_end_date > requested_start_date", name="loaner_reservations_requested_end_after_start"
        ),
        db.CheckConstraint(
            "confirmed_end_date IS NULL OR confirmed_start_date IS NULL OR confirmed_end_date >= confirmed_start_date",
            name="loaner_reservations_confirmed_end_after_start",
        ),
        db.CheckConstraint(
            "actual_return_date IS NULL OR actual_pickup_date IS NULL OR actual_return_date >= actual_pickup_date",
            name="loaner_reservations_actual_return_after_pickup",
        ),
        db.CheckConstraint(
            "allowance_end_date IS NULL OR allowance_start_date IS NULL OR allowance_end_date >= allowance_start_date",
            name="loaner_reservations_allowance_end_after_start",
        ),
        db.CheckConstraint(
            "return_odometer IS NULL OR pickup_odometer IS NULL OR return_odometer >= pickup_odometer",
            name="loaner_reservations_return_odometer_after_pickup",
        ),
        db.Index("ix_loaner_reservations_vehicle_start", "loaner_vehicle_id", "requested_start_date"),
        db.Index("ix_loaner_reservations_shop_status_start", "shop_id", "reservation_status", "requested_start_date"),
    )

    customer_id: Mapped[int] = fk("customers", ondelete="CASCADE", nullable=False)
    repair_order_id: Mapped[int | None] = fk("repair_order_management", ondelete="SET NULL", nullable=True)
    loaner_vehicle_id: Mapped[int | None] = fk("loaner_fleet_management", ondelete=None, nullable=True)
    claim_management_id: Mapped[int | None] = fk("claim_management", ondelete="SET NULL", nullable=True)
    status_changed_by: Mapped[int | None] = user_fk()
    pickup_inspected_by: Mapped[int | None] = user_fk()
    return_inspected_by: Mapped[int | None] = user_fk()

    reservation_number: Mapped[str] = string(50, nullable=False, index=True)
    reservation_status: Mapped[str | None] = enum_column(
        "loaner_reservations", "reservation_status", ReservationStatus, default=ReservationStatus.PENDING, index=True
    )
    status_change_date: Mapped[datetime | None] = timestamp()
    status_change_reason: Mapped[str | None] = string()

    requested_start_date: Mapped[datetime] = timestamp(nullable=False, index=True)
    requested_end_date: Mapped[datetime] = timestamp(nullable=False)
    confirmed_start_date: Mapped[datetime | None] = timestamp()
    confirmed_end_date: Mapped[datetime | None] = timestamp()
    actual_pickup_date: Mapped[datetime | None] = timestamp()
    actual_return_date: Mapped[datetime | None] = timestamp()
    pickup_location: Mapped[str | None] = string(255, default="shop")
    return_location: Mapped[str | None] = string(255, default="shop")
    pickup_time: Mapped[time | None] = time_column()
    return_time: Mapped[time | None] = time_column()
    requires_delivery: Mapped[bool] = boolean(False)

    preferred_vehicle_class: Mapped[str | None] = enum_column(
        "loaner_reservations", "preferred_vehicle_class", VEHICLE_CLASSES
    )
    alternative_vehicle_class_ok: Mapped[bool] = boolean(True)
    eligibility_verified: Mapped[bool] = boolean(False)
    eligibility_source: Mapped[str | None] = enum_column(
        "loaner_reservations", "eligibility_source", ELIGIBILITY_SOURCES
    )
    authorization_number: Mapped[str | None] = string(100)
    authorizing_party: Mapped[str | None] = string(255)
    coverage_type: Mapped[str | None] = enum_column("loaner_reservations", "coverage_type", COVERAGE_TYPES)
    daily_allowance: Mapped[Decimal | None] = money()
    total_allowance: Mapped[Decimal | None] = money()
    allowance_days: Mapped[int | None] = integer(ge=0)
    allowance_start_date: Mapped[datetime | None] = timestamp()
    allowance_end_date: Mapped[datetime | None] = timestamp()

    primary_driver_name: Mapped[str] = string(255, nullable=False, index=True)
    primary_driver_license: Mapped[str | None] = string(50, index=True)
    primary_driver_age: Mapped[int | None] = integer(ge=0)
    max_additional_drivers: Mapped[int] = integer(nullable=False, default=0, ge=0)
    customer_insurance_verified: Mapped[bool] = boolean(False)
    customer_id_verified: Mapped[bool] = boolean(False)
    driving_record_checked: Mapped[bool] = boolean(False)
    rental_agreement_signed: Mapped[bool] = boolean(False)
    waiver_signed: Mapped[bool] = boolean(False)
    insurance_waiver_signed: Mapped[bool] = boolean(False)
    shop_insurance_applies: Mapped[bool] = boolean(True)

    pickup_odometer: Mapped[int | None] = integer(ge=0)
    return_odometer: Mapped[int | None] = integer(ge=0)
    pickup_fuel_level: Mapped[int | None] = integer(ge=0, le=100)
    return_fuel_level: Mapped[int | None] = integer(ge=0, le=100)
    pickup_inspection_complete: Mapped[bool] = boolean(False)
    return_inspection_complete: Mapped[bool] = boolean(False)

    total_miles_driven: Mapped[int | None] = integer(ge=0)
    daily_mileage_allowance: Mapped[int | None] = integer(ge=0)
    excess_mileage: Mapped[int | None] = integer(ge=0)
    total_rental_days: Mapped[int | None] = integer(ge=0)
    excess_mileage_rate: Mapped[Decimal | None] = decimal(6, 3, ge=0)
    excess_mileage_charge: Mapped[Decimal | None] = money()
    base_rental_rate: Mapped[Decimal | None] = money()
    total_rental_charge: Mapped[Decimal | None] = money()
    total_amount: Mapped[Decimal | None] = money()
    amount_covered_by_insurance: Mapped[Decimal | None] = money()
    customer_responsible_amount: Mapped[Decimal | None] = money()
    additional_charges: Mapped[Decimal | None] = money(default=0)
    additional_charges_description: Mapped[str | None] = string()

    security_deposit_required: Mapped[bool] = boolean(False)
    security_deposit_collected: Mapped[bool] = boolean(False)
    security_deposit_refunded: Mapped[bool] = boolean(False)
    security_deposit_amount: Mapped[Decimal | None] = money()
    payment_method: Mapped[str | None] = enum_column("loaner_reservations", "payment_method", PAYMENT_METHODS)

    has_conflict: Mapped[bool] = boolean(False)
    conflict_resolution: Mapped[str | None] = string()
    alternative_offered: Mapped[str | None] = string()
    alternative_accepted: Mapped[bool] = boolean(False)
    is_emergency_reservation: Mapped[bool] = boolean(False)
    confirmation_sent: Mapped[bool] = boolean(False)
    reminders_sent: Mapped[int] = integer(nullable=False, default=0, ge=0)
    customer_contact_preference: Mapped[str | None] = enum_column(
        "loaner_reservations", "customer_contact_preference", CONTACT_PREFERENCES, default="phone"
    )
    customer_satisfaction_score: Mapped[int | None] = integer(ge=1, le=5)
    damage_claim_filed: Mapped[bool] = boolean(False)
    damage_claim_amount: Mapped[Decimal | None] = money()

    customer = db.relationship("Customer", foreign_keys=[customer_id])
    repair_order = db.relationship("RepairOrder", foreign_keys=[repair_order_id])
    claim = db.relationship("ClaimManagement", foreign_keys=[claim_management_id])
    loaner_vehicle = db.relationship("LoanerVehicle", foreign_keys=[loaner_vehicle_id], back_populates="reservations")

    def __str__(self) -> str:
        vehicle = self.loaner_vehicle
        parts = (self.reservation_number, self.primary_driver_name, vehicle.unit_id if vehicle is not None else None)
        return " · ".join(p for p in parts if p)
