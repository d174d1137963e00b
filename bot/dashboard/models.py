"""The dashboard's tables (migration ``0017_dashboard``): the signing key, one-time links and sessions.

Tokens are never stored: a link keeps the SHA-256 of its token, a session the SHA-256 of its id, so a
copy of the database signs nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime, WorkspaceRow

__all__ = ["DashboardKey", "DashboardLink", "DashboardSession"]


class DashboardKey(Base):
    """The key that signs session cookies and CSRF tokens: one row, made by the first replica that needs it."""

    __tablename__ = "dashboard_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DashboardLink(WorkspaceRow, Base):
    """A one-time sign-in link, bound to a person and their role; ``used_at`` is set when it is opened."""

    __tablename__ = "dashboard_link"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person's language as their platform reported it when they asked (migration 0020); None: unknown.
    lang: Mapped[str | None] = mapped_column(String(8))


class DashboardSession(WorkspaceRow, Base):
    """A signed-in browser: valid until ``expires_at`` unless ``ended_at`` (signed out) is set."""

    __tablename__ = "dashboard_session"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lang: Mapped[str | None] = mapped_column(String(8))  # the link's (migration 0020)


Index(
    "ix_dashboard_session_platform_workspace_user",
    DashboardSession.platform,
    DashboardSession.workspace,
    DashboardSession.user,
)
