"""The shared pacer: slots and learned rates kept in the ``send_pace`` table, for replicas on PostgreSQL.

Each send is booked with one atomic statement (one row per workspace and per channel); a
``Retry-After`` seen by one replica holds the workspace for all of them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import text

from bot.scheduler.pacing.rates import (
    ADAPTIVE,
    AHEAD,
    BOOKED_AT,
    Adaptive,
    Ahead,
    Limits,
    PlatformLimits,
    booked_at,
    first_ceiling,
)
from bot.storage.db import Database

__all__ = ["SharedPacer", "prune", "workspace_scope", "channel_scope"]


# One statement books the workspace's and the channel's next slot together. The rows are locked in
# scope order (no deadlock between two sends), the slot is the later of now and both rows' next_at,
# and each row moves to the slot plus its own interval: the channel's fixed one, the workspace's
# 1 / its learned rate, which the same statement raises for the next send (``next_rate`` in SQL).
# The delay comes back in seconds, measured against the same ``now`` (the database server's clock
# unless one is given), so the replicas' clocks never have to agree.
_RESERVE = text("""
WITH t AS (SELECT COALESCE(CAST(:now AS timestamptz), clock_timestamp()) AS now),
cur AS (
    SELECT scope, next_at, rate, ceiling, held_until FROM send_pace
    WHERE platform = :platform AND scope IN (:ws, :ch)
    ORDER BY scope FOR UPDATE
),
w AS (
    SELECT CASE WHEN CAST(:adaptive AS boolean)
                THEN COALESCE((SELECT rate FROM cur WHERE scope = :ws), CAST(:rate0 AS float8))
                ELSE CAST(:rate0 AS float8) END AS rate,
           (SELECT ceiling FROM cur WHERE scope = :ws) AS ceiling
),
nw AS (
    SELECT w.rate,
           CASE WHEN w.rate IS NULL OR w.rate <= 0 THEN 0.0 ELSE 1.0 / w.rate END AS gap,
           CASE WHEN CAST(:sent AS integer) <= 0 OR w.rate IS NULL THEN w.rate
                ELSE LEAST(COALESCE(CAST(:max_rate AS float8), 'Infinity'::float8),
                           w.rate + CASE WHEN w.ceiling IS NULL OR w.rate < CAST(:cruise AS float8) * w.ceiling
                                         THEN CAST(:step AS float8) * CAST(:sent AS integer)
                                         ELSE CAST(:probe AS float8) * w.ceiling * CAST(:sent AS integer)
                                              / GREATEST(w.rate, 1e-6) END)
           END AS next_rate
    FROM w
),
slot AS (SELECT GREATEST((SELECT now FROM t), (SELECT max(next_at) FROM cur)) AS at),
booked AS (
    INSERT INTO send_pace (platform, scope, next_at, rate)
    SELECT :platform, v.scope, slot.at + v.gap * interval '1 second', v.rate
    FROM slot, nw CROSS JOIN LATERAL (VALUES (CAST(:ws AS varchar), nw.gap, nw.next_rate),
                                             (CAST(:ch AS varchar), CAST(:ch_gap AS float8), NULL))
                                          AS v(scope, gap, rate)
    ON CONFLICT (platform, scope) DO UPDATE SET next_at = GREATEST(send_pace.next_at, EXCLUDED.next_at),
                                                rate = COALESCE(EXCLUDED.rate, send_pace.rate)
    RETURNING 1
)
SELECT CAST(EXTRACT(EPOCH FROM slot.at - t.now) AS float8), nw.rate, (SELECT held_until FROM cur WHERE scope = :ws)
FROM slot, t, nw
""")

_HELD_UNTIL = text("SELECT held_until FROM send_pace WHERE platform = :platform AND scope = :ws")

# A scope's row must exist before its first reservation: a row another replica inserts while this
# statement runs would be invisible to it, and both would take the same slot.
_ENSURE = text("""
INSERT INTO send_pace (platform, scope, next_at)
SELECT :platform, v.scope, COALESCE(CAST(:now AS timestamptz), clock_timestamp())
FROM (VALUES (CAST(:ws AS varchar)), (CAST(:ch AS varchar))) AS v(scope)
ON CONFLICT (platform, scope) DO NOTHING
""")

# Hold the workspace until now + Retry-After; and, once per hold (no cut while an earlier hold
# still runs: the sends under way met the same overload), cut its rate (``cut_rate`` in SQL). A
# hold that ends later than the last one frees the workspace from its end: every send waiting
# for a slot, in any replica, sees ``held_until`` move and books again (``SharedPacer.wait``).
_PENALISE = text("""
WITH t AS (SELECT COALESCE(CAST(:now AS timestamptz), clock_timestamp()) AS now)
INSERT INTO send_pace (platform, scope, next_at, rate, ceiling, held_until)
SELECT :platform, :ws, t.now + CAST(:retry_after AS float8) * interval '1 second',
       CASE WHEN CAST(:adaptive AS boolean)
            THEN GREATEST(CAST(:min_rate AS float8),
                          COALESCE(CAST(:at AS float8), CAST(:rate0 AS float8)) * CAST(:first AS float8)
                          * CAST(:cut AS float8)) END,
       CASE WHEN CAST(:adaptive AS boolean)
            THEN GREATEST(CAST(:min_rate AS float8),
                          COALESCE(CAST(:at AS float8), CAST(:rate0 AS float8)) * CAST(:first AS float8)) END,
       t.now + CAST(:retry_after AS float8) * interval '1 second'
