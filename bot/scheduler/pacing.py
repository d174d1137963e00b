"""Outbound pacing: spread a fan-out under the platforms' per-channel and per-workspace limits.

Each send reserves the next free slot of its channel and of its workspace
(reservation, not a bucket that refills: a burst of 2,000 sends becomes an
even stream at the allowed rate instead of a wall of 429s). A ``Retry-After``
from the platform pushes the workspace's next slot back. The workspace rate is
learned (``Adaptive``): Slack publishes none, so a fixed guess is either too
slow for a big workspace or too fast for a small one.

``Pacer`` keeps the slots in memory: right for SQLite, where one process
sends. On PostgreSQL several replicas drain one outbox, so ``SharedPacer``
keeps them in the ``send_pace`` table (one row per workspace and per channel)
and books each send with one atomic statement; a ``Retry-After`` seen by one
replica holds the workspace for all of them. ``pacer_for`` picks by dialect.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import text

from bot.storage.db import Database

__all__ = [
    "Limits",
    "Adaptive",
    "AHEAD",
    "Ahead",
    "Pacer",
    "SharedPacer",
    "PacerLike",
    "pacer_for",
    "limits_for",
    "PlatformLimits",
    "next_rate",
    "cut_rate",
    "first_ceiling",
    "prune",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Seconds between two messages to one channel; messages per second to one workspace.

    With ``adaptive`` the workspace rate is where sending starts, and the pacer learns the real
    one (``Adaptive``) between ``min_rate`` and ``max_rate``; without, it is a fixed rate (still
    held back by any ``Retry-After``).
    """

    channel_interval: float = 0.0
    workspace_rate: float | None = None
    adaptive: bool = False
    max_rate: float | None = None
    min_rate: float = 0.5


@dataclass(frozen=True, slots=True)
class Adaptive:
    """How a workspace's rate is learned: additive increase per send, multiplicative decrease on a 429.

    Until the first 429 the rate rises by ``step`` per send (so it reaches a big workspace's
    limit within a couple of seconds). A 429 sets the ceiling to the rate the refused send was
    booked at (the first time, to the sends booked in the second before it, ``first_ceiling()``:
    the fast climb overshoots by up to a second of sends before the platform's window fills)
    and cuts the rate to ``cut`` times that; one cut per ``Retry-After`` hold, since the sends
    already under way report the same overload. Every send booked before a 429 is booked again
    behind the hold at the cut rate. Below ``cruise`` of the ceiling the rate climbs back by
    ``step`` per send; above, it probes upwards by ``probe`` of the ceiling per second of sending
    (0.3 %: from the cut to the ceiling in about 25 s), so a 429, and the hold it costs,
    stays rare. The values were tuned in fake time against a stand-in with a one-second window
    (``tests/scheduler/test_pacing_adaptive.py``).
    """

    step: float = 1.0
    probe: float = 0.003
    cut: float = 0.93
    cruise: float = 0.9
    first_ceiling: float = 0.8


ADAPTIVE = Adaptive()

# Seconds before its slot that a send does what must happen before it goes but need not happen at
# the slot: the transport's preparation (``ahead``) and, shared, the check for a new Retry-After
# hold. Its round trips then do not make the send late: a late send bunches up with the next
# ones, and a platform that counts posts per second refuses the bunch.
AHEAD = 0.1

Ahead = Callable[[], Awaitable[None]]


class PlatformLimits(Mapping[str, Limits]):
    """Each platform's limits, as its plugin declares them (``Platform.limits``), asked for on first use.

    The core knows no platform's numbers: a platform is loaded only when something is paced for
    it, so a process that never sends (``cos-bot ask``) loads no platform at all.
    """

    def __init__(
        self, settings: object | None = None, *, lookup: Callable[[str, object | None], Limits | None] | None = None
    ) -> None:
        self._settings = settings
        self._lookup = lookup or _plugin_limits
        self._known: dict[str, Limits | None] = {}

    def __getitem__(self, platform: str) -> Limits:
        if platform not in self._known:
            self._known[platform] = self._lookup(platform, self._settings)
        found = self._known[platform]
        if found is None:
            raise KeyError(platform)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, found in self._known.items() if found is not None])

    def __len__(self) -> int:
        return sum(found is not None for found in self._known.values())


