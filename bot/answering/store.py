"""The knowledge loop's queries: what people asked, their votes, what admins taught.

Every knowledge question is logged (normalised text, command, matched, top entry and score,
platform, workspace, who asked, when); a 👍/👎 on an answer is one row per person per answer;
taught phrases are aliases of one workspace, with a per-workspace version counter that every
replica reads cheaply to know when its overlay is stale. Every query is scoped to one
``(platform, workspace)``: a workspace never sees another's log, votes or phrases.

The tables are in ``bot.answering.models``; questions are written in batches by
``bot.answering.journal``. Keyword-only functions over an open session, like ``bot.team.store``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.answering.models import GapDismissal, KnowledgeFeedback, KnowledgeQuestion, KnowledgeVersion, TaughtPhraseRow
from bot.storage.sql import affected, insert_ignore

__all__ = [
    "Gap",
    "Stats",
    "VOTES",
    "record_question",
    "get_question",
    "vote",
    "set_reason",
    "gaps",
    "dismiss_gap",
    "stats",
    "taught_phrases",
    "add_phrase",
    "remove_phrase",
    "knowledge_version",
    "taught_workspaces",
    "purge_questions",
    "vote_counts",
    "questions_of",
]

VOTES = ("up", "down")
# Rows read to group gaps and count stats: plenty for a team, bounded for a busy one.
_SCAN_LIMIT = 20_000


# -- the question log --------------------------------------------------------------------
async def record_question(
    session: AsyncSession,
    *,
    platform: str,
    workspace: str,
    user: str,
    command: str,
    text: str,
    matched: bool,
    top_entry: str | None,
    score: float | None,
    shown: Sequence[str],
    now: datetime,
) -> int:
    """Log one question; returns its id (the answer id feedback buttons carry)."""
    row = KnowledgeQuestion(
        platform=platform,
        workspace=workspace,
        user=user[:120],
        command=command[:16],
        text=text[:500],
        matched=matched,
        top_entry=top_entry,
        score=score,
        shown=json.dumps(list(shown)[:10]),
        asked_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def get_question(
    session: AsyncSession, *, question_id: int, platform: str, workspace: str
) -> KnowledgeQuestion | None:
    """The question ``question_id`` when it belongs to this workspace; None otherwise."""
    return (
        await session.execute(
            select(KnowledgeQuestion).where(
                KnowledgeQuestion.id == question_id,
                KnowledgeQuestion.platform == platform,
                KnowledgeQuestion.workspace == workspace,
            )
        )
    ).scalar_one_or_none()


async def questions_of(
    session: AsyncSession, *, platform: str, workspace: str, since: datetime
) -> list[KnowledgeQuestion]:
    return list(
        (
            await session.execute(
                select(KnowledgeQuestion)
                .where(
                    KnowledgeQuestion.platform == platform,
                    KnowledgeQuestion.workspace == workspace,
                    KnowledgeQuestion.asked_at >= since,
                )
                .order_by(KnowledgeQuestion.id.desc())
                .limit(_SCAN_LIMIT)
            )
        ).scalars()
    )


async def purge_questions(session: AsyncSession, *, before: datetime) -> int:
    """Forget questions asked before ``before`` and the votes on them (retention); returns how many."""
    old = select(KnowledgeQuestion.id).where(KnowledgeQuestion.asked_at < before)
    await session.execute(delete(KnowledgeFeedback).where(KnowledgeFeedback.question_id.in_(old)))
    return affected(await session.execute(delete(KnowledgeQuestion).where(KnowledgeQuestion.asked_at < before)))


# -- votes -------------------------------------------------------------------------------
async def vote(session: AsyncSession, *, question: KnowledgeQuestion, user: str, vote: str, now: datetime) -> str:
    """Record ``user``'s vote on an answer: "new", "changed" or "same"."""
    if vote not in VOTES:
        raise ValueError(vote)
    if await _insert_vote(session, question=question, user=user, vote=vote, now=now):
        return "new"
    row = await _vote_row(session, question=question, user=user)
    if row.vote == vote:
        return "same"
    row.vote, row.updated_at = vote, now
    if vote == "up":
        row.reason, row.comment = None, None
    return "changed"


async def set_reason(
    session: AsyncSession, *, question: KnowledgeQuestion, user: str, reason: str, comment: str | None, now: datetime
) -> None:
    """The 👎 form: a reason and an optional comment (the vote becomes 👎 if it was not)."""
    await _insert_vote(session, question=question, user=user, vote="down", now=now)
    row = await _vote_row(session, question=question, user=user)
    row.vote, row.reason, row.comment, row.updated_at = "down", reason, comment, now
    await session.flush()


