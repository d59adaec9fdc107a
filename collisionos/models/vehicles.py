"""Vehicles: the physical car, its collision-grade profile and its service history."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import validates

from collisionos.domain.errors import ValidationError
from collisionos.domain.vin import validate_partial_vin, validate_vin
from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    date,
    date_column,
    datetime,
    db,
    enum_column,
    fk,
    hours,
    integer,
    json_column,
    json_dict,
    money,
    string,
    timestamp,
    user_fk,
    utcnow,
)
from collisionos.models.enums import MILEAGE_UNITS, VEHICLE_FUEL_TYPES

MIN_VEHICLE_YEAR = 1900

VEHICLE_BODY_STYLES = (
    "sedan",
    "suv",
    "truck",
    "coupe",
    "convertible",
    "wagon",
    "hatchback",
    "van",
    "motorcycle",
    "other",
)
VEHICLE_STATUSES = ("active", "inactive", "totaled", "sold", "stolen", "recovered")
WARRANTY_TYPES = ("manufacturer", "extended", "certified_pre_owned", "none")

TRANSMISSIONS = ("manual", "automatic", "cvt", "dual_clutch")
DRIVETRAINS = ("fwd", "rwd", "awd", "4wd")
PAINT_TYPES = ("solid", "metallic", "pearl", "matte", "tri_coat", "multi_stage")
FRAME_TYPES = ("unibody", "body_on_frame", "space_frame", "monocoque")
BODY_MATERIALS = ("steel", "aluminum", "carbon_fiber", "fiberglass", "mixed")
WINDSHIELD_TYPES = ("standard", "acoustic", "solar", "heads_up_display")
KEY_TYPES = ("traditional", "transponder", "smart_key", "proximity", "push_button")
VEHICLE_CONDITIONS = ("excellent", "very_good", "good", "fair", "poor")
TITLE_STATUSES = ("clean", "salvage", "rebuilt", "lemon", "flood", "hail", "manufacturer_buyback")
OWNER_TYPES = ("individual", "business", "fleet", "rental", "lease", "government")
VEHICLE_PROFILE_STATUSES = ("active", "completed", "archived", "transferred", "total_loss")

SERVICE_TYPES = (
    "collision_repair",
    "body_work",
    "paint_work",
    "frame_repair",
    "glass_replacement",
    "mechanical_repair",
    "electrical_repair",
    "interior_repair",
    "detailing",
    "inspection",
    "maintenance",
    "calibration",
    "warranty_work",
    "recall_work",
    "other",
)
RETURN_REASONS = (
    "warranty_issue",
    "quality_concern",
    "additional_damage",
    "customer_request",
    "insurance_requirement",
    "safety_issue",
    "other",
)


def _year_make_model(year: int | None, make: str | None, model: str | None) -> str:
    return " ".join(str(part) for part in (year, make, model) if part) or "Vehicle"


class Vehicle(Timestamped, ShopOwned, db.Model):
    """A physical car, identified by its VIN within the shop."""

    __tablename__ = "vehicles"
    __table_args__ = (
        db.Index(
            "ix_vehicles_shop_vin_reversed",
            "shop_id",
            "vin_reversed",
            postgresql_ops={"vin_reversed": "text_pattern_ops"},
        ),
        db.Index(
            "ix_vehicles_shop_plate_key", "shop_id", "plate_key", postgresql_ops={"plate_key": "text_pattern_ops"}
        ),
        # The reference makes vin globally unique; two shops may repair the same car.
        db.UniqueConstraint("shop_id", "vin", name="uq_vehicles_shop_id_vin"),
        db.CheckConstraint("length(vin) = 17", name="vehicles_vin_length"),
    )

    customer_id: Mapped[int] = fk("customers", ondelete=None, nullable=False)
    vin: Mapped[str] = string(17, nullable=False)
    license_plate: Mapped[str | None] = string(20, index=True)
    state: Mapped[str | None] = string(50)
    # The database guard is wide; the "current year + 2" limit moves, so the validator enforces it.
    year: Mapped[int] = integer(nullable=False, ge=MIN_VEHICLE_YEAR, le=2100)
    make: Mapped[str] = string(100, nullable=False)
    model: Mapped[str] = string(100, nullable=False)
    trim: Mapped[str | None] = string(100)
    body_style: Mapped[str | None] = enum_column("vehicles", "body_style", VEHICLE_BODY_STYLES)
    fuel_type: Mapped[str | None] = enum_column("vehicles", "fuel_type", VEHICLE_FUEL_TYPES)
    color: Mapped[str | None] = string(50)
    color_code: Mapped[str | None] = string(20)
    engine_size: Mapped[str | None] = string(50)
    engine_type: Mapped[str | None] = string(50)
    transmission: Mapped[str | None] = string(50)
    mileage: Mapped[int | None] = integer(ge=0)
    mileage_unit: Mapped[str | None] = enum_column("vehicles", "mileage_unit", MILEAGE_UNITS, default="kilometers")
    insurance_company: Mapped[str | None] = string(100)
    policy_number: Mapped[str | None] = string(50)
    claim_number: Mapped[str | None] = string(50)
    deductible: Mapped[Decimal | None] = money()
    vehicle_status: Mapped[str | None] = enum_column(
        "vehicles", "vehicle_status", VEHICLE_STATUSES, default="active", index=True
    )
    warranty_type: Mapped[str | None] = enum_column("vehicles", "warranty_type", WARRANTY_TYPES)
    warranty_expiry: Mapped[datetime | None] = timestamp()
    last_service_date: Mapped[datetime | None] = timestamp()
    next_service_date: Mapped[datetime | None] = timestamp()
    service_interval: Mapped[int | None] = integer(ge=0)
    features: Mapped[dict | None] = json_dict()
    # Normalised search keys, filled from the columns above on every save (domain/search_keys.py).
    vin_reversed: Mapped[str | None] = string(17)
    plate_key: Mapped[str | None] = string(20)
    is_active: Mapped[bool] = boolean(True)

    customer = db.relationship("Customer", foreign_keys=[customer_id], back_populates="vehicles")
    profile = db.relationship(
        "VehicleProfile", back_populates="vehicle", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )
    history = db.relationship(
        "VehicleHistory",
        back_populates="vehicle",
        foreign_keys="VehicleHistory.vehicle_id",
        order_by="VehicleHistory.service_date.desc()",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @validates("vin")
    def _validate_vin(self, key: str, value: str | None) -> str:
        return validate_vin(value)

    @validates("year")
    def _validate_year(self, key: str, value: int | None) -> int | None:
        latest = utcnow().year + 2
        if value is not None and not MIN_VEHICLE_YEAR <= value <= latest:
            raise ValidationError(
                f"Model year {value} is not possible: use a year from {MIN_VEHICLE_YEAR} to {latest}.",
                rule="vehicle_year",
            )
        return value

    @property
    def description(self) -> str:
        return _year_make_model(self.year, self.make, self.model)

    def __str__(self) -> str:
        return f"{self.description} · {self.vin}" if self.vin else self.description


class VehicleProfile(Timestamped, ShopOwned, UserStamped, db.Model):
    """The collision-grade record of a vehicle: YMMT, paint, ADAS, construction, title, storage."""

    __tablename__ = "vehicle_profiles"
    __table_args__ = (
        db.Index(
            "ix_vehicle_profiles_shop_vin_reversed",
            "shop_id",
            "vin_reversed",
            postgresql_ops={"vin_reversed": "text_pattern_ops"},
        ),
        db.Index(
            "ix_vehicle_profiles_shop_plate_key",
            "shop_id",
            "plate_key",
            postgresql_ops={"plate_key": "text_pattern_ops"},
        ),
        # A partial VIN is allowed and may repeat; a full VIN identifies one profile per shop.
        db.Index(
            "uq_vehicle_profiles_shop_id_vin",
            "shop_id",
            "vin",
            unique=True,
            sqlite_where=sa.text("length(vin) = 17"),
            postgresql_where=sa.text("length(vin) = 17"),
        ),
        db.Index("ix_vehicle_profiles_customer_created", "customer_id", "created_at"),
        db.Index("ix_vehicle_profiles_year_make_model", "year", "make", "model"),
    )

    # customer_id is covered by ix_vehicle_profiles_customer_created.
    customer_id: Mapped[int] = fk("customers", ondelete="CASCADE", nullable=False, index=False)
    # §0.1: the profile enriches exactly one physical car.
    vehicle_id: Mapped[int] = fk("vehicles", ondelete="CASCADE", nullable=False, unique=True)
    vin: Mapped[str | None] = string(17)
    license_plate: Mapped[str | None] = string(20, index=True)
    plate_province: Mapped[str | None] = string(3)
    plate_country: Mapped[str | None] = string(3, default="CAN")
    year: Mapped[int] = integer(nullable=False, ge=MIN_VEHICLE_YEAR, le=2050)
    make: Mapped[str] = string(100, nullable=False)
    model: Mapped[str] = string(100, nullable=False)
    trim: Mapped[str | None] = string(100)
    submodel: Mapped[str | None] = string(100)
    body_style: Mapped[str | None] = string(50)
    doors: Mapped[int | None] = integer(ge=2, le=6)
    engine_size: Mapped[str | None] = string(20)
    fuel_type: Mapped[str | None] = enum_column("vehicle_profiles", "fuel_type", VEHICLE_FUEL_TYPES)
    transmission: Mapped[str | None] = enum_column("vehicle_profiles", "transmission", TRANSMISSIONS)
    drivetrain: Mapped[str | None] = enum_column("vehicle_profiles", "drivetrain", DRIVETRAINS)
    exterior_color: Mapped[str | None] = string(100)
    interior_color: Mapped[str | None] = string(100)
    paint_code: Mapped[str | None] = string(50)
    paint_type: Mapped[str | None] = enum_column("vehicle_profiles", "paint_type", PAINT_TYPES)
    has_custom_paint: Mapped[bool] = boolean(False)
    current_odometer: Mapped[int | None] = integer(ge=0)
    odometer_unit: Mapped[str | None] = enum_column(
        "vehicle_profiles", "odometer_unit", MILEAGE_UNITS, default="kilometers"
    )
    last_odometer_update: Mapped[datetime | None] = timestamp()
    odometer_source: Mapped[str | None] = string(50)
    has_adas_features: Mapped[bool] = boolean(False)
    requires_calibration: Mapped[bool] = boolean(False, index=True)
    adas_features: Mapped[list | None] = json_column()
    has_airbags: Mapped[bool] = boolean(True)
    has_abs: Mapped[bool] = boolean(True)
    airbag_count: Mapped[int | None] = integer(ge=0)
    is_luxury_vehicle: Mapped[bool] = boolean(False)
    is_exotic_vehicle: Mapped[bool] = boolean(False)
    is_classic_vehicle: Mapped[bool] = boolean(False)
    is_commercial_vehicle: Mapped[bool] = boolean(False)
    is_fleet_vehicle: Mapped[bool] = boolean(False)
    fleet_name: Mapped[str | None] = string(255)
    fleet_number: Mapped[str | None] = string(50)
    frame_type: Mapped[str | None] = enum_column("vehicle_profiles", "frame_type", FRAME_TYPES)
    body_material: Mapped[str | None] = enum_column("vehicle_profiles", "body_material", BODY_MATERIALS)
    has_aluminum_panels: Mapped[bool] = boolean(False)
    windshield_type: Mapped[str | None] = enum_column("vehicle_profiles", "windshield_type", WINDSHIELD_TYPES)
    has_rain_sensor: Mapped[bool] = boolean(False)
    has_heated_windshield: Mapped[bool] = boolean(False)
    has_lane_keeping_camera: Mapped[bool] = boolean(False)
    key_type: Mapped[str | None] = enum_column("vehicle_profiles", "key_type", KEY_TYPES)
    key_count: Mapped[int] = integer(nullable=False, default=1, ge=0)
    overall_condition: Mapped[str | None] = enum_column("vehicle_profiles", "overall_condition", VEHICLE_CONDITIONS)
    title_status: Mapped[str | None] = enum_column(
        "vehicle_profiles", "title_status", TITLE_STATUSES, default="clean", index=True
    )
    owner_type: Mapped[str | None] = enum_column("vehicle_profiles", "owner_type", OWNER_TYPES)
    is_leased: Mapped[bool] = boolean(False)
    msrp_when_new: Mapped[Decimal | None] = money()
    current_market_value: Mapped[Decimal | None] = money()
    valuation_source: Mapped[str | None] = string(100)
    valuation_date: Mapped[date | None] = date_column()
    storage_location: Mapped[str | None] = string(255, index=True)
    storage_date: Mapped[date | None] = date_column()
    storage_fee_daily: Mapped[Decimal | None] = money()
    storage_charges_apply: Mapped[bool] = boolean(False)
    vehicle_status: Mapped[str | None] = enum_column(
        "vehicle_profiles", "vehicle_status", VEHICLE_PROFILE_STATUSES, default="active", index=True
    )
    vin_decoded: Mapped[bool] = boolean(False)
    vin_decode_date: Mapped[datetime | None] = timestamp()
    vin_decode_source: Mapped[str | None] = string(100)
    vin_decode_data: Mapped[dict | None] = json_column()
    # Normalised search keys, filled from the columns above on every save (domain/search_keys.py).
    vin_reversed: Mapped[str | None] = string(17)
    plate_key: Mapped[str | None] = string(20)

    customer = db.relationship("Customer", foreign_keys=[customer_id], back_populates="vehicle_profiles")
    vehicle = db.relationship("Vehicle", foreign_keys=[vehicle_id], back_populates="profile")

    @validates("vin")
    def _validate_vin(self, key: str, value: str | None) -> str | None:
        # An empty VIN is stored as NULL so the partial unique index and "no VIN" searches see one value.
        return validate_partial_vin(value) or None

    def __str__(self) -> str:
        name = _year_make_model(self.year, self.make, self.model)
        identifier = self.vin or self.license_plate
        return f"{name} · {identifier}" if identifier else name


class VehicleHistory(Timestamped, ShopOwned, db.Model):
    """One visit of a vehicle to the shop: mileage, costs, warranty, comebacks and follow-up."""

    __tablename__ = "vehicle_history"
    __table_args__ = (db.Index("ix_vehicle_history_vehicle_date", "vehicle_id", "service_date"),)

    # vehicle_id is covered by ix_vehicle_history_vehicle_date.
    vehicle_id: Mapped[int] = fk("vehicles", ondelete="CASCADE", nullable=False, index=False)
    job_id: Mapped[int | None] = fk("jobs", ondelete="SET NULL", nullable=True)
    technician_id: Mapped[int | None] = user_fk()
    insurance_company_id: Mapped[int | None] = fk("insurance_companies", ondelete="SET NULL", nullable=True)
    original_service_id: Mapped[int | None] = fk("vehicle_history", ondelete="SET NULL", nullable=True)
    service_date: Mapped[datetime] = timestamp(nullable=False, index=True)
    service_type: Mapped[str] = enum_column(
        "vehicle_history", "service_type", SERVICE_TYPES, nullable=False, index=True
    )
    mileage: Mapped[int | None] = integer(ge=0)
    previous_mileage: Mapped[int | None] = integer(ge=0)
    # Negative when a lower reading was accepted with an override (DOMAIN.md §5.15).
    mileage_difference: Mapped[int | None] = integer()
    mileage_verified: Mapped[bool] = boolean(False)
    labor_hours: Mapped[Decimal | None] = hours(8)
    total_cost: Mapped[Decimal | None] = money()
    labor_cost: Mapped[Decimal | None] = money()
    parts_cost: Mapped[Decimal | None] = money()
    sublet_cost: Mapped[Decimal | None] = money(default=0)
    warranty_provided: Mapped[bool] = boolean(False)
    warranty_period: Mapped[int | None] = integer(ge=0)
    warranty_mileage: Mapped[int | None] = integer(ge=0)
    warranty_expiry: Mapped[datetime | None] = timestamp(index=True)
    follow_up_required: Mapped[bool] = boolean(False, index=True)
    follow_up_completed: Mapped[bool] = boolean(False)
    follow_up_date: Mapped[datetime | None] = timestamp()
    complaints_received: Mapped[bool] = boolean(False)
    complaint_resolved: Mapped[bool] = boolean(False)
    insurance_claim: Mapped[bool] = boolean(False)
    sublet_work: Mapped[bool] = boolean(False)
    recall_work: Mapped[bool] = boolean(False)
    tsb_work: Mapped[bool] = boolean(False)
    calibration_required: Mapped[bool] = boolean(False)
    calibration_completed: Mapped[bool] = boolean(False)
    calibration_certified: Mapped[bool] = boolean(False)
    oes_compliant: Mapped[bool] = boolean(True)
    claim_number: Mapped[str | None] = string(50, index=True)
    deductible: Mapped[Decimal | None] = money()
    is_return_visit: Mapped[bool] = boolean(False, index=True)
    return_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    return_reason: Mapped[str | None] = enum_column("vehicle_history", "return_reason", RETURN_REASONS)
    quality_rating: Mapped[int | None] = integer(ge=1, le=5)
    customer_satisfaction: Mapped[int | None] = integer(ge=1, le=5)

    vehicle = db.relationship("Vehicle", foreign_keys=[vehicle_id], back_populates="history")
    job = db.relationship("Job", foreign_keys=[job_id])
    technician = db.relationship("User", foreign_keys=[technician_id])
    insurance_company = db.relationship("InsuranceCompany", foreign_keys=[insurance_company_id])
    original_service = db.relationship(
        "VehicleHistory", foreign_keys=[original_service_id], remote_side="VehicleHistory.id"
    )

    def __str__(self) -> str:
        vehicle = self.vehicle.description if self.vehicle else f"Vehicle #{self.vehicle_id}"
        when = f"{self.service_date:%Y-%m-%d}" if self.service_date else "undated"
        return f"{vehicle} · {self.service_type or 'service'} · {when}"
