"""Interaction state in the database: put/get/purge, bound to (platform, workspace), expiring; migration 0004."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, inspect, select

from bot.app import build_app
from bot.kernel.clock import FakeClock
from bot.kernel.settings import Settings
from bot.storage import interaction_state
from bot.storage.db import Database, _alembic_config, migrate
from bot.storage.models import InteractionState
from tests.conftest import shared_knowledge

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


async def test_put_get_is_bound_to_workspace_and_expires(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db)
        key = interaction_state.new_key()
        assert len(key) == 16 and ":" not in key
        payload = {"pages": [{"embeds": [{"title": "Ünïcode ✓"}], "components": []}]}
        async with db.session() as s:
            await interaction_state.put(
                session=s, key=key, platform="discord", workspace="G1", payload=payload, now=NOW, ttl=timedelta(hours=1)
            )
            await interaction_state.put(
                session=s,
                key="old",
                platform="discord",
                workspace="G1",
                payload=[1],
                now=NOW - timedelta(hours=2),
                ttl=timedelta(hours=1),
            )
        async with db.session() as s:
            assert (
                await interaction_state.get(session=s, key=key, platform="discord", workspace="G1", now=NOW) == payload
            )
            # another workspace or platform, an unknown key, an expired row: nothing
            assert await interaction_state.get(session=s, key=key, platform="discord", workspace="G2", now=NOW) is None
            assert await interaction_state.get(session=s, key=key, platform="slack", workspace="G1", now=NOW) is None
            assert (
                await interaction_state.get(session=s, key="nope", platform="discord", workspace="G1", now=NOW) is None
            )
            assert (
                await interaction_state.get(session=s, key="old", platform="discord", workspace="G1", now=NOW) is None
            )
            assert (
                await interaction_state.get(
                    session=s, key=key, platform="discord", workspace="G1", now=NOW + timedelta(hours=1)
                )
                is None
            )
        async with db.session() as s:
            assert await interaction_state.purge_expired(session=s, now=NOW) == 1
        async with db.session() as s:
            assert list((await s.execute(select(InteractionState.key))).scalars()) == [key]
            assert await interaction_state.purge_expired(session=s, now=NOW + timedelta(hours=1)) == 1
    finally:
        await db.dispose()


async def test_migration_0004_downgrades_and_upgrades_with_naming_convention(db_url: str) -> None:
    from alembic import command

    db = Database(db_url)
    try:
        await migrate(db)

        def names(conn):  # type: ignore[no-untyped-def]
            insp = inspect(conn)
            if "interaction_state" not in insp.get_table_names():
                return None
            return (
                insp.get_pk_constraint("interaction_state")["name"],
                [i["name"] for i in insp.get_indexes("interaction_state")],
            )

        async with db.engine.connect() as conn:
            pk, indexes = await conn.run_sync(names)
        assert indexes == ["ix_interaction_state_expires_at"]
        if not db.is_sqlite:  # SQLite does not keep primary key names
            assert pk == "pk_interaction_state"

        def down(conn):  # type: ignore[no-untyped-def]
            cfg = _alembic_config(db_url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")

        async with db.engine.connect() as conn:
            await conn.run_sync(down)
            await conn.commit()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(names) is None
        await migrate(db)
        async with db.engine.connect() as conn:
            assert (await conn.run_sync(names))[1] == ["ix_interaction_state_expires_at"]
    finally:
        await db.dispose()


async def test_scheduler_housekeeping_purges_expired_state(sqlite_url: str) -> None:
    clock = FakeClock(NOW)
    app = await build_app(
        Settings(database_url=sqlite_url, scheduler_enabled=False), clock=clock, knowledge=shared_knowledge()
    )
    try:
        async with app.db.session() as s:
            await interaction_state.put(
                session=s, key="a", platform="discord", workspace="G1", payload={}, now=NOW, ttl=timedelta(hours=1)
            )
            await interaction_state.put(
                session=s, key="b", platform="discord", workspace="G1", payload={}, now=NOW, ttl=timedelta(hours=5)
            )
        clock.set(NOW + timedelta(hours=2))
        await app.scheduler.housekeeping()
        async with app.db.session() as s:
            assert list((await s.execute(select(InteractionState.key))).scalars()) == ["b"]
            assert (await s.execute(select(func.count()).select_from(InteractionState))).scalar_one() == 1
    finally:
        await app.close()
