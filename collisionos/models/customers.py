"""Customers: vehicle owners and bill-to parties, with their contact consent."""

from __future__ import annotations

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    boolean,
    date,
    date_column,
    datetime,
    db,
    enum_column,
    integer,
    money,
    string,
    timestamp,
)

PREFERRED_CONTACTS = ("phone", "email", "sms", "mail")
CUSTOMER_TYPES = ("individual", "business", "insurance", "fleet")
CUSTOMER_STATUSES = ("active", "inactive", "prospect", "vip")
CUSTOMER_PAYMENT_TERMS = ("immediate", "net_15", "net_30", "net_60")


class Customer(Timestamped, ShopOwned, db.Model):
    """A vehicle owner or bill-to party of one shop."""

    __tablename__ = "customers"
    __table_args__ = (
        db.Index(
            "ix_customers_shop_phone_key", "shop_id", "phone_key", postgresql_ops={"phone_key": "text_pattern_ops"}
        ),
        db.Index(
            "ix_customers_shop_mobile_key", "shop_id", "mobile_key", postgresql_ops={"mobile_key": "text_pattern_ops"}
        ),
        db.Index(
            "ix_customers_shop_last_name_key",
            "shop_id",
            "last_name_key",
            postgresql_ops={"last_name_key": "text_pattern_ops"},
        ),
        # The reference makes customer_number global; numbers come from a per-shop sequence, so unique per shop.
        db.UniqueConstraint("shop_id", "customer_number", name="uq_customers_shop_id_customer_number"),
        db.Index("ix_customers_shop_id_name", "shop_id", "last_name", "first_name"),
    )

    customer_number: Mapped[str] = string(20, nullable=False)
    first_name: Mapped[str] = string(50, nullable=False)
    last_name: Mapped[str] = string(50, nullable=False)
    company_name: Mapped[str | None] = string(255)
    email: Mapped[str | None] = string(255, index=True)
    phone: Mapped[str | None] = string(20, index=True)
    mobile: Mapped[str | None] = string(20, index=True)
    address: Mapped[str | None] = string()
    city: Mapped[str | None] = string(100)
    state: Mapped[str | None] = string(50)
    zip_code: Mapped[str | None] = string(20)
    country: Mapped[str | None] = string(50, default="Canada")
    date_of_birth: Mapped[date | None] = date_column()
    driver_license: Mapped[str | None] = string(50)
    tax_id: Mapped[str | None] = string(50)
    preferred_contact: Mapped[str | None] = enum_column(
        "customers", "preferred_contact", PREFERRED_CONTACTS, default="phone"
    )
    sms_opt_in: Mapped[bool] = boolean(False)
    email_opt_in: Mapped[bool] = boolean(True)
    marketing_opt_in: Mapped[bool] = boolean(False)
    preferred_language: Mapped[str | None] = string(10, default="en")
    customer_type: Mapped[str | None] = enum_column(
        "customers", "customer_type", CUSTOMER_TYPES, default="individual", index=True
    )
    customer_status: Mapped[str | None] = enum_column(
        "customers", "customer_status", CUSTOMER_STATUSES, default="active", index=True
    )
    payment_terms: Mapped[str | None] = enum_column(
        "customers", "payment_terms", CUSTOMER_PAYMENT_TERMS, default="immediate"
    )
    credit_limit: Mapped[Decimal | None] = money(default=0)
    loyalty_points: Mapped[int] = integer(nullable=False, default=0, ge=0)
    referral_source: Mapped[str | None] = string(100)
    first_visit_date: Mapped[datetime | None] = timestamp()
    last_visit_date: Mapped[datetime | None] = timestamp(index=True)
    is_active: Mapped[bool] = boolean(True)
    # Normalised search keys, filled from the columns above on every save (domain/search_keys.py).
    phone_key: Mapped[str | None] = string(20)
    mobile_key: Mapped[str | None] = string(20)
    last_name_key: Mapped[str | None] = string(50)

    # vehicles.customer_id is RESTRICT: never null it out, let the database refuse the delete.
    vehicles = db.relationship("Vehicle", back_populates="customer", passive_deletes="all")
    vehicle_profiles = db.relationship(
        "VehicleProfile", back_populates="customer", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name or ''} {self.last_name or ''}".strip()

    def __str__(self) -> str:
        name = self.full_name or self.company_name or "Customer"
        return f"{name} ({self.customer_number})" if self.customer_number else name
