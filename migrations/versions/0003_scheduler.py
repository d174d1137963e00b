"""scheduler: team stage, milestones, risk register, schedules, outbox, check-in answers, members

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "team_stage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("phase_id", sa.String(120), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(120), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("set_by", sa.String(120), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_stage")),
        sa.UniqueConstraint("platform", "workspace", name=op.f("uq_team_stage_platform_workspace")),
    )
    op.create_table(
        "milestone",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("phase_id", sa.String(120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(120), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("done_at", True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestone")),
        sa.UniqueConstraint(
            "platform",
            "workspace",
            "phase_id",
            "position",
            name=op.f("uq_milestone_platform_workspace_phase_id_position"),
        ),
    )
    op.create_table(
        "risk_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("topic_id", sa.String(160), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(120), nullable=True),
        sa.Column("cadence", sa.String(16), nullable=False),
        _ts("last_review_at", True),
        sa.Column("reviewed_by", sa.String(120), nullable=True),
        sa.Column("rating", sa.String(8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _ts("raised_at", True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_item")),
        sa.UniqueConstraint("platform", "workspace", "topic_id", name=op.f("uq_risk_item_platform_workspace_topic_id")),
    )
    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(120), nullable=False),
        sa.Column("cadence", sa.String(16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("skip_weekends", sa.Boolean(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=True),
        sa.Column("questions", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("planned_until"),
        sa.Column("created_by", sa.String(120), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule")),
    )
    op.create_index("ix_schedule_platform_workspace", "schedule", ["platform", "workspace"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("target_type", sa.String(8), nullable=False),
        sa.Column("target", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(120), nullable=False),
        _ts("due_at"),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at"),
        sa.Column("claimed_by", sa.String(120), nullable=True),
        _ts("lease_until", True),
        _ts("sent_at", True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_platform_workspace", "outbox", ["platform", "workspace"])
    op.create_table(
        "checkin_answer",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        _ts("occurrence_at"),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        _ts("asked_at", True),
        _ts("answered_at", True),
        _ts("nudged_at", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_answer")),
        sa.ForeignKeyConstraint(
            ["schedule_id"], ["schedule.id"], ondelete="CASCADE", name=op.f("fk_checkin_answer_schedule_id_schedule")
        ),
        sa.UniqueConstraint(
            "schedule_id", "occurrence_at", "user", name=op.f("uq_checkin_answer_schedule_id_occurrence_at_user")
        ),
    )
    op.create_index("ix_checkin_answer_platform_workspace_user", "checkin_answer", ["platform", "workspace", "user"])
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("tz", sa.String(64), nullable=True),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("platform", "workspace", "user", name=op.f("uq_member_platform_workspace_user")),
    )


def downgrade() -> None:
    op.drop_table("member")
    op.drop_index("ix_checkin_answer_platform_workspace_user", table_name="checkin_answer")
    op.drop_table("checkin_answer")
    op.drop_index("ix_outbox_platform_workspace", table_name="outbox")
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_schedule_platform_workspace", table_name="schedule")
    op.drop_table("schedule")
    op.drop_table("risk_item")
    op.drop_table("milestone")
    op.drop_table("team_stage")
