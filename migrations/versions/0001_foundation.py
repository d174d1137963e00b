"""foundation: workspace settings and processed platform events

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspace",
        sa.Column("id", sa.String(120), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("tz", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace")),
    )
    op.create_table(
        "processed_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_event")),
        sa.UniqueConstraint("platform", "event_id", name=op.f("uq_processed_event_platform_event_id")),
    )
    op.create_index(op.f("ix_processed_event_received_at"), "processed_event", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_event_received_at"), table_name="processed_event")
    op.drop_table("processed_event")
    op.drop_table("workspace")
