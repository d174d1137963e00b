"""The knowledge loop's tables: what people asked, their votes, what admins taught, each workspace's version.

Alembic owns the schema (``migrations/versions/0012_knowledge_loop.py``, ids widened in ``0016``). Every row is
scoped to one ``(platform, workspace)``; the queries are in ``bot.answering.store``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, UTCDateTime, WorkspaceRow

__all__ = [
    "KnowledgeQuestion",
    "KnowledgeFeedback",
    "TaughtPhraseRow",
    "GapDismissal",
    "KnowledgeVersion",
    "QUESTION_ID",
]

# Question ids are made by the bot (``bot.answering.journal``): 64-bit on PostgreSQL, SQLite's INTEGER key is.
QUESTION_ID = BigInteger().with_variant(Integer(), "sqlite")


class KnowledgeQuestion(WorkspaceRow, Base):
    """One knowledge question and how it was answered."""

    __tablename__ = "knowledge_question"

    id: Mapped[int] = mapped_column(QUESTION_ID, primary_key=True, autoincrement=False)
    user: Mapped[str] = mapped_column(String(120))
    command: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(500))
    matched: Mapped[bool] = mapped_column(Boolean)
    top_entry: Mapped[str | None] = mapped_column(String(160))
    score: Mapped[float | None] = mapped_column(Float)
    shown: Mapped[str] = mapped_column(Text)  # JSON list of the entry ids the answer showed
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


Index(
    "ix_knowledge_question_workspace_asked_at",
    KnowledgeQuestion.platform,
    KnowledgeQuestion.workspace,
    KnowledgeQuestion.asked_at,
)


class KnowledgeFeedback(Base):
    """A person's 👍/👎 on one answer (pressing again changes it), with the 👎 form's reason and comment."""

    __tablename__ = "knowledge_feedback"
    __table_args__ = (UniqueConstraint("question_id", "user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int] = mapped_column(QUESTION_ID, ForeignKey("knowledge_question.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(120))
    user: Mapped[str] = mapped_column(String(120))
    vote: Mapped[str] = mapped_column(String(8))  # up | down
    reason: Mapped[str | None] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


Index(
    "ix_knowledge_feedback_workspace_updated_at",
    KnowledgeFeedback.platform,
    KnowledgeFeedback.workspace,
    KnowledgeFeedback.updated_at,
)


class TaughtPhraseRow(WorkspaceRow, Base):
    """A phrase an admin taught: an alias of ``entry_id`` in one workspace."""

    __tablename__ = "taught_phrase"
    __table_args__ = (UniqueConstraint("platform", "workspace", "phrase"),)

    phrase: Mapped[str] = mapped_column(String(200))
    entry_id: Mapped[str] = mapped_column(String(160))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GapDismissal(WorkspaceRow, Base):
    """An admin dismissed a gap: questions with this text asked up to ``dismissed_at`` leave the list."""

    __tablename__ = "gap_dismissal"
    __table_args__ = (UniqueConstraint("platform", "workspace", "text"),)

    text: Mapped[str] = mapped_column(String(500))
    dismissed_by: Mapped[str] = mapped_column(String(120))
    dismissed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnowledgeVersion(Base):
    """Bumped on every change to a workspace's taught phrases; replicas compare it to their overlay's."""

    __tablename__ = "knowledge_version"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(120), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
