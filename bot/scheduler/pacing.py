"""Outbound pacing: spread a fan-out under the platforms' per-channel and per-workspace limits.

Each send reserves the next free slot of its channel and of its workspace
(reservation, not a bucket that refills: a burst of 2,000 sends becomes an
even stream at the allowed rate instead of a wall of 429s). A ``Retry-After``
from the platform pushes the workspace's next slot back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["Limits", "Pacer", "DEFAULT_LIMITS"]


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
