"""The scheduler's tables. Alembic (``migrations/versions/0003_scheduler.py``) owns the schema.

Everything is keyed by ``(platform, workspace)``. Times are aware UTC
datetimes (``UTCDateTime``); local times are computed from IANA zones.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime

__all__ = [
    "TeamStage", "Milestone", "RiskItem", "Schedule", "Outbox", "CheckinAnswer", "Member", "SendPace",
    "OUTBOX_PENDING", "OUTBOX_CLAIMED", "OUTBOX_SENT", "OUTBOX_DEAD", "OUTBOX_SKIPPED",
]

OUTBOX_PENDING = "pending"
OUTBOX_CLAIMED = "claimed"
OUTBOX_SENT = "sent"
OUTBOX_DEAD = "dead"
OUTBOX_SKIPPED = "skipped"


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


class Schedule(Base):
    """A recurring job: a digest, risk-review reminders, a check-in, or milestone reminders.

    ``planned_until`` is the watermark: every occurrence at or before it has
    been turned into outbox rows (or deliberately skipped after downtime).
    """

    __tablename__ = "schedule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # digest | risk_review | checkin | milestone
    channel: Mapped[str] = mapped_column(String(120))
    cadence: Mapped[str] = mapped_column(String(16))  # daily | weekly | monthly | quarterly | yearly | dates
    weekday: Mapped[int | None] = mapped_column(Integer)
    day: Mapped[int | None] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    minute: Mapped[int] = mapped_column(Integer)
    tz: Mapped[str] = mapped_column(String(64))
    skip_weekends: Mapped[bool] = mapped_column(Boolean, default=False)
    participants: Mapped[str | None] = mapped_column(Text)  # JSON list of user ids
    questions: Mapped[str | None] = mapped_column(Text)  # JSON list of questions
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    planned_until: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_schedule_platform_workspace", Schedule.platform, Schedule.workspace)


class Outbox(Base):
    """One delivery: a (schedule, occurrence, target) with a unique key, claimed with a lease."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    schedule_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # milestone | risk_review | digest | checkin | nudge
    target_type: Mapped[str] = mapped_column(String(8))  # channel | dm
    target: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(120))  # where a DM falls back to
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tz: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what the message is about
    status: Mapped[str] = mapped_column(String(12), default=OUTBOX_PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Claims since the last outcome (sent, failed, skipped): a claim whose holder died adds one (0008).
    claims: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


Index("ix_outbox_status_next_attempt_at", Outbox.status, Outbox.next_attempt_at)
Index("ix_outbox_platform_workspace", Outbox.platform, Outbox.workspace)


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


class SendPace(Base):
    """The next free send slot of a workspace (``ws:<workspace>``) or a channel (``ch:<workspace>:<channel>``).

    PostgreSQL only (``bot.scheduler.pacing.SharedPacer``): replicas book their sends here.
    Migration ``0005_send_pace``.
    """

    __tablename__ = "send_pace"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    scope: Mapped[str] = mapped_column(String(260), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Workspace rows only (0008): the learned rate (messages/s), the rate of the last 429, when its hold ends.
    rate: Mapped[float | None] = mapped_column(Float)
    ceiling: Mapped[float | None] = mapped_column(Float)
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
