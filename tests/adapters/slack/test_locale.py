"""A Slack user's locale (``users.info`` with ``include_locale``) chooses the language of team replies."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.identity import Identities
from tests.adapters.slack.conftest import BOT_TOKEN, running
from tests.adapters.slack.fake_slack import FakeSlack


async def test_a_chinese_slack_user_gets_team_replies_in_chinese(app, fake) -> None:  # type: ignore[no-untyped-def]
    fake.users["U2147483697"] = {"locale": "zh-CN"}
    async with running(app, fake) as rig:
        _, first = await rig.command("stage")
        _, again = await rig.command("timezone")
        _, knowledge = await rig.command("legal")  # a knowledge answer: no look-up of its own
        calls = fake.calls_to("users.info")
    assert first["text"].startswith("尚未设置阶段") and again["text"].startswith("你的时区：")
    assert len(calls) == 1 and str(calls[0].params.get("include_locale")).lower() in ("true", "1")
    assert knowledge["text"]  # answered; its wording is the knowledge answers' own


async def test_an_english_slack_user_sees_no_change(app, fake) -> None:  # type: ignore[no-untyped-def]
    fake.users["U2147483697"] = {"locale": "en-US"}
    async with running(app, fake) as rig:
        _, reply = await rig.command("stage")
    assert reply["text"].startswith("No stage set yet")


async def test_the_people_cache_is_bounded_and_keeps_the_locale(fake: FakeSlack) -> None:
    fake.users.update({"U1": {"locale": "zh-CN"}, "U2": {"locale": "en-US"}, "U3": {}})
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    people = Identities(frozenset(), size=2)
    for user in ("U1", "U2", "U3"):
        await people.lookup(client, "T1", user)
    assert people.locale("T1", "U1") is None and people.known("T1", "U1") is None  # the oldest went first
    assert people.locale("T1", "U2") == "en-US" and people.locale("T1", "U3") is None
    await people.lookup(client, "T1", "U1")
    assert people.locale("T1", "U1") == "zh-CN" and people.known("T1", "U2") is None
    assert len(fake.calls_to("users.info")) == 4
