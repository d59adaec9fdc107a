"""SLA paused days on repair orders, production row on stage history

Revision ID: bf9bc1b91de8
Revises: c8a813b6a48f
Create Date: 2026-11-25 18:59:29.883441

Plain ADD COLUMN (no batch copy): on SQLite a batch rebuild moves the table to the end of the schema,
which changes the order of ON DELETE actions in a cascade and breaks deleting a shop.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "bf9bc1b91de8"
down_revision = "c8a813b6a48f"
branch_labels = None
depends_on = None


FK_NAME = "fk_job_stage_history_production_workflow_id"
CHECK_NAME = "ck_repair_order_management_sla_paused_days_range"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # A named foreign key needs the batch copy; the repair order table must not be rebuilt (see above),
        # and SQLite adds a column with an inline CHECK, which Alembic's add_column will not emit.
        with op.batch_alter_table("job_stage_history", schema=None) as batch_op:
            batch_op.add_column(sa.Column("production_workflow_id", sa.Integer(), nullable=True))
            batch_op.create_foreign_key(
                op.f(FK_NAME), "production_workflow", ["production_workflow_id"], ["id"], ondelete="SET NULL"
            )
        op.execute(
            "ALTER TABLE repair_order_management ADD COLUMN sla_paused_days INTEGER DEFAULT 0 NOT NULL "
            f"CONSTRAINT {CHECK_NAME} CHECK (sla_paused_days >= 0)"
        )
    else:
        op.add_column("job_stage_history", sa.Column("production_workflow_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(FK_NAME),
            "job_stage_history",
            "production_workflow",
            ["production_workflow_id"],
            ["id"],
            ondelete="SET NULL",
        )
        # Existing ROs have paused nothing yet.
        op.add_column(
            "repair_order_management",
            sa.Column("sla_paused_days", sa.Integer(), nullable=False, server_default="0"),
        )
        op.create_check_constraint(op.f(CHECK_NAME), "repair_order_management", "sla_paused_days >= 0")
    op.create_index(
        op.f("ix_job_stage_history_production_workflow_id"), "job_stage_history", ["production_workflow_id"]
    )


def downgrade():
    with op.batch_alter_table("repair_order_management", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK_NAME), type_="check")
        batch_op.drop_column("sla_paused_days")
    op.drop_index(op.f("ix_job_stage_history_production_workflow_id"), table_name="job_stage_history")
    with op.batch_alter_table("job_stage_history", schema=None) as batch_op:
        batch_op.drop_column("production_workflow_id")
