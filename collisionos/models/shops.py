"""The tenant: one body shop, and its per-shop number sequences."""

from __future__ import annotations

from collisionos.models.base import (
    Mapped,
    Timestamped,
    boolean,
    datetime,
    db,
    fk,
    integer,
    json_column,
    json_dict,
    string,
    timestamp,
    utcnow,
)


class Shop(Timestamped, db.Model):
    """A collision repair shop: the tenant that owns every business row."""

    __tablename__ = "shops"

    name: Mapped[str] = string(255, nullable=False, index=True)
    business_name: Mapped[str | None] = string(255)
    website: Mapped[str | None] = string(255)
    logo: Mapped[str | None] = string(255)
    license_key: Mapped[str | None] = string(255)
    email: Mapped[str] = string(255, nullable=False, index=True)
    phone: Mapped[str] = string(20, nullable=False)
    fax: Mapped[str | None] = string(20)
    address: Mapped[str] = string(nullable=False)
    city: Mapped[str] = string(100, nullable=False)
    state: Mapped[str] = string(50, nullable=False)
    postal_code: Mapped[str] = string(20, nullable=False)
    country: Mapped[str] = string(50, nullable=False, default="Canada")
    timezone: Mapped[str] = string(50, nullable=False, default="America/Toronto")
    currency: Mapped[str] = string(3, nullable=False, default="CAD")
    tax_number: Mapped[str | None] = string(50)
    gst_number: Mapped[str | None] = string(50)
    pst_number: Mapped[str | None] = string(50)
    hst_number: Mapped[str | None] = string(50)
    settings: Mapped[dict | None] = json_dict()
    subscription: Mapped[dict | None] = json_column()
    is_active: Mapped[bool] = boolean(True, index=True)
    is_trial: Mapped[bool] = boolean(True)
    trial_expires_at: Mapped[datetime | None] = timestamp()
    setup_completed: Mapped[bool] = boolean(False, index=True)
    onboarding_step: Mapped[int] = integer(nullable=False, default=1, ge=1)
    last_backup: Mapped[datetime | None] = timestamp()

    def trial_expired(self, now: datetime | None = None) -> bool:
        """Return True when the shop is on a trial that has run out."""
        now = now or utcnow()
        return bool(self.is_trial and self.trial_expires_at and now > self.trial_expires_at)

    def __str__(self) -> str:
        return self.name


class NumberSequence(Timestamped, db.Model):
    """A per-shop counter (customer, vendor, RO, estimate, PO ... numbers), locked while it is bumped.

    Infrastructure rather than one of the 35 domain models: numbers are taken from a locked row,
    never from ``max() + 1`` (see STACK_NOTES.md, concurrency facts).
    """

    __tablename__ = "number_sequences"
    __table_args__ = (db.UniqueConstraint("shop_id", "name", name="uq_number_sequences_shop_id_name"),)

    shop_id: Mapped[int] = fk("shops", ondelete="CASCADE", nullable=False)
    name: Mapped[str] = string(100, nullable=False)
    last_value: Mapped[int] = integer(nullable=False, default=0, ge=0)

    def __str__(self) -> str:
        return f"{self.name} = {self.last_value}"
