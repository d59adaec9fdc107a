"""SLA paused days on repair orders, production row on stage history

Revision ID: bf9bc1b91de8
Revises: c8a813b6a48f
Create Date: 2026-11-25 18:59:29.883441

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "bf9bc1b91de8"
down_revision = "c8a813b6a48f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_stage_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("production_workflow_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_job_stage_history_production_workflow_id"), ["production_workflow_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_job_stage_history_production_workflow_id"),
            "production_workflow",
            ["production_workflow_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("repair_order_management", schema=None) as batch_op:
        # Existing ROs have paused nothing yet: 0, then no server default (the model supplies it).
        batch_op.add_column(sa.Column("sla_paused_days", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            op.f("ck_repair_order_management_sla_paused_days_range"), "sla_paused_days >= 0"
        )

    with op.batch_alter_table("repair_order_management", schema=None) as batch_op:
        batch_op.alter_column("sla_paused_days", server_default=None)


def downgrade():
    with op.batch_alter_table("repair_order_management", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_repair_order_management_sla_paused_days_range"), type_="check")
        batch_op.drop_column("sla_paused_days")

    with op.batch_alter_table("job_stage_history", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_job_stage_history_production_workflow_id"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_job_stage_history_production_workflow_id"))
        batch_op.drop_column("production_workflow_id")
