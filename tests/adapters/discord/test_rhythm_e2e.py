"""Team rhythm end to end on Discord: a report with a thread on it (message edits for the count),
edited DM answers (MESSAGE_UPDATE), skip and snooze, through the local fake REST API and gateway."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.team.models import CheckinAnswer
from tests.adapters.discord.fake_discord import dm_channel_id, slash, user
from tests.adapters.discord.test_schedules_e2e import (  # noqa: F401 - the rig fixture
    ALICE,
    BOB,
    C1,
    MASS_MENTIONS,
    Rig,
    rig,
)

FRIDAY = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


def dm(author: str, message_id: str, content: str) -> dict[str, Any]:
    return {
        "id": message_id,
        "channel_id": dm_channel_id(author),
        "type": 0,
        "content": content,
        "author": user(author, "user" + author[-3:]),
        "embeds": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2026-03-06T16:30:00+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "components": [],
    }


def press(custom_id: str, user_id: str) -> dict[str, Any]:
    payload = slash("cos-service", None, guild_id=None, channel_id=dm_channel_id(user_id), user_id=user_id)
    payload.update(
        type=3,
        data={"custom_id": custom_id, "component_type": 2},
        message={**dm(user_id, "1700000000000000999", ""), "author": user("1", "cos-bot", bot=True)},
    )
    return payload


def _posts(r: Rig, channel: str) -> list[Any]:
    """Messages posted in ``channel`` (not the thread starts under its messages)."""
    return [c for c in r.posts(channel) if c.path == f"/channels/{channel}/messages"]


def custom_ids(call: Any) -> dict[str, str]:
    return {c["label"]: c["custom_id"] for row in call.body.get("components", []) for c in row["components"]}


async def test_report_thread_edits_skip_and_snooze(rig: Rig) -> None:  # noqa: F811
    fake = rig.fake
    await rig.ask(f"checkin friday 16:00 <@{ALICE}> <@{BOB}>")
    rig.clock.set(FRIDAY + timedelta(minutes=1))
    await rig.tick()
    [alice_q], [bob_q] = _posts(rig, dm_channel_id(ALICE)), _posts(rig, dm_channel_id(BOB))
    assert set(custom_ids(alice_q)) == {"Skip today", "Snooze 1 h"}

    # Bob snoozes with the button (twice: one delivery)
    for _ in range(2):
        before = len(fake.callbacks())
        await fake.dispatch("INTERACTION_CREATE", press(custom_ids(bob_q)["Snooze 1 h"], BOB))
        await fake.wait_for(lambda b=before: len(fake.callbacks()) > b)
    said = [json.dumps(c.body) for c in fake.callbacks()[-2:]]
    assert "Snoozed until" in said[0] and "Already snoozed" in said[1]

    # Alice answers both questions in one message: a report in C1, a thread on it, her reply there
    rig.clock.set(FRIDAY + timedelta(minutes=10))
    await fake.dispatch("MESSAGE_CREATE", dm(ALICE, "1700000000000000101", "Pricing page shipped\nAll clear"))
    await fake.wait_for(lambda: len(_posts(rig, dm_channel_id(ALICE))) >= 2)
    await rig.tick()
    [report] = _posts(rig, C1)
    assert "Friday check-in: 1 of 2 answered" in json.dumps(report.body["embeds"])
    report_id = fake.messages[C1][0]["id"]
    assert fake.requests("POST", f"/channels/{C1}/messages/{report_id}/threads")
    [reply] = _posts(rig, report_id)  # a thread's id is its starter message's id
    assert "Pricing page shipped" in json.dumps(reply.body["embeds"])
    for call in (report, reply):
        assert call.body["allowed_mentions"] == {"parse": []}
        assert "<@" not in json.dumps(call.body["embeds"])
        assert not any(p in json.dumps(call.body) for p in MASS_MENTIONS)

    # Alice edits her DM: the stored answer and the thread reply are edited, nothing new is posted
    await fake.dispatch(
        "MESSAGE_UPDATE",
        {
            **dm(ALICE, "1700000000000000101", "Pricing page shipped and announced\nAll clear"),
            "edited_timestamp": "2026-03-06T16:20:00+00:00",
        },
    )

    async def edited() -> bool:
        async with rig.app.db.session() as session:
            row = (await session.execute(select(CheckinAnswer).where(CheckinAnswer.user == ALICE))).scalar_one()
        return "announced" in row.answers

    for _ in range(50):
        if await edited():
            break
        await fake.wait_for(lambda: True, timeout=0.1)
    assert await edited()
    await rig.tick()
    reply_id = fake.messages[report_id][0]["id"]
    patches = fake.requests("PATCH", f"/channels/{report_id}/messages/{reply_id}")
    assert len(patches) == 1 and "announced" in json.dumps(patches[0].body["embeds"])
    assert len(_posts(rig, report_id)) == 1

    # Bob's snoozed question comes back once at 17:01; his answer edits the count and joins the thread
    rig.clock.set(FRIDAY + timedelta(hours=1, minutes=2))
    await rig.tick()
    assert len(_posts(rig, dm_channel_id(BOB))) == 2
    await fake.dispatch("MESSAGE_CREATE", dm(BOB, "1700000000000000102", "Hired counsel"))
    await fake.wait_for(lambda: len(_posts(rig, dm_channel_id(BOB))) >= 3)
    await rig.tick()
    counts = fake.requests("PATCH", f"/channels/{C1}/messages/{report_id}")
    assert "2 of 2 answered" in json.dumps(counts[-1].body["embeds"])
    assert len(_posts(rig, report_id)) == 2 and len(_posts(rig, C1)) == 1
    # the second reply found the thread already there (160004) and used it
    assert len(fake.requests("POST", f"/channels/{C1}/messages/{report_id}/threads")) == 2


async def test_without_thread_permission_answers_reply_to_the_report(rig: Rig) -> None:  # noqa: F811
    fake = rig.fake
    fake.no_thread_permission.add(C1)
    await rig.ask(f"checkin friday 16:00 <@{ALICE}>")
    rig.clock.set(FRIDAY + timedelta(minutes=1))
    await rig.tick()
    await fake.dispatch("MESSAGE_CREATE", dm(ALICE, "1700000000000000201", "skip"))
    await fake.wait_for(lambda: len(_posts(rig, dm_channel_id(ALICE))) >= 2)
    assert "Skipped" in json.dumps(_posts(rig, dm_channel_id(ALICE))[1].body["embeds"])
    await fake.dispatch("MESSAGE_CREATE", dm(ALICE, "1700000000000000202", "Actually: done"))
    await fake.wait_for(lambda: len(_posts(rig, dm_channel_id(ALICE))) >= 3)
    await rig.tick()
    report, reply = _posts(rig, C1)
    assert reply.body["message_reference"]["message_id"] == fake.messages[C1][0]["id"]
    assert "Actually: done" in json.dumps(reply.body["embeds"])
    # the nudge stays away (answered), and the skip did not count as an answer
    rig.clock.set(FRIDAY + timedelta(hours=5))
    await rig.tick()
    assert len(_posts(rig, dm_channel_id(ALICE))) == 3
