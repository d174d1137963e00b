"""send pace: the next free send slot per workspace and per channel, shared by replicas

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_pace",
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(260), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "scope", name=op.f("pk_send_pace")),
    )


def downgrade() -> None:
    op.drop_table("send_pace")