def _plugin_limits(platform: str, settings: object | None) -> Limits | None:
    from bot.plugins import platform_limits

    return platform_limits(platform, settings)


def limits_for(settings: object | None = None) -> PlatformLimits:
    """The installed platforms' limits under these settings (``COS_SLACK_WORKSPACE_RATE`` pins Slack's)."""
    return PlatformLimits(settings)


def next_rate(rate: float, ceiling: float | None, limits: Limits, tune: Adaptive = ADAPTIVE, sent: int = 1) -> float:
    """The rate after ``sent`` more sends were booked."""
    if not limits.adaptive or sent <= 0:
        return rate
    if ceiling is None or rate < tune.cruise * ceiling:
        rate += tune.step * sent
    else:
        rate += tune.probe * ceiling * sent / max(rate, 1e-6)
    return min(rate, limits.max_rate) if limits.max_rate else rate


def first_ceiling(rate: float, tune: Adaptive = ADAPTIVE) -> float:
    """The sends of the second before a send booked at ``rate`` during the first climb.

    The climb adds ``step`` per send, so the sends before it were booked at ``rate - step``,
    ``rate - 2 * step`` ...; as many fit in one second as the platform's window let through.
    Without a step (or with too few sends to fill a second) it is ``first_ceiling`` of the rate.
    """
    if tune.step <= 0:
        return rate * tune.first_ceiling
    elapsed, count, r = 0.0, 0, rate - tune.step
    while r > 0 and count < 10_000:
        elapsed += 1.0 / r
        if elapsed >= 1.0:
            return max(float(count), rate * 0.5)
        count += 1
        r -= tune.step
    return rate * tune.first_ceiling


def cut_rate(rate: float, ceiling: float | None, limits: Limits, tune: Adaptive = ADAPTIVE) -> tuple[float, float]:
    """(new rate, new ceiling) after a 429 met by a send booked at ``rate``."""
    new_ceiling = first_ceiling(rate, tune) if ceiling is None else rate
    return max(limits.min_rate, new_ceiling * tune.cut), max(limits.min_rate, new_ceiling)


# The rate this task's last send was booked at: a 429 it meets is pinned on that rate, not on the
# rate booked last (sends are booked ahead, up to ``concurrency`` of them, at rising rates).
_BOOKED_AT: contextvars.ContextVar[tuple[str, str, float] | None] = contextvars.ContextVar(
    "cos_booked_rate", default=None
)


def _booked_at(platform: str, workspace: str) -> float | None:
    booked = _BOOKED_AT.get()
    return booked[2] if booked is not None and booked[:2] == (platform, workspace) else None