FROM t
ON CONFLICT (platform, scope) DO UPDATE SET
    next_at = CASE WHEN send_pace.held_until IS NULL OR EXCLUDED.held_until > send_pace.held_until
                   THEN EXCLUDED.next_at ELSE send_pace.next_at END,
    rate = CASE WHEN NOT CAST(:adaptive AS boolean) OR send_pace.held_until > (SELECT now FROM t) THEN send_pace.rate
                ELSE GREATEST(CAST(:min_rate AS float8),
                              COALESCE(CAST(:at AS float8), send_pace.rate, CAST(:rate0 AS float8))
                              * CASE WHEN send_pace.ceiling IS NULL THEN CAST(:first AS float8) ELSE 1.0 END
                              * CAST(:cut AS float8)) END,
    ceiling = CASE WHEN NOT CAST(:adaptive AS boolean) OR send_pace.held_until > (SELECT now FROM t)
                   THEN send_pace.ceiling
                   ELSE GREATEST(CAST(:min_rate AS float8),
                                 COALESCE(CAST(:at AS float8), send_pace.rate, CAST(:rate0 AS float8))
                                 * CASE WHEN send_pace.ceiling IS NULL THEN CAST(:first AS float8) ELSE 1.0 END) END,
    held_until = GREATEST(send_pace.held_until, EXCLUDED.held_until)
