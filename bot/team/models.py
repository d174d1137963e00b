"""The team's tables: stage and milestones, the risk register, check-in answers, members.

Alembic owns the schema (``migrations/versions/0003_scheduler.py``). Everything is keyed by
``(platform, workspace)``; times are aware UTC datetimes (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import bot.scheduler.models  # noqa: F401 - ``schedule``, the table check-in answers refer to
from bot.storage.models import Base, UTCDateTime

__all__ = ["TeamStage", "Milestone", "RiskItem", "CheckinAnswer", "Member", "AuditEntry"]


class TeamStage(Base):
    """The team's phase of the development path."""

    __tablename__ = "team_stage"
    __table_args__ = (UniqueConstraint("platform", "workspace"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    phase_id: Mapped[str] = mapped_column(String(120))
    since: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(120))
    tz: Mapped[str] = mapped_column(String(64))
    set_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Milestone(Base):
    """One milestone of a phase, tracked for a team."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("platform", "workspace", "phase_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    phase_id: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str | None] = mapped_column(String(120))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RiskItem(Base):
    """A risk register entry: a knowledge topic (or a raised blocker) with its review state."""

    __tablename__ = "risk_item"
    __table_args__ = (UniqueConstraint("platform", "workspace", "topic_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
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
    # An accepted risk: reminders and escalation pause until this local date (migration 0010).
    accepted_until: Mapped[date | None] = mapped_column(Date)
    accepted_by: Mapped[str | None] = mapped_column(String(120))
    accepted_reason: Mapped[str | None] = mapped_column(String(300))


class CheckinAnswer(Base):
    """One participant's check-in for one occurrence: asked, answered, nudged."""

    __tablename__ = "checkin_answer"
    __table_args__ = (UniqueConstraint("schedule_id", "occurrence_at", "user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    schedule_id: Mapped[int] = mapped_column(Integer, ForeignKey("schedule.id", ondelete="CASCADE"))
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user: Mapped[str] = mapped_column(String(120))
    questions: Mapped[str] = mapped_column(Text)  # JSON list
    answers: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Skipped by the person ("Skip today"), and their answers' reply in the report thread (migration 0010).
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    report_message_id: Mapped[str | None] = mapped_column(String(120))
    reported: Mapped[str | None] = mapped_column(Text)
    message_ids: Mapped[str | None] = mapped_column(Text)  # JSON list: the DM message id of each answer


Index("ix_checkin_answer_platform_workspace_user", CheckinAnswer.platform, CheckinAnswer.workspace,
      CheckinAnswer.user)


class Member(Base):
    """What we know about a person: their time zone (from the platform or set by them)."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    user: Mapped[str] = mapped_column(String(120))
    tz: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One change made in a workspace: who (``actor``; None once forgotten), what, before and after (JSON).

    Migration ``0011``; written by ``bot.team.audit.record`` in the change's own transaction.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(300))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)


Index("ix_audit_entry_platform_workspace_at", AuditEntry.platform, AuditEntry.workspace, AuditEntry.at)
