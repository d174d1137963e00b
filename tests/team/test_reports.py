"""Check-in reports: one channel message per check-in day, answers in its thread, counts edited in place."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.team.models import CheckinAnswer, CheckinReport
from tests.conftest import Harness
from tests.world import World

FRIDAY = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


async def _asked(w: World, people: str = "@U1001 @U1002 @U1003") -> None:
    r = await w.admin.say(f"/cos-service checkin friday 16:00 {people}")
    assert r.error is None
    await w.run_until(FRIDAY + timedelta(minutes=1), step_minutes=240)


def _dm(w: World, user: str) -> Harness:
    return Harness(w.app, workspace="T1", channel=f"D-{user}", user=user)


async def test_report_thread_count_updates_and_late_answers(any_world: World) -> None:
    w = any_world
    await _asked(w)
    await w.tick()
    assert not [s for s in w.transport.sent if s.what == "report"]  # a report starts with its first answer
    r = await _dm(w, "U1001").say("Pricing page shipped\nNothing blocking\nNo new risk")
    assert "That's all" in r.sections[0].text  # three lines, three answers
    await w.tick()
    reports = [s for s in w.transport.sent if s.what == "report"]
    assert [(s.kind, s.target, s.reply.title) for s in reports] == [
        ("channel", "C1", "Friday check-in: 1 of 3 answered")
    ]
    threads = [s for s in w.transport.sent if s.kind == "thread"]
    assert len(threads) == 1 and threads[0].target == f"C1/{reports[0].key}"
    assert "Answers from @U1001" in threads[0].text and "Pricing page shipped" in threads[0].text
    assert "<@" not in json.dumps([b for s in reports + threads for b in s.reply.sections], default=str)
    assert not reports[0].reply.notify and not threads[0].reply.notify
    # a second person answers: the count is edited in place, one more thread reply
    await _dm(w, "U1002").say("Hired a lawyer")
    await w.tick()
    await w.tick()
    assert [e[1].title for e in w.transport.edits] == ["Friday check-in: 2 of 3 answered"]
    assert len([s for s in w.transport.sent if s.kind == "thread"]) == 2
    assert len([s for s in w.transport.sent if s.what == "report"]) == 1
    # a follow-up answer (within 30 minutes) edits that person's thread reply, not a new one
    await _dm(w, "U1002").say("And we signed the DPA")
    await w.tick()
    assert len([s for s in w.transport.sent if s.kind == "thread"]) == 2
    assert "signed the DPA" in w.transport.edits[-1][1].sections[0].bullets[-1]
    # a late answer next day joins the thread
    w.clock.set(FRIDAY + timedelta(days=1))
    await _dm(w, "U1003").say("Late, but done")
    await w.tick()
    assert len([s for s in w.transport.sent if s.kind == "thread"]) == 3
    assert w.transport.edits[-1][1].title == "Friday check-in: 3 of 3 answered"
    async with w.app.db.session() as session:
        (report,) = (await session.execute(select(CheckinReport))).scalars().all()
        rows = (await session.execute(select(CheckinAnswer))).scalars().all()
    assert report.posted == "Friday check-in: 3 of 3 answered"
    assert all(r.reported == r.answers and r.report_message_id for r in rows)


async def test_the_digest_points_to_the_report_instead_of_repeating_answers(any_world: World) -> None:
    w = any_world
    await w.admin.say("/cos-service digest weekly monday 09:00 UTC")
    await _asked(w, "@U1001 @U1002")
    await _dm(w, "U1001").say("Shipped the pricing page")
    await w.run_until(datetime(2026, 3, 9, 9, 1, tzinfo=UTC), step_minutes=240)
    digest = [s for s in w.transport.sent if s.what == "digest"][-1]
    assert "Check-in reports" in digest.text and "Friday check-in: 1 of 2 answered" in digest.text
    assert "Shipped the pricing page" not in digest.text
    assert "Not answered yet" in digest.text


async def test_a_failing_thread_reply_is_retried_next_tick_without_reposting_the_report(world: World) -> None:
    w = world
    await _asked(w, "@U1001")
    await _dm(w, "U1001").say("Done")
    from bot.kernel.errors import DeliveryError

    w.transport.fail["C1"] = [DeliveryError("503")]  # the report post fails once
    await w.tick()
    assert not [s for s in w.transport.sent if s.what == "report"]
    await w.tick()
    await w.tick()
    assert len([s for s in w.transport.sent if s.what == "report"]) == 1
    assert len([s for s in w.transport.sent if s.kind == "thread"]) == 1
