"""Outbound pacing: spread a fan-out under the platforms' per-channel and per-workspace limits.

Each send reserves the next free slot of its channel and of its workspace
(reservation, not a bucket that refills: a burst of 2,000 sends becomes an
even stream at the allowed rate instead of a wall of 429s). A ``Retry-After``
from the platform pushes the workspace's next slot back.

``Pacer`` keeps the slots in memory: right for SQLite, where one process
sends. On PostgreSQL several replicas drain one outbox, so ``SharedPacer``
keeps them in the ``send_pace`` table (one row per workspace and per channel)
and books each send with one atomic statement; a ``Retry-After`` seen by one
replica holds the workspace for all of them. ``pacer_for`` picks by dialect.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import text

from bot.storage.db import Database

__all__ = ["Limits", "Pacer", "SharedPacer", "PacerLike", "pacer_for", "DEFAULT_LIMITS"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Seconds between two messages to one channel; messages per second to one workspace."""

    channel_interval: float = 0.0
    workspace_rate: float | None = None


# Slack: about one message per second per channel; chat.postMessage is
# "special tier" with a workspace allowance of several hundred per minute.
# Discord: 5 messages per 5 s per channel, 50 requests per second per bot.
DEFAULT_LIMITS: dict[str, Limits] = {
    "slack": Limits(channel_interval=1.0, workspace_rate=4.0),
    "discord": Limits(channel_interval=1.0, workspace_rate=40.0),
}


