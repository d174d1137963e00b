"""SQLAlchemy models. Alembic owns the schema; these mirror it.

Tables are singular snake_case, timestamps end in ``_at`` and are UTC.
Everything a team stores is keyed by ``workspace`` (``<platform>:<team or
guild id>``, with the Slack enterprise id where present).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, MetaData, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "WorkspaceRow", "NAMING_CONVENTION", "UTCDateTime", "Workspace", "ProcessedEvent"]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WorkspaceRow:
    """The columns every per-workspace table starts with: a surrogate key and the ``(platform, workspace)`` scope."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))


class Workspace(Base):
    """A Slack team or Discord guild (or the console's ``local``) and its settings."""

    __tablename__ = "workspace"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    tz: Mapped[str | None] = mapped_column(String(64))
    # The language of the bot's replies here (``en``, ``zh``); None: chosen per person and question (``auto``).
    lang: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the app was removed from the workspace; its data goes after the retention period.
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProcessedEvent(Base):
    """Platform events already handled, so retries and reconnects are not answered twice."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("platform", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    detail: Mapped[str | None] = mapped_column(Text)


class InteractionState(Base):
    """Short-lived state behind a button (the pages of a paged reply), shared by every replica.

    The button's custom id carries ``key``; rows past ``expires_at`` are treated as gone and purged.
    """

    __tablename__ = "interaction_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


__all__ += ["InteractionState"]
