"""Injected time: the real clock in production, a fake one in tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import available_timezones

__all__ = ["Clock", "SystemClock", "FakeClock", "canonical_zone", "sleep_until"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; ``sleep_until`` returns once it was moved far enough."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._sleepers: list[asyncio.Future[None]] = []

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        self._moved()
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)
        self._moved()

    @property
    def sleeping(self) -> int:
        """How many ``sleep_until`` calls wait for the clock to move."""
        return sum(not f.done() for f in self._sleepers)

    async def sleep_until(self, when: datetime) -> None:
        """Wait until the clock is moved to ``when`` or later (no real time passes)."""
        while self._now < when:
            moved = asyncio.get_running_loop().create_future()
            self._sleepers.append(moved)
            try:
                await moved
            finally:
                if moved in self._sleepers:
                    self._sleepers.remove(moved)

    def _moved(self) -> None:
        sleepers, self._sleepers = self._sleepers, []
        for f in sleepers:
            if not f.done() and not f.get_loop().is_closed():
                f.set_result(None)


async def sleep_until(clock: Clock, when: datetime) -> None:
    """Sleep until ``clock`` reads ``when`` or later: never returns early, even by a millisecond.

    A clock with a ``sleep_until`` of its own (``FakeClock``: until the test moves it) sleeps its way.
    """
    own = getattr(clock, "sleep_until", None)
    if own is not None:
        await own(when)
        return
    while (left := (when - clock.now()).total_seconds()) > 0:  # noqa: ASYNC110 - a timer may fire a hair early
        await asyncio.sleep(left)


_ZONE_ALIASES = {"utc": "UTC", "gmt": "UTC", "z": "UTC", "zulu": "UTC"}


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def canonical_zone(name: str) -> str | None:
    """The IANA zone name for ``name`` in any letter case (``europe/berlin`` -> ``Europe/Berlin``), or None."""
    folded = name.strip().casefold()
    if not folded or len(folded) > 64:
        return None
    if folded in _ZONE_ALIASES:
        return _ZONE_ALIASES[folded]
    return _zones_by_folded_name().get(folded)
