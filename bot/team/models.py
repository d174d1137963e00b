"""The team's tables: stage and milestones, the risk register, check-in answers, members, holidays,
time off and check-in reports.

Alembic owns the schema (``migrations/versions/0003_scheduler.py``, ``0013_team_rhythm.py`` and later). Everything
is keyed by ``(platform, workspace)``; times are aware UTC datetimes (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import bot.scheduler.models  # noqa: F401 - ``schedule``, the table check-in answers refer to
from bot.storage.models import Base, UTCDateTime, WorkspaceRow

__all__ = [
    "TeamStage",
    "Milestone",
    "RiskItem",
    "CheckinAnswer",
    "Member",
    "AuditEntry",
    "HolidayCalendar",
    "HolidayDay",
    "Absence",
    "CheckinReport",
]


class TeamStage(WorkspaceRow, Base):
    """The team's phase of the development path."""

    __tablename__ = "team_stage"
    __table_args__ = (UniqueConstraint("platform", "workspace"),)

    phase_id: Mapped[str] = mapped_column(String(120))
    since: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(120))
    tz: Mapped[str] = mapped_column(String(64))
    set_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Milestone(WorkspaceRow, Base):
    """One milestone of a phase, tracked for a team."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("platform", "workspace", "phase_id", "position"),)

    phase_id: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RiskItem(WorkspaceRow, Base):
    """A risk register entry: a knowledge topic (or a raised blocker) with its review state."""

    __tablename__ = "risk_item"
    __table_args__ = (UniqueConstraint("platform", "workspace", "topic_id"),)

    topic_id: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str | None] = mapped_column(String(120))
    cadence: Mapped[str] = mapped_column(String(16), default="quarterly")
    last_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    rating: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # An accepted risk: reminders and escalation pause until this local date (migration 0013).
    accepted_until: Mapped[date | None] = mapped_column(Date)
    accepted_by: Mapped[str | None] = mapped_column(String(120))
    accepted_reason: Mapped[str | None] = mapped_column(String(300))


class CheckinAnswer(WorkspaceRow, Base):
    """One participant's check-in for one occurrence: asked, answered, nudged."""

    __tablename__ = "checkin_answer"
    __table_args__ = (UniqueConstraint("schedule_id", "occurrence_at", "user"),)

    schedule_id: Mapped[int] = mapped_column(Integer, ForeignKey("schedule.id", ondelete="CASCADE"))
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user: Mapped[str] = mapped_column(String(120))
    questions: Mapped[str] = mapped_column(Text)  # JSON list
    answers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Skipped by the person ("Skip today"), and their answers' reply in the report thread (migration 0013).
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_message_id: Mapped[str | None] = mapped_column(String(120))
    reported: Mapped[str | None] = mapped_column(Text)
    message_ids: Mapped[str | None] = mapped_column(Text)  # JSON list: the DM message id of each answer


Index("ix_checkin_answer_platform_workspace_user", CheckinAnswer.platform, CheckinAnswer.workspace, CheckinAnswer.user)
# The dashboard's check-ins by date range, newest first (migration 0019).
Index(
    "ix_checkin_answer_platform_workspace_occurrence_at",
    CheckinAnswer.platform,
    CheckinAnswer.workspace,
    CheckinAnswer.occurrence_at,
)


class Member(WorkspaceRow, Base):
    """What we know about a person: their time zone (from the platform or set by them)."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user"),)

    user: Mapped[str] = mapped_column(String(120))
    tz: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(WorkspaceRow, Base):
    """One change made in a workspace: who (``actor``; None once forgotten), what, before and after (JSON).

    Migration ``0011``; written by ``bot.team.audit.record`` in the change's own transaction.
    """

    __tablename__ = "audit_entry"

    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


Index("ix_audit_entry_platform_workspace_at", AuditEntry.platform, AuditEntry.workspace, AuditEntry.at)
# The kinds of a workspace's actions, read from the index alone (migration 0019).
Index("ix_audit_entry_platform_workspace_action", AuditEntry.platform, AuditEntry.workspace, AuditEntry.action)


class HolidayCalendar(WorkspaceRow, Base):
    """A workspace's public-holiday calendar: an ISO country code and an optional subdivision."""

    __tablename__ = "holiday_calendar"
    __table_args__ = (UniqueConstraint("platform", "workspace"),)

    country: Mapped[str] = mapped_column(String(8))
    subdiv: Mapped[str | None] = mapped_column(String(16))
    set_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HolidayDay(WorkspaceRow, Base):
    """A workspace's own holiday (``removed`` false) or a country holiday it works on (``removed`` true)."""

    __tablename__ = "holiday_day"
    __table_args__ = (UniqueConstraint("platform", "workspace", "day"),)

    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(120))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    set_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Absence(WorkspaceRow, Base):
    """A person's time off, ``start_on`` to ``end_on`` inclusive, in their local dates."""

    __tablename__ = "absence"

    user: Mapped[str] = mapped_column(String(120))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    set_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_absence_platform_workspace_user", Absence.platform, Absence.workspace, Absence.user)


class CheckinReport(WorkspaceRow, Base):
    """The channel message that reports one check-in day; answers go in its thread.

    ``message_id`` is the platform's id of the posted report (Slack ``ts``, a Discord
    message id); ``thread`` is where replies go (Slack: the same ts; Discord: the
    thread's channel id). ``posted`` is the count text last written, so an unchanged
    count costs no update.
    """

    __tablename__ = "checkin_report"
    __table_args__ = (UniqueConstraint("schedule_id", "day"),)

    schedule_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(120))
    message_id: Mapped[str | None] = mapped_column(String(120))
    thread: Mapped[str | None] = mapped_column(String(120))
    posted: Mapped[str | None] = mapped_column(Text)
    # One replica syncs a report at a time, with no transaction open across a platform call:
    # a short claim, taken with a conditional update.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
