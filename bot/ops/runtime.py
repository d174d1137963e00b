"""The event loop the long-running commands run on: uvloop where it is installed, asyncio's own otherwise.

uvloop (libuv under asyncio's API) costs the scheduler's workers about a fifth less CPU per delivery
than asyncio's selector loop (``bench/outbox_drain.py``), which matters most when several replicas share
a few cores with the database. Every library the bot uses (discord.py, slack-bolt's aiohttp, asyncpg,
aiosqlite, APScheduler's asyncio scheduler) runs on any asyncio loop. ``COS_EVENT_LOOP=asyncio``
chooses asyncio's own loop, for debugging or to rule the loop out.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run", "loop_factory", "loop_name"]

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop constructor, or None for asyncio's default (``COS_EVENT_LOOP=asyncio`` or no uvloop)."""
    if os.environ.get("COS_EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:  # not installed (Windows): asyncio's own loop serves
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name() -> str:
    return "uvloop" if loop_factory() is not None else "asyncio"


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on the chosen loop."""
    factory = loop_factory()
    if factory is None:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
