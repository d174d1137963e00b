"""The delivery outbox: enqueue once, claim with a lease, mark sent with a fenced update.

On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED`` then an
``UPDATE`` of those rows in the same transaction, so concurrent workers never
take the same row; on SQLite (one writer at a time) the ``UPDATE`` re-checks
that each row is still claimable, a conditional update. A worker
whose lease ran out may no longer touch a row: every transition after the
claim carries ``WHERE claimed_by = <this claim's token>``.

Semantics (at least once, repeats kept to sends in flight):

* A claim holds a row until ``lease_until``. Another worker may re-claim it
  only after that, with a new token; the old holder's updates then match no row.
* Right before every transport call the holder renews its lease (``renew``, a fenced
  update). No row changed means the row was re-claimed: the send is skipped.
  So a message is sent twice only when a send already under way outlives its
  lease (a hung call, or a crash between the send and ``mark_sent``); the
  repeat carries the same idempotency key, which Discord de-duplicates.
* ``attempts`` counts delivery tries: a claim of a pending row adds one. A
  re-claim after a lost lease adds none (the lost holder's try becomes the new
  holder's), and a rate limit (a failure with ``retry_after``) gives its try
  back, so neither uses up ``max_attempts``. A row is dead-lettered when a
  permanent error occurs or a failed try brings ``attempts`` to ``max_attempts``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, literal_column, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.models import (
    OUTBOX_CLAIMED,
    OUTBOX_DEAD,
    OUTBOX_PENDING,
    OUTBOX_SENT,
    OUTBOX_SKIPPED,
    Outbox,
)
from bot.scheduler.occurrences import Occurrence
from bot.storage.db import Database
from bot.storage.sql import affected, insert_ignore

__all__ = [
    "OutboxRow",
    "SentMark",
    "enqueue",
    "claim",
    "renew",
    "mark_sent",
    "mark_sent_many",
    "mark_skipped",
    "mark_failed",
    "backoff",
    "counts",
    "open_rows",
    "insert_ignore",
    "affected",
    "POISON_REASON",
]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed row, detached from the session."""

    id: int
    key: str
    platform: str
    workspace: str
    schedule_id: int | None
    kind: str
    target_type: str
    target: str
    channel: str
    due_at: datetime
    tz: str
    payload: dict[str, Any]
    attempts: int
    claimed_by: str

    @property
    def pace_channel(self) -> str:
        return f"dm:{self.target}" if self.target_type == "dm" else self.target


