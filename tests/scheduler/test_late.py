"""Late deliveries say so; check-ins past the grace window are not asked and the next digest lists them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply, Section
from bot.scheduler.lateness import MISSED, late_note
from tests.world import World, make_world, outbox_rows


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def test_a_late_check_in_says_when_it_was_due(world: World) -> None:
    await world.admin.say("/cos-service checkin friday 16:00 @U1001")
    await world.run_until(_utc(2026, 3, 6, 15), step_minutes=60)
    await world.app.close()
    world.clock.set(_utc(2026, 3, 6, 16, 47))  # down 15:00 -> 16:47
    fresh = await make_world(world.app.settings.database_url, world.clock)
    try:
        await fresh.tick()
        (sent,) = fresh.transport.sent
        assert "late: due 16:00, sent 16:47" in sent.text
    finally:
        await fresh.app.close()


async def test_on_time_and_slightly_late_deliveries_carry_no_note(world: World) -> None:
    await world.admin.say("/cos-service checkin friday 16:00 @U1001")
    await world.run_until(_utc(2026, 3, 6, 15, 55), step_minutes=60)
    world.clock.set(_utc(2026, 3, 6, 16, 9))
    await world.tick()
    (sent,) = world.transport.sent
    assert "late:" not in sent.text


def test_late_note_crosses_midnight_with_the_day() -> None:
    r = late_note(
        Reply(title="Digest", sections=(Section(text="body"),)),
        due_at=_utc(2026, 3, 6, 22, 50),
        tz="Europe/Berlin",
        now=_utc(2026, 3, 7, 0, 5),
        minutes=10,
    )
    assert r.sections[0].text == "late: due Fri 06 Mar 23:50, sent Sat 07 Mar 01:05"
    same = late_note(r, due_at=_utc(2026, 3, 7), tz="UTC", now=_utc(2026, 3, 7, 0, 10), minutes=10)
    assert same is r


async def test_stale_check_ins_are_missed_and_the_next_digest_says_so(any_world: World) -> None:
    w = any_world
    await w.admin.say("/cos-service checkin friday 16:00 @U1001 @U1002")
    await w.admin.say("/cos-service digest weekly monday 09:00 UTC")
    await w.run_until(_utc(2026, 3, 6, 15), step_minutes=60)
    w.clock.set(_utc(2026, 3, 7, 12))  # down through Friday evening
    await w.tick()
    assert not [s for s in w.transport.sent if s.what in ("checkin", "nudge")]
    rows = await outbox_rows(w.app, kind="checkin")
    assert sorted((r.target, r.status, r.last_error) for r in rows) == [
        ("U1001", "skipped", MISSED),
        ("U1002", "skipped", MISSED),
    ]
    await w.run_until(_utc(2026, 3, 9, 9, 1), step_minutes=60)
    digest = next(s for s in w.transport.sent if s.what == "digest" and s.at.day == 9)
    assert "Missed check-ins" in digest.text and "@U1001: Fri 06 Mar 16:00" in digest.text
    # the next week's digest does not repeat it
    await w.run_until(_utc(2026, 3, 16, 9, 1), step_minutes=240)
    second = next(s for s in w.transport.sent if s.what == "digest" and s.at.day == 16)
    assert "Missed check-ins" not in second.text


async def test_a_check_in_that_waited_in_the_outbox_past_the_grace_window_is_missed(world: World) -> None:
    await world.admin.say("/cos-service checkin friday 16:00 @U1001")
    world.transport.fail["U1001"] = [DeliveryError("503 from platform")]
    await world.run_until(_utc(2026, 3, 6, 16), step_minutes=60)
    (row,) = await outbox_rows(world.app, kind="checkin")
    assert row.status == "pending"
    world.clock.set(_utc(2026, 3, 6, 16) + timedelta(minutes=121))
    await world.tick()
    (row,) = await outbox_rows(world.app, kind="checkin")
    assert row.status == "skipped" and row.last_error == MISSED
    assert not [s for s in world.transport.sent if s.what == "checkin"]
