"""``POST /discord/interactions`` against the real discord.py client, logged in to the local fake Discord.

Requests are signed with a locally generated Ed25519 key, as Discord signs them; answers that
do not fit in the HTTP response follow through the interaction webhook on the fake.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from nacl.signing import SigningKey
from sqlalchemy import func, select

from adapters.discord.interactions_http import INTERACTIONS_PATH, HttpInteractions, routes
from adapters.discord.platform import PLATFORM, bot_for
from bot.answering.models import KnowledgeFeedback
from bot.app import App, build_app
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.settings import Settings
from bot.storage.models import ProcessedEvent
from tests.adapters.discord.conftest import discord_settings
from tests.adapters.discord.fake_discord import (
    APP_ID,
    FakeDiscord,
    guild,
    signed_headers,
    slash,
    snowflake,
)
from tests.adapters.discord.test_interactions import recorded
from tests.conftest import shared_knowledge
from tests.local_server import close_local, serve_local

G1, C1 = "900000000000000001", "910000000000000001"
KEY = SigningKey.generate()


@dataclass
class Endpoint:
    app: App
    fake: FakeDiscord
    url: str
    http: aiohttp.ClientSession
    handler: HttpInteractions
    gate: asyncio.Event

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        async with self.http.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.json()

    async def signed(self, payload: dict[str, Any], key: SigningKey = KEY) -> tuple[int, Any]:
        body = json.dumps(payload).encode()
        return await self.post(body, signed_headers(key, body))

    async def rows(self) -> int:
        async with self.app.db.session() as session:
            return int((await session.execute(select(func.count()).select_from(ProcessedEvent))).scalar_one())


@pytest.fixture
async def endpoint(db_url: str, fake: FakeDiscord, clock: Any) -> AsyncIterator[Endpoint]:
    fake.guilds = [guild(G1, "Acme", C1)]
    settings = discord_settings(
        Settings(database_url=db_url, scheduler_enabled=False), fake, discord_public_key=bytes(KEY.verify_key).hex()
    )
    app = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    gate = asyncio.Event()

    async def slow(request: Request, text: str) -> Reply:
        await gate.wait()
        return Reply(title="Slow answer", sections=(Section(text="done <@&123> @everyone"),), footer="Source: test")

    app.router.add_subcommand("cos-service", "slowtest", slow)
    run = asyncio.ensure_future(PLATFORM.run(app))
    handler = HttpInteractions(app, bot_for(app), settings.discord_public_key or "")
    web_app = web.Application()
    web_app.add_routes([web.post(INTERACTIONS_PATH, handler.handle)])
    runner, port = await serve_local(web_app)
    http = aiohttp.ClientSession()
    try:
        await asyncio.wait_for(bot_for(app).ready.wait(), 10)
        yield Endpoint(app, fake, f"http://127.0.0.1:{port}{INTERACTIONS_PATH}", http, handler, gate)
    finally:
        gate.set()
        await http.close()
        await close_local(runner)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
        await app.close()


def _slash(query: str) -> dict[str, Any]:
    return slash("cos-service", query, guild_id=G1, channel_id=C1)


async def test_signed_ping_gets_a_pong(endpoint: Endpoint) -> None:
    status, body = await endpoint.signed(
        {"id": snowflake(), "application_id": APP_ID, "type": 1, "token": "t", "version": 1}
    )
    assert (status, body) == (200, {"type": 1})


async def test_forged_or_unsigned_requests_get_401_and_change_nothing(endpoint: Endpoint) -> None:
    payload = json.dumps(_slash("legal")).encode()
    good = signed_headers(KEY, payload)
    attempts = [
        signed_headers(SigningKey.generate(), payload),  # another key
        {**good, "X-Signature-Timestamp": "1772438401"},  # another timestamp
        {"Content-Type": "application/json"},  # no signature at all
        {**good, "X-Signature-Ed25519": "zz" * 64},  # not hex
        {**good, "X-Signature-Ed25519": good["X-Signature-Ed25519"][:-2]},  # truncated
    ]
    for headers in attempts:
        status, body = await endpoint.post(payload, headers)
        assert status == 401 and body == {"error": "invalid request signature"}, headers
    status, _ = await endpoint.post(payload.replace(b"legal", b"gdpr!"), good)  # a tampered body
    assert status == 401
    ping = json.dumps({"id": snowflake(), "type": 1}).encode()
    status, _ = await endpoint.post(ping, signed_headers(SigningKey.generate(), ping))
    assert status == 401  # Discord's probe: a forged PING must not be answered
    assert await endpoint.rows() == 0 and endpoint.fake.callbacks() == []


async def test_signed_command_is_answered_in_the_response_once(endpoint: Endpoint) -> None:
    payload = _slash("legal")
    status, body = await endpoint.signed(payload)
    assert status == 200 and body["type"] == 4
    data = body["data"]
    assert data["embeds"][0]["title"] == "Comprehensive Legal Services"
    assert "Skadden" in json.dumps(data["embeds"])
    assert data["allowed_mentions"] == {"parse": []}
    assert data["flags"] & 64  # ephemeral first, as on the gateway
    assert endpoint.fake.callbacks() == []  # the answer went in the HTTP response, not as a callback
    # The same interaction again (a replay, or the gateway got it too): not answered twice.
    status, body = await endpoint.signed(payload)
    assert status == 409 and endpoint.fake.requests("POST") == []


async def test_a_chinese_discord_client_is_answered_in_chinese(endpoint: Endpoint) -> None:
    status, body = await endpoint.signed({**_slash("stage"), "locale": "zh-CN"})
    assert status == 200 and body["data"]["embeds"][0]["title"] == "尚未设置阶段"
    assert "管理员可用" in json.dumps(body["data"]["embeds"], ensure_ascii=False)
    status, body = await endpoint.signed({**_slash("stage someday"), "locale": "zh-TW"})
    assert body["data"]["embeds"][0]["title"] == "我没能读懂这条指令"  # the router's own words, Chinese too
    # The same command from an English client: the words of before, unchanged.
    status, body = await endpoint.signed(_slash("stage"))
    assert status == 200 and body["data"]["embeds"][0]["title"] == "No stage set yet"


async def test_slow_answer_defers_then_follows_through_the_webhook(endpoint: Endpoint) -> None:
    bot_for(endpoint.app).defer_after = 0.05
    payload = _slash("slowtest")
    status, body = await endpoint.signed(payload)
    assert status == 200 and body == {"type": 5, "data": {"flags": 64}}
    endpoint.gate.set()
    await endpoint.fake.wait_for(lambda: endpoint.fake.requests("POST", "/webhooks/"))
    follow = endpoint.fake.requests("POST", "/webhooks/")[0]
    assert follow.path == f"/webhooks/{APP_ID}/{payload['token']}"
    assert follow.body["embeds"][0]["title"] == "Slow answer"
    assert follow.body["allowed_mentions"] == {"parse": []}
    assert endpoint.fake.callbacks() == []


async def test_no_answer_within_the_deadline_defers_in_the_response(endpoint: Endpoint) -> None:
    """Even when the bot itself has not deferred (it waits longer), the response defers in time."""
    bot_for(endpoint.app).defer_after = 30
    endpoint.handler.deadline = 0.1
    payload = _slash("slowtest")
    status, body = await endpoint.signed(payload)
    assert status == 200 and body == {"type": 5, "data": {"flags": 64}}
    endpoint.gate.set()
    await endpoint.fake.wait_for(lambda: endpoint.fake.requests("POST", "/webhooks/"))
    follow = endpoint.fake.requests("POST", "/webhooks/")[0]
    assert follow.path == f"/webhooks/{APP_ID}/{payload['token']}"
    assert follow.body["embeds"][0]["title"] == "Slow answer" and follow.body["allowed_mentions"] == {"parse": []}
    assert endpoint.fake.callbacks() == []


async def test_autocomplete_and_buttons_go_through_the_same_layer(endpoint: Endpoint) -> None:
    status, body = await endpoint.signed(recorded("autocomplete_risk"))
    assert status == 200 and body["type"] == 8 and 0 < len(body["data"]["choices"]) <= 25
    status, body = await endpoint.signed(recorded("button_providers"))
    assert status == 200 and body["type"] == 4 and body["data"]["allowed_mentions"] == {"parse": []}
    status, body = await endpoint.signed(recorded("button_forged"))
    assert status == 200 and body["data"]["embeds"][0]["title"] == "That button has expired"
    modal = copy.deepcopy(recorded("button_forged"))
    modal.update(id=snowflake(), type=5, data={"custom_id": "somebody-elses-modal", "components": []})
    status, body = await endpoint.signed(modal)
    assert status == 200 and body["data"]["embeds"][0]["title"] == "That button has expired"
    assert endpoint.fake.callbacks() == []


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"type": "2"}', b'{"type": 99, "id": "1"}', b'{"type": 2, "id": "x"}']
)
async def test_signed_nonsense_gets_400_and_changes_nothing(endpoint: Endpoint, body: bytes) -> None:
    status, answer = await endpoint.post(body, signed_headers(KEY, body))
    assert status == 400 and "error" in answer
    assert await endpoint.rows() == 0 and endpoint.fake.requests("POST") == []


async def test_routes_need_the_public_key(settings: Settings, clock: Any) -> None:
    from bot.kernel.errors import ConfigError

    app = await build_app(replace(settings, discord_token="t.a.b"), clock=clock, knowledge=shared_knowledge())
    try:
        with pytest.raises(ConfigError, match="DISCORD_PUBLIC_KEY"):
            routes(app)
    finally:
        await app.close()


# -- payloads written by others -------------------------------------------------------------
PAYLOADS = Path(__file__).parent / "payloads"


def written_by_others(name: str) -> dict[str, Any]:
    """A payload from Discord's documentation or another library's, with a fresh interaction id."""
    payload: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    payload["id"] = snowflake()
    return payload


async def test_a_ping_without_version_gets_a_pong(endpoint: Endpoint) -> None:
    payload = written_by_others("docs_ping_no_version")
    assert "version" not in payload
    assert await endpoint.signed(payload) == (200, {"type": 1})


@pytest.mark.parametrize(
    "name",
    [
        "docs_command_no_attachment_limit",  # no version, application_id, attachment_size_limit, member flags
        "js_command_member_without_flags",
        "dm_command_user_no_member",
        "command_no_app_permissions",
        "command_locales",
    ],
)
async def test_commands_shaped_by_others_are_answered(endpoint: Endpoint, name: str) -> None:
    status, body = await endpoint.signed(written_by_others(name))
    assert status == 200, body
    assert body["type"] == 4 and body["data"]["embeds"][0]["title"] == "Comprehensive Legal Services"
    assert body["data"]["allowed_mentions"] == {"parse": []}
    assert await endpoint.rows() == 1  # handled once, as any interaction


async def test_a_documented_button_press_is_answered(endpoint: Endpoint) -> None:
    payload = written_by_others("docs_component_press")
    assert "flags" not in payload["member"] and "version" not in payload
    status, body = await endpoint.signed(payload)
    assert status == 200 and body["type"] == 4
    assert "Skadden" in json.dumps(body["data"]["embeds"])


async def _votes(app: App) -> list[KnowledgeFeedback]:
    async with app.db.session() as session:
        return list((await session.execute(select(KnowledgeFeedback).order_by(KnowledgeFeedback.id))).scalars())


async def test_our_feedback_form_submitted_over_http_stores_the_reason(endpoint: Endpoint) -> None:
    status, body = await endpoint.signed(_slash("who can run our SOC 2 audit"))
    assert status == 200
    ids = [c["custom_id"] for row in body["data"]["components"] for c in row["components"]]
    down = next(i for i in ids if i.startswith("cos:feedback-down:"))
    answer = down.rsplit(":", 1)[1]
    press = written_by_others("docs_component_press")
    press["data"]["custom_id"] = down
    status, body = await endpoint.signed(press)
    assert status == 200 and body["type"] == 9  # the form is the response
    assert body["data"]["custom_id"] == f"cos:feedback-reason:{answer}"
    for _ in range(500):  # the 👎 itself is recorded just after the form went out
        if [v.vote for v in await _votes(endpoint.app)] == ["down"]:
            break
        await asyncio.sleep(0.01)

    submit = written_by_others("docs_modal_submit")
    submit["data"]["custom_id"] = body["data"]["custom_id"]
    status, body = await endpoint.signed(submit)
    assert status == 200 and body["type"] == 4
    assert body["data"]["embeds"][0]["title"] == "Thanks, noted"  # not "That form has expired"
    votes = await _votes(endpoint.app)
    assert [(v.vote, v.reason, v.comment) for v in votes] == [("down", "out_of_date", "The list is from 2023")]
    assert endpoint.fake.callbacks() == []


async def test_a_form_we_never_made_is_refused_politely(endpoint: Endpoint) -> None:
    submit = written_by_others("docs_modal_submit")  # answer id 0: never given
    status, body = await endpoint.signed(submit)
    assert status == 200 and "expired" in body["data"]["embeds"][0]["title"]
    assert await _votes(endpoint.app) == []


async def test_a_two_megabyte_body_is_refused_and_runs_nothing(endpoint: Endpoint) -> None:
    payload = _slash("legal")
    payload["data"]["options"][0]["value"] = "x" * (2 * 1024 * 1024)
    body = json.dumps(payload).encode()
    async with endpoint.http.post(endpoint.url, data=body, headers=signed_headers(KEY, body)) as response:
        assert response.status == 413
    assert await endpoint.rows() == 0 and endpoint.fake.requests("POST") == []


async def test_discord_declares_its_route_through_the_platform(settings: Settings, clock: Any) -> None:
    """The neutral server (and Slack's, when it serves) mounts the endpoint from ``Platform.http_routes``."""
    assert PLATFORM.http_routes is not None
    key = bytes(KEY.verify_key).hex()
    for public_key, paths in ((key, [INTERACTIONS_PATH]), (None, [])):
        app = await build_app(
            replace(settings, discord_token="t.a.b", discord_public_key=public_key),
            clock=clock,
            knowledge=shared_knowledge(),
        )
        try:
            assert [route.path for route in PLATFORM.http_routes(app)] == paths  # type: ignore[attr-defined]
        finally:
            await app.close()


# -- what a fuzzer found: commands and autocompletes Discord would not send, answered without a traceback ----------
async def test_a_command_we_do_not_have_is_answered_politely(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    """A name or kind we never registered (or no longer do): a polite answer at once, a warning, no traceback."""
    for name, kind in (("cos-old", 1), ("cos-service", 2)):  # an old command; a user context menu
        payload = _slash("legal")
        payload["data"].update(name=name, type=kind)
        status, body = await endpoint.signed(payload)
        assert status == 200 and body["type"] == 4, body
        assert body["data"]["embeds"][0]["title"] == "That command is not available"
        assert body["data"]["flags"] == 64  # for the asker alone
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert any("a command we cannot run" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "options",
    [
        [],  # nothing focused
        [{"name": "query", "type": 3, "value": "gd"}],  # not focused
        [{"name": "topic", "type": 3, "value": "gd", "focused": True}],  # focused, but not ours
        [{"name": "query", "type": 1, "focused": True}],  # focused, but a sub-command
    ],
)
async def test_an_autocomplete_we_cannot_answer_gets_no_suggestions_at_once(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture, options: list[dict[str, Any]]
) -> None:
    payload = copy.deepcopy(recorded("autocomplete_risk"))
    payload["id"] = snowflake()
    payload["data"]["options"] = options
    status, body = await endpoint.signed(payload)
    assert (status, body) == (200, {"type": 8, "data": {"choices": []}})
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "options",
    [
        [{"name": "query", "type": 3, "value": ["legal"]}],  # a list where a string goes
        [{"name": "query", "type": 10, "value": {"n": 1}}],  # an object where a number goes
        [{"name": "query", "type": 4, "value": True}],  # a boolean where an integer goes
        [{"name": "query", "type": 6, "value": "not-an-id"}],
        [{"type": 3, "value": "legal"}],  # no name
        "legal",  # not a list
    ],
)
async def test_a_command_with_options_of_the_wrong_type_gets_400_and_runs_nothing(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture, options: Any
) -> None:
    payload = _slash("legal")
    payload["data"]["options"] = options
    status, body = await endpoint.signed(payload)
    assert (status, body) == (400, {"error": "malformed interaction"})
    assert await endpoint.rows() == 1 and endpoint.fake.requests("POST") == []  # seen once, nothing answered
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_options_given_as_null_are_no_options(endpoint: Endpoint) -> None:
    payload = _slash("legal")
    payload["data"]["options"] = None
    status, body = await endpoint.signed(payload)
    assert status == 200 and body["type"] == 4, body  # /cos-service with no query: the help


async def test_the_feedback_form_speaks_the_pressers_chinese(endpoint: Endpoint) -> None:
    status, body = await endpoint.signed(_slash("who can run our SOC 2 audit"))
    ids = [c["custom_id"] for row in body["data"]["components"] for c in row["components"]]
    press = written_by_others("docs_component_press")
    press["data"]["custom_id"] = next(i for i in ids if i.startswith("cos:feedback-down:"))
    press["locale"] = "zh-CN"
    status, body = await endpoint.signed(press)
    assert status == 200 and body["type"] == 9
    form = json.dumps(body["data"], ensure_ascii=False)
    assert body["data"]["title"] == "哪里不对？" and "主题不对" in form and "还有补充吗" in form, form
    assert "Wrong topic" not in form
    for _ in range(500):
        if [v.vote for v in await _votes(endpoint.app)] == ["down"]:
            break
        await asyncio.sleep(0.01)
    submit = written_by_others("docs_modal_submit")
    submit["data"]["custom_id"] = body["data"]["custom_id"]
    submit["locale"] = "zh-CN"
    status, body = await endpoint.signed(submit)
    assert status == 200 and body["data"]["embeds"][0]["title"] == "谢谢，已记录"
    assert "内容过时" in json.dumps(body["data"]["embeds"], ensure_ascii=False)
