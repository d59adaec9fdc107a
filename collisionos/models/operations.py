"""The app's own bookkeeping (not among DOMAIN.md's 35): scheduler runs and watch-list flags."""

from __future__ import annotations

from collisionos.models.base import (
    Mapped,
    Timestamped,
    datetime,
    db,
    enum_column,
    fk,
    integer,
    json_column,
    string,
    timestamp,
)

RUN_OUTCOMES = ("running", "success", "failed")


class SchedulerRun(Timestamped, db.Model):
    """One run of one scheduled job: when, by which runner, how it ended, what it counted, what failed."""

    __tablename__ = "scheduler_runs"
    __table_args__ = (db.Index("ix_scheduler_runs_job_started", "job_id", "started_at"),)

    job_id: Mapped[str] = string(100, nullable=False)
    started_at: Mapped[datetime] = timestamp(nullable=False)
    finished_at: Mapped[datetime | None] = timestamp()
    outcome: Mapped[str] = enum_column("scheduler_runs", "outcome", RUN_OUTCOMES, default="running", nullable=False)
    counts: Mapped[dict | None] = json_column()
    error: Mapped[str | None] = string()
    runner: Mapped[str | None] = string(100)

    def __str__(self) -> str:
        return f"{self.job_id} at {self.started_at:%Y-%m-%d %H:%M} ({self.outcome})"


class WatchFlag(Timestamped, db.Model):
    """A condition the SLA monitor found on one record (an RO at risk, a part overdue ...), flagged once.

    The row stays while the condition holds (``last_seen_at`` moves on); ``cleared_at`` is set when it
    no longer holds, and the same condition coming back re-opens the row instead of flagging twice.
    """

    __tablename__ = "watch_flags"
    __table_args__ = (
        db.UniqueConstraint(
            "shop_id", "kind", "subject_table", "subject_id", "condition", name="uq_watch_flags_subject_condition"
        ),
        db.Index("ix_watch_flags_shop_kind_open", "shop_id", "kind", "cleared_at"),
    )

    shop_id: Mapped[int] = fk("shops", ondelete="CASCADE", nullable=False)
    kind: Mapped[str] = string(50, nullable=False)
    subject_table: Mapped[str] = string(64, nullable=False)
    subject_id: Mapped[int] = integer(nullable=False)
    condition: Mapped[str] = string(100, nullable=False)
    message: Mapped[str | None] = string(500)
    first_flagged_at: Mapped[datetime] = timestamp(nullable=False)
    last_seen_at: Mapped[datetime] = timestamp(nullable=False)
    cleared_at: Mapped[datetime | None] = timestamp()
    notified_at: Mapped[datetime | None] = timestamp()

    def __str__(self) -> str:
        return self.message or f"{self.kind}: {self.subject_table} #{self.subject_id}"
