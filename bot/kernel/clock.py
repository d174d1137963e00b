"""Injected time: the real clock in production, a fake one in tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Protocol
from zoneinfo import available_timezones

__all__ = ["Clock", "SystemClock", "FakeClock", "canonical_zone"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


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
