"""The team commands through the real Router: forms as written, permissions, bad input stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.kernel.reply import Reply
from bot.kernel.reply import to_text as _to_text
from bot.kernel.router import Action
from bot.scheduler.models import Schedule
from bot.team.models import Milestone, RiskItem, TeamStage
from tests.world import World


def to_text(reply: Reply) -> str:
    """What the console shows (people as ``@id``): these tests talk to the core as the console."""
    return _to_text(reply, plain_mentions=True)


async def _count(world: World, model: type) -> int:
    async with world.app.db.session() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def _schedules(world: World) -> list[Schedule]:
    async with world.app.db.session() as s:
        query = select(Schedule).where(Schedule.active.is_(True)).order_by(Schedule.id)
        return list((await s.execute(query)).scalars())


async def test_forms_as_written(world: World) -> None:
    a = world.admin
    r = await a.say("/cos-service stage early since 2026-03")
    assert r.error is None and "Early Commercialization" in r.title and "March 2026" in r.title
    r = await a.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    assert r.error is None, to_text(r)
    assert "weekly on Monday at 09:00 Europe/Berlin" in to_text(r)
    assert "Mon 09 Mar 2026 09:00 Europe/Berlin" in to_text(r)
    r = await a.say("/cos-service digest daily 14:05 UTC", channel="C2")
    assert r.error is None and "daily at 14:05 UTC" in to_text(r)
    assert "Mon 02 Mar 2026 14:05 UTC" in to_text(r)  # today, still ahead
    r = await a.say("/cos-risk schedule quarterly")
    assert r.error is None and "quarterly" in to_text(r) and "01 Apr 2026 09:00" in to_text(r)
    r = await a.say("/cos-service checkin friday 16:00 @U1001 @U1002")
    assert r.error is None and "<@U1001>" not in to_text(r)  # console mentions are plain
    assert "@U1001 @U1002" in to_text(r)
    kinds = [(s.kind, s.channel) for s in await _schedules(world)]
    assert kinds == [("milestone", "C1"), ("digest", "C1"), ("digest", "C2"), ("risk_review", "C1"), ("checkin", "C1")]
    listing = await world.member.text("/cos-service schedules")
    for sched in await _schedules(world):
        assert f"{sched.id}: " in listing
    assert "next Mon 09 Mar 2026 09:00 Europe/Berlin" in listing


async def test_the_schedule_list_reads_the_workspace_once_however_long_it_is(world: World) -> None:
    """One context read per list, not one per schedule: a long list stays inside the request's database budget."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = world.app.db.engine.sync_engine
    for n in range(2):
        await world.admin.say("/cos-service digest daily 14:05 UTC", channel=f"C{n + 2}")
    event.listen(engine, "before_cursor_execute", count)
    try:
        await world.member.text("/cos-service schedules")
        few = len(statements)
        for n in range(2, 12):
            await world.admin.say("/cos-service digest daily 14:05 UTC", channel=f"C{n + 2}")
        statements.clear()
        listing = await world.member.text("/cos-service schedules")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert all(f"{s.id}: digest in C" in listing for s in await _schedules(world) if s.kind == "digest")
    assert len(statements) == few, statements


@pytest.mark.parametrize(
    "line,expected",
    [
        ("/cos-service checkin friday 16:00 <@U1001> <@U1002|bob>", ["U1001", "U1002"]),
        ("/cos-service checkin friday 16:00 <@1234> <@!5678>", ["1234", "5678"]),
        ("/cos-service checkin fri 16:00 @U1001 @U1001", ["U1001"]),
    ],
)
async def test_checkin_mentions_in_platform_forms(world: World, line: str, expected: list[str]) -> None:
    r = await world.admin.say(line)
    assert r.error is None, to_text(r)
    (sched,) = [s for s in await _schedules(world) if s.kind == "checkin"]
    assert json.loads(sched.participants or "[]") == expected
    assert sched.weekday == 4 and (sched.hour, sched.minute) == (16, 0)


@pytest.mark.parametrize(
    "line,needle",
    [
        ("/cos-service digest weekly funday 09:00", "weekday"),
        ("/cos-service digest daily 25:00 UTC", "HH:MM"),
        ("/cos-service digest daily 09:00 Mars/Base", "IANA"),
        ("/cos-service digest hourly 09:00", "cadence"),
        ("/cos-service digest daily", "HH:MM"),
        ("/cos-service digest daily 09:00 Europe/Berlin extra", "did not understand"),
        ("/cos-service checkin friday 16:00", "Mention who"),
        ("/cos-service checkin friday 16:00 @everyone", "Name a person"),
        ("/cos-service checkin friday 16:00 bob", "not a person"),
        ("/cos-service stage infancy", "not a stage"),
        ("/cos-service stage early since 2026-13", "YYYY-MM"),
        ("/cos-service stage early from March", "YYYY-MM"),
        ("/cos-risk schedule weekly", "monthly|quarterly|yearly"),
        ("/cos-service unschedule abc", "schedule's id"),
        ("/cos-service unschedule 99", "no schedule 99"),
        ("/cos-service milestone done 1", "No stage"),
    ],
)
async def test_bad_input_is_explained_and_nothing_is_stored(world: World, line: str, needle: str) -> None:
    r = await world.admin.say(line)
    assert r.error is not None and needle in to_text(r), to_text(r)
    assert "Traceback" not in to_text(r)
    assert await _count(world, Schedule) == 0
    assert await _count(world, TeamStage) == 0


