"""SQLite connections are stopped once: a close that a cancelled request's clean-up cut short still ends."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text

from bot.storage import sqlite_driver
from bot.storage.db import Database, Limits


async def test_a_connection_stopped_while_it_closes_behind_a_locked_statement_still_closes(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    conn = await sqlite_driver.connect(str(path), timeout=5)
    try:
        busy = asyncio.ensure_future(conn.execute("INSERT INTO t VALUES (1)"))  # waits for the lock
        await asyncio.sleep(0.1)
        closing = asyncio.ensure_future(conn.close())  # the graceful close, queued behind the statement
        await asyncio.sleep(0.05)
        conn.stop()  # what SQLAlchemy does when that close is cancelled in its turn
        conn.stop()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # aiosqlite's own connection never finishes this close: its worker left at the first stop.
    await asyncio.wait_for(closing, 5)
    await asyncio.gather(busy, return_exceptions=True)
    conn._thread.join(5)
    assert not conn._thread.is_alive()


async def test_the_engine_makes_its_sqlite_connections_stop_once_with_the_command_limit(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cos.db'}", limits=Limits(command=7.0))
    try:
        async with db.session() as session:
            raw = await (await session.connection()).get_raw_connection()
            assert isinstance(raw.dbapi_connection._connection, sqlite_driver.StopOnceConnection)
            assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 7000
    finally:
        await db.dispose()