""")

# Rows of channels idle for an hour and of workspaces idle for 30 days (their learned rate goes
# with them: the next send starts again at the default and learns it anew).
_PRUNE = text("""
DELETE FROM send_pace
WHERE (scope LIKE 'ch:%' AND next_at < :channel_idle) OR (scope LIKE 'ws:%' AND next_at < :workspace_idle)
""")


async def prune(
    db: Database,
    *,
    now: datetime,
    channel_idle: timedelta = timedelta(hours=1),
    workspace_idle: timedelta = timedelta(days=30),
) -> int:
    """Delete idle ``send_pace`` rows (housekeeping). Returns rows deleted."""
    async with db.session() as session:
        result = await session.execute(
            _PRUNE, {"channel_idle": now - channel_idle, "workspace_idle": now - workspace_idle}
        )
        return int(getattr(result, "rowcount", 0) or 0)


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

    def __init__(
        self,
        db: Database,
        limits: Mapping[str, Limits] | None = None,
        *,
        now: Callable[[], datetime] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tune: Adaptive = ADAPTIVE,
    ) -> None:
        self.db = db
        self.limits = limits if limits is not None else PlatformLimits()
        self.tune = tune
        self._now = now
        self._sleep = sleep
        self._known: set[tuple[str, str, str]] = set()
        # Bookings of one workspace queue here, not in the connection pool: they take the workspace's
        # row lock in turn anyway, and a burst of them (a claimed batch, a rebooking behind a hold)
        # would otherwise hold every pooled connection while a send due now waits for one.
        self._booking: dict[tuple[str, str], asyncio.Lock] = {}

    def _clock(self) -> float:
        """Seconds on this process's clock (the injected one in tests), to time the rest of a wait."""
        return self._now().timestamp() if self._now is not None else time.monotonic()

    def _params(self) -> dict[str, datetime | None]:
        return {"now": self._now() if self._now is not None else None}

    def _rate_params(self, limits: Limits) -> dict[str, object]:
        return {
            "adaptive": bool(limits.adaptive and limits.workspace_rate),
            "rate0": limits.workspace_rate,
            "max_rate": limits.max_rate,
            "min_rate": limits.min_rate,
            "step": self.tune.step,
            "probe": self.tune.probe,
            "cruise": self.tune.cruise,
            "first": self.tune.first_ceiling,
            "cut": self.tune.cut,
        }

    async def reserve(self, platform: str, workspace: str, channel: str, *, grow: bool = True) -> float:
        """Book this send's slot; returns the seconds until it (0 when it is free now). With ``grow`` the
        shared rate rises for the next send (a send booked again behind a ``Retry-After`` does not)."""
        return (await self._book(platform, workspace, channel, grow=grow))[0]

    async def _book(
        self, platform: str, workspace: str, channel: str, *, grow: bool = True
    ) -> tuple[float, datetime | None]:
        limits = self.limits.get(platform)
        if limits is None:
            return 0.0, None
        ws, ch = workspace_scope(workspace), channel_scope(workspace, channel)
        params: dict[str, object] = {
            **self._params(),
            "platform": platform,
            "ws": ws,
            "ch": ch,
            "ch_gap": float(limits.channel_interval),
        }
        lock = self._booking.get((platform, workspace))
        if lock is None:
            if len(self._booking) >= self._KNOWN_LIMIT:
                self._booking = {k: v for k, v in self._booking.items() if v.locked()}
            lock = self._booking[(platform, workspace)] = asyncio.Lock()
        async with lock, self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            key = (platform, ws, ch)
            if key not in self._known:
                await conn.execute(_ENSURE, {k: params[k] for k in ("now", "platform", "ws", "ch")})
                if len(self._known) >= self._KNOWN_LIMIT:
                    self._known.clear()
                self._known.add(key)
            rate = {k: v for k, v in self._rate_params(limits).items() if k not in ("min_rate", "first", "cut")}
            rate["sent"] = 1 if rate["adaptive"] and grow else 0
            delay, booked, held = (await conn.execute(_RESERVE, {**params, **rate})).one()
        if booked is not None:
            BOOKED_AT.set((platform, workspace, float(booked)))
        return max(0.0, float(delay)), held

    async def wait(self, platform: str, workspace: str, channel: str, *, ahead: Ahead | None = None) -> float:
        """Sleep until this send's slot; returns the seconds waited. ``ahead`` runs once, ``AHEAD`` before the slot.

        A ``Retry-After`` recorded while the send slept, by any replica, books it again: behind the
        hold and at the cut rate. One more statement tells, also run ``AHEAD`` before the slot.
        """
        waited = 0.0
        booked = 0
        while True:
            delay, held = await self._book(platform, workspace, channel, grow=not booked)
            booked += 1
            if delay <= 0:
                if ahead is not None:
                    await ahead()
                return waited
            early = min(AHEAD, delay)
            await self._sleep(delay - early)
            checked_at = self._clock()
            async with self.db.engine.connect() as conn:
                now_held = (
                    await conn.execute(_HELD_UNTIL, {"platform": platform, "ws": workspace_scope(workspace)})
                ).scalar()
            if now_held != held:
                waited += delay - early
                continue
            if ahead is not None:
                await ahead()
            rest = early - (self._clock() - checked_at)
            if rest > 0:
                await self._sleep(rest)
            return waited + delay

    async def penalise(self, platform: str, workspace: str, retry_after: float, *, rate: float | None = None) -> None:
        """The platform said ``Retry-After``: no replica sends to this workspace before it has passed; the
        learned rate is cut (once per hold)."""
        limits = self.limits.get(platform)
        if limits is None:
            return
        async with self.db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            at = rate or booked_at(platform, workspace)
            first = first_ceiling(at, self.tune) / at if at else self.tune.first_ceiling
            await conn.execute(
                _PENALISE,
                {
                    **self._params(),
                    **self._rate_params(limits),
                    "platform": platform,
                    "ws": workspace_scope(workspace),
                    "retry_after": float(retry_after),
                    "at": at,
                    "first": first,
                },
            )

    async def rate(self, platform: str, workspace: str) -> float | None:
        """The rate this workspace is sent at now (messages/s), as the replicas share it."""
        limits = self.limits.get(platform)
        if limits is None or not limits.workspace_rate:
            return None
        if not limits.adaptive:
            return limits.workspace_rate
        async with self.db.engine.connect() as conn:
            stored = (
                await conn.execute(
                    text("SELECT rate FROM send_pace WHERE platform = :p AND scope = :s"),
                    {"p": platform, "s": workspace_scope(workspace)},
                )
            ).scalar()
        return float(stored) if stored is not None else limits.workspace_rate
