"""Render ahead: the poll before a row's due instant claims and renders it, and it is posted at that instant.

Time is the fake clock's: a scheduler waiting for a due instant sleeps until the test moves the clock there.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import App
from bot.kernel.clock import FakeClock
from bot.kernel.router import Action
from bot.scheduler.claiming import STOPPED
from bot.scheduler.models import Outbox
from tests.conftest import Harness
from tests.world import World, make_world, outbox_rows, schedules

DUE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


async def _digests(app: App, channels: tuple[str, ...]) -> None:
    for ch in channels:
        harness = Harness(app, role="admin", workspace="T1", channel=ch, user="UADMIN")
        await harness.say("/cos-service digest daily 09:00 UTC")


def _record_renders(app: App) -> list[tuple[str, datetime]]:
    """Every message rendered, with the fake time it was rendered at."""
    rendered: list[tuple[str, datetime]] = []
    render = app.deliveries.render

    async def recording(app_: App, session: Any, row: Any, now: datetime, batch: Any = None) -> Any:
        rendered.append((row.key, app.clock.now()))
        return await render(app_, session, row, now, batch)

    app.deliveries.render = recording  # type: ignore[method-assign]
    return rendered


async def _asleep(clock: FakeClock, task: Awaitable[object]) -> None:
    """Let ``task`` run until it sleeps on the fake clock (or ends); real time only bounds the wait."""
    assert isinstance(task, asyncio.Task)
    for _ in range(2000):
        if clock.sleeping or task.done():
            break
        await asyncio.sleep(0.005)
    assert not task.done(), "the poll before the due instant ended instead of waiting for it with the rows"
    assert clock.sleeping


async def test_a_row_due_at_t_is_rendered_by_the_poll_before_and_posted_at_t(any_world: World) -> None:
    world, clock = any_world, any_world.clock
    await _digests(world.app, ("C1", "C2"))
    rendered = _record_renders(world.app)
    clock.set(DUE - timedelta(seconds=3))  # the last poll before 09:00 (polls every 5 s)
    tick = asyncio.create_task(world.scheduler.tick())
    await _asleep(clock, tick)
    rows = await outbox_rows(world.app)
    assert [r.status for r in rows] == ["claimed", "claimed"]
    # The claim's lease covers the wait until the due instant and a whole lease after it.
    assert all(r.lease_until is not None and r.lease_until >= DUE + world.scheduler.lease for r in rows)
    assert sorted(at for _, at in rendered) == [DUE - timedelta(seconds=3)] * 2  # rendered by that poll
    # Planned and claimed ahead, they are still to come: the preview lists them.
    coming = await world.scheduler.preview(days=1)
    assert [(o.at, o.target) for o in coming if o.at == DUE] == [(DUE, "C1"), (DUE, "C2")]
    clock.set(DUE - timedelta(milliseconds=1))
    for _ in range(20):
        await asyncio.sleep(0)
    assert world.transport.sent == [] and not tick.done()  # never before the due instant
    clock.set(DUE)
    stats = await asyncio.wait_for(tick, 10)
    assert stats.sent == 2
    assert [(s.target, s.at) for s in world.transport.sent] == [("C1", DUE), ("C2", DUE)]  # at 09:00, not a poll later
    assert len(rendered) == 2  # not rendered again when posted
    assert [r.status for r in await outbox_rows(world.app)] == ["sent", "sent"]


async def test_rows_rendered_ahead_by_a_replica_that_died_are_sent_by_another_after_the_lease(
    db_url: str, clock: FakeClock
) -> None:
    """Replica A claims and renders three digests before 09:00 and is never heard of again (its clock stops):
    B sends each of them once, when A's lease runs out; A, woken later, sends nothing."""
    dead = FakeClock(clock.now())
    a = await make_world(db_url, dead)
    b = await make_world(db_url, clock)
    b.app.transports["console"] = a.transport  # one recording of what the platform received
    tick = None
    try:
        await _digests(a.app, ("C1", "C2", "C3"))
        dead.set(DUE - timedelta(seconds=3))
        tick = asyncio.create_task(a.scheduler.tick())
        await _asleep(dead, tick)  # A holds the three rows, rendered, and waits for 09:00 that never comes
        rows = await outbox_rows(a.app)
        assert [r.status for r in rows] == ["claimed"] * 3
        lease_until = max(r.lease_until for r in rows if r.lease_until is not None)
        assert lease_until >= DUE + a.scheduler.lease
        clock.set(DUE)
        await b.tick()
        assert a.transport.sent == []  # A's lease holds: B does not take them at once
        clock.set(lease_until + timedelta(seconds=1))
        await b.tick()
        assert sorted(s.target for s in a.transport.sent) == ["C1", "C2", "C3"]
        assert [r.status for r in await outbox_rows(b.app)] == ["sent"] * 3
        dead.set(lease_until + timedelta(seconds=2))  # A comes back: the rows are not its any more
        stats = await asyncio.wait_for(tick, 10)
        assert stats.sent == 0 and stats.lost_lease == 3
        assert Counter(s.key for s in a.transport.sent).most_common(1)[0][1] == 1  # nothing twice
    finally:
        if tick is not None and not tick.done():
            dead.set(DUE + timedelta(days=1))
            await asyncio.wait_for(tick, 10)
        await a.app.close()
        await b.app.close()