class Pacer:
    """Reserve send slots; ``wait`` sleeps until this send's slot."""

    def __init__(self, limits: dict[str, Limits] | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._monotonic = monotonic
        self._sleep = sleep
        self._channel_next: dict[tuple[str, str, str], float] = {}
        self._workspace_next: dict[tuple[str, str], float] = {}

    def reserve(self, platform: str, workspace: str, channel: str) -> float:
        """The monotonic time at which this send may go; books the slot."""
        limits = self.limits.get(platform)
        now = self._monotonic()
        if limits is None:
            return now
        ck, wk = (platform, workspace, channel), (platform, workspace)
        slot = max(now, self._channel_next.get(ck, 0.0), self._workspace_next.get(wk, 0.0))
        if limits.channel_interval:
            self._channel_next[ck] = slot + limits.channel_interval
        if limits.workspace_rate:
            self._workspace_next[wk] = slot + 1.0 / limits.workspace_rate
        return slot

    async def wait(self, platform: str, workspace: str, channel: str) -> float:
        """Sleep until a slot is free; returns the seconds waited."""
        slot = self.reserve(platform, workspace, channel)
        delay = slot - self._monotonic()
        if delay > 0:
            await self._sleep(delay)
        return max(0.0, delay)

    def penalise(self, platform: str, workspace: str, retry_after: float) -> None:
        """The platform said ``Retry-After``: nobody in this workspace sends before it has passed."""
        wk = (platform, workspace)
        self._workspace_next[wk] = max(self._workspace_next.get(wk, 0.0), self._monotonic() + retry_after)


class PacerLike(Protocol):
    """What the scheduler needs from a pacer: wait for a slot; hold a workspace after a ``Retry-After``."""

    async def wait(self, platform: str, workspace: str, channel: str) -> float: ...

    def penalise(self, platform: str, workspace: str, retry_after: float) -> Awaitable[None] | None: ...


def pacer_for(db: Database) -> PacerLike:
    """The in-memory pacer on SQLite (one process writes); the shared one on PostgreSQL (replicas)."""
    return Pacer() if db.is_sqlite else SharedPacer(db)


# One statement books the workspace's and the channel's next slot together. The rows are locked in
# scope order (no deadlock between two sends), the slot is the later of now and both rows' next_at,
# and each row moves to the slot plus its own interval. The delay comes back in seconds, measured
# against the same ``now`` (the database server's clock unless one is given), so the replicas'
# clocks never have to agree.
_RESERVE = text("""
WITH t AS (SELECT COALESCE(CAST(:now AS timestamptz), clock_timestamp()) AS now),
cur AS (
    SELECT scope, next_at FROM send_pace
    WHERE platform = :platform AND scope IN (:ws, :ch)
    ORDER BY scope FOR UPDATE
),
slot AS (SELECT GREATEST((SELECT now FROM t), (SELECT max(next_at) FROM cur)) AS at),
booked AS (
    INSERT INTO send_pace (platform, scope, next_at)
    SELECT :platform, v.scope, slot.at + v.gap * interval '1 second'
    FROM (VALUES (CAST(:ws AS varchar), CAST(:ws_gap AS float8)),
                 (CAST(:ch AS varchar), CAST(:ch_gap AS float8))) AS v(scope, gap), slot
    ON CONFLICT (platform, scope) DO UPDATE SET next_at = GREATEST(send_pace.next_at, EXCLUDED.next_at)
    RETURNING 1
)
SELECT CAST(EXTRACT(EPOCH FROM slot.at - t.now) AS float8) FROM slot, t
""")

# A scope's row must exist before its first reservation: a row another replica inserts while this
# statement runs would be invisible to it, and both would take the same slot.
_ENSURE = text("""
INSERT INTO send_pace (platform, scope, next_at)
SELECT :platform, v.scope, COALESCE(CAST(:now AS timestamptz), clock_timestamp())
FROM (VALUES (CAST(:ws AS varchar)), (CAST(:ch AS varchar))) AS v(scope)
ON CONFLICT (platform, scope) DO NOTHING
""")

_PENALISE = text("""
WITH t AS (SELECT COALESCE(CAST(:now AS timestamptz), clock_timestamp()) AS now)
INSERT INTO send_pace (platform, scope, next_at)
SELECT :platform, :ws, t.now + CAST(:retry_after AS float8) * interval '1 second' FROM t
ON CONFLICT (platform, scope) DO UPDATE SET next_at = GREATEST(send_pace.next_at, EXCLUDED.next_at)
""")


def workspace_scope(workspace: str) -> str:
    return f"ws:{workspace}"


def channel_scope(workspace: str, channel: str) -> str:
    return f"ch:{workspace}:{channel}"


class SharedPacer:
    """The same reservations as ``Pacer``, kept in the ``send_pace`` table so every replica shares them.

    Each send costs one statement (autocommit: no separate BEGIN/COMMIT), plus one the first time
    this process meets a channel. ``now`` is the database server's clock unless a clock is injected
    (tests); ``sleep`` waits out the delay the database hands back.
    """

    _KNOWN_LIMIT = 50_000

    def __init__(self, db: Database, limits: dict[str, Limits] | None = None, *,
                 now: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.db = db
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self._now = now
        self._sleep = sleep
        self._known: set[tuple[str, str, str]] = set()

    def _params(self) -> dict[str, datetime | None]:
        return {"now": self._now() if self._now is not None else None}

    async def reserve(self, platform: str, workspace: str, channel: str) -> float:
        """Book this send's slot; returns the seconds until it (0 when it is free now)."""
        limits = self.limits.get(platform)
        if limits is None:
            return 0.0
        ws, ch = workspace_scope(workspace), channel_scope(workspace, channel)
        params: dict[str, object] = {
            **self._params(), "platform": platform, "ws": ws, "ch": ch,
            "ws_gap": 1.0 / limits.workspace_rate if limits.workspace_rate else 0.0,
            "ch_gap": float(limits.channel_interval),
        }
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            key = (platform, ws, ch)
            if key not in self._known:
                await conn.execute(_ENSURE, {k: params[k] for k in ("now", "platform", "ws", "ch")})
                if len(self._known) >= self._KNOWN_LIMIT:
                    self._known.clear()
                self._known.add(key)
            delay = (await conn.execute(_RESERVE, params)).scalar_one()
        return max(0.0, float(delay))

    async def wait(self, platform: str, workspace: str, channel: str) -> float:
        """Sleep until this send's slot; returns the seconds waited."""
        delay = await self.reserve(platform, workspace, channel)
        if delay > 0:
            await self._sleep(delay)
        return delay

    async def penalise(self, platform: str, workspace: str, retry_after: float) -> None:
        """The platform said ``Retry-After``: no replica sends to this workspace before it has passed."""
        if platform not in self.limits:
            return
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(_PENALISE, {**self._params(), "platform": platform, "ws": workspace_scope(workspace),
                                           "retry_after": float(retry_after)})
