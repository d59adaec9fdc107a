"""Parts suppliers and sublet service providers."""

from __future__ import annotations

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    boolean,
    db,
    decimal,
    enum_column,
    integer,
    json_dict,
    json_list,
    money,
    percent,
    string,
)

VENDOR_TYPES = (
    "oem",
    "aftermarket",
    "recycled",
    "remanufactured",
    "paint_supplier",
    "equipment_supplier",
    "service_provider",
    "other",
)
VENDOR_STATUSES = ("active", "inactive", "suspended", "blacklisted")
VENDOR_PAYMENT_TERMS = ("immediate", "net_15", "net_30", "net_60", "net_90")
VENDOR_INTEGRATION_TYPES = ("manual", "api", "edi", "web_portal")

# Columns that hold secrets: never written to the audit log, never shown in the admin.
SECRET_COLUMNS = frozenset({"api_key"})


class Vendor(Timestamped, ShopOwned, db.Model):
    """A supplier the shop buys parts, paint or sublet work from."""

    __tablename__ = "vendors"
    __table_args__ = (
        db.UniqueConstraint("shop_id", "vendor_number", name="uq_vendors_shop_id_vendor_number"),
        db.UniqueConstraint("shop_id", "vendor_code", name="uq_vendors_shop_id_vendor_code"),
    )

    vendor_number: Mapped[str] = string(20, nullable=False)
    name: Mapped[str] = string(255, nullable=False, index=True)
    vendor_code: Mapped[str | None] = string(10)
    vendor_type: Mapped[str] = enum_column(
        "vendors", "vendor_type", VENDOR_TYPES, nullable=False, default="aftermarket", index=True
    )
    vendor_status: Mapped[str | None] = enum_column(
        "vendors", "vendor_status", VENDOR_STATUSES, default="active", index=True
    )
    payment_terms: Mapped[str | None] = enum_column("vendors", "payment_terms", VENDOR_PAYMENT_TERMS, default="net_30")
    integration_type: Mapped[str | None] = enum_column(
        "vendors", "integration_type", VENDOR_INTEGRATION_TYPES, default="manual"
    )
    discount_percentage: Mapped[Decimal | None] = percent()
    credit_limit: Mapped[Decimal | None] = money()
    # Credits from returns and cores can exceed what is owed, so the balance may go below zero.
    current_balance: Mapped[Decimal | None] = money(default=0, nonneg=False)
    average_delivery_time: Mapped[int | None] = integer(ge=0)
    fill_rate: Mapped[Decimal | None] = percent()
    return_rate: Mapped[Decimal | None] = percent()
    quality_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    contact_person: Mapped[str | None] = string(100)
    email: Mapped[str | None] = string(255)
    phone: Mapped[str | None] = string(20)
    fax: Mapped[str | None] = string(20)
    address: Mapped[str | None] = string()
    city: Mapped[str | None] = string(100)
    state: Mapped[str | None] = string(50)
    zip_code: Mapped[str | None] = string(20)
    country: Mapped[str | None] = string(50, default="Canada")
    tax_id: Mapped[str | None] = string(50)
    business_license: Mapped[str | None] = string(50)
    api_endpoint: Mapped[str | None] = string(255)
    api_key: Mapped[str | None] = string(255)
    specializations: Mapped[list | None] = json_list()
    preferences: Mapped[dict | None] = json_dict()
    is_active: Mapped[bool] = boolean(True)

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor_number})"