@pytest.mark.parametrize("command", ["pause", "unschedule"])
async def test_a_schedule_paused_or_removed_after_its_row_was_rendered_ahead_sends_nothing(
    any_world: World, command: str
) -> None:
    world, clock = any_world, any_world.clock
    await _digests(world.app, ("C1", "C2"))
    first = (await schedules(world.app))[0]
    clock.set(DUE - timedelta(seconds=3))
    tick = asyncio.create_task(world.scheduler.tick())
    await _asleep(clock, tick)
    assert [r.status for r in await outbox_rows(world.app)] == ["claimed", "claimed"]
    clock.set(DUE - timedelta(seconds=1))
    reply = await world.admin.say(f"/cos-service {command} {first.id}")
    assert str(first.id) in (reply.title or "")
    clock.set(DUE)
    stats = await asyncio.wait_for(tick, 10)
    assert [s.target for s in world.transport.sent] == ["C2"]  # the other schedule's digest still goes out
    assert stats.sent == 1 and stats.skipped == 1
    rows: dict[int | None, Outbox] = {r.schedule_id: r for r in await outbox_rows(world.app)}
    assert rows[first.id].status == "skipped" and rows[first.id].last_error == STOPPED


async def test_a_nudge_claimed_ahead_is_not_sent_when_its_check_in_is_skipped_before_it_is_due(
    any_world: World,
) -> None:
    """A check-in's nudge is claimed before it is due but rendered only then: a skip just before still cancels it."""
    world, clock = any_world, any_world.clock
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)
    assert (await world.admin.say("/cos-service checkin friday 16:00 @U1001")).error is None
    await world.run_until(friday + timedelta(minutes=1), step_minutes=240)
    (asked,) = [s for s in world.transport.sent if s.what == "checkin"]
    nudge_due = friday + timedelta(hours=4)
    clock.set(nudge_due - timedelta(seconds=3))
    tick = asyncio.create_task(world.scheduler.tick())
    await _asleep(clock, tick)
    assert [r.status for r in await outbox_rows(world.app, kind="nudge")] == ["claimed"]
    skip = next(b for b in asked.reply.buttons if b.label == "Skip today")
    action = Action(
        platform="console", workspace="T1", channel="D-U1001", user="U1001", action=skip.action, value=skip.value
    )
    assert await world.app.router.handle_action(action) is not None
    clock.set(nudge_due)
    stats = await asyncio.wait_for(tick, 10)
    assert [s.what for s in world.transport.sent] == ["checkin"]  # no nudge
    assert stats.skipped == 1
    assert [r.status for r in await outbox_rows(world.app, kind="nudge")] == ["skipped"]
