"""What a claim and a batch's rendering cost the database: only the rows taken, one query per kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event, insert

from bot.scheduler import outbox
from bot.scheduler.models import Outbox
from bot.scheduler.registry import Deliveries
from bot.storage.db import Database, migrate
from bot.team.delivery.reminders import RISK_REVIEW
from bot.team.models import Absence, RiskItem
from tests.conftest import Harness
from tests.world import World

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _row(i: int, workspace: str, platform: str = "console", kind: str = "risk_review") -> dict[str, object]:
    return dict(
        key=f"{kind}:{platform}:{workspace}:0:{i}",
        platform=platform,
        workspace=workspace,
        schedule_id=None,
        kind=kind,
        target_type="channel",
        target=f"C{i}",
        channel=f"C{i}",
        due_at=NOW,
        tz="UTC",
        payload="{}",
        status="pending",
        attempts=0,
        next_attempt_at=NOW,
        fallback=False,
        created_at=NOW,
    )


@pytest.mark.postgres
async def test_a_claim_reads_the_rows_it_takes_not_the_whole_backlog(pg_url: str) -> None:
    """Thousands of rows due the same minute, no statistics yet (a burst just planned): the claim walks the
    claim index in order and stops at its limit; it neither sorts the backlog nor scans it for the update."""
    db = Database(pg_url)
    captured: list[tuple[str, tuple[object, ...]]] = []
    try:
        await migrate(db)
        async with db.session() as session:
            await session.execute(insert(Outbox), [_row(i, f"W{i % 7}") for i in range(3000)])
            # Delivered history stays in the table for 90 days; it must not be in the claim's way either.
            await session.execute(
                insert(Outbox), [_row(i, "old") | {"status": "sent", "sent_at": NOW} for i in range(3000, 4000)]
            )

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            captured.append((statement, parameters))

        taken = await outbox.claim(
            db, token="t", now=NOW, limit=16, lease=timedelta(seconds=30), max_claims=5, suspects=False
        )
        assert [r.key for r in taken] == [f"risk_review:console:W{i % 7}:0:{i}" for i in range(16)]
        sql, params = captured[-1]
        conn = await asyncpg.connect(pg_url.replace("+asyncpg", ""))
        try:
            async with conn.transaction():
                plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + sql, *params))
                raise _Rollback  # EXPLAIN ANALYZE ran the claim: roll it back
        except _Rollback:
            pass
        finally:
            await conn.close()
        assert "Sort" not in plan, plan
        assert "ix_outbox_due" in plan and "pk_outbox" in plan, plan
        scanned = [line for line in plan.splitlines() if "Index Scan using ix_outbox_due" in line]
        assert scanned and all("rows=16 " in line for line in scanned), plan
    finally:
        await db.dispose()


class _Rollback(Exception):
    pass


async def test_a_batch_renders_its_risk_reviews_with_one_query(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db)
        async with db.session() as session:
            session.add_all(
                [
                    RiskItem(
                        platform=p,
                        workspace=w,
                        topic_id=f"t{n}",
                        title=f"{w} topic {n}",
                        kind="legal",
                        last_review_at=None if n else NOW - timedelta(days=200),
                        rating=None if n else "low",
                        updated_at=NOW,
                    )
                    for p, w in (("console", "W1"), ("console", "W2"), ("slack", "W1"))
                    for n in range(3)
                ]
            )
            await session.execute(
                insert(Outbox),
                [_row(0, "W1"), _row(1, "W2"), _row(2, "W3"), _row(3, "W1"), _row(4, "W1", platform="slack")],
            )
        rows = await outbox.claim(db, token="t", now=NOW, limit=10, lease=timedelta(seconds=30))
        assert len(rows) == 5
        deliveries = Deliveries()
        deliveries.add_kind(RISK_REVIEW)
        render = deliveries.render
        async with db.session() as session:
            one_by_one = [await render(None, session, r, NOW) for r in rows]  # type: ignore[arg-type]

        selects: list[str] = []

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if "risk_item" in statement:
                selects.append(statement)

        async with db.session() as session:
            loaded = await deliveries.prefetch(session, rows)
            batched = [await render(None, session, r, NOW, loaded) for r in rows]  # type: ignore[arg-type]
        assert len(selects) == 1
        assert batched == one_by_one
        titles = {r.workspace + "/" + r.platform: reply.title for r, reply in zip(rows, batched, strict=True)}
        # Each workspace sees its own register only, platform included.
        assert titles == {
            "W1/console": "Risk review due: 3 of 3 register items",
            "W2/console": "Risk review due: 3 of 3 register items",
            "W3/console": "Risk review due: 0 of 0 register items",
            "W1/slack": "Risk review due: 3 of 3 register items",
        }
        w1 = next(
            reply for r, reply in zip(rows, batched, strict=True) if (r.platform, r.workspace) == ("console", "W1")
        )
        assert "W1 topic 0 (last" in str(w1.sections[0].bullets)
    finally:
        await db.dispose()


async def test_a_batch_of_digests_reads_each_workspace_once(any_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Digests due together in many channels of one workspace (Monday 09:00) share what does not depend on the
    channel: the stage and milestones, the risk register, dead letters, absences and the service tip. Each says
    exactly what it says when rendered alone."""
    w = any_world
    app = w.app
    now = w.clock.now()
    for ws in ("T1", "T2"):
        admin = Harness(app, role="admin", workspace=ws, user="UADMIN")
        await admin.say("/cos-service stage early since 2026-03")
        await admin.say("/cos-service milestone date 1 2026-03-05")
    async with app.db.session() as session:
        session.add_all(
            [
                RiskItem(
                    platform="console",
                    workspace=ws,
                    topic_id=f"t{n}",
                    title=f"{ws} topic {n}",
                    kind="legal",
                    last_review_at=None,
                    rating=None,
                    updated_at=now,
                )
                for ws in ("T1", "T2")
                for n in range(2)
            ]
        )
        session.add(
            Absence(
                platform="console",
                workspace="T1",
                user="U1001",
                start_on=now.date(),
                end_on=now.date() + timedelta(days=2),
                note=None,
                set_by="UADMIN",
                created_at=now,
            )
        )
        await session.execute(
            insert(Outbox),
            [
                _row(i, ws, kind="digest") | {"due_at": now, "next_attempt_at": now}
                for i, ws in ((1, "T1"), (2, "T1"), (3, "T1"), (4, "T1"), (5, "T2"), (6, "T2"))
            ]
            + [_row(99, "T1", kind="digest") | {"status": "dead", "due_at": now, "next_attempt_at": now}],
        )
    rows = await outbox.claim(app.db, token="t", now=now, limit=10, lease=timedelta(seconds=30))
    assert len(rows) == 6
    prefetch, render = app.deliveries.prefetch, app.deliveries.render

    searches: list[str] = []
    search = app.searcher.search

    def counted(text: str, **kwargs: Any) -> Any:
        searches.append(text)
        return search(text, **kwargs)

    monkeypatch.setattr(app.searcher, "search", counted)
    one_by_one = []
    for r in rows:
        async with app.db.session() as session:
            one_by_one.append(await render(app, session, r, now))
    assert len(searches) == 6  # alone, every digest looks its tip up

    statements: list[str] = []

    @event.listens_for(app.db.engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    def reads(table: str) -> int:
        return sum(1 for s in statements if s.lstrip().startswith("SELECT") and f"FROM {table}" in s)

    async with app.db.session() as session:
        await render(app, session, rows[0], now)
    alone = {t: reads(t) for t in ("team_stage", "milestone", "absence", "risk_item", "holiday_calendar")}
    assert all(alone.values()), alone
    statements.clear()
    searches.clear()
    async with app.db.session() as session:
        loaded = await prefetch(session, rows)
        batched = [await render(app, session, r, now, loaded) for r in rows]
    event.remove(app.db.engine.sync_engine, "before_cursor_execute", count)

    assert batched == one_by_one
    t1 = str(batched[0])
    for part in (
        "Milestones due and overdue",
        "Risk reviews due (2)",
        "T1 topic 0",
        "could not be delivered",
        "Away this week",
        "Service tip",
    ):
        assert part in t1, part
    assert "T2 topic" not in t1 and "T1 topic" not in str(batched[5])
    # Per workspace, not per channel: T1's four digests and T2's two read these as often as two digests alone.
    for table in ("team_stage", "milestone", "absence", "holiday_calendar"):
        assert reads(table) == 2 * alone[table], table
    assert reads("risk_item") == 1  # the whole batch's registers, in one query
    assert len(searches) == 1  # both workspaces are at the same stage: one tip lookup for the batch
    # What does depend on the channel is still read per digest: when it last got one.
    assert sum(1 for s in statements if "max(outbox.sent_at)" in s) == 6
