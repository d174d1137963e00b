"""Engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from bot.kernel.errors import DatabaseUnavailable
from bot.kernel.settings import Settings
from bot.storage.outage import Outage, on_request_path, session_failed, unavailable_cause

__all__ = ["Database", "Limits", "db_limits", "migrate", "MIGRATIONS_DIR"]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Arbitrary but fixed key for the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x636F7362  # "cosb"


def _prepare_sqlite_path(url: str) -> None:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """How long a database call may wait (seconds); ``COS_DB_*`` in the environment (README).

    ``connect``: opening a connection (asyncpg's ``timeout``). ``command``: one statement (asyncpg's
    ``command_timeout``; on SQLite, how long a write waits for a locked file). ``pool``: waiting for a
    free connection of the pool. A chat request's waits together are bounded by the router
    (``COS_DB_REQUEST_TIMEOUT``, ``bot.storage.outage.within_budget``).
    """

    connect: float = 5.0
    command: float = 10.0
    pool: float = 10.0


def db_limits(settings: Settings) -> Limits:
    """The time limits the settings ask for."""
    return Limits(
        connect=settings.db_connect_timeout,
        command=settings.db_command_timeout,
        pool=settings.db_pool_timeout,
    )


class Database:
    """One engine and session factory for the process."""

    def __init__(self, url: str, *, echo: bool = False, limits: Limits | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.limits = limits = limits or Limits()
        # Whether the database is down, since when, and what failed meanwhile: logged once each way.
        self.outage = Outage(reads_prove_recovery=not self.is_sqlite)
        if self.is_sqlite:
            _prepare_sqlite_path(url)
            self.engine: AsyncEngine = create_async_engine(
                url, echo=echo, pool_timeout=limits.pool, async_creator=self._connect_sqlite
            )
            busy_ms = int(limits.command * 1000)

            @event.listens_for(self.engine.sync_engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute(f"PRAGMA busy_timeout={busy_ms}")
                cur.close()
        else:
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=10,
                pool_timeout=limits.pool,
                connect_args={"timeout": limits.connect, "command_timeout": limits.command},
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def _connect_sqlite(self) -> Any:
        """A new SQLite connection (``bot.storage.sqlite_driver``: stopped once), the driver waiting for a
        locked file at most the command time limit."""
        from bot.storage.sqlite_driver import connect

        cargs, cparams = self.engine.dialect.create_connect_args(self.engine.url)
        return await connect(*cargs, **{**cparams, "timeout": self.limits.command})

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error.

        The driver saying the database cannot be reached (refused, reset, timed out, locked,
        read-only...) becomes ``DatabaseUnavailable``; any other error passes through unchanged.
        """
        with on_request_path(self.outage):
            try:
                async with self.sessions() as session, session.begin():
                    yield session
            except DatabaseUnavailable:
                raise
            except Exception as exc:
                cause = unavailable_cause(exc)
                if cause is None:
                    raise
                session_failed(self.outage, cause)
                raise DatabaseUnavailable(cause) from exc
        self.outage.session_ok()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - a health check reports, it does not raise
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


async def _at_head(db: Database) -> bool:
    """True when the schema is already at the newest migration, read without loading Alembic."""
    from bot.ops.health import migration_heads

    try:
        async with db.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    except Exception:  # noqa: BLE001 - no table yet, or no database: Alembic will say
        return False
    return bool(rows) and frozenset(str(r[0]) for r in rows) == migration_heads()


async def migrate(db: Database, revision: str = "head") -> None:
    """Upgrade the schema to ``revision``; serialised across replicas on PostgreSQL."""
    if revision == "head" and await _at_head(db):
        # Every start of `ask`, `serve` and `run` comes here: Alembic costs more than the rest.
        log.info("database schema at head")
        return
    from alembic import command

    cfg = _alembic_config(db.url)

    def _run(sync_conn) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, revision)

    # Waiting for another replica's migration, or building an index, may take longer than one
    # statement is allowed on the request path: PostgreSQL migrates on a connection of its own.
    engine = db.engine
    if not db.is_sqlite:
        engine = create_async_engine(db.url, poolclass=NullPool, connect_args={"timeout": db.limits.connect})
    try:
        async with engine.connect() as conn:
            if not db.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            try:
                await conn.run_sync(_run)
                await conn.commit()
            finally:
                if not db.is_sqlite:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                    await conn.commit()
    finally:
        if engine is not db.engine:
            await engine.dispose()
    log.info("database schema at %s", revision)


def migrate_sync(url: str, revision: str = "head") -> None:
    """Blocking wrapper for the CLI."""

    async def _go() -> None:
        db = Database(url)
        try:
            await migrate(db, revision)
        finally:
            await db.dispose()

    asyncio.run(_go())
