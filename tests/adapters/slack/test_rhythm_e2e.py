"""Team rhythm end to end on Slack: thread reports (thread_ts, chat.update), edited DM answers
(message_changed), skip and snooze buttons, and escalation, through the local fake Web API on fake time."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.kernel.clock import FakeClock
from bot.team.models import CheckinAnswer
from tests.adapters.slack.conftest import Rig
from tests.adapters.slack.fake_slack import Call, payload
from tests.adapters.slack.test_schedules_e2e import (  # noqa: F401 - the rig fixture
    assert_no_mass_mentions,
    blocks_of,
    command,
    dm_event,
    posts,
    rig,
    run_until,
    text_of,
    tick,
)

FRIDAY = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {e["text"]["text"]: e for b in blocks_of(call) if b["type"] == "actions" for e in b["elements"]}


def press(button: dict[str, Any], *, user: str, channel: str, response_url: str) -> dict[str, Any]:
    body = copy.deepcopy(payload("block_actions.json"))
    body["user"]["id"] = user
    body["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    body["container"].update(is_ephemeral=False, channel_id=channel)
    body["channel"]["id"] = channel
    body["response_url"] = response_url
    return body


def answer(user: str, text: str, ts: str, event_id: str) -> dict[str, Any]:
    envelope = dm_event(user, "D" + user[1:], text, event_id)
    envelope["event"]["ts"] = envelope["event"]["event_ts"] = ts
    return envelope


def edited(user: str, text: str, ts: str, event_id: str) -> dict[str, Any]:
    envelope = copy.deepcopy(payload("event_message_changed.json"))
    envelope["event_id"] = event_id
    envelope["event"].update(channel="D" + user[1:])
    envelope["event"]["message"].update(user=user, text=text, ts=ts)
    return envelope


async def test_reports_in_threads_edits_skip_and_snooze(rig: Rig, app: App, clock: FakeClock) -> None:  # noqa: F811
    fake = rig.fake
    await command(rig, "checkin friday 16:00 <@U1001> <@U1002> <@U1003>")
    await run_until(app, clock, FRIDAY, step=timedelta(hours=4))
    [dm1], [dm2], [dm3] = posts(fake, "D1001"), posts(fake, "D1002"), posts(fake, "D1003")
    assert set(buttons(dm1)) == {"Skip today", "Snooze 1 h"}

    # U1003 skips, U1002 snoozes (twice: one delivery), through the real button path
    await rig.action(
        press(buttons(dm3)["Skip today"], user="U1003", channel="D1003", response_url=fake.response_url("skip"))
    )
    for n in range(2):
        await rig.action(
            press(
                buttons(dm2)["Snooze 1 h"], user="U1002", channel="D1002", response_url=fake.response_url(f"snooze{n}")
            )
        )
    await rig.adapter.drain()
    said = {c.params["name"]: json.dumps(c.params) for c in fake.calls_to("response_url")}
    assert "Skipped today" in said["skip"]
    # The two presses are handled concurrently (each after its ack): whichever lands first snoozes.
    assert sorted("Already snoozed" in said[f"snooze{n}"] for n in range(2)) == [False, True]
    assert any("Snoozed until" in said[f"snooze{n}"] for n in range(2))

    # U1001 answers two questions in one message: the report and its first thread reply
    clock.set(FRIDAY + timedelta(minutes=10))
    assert (
        await rig.event(answer("U1001", "Pricing page shipped\nNothing blocking", "1772813400.000100", "EvA1"))
    ).status == 200
    await rig.adapter.drain()
    await tick(app)
    [report] = [c for c in posts(fake, "C1") if "thread_ts" not in c.params]
    assert "Friday check-in: 1 of 3 answered, 1 skipped" in text_of(report)
    [reply1] = [c for c in posts(fake, "C1") if c.params.get("thread_ts")]
    report_ts = fake.messages["C1"][0]["ts"]
    assert reply1.params["thread_ts"] == report_ts
    assert "Pricing page shipped" in text_of(reply1) and "Nothing blocking" in text_of(reply1)
    for call in (report, reply1):
        assert "<@" not in json.dumps(call.params)  # nobody is @-mentioned in a report
        assert_no_mass_mentions(call)

    # U1001 edits the DM: the stored answer and its thread reply change, nothing is posted again
    clock.set(FRIDAY + timedelta(minutes=20))
    assert (
        await rig.event(
            edited("U1001", "Pricing page shipped and announced\nNothing blocking", "1772813400.000100", "EvE1")
        )
    ).status == 200
    await rig.adapter.drain()
    await tick(app)
    updates = fake.calls_to("chat.update")
    reply1_ts = next(m["ts"] for m in fake.messages["C1"] if m.get("thread_ts"))
    assert [(c.params["channel"], c.params["ts"]) for c in updates] == [("C1", reply1_ts)]
    assert "announced" in text_of(updates[0])
    assert len([c for c in posts(fake, "C1") if c.params.get("thread_ts")]) == 1
    async with app.db.session() as session:
        row = (await session.execute(select(CheckinAnswer).where(CheckinAnswer.user == "U1001"))).scalar_one()
    assert json.loads(row.answers) == ["Pricing page shipped and announced", "Nothing blocking"]

    # deleting the DM leaves the stored answer
    deleted = edited("U1001", "", "1772813400.000100", "EvD1")
    deleted["event"]["subtype"] = "message_deleted"
    assert (await rig.event(deleted)).status == 200
    await rig.adapter.drain()
    async with app.db.session() as session:
        row = (await session.execute(select(CheckinAnswer).where(CheckinAnswer.user == "U1001"))).scalar_one()
    assert json.loads(row.answers)[0] == "Pricing page shipped and announced"

    # the snoozed check-in comes back once, an hour later; U1002's answer updates the count in place
    await run_until(app, clock, FRIDAY + timedelta(hours=1, minutes=30), step=timedelta(minutes=15))
    assert len(posts(fake, "D1002")) == 2 and len(posts(fake, "D1003")) == 1
    assert (await rig.event(answer("U1002", "Hired counsel", "1772817000.000100", "EvA2"))).status == 200
    await rig.adapter.drain()
    await tick(app)
    counts = [text_of(c) for c in fake.calls_to("chat.update") if c.params["ts"] == report_ts]
    assert any("2 of 3 answered, 1 skipped" in t for t in counts)
    assert len([c for c in posts(fake, "C1") if c.params.get("thread_ts") == report_ts]) == 2
    assert len([c for c in posts(fake, "C1") if "thread_ts" not in c.params]) == 1

    # nudges: nobody who answered or skipped is nudged
    await run_until(app, clock, FRIDAY + timedelta(hours=5), step=timedelta(minutes=30))
    assert len(posts(fake, "D1001")) == 2  # the questions and the "recorded" reply; no nudge, none for the edit
    assert len(posts(fake, "D1003")) == 1  # skipped: no nudge
    assert len(posts(fake, "D1002")) == 3  # the questions, the snoozed copy, the "recorded" reply


async def test_escalation_reaches_the_owner_and_the_channel_once(rig: Rig, app: App, clock: FakeClock) -> None:  # noqa: F811
    fake = rig.fake
    status, body = await rig.command(
        "schedule quarterly 09:00 UTC", command="/cos-risk", user_id="UADMIN", channel_id="C1", channel_name="team"
    )
    assert status == 200, body
    status, body = await rig.command(
        "owner gdpr <@U1001>", command="/cos-risk", user_id="UADMIN", channel_id="C1", channel_name="team"
    )
    assert status == 200 and "owner" in body["text"]
    await run_until(app, clock, clock.now() + timedelta(days=16), step=timedelta(hours=12))
    escalations = [
        c
        for c in fake.calls_to("chat.postMessage")
        if "Escalation" in text_of(c) or "Overdue risk review" in text_of(c)
    ]
    gdpr = [c for c in escalations if "Data Protection" in text_of(c)]
    assert sorted(str(c.params["channel"]) for c in gdpr) == ["C1", "D1001"]
    for c in escalations:
        assert_no_mass_mentions(c)