async def _insert_vote(
    session: AsyncSession, *, question: KnowledgeQuestion, user: str, vote: str, now: datetime
) -> bool:
    """Insert ``user``'s vote unless one is there; True when inserted.

    ``INSERT … ON CONFLICT DO NOTHING``, not select-then-insert: a 👎 and its form (or a double click)
    arrive together, and the second insert would break the one-vote-per-person constraint.
    """
    values = {
        "question_id": question.id,
        "platform": question.platform,
        "workspace": question.workspace,
        "user": user[:120],
        "vote": vote,
        "created_at": now,
        "updated_at": now,
    }
    stmt = insert_ignore(session, KnowledgeFeedback).values(values)
    return affected(await session.execute(stmt.on_conflict_do_nothing(index_elements=["question_id", "user"]))) > 0


async def _vote_row(session: AsyncSession, *, question: KnowledgeQuestion, user: str) -> KnowledgeFeedback:
    query = select(KnowledgeFeedback).where(
        KnowledgeFeedback.question_id == question.id, KnowledgeFeedback.user == user[:120]
    )
    return (await session.execute(query.execution_options(populate_existing=True))).scalar_one()


async def vote_counts(
    session: AsyncSession, *, platform: str | None = None, workspace: str | None = None, since: datetime | None = None
) -> dict[str, int]:
    """👍 and 👎 counts (all workspaces, one platform, or one workspace): ``{"up": n, "down": m}``."""
    query = select(KnowledgeFeedback.vote, func.count()).group_by(KnowledgeFeedback.vote)
    if platform is not None:
        query = query.where(KnowledgeFeedback.platform == platform)
    if workspace is not None:
        query = query.where(KnowledgeFeedback.workspace == workspace)
    if since is not None:
        query = query.where(KnowledgeFeedback.updated_at >= since)
    counts = dict.fromkeys(VOTES, 0)
    for name, n in (await session.execute(query)).all():
        counts[str(name)] = int(n)
    return counts


# -- gaps and stats ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Gap:
    """Questions with the same normalised text that got no answer, or a 👎."""

    text: str
    command: str
    asked: int
    unanswered: int
    down: int
    # The nearest entry (the best hit of the latest asking), and the latest asking's id.
    nearest: str | None
    question_id: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Stats:
    asked: int
    answered: int
    up: int
    down: int
    top_topics: tuple[tuple[str, int], ...]
    top_gaps: tuple[Gap, ...]

    @property
    def share_answered(self) -> float:
        return self.answered / self.asked if self.asked else 0.0


async def gaps(session: AsyncSession, *, platform: str, workspace: str, since: datetime, limit: int = 10) -> list[Gap]:
    """Unanswered and 👎 questions since ``since``, grouped by text, most asked first (dismissed ones left out).

    The database groups and counts (one row per text); besides, only the recent 👎 votes and their questions'
    texts are read. The votes' ids are passed as a list, not a subquery: PostgreSQL without statistics (a
    freshly filled table) planned the subquery as a nested loop over every question.
    """
    kq, kf, gd = KnowledgeQuestion, KnowledgeFeedback, GapDismissal
    mine = (kf.platform == platform, kf.workspace == workspace, kf.vote == "down")
    live = (
        kq.platform == platform,
        kq.workspace == workspace,
        kq.asked_at >= since,
        kq.text != "",
        # asked again since it was dismissed
        ~select(gd.id)
        .where(gd.platform == platform, gd.workspace == workspace, gd.text == kq.text, kq.asked_at <= gd.dismissed_at)
        .exists(),
    )
    # A 👎 is given after its question was asked, so only votes changed since ``since`` can be about one.
    votes = (await session.execute(select(kf.question_id, kf.reason).where(*mine, kf.updated_at >= since))).all()
    downvoted = sorted({qid for qid, _ in votes})
    groups = (
        await session.execute(
            select(kq.text, func.count(), func.sum(case((kq.matched.is_(False), 1), else_=0)), func.max(kq.id))
            .where(*live, or_(kq.matched.is_(False), kq.id.in_(downvoted)))
            .group_by(kq.text)
        )
    ).all()
    if not groups:
        return []
    text_of = dict((await session.execute(select(kq.id, kq.text).where(*live, kq.id.in_(downvoted)))).all())
    down: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    for qid, reason in votes:
        text = text_of.get(qid)
        if text is None:
            continue  # asked before ``since``, or dismissed since
        down[text] += 1
        if reason:
            reasons.setdefault(text, Counter())[reason] += 1
    top = sorted(groups, key=lambda g: (-int(g[1]), -down[g[0]], -int(g[3])))[:limit]
    ids = [int(g[3]) for g in top]
    newest = {
        row.id: row for row in (await session.execute(select(kq.id, kq.command, kq.top_entry).where(kq.id.in_(ids))))
    }
    return [
        Gap(
            text=text,
            command=newest[int(latest)].command,
            asked=int(n),
            unanswered=int(unanswered or 0),
            down=down[text],
            nearest=newest[int(latest)].top_entry,
            question_id=int(latest),
            reasons=tuple(r for r, _ in reasons.get(text, Counter()).most_common(3)),
        )
        for text, n, unanswered, latest in top
    ]


