"""interaction state: short-lived button state (paged replies) shared by replicas

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "interaction_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_interaction_state")),
    )
    with op.batch_alter_table("interaction_state") as batch:
        batch.create_index(op.f("ix_interaction_state_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("interaction_state") as batch:
        batch.drop_index(op.f("ix_interaction_state_expires_at"))
    op.drop_table("interaction_state")
