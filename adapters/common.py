"""What the Slack and Discord adapters share: the answer-within-the-deadline race and text clipping.

Both platforms give a command a few seconds for its first response (Slack's ack: 3 s;
Discord's interaction callback: 3 s). ``answer_within`` runs the work and, when it is not
done in time, calls ``on_slow`` (Slack acks with "Looking that up…", Discord defers) so
the answer can follow later without losing the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["answer_within", "clip"]

T = TypeVar("T")


async def answer_within(deadline: float, work: Awaitable[T],
                        on_slow: Callable[[], Awaitable[object]]) -> tuple[asyncio.Future[T], bool]:
    """Start ``work``; if it is not done within ``deadline`` seconds, await ``on_slow()``.

    Returns the work's future (done, or still running) and whether ``on_slow`` was called.
    A failure of the work is left in the future for the caller to read.
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=deadline)
    if task in done:
        return task, False
    await on_slow()
    return task, True


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
