"""The database going away: telling it from a bug, bounding the wait, and saying so once.

* ``unavailable_cause(exc)`` names the driver error that means "the database cannot be reached or
  written now" (refused, reset, timed out, locked, read-only, shutting down...), or None for a bug.
* ``Outage`` (one per ``Database``) logs once when an outage begins, with the error's class and no
  traceback, and once when it ends, with how long it lasted and what failed meanwhile.
* ``within_budget`` gives up on a chat request still waiting on the database after the request's
  budget (``COS_DB_REQUEST_TIMEOUT``), so the person reads "try again in a minute" instead of
  waiting for a partition's TCP timeouts.
* ``one_round`` runs one round of a background loop (the scheduler's tick, housekeeping) and ``report``s
  its error; ``step_failed`` is what a step inside a round calls with its own.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc

from bot.kernel.errors import DatabaseUnavailable

__all__ = [
    "Outage",
    "unavailable_cause",
    "within_budget",
    "on_request_path",
    "session_failed",
    "report",
    "step_failed",
    "one_round",
]

log = logging.getLogger("bot.storage.outage")
T = TypeVar("T")

# SQLSTATE classes of PostgreSQL that mean "not now" rather than "wrong": connection exceptions (08),
# insufficient resources (53: too many connections, disk full), operator intervention (57P: shutting
# down, starting up), and a read-only transaction (25006: a standby, or a read-only database).
_PG_STATES = ("08", "53", "57P", "25006")
_SQLITE_WORDS = (
    "database is locked",
    "database table is locked",
    "readonly database",
    "read-only",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
)
# Modules whose frames show that a bare OSError or TimeoutError came from talking to the database
# (asyncpg lets ``ConnectionRefusedError`` and its own timeouts through unwrapped).
_DRIVERS = ("asyncpg", "aiosqlite", "sqlite3", "sqlalchemy")


def unavailable_cause(exc: BaseException) -> str | None:
    """The class name of the error in ``exc``'s chain that says the database is unavailable; None otherwise."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        err = todo.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, DatabaseUnavailable) and err.cause:
            return err.cause
        if _says_unavailable(err):
            return type(err).__name__
        for nxt in (getattr(err, "orig", None), err.__cause__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return None


def _says_unavailable(err: BaseException) -> bool:
    if isinstance(err, DatabaseUnavailable):
        return True
    if isinstance(err, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
        return True
    state = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
    if isinstance(state, str) and state.startswith(_PG_STATES):
        return True
    if isinstance(err, sqlite3.OperationalError):
        return any(word in str(err).lower() for word in _SQLITE_WORDS)
    name = type(err).__name__
    if type(err).__module__.startswith("asyncpg") and name in {
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "ConnectionFailureError",
        "InternalClientError",
    }:
        return "closed" in str(err).lower() or name != "InterfaceError"
    if isinstance(err, OSError | TimeoutError | EOFError):
        return _raised_by_driver(err.__traceback__)
    return False


def _raised_by_driver(tb: TracebackType | None) -> bool:
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DRIVERS):
            return True
        tb = tb.tb_next
    return False


class Outage:
    """Whether one database is down, since when, and how many of each kind of work failed meanwhile."""

    def __init__(self, *, reads_prove_recovery: bool = True) -> None:
        self.down_since: float | None = None
        self.cause = ""
        self.failed_work: Counter[str] = Counter()
        self.outages = 0
        self.marks = 0  # times the database was found unavailable, ever (a round compares before and after)
        # On SQLite a locked or read-only file still reads: only a whole background round proves it is back.
        self.reads_prove_recovery = reads_prove_recovery

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def down(self, cause: str) -> None:
        """The database was found unavailable; the first time in an outage, say so."""
        self.marks += 1
        found = _ROUND.get()
        if found is not None:
            found[0] += 1
        if self.down_since is not None:
            return
        self.down_since = time.monotonic()
        self.cause = cause
        self.outages += 1
        log.warning(
            "database unavailable (%s): team commands answer 'try again in a minute', "
            "deliveries wait in the outbox until it is back",
            cause,
        )

    def failed(self, what: str, cause: str) -> None:
        """``what`` (a scheduler tick, a request...) failed because the database is unavailable."""
        self.down(cause)
        self.failed_work[what] += 1

    def session_ok(self) -> None:
        """A session went through: on PostgreSQL that proves the database is back (see ``recovered``)."""
        if self.down_since is not None and self.reads_prove_recovery:
            self.recovered()

    def recovered(self) -> None:
        """The database answered; the first time after an outage, say how long it lasted and what failed."""
        if self.down_since is None:
            return
        seconds = time.monotonic() - self.down_since
        failed = ", ".join(f"{n} {what}{'' if n == 1 else 's'}" for what, n in sorted(self.failed_work.items()))
        log.warning("database back after %.1f s (%s failed meanwhile)", seconds, failed or "nothing")
        self.down_since = None
        self.cause = ""
        self.failed_work.clear()


def report(outage: Outage, what: str, exc: BaseException, logger: logging.Logger, message: str, *args: Any) -> None:
    """Log a background round's failure: ``message`` with its traceback when it is a bug; when the database
    is unavailable, only the outage's one line, and ``what`` is counted as failed."""
    cause = unavailable_cause(exc)
    if cause is None:
        logger.error(message, *args, exc_info=exc)
    else:
        outage.failed(what, cause)


def step_failed(outage: Outage, exc: BaseException, logger: logging.Logger, message: str, *args: Any) -> None:
    """A step of a round failed. A bug is logged with its traceback and the round goes on; the database
    being unavailable ends the round (``DatabaseUnavailable``): its other steps would only wait out the
    same time limits."""
    cause = unavailable_cause(exc)
    if cause is None:
        logger.error(message, *args, exc_info=exc)
        return
    outage.down(cause)
    raise DatabaseUnavailable(cause) from exc


async def one_round(
    outage: Outage, what: str, work: Callable[[], Awaitable[Any]], logger: logging.Logger, message: str
) -> None:
    """Run one round of a background loop: its failure is ``report``-ed; a round none of whose steps found
    the database unavailable ends an outage, one where some step did (and carried on) counts as failed."""
    found = [0]  # times this round's own work (not a request's meanwhile) found the database unavailable
    token = _ROUND.set(found)
    try:
        await work()
    except Exception as exc:  # noqa: BLE001 - report() logs a bug's traceback
        report(outage, what, exc, logger, message)
        return
    finally:
        _ROUND.reset(token)
    if found[0]:
        outage.failed(what, outage.cause or "unknown")
    else:
        outage.recovered()


@dataclass(slots=True)
class _Waits:
    """The database sessions a request's work has open right now (shared with the task doing it)."""

    depth: int = 0
    outage: Outage | None = None


_WAITS: ContextVar[_Waits | None] = ContextVar("cos_db_waits", default=None)
_ROUND: ContextVar[list[int] | None] = ContextVar("cos_db_round", default=None)
_ABANDONED: set[asyncio.Future[Any]] = set()


@contextmanager
def on_request_path(outage: Outage) -> Iterator[None]:
    """Mark a database session open for the request (if any) whose work runs here."""
    waits = _WAITS.get()
    if waits is None:
        yield
        return
    waits.depth += 1
    waits.outage = outage
    try:
        yield
    finally:
        waits.depth -= 1


def session_failed(outage: Outage, cause: str) -> None:
    """A session found the database unavailable: a failed request when one is waiting on it."""
    if _WAITS.get() is not None:
        outage.failed("request", cause)
    else:
        outage.down(cause)


async def within_budget(work: Awaitable[T], *, seconds: float, poll: float = 0.05) -> T:
    """Await ``work``; once ``seconds`` have passed while it waits on the database, give up on it.

    Given up, the work is cancelled (its transaction rolls back) but not waited for, since closing a
    connection to an unreachable server takes its own time; ``DatabaseUnavailable`` is raised at once.
    Work that is slow elsewhere (a platform call) is waited for as before.
    """
    waits = _Waits()
    token = _WAITS.set(waits)
    try:
        task: asyncio.Future[T] = asyncio.ensure_future(work)  # the task copies the context: it shares ``waits``
    finally:
        _WAITS.reset(token)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
        while not done and not waits.depth:
            done, _ = await asyncio.wait({task}, timeout=poll)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if done:
        return task.result()
    task.cancel()
    _ABANDONED.add(task)
    task.add_done_callback(_forget)
    if waits.outage is not None:
        waits.outage.failed("request", "TimeoutError")
    raise DatabaseUnavailable("TimeoutError")


def _forget(task: asyncio.Future[Any]) -> None:
    _ABANDONED.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: an abandoned request's error is not "never retrieved"
