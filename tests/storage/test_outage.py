"""Telling "the database is unavailable" from a bug, the request budget, the outage's log lines, the limits."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.kernel.errors import ConfigError, DatabaseUnavailable
from bot.kernel.settings import load_settings
from bot.storage import outage
from bot.storage.db import Database, Limits, db_limits
from bot.storage.outage import Outage, one_round, unavailable_cause, within_budget

log = logging.getLogger("tests.outage")


async def test_a_refused_connection_is_unavailable_not_a_bug() -> None:
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing", limits=Limits(connect=1.0))
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
    finally:
        await db.dispose()
    assert raised.value.cause in {"ConnectionRefusedError", "OSError"}
    assert str(raised.value) == "The database is unavailable right now; try again in a minute."
    assert db.outage.is_down


async def test_bugs_and_bad_data_pass_through_unchanged(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        with pytest.raises(Exception) as raised:  # which one is the point
            async with db.session() as session:
                await session.execute(text("SELECT * FROM no_such_table"))
        assert not isinstance(raised.value, DatabaseUnavailable)
        # A connection error of something else (a platform call) inside a session is not the database's.
        with pytest.raises(ConnectionResetError):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
                raise ConnectionResetError("slack went away")
    finally:
        await db.dispose()
    assert not db.outage.is_down
    assert unavailable_cause(ValueError("no")) is None
    assert unavailable_cause(TimeoutError()) is None  # not raised by a driver


async def test_a_locked_sqlite_file_is_unavailable_and_the_request_budget_bounds_it(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    db = Database(f"sqlite+aiosqlite:///{path}", limits=Limits(command=30.0))  # the driver would wait 30 s
    holder = sqlite3.connect(path, isolation_level=None)
    abandoned: set[asyncio.Future[object]] = set()
    try:
        async with db.session() as session:
            await session.execute(text("CREATE TABLE t (x INTEGER)"))
        holder.execute("BEGIN EXCLUSIVE")

        async def write() -> None:
            async with db.session() as session:
                await session.execute(text("INSERT INTO t VALUES (1)"))

        with pytest.raises(DatabaseUnavailable):
            await asyncio.wait_for(within_budget(write(), seconds=0.3), 10)
        assert db.outage.failed_work["request"] == 1
        abandoned = set(outage._ABANDONED)
        assert abandoned

        async def slow_elsewhere() -> str:
            await asyncio.sleep(0.5)  # a slow platform call, not the database: waited for
            return "done"

        assert await within_budget(slow_elsewhere(), seconds=0.1) == "done"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        # The given-up request rolls back and its connection closes once the file is free: nothing waits forever
        # (bot.storage.sqlite_driver).
        pending = (await asyncio.wait(abandoned, timeout=10))[1] if abandoned else set()
        await db.dispose()
    assert not pending


async def test_one_round_logs_an_outage_once_and_its_end_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage()
    caplog.set_level(logging.INFO)

    async def down() -> None:
        raise ConnectionRefusedError("refused") from DatabaseUnavailable("ConnectionRefusedError")

    async def up() -> None:
        return None

    async def bug() -> None:
        raise KeyError("a bug")

    for _ in range(4):
        await one_round(outage, "scheduler tick", down, log, "tick failed")
    await one_round(outage, "scheduler tick", up, log, "tick failed")
    await one_round(outage, "scheduler tick", bug, log, "tick failed")
    lines = [r.getMessage() for r in caplog.records]
    assert len([m for m in lines if m.startswith("database unavailable (ConnectionRefusedError)")]) == 1, lines
    assert len([m for m in lines if m.startswith("database back after") and "4 scheduler ticks" in m]) == 1, lines
    bugs = [r for r in caplog.records if r.getMessage() == "tick failed"]
    assert len(bugs) == 1 and bugs[0].exc_info is not None  # a bug keeps its traceback
    assert not outage.is_down


def test_limits_come_from_the_environment_and_bad_values_are_refused() -> None:
    env = {
        "COS_DB_CONNECT_TIMEOUT": "3",
        "COS_DB_COMMAND_TIMEOUT": "7.5",
        "COS_DB_POOL_TIMEOUT": "4",
        "COS_DB_REQUEST_TIMEOUT": "1.5",
    }
    settings = load_settings(env, dotenv=None)
    assert db_limits(settings) == Limits(connect=3.0, command=7.5, pool=4.0)
    assert settings.db_request_timeout == 1.5
    assert db_limits(load_settings({}, dotenv=None)) == Limits()
    for bad in ("0", "-1", "soon", "nan", "99999"):
        with pytest.raises(ConfigError, match="COS_DB_COMMAND_TIMEOUT"):
            load_settings({"COS_DB_COMMAND_TIMEOUT": bad}, dotenv=None)
