"""Is this replica ready for traffic? The database, the schema and the platforms report here.

``GET /readyz`` (bot.ops.web) asks ``check``: ready when the database answers, the
schema is at the newest migration, every expected platform connection is up, and
shutdown has not begun. Platforms report in one of two ways:

* ``readiness_for(app).report("slack", True)`` when their state changes (listening, connected), or
* ``readiness_for(app).add_check("discord", lambda: client.is_ready())``, asked on every probe.

A platform the process is starting (``expect``) counts as down until it reports.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.ops.observe import served_metrics
from bot.storage.db import MIGRATIONS_DIR, Database

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Readiness", "ReadinessReport", "readiness_for", "schema_at_head"]

log = logging.getLogger(__name__)

Check = Callable[[], bool | Awaitable[bool]]

_DB_TIMEOUT = 2.0  # seconds; a probe answers before the kubelet's own timeout


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    ready: bool
    checks: dict[str, str]


@dataclass(slots=True)
class Readiness:
    """The readiness of one running App."""

    _states: dict[str, bool] = field(default_factory=dict)
    _checks: dict[str, Check] = field(default_factory=dict)
    _schema_ok: bool = False
    shutting_down: bool = False

    def expect(self, name: str) -> None:
        """``name`` is starting: not ready until it reports (a report already made stands)."""
        self._states.setdefault(name, False)

    def report(self, name: str, up: bool) -> None:
        """``name``'s connection is up (or down)."""
        self._states[name] = up

    def add_check(self, name: str, check: Check) -> None:
        """Ask ``check()`` (sync or async) on every probe; it replaces reports under that name."""
        self._checks[name] = check

    def forget(self, name: str) -> None:
        """``name`` is no longer part of this process (a platform that stopped on purpose)."""
        self._states.pop(name, None)
        self._checks.pop(name, None)

    def begin_shutdown(self) -> None:
        """From now on ``/readyz`` answers 503, so load balancers stop sending new work."""
        if not self.shutting_down:
            log.info("shutting down: no longer ready")
        self.shutting_down = True

    async def check(self, db: Database) -> ReadinessReport:
        checks: dict[str, str] = {}
        if self.shutting_down:
            return ReadinessReport(ready=False, checks={"shutdown": "in progress"})
        db_ok = await _ping(db)
        checks["database"] = "ok" if db_ok else "unreachable"
        if db_ok and not self._schema_ok:
            self._schema_ok = await schema_at_head(db)  # once at head, it stays there
        checks["migrations"] = "at head" if self._schema_ok else ("behind" if db_ok else "unknown")
        platforms_ok = True
        for name in sorted(set(self._states) | set(self._checks)):
            up = await _ask(self._checks[name]) if name in self._checks else self._states[name]
            checks[name] = "up" if up else "down"
            platforms_ok = platforms_ok and up
        return ReadinessReport(ready=db_ok and self._schema_ok and platforms_ok, checks=checks)


async def _ask(check: Check) -> bool:
    try:
        result = check()
        if inspect.isawaitable(result):
            result = await asyncio.wait_for(result, _DB_TIMEOUT)
        return bool(result)
    except Exception:  # noqa: BLE001 - a failing check means "not ready", not a 500
        return False


async def _ping(db: Database) -> bool:
    async def select_one() -> None:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(select_one(), _DB_TIMEOUT)
        return True
    except DBAPIError:
        return False  # counted by the engine's handle_error hook (bot.ops.web)
    except Exception:  # noqa: BLE001 - refused, timed out: the driver raised no DBAPI error to count
        metrics = served_metrics()
        if metrics is not None:
            metrics.DATABASE_ERRORS.inc()
        return False


_HEADS: set[str] = set()


def _script_heads() -> set[str]:
    if not _HEADS:
        from alembic.script import ScriptDirectory

        _HEADS.update(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())
    return _HEADS


async def schema_at_head(db: Database) -> bool:
    """True when the database's Alembic revision is the newest this code ships."""
    try:
        async with db.engine.connect() as conn:
            exists = await conn.run_sync(lambda c: c.dialect.has_table(c, "alembic_version"))
            if not exists:
                return False
            current = {r[0] for r in await conn.execute(text("SELECT version_num FROM alembic_version"))}
    except Exception:  # noqa: BLE001
        return False
    return current == _script_heads()


def readiness_for(app: App) -> Readiness:
    """The Readiness of ``app`` (one per App, made by ``build_app``)."""
    return app.readiness