@pytest.mark.parametrize(
    "line",
    [
        "/cos-service stage early since 2026-03",
        "/cos-service digest weekly monday 09:00 Europe/Berlin",
        "/cos-service digest now",
        "/cos-service checkin friday 16:00 @U1001",
        "/cos-risk schedule quarterly",
        "/cos-risk review gdpr high",
    ],
)
async def test_members_cannot_change_and_are_told_why(world: World, line: str) -> None:
    r = await world.member.say(line)
    assert r.title == "Sorry, I can't do that"
    text = to_text(r)
    assert "Only admins" in text and "COS_ADMINS" in text and "Manage Server" in text and "U1001" in text
    assert await _count(world, Schedule) == 0
    assert await _count(world, TeamStage) == 0
    async with world.app.db.session() as s:
        rated = select(func.count()).select_from(RiskItem).where(RiskItem.rating.is_not(None))
        assert (await s.execute(rated)).scalar_one() == 0


async def test_cos_admins_setting_grants_admin(world: World) -> None:
    from dataclasses import replace

    world.app.settings = replace(world.app.settings, admins=frozenset({"U1001"}))
    r = await world.member.say("/cos-service digest daily 14:05 UTC")
    assert r.error is None, to_text(r)


async def test_anyone_reads_schedules_register_and_milestones(world: World) -> None:
    await world.admin.say("/cos-service stage growth since 2026-01")
    await world.admin.say("/cos-risk schedule monthly 10:00 Europe/Berlin")
    for line in ("/cos-service schedules", "/cos-risk register", "/cos-service milestones", "/cos-service stage"):
        r = await world.member.say(line)
        assert r.error is None, (line, to_text(r))
    text = await world.member.text("/cos-service milestones")
    assert "Achieve sustained profitability" in text and "0 of 4" in text


async def test_milestones_falls_back_to_the_development_path_without_a_stage(world: World) -> None:
    r = await world.member.say("/cos-service milestones")
    assert r.title == "Development path and milestones"
    r = await world.member.say("/cos-service milestones growth")
    assert "Growth" in r.title


async def test_milestone_done_owner_date_by_command_and_button(world: World) -> None:
    a = world.admin
    r = await a.say("/cos-service stage early since 2026-03")
    assert "target 2026-09-01" in to_text(r)  # 4 milestones spread over the phase's two years
    assert "target 2028-03-01" in to_text(r)
    r = await a.say("/cos-service milestone owner 2 <@U1001>")
    assert r.error is None and "owner @U1001" in to_text(r)
    r = await a.say("/cos-service milestone date 2 2026-06-15")
    assert "target 2026-06-15" in to_text(r)
    r = await a.say("/cos-service milestone date 2 15.06.2026")
    assert r.error and "YYYY-MM-DD" in r.error
    r = await a.say("/cos-service milestone done 9")
    assert r.error and "1 to 4" in r.error
    # the owner may mark their own milestone done; another member may not
    r = await world.member.say("/cos-service milestone done 2")
    assert r.error is None and "1 of 4" in to_text(r)
    r = await world.member.say("/cos-service milestone done 3")
    assert r.title == "Sorry, I can't do that"
    # button
    async with world.app.db.session() as s:
        m1 = (await s.execute(select(Milestone).where(Milestone.position == 1))).scalar_one()
    action = Action(
        platform="console",
        workspace="T1",
        channel="C1",
        user="UADMIN",
        action="milestone.done",
        value=str(m1.id),
        role="admin",
    )
    r = await world.app.router.handle_action(action)
    assert r is not None and "2 of 4" in to_text(r)
    # a forged value gets a polite reply
    r = await world.app.router.handle_action(
        Action(
            platform="console",
            workspace="OTHER",
            channel="C1",
            user="U",
            action="milestone.done",
            value=str(m1.id),
            role="admin",
        )
    )
    assert r is not None and r.error == "stale action"


