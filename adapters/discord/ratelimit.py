"""Discord's global 429s, reported to the scheduler's pacer through an aiohttp trace on discord.py's session.

discord.py's limiter keeps to Discord's published per-route buckets and waits
out every 429 itself, so a send that met one still succeeds and nobody else
hears of it. A global 429 (``X-RateLimit-Global``/``X-RateLimit-Scope: global``)
concerns the whole bot, though: ``report`` hands it to the pacer (when a
scheduled send is under way), which holds the guild for every replica and cuts
its pace. Per-route 429s stay discord.py's business.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp

from bot.scheduler.pacing import rate_limits

__all__ = ["rate_limit_trace", "global_retry_after"]


def global_retry_after(status: int, headers: Any) -> float | None:
    """The wait of a global 429 in seconds; None for any other response."""
    if status != 429:
        return None
    is_global = (
        str(headers.get("X-RateLimit-Global", "")).lower() == "true"
        or str(headers.get("X-RateLimit-Scope", "")).lower() == "global"
    )
    if not is_global:
        return None
    try:
        return max(0.0, float(headers.get("Retry-After", "1")))
    except (TypeError, ValueError):
        return 1.0


def rate_limit_trace() -> aiohttp.TraceConfig:
    """A ``TraceConfig`` for ``discord.Client(http_trace=...)``."""

    async def on_request_end(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        wait = global_retry_after(params.response.status, params.response.headers)
        if wait is not None:
            await rate_limits.report(wait)

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    return trace
