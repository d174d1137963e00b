"""team rhythm: holidays, time off, accepted risks, skipped check-ins, check-in reports in threads

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "holiday_calendar",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("subdiv", sa.String(16), nullable=True),
        sa.Column("set_by", sa.String(120), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_calendar")),
        sa.UniqueConstraint("platform", "workspace", name=op.f("uq_holiday_calendar_platform_workspace")),
    )
    op.create_table(
        "holiday_day",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(120), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(120), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_day")),
        sa.UniqueConstraint("platform", "workspace", "day", name=op.f("uq_holiday_day_platform_workspace_day")),
    )
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("user", sa.String(120), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("set_by", sa.String(120), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    op.create_index("ix_absence_platform_workspace_user", "absence", ["platform", "workspace", "user"])
    op.create_table(
        "checkin_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(120), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(120), nullable=False),
        sa.Column("message_id", sa.String(120), nullable=True),
        sa.Column("thread", sa.String(120), nullable=True),
        sa.Column("posted", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(120), nullable=True),
        _ts("claimed_until", True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_report")),
        sa.UniqueConstraint("schedule_id", "day", name=op.f("uq_checkin_report_schedule_id_day")),
    )
    with op.batch_alter_table("risk_item") as batch:
        batch.add_column(sa.Column("accepted_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("accepted_by", sa.String(120), nullable=True))
        batch.add_column(sa.Column("accepted_reason", sa.String(300), nullable=True))
    with op.batch_alter_table("checkin_answer") as batch:
        batch.add_column(_ts("skipped_at", True))
        batch.add_column(sa.Column("report_message_id", sa.String(120), nullable=True))
        batch.add_column(sa.Column("reported", sa.Text(), nullable=True))
        batch.add_column(sa.Column("message_ids", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("checkin_answer") as batch:
        for name in ("message_ids", "reported", "report_message_id", "skipped_at"):
            batch.drop_column(name)
    with op.batch_alter_table("risk_item") as batch:
        for name in ("accepted_reason", "accepted_by", "accepted_until"):
            batch.drop_column(name)
    op.drop_table("checkin_report")
    op.drop_index("ix_absence_platform_workspace_user", table_name="absence")
    op.drop_table("absence")
    op.drop_table("holiday_day")
    op.drop_table("holiday_calendar")
