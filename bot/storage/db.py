"""Engine, sessions and migrations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["Database", "migrate", "MIGRATIONS_DIR"]

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Arbitrary but fixed key for the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 0x636F7362  # "cosb"


def _prepare_sqlite_path(url: str) -> None:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


class Database:
    """One engine and session factory for the process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _prepare_sqlite_path(url)
            self.engine: AsyncEngine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

            @event.listens_for(self.engine.sync_engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()
        else:
            self.engine = create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction: committed on success, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

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

    async with db.engine.connect() as conn:
        if not db.is_sqlite:
            await conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            await conn.run_sync(_run)
            await conn.commit()
        finally:
            if not db.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                await conn.commit()
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
