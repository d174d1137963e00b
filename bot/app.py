"""Build the running bot once at start-up: settings -> knowledge -> router -> database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from bot.clock import Clock, SystemClock
from bot.commands.knowledge import KnowledgeCommands
from bot.router import Router
from bot.settings import Settings
from bot.storage.db import Database, migrate
from bot.transport import Transport
from knowledge import KnowledgeBase, Searcher
from knowledge.cache import load_cached

__all__ = ["App", "build_app", "Extension", "finish_before_cancel", "run_tasks"]

log = logging.getLogger(__name__)
T = TypeVar("T")

# An extension (the scheduler) wires itself into a built App.
Extension = Callable[["App"], None]
_EXTENSIONS: list[Extension] = []


def register_extension(extension: Extension) -> Extension:
    """Add a hook that runs on every built App (used by core modules, not adapters)."""
    _EXTENSIONS.append(extension)
    return extension


@dataclass(slots=True)
class App:
    """The running bot: one of each, shared by every platform."""

    settings: Settings
    kb: KnowledgeBase
    searcher: Searcher
    router: Router
    db: Database
    clock: Clock
    transports: dict[str, Transport] = field(default_factory=dict)
    # Long-running tasks started by ``run_background`` (the scheduler's loop).
    background: list[Callable[[App], Awaitable[None]]] = field(default_factory=list)
    # Called on shutdown, in reverse order.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                await closer()
            except Exception:  # noqa: BLE001
                log.exception("error while shutting down")
        await self.db.dispose()


def build_knowledge(settings: Settings) -> tuple[KnowledgeBase, Searcher]:
    loaded = load_cached(settings.knowledge_dirs, cache_dir=settings.cache_dir)
    return loaded.kb, loaded.searcher


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate_db: bool = True,
    knowledge: tuple[KnowledgeBase, Searcher] | None = None,
) -> App:
    """Everything but the platforms. Migrates the database unless told not to."""
    kb, searcher = knowledge or build_knowledge(settings)
    db = Database(settings.database_url)
    if migrate_db:
        await migrate(db)
    app = App(
        settings=settings,
        kb=kb,
        searcher=searcher,
        router=Router(KnowledgeCommands(kb, searcher)),
        db=db,
        clock=clock or SystemClock(),
    )
    _load_core_extensions()
    for extension in _EXTENSIONS:
        extension(app)
    return app


def _load_core_extensions() -> None:
    """Import core modules that register extensions (kept lazy to avoid import cycles)."""
    import importlib

    for name in ("bot.scheduler",):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


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
        done, _ = await asyncio.wait(running + ([stopper] if stopper else []),
                                     return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stopper and not task.cancelled():
                task.result()
    finally:
        if stopper is not None:
            stopper.cancel()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
