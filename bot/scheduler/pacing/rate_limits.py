"""How a transport tells the scheduler about a rate limit it met (and perhaps waited out) during a send.

The platform SDKs wait out most 429s themselves (slack_sdk's retry handlers,
discord.py's limiter), so the send that met one may still succeed and the
scheduler would never hear of it. The pacer must, though: a 429 is its only
signal that the workspace's real limit was crossed. So the scheduler opens a
``listening`` block around each transport call, and the adapter's SDK hook
(running in the same task) calls ``report``; the listener cuts the pace and
holds the workspace for every replica.

A context variable, not a new ``Transport`` argument: the hooks live deep in
the SDKs' retry machinery, where no argument of ours reaches.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["RateLimitHit", "Listener", "listening", "report", "wait_turn"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateLimitHit:
    """A 429 met during a send: the platform's wait hint (seconds) and whether it covers the whole app/workspace."""

    retry_after: float
    scope: str = "workspace"  # "workspace" (Slack's method limit, Discord's global limit) | "channel" | "route"


Callback = Callable[[RateLimitHit], Awaitable[None]]
Resume = Callable[[], Awaitable[None]]


class Listener:
    """Collects the rate limits reported during one send and passes each to ``callback``; ``resume`` (when
    given) is how long an SDK retry of the send waits: for the pacer's next slot, not a bare sleep."""

    def __init__(self, callback: Callback, resume: Resume | None = None) -> None:
        self.callback = callback
        self.resume = resume
        self.hits: list[RateLimitHit] = []


_CURRENT: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("cos_rate_limit_listener", default=None)


@contextmanager
def listening(callback: Callback, resume: Resume | None = None) -> Iterator[Listener]:
    """Within this block (and the tasks it starts), ``report`` reaches ``callback`` and ``wait_turn`` ``resume``."""
    listener = Listener(callback, resume)
    token = _CURRENT.set(listener)
    try:
        yield listener
    finally:
        _CURRENT.reset(token)


async def report(retry_after: float, *, scope: str = "workspace") -> None:
    """A transport met a 429 (called from SDK hooks). Without a listener (an interactive reply) it is a no-op."""
    listener = _CURRENT.get()
    if listener is None:
        return
    hit = RateLimitHit(retry_after=max(0.0, float(retry_after)), scope=scope)
    listener.hits.append(hit)
    try:
        await listener.callback(hit)
    except Exception:
        log.warning("a rate limit could not be recorded", exc_info=True)


async def wait_turn() -> bool:
    """An SDK is about to retry a rate-limited send: wait for the listener's turn (the pacer's next slot,
    which lies behind the ``Retry-After`` hold). False without a listener: the SDK sleeps as it would."""
    listener = _CURRENT.get()
    if listener is None or listener.resume is None:
        return False
    await listener.resume()
    return True
