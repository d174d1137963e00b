"""Edges found in review: absurd numbers and dates, queued rows after `digest off`, DMs after a check-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply
from bot.kernel.reply import to_text as _to_text
from bot.scheduler.models import Outbox, Schedule
from tests.world import World


def to_text(reply: Reply) -> str:
    """What the console shows (people as ``@id``): these tests talk to the core as the console."""
    return _to_text(reply, plain_mentions=True)


async def _rows(world: World, kind: str) -> list[Outbox]:
    async with world.app.db.session() as s:
        return list((await s.execute(select(Outbox).where(Outbox.kind == kind))).scalars())


async def test_out_of_range_numbers_and_dates_get_a_clear_reply(world: World) -> None:
    await world.admin.say("/cos-service stage early since 2026-03")
    for line in (
        "/cos-service unschedule 99999999999999999999",
        "/cos-service checkin questions 99999999999999999999 a? | b?",
        "/cos-service stage early since 0000-01",
        "/cos-service stage early since 9999-12",
        "/cos-service milestone date 1 0001-01-02",
        "/cos-service milestone date 1 9999-12-31",
        "/cos-service milestone done 99999999999",
    ):
        reply = await world.admin.say(line)
        assert reply.error and not reply.error.startswith("internal error"), (line, reply.error)
    # The stage and its milestones are as they were: deliveries keep working.
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    await world.run_until(datetime(2026, 3, 2, 14, 10, tzinfo=UTC))
    assert [s.what for s in world.transport.sent].count("digest") == 1


async def test_digest_off_drops_what_was_already_queued(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    # The first send fails, so the digest waits in the outbox for its retry.
    world.transport.fail["C1"] = [DeliveryError("Slack is down", retry_after=None)]
    world.clock.set(datetime(2026, 3, 2, 14, 6, tzinfo=UTC))
    await world.tick()
    assert [r.status for r in await _rows(world, "digest")] == ["pending"]
    off = await world.admin.say("/cos-service digest off")
    assert "Digest off" in off.title
    await world.run_until(datetime(2026, 3, 3, 15, 0, tzinfo=UTC))
    assert [s for s in world.transport.sent if s.what == "digest"] == []
    assert all(r.status != "pending" for r in await _rows(world, "digest"))
    async with world.app.db.session() as s:
        assert not (await s.execute(select(Schedule).where(Schedule.active.is_(True)))).scalars().all()


async def test_after_answering_a_dm_question_goes_to_the_knowledge(world: World) -> None:
    await world.admin.say("/cos-service checkin monday 09:00 @U1001")
    await world.run_until(datetime(2026, 3, 2, 9, 5, tzinfo=UTC), step_minutes=5)
    assert [s.what for s in world.transport.sent] == ["checkin"]
    dm = {"command": "message", "is_dm": True, "channel": "D1"}
    questions = 3
    for i in range(questions):
        reply = await world.member.say(f"answer {i}: progress on the sales team", **dm)
        assert reply.title == "Check-in answer recorded", to_text(reply)
    # Every question answered: a follow-up soon after is added, later DMs are questions again.
    world.clock.advance(timedelta(hours=1))
    later = await world.member.say("legal", **dm)
    assert later.results and later.results[0] == "area.comprehensive-legal-services"
    helped = await world.member.say("help", **dm)
    assert "Examples" in to_text(helped)


async def test_help_in_a_dm_is_never_taken_as_an_answer(world: World) -> None:
    await world.admin.say("/cos-service checkin monday 09:00 @U1001")
    await world.run_until(datetime(2026, 3, 2, 9, 5, tzinfo=UTC), step_minutes=5)
    reply = await world.member.say("help", command="message", is_dm=True, channel="D1")
    assert "Examples" in to_text(reply)


async def test_team_commands_are_refused_in_a_discord_dm(world: World) -> None:
    reply = await world.admin.say(
        "/cos-service digest daily 14:05 UTC", platform="discord", workspace="dm", in_workspace=False
    )
    assert reply.error and "server channel" in to_text(reply)
    async with world.app.db.session() as s:
        assert not (await s.execute(select(Schedule))).scalars().all()


async def test_mentions_in_a_note_are_stored_and_shown_as_plain_words(world: World) -> None:
    from bot.team.models import RiskItem

    reply = await world.admin.say("/cos-risk review gdpr high @everyone <@U1|ann> <!subteam^S1|@team> <!channel> ok")
    text = to_text(reply)
    for token in ("<@", "<!", "@everyone", "@channel"):
        assert token not in text.replace("@\u2060", "@\u2060x"), (token, text)
    async with world.app.db.session() as s:
        query = select(RiskItem).where(RiskItem.topic_id == "risk.data-protection-compliance")
        item = (await s.execute(query)).scalar_one()
    assert "<@" not in item.note and "<!" not in item.note and "@U1" in item.note
    register = to_text(await world.member.say("/cos-risk register"))
    assert "<@U1" not in register and "<!" not in register


async def test_time_zones_in_any_letter_case(world: World) -> None:
    reply = await world.admin.say("/cos-service digest weekly Monday 09:00 europe/berlin")
    assert reply.error is None and "Europe/Berlin" in to_text(reply)
    async with world.app.db.session() as s:
        assert [x.tz for x in (await s.execute(select(Schedule))).scalars()] == ["Europe/Berlin"]


async def test_stage_titles_of_the_overview_still_answer(world: World) -> None:
    reply = await world.member.say("/cos-service stage characteristics")
    assert reply.results and reply.results[0] == "section.stage"


async def test_a_rating_the_register_does_not_keep_is_explained(world: World) -> None:
    reply = await world.admin.say("/cos-risk review gdpr critical")
    assert reply.error and "low, medium or high" in to_text(reply)


async def test_a_stage_start_far_in_the_future_is_refused(world: World) -> None:
    reply = await world.admin.say("/cos-service stage early since 2030-01")
    assert reply.error and "ahead" in to_text(reply)
