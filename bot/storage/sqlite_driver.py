"""SQLite connections for the engine: aiosqlite's, stopped once.

aiosqlite (0.22) runs each connection on a worker thread that leaves at the first "stop" it reads from its
queue. Its ``close()`` ends by queueing a stop and awaiting it; SQLAlchemy, when a task is cancelled in the
middle of a statement (a request over its database budget, ``bot.storage.outage.within_budget``), invalidates
the connection: it shields a graceful ``close()`` and, when cancelled again, calls ``stop()`` itself. The
worker then leaves at the first stop and the second is never answered, so the graceful close, and with it the
event loop's shutdown, waits forever (seen as a test run that hung at a teardown). Here a connection is stopped
once: a second ``stop()`` returns the first one's future, which the worker does answer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import aiosqlite

__all__ = ["StopOnceConnection", "connect"]

_ITER_CHUNK_SIZE = 64  # aiosqlite.connect's default


class StopOnceConnection(aiosqlite.Connection):
    """An aiosqlite connection whose worker thread is asked to stop once, however often ``stop`` is called."""

    _stopping: asyncio.Future[Any] | None
    _stopped = False

    def stop(self) -> asyncio.Future[Any] | None:
        if not self._stopped:
            self._stopped = True
            self._stopping = super().stop()
        return self._stopping


async def connect(database: str, **kwargs: Any) -> StopOnceConnection:
    """What ``aiosqlite.connect`` does, with the connection above (for the engine's ``async_creator``)."""
    connection = StopOnceConnection(lambda: sqlite3.connect(database, **kwargs), _ITER_CHUNK_SIZE)
    # As SQLAlchemy makes aiosqlite's own threads: a connection left open never holds the process at exit.
    connection._thread.daemon = True
    await connection
    return connection
