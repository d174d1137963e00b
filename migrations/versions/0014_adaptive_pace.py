"""adaptive pace and poison rows: the learned send rate per workspace, claims of a row without an outcome

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("send_pace") as batch:
        # Messages per second this workspace is sent at now, and the rate of its last 429 (NULL: none yet).
        batch.add_column(sa.Column("rate", sa.Float(), nullable=True))
        batch.add_column(sa.Column("ceiling", sa.Float(), nullable=True))
        batch.add_column(sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        # Claims since the row's last outcome: each lost lease adds one; too many and it is dead-lettered.
        batch.add_column(sa.Column("claims", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claims")
    with op.batch_alter_table("send_pace") as batch:
        batch.drop_column("held_until")
        batch.drop_column("ceiling")
        batch.drop_column("rate")
