"""The append-only audit trail."""

from __future__ import annotations

from collisionos.models.base import (
    Mapped,
    Timestamped,
    datetime,
    db,
    enum_column,
    fk,
    json_column,
    mapped_column,
    string,
    timestamp,
)


class AuditLog(Timestamped, db.Model):
    """One row per insert, update or delete of any other table: who, when, what changed."""

    __tablename__ = "audit_log"
    __table_args__ = (
        db.Index("ix_audit_log_table_row_occurred", "table_name", "row_id", "occurred_at"),
        db.Index("ix_audit_log_user_occurred", "user_id", "occurred_at"),
        db.Index("ix_audit_log_shop_occurred", "shop_id", "occurred_at"),
    )

    shop_id: Mapped[int | None] = fk("shops", ondelete="SET NULL", nullable=True)
    user_id: Mapped[int | None] = fk("users", ondelete="SET NULL", nullable=True)
    occurred_at: Mapped[datetime] = timestamp(nullable=False, default_now=True, index=True)
    user_label: Mapped[str | None] = string(100)
    table_name: Mapped[str] = string(64, nullable=False)
    row_id: Mapped[str] = string(64, nullable=False)
    action: Mapped[str] = enum_column("audit_log", "action", ("insert", "update", "delete"), nullable=False, index=True)
    changes: Mapped[dict] = json_column(nullable=False)
    request_id: Mapped[str | None] = string(64)
    ip_address: Mapped[str | None] = string(45)
    user_agent: Mapped[str | None] = string(500)
    reason: Mapped[str | None] = mapped_column(db.Text)

    def __str__(self) -> str:
        who = self.user_label or "system"
        return f"{self.action} {self.table_name} #{self.row_id} by {who}"
