"""The team-rhythm tables: holidays, time off, check-in reports in threads.

Alembic owns the schema (``migrations/versions/0013_team_rhythm.py``). Keyed by
``(platform, workspace)``; dates are the people's local dates, times aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime

__all__ = ["HolidayCalendar", "HolidayDay", "Absence", "CheckinReport"]


class HolidayCalendar(Base):
    """A workspace's public-holiday calendar: an ISO country code and an optional subdivision."""

    __tablename__ = "holiday_calendar"
    __table_args__ = (UniqueConstraint("platform", "workspace"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(8))
    subdiv: Mapped[str | None] = mapped_column(String(16))
    set_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HolidayDay(Base):
    """A workspace's own holiday (``removed`` false) or a country holiday it works on (``removed`` true)."""

    __tablename__ = "holiday_day"
    __table_args__ = (UniqueConstraint("platform", "workspace", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str | None] = mapped_column(String(120))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    set_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Absence(Base):
    """A person's time off, ``start_on`` to ``end_on`` inclusive, in their local dates."""

    __tablename__ = "absence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    user: Mapped[str] = mapped_column(String(120))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    set_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index("ix_absence_platform_workspace_user", Absence.platform, Absence.workspace, Absence.user)


class CheckinReport(Base):
    """The channel message that reports one check-in day; answers go in its thread.

    ``message_id`` is the platform's id of the posted report (Slack ``ts``, a Discord
    message id); ``thread`` is where replies go (Slack: the same ts; Discord: the
    thread's channel id). ``posted`` is the count text last written, so an unchanged
    count costs no update.
    """

    __tablename__ = "checkin_report"
    __table_args__ = (UniqueConstraint("schedule_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
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
