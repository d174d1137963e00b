"""A scheduled Slack send records its first attempt before its paced slot (``SlackTransport.prepare``), and the
duplicate check on a re-send works the same whether the marker was written ahead or at the post."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from adapters.slack.client import RetryPolicy, make_client
from adapters.slack.transport import SlackTransport
from bot.kernel.reply import Reply
from bot.kernel.settings import Settings
from bot.kernel.transport import Preparing
from bot.storage.db import Database, migrate
from bot.storage.models import ProcessedEvent
from tests.adapters.slack.conftest import BOT_TOKEN
from tests.adapters.slack.fake_slack import FakeSlack

REPLY = Reply(title="Team digest", ephemeral=False)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await migrate(database)
    try:
        yield database
    finally:
        await database.dispose()


def _transport(settings: Settings, db: Database) -> SlackTransport:
    client = make_client(settings, token=BOT_TOKEN, policy=RetryPolicy(rate_limit_retries=0, jitter=0.0))

    async def client_for(workspace: str):  # type: ignore[no-untyped-def]
        return client

    return SlackTransport(client_for, db=db)


async def _markers(db: Database) -> int:
    async with db.session() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.event_id.like("send:%"))
                )
            ).scalar_one()
        )


async def test_prepare_writes_the_marker_before_the_post_and_the_post_writes_nothing_more(
    fake: FakeSlack, settings: Settings, db: Database
) -> None:
    transport = _transport(settings, db)
    assert isinstance(transport, Preparing)
    await transport.prepare("digest:1")
    assert await _markers(db) == 1 and fake.calls_to("chat.postMessage") == []
    await db.dispose()  # the post needs no database: a write here would reopen the pool
    result = await transport.send_channel(workspace="T0001", channel="C1", reply=REPLY, key="digest:1")
    assert result.message_id and len(fake.calls_to("chat.postMessage")) == 1
    assert db.engine.pool.checkedin() == 0  # nothing was checked out of the pool for the post
    assert fake.calls_to("conversations.history") == []  # a first attempt checks nothing


async def test_a_resend_prepared_by_another_replica_finds_the_first_post(
    fake: FakeSlack, settings: Settings, db: Database
) -> None:
    fake.clock = time.time  # message ts on the bot's (real) time, which the history check looks back from
    first = _transport(settings, db)
    await first.prepare("digest:2")
    await first.send_channel(workspace="T0001", channel="C1", reply=REPLY, key="digest:2")
    # The replica died before marking the row sent; another one takes the row over and prepares it again.
    second = _transport(settings, db)
    await second.prepare("digest:2")
    result = await second.send_channel(workspace="T0001", channel="C1", reply=REPLY, key="digest:2")
    assert len(fake.calls_to("chat.postMessage")) == 1  # found in the channel's history: not posted twice
    assert len(fake.calls_to("conversations.history")) == 1
    assert result.message_id == fake.messages["C1"][0]["ts"]


async def test_a_refused_prepared_post_clears_its_marker(fake: FakeSlack, settings: Settings, db: Database) -> None:
    transport = _transport(settings, db)
    await transport.prepare("digest:3")
    fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))
    with pytest.raises(Exception, match="rate limit"):
        await transport.send_channel(workspace="T0001", channel="C1", reply=REPLY, key="digest:3")
    assert await _markers(db) == 0  # Slack certainly posted nothing: a re-send needs no history check