async def enqueue(
    session: AsyncSession,
    occurrences: list[Occurrence],
    *,
    now: datetime,
    payload_extra: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Insert one row per occurrence; a key that exists already is left alone. Returns rows inserted."""
    if not occurrences:
        return 0
    rows = []
    for o in occurrences:
        payload = o.payload() | (payload_extra or {}).get(o.key, {})
        rows.append(
            {
                "key": o.key,
                "platform": o.platform,
                "workspace": o.workspace,
                "schedule_id": o.schedule_id,
                "kind": o.kind,
                "target_type": o.target_type,
                "target": o.target,
                "channel": o.channel,
                "due_at": o.at,
                "tz": o.tz,
                "payload": json.dumps(payload, default=str),
                "status": OUTBOX_PENDING,
                "attempts": 0,
                "next_attempt_at": o.at,
                "fallback": False,
                "created_at": now,
            }
        )
    stmt = insert_ignore(session, Outbox).values(rows).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(stmt)
    return affected(result)


def _claimable(now: datetime, suspects: bool | None = None, until: datetime | None = None) -> Any:
    """Due pending rows (``suspects=False``), rows whose holder's lease ran out (``True``), or both (None).

    With ``until`` (and ``suspects=False``): pending rows due in ``(now, until]`` for the first time instead
    (never tried: ``next_attempt_at`` is still ``due_at``), the rows a worker renders ahead of their due instant.
    """
    # The status is written into the SQL, not bound: PostgreSQL matches a partial index's predicate
    # (``ix_outbox_due``) only against constants it sees, also in a cached generic plan.
    if until is not None:
        return and_(
            Outbox.status == literal_column(f"'{OUTBOX_PENDING}'"),
            Outbox.next_attempt_at > now,
            Outbox.next_attempt_at <= until,
            Outbox.next_attempt_at == Outbox.due_at,
        )
    pending = and_(Outbox.status == literal_column(f"'{OUTBOX_PENDING}'"), Outbox.next_attempt_at <= now)
    expired = and_(Outbox.status == OUTBOX_CLAIMED, Outbox.lease_until < now)
    if suspects is None:
        return or_(pending, expired)
    return expired if suspects else pending


def open_rows() -> Any:
    """True while any row is pending or claimed: two index probes (``ix_outbox_due``, ``ix_outbox_lease``)."""
    pending = select(Outbox.id).where(Outbox.status == literal_column(f"'{OUTBOX_PENDING}'"))
    leased = select(Outbox.id).where(Outbox.lease_until.is_not(None), Outbox.status == OUTBOX_CLAIMED)
    return or_(pending.exists(), leased.exists())


POISON_REASON = "the process stopped while sending this"


async def claim(
    db: Database,
    *,
    token: str,
    now: datetime,
    limit: int,
    lease: timedelta,
    max_claims: int | None = None,
    dead: list[OutboxRow] | None = None,
    suspects: bool | None = None,
    until: datetime | None = None,
) -> list[OutboxRow]:
    """Take up to ``limit`` due rows for this worker, oldest first, with a lease until ``now + lease``.

    With ``until``, rows due in ``(now, until]`` instead, never tried before (``_claimable``), held until
    ``until + lease``: their holder sleeps until each is due, and the lease still covers the send after that.

    One statement (``WITH c AS MATERIALIZED (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) UPDATE ... RETURNING``).
    Claiming a pending row counts a try (``attempts + 1``); re-claiming one whose holder died or
    stalled does not: that row has not failed. Every claim counts in ``claims`` (reset by an
    outcome), so a row whose lease was lost ``max_claims`` times, a message that kills the process
    sending it, is dead-lettered here with ``POISON_REASON`` instead of being claimed again; such
    rows are appended to ``dead`` when given. ``suspects`` narrows the claim to rows whose holder's
    lease ran out (True) or to pending rows (False); None takes both.
    """
    # Each order is an index's order (``ix_outbox_due``, ``ix_outbox_lease``), so a claim reads the rows it takes.
    order = (Outbox.lease_until, Outbox.id) if suspects else (Outbox.next_attempt_at, Outbox.id)
    if until is not None:
        suspects = False
    candidates = select(Outbox.id).where(_claimable(now, suspects, until)).order_by(*order).limit(limit)
    if not db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    # A materialised CTE: as a plain ``IN (subquery)`` PostgreSQL may run the LIMIT more than once.
    chosen = candidates.cte("candidate").prefix_with("MATERIALIZED", dialect="postgresql")
    poison = and_(Outbox.status == OUTBOX_CLAIMED, Outbox.claims >= max_claims) if max_claims else false()
    # PostgreSQL: ``UPDATE ... FROM candidate`` joins on the primary key (the rows are locked already, and a
    # row changed meanwhile is re-checked by the lock itself). SQLite has no row locks: the claimable
    # condition is repeated, so a row another worker claimed first is left alone.
    taken = (
        (Outbox.id == chosen.c.id,)
        if not db.is_sqlite
        else (Outbox.id.in_(select(chosen.c.id)), _claimable(now, suspects, until))
    )
    lease_until = (until if until is not None and until > now else now) + lease
    stmt = (
        update(Outbox)
        .where(*taken)
        .values(
            status=case((poison, OUTBOX_DEAD), else_=OUTBOX_CLAIMED),
            claimed_by=case((poison, None), else_=token),
            lease_until=case((poison, None), else_=lease_until),
            last_error=case((poison, POISON_REASON), else_=Outbox.last_error),
            claims=case((poison, Outbox.claims), else_=Outbox.claims + 1),
            attempts=case((Outbox.status == OUTBOX_PENDING, Outbox.attempts + 1), else_=Outbox.attempts),
        )
        .returning(
            Outbox.id,
            Outbox.key,
            Outbox.platform,
            Outbox.workspace,
            Outbox.schedule_id,
            Outbox.kind,
            Outbox.target_type,
            Outbox.target,
            Outbox.channel,
            Outbox.due_at,
            Outbox.tz,
            Outbox.payload,
            Outbox.attempts,
            Outbox.status,
        )
        .execution_options(synchronize_session=False)
    )
    async with db.engine.begin() as conn:
        rows = (await conn.execute(stmt)).all()
    claimed: list[OutboxRow] = []
    for r in rows:
        due_at = r.due_at if r.due_at.tzinfo else r.due_at.replace(tzinfo=UTC)
        row = OutboxRow(
            id=r.id,
            key=r.key,
            platform=r.platform,
            workspace=r.workspace,
            schedule_id=r.schedule_id,
            kind=r.kind,
            target_type=r.target_type,
            target=r.target,
            channel=r.channel,
            due_at=due_at,
            tz=r.tz,
            payload=json.loads(r.payload or "{}"),
            attempts=r.attempts,
            claimed_by=token if r.status == OUTBOX_CLAIMED else "",
        )
        if r.status == OUTBOX_CLAIMED:
            claimed.append(row)
        elif dead is not None:
            dead.append(row)
    claimed.sort(key=lambda r: (r.due_at, r.id))
    return claimed


async def _fenced(db: Database, row: OutboxRow, **values: Any) -> bool:
    async with db.session() as session:
        result = await session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.claimed_by == row.claimed_by, Outbox.status == OUTBOX_CLAIMED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(affected(result))


async def renew(db: Database, row: OutboxRow, *, now: datetime, lease: timedelta) -> bool:
    """Extend this worker's lease to ``now + lease``. False when the row is no longer ours: do not send it."""
    return await _fenced(db, row, lease_until=now + lease)


async def mark_sent(
    db: Database, row: OutboxRow, *, now: datetime, fallback: bool = False, note: str | None = None
) -> bool:
    """Sent. False when this worker no longer holds the row (its lease expired and it was re-claimed)."""
    return await _fenced(
        db, row, status=OUTBOX_SENT, sent_at=now, lease_until=None, fallback=fallback, last_error=note, claims=0
    )


@dataclass(frozen=True, slots=True)
class SentMark:
    """One row to mark sent (``mark_sent_many``)."""

    row: OutboxRow
    at: datetime
    fallback: bool = False
    note: str | None = None


_MARK_SENT_MANY = text("""
UPDATE outbox AS o
SET status = 'sent', sent_at = v.sent_at, lease_until = NULL, fallback = v.fallback, last_error = v.note, claims = 0
FROM unnest(CAST(:ids AS integer[]), CAST(:tokens AS varchar[]), CAST(:sent AS timestamptz[]),
            CAST(:fallback AS boolean[]), CAST(:notes AS text[])) AS v(id, token, sent_at, fallback, note)
WHERE o.id = v.id AND o.claimed_by = v.token AND o.status = 'claimed'
RETURNING o.id
""")


async def mark_sent_many(db: Database, marks: list[SentMark]) -> set[int]:
    """Mark many rows sent, each fenced by its own claim, in one statement. Returns the ids still ours.

    On PostgreSQL one ``UPDATE ... FROM unnest(...)``; on SQLite (one writer, no round trips) one
    transaction of fenced updates.
    """
    if not marks:
        return set()
    if db.is_sqlite:
        done: set[int] = set()
        async with db.session() as session:
            for m in marks:
                result = await session.execute(
                    update(Outbox)
                    .where(
                        Outbox.id == m.row.id, Outbox.claimed_by == m.row.claimed_by, Outbox.status == OUTBOX_CLAIMED
                    )
                    .values(
                        status=OUTBOX_SENT,
                        sent_at=m.at,
                        lease_until=None,
                        fallback=m.fallback,
                        last_error=m.note,
                        claims=0,
                    )
                    .execution_options(synchronize_session=False)
                )
                if affected(result):
                    done.add(m.row.id)
        return done
    async with db.engine.begin() as conn:
        ids = (
            await conn.execute(
                _MARK_SENT_MANY,
                {
                    "ids": [m.row.id for m in marks],
                    "tokens": [m.row.claimed_by for m in marks],
                    "sent": [m.at.astimezone(UTC) for m in marks],
                    "fallback": [m.fallback for m in marks],
                    "notes": [m.note for m in marks],
                },
            )
        ).scalars()
        return set(ids)


async def mark_skipped(db: Database, row: OutboxRow, *, now: datetime, reason: str) -> bool:
    """Nothing to send any more (a nudge to someone who has answered)."""
    return await _fenced(db, row, status=OUTBOX_SKIPPED, sent_at=now, lease_until=None, last_error=reason, claims=0)


def backoff(attempts: int, *, spread: Callable[[], float] = random.random) -> timedelta:
    """About 3 s, 12 s, 48 s, 3 min, 13 min ... capped at one hour, each ±25 % at random.

    Most platform errors (a 503, a reset, a stall) pass within seconds, so the first retry comes
    soon; the steep growth still spreads the six tries over about 17 minutes, so a longer outage
    does not dead-letter a digest. The jitter keeps the rows that failed together (a fan-out that
    met one 503 burst) from retrying in the same instant. ``spread`` gives a number in [0, 1).
    """
    base = min(3600.0, 3.0 * 4 ** max(0, attempts - 1))
    return timedelta(seconds=base * (0.75 + 0.5 * spread()))


async def mark_failed(
    db: Database,
    row: OutboxRow,
    *,
    now: datetime,
    error: str,
    max_attempts: int,
    permanent: bool = False,
    retry_after: float | None = None,
) -> str:
    """Schedule a retry with backoff (at least ``retry_after``), or dead-letter the row. Returns the new status.

    A failure with ``retry_after`` (a rate limit: the platform asked us to wait,
    the message itself is fine) is retried after that wait and gives its try
    back, so it never dead-letters a row; any other failure keeps it.
    """
    rate_limited = retry_after is not None and not permanent
    attempts = max(0, row.attempts - 1) if rate_limited else row.attempts
    if permanent or (not rate_limited and attempts >= max_attempts):
        await _fenced(
            db, row, status=OUTBOX_DEAD, lease_until=None, attempts=attempts, last_error=error[:1000], claims=0
        )
        return OUTBOX_DEAD
    # A platform's own wait hint (429 Retry-After) replaces our backoff: it knows best.
    wait = timedelta(seconds=max(retry_after, 0.5)) if retry_after is not None else backoff(attempts)
    await _fenced(
        db,
        row,
        status=OUTBOX_PENDING,
        claimed_by=None,
        lease_until=None,
        attempts=attempts,
        next_attempt_at=now + wait,
        last_error=error[:1000],
        claims=0,
    )
    return OUTBOX_PENDING


async def counts(db: Database) -> dict[str, int]:
    """Rows per status (the ``cos_outbox_rows`` gauge)."""
    async with db.session() as session:
        rows = (await session.execute(select(Outbox.status, func.count()).group_by(Outbox.status))).all()
    return {status: int(n) for status, n in rows}