async def test_risk_register_review_by_text_and_buttons(world: World) -> None:
    a = world.admin
    r = await world.member.say("/cos-risk register")
    assert "12 items, 12 due for review" in r.title
    r = await a.say("/cos-risk review gdpr medium new DPA signed")
    assert r.error is None and "Data Protection Compliance" in r.title and "medium" in r.title
    r = await a.say("/cos-risk review we might run out of cash high")
    assert "Financial Risk" in r.title
    r = await a.say("/cos-risk review board governance")
    assert r.title == "Review: Board Governance" and [b.action for b in r.buttons] == ["risk.rate"] * 3
    r = await world.app.router.handle_action(
        Action(
            platform="console",
            workspace="T1",
            channel="C1",
            user="UADMIN",
            action="risk.rate",
            value=r.buttons[0].value,
            role="admin",
        )
    )
    assert r is not None and "Board Governance — low" in r.title
    r = await a.say("/cos-risk review")
    assert "9 are due" in r.title and all(b.action == "risk.review" for b in r.buttons)
    r = await a.say("/cos-risk review high")
    assert r.error and "which topic" in r.error
    r = await a.say("/cos-risk owner tax @U1001")
    assert "Tax Compliance: owner @U1001" in to_text(r)
    text = await world.member.text("/cos-risk register")
    assert "3 due for review" not in text and "9 due for review" in text
    assert "Data Protection Compliance — medium" in text and "new DPA signed" in text


async def test_unschedule_and_digest_off(world: World) -> None:
    a = world.admin
    await a.say("/cos-service digest daily 14:05 UTC")
    await a.say("/cos-risk schedule yearly")
    scheds = await _schedules(world)
    r = await world.member.say(f"/cos-service unschedule {scheds[1].id}")
    assert r.title == "Sorry, I can't do that"
    r = await a.say(f"/cos-service unschedule {scheds[1].id}")
    assert "removed" in r.title
    r = await a.say(f"/cos-service unschedule {scheds[1].id}")
    assert r.error
    # another workspace cannot touch it
    r = await a.say(f"/cos-service unschedule {scheds[0].id}", workspace="T2")
    assert r.error
    r = await a.say("/cos-service digest off")
    assert r.title == "Digest off"
    assert await _schedules(world) == []
    r = await a.say("/cos-service digest off")
    assert "no digest" in r.title


async def test_a_channel_keeps_each_digest_it_was_given(world: World) -> None:
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    await world.admin.say("/cos-service digest weekly friday 10:00 UTC")
    scheds = await _schedules(world)
    assert [(s.kind, s.cadence) for s in scheds] == [("digest", "daily"), ("digest", "weekly")]


async def test_zone_defaults_user_then_workspace_then_settings(world: World) -> None:
    await world.admin.say("/cos-service digest daily 10:00", tz="America/New_York")
    await world.admin.say("/cos-service timezone workspace Australia/Sydney")
    await world.admin.say("/cos-service digest daily 10:00", channel="C2")
    await world.admin.say("/cos-service timezone workspace Nowhere/Land")
    scheds = await _schedules(world)
    assert [s.tz for s in scheds] == ["America/New_York", "Australia/Sydney"]
    r = await world.member.say("/cos-service timezone Europe/Berlin")
    assert "Europe/Berlin" in r.title
    assert "Europe/Berlin" in (await world.member.say("/cos-service timezone")).title


async def test_scheduler_commands_keyed_by_platform_and_workspace(world: World) -> None:
    await world.admin.say("/cos-service stage early")
    r = await world.member.say("/cos-service stage", workspace="T2")
    assert r.title == "No stage set yet"
    r = await world.member.say("/cos-service stage", platform="slack")
    assert r.title == "No stage set yet"


async def test_several_digests_in_one_channel_and_the_same_one_twice_is_kept_once(world: World) -> None:
    first = await world.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    second = await world.admin.say("/cos-service digest daily 14:05 UTC")
    assert "replaces" not in to_text(second)
    assert [s.kind for s in await _schedules(world)] == ["digest", "digest"]
    again = await world.admin.say("/cos-service digest weekly monday 09:00 europe/berlin")
    assert again.title.startswith("Already scheduled") and first.title.split("schedule ")[1] in again.title
    assert len(await _schedules(world)) == 2
    off = await world.admin.say("/cos-service digest off")
    assert "Digest off" in off.title and await _schedules(world) == []


async def test_a_new_risk_review_schedule_says_which_one_it_replaces(world: World) -> None:
    first = await world.admin.say("/cos-risk schedule quarterly")
    first_id = first.title.split("schedule ")[1].rstrip(")")
    second = await world.admin.say("/cos-risk schedule monthly 10:00 Europe/Berlin")
    assert f"It replaces schedule {first_id} (one per workspace)" in to_text(second)
    assert [s.kind for s in await _schedules(world)] == ["risk_review"]
