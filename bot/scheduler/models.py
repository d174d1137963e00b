"""The delivery tables: schedules, the outbox, send pacing.

Alembic (``migrations/versions/0003_scheduler.py``) owns the schema.

Everything is keyed by ``(platform, workspace)``. Times are aware UTC
datetimes (``UTCDateTime``); local times are computed from IANA zones.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime, WorkspaceRow

__all__ = [
    "Schedule",
    "Outbox",
    "SendPace",
    "OUTBOX_PENDING",
    "OUTBOX_CLAIMED",
    "OUTBOX_SENT",
    "OUTBOX_DEAD",
    "OUTBOX_SKIPPED",
]

OUTBOX_PENDING = "pending"
OUTBOX_CLAIMED = "claimed"
OUTBOX_SENT = "sent"
OUTBOX_DEAD = "dead"
OUTBOX_SKIPPED = "skipped"


class Schedule(WorkspaceRow, Base):
    """A recurring job: a digest, risk-review reminders, a check-in, or milestone reminders.

    ``planned_until`` is the watermark: every occurrence at or before it has
    been turned into outbox rows (or deliberately skipped after downtime).
    """

    __tablename__ = "schedule"

    kind: Mapped[str] = mapped_column(String(16))  # a registered schedule kind: digest | checkin | ...
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
    kind: Mapped[str] = mapped_column(String(16))  # a registered delivery kind: milestone | risk_review | digest | ...
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


# Claim order (0015): pending rows by due time, leased rows by lease expiry; delivered history in neither.
Index(
    "ix_outbox_due",
    Outbox.next_attempt_at,
    Outbox.id,
    postgresql_where=Outbox.status == "pending",
    sqlite_where=Outbox.status == "pending",
)
Index(
    "ix_outbox_lease",
    Outbox.lease_until,
    Outbox.id,
    postgresql_where=Outbox.lease_until.is_not(None),
    sqlite_where=Outbox.lease_until.is_not(None),
)
Index("ix_outbox_platform_workspace", Outbox.platform, Outbox.workspace)


class SendPace(Base):
    """The next free send slot of a workspace (``ws:<workspace>``) or a channel (``ch:<workspace>:<channel>``).

    PostgreSQL only (``bot.scheduler.pacing.shared.SharedPacer``): replicas book their sends here.
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
