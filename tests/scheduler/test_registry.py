"""The scheduler delivers through its registry: whatever a feature registers goes out, and a row or a schedule
of a kind nobody registered is set aside with one log line instead of stopping the tick."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.kernel.reply import Reply, Section
from bot.scheduler.models import Outbox, Schedule
from bot.scheduler.occurrences import in_channel
from bot.scheduler.outbox import OutboxRow
from bot.scheduler.registry import Batch, Deliveries, DeliveryKind, ScheduleKind, TickHook
from tests.world import World, outbox_rows, schedules


def _row(key: str, kind: str, now: datetime, target: str = "C1") -> dict[str, object]:
    return dict(
        key=key,
        platform="console",
        workspace="T1",
        schedule_id=None,
        kind=kind,
        target_type="channel",
        target=target,
        channel=target,
        due_at=now,
        tz="UTC",
        payload="{}",
        status="pending",
        attempts=0,
        next_attempt_at=now,
        fallback=False,
        created_at=now,
    )


def test_the_team_features_register_the_kinds_they_deliver(world: World) -> None:
    deliveries = world.app.deliveries
    assert set(deliveries.kinds) == {"digest", "risk_review", "milestone", "escalation", "checkin", "nudge"}
    assert set(deliveries.schedule_kinds) == {"digest", "risk_review", "milestone", "checkin"}
    assert [h.name for h in deliveries.tick_hooks(after_drain=False)] == ["risk escalation"]
    assert [h.name for h in deliveries.tick_hooks(after_drain=True)] == ["check-in reports"]
    assert len(deliveries.planner_contexts) == 3 and len(deliveries.preview_sources) == 1


async def test_a_row_nobody_delivers_is_skipped_with_one_log_line(
    any_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    w = any_world
    now = w.clock.now()
    await w.admin.say("/cos-service digest now")
    async with w.app.db.session() as session:
        await session.execute(insert(Outbox), [_row("poll:1", "poll", now), _row("poll:2", "poll", now, "C2")])
    with caplog.at_level(logging.WARNING):
        stats = await w.scheduler.tick()
        await w.scheduler.tick()
    assert [s.what for s in w.transport.sent] == ["digest"]  # the others still go out
    assert stats.skipped == 2 and stats.failed == 0
    for row in await outbox_rows(w.app, kind="poll"):
        assert (row.status, row.last_error) == ("skipped", "no feature delivers 'poll' rows")
    assert [r.getMessage() for r in caplog.records if "'poll'" in r.getMessage()] == [
        "no feature delivers 'poll' rows (is the feature that queued them installed?)"
    ]
    assert "Traceback" not in caplog.text


async def test_a_schedule_nobody_plans_is_left_alone_and_the_others_go_out(
    any_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    w = any_world
    await w.admin.say("/cos-service digest daily 09:00 UTC")
    async with w.app.db.session() as session:
        session.add(
            Schedule(
                platform="console",
                workspace="T1",
                kind="poll",
                channel="C1",
                cadence="daily",
                hour=9,
                minute=0,
                tz="UTC",
                planned_until=w.clock.now(),
                created_by="UADMIN",
                created_at=w.clock.now(),
            )
        )
    with caplog.at_level(logging.WARNING):
        await w.run_until(datetime(2026, 3, 3, 10, tzinfo=UTC), step_minutes=60)
    assert [s.what for s in w.transport.sent] == ["digest", "digest"]
    assert [o.kind for o in await w.scheduler.preview(days=1)] == ["digest"]
    assert sum("'poll' schedules" in r.getMessage() for r in caplog.records) == 1
    assert len(await schedules(w.app)) == 2  # nothing deleted: a build that has the feature plans it


async def test_a_kind_registered_from_outside_the_team_is_planned_rendered_and_sent(world: World) -> None:
    """The engine knows no feature: a new kind with its plan, batch prefetch, send hook and tick hooks works."""
    calls: list[str] = []

    async def prefetch(session: AsyncSession, batch: Batch, rows: list[OutboxRow]) -> None:
        calls.append(f"prefetch {len(rows)}")
        batch.part("hello.names", dict)["T1"] = "team one"

    async def render(app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch) -> Reply | None:
        name = batch.part("hello.names", dict).get(row.workspace, "someone")
        return Reply(title=f"Hello, {name}", sections=(Section(text=row.target),), ephemeral=False)

    async def sent(app: App, row: OutboxRow, at: datetime) -> None:
        calls.append(f"sent {row.target}")

    async def before(app: App, now: datetime) -> None:
        calls.append("before")

    async def after(app: App, now: datetime) -> None:
        calls.append("after")

    async def broken(app: App, now: datetime) -> None:
        raise RuntimeError("hook down")

    deliveries = world.app.deliveries
    deliveries.add_kind(DeliveryKind("hello", render, prefetch=prefetch, on_sent=sent))
    deliveries.add_schedule_kind(ScheduleKind("hello", in_channel))
    deliveries.add_tick_hook(TickHook("broken", broken, failure="the broken hook failed"))
    deliveries.add_tick_hook(TickHook("before", before))
    deliveries.add_tick_hook(TickHook("after", after, after_drain=True))
    async with world.app.db.session() as session:
        for channel in ("C1", "C2"):
            session.add(
                Schedule(
                    platform="console",
                    workspace="T1",
                    kind="hello",
                    channel=channel,
                    cadence="daily",
                    hour=9,
                    minute=0,
                    tz="UTC",
                    planned_until=world.clock.now(),
                    created_by="UADMIN",
                    created_at=world.clock.now(),
                )
            )
    assert [(o.kind, o.target) for o in await world.scheduler.preview(days=1)] == [("hello", "C1"), ("hello", "C2")]
    world.clock.set(world.clock.now() + timedelta(hours=1, minutes=1))
    await world.tick()
    assert sorted((s.target, s.reply.title) for s in world.transport.sent) == [
        ("C1", "Hello, team one"),
        ("C2", "Hello, team one"),
    ]
    # One prefetch for the batch, a send hook per row, the hooks around the drain (the broken one logged).
    assert calls[0] == "before" and calls[1] == "prefetch 2" and calls[-1] == "after"
    assert sorted(calls[2:-1]) == ["sent C1", "sent C2"]


def test_registering_the_same_thing_twice_is_harmless_and_two_things_under_one_name_is_an_error() -> None:
    async def render(app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch) -> Reply | None:
        return None

    async def other(app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch) -> Reply | None:
        return None

    deliveries = Deliveries()
    deliveries.add_kind(DeliveryKind("hello", render))
    deliveries.add_kind(DeliveryKind("hello", render))
    assert deliveries.kinds == ("hello",)
    with pytest.raises(ValueError, match="two different delivery kinds are named 'hello'"):
        deliveries.add_kind(DeliveryKind("hello", other))
    deliveries.add_schedule_kind(ScheduleKind("hello", in_channel))
    with pytest.raises(ValueError, match="schedule kind"):
        deliveries.add_schedule_kind(ScheduleKind("hello", in_channel, catch_up=True))
    assert deliveries.kind("hello") == DeliveryKind("hello", render)