class Pacer:
    """Reserve send slots; ``wait`` sleeps until this send's slot."""

    def __init__(
        self,
        limits: Mapping[str, Limits] | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        tune: Adaptive = ADAPTIVE,
    ) -> None:
        self.limits = limits if limits is not None else PlatformLimits()
        self.tune = tune
        self._monotonic = monotonic
        self._sleep = sleep
        self._channel_next: dict[tuple[str, str, str], float] = {}
        self._workspace_next: dict[tuple[str, str], float] = {}
        self._rate: dict[tuple[str, str], float] = {}
        self._ceiling: dict[tuple[str, str], float] = {}
        self._hold_until: dict[tuple[str, str], float] = {}  # when the last Retry-After hold ends
        self._holds: dict[tuple[str, str], int] = {}  # Retry-Afters met, per workspace

    def rate(self, platform: str, workspace: str) -> float | None:
        """The rate this workspace is sent at now (messages/s); None when it has no workspace limit."""
        limits = self.limits.get(platform)
        if limits is None or not limits.workspace_rate:
            return None
        return self._rate.get((platform, workspace), limits.workspace_rate)

    def reserve(self, platform: str, workspace: str, channel: str, *, grow: bool = True) -> float:
        """The monotonic time at which this send may go; books the slot and, with ``grow``, raises the rate
        for the next one (a send booked again behind a ``Retry-After`` does not)."""
        limits = self.limits.get(platform)
        now = self._monotonic()
        if limits is None:
            return now
        ck, wk = (platform, workspace, channel), (platform, workspace)
        slot = max(now, self._channel_next.get(ck, 0.0), self._workspace_next.get(wk, 0.0))
        if limits.channel_interval:
            self._channel_next[ck] = slot + limits.channel_interval
        if limits.workspace_rate:
            rate = self._rate.get(wk, limits.workspace_rate)
            self._workspace_next[wk] = slot + 1.0 / rate
            _BOOKED_AT.set((platform, workspace, rate))
            if grow:
                self._rate[wk] = next_rate(rate, self._ceiling.get(wk), limits, self.tune)
        return slot

    async def wait(self, platform: str, workspace: str, channel: str, *, ahead: Ahead | None = None) -> float:
        """Sleep until a slot is free; returns the seconds waited. ``ahead`` runs once, ``AHEAD`` before the slot.

        A ``Retry-After`` that arrives while this send sleeps books it again, behind the hold and at the
        cut rate (every send booked before a 429 is, so the slots booked ahead at the old rate go).
        """
        wk = (platform, workspace)
        waited = 0.0
        booked = 0
        while True:
            epoch = self._holds.get(wk, 0)
            slot = self.reserve(platform, workspace, channel, grow=not booked)
            booked += 1
            if ahead is not None:
                early = slot - AHEAD - self._monotonic()
                if early > 0:
                    await self._sleep(early)
                    waited += early
                await ahead()
                ahead = None
            delay = slot - self._monotonic()
            if delay > 0:
                await self._sleep(delay)
                waited += delay
            if self._holds.get(wk, 0) == epoch:
                return waited

    def penalise(self, platform: str, workspace: str, retry_after: float, *, rate: float | None = None) -> None:
        """The platform said ``Retry-After``: nobody in this workspace sends before it has passed; the rate is
        cut, from ``rate`` (default: the rate this task's send was booked at)."""
        wk = (platform, workspace)
        now = self._monotonic()
        until = now + retry_after
        previous = self._hold_until.get(wk)
        self._hold_until[wk] = max(previous or 0.0, until)
        self._holds[wk] = self._holds.get(wk, 0) + 1
        # Every send waiting for a slot books again (``wait``): the workspace is free from the hold's end.
        self._workspace_next[wk] = self._hold_until[wk]
        limits = self.limits.get(platform)
        if limits is None or not limits.adaptive or not limits.workspace_rate:
            return
        if previous is not None and previous > now:
            return  # one cut per hold: the sends already under way met the same overload
        at = rate or _booked_at(platform, workspace) or self._rate.get(wk, limits.workspace_rate)
        self._rate[wk], self._ceiling[wk] = cut_rate(at, self._ceiling.get(wk), limits, self.tune)


class PacerLike(Protocol):
    """What the scheduler needs from a pacer: wait for a slot; hold a workspace after a ``Retry-After``."""

    async def wait(self, platform: str, workspace: str, channel: str, *, ahead: Ahead | None = None) -> float: ...

    def penalise(self, platform: str, workspace: str, retry_after: float) -> Awaitable[None] | None: ...


def pacer_for(db: Database, settings: object | None = None) -> PacerLike:
    """The in-memory pacer on SQLite (one process writes); the shared one on PostgreSQL (replicas)."""
    limits = limits_for(settings)
    return Pacer(limits) if db.is_sqlite else SharedPacer(db, limits)


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
            _BOOKED_AT.set((platform, workspace, float(booked)))
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
            at = rate or _booked_at(platform, workspace)
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
