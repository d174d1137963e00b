"""Build the running bot once at start-up: settings → knowledge → router → database → team → scheduler.

``build_app`` is the one place the core is wired: the knowledge answers, the team
features (``bot.team``) and the scheduler (``bot.scheduler``) are assembled here
explicitly. Platforms (``bot.plugins``) attach their transports and state to the
App; everything the App opened is closed by ``App.close`` through one exit stack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from bot.answering.answer import Answering
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.router import Router
from bot.kernel.settings import Settings
from bot.kernel.transport import Transport
from bot.ops.readiness import Readiness
from bot.scheduler.registry import Deliveries
from bot.storage.db import Database, db_limits, migrate
from bot.team import install as install_team
from bot.team.base import Team
from knowledge import KnowledgeBase, Searcher
from knowledge.cache import load_cached

if TYPE_CHECKING:
    from bot.scheduler.service import Scheduler

__all__ = ["App", "build_app", "build_knowledge", "finish_before_cancel", "run_tasks"]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True, eq=False)
class App:
    """The running bot: one of each, shared by every platform."""

    settings: Settings
    kb: KnowledgeBase
    searcher: Searcher
    router: Router
    db: Database
    clock: Clock
    _scheduler: Scheduler | None = field(default=None, init=False, repr=False)
    # What the installed features deliver (their kinds, plans and tick hooks), for the scheduler.
    deliveries: Deliveries = field(default_factory=Deliveries)
    transports: dict[str, Transport] = field(default_factory=dict)
    # What a platform keeps for the life of this App (the Discord client), by platform name.
    parts: dict[str, Any] = field(default_factory=dict)
    # What /readyz reports: platforms' connections, the database, shutdown.
    readiness: Readiness = field(default_factory=Readiness)
    # Everything opened for this App, closed in reverse order by ``close``.
    exit_stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    @property
    def answering(self) -> Answering:
        """The knowledge answers, their question log and votes (``bot.answering.answer``)."""
        return self.router.answering

    @property
    def scheduler(self) -> Scheduler:
        """The outbox's scheduler, made on first use (``cos-bot ask`` never imports the delivery side).

        Features still deferred are loaded first: the scheduler delivers what they registered.
        """
        if self._scheduler is None:
            from bot.scheduler.service import Scheduler

            self.router.load_deferred()

            self._scheduler = Scheduler(self)
        return self._scheduler

    def background(self) -> list[Coroutine[Any, Any, None]]:
        """The long-running work besides the platforms: the scheduler's loop when ``COS_SCHEDULER`` is on."""
        return [self.scheduler.run()] if self.settings.scheduler_enabled else []

    def on_close(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` when the App closes (before the database is disposed)."""
        self.exit_stack.push_async_callback(_logged, callback)

    async def close(self) -> None:
        try:
            await self.exit_stack.aclose()
        finally:
            await self.db.dispose()


async def _logged(callback: Callable[[], Awaitable[None]]) -> None:
    try:
        await callback()
    except Exception:
        log.exception("error while shutting down")


def build_knowledge(settings: Settings) -> tuple[KnowledgeBase, Searcher]:
    loaded = load_cached(settings.knowledge_dirs, cache_dir=settings.cache_dir)
    return loaded.kb, loaded.searcher


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_db: bool = True,
    knowledge: tuple[KnowledgeBase, Searcher] | None = None,
    defer_team: bool = False,
) -> App:
    """Everything but the platforms. Migrates the database unless told not to.

    ``defer_team`` (one-shot commands) loads the team features on first use instead of now; a
    long-running bot loads them at start, so a broken one fails there and no request waits for it.
    """
    kb, searcher = knowledge or build_knowledge(settings)
    db = Database(settings.database_url, limits=db_limits(settings))
    if migrate_db:
        await migrate(db)
    clock = clock or SystemClock()
    answering = Answering(kb, searcher, db, clock)
    app = App(settings=settings, kb=kb, searcher=searcher, router=Router(answering), db=db, clock=clock)
    app.on_close(answering.close)  # the questions still queued are written before the database closes
    app.router.db_budget = settings.db_request_timeout
    team = Team(app)
    app.parts["team"] = team  # the dashboard's pages change things through the same features' parts
    install_team(team, defer=defer_team)
    if not defer_team:
        await answering.overlays.warm()  # a long-running bot answers with taught phrases from its first question
        # ... and its first questions wait for no entry stems, English word list or Chinese segmenter (built
        # beside the start).
        from knowledge.chinese import warm_in_background

        warm_in_background(searcher.warm)
    return app


async def finish_before_cancel(work: Awaitable[T]) -> T:
    """Await ``work`` so that cancelling the caller lets it finish first (up to 10 s).

    For database work in long-running loops: cut off half-way, its connection would be
    reset while the engine is closing, and the transaction left to the garbage collector.
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task], timeout=10)
        raise


async def run_tasks(tasks: list[Awaitable[None]], *, stop: asyncio.Event | None = None) -> None:
    """Run long-lived coroutines until one ends (the console was left), fails, or ``stop`` is set.

    The others are then cancelled and awaited, so each can finish what it has in flight.
    """
    running = [asyncio.ensure_future(t) for t in tasks]
    stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
    try:
        done, _ = await asyncio.wait(running + ([stopper] if stopper else []), return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and not task.cancelled():
                task.result()
    finally:
        if stopper is not None:
            stopper.cancel()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
