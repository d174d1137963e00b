"""Skip and snooze: buttons and text forms queue exactly one delivery, survive restarts, show in the preview."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply, to_text
from bot.kernel.router import Action
from bot.team.models import CheckinAnswer
from tests.conftest import Harness
from tests.world import World, make_world, outbox_rows

FRIDAY = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


def _t(reply: Reply | None) -> str:
    assert reply is not None
    return to_text(reply, plain_mentions=True)


def _press(w: World, sent_reply: Reply, label: str, user: str = "U1001") -> Action:
    button = next(b for b in sent_reply.buttons if b.label == label)
    return Action(
        platform="console", workspace="T1", channel=f"D-{user}", user=user, action=button.action, value=button.value
    )


async def _checkin(w: World) -> Reply:
    r = await w.admin.say("/cos-service checkin friday 16:00 @U1001 @U1002")
    assert r.error is None
    await w.run_until(FRIDAY + timedelta(minutes=1), step_minutes=240)
    dm = next(s for s in w.transport.sent if s.what == "checkin" and s.target == "U1001")
    assert [b.label for b in dm.reply.buttons] == ["Skip today", "Snooze 1 h"]
    return dm.reply


async def test_snooze_queues_one_delivery_that_survives_a_restart_and_shows_in_the_preview(db_url: str) -> None:
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    w = await make_world(db_url, clock)
    try:
        reply = await _checkin(w)
        action = _press(w, reply, "Snooze 1 h")
        r = await w.app.router.handle_action(action)
        assert "Snoozed until Fri 06 Mar 17:01" in _t(r)
        r = await w.app.router.handle_action(action)
        assert "Already snoozed" in _t(r)
        assert len(await outbox_rows(w.app, status="pending", kind="checkin")) == 1
        preview = [o.as_preview() for o in await w.scheduler.preview(days=1)]
        assert {"at": "2026-03-06T17:01:00Z", "kind": "checkin", "target": "@U1001"}.items() <= next(
            p for p in preview if p["kind"] == "checkin"
        ).items()
        # forged: someone else's DM
        assert (await w.app.router.handle_action(_press(w, reply, "Snooze 1 h", user="U1002"))).title != "Snoozed"
        assert len(await outbox_rows(w.app, status="pending", kind="checkin")) == 1
    finally:
        await w.app.close()
    # a restart: a new process on the same database sends it once, at 17:01
    w = await make_world(db_url, clock)
    try:
        await w.run_until(FRIDAY + timedelta(hours=3), step_minutes=15)
        again = [s for s in w.transport.sent if s.what == "snooze"]
        assert len(again) == 1 and again[0].target == "U1001" and again[0].at == FRIDAY + timedelta(minutes=61)
        assert "Check-in" in again[0].text
        # the snoozed check-in can be answered; the nudge then stays away
        me = Harness(w.app, workspace="T1", channel="D1", user="U1001")
        r = await me.say("Shipped the pricing page")
        assert "recorded" in _t(r)
        await w.run_until(FRIDAY + timedelta(hours=6), step_minutes=30)
        assert not [s for s in w.transport.sent if s.what == "nudge" and s.target == "U1001"]
        assert [s.target for s in w.transport.sent if s.what == "nudge"] == ["U1002"]
    finally:
        await w.app.close()


async def test_skip_today_stops_the_nudge_and_a_pending_snooze(any_world: World) -> None:
    w = any_world
    reply = await _checkin(w)
    await w.app.router.handle_action(_press(w, reply, "Snooze 1 h"))
    r = await w.app.router.handle_action(_press(w, reply, "Skip today"))
    assert "Skipped" in _t(r)
    await w.run_until(FRIDAY + timedelta(hours=6), step_minutes=30)
    assert not [s for s in w.transport.sent if s.target == "U1001" and s.what in ("nudge", "snooze")]
    async with w.app.db.session() as session:
        from sqlalchemy import select

        row = (await session.execute(select(CheckinAnswer).where(CheckinAnswer.user == "U1001"))).scalar_one()
    assert row.skipped_at is not None and row.answered_at is None
    # snoozing a skipped check-in is refused and queues nothing
    r = await w.app.router.handle_action(_press(w, reply, "Snooze 1 h"))
    assert "Already snoozed" in _t(r) or r.error


async def test_text_forms_in_a_dm_are_not_taken_as_answers(any_world: World) -> None:
    w = any_world
    await _checkin(w)
    me = Harness(w.app, workspace="T1", channel="D1", user="U1001")
    r = await me.say("snooze 1h")
    assert "Snoozed until" in _t(r)
    r = await me.say("snooze 3 days")
    assert r.error and "1 hour, 1 day or 1 week" in _t(r)
    r = await me.say("snooze 1d")
    assert r.error and "nothing from the last week" in _t(r)
    r = await me.say("skip")
    assert "Skipped" in _t(r)
    async with w.app.db.session() as session:
        from sqlalchemy import select

        row = (await session.execute(select(CheckinAnswer).where(CheckinAnswer.user == "U1001"))).scalar_one()
    assert json.loads(row.answers) == [] and row.answered_at is None
    # someone with no check-in
    other = Harness(w.app, workspace="T1", channel="D9", user="U9999")
    r = await other.say("/cos-service skip")
    assert r.error and "no check-in" in _t(r)


async def test_reminders_snooze_a_day_or_a_week_and_keep_done(any_world: World) -> None:
    w = any_world
    for line in (
        "/cos-service stage early since 2026-01",
        "/cos-service milestone owner 1 @U1001",
        "/cos-service milestone date 1 2026-03-12",
    ):
        r = await w.admin.say(line)
        assert r.error is None, (line, r.error)
    await w.run_until(datetime(2026, 3, 5, 10, tzinfo=UTC), step_minutes=60)
    ms = next(s for s in w.transport.sent if s.what == "milestone")
    assert [b.label for b in ms.reply.buttons] == ["Mark done", "Snooze 1 day", "Snooze 1 week"]
    r = await w.app.router.handle_action(_press(w, ms.reply, "Snooze 1 day"))
    assert "Snoozed until Fri 06 Mar" in _t(r)
    r = await w.app.router.handle_action(_press(w, ms.reply, "Snooze 1 week"))
    assert "Already snoozed" in _t(r)
    me = Harness(w.app, workspace="T1", channel="D1", user="U1001")
    r = await me.say("/cos-service snooze 1h")
    assert r.error
    await w.run_until(datetime(2026, 3, 6, 12, tzinfo=UTC), step_minutes=60)
    again = [s for s in w.transport.sent if s.what == "snooze"]
    assert len(again) == 1 and "Milestone due" in again[0].text
    # Done from the snoozed copy: the reminder on the target date is not sent
    r = await w.app.router.handle_action(_press(w, again[0].reply, "Mark done"))
    assert r is not None and r.error is None
    await w.run_until(datetime(2026, 3, 13, tzinfo=UTC), step_minutes=120)
    assert len([s for s in w.transport.sent if "Milestone due" in s.text]) == 2


@pytest.mark.parametrize("value", ["abc|1h", "999999|1h", "1|2h", "1", "-1|1d"])
async def test_forged_snooze_values_do_nothing(world: World, value: str) -> None:
    await _checkin(world)
    before = len(await outbox_rows(world.app))
    r = await world.app.router.handle_action(
        Action(platform="console", workspace="T1", channel="C1", user="U1001", action="delivery.snooze", value=value)
    )
    assert r is None or "Snoozed" not in r.title
    assert len(await outbox_rows(world.app)) == before
