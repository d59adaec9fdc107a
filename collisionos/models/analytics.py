"""Per-technician performance scorecards, one per reporting period."""

from __future__ import annotations

from collisionos.models.base import (
    Decimal,
    Mapped,
    ShopOwned,
    Timestamped,
    UserStamped,
    boolean,
    date_order_check,
    datetime,
    db,
    decimal,
    enum_column,
    fk,
    hours,
    integer,
    money,
    percent,
    timestamp,
)

REPORTING_PERIODS = ("daily", "weekly", "monthly", "quarterly", "annually")
TRENDS = ("improving", "stable", "declining")
PERFORMANCE_GRADES = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D", "F")


class TechnicianPerformance(Timestamped, ShopOwned, UserStamped, db.Model):
    """One technician's scorecard for one reporting period: hours, efficiency, quality, revenue, grade."""

    __tablename__ = "technician_performance"
    __table_args__ = (
        db.UniqueConstraint(
            "technician_id", "reporting_period", "period_start", name="uq_technician_performance_period"
        ),
        date_order_check("technician_performance", "period_start", "period_end"),
        db.Index("ix_technician_performance_shop_period_score", "shop_id", "reporting_period", "overall_score"),
    )

    technician_id: Mapped[int] = fk("users", ondelete="CASCADE", nullable=False)
    reporting_period: Mapped[str] = enum_column(
        "technician_performance", "reporting_period", REPORTING_PERIODS, default="weekly", nullable=False, index=True
    )
    period_start: Mapped[datetime] = timestamp(nullable=False, index=True)
    period_end: Mapped[datetime] = timestamp(nullable=False, index=True)
    hours_worked: Mapped[Decimal] = hours(8, nullable=False, default=0)
    billable_hours: Mapped[Decimal] = hours(8, nullable=False, default=0)
    flagged_hours: Mapped[Decimal] = hours(8, nullable=False, default=0)
    productive_hours: Mapped[Decimal] = hours(8, nullable=False, default=0)
    overtime_hours: Mapped[Decimal] = hours(8, nullable=False, default=0)
    utilization_rate: Mapped[Decimal | None] = percent(index=True)
    # Efficiency above 100 % means faster than book time (§5.13), so no upper bound.
    overall_efficiency: Mapped[Decimal | None] = decimal(5, 2, ge=0, index=True)
    average_velocity: Mapped[Decimal | None] = decimal(8, 2, ge=0)
    velocity_trend: Mapped[str | None] = enum_column("technician_performance", "velocity_trend", TRENDS)
    quality_trend: Mapped[str | None] = enum_column("technician_performance", "quality_trend", TRENDS)
    customer_satisfaction_trend: Mapped[str | None] = enum_column(
        "technician_performance", "customer_satisfaction_trend", TRENDS
    )
    trend_direction: Mapped[str | None] = enum_column("technician_performance", "trend_direction", TRENDS)
    jobs_completed: Mapped[int] = integer(nullable=False, default=0, ge=0)
    stages_completed: Mapped[int] = integer(nullable=False, default=0, ge=0)
    tasks_completed: Mapped[int] = integer(nullable=False, default=0, ge=0)
    rework_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    customer_complaint_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    average_job_completion_time: Mapped[int | None] = integer(ge=0)
    on_time_delivery_rate: Mapped[Decimal | None] = percent()
    first_time_right_rate: Mapped[Decimal | None] = percent()
    rework_rate: Mapped[Decimal | None] = percent()
    inspection_pass_rate: Mapped[Decimal | None] = percent()
    quality_score: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5, index=True)
    safety_score: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    punctuality_score: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    customer_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    teamwork_score: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    leadership_score: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    supervisor_rating: Mapped[Decimal | None] = decimal(3, 1, ge=0, le=5)
    labor_cost_generated: Mapped[Decimal] = money(nullable=False, default=0)
    material_cost_incurred: Mapped[Decimal] = money(nullable=False, default=0)
    revenue_generated: Mapped[Decimal] = money(nullable=False, default=0)
    profit_generated: Mapped[Decimal] = money(nullable=False, default=0, nonneg=False)
    cost_per_hour: Mapped[Decimal | None] = money()
    revenue_per_hour: Mapped[Decimal | None] = money()
    profit_margin: Mapped[Decimal | None] = decimal(5, 2)
    safety_incidents: Mapped[int] = integer(nullable=False, default=0, ge=0)
    compliance_violations: Mapped[int] = integer(nullable=False, default=0, ge=0)
    certifications_earned: Mapped[int] = integer(nullable=False, default=0, ge=0)
    days_worked: Mapped[int] = integer(nullable=False, default=0, ge=0)
    days_absent: Mapped[int] = integer(nullable=False, default=0, ge=0)
    tardy_count: Mapped[int] = integer(nullable=False, default=0, ge=0)
    attendance_rate: Mapped[Decimal | None] = percent()
    training_hours: Mapped[Decimal | None] = hours(6, default=0)
    mentorship_hours: Mapped[Decimal | None] = hours(6, default=0)
    bonus_eligible: Mapped[bool] = boolean(False)
    bonus_amount: Mapped[Decimal | None] = money(default=0)
    rank_in_shop: Mapped[int | None] = integer(ge=1, index=True)
    rank_in_department: Mapped[int | None] = integer(ge=1)
    percentile_rank: Mapped[Decimal | None] = percent()
    overall_score: Mapped[Decimal | None] = decimal(5, 2, ge=0, le=100, index=True)
    performance_grade: Mapped[str | None] = enum_column(
        "technician_performance", "performance_grade", PERFORMANCE_GRADES, index=True
    )
    calculated_at: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    data_version: Mapped[int] = integer(nullable=False, default=1, ge=1)

    technician = db.relationship("User", foreign_keys=[technician_id])

    def __str__(self) -> str:
        name = self.technician.full_name if self.technician is not None else f"Technician #{self.technician_id}"
        start = f"{self.period_start:%Y-%m-%d}" if self.period_start is not None else "?"
        return f"{name} · {self.reporting_period} from {start}"
