"""What the Slack and Discord adapters share: the answer-within-the-deadline race and text clipping.

Both platforms give a command a few seconds for its first response (Slack's ack: 3 s;
Discord's interaction callback: 3 s). ``answer_within`` runs the work and, when it is not
done in time, calls ``on_slow`` (Slack acks with "Looking that up…", Discord defers) so
the answer can follow later without losing the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from bot.app import App
from bot.kernel.reply import Reply, from_state, to_state
from bot.storage import interaction_state

log = logging.getLogger(__name__)

__all__ = ["answer_within", "clip", "ReplyStore", "PAGE_TTL"]

# How long Prev/Next and Share keep working on a reply that had to be kept.
PAGE_TTL = timedelta(hours=24)

T = TypeVar("T")


async def answer_within(
    deadline: float, work: Awaitable[T], on_slow: Callable[[], Awaitable[object]]
) -> tuple[asyncio.Future[T], bool]:
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


class ReplyStore:
    """Replies kept in the database (``interaction_state``) for their Prev/Next and Share buttons.

    The one paging model of every platform: a reply is kept under a random key bound to its
    (platform, workspace), the buttons carry the key, and any replica (or this one after a
    restart) renders the asked-for page from the kept reply. Keys expire after ``ttl``.
    """

    def __init__(self, app: App, *, platform: str, ttl: timedelta = PAGE_TTL) -> None:
        self.app, self.platform, self.ttl = app, platform, ttl

    async def save(self, workspace: str, reply: Reply) -> str | None:
        """Keep ``reply``; its key, or None when the database did not take it (logged)."""
        key = interaction_state.new_key()
        try:
            async with self.app.db.session() as session:
                await interaction_state.put(
                    session=session,
                    key=key,
                    platform=self.platform,
                    workspace=workspace,
                    payload=to_state(reply),
                    now=self.app.clock.now(),
                    ttl=self.ttl,
                )
        except Exception:
            log.exception("%s: could not keep a long reply for its page buttons", self.platform)
            return None
        return key

    async def load(self, workspace: str, key: str) -> Reply | None:
        """The reply kept under ``key`` in ``workspace``; None when unknown, expired, elsewhere or damaged."""
        try:
            async with self.app.db.session() as session:
                data = await interaction_state.get(
                    session=session, key=key[:64], platform=self.platform, workspace=workspace, now=self.app.clock.now()
                )
        except Exception:
            log.exception("%s: could not load a kept reply", self.platform)
            return None
        return from_state(data) if data is not None else None
