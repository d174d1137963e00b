"""audit entries, and when a workspace uninstalled the bot

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-05

``audit_entry``: who changed what in a workspace, with the value before and after
(``bot.team.audit``). ``workspace.uninstalled_at``: set when the app is removed from a
workspace; its data is deleted ``COS_UNINSTALL_RETENTION_DAYS`` later unless it comes back
(``bot.privacy``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(300), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry") as batch:
        batch.create_index("ix_audit_entry_platform_workspace_at", ["platform", "workspace", "at"])
    with op.batch_alter_table("workspace") as batch:
        batch.add_column(sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace") as batch:
        batch.drop_column("uninstalled_at")
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_index("ix_audit_entry_platform_workspace_at")
    op.drop_table("audit_entry")
