"""👍/👎 on Discord answers, end to end through the real discord.py client and the fake gateway:
the buttons, the 👎 modal (callback type 9) and its MODAL_SUBMIT (interaction type 5)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.discord.platform import PLATFORM
from bot.answering.models import KnowledgeFeedback, KnowledgeQuestion
from bot.app import App, build_app
from bot.kernel.settings import Settings
from tests.adapters.discord.fake_discord import FakeDiscord, guild, slash, snowflake
from tests.conftest import shared_knowledge

PAYLOADS = Path(__file__).parent / "payloads"
G1, C1 = "900000000000000001", "910000000000000001"
G2, C2 = "900000000000000002", "910000000000000002"


@pytest.fixture
async def app(dsettings: Settings, fake: FakeDiscord, clock: Any) -> AsyncIterator[App]:
    fake.guilds = [guild(G1, "Acme", C1), guild(G2, "Globex", C2)]
    application = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = asyncio.ensure_future(PLATFORM.run(application))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        yield application
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await application.close()


async def ask(fake: FakeDiscord, payload: dict[str, Any]) -> dict[str, Any]:
    before = len(fake.callbacks())
    await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for(lambda: len(fake.callbacks()) > before)
    return fake.callbacks()[before].body  # type: ignore[no-any-return]


def press(custom_id: str, *, guild_id: str = G1, channel_id: str = C1) -> dict[str, Any]:
    body = json.loads((PAYLOADS / "button_providers.json").read_text())
    body["id"] = snowflake()
    body["token"] = "tok-" + body["id"]
    body["data"]["custom_id"] = custom_id
    body["guild_id"] = body["channel"]["guild_id"] = body["authorizing_integration_owners"]["0"] = guild_id
    body["channel_id"] = body["channel"]["id"] = channel_id
    return body


def submit(modal: dict[str, Any], *, reason: str, comment: str) -> dict[str, Any]:
    """The MODAL_SUBMIT Discord sends for the modal we opened: labels holding the select and the text input."""
    body = press(modal["custom_id"])
    body["type"] = 5
    body.pop("message")
    body["data"] = {
        "custom_id": modal["custom_id"],
        "components": [
            {"type": 18, "id": 1, "component": {"type": 3, "id": 2, "custom_id": "reason", "values": [reason]}},
            {"type": 18, "id": 3, "component": {"type": 4, "id": 4, "custom_id": "comment", "value": comment}},
        ],
    }
    return body


async def _until(app: App, done: Any) -> list[KnowledgeFeedback]:
    """The votes once ``done(votes)`` holds (work that follows a response finishes a moment later)."""
    for _ in range(500):
        votes = await _votes(app)
        if done(votes):
            return votes
        await asyncio.sleep(0.01)
    return await _votes(app)


def _ids(data: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in data.get("components", []) for c in row["components"]]


async def _votes(app: App) -> list[KnowledgeFeedback]:
    async with app.db.session() as session:
        return list((await session.execute(select(KnowledgeFeedback).order_by(KnowledgeFeedback.id))).scalars())


async def test_thumbs_and_the_reason_modal(app: App, fake: FakeDiscord) -> None:
    body = await ask(fake, slash("cos-service", "who can run our SOC 2 audit", guild_id=G1, channel_id=C1))
    ids = _ids(body["data"])
    up = next(i for i in ids if i.startswith("cos:feedback-up:"))
    down = next(i for i in ids if i.startswith("cos:feedback-down:"))
    answer = up.rsplit(":", 1)[1]
    assert down.endswith(":" + answer)
    await app.answering.journal.flush()  # written behind the answer
    async with app.db.session() as session:
        question = (await session.execute(select(KnowledgeQuestion))).scalar_one()
    assert (str(question.id), question.platform, question.workspace) == (answer, "discord", G1)

    body = await ask(fake, press(up))
    assert body["type"] == 4 and body["data"]["flags"] & 64
    assert body["data"]["embeds"][0]["title"] == "Thanks for the 👍"
    body = await ask(fake, press(up))
    assert body["data"]["embeds"][0]["title"] == "Your 👍 is already recorded"

    # 👎: the response is the modal itself.
    body = await ask(fake, press(down))
    assert body["type"] == 9
    modal = body["data"]
    assert modal["custom_id"] == f"cos:feedback-reason:{answer}" and modal["title"] == "What was wrong?"
    select_menu = modal["components"][0]["component"]
    assert [o["value"] for o in select_menu["options"]] == ["wrong_topic", "out_of_date", "missing_provider", "other"]
    comment_input = modal["components"][1]["component"]
    assert comment_input["max_length"] == 300 and comment_input["required"] is False
    votes = await _until(app, lambda vs: [v.vote for v in vs] == ["down"])  # recorded after the modal went out
    assert [(v.vote, v.reason) for v in votes] == [("down", None)]  # changed, one row

    # The submission: recorded with a cleaned comment, answered ephemerally.
    body = await ask(fake, submit(modal, reason="missing_provider", comment="We need a Berlin firm @everyone\x00"))
    assert body["type"] == 4 and body["data"]["flags"] & 64
    assert body["data"]["embeds"][0]["title"] == "Thanks, noted"
    assert body["data"]["allowed_mentions"] == {"parse": []}
    votes = await _votes(app)
    assert [(v.vote, v.reason, v.user) for v in votes] == [("down", "missing_provider", "1500000000000000005")]
    assert votes[0].comment is not None and "Berlin firm" in votes[0].comment and "\x00" not in votes[0].comment

    # A forged reason or an over-long comment: a clear reply, nothing changes.
    body = await ask(fake, submit(modal, reason="because", comment=""))
    assert "Pick what was wrong" in json.dumps(body["data"]["embeds"], ensure_ascii=False)
    body = await ask(fake, submit(modal, reason="other", comment="y" * 301))
    assert "300" in json.dumps(body["data"]["embeds"])
    assert [(v.reason, v.comment) for v in await _votes(app)] == [(votes[0].reason, votes[0].comment)]


async def test_another_server_cannot_vote_on_an_answer(app: App, fake: FakeDiscord) -> None:
    body = await ask(fake, slash("cos-service", "legal", guild_id=G1, channel_id=C1))
    up = next(i for i in _ids(body["data"]) if i.startswith("cos:feedback-up:"))
    down = up.replace("feedback-up", "feedback-down")
    body = await ask(fake, press(up, guild_id=G2, channel_id=C2))
    assert "expired" in body["data"]["embeds"][0]["title"]
    modal_elsewhere = {"custom_id": down.replace("feedback-down", "feedback-reason")}
    forged = submit(modal_elsewhere, reason="other", comment="")
    forged["guild_id"] = forged["channel"]["guild_id"] = G2
    forged["channel_id"] = forged["channel"]["id"] = C2
    body = await ask(fake, forged)
    assert "expired" in body["data"]["embeds"][0]["title"]
    assert await _votes(app) == []
