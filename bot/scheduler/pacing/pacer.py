"""The in-process pacer: slots kept in memory, right for SQLite, where one process sends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from bot.scheduler.pacing.rates import (
    ADAPTIVE,
    AHEAD,
    BOOKED_AT,
    Adaptive,
    Ahead,
    Limits,
    PlatformLimits,
    booked_at,
    cut_rate,
    limits_for,
    next_rate,
)
from bot.storage.db import Database

__all__ = ["Pacer", "PacerLike", "pacer_for"]


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
            BOOKED_AT.set((platform, workspace, rate))
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
        at = rate or booked_at(platform, workspace) or self._rate.get(wk, limits.workspace_rate)
        self._rate[wk], self._ceiling[wk] = cut_rate(at, self._ceiling.get(wk), limits, self.tune)


class PacerLike(Protocol):
    """What the scheduler needs from a pacer: wait for a slot; hold a workspace after a ``Retry-After``."""

    async def wait(self, platform: str, workspace: str, channel: str, *, ahead: Ahead | None = None) -> float: ...

    def penalise(self, platform: str, workspace: str, retry_after: float) -> Awaitable[None] | None: ...


def pacer_for(db: Database, settings: object | None = None) -> PacerLike:
    """The in-memory pacer on SQLite (one process writes); the shared one on PostgreSQL (replicas)."""
    limits = limits_for(settings)
    if db.is_sqlite:
        return Pacer(limits)
    from bot.scheduler.pacing.shared import SharedPacer

    return SharedPacer(db, limits)
