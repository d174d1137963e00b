"""dashboard: the signing key, one-time sign-in links, sessions; schedules can be paused

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _signed_in(name: str) -> None:
    """A link or a session: who (platform, workspace, user, role), the token's hash, and when."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at" if name == "dashboard_link" else "ended_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
    )
    op.create_index(op.f(f"ix_{name}_expires_at"), name, ["expires_at"])


def upgrade() -> None:
    op.create_table(
        "dashboard_key",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_key")),
    )
    _signed_in("dashboard_link")
    _signed_in("dashboard_session")
    op.create_index(
        "ix_dashboard_session_platform_workspace_user", "dashboard_session", ["platform", "workspace", "user"]
    )
    with op.batch_alter_table("schedule") as batch:
        batch.add_column(_ts("paused_at", True))


def downgrade() -> None:
    with op.batch_alter_table("schedule") as batch:
        batch.drop_column("paused_at")
    op.drop_index("ix_dashboard_session_platform_workspace_user", table_name="dashboard_session")
    for name in ("dashboard_session", "dashboard_link"):
        op.drop_index(op.f(f"ix_{name}_expires_at"), table_name=name)
        op.drop_table(name)
    op.drop_table("dashboard_key")
