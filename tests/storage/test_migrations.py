"""Alembic owns the schema, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from bot.storage.db import Database, migrate
from bot.storage.models import ProcessedEvent, Workspace


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_migrate_creates_schema_and_is_idempotent(db_url):
    db = Database(db_url)
    try:
        await migrate(db)
        await migrate(db)
        tables = await _tables(db)
        assert {
            "workspace",
            "processed_event",
            "alembic_version",
            "slack_installations",
            "slack_bots",
            "slack_oauth_states",
        } <= tables
    finally:
        await db.dispose()


async def test_round_trip_keeps_utc_and_unique_events(db_url):
    db = Database(db_url)
    try:
        await migrate(db)
        now = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
        async with db.session() as s:
            s.add(
                Workspace(
                    id="slack:T1", platform="slack", name="Acme", tz="Europe/Berlin", created_at=now, updated_at=now
                )
            )
            s.add(ProcessedEvent(platform="slack", event_id="Ev1", received_at=now))
        async with db.session() as s:
            ws = (await s.execute(select(Workspace))).scalar_one()
            assert ws.created_at == now and ws.created_at.tzinfo is not None
        with pytest.raises(IntegrityError):
            async with db.session() as s:
                s.add(ProcessedEvent(platform="slack", event_id="Ev1", received_at=now))
        with pytest.raises((ValueError, StatementError)):
            async with db.session() as s:
                s.add(Workspace(id="x", platform="x", created_at=datetime(2026, 1, 1), updated_at=now))
    finally:
        await db.dispose()


async def test_default_sqlite_file_is_created_under_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from bot.kernel.settings import DEFAULT_DB_URL

    db = Database(DEFAULT_DB_URL)
    try:
        await migrate(db)
    finally:
        await db.dispose()
    assert (tmp_path / "data" / "cos-bot.db").exists()


@pytest.mark.postgres
async def test_concurrent_start_ups_migrate_once(pg_url):
    """Several replicas starting at once: the advisory lock serialises the upgrade."""
    dbs = [Database(pg_url) for _ in range(4)]
    try:
        await asyncio.gather(*(migrate(db) for db in dbs))
        tables = await _tables(dbs[0])
        assert "workspace" in tables
    finally:
        for db in dbs:
            await db.dispose()
