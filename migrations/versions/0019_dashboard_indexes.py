"""dashboard indexes: check-in answers by workspace and occurrence, audit entries by workspace and action

The check-ins page reads a workspace's answers by date range and newest first; the audit page lists the
kinds of a workspace's actions. Both scanned the workspace's rows without these.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_checkin_answer_platform_workspace_occurrence_at",
        "checkin_answer",
        ["platform", "workspace", "occurrence_at"],
    )
    op.create_index("ix_audit_entry_platform_workspace_action", "audit_entry", ["platform", "workspace", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_platform_workspace_action", table_name="audit_entry")
    op.drop_index("ix_checkin_answer_platform_workspace_occurrence_at", table_name="checkin_answer")
