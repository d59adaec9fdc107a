"""BMS import: needs_review, estimate tax setup, refinish rate and labor taxable, point of impact, drivable

Revision ID: 0bbb549d881e
Revises: f8e57a59efb3
Create Date: 2026-12-06 02:06:21.199655

Plain ADD COLUMN on every dialect (no batch copy): on SQLite a batch rebuild moves the table to the end of the
schema, which changes the order of ON DELETE actions in a cascade and breaks deleting a shop.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0bbb549d881e"
down_revision = "f8e57a59efb3"
branch_labels = None
depends_on = None

CHECK_NAME = "ck_estimate_line_items_refinish_rate_nonneg"


def upgrade():
    # Existing imports were reviewed by nobody: they start as not needing review.
    op.add_column("bms_imports", sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index(op.f("ix_bms_imports_needs_review"), "bms_imports", ["needs_review"], unique=False)
    op.add_column("claim_management", sa.Column("point_of_impact", sa.String(length=20), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline CHECK, which Alembic's add_column will not emit.
        op.execute(
            "ALTER TABLE estimate_line_items ADD COLUMN refinish_rate NUMERIC(12, 2) "
            f"CONSTRAINT {CHECK_NAME} CHECK (refinish_rate >= 0)"
        )
    else:
        op.add_column("estimate_line_items", sa.Column("refinish_rate", sa.Numeric(precision=12, scale=2)))
        op.create_check_constraint(op.f(CHECK_NAME), "estimate_line_items", "refinish_rate >= 0")
    op.add_column("estimate_line_items", sa.Column("labor_taxable", sa.Boolean(), nullable=True))
    op.add_column("estimates", sa.Column("tax_setup", sa.JSON(), nullable=True))
    op.add_column("repair_order_management", sa.Column("vehicle_drivable", sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table("repair_order_management", schema=None) as batch_op:
        batch_op.drop_column("vehicle_drivable")
    with op.batch_alter_table("estimates", schema=None) as batch_op:
        batch_op.drop_column("tax_setup")
    with op.batch_alter_table("estimate_line_items", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK_NAME), type_="check")
        batch_op.drop_column("refinish_rate")
        batch_op.drop_column("labor_taxable")
    with op.batch_alter_table("claim_management", schema=None) as batch_op:
        batch_op.drop_column("point_of_impact")
    op.drop_index(op.f("ix_bms_imports_needs_review"), table_name="bms_imports")
    with op.batch_alter_table("bms_imports", schema=None) as batch_op:
        batch_op.drop_column("needs_review")