async def dismiss_gap(
    session: AsyncSession, *, platform: str, workspace: str, text: str, user: str, now: datetime
) -> None:
    row = (
        await session.execute(
            select(GapDismissal).where(
                GapDismissal.platform == platform, GapDismissal.workspace == workspace, GapDismissal.text == text
            )
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(
            GapDismissal(
                platform=platform, workspace=workspace, text=text[:500], dismissed_by=user[:120], dismissed_at=now
            )
        )
    else:
        row.dismissed_by, row.dismissed_at = user[:120], now
    await session.flush()


async def stats(session: AsyncSession, *, platform: str, workspace: str, since: datetime) -> Stats:
    """Questions asked, answered, 👍/👎, the most asked topics and the top gaps since ``since``."""
    questions = await questions_of(session, platform=platform, workspace=workspace, since=since)
    topics = Counter(q.top_entry for q in questions if q.matched and q.top_entry)
    counts = await vote_counts(session, platform=platform, workspace=workspace, since=since)
    return Stats(
        asked=len(questions),
        answered=sum(1 for q in questions if q.matched),
        up=counts["up"],
        down=counts["down"],
        top_topics=tuple(topics.most_common(5)),
        top_gaps=tuple(await gaps(session, platform=platform, workspace=workspace, since=since, limit=5)),
    )


# -- taught phrases ----------------------------------------------------------------------
async def taught_phrases(session: AsyncSession, *, platform: str, workspace: str) -> list[TaughtPhraseRow]:
    return list(
        (
            await session.execute(
                select(TaughtPhraseRow)
                .where(TaughtPhraseRow.platform == platform, TaughtPhraseRow.workspace == workspace)
                .order_by(TaughtPhraseRow.phrase)
            )
        ).scalars()
    )


async def taught_workspaces(session: AsyncSession, *, limit: int) -> list[tuple[str, str]]:
    """The workspaces whose taught phrases changed most recently (the ones worth loading at start)."""
    rows = await session.execute(
        select(KnowledgeVersion.platform, KnowledgeVersion.workspace)
        .order_by(KnowledgeVersion.updated_at.desc())
        .limit(limit)
    )
    return [(platform, workspace) for platform, workspace in rows]


async def knowledge_version(session: AsyncSession, *, platform: str, workspace: str) -> int:
    """The workspace's taught-phrase version (0 when nothing was ever taught). One primary-key read."""
    row = await session.get(KnowledgeVersion, (platform, workspace))
    return row.version if row is not None else 0


async def _bump(session: AsyncSession, *, platform: str, workspace: str, now: datetime) -> None:
    row = await session.get(KnowledgeVersion, (platform, workspace), with_for_update=True)
    if row is None:
        session.add(KnowledgeVersion(platform=platform, workspace=workspace, version=1, updated_at=now))
    else:
        row.version, row.updated_at = row.version + 1, now
    await session.flush()


async def add_phrase(
    session: AsyncSession, *, platform: str, workspace: str, phrase: str, entry_id: str, user: str, now: datetime
) -> str | None:
    """Teach ``phrase`` -> ``entry_id``; returns the entry it named before when it is re-taught, else None."""
    row = (
        await session.execute(
            select(TaughtPhraseRow).where(
                TaughtPhraseRow.platform == platform,
                TaughtPhraseRow.workspace == workspace,
                TaughtPhraseRow.phrase == phrase,
            )
        )
    ).scalar_one_or_none()
    before = None
    if row is None:
        session.add(
            TaughtPhraseRow(
                platform=platform,
                workspace=workspace,
                phrase=phrase,
                entry_id=entry_id,
                created_by=user[:120],
                created_at=now,
            )
        )
    else:
        before = row.entry_id
        row.entry_id, row.created_by, row.created_at = entry_id, user[:120], now
    await _bump(session, platform=platform, workspace=workspace, now=now)
    return before


async def remove_phrase(session: AsyncSession, *, platform: str, workspace: str, phrase: str, now: datetime) -> bool:
    removed = affected(
        await session.execute(
            delete(TaughtPhraseRow).where(
                TaughtPhraseRow.platform == platform,
                TaughtPhraseRow.workspace == workspace,
                TaughtPhraseRow.phrase == phrase,
            )
        )
    )
    if removed:
        await _bump(session, platform=platform, workspace=workspace, now=now)
    return bool(removed)
