"""Staff accounts and the technician master."""

from __future__ import annotations

from flask_login import UserMixin

from collisionos.models.base import (
    Decimal,
    Mapped,
    Timestamped,
    UserStamped,
    boolean,
    date,
    date_column,
    date_order_check,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    hours,
    integer,
    json_dict,
    json_list,
    money,
    percent,
    string,
    timestamp,
    utcnow,
)
from collisionos.models.enums import Role

# Columns that hold secrets: never written to the audit log, never shown in the admin.
SECRET_COLUMNS = frozenset(
    {"password", "two_factor_secret", "password_reset_token", "email_verification_token", "session_token"}
)


class User(UserMixin, Timestamped, UserStamped, db.Model):
    """A member of staff who logs in; technicians also carry rates, skills and clock state."""

    __tablename__ = "users"
    __table_args__ = (date_order_check("users", "hire_date", "termination_date"),)

    shop_id: Mapped[int | None] = fk("shops", ondelete="CASCADE", nullable=True)
    supervisor_id: Mapped[int | None] = fk("users", ondelete="SET NULL", nullable=True)
    username: Mapped[str] = string(50, nullable=False, unique=True)
    email: Mapped[str] = string(255, nullable=False, unique=True)
    password: Mapped[str] = string(255, nullable=False)
    first_name: Mapped[str] = string(50, nullable=False)
    last_name: Mapped[str] = string(50, nullable=False)
    role: Mapped[str] = enum_column("users", "role", Role, nullable=False, default=Role.TECHNICIAN, index=True)
    permissions: Mapped[dict | None] = json_dict()
    employee_id: Mapped[str | None] = string(20, unique=True)
    hourly_rate: Mapped[Decimal | None] = money()
    commission_rate: Mapped[Decimal | None] = percent()
    department: Mapped[str | None] = string(50, index=True)
    skills: Mapped[list | None] = json_list()
    certifications: Mapped[list | None] = json_list()
    availability: Mapped[dict | None] = json_dict()
    max_jobs: Mapped[int] = integer(nullable=False, default=5, ge=0)
    current_jobs: Mapped[int] = integer(nullable=False, default=0, ge=0)
    efficiency: Mapped[Decimal | None] = decimal(5, 2, default="100.00", ge=0)
    quality_score: Mapped[Decimal | None] = decimal(5, 2, default="100.00", ge=0)
    customer_satisfaction: Mapped[Decimal | None] = decimal(5, 2, default="100.00", ge=0)
    total_hours: Mapped[Decimal | None] = hours(10, default=0)
    overtime_hours: Mapped[Decimal | None] = hours(10, default=0)
    is_clocked_in: Mapped[bool] = boolean(False)
    clock_in_time: Mapped[datetime | None] = timestamp()
    clock_out_time: Mapped[datetime | None] = timestamp()
    is_active: Mapped[bool] = boolean(True, index=True)
    is_online: Mapped[bool] = boolean(False, index=True)
    hire_date: Mapped[date | None] = date_column()
    termination_date: Mapped[date | None] = date_column()
    last_login: Mapped[datetime | None] = timestamp(index=True)
    last_activity: Mapped[datetime | None] = timestamp()
    login_attempts: Mapped[int] = integer(nullable=False, default=0, ge=0)
    failed_login_attempts: Mapped[int] = integer(nullable=False, default=0, ge=0)
    account_locked: Mapped[bool] = boolean(False)
    lock_until: Mapped[datetime | None] = timestamp()
    unlock_at: Mapped[datetime | None] = timestamp()
    lock_reason: Mapped[str | None] = string(255)
    two_factor_enabled: Mapped[bool] = boolean(False)
    two_factor_secret: Mapped[str | None] = string(255)
    email_verified: Mapped[bool] = boolean(False)
    email_verification_token: Mapped[str | None] = string(255)
    password_reset_token: Mapped[str | None] = string(255)
    # Bumped to end every session of the user (deactivation, password change); see auth.
    session_token: Mapped[str | None] = string(64)
    timezone: Mapped[str] = string(50, nullable=False, default="UTC")
    language: Mapped[str] = string(10, nullable=False, default="en")

    shop = db.relationship("Shop", foreign_keys=[shop_id])
    supervisor = db.relationship("User", foreign_keys=[supervisor_id], remote_side="User.id")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def can_log_in(self, now: datetime | None = None) -> bool:
        """Return True when the account is active and not locked (DOMAIN.md §A2)."""
        now = now or utcnow()
        # Locked with no unlock time means locked until someone unlocks the account.
        locked = self.account_locked and (self.unlock_at is None or now < self.unlock_at)
        return bool(self.is_active) and not locked

    def get_id(self) -> str:
        # Flask-Login stores this in the session; the token part lets us end sessions server-side.
        return f"{self.id}:{self.session_token or ''}"

    def __str__(self) -> str:
        return f"{self.full_name} ({self.role})"
