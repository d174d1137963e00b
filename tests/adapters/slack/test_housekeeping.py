"""Old ``processed_event`` rows are pruned: by the adapter on demand, and by the loop ``run_slack`` starts."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from adapters.slack.adapter import EVENT_RETENTION
from adapters.slack.server import create_adapter
from bot.kernel.clock import FakeClock
from bot.kernel.settings import Settings
from bot.storage.models import ProcessedEvent
from tests.adapters.slack.conftest import FAST, built_app, with_db


async def _event_ids(app) -> dict[tuple[str, str], object]:  # type: ignore[no-untyped-def]
    async with app.db.session() as session:
        rows = (
            await session.execute(select(ProcessedEvent.platform, ProcessedEvent.event_id, ProcessedEvent.received_at))
        ).all()
    return {(p, e): at for p, e, at in rows}


async def test_prune_removes_only_old_slack_event_ids(db_url: str, settings: Settings, clock: FakeClock) -> None:
    async with built_app(with_db(settings, db_url), clock) as app:
        adapter = await create_adapter(app, policy=FAST)
        try:
            start = clock.now()
            assert await adapter.events.first_time("Ev-old")
            async with app.db.session() as session:  # another platform's row of the same age stays
                session.add(ProcessedEvent(platform="discord", event_id="Ev-old", received_at=start))
            clock.advance(timedelta(hours=23))
            assert await adapter.events.first_time("Ev-recent")
            clock.advance(timedelta(hours=1, minutes=1))  # Ev-old is now 24 h 1 min old, Ev-recent 1 min

            assert await adapter.events.prune(older_than=EVENT_RETENTION) == 1
            assert set(await _event_ids(app)) == {("slack", "Ev-recent"), ("discord", "Ev-old")}
            # A recent id is still a duplicate; a pruned one would be handled again (Slack stopped retrying long ago).
            assert not await adapter.events.first_time("Ev-recent")
            assert await adapter.events.first_time("Ev-old")
            # Nothing is old enough: nothing goes, and a second prune is a no-op.
            assert await adapter.events.prune(older_than=EVENT_RETENTION) == 0
            # The boundary: exactly EVENT_RETENTION old is kept (the re-handled Ev-old), older goes (Ev-recent) ...
            clock.advance(EVENT_RETENTION)
            assert await adapter.events.prune(older_than=EVENT_RETENTION) == 1
            assert set(await _event_ids(app)) == {("slack", "Ev-old"), ("discord", "Ev-old")}
            # ... and a moment later it goes too.
            clock.advance(timedelta(seconds=1))
            assert await adapter.events.prune(older_than=EVENT_RETENTION) == 1
            assert set(await _event_ids(app)) == {("discord", "Ev-old")}
        finally:
            await adapter.close()


async def test_housekeeping_loop_prunes_and_survives_a_database_error(
    sqlite_url: str, settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with built_app(with_db(settings, sqlite_url), clock) as app:
        adapter = await create_adapter(app, policy=FAST)
        loop = None
        try:
            # The table is missing while the loop starts: the round fails, is logged, and the loop goes on.
            async with app.db.session() as session:
                await session.execute(text("ALTER TABLE processed_event RENAME TO processed_event_away"))
            with caplog.at_level(logging.WARNING, logger="adapters.slack"):
                loop = asyncio.ensure_future(adapter.housekeeping(interval=0.01))
                for _ in range(200):
                    if any("could not prune" in r.getMessage() for r in caplog.records):
                        break
                    await asyncio.sleep(0.01)
            assert any("could not prune" in r.getMessage() for r in caplog.records)
            assert not loop.done()
            async with app.db.session() as session:
                await session.execute(text("ALTER TABLE processed_event_away RENAME TO processed_event"))

            assert await adapter.events.first_time("Ev-1")
            clock.advance(timedelta(hours=25))
            assert await adapter.events.first_time("Ev-2")
            for _ in range(200):  # the next rounds prune Ev-1
                if ("slack", "Ev-1") not in await _event_ids(app):
                    break
                await asyncio.sleep(0.01)
            assert set(await _event_ids(app)) == {("slack", "Ev-2")}
            assert not loop.done()
        finally:
            if loop is not None:
                loop.cancel()
                await asyncio.gather(loop, return_exceptions=True)
            await adapter.close()
        assert loop.cancelled()


async def test_run_slack_starts_the_housekeeping(sqlite_url: str, settings: Settings, clock: FakeClock) -> None:
    from adapters.slack.server import run_slack

    async with built_app(with_db(settings, sqlite_url, slack_signing_secret="s" * 32, port=0), clock) as app:
        async with app.db.session() as session:
            session.add(
                ProcessedEvent(platform="slack", event_id="Ev-ancient", received_at=clock.now() - timedelta(days=3))
            )
        task = asyncio.ensure_future(run_slack(app, port=0, policy=FAST))
        try:
            for _ in range(300):  # the first round runs as soon as the platform starts
                async with app.db.session() as session:
                    left = (await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one()
                if left == 0 or task.done():
                    break
                await asyncio.sleep(0.01)
            assert not task.done()
            assert left == 0
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
