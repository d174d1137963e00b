"""The question log is written behind the answer: answers need no database, votes may outrun their row,
a clean shutdown loses nothing, and what an outage costs is bounded and counted. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.answering import votes
from bot.answering.journal import QuestionJournal, new_question_id
from bot.answering.models import KnowledgeFeedback, KnowledgeQuestion
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply
from bot.kernel.router import Action
from bot.kernel.settings import Settings
from bot.storage.db import Database, migrate
from tests.conftest import Harness, shared_knowledge
from tests.world import take_write_lock


@pytest.fixture(autouse=True)
def writer_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background writer waits a minute between flushes here: these tests flush when they mean to, so a slow
    machine never sees a row written behind their back."""
    monkeypatch.setattr("bot.answering.journal.FLUSH_SECONDS", 60.0)


@pytest.fixture
async def app(settings: Settings, db_url: str, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(replace(settings, database_url=db_url), clock=clock, knowledge=shared_knowledge())
    try:
        yield application
    finally:
        await application.close()


def thumbs_id(reply: Reply) -> int:
    [up] = [b for b in reply.buttons if b.action == votes.UP]
    found = votes.answer_id(up.value)
    assert found is not None
    return found


async def logged(app: App) -> list[KnowledgeQuestion]:
    async with app.db.session() as session:
        return list((await session.execute(select(KnowledgeQuestion).order_by(KnowledgeQuestion.id))).scalars())


async def test_an_answer_is_out_before_its_row_is_written(app: App) -> None:
    reply = await Harness(app, workspace="T1").say("/cos-service who can run our SOC 2 audit")
    question = thumbs_id(reply)  # the buttons carry the id before the database has the row
    assert reply.matched and app.answering.journal.pending(question)
    assert await logged(app) == []
    assert await app.answering.journal.flush() == 1
    [row] = await logged(app)
    assert (row.id, row.text, row.matched, row.top_entry) == (
        question,
        "who can run our soc 2 audit",
        True,
        row.top_entry,
    )
    assert row.top_entry and row.score is not None  # the decision's evidence is computed when the row is written
    assert not app.answering.journal.pending(question)


async def test_a_vote_that_outruns_its_question_waits_for_the_row(app: App) -> None:
    reply = await Harness(app, workspace="T1", user="U1").say("/cos-service legal")
    question = thumbs_id(reply)
    assert app.answering.journal.pending(question)
    press = Action(platform="console", workspace="T1", channel="C1", user="U1", action=votes.UP, value=str(question))
    thanks = await app.router.handle_action(press)
    assert thanks is not None and thanks.title == "Thanks for the 👍"
    async with app.db.session() as session:
        [vote] = list((await session.execute(select(KnowledgeFeedback))).scalars())
    assert (vote.question_id, vote.vote) == (question, "up")


async def test_a_clean_shutdown_writes_what_is_queued(settings: Settings, db_url: str, clock: FakeClock) -> None:
    settings = replace(settings, database_url=db_url)
    first = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    asked = [thumbs_id(await Harness(first, user=f"U{i}").say("/cos-service training")) for i in range(5)]
    assert len(first.answering.journal) == 5
    await first.close()
    again = await build_app(settings, clock=clock, knowledge=shared_knowledge(), migrate_db=False)
    try:
        assert sorted(q.id for q in await logged(again)) == sorted(asked)
    finally:
        await again.close()


async def test_answers_go_on_while_the_sqlite_file_is_locked(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    app = await build_app(replace(settings, database_url=f"sqlite+aiosqlite:///{path}"), knowledge=shared_knowledge())
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        await take_write_lock(holder)  # another process holds the file: no read, no write
        replies = [await Harness(app, user="U1").say("/cos-service legal") for _ in range(3)]
        assert all(r.matched and thumbs_id(r) for r in replies)  # answered while the lock is held
        assert len(app.answering.journal) == 3
        holder.execute("ROLLBACK")
        await app.answering.journal.flush()
        assert len(await logged(app)) == 3
    finally:
        holder.close()
        await app.close()


async def test_the_queue_is_bounded_and_what_it_drops_is_counted(tmp_path: Path) -> None:
    nowhere = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")  # every connect fails
    journal = QuestionJournal(nowhere, max_pending=3)
    at = datetime(2026, 12, 4, 9, 0).astimezone()
    ids = [
        journal.record(
            platform="console",
            workspace="T1",
            user="U1",
            command="cos-service",
            text=f"q{i}",
            matched=True,
            shown=(),
            now=at,
        )
        for i in range(5)
    ]
    assert len(journal) == 3 and journal.dropped == 2
    assert not journal.pending(ids[0]) and journal.pending(ids[4])  # the oldest go first
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises; the rows stay queued
        await journal.flush()
    assert len(journal) == 3
    await journal.close(timeout=2)  # the database never came back: counted, not hidden
    assert journal.dropped == 5
    await nowhere.dispose()


def test_question_ids_are_64_bit_and_ordered_by_time() -> None:
    first = new_question_id()
    many = {new_question_id() for _ in range(10_000)}
    assert len(many) == 10_000 and all(0 < i < 2**63 for i in many)
    assert min(many) >> 22 >= first >> 22  # milliseconds in the high bits
    assert votes.answer_id(str(max(many))) == max(many)
    assert votes.answer_id(str(2**63)) is None and votes.answer_id("١٢٣") is None


async def test_an_id_drawn_twice_costs_one_row_not_the_batch(app: App) -> None:
    asked = [thumbs_id(await Harness(app, user=f"U{i}").say("/cos-service legal")) for i in range(3)]
    await app.answering.journal.flush()
    again = await Harness(app, user="U9").say("/cos-service training")
    queued = app.answering.journal._queue[-1]
    queued.values["id"] = asked[0]  # another replica drew the same id in the same millisecond
    later = thumbs_id(await Harness(app, user="U8").say("/cos-service talent"))
    assert await app.answering.journal.flush() == 2
    assert sorted(q.id for q in await logged(app)) == sorted([*asked, later])
    assert again.matched


class _GatedJournal(QuestionJournal):
    """A journal whose writes wait at a gate, so shutdown can be made to land in the middle of one."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.entered = asyncio.Event()
        self.gate = asyncio.Event()
        self.cut_off = False

    async def flush(self) -> int:
        if self._queue:
            self.entered.set()
            try:
                await self.gate.wait()
            except asyncio.CancelledError:
                self.cut_off = True
                raise
        return await super().flush()


@pytest.fixture
async def migrated(db_url: str) -> AsyncIterator[Database]:
    db = Database(db_url)
    try:
        await migrate(db)
        yield db
    finally:
        await db.dispose()


def record_one(journal: QuestionJournal) -> int:
    at = datetime(2026, 12, 4, 9, 0).astimezone()
    return journal.record(
        platform="console", workspace="T1", user="U1", command="cos-service", text="q", matched=True, shown=(), now=at
    )


async def written_ids(db: Database) -> list[int]:
    async with db.session() as session:
        return [q.id for q in (await session.execute(select(KnowledgeQuestion))).scalars()]


async def test_shutdown_lets_a_write_in_flight_finish_instead_of_cutting_it_off(
    migrated: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM during a write: the writer finishes its batch (its connection is never reset half-way)."""
    monkeypatch.setattr("bot.answering.journal.FLUSH_SECONDS", 0.01)  # the writer starts its write at once
    journal = _GatedJournal(migrated)
    asked = record_one(journal)
    await asyncio.wait_for(journal.entered.wait(), timeout=10)  # the writer is inside its flush
    closing = asyncio.ensure_future(journal.close(timeout=10))
    await asyncio.sleep(0.05)
    assert not closing.done()  # close waits for the write rather than cancelling it
    journal.gate.set()
    await asyncio.wait_for(closing, timeout=10)
    assert not journal.cut_off and journal.dropped == 0 and len(journal) == 0
    assert await written_ids(migrated) == [asked]


async def test_shutdown_stops_an_idle_writer_at_once_and_writes_the_rest_itself(migrated: Database) -> None:
    journal = QuestionJournal(migrated)
    asked = record_one(journal)
    writer = journal._task
    assert writer is not None and not writer.done()  # waiting FLUSH_SECONDS for more rows
    await asyncio.wait_for(journal.close(), timeout=10)
    assert writer.done() and not writer.cancelled()  # asked to stop, not cancelled
    assert await written_ids(migrated) == [asked]
