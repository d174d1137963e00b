"""Fixtures: a fake Slack on 127.0.0.1, our real HTTP server in front of a real App and database."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from adapters.slack.adapter import SlackAdapter
from adapters.slack.client import RetryPolicy
from adapters.slack.server import create_adapter, make_web_app
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply
from bot.kernel.request import Request
from bot.kernel.settings import Settings
from tests.adapters.slack.fake_slack import FakeSlack, form_body, interaction_body, payload, sign
from tests.conftest import shared_knowledge

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111111111-2222222222-TESTTOKENabcdefghij"
FAST = RetryPolicy(backoff=0.01, jitter=0.0, timeout=5)


@dataclass
class Rig:
    """Our server, the fake Slack behind it, and helpers that send signed requests."""

    url: str
    fake: FakeSlack
    adapter: SlackAdapter
    app: App
    http: aiohttp.ClientSession
    secret: str = SIGNING_SECRET

    async def set_language(self, lang: str, *, workspace: str = "T0001") -> Reply:
        """An admin of ``workspace`` sets its language (``/cos-service language <lang>``)."""
        return await self.app.router.handle(
            Request(
                platform="slack",
                workspace=workspace,
                channel="C1",
                user="UADMIN",
                role="admin",
                command="cos-service",
                text=f"language {lang}",
            )
        )

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> aiohttp.ClientResponse:
        all_headers = {"Content-Type": content_type, **sign(body, secret or self.secret, timestamp=timestamp)}
        all_headers.update(headers or {})
        response = await self.http.post(self.url + "/slack/events", data=body.encode(), headers=all_headers)
        await response.read()
        return response

    async def command(self, text: str, *, command: str = "/cos-service", **fields: Any) -> tuple[int, dict[str, Any]]:
        form = {
            **payload("slash_command.json"),
            "command": command,
            "text": text,
            "response_url": self.fake.response_url("cmd"),
            **fields,
        }
        response = await self.post(form_body(form), "application/x-www-form-urlencoded")
        body = await response.text()
        return response.status, (json.loads(body) if body.startswith("{") else {"raw": body})

    async def event(self, envelope: dict[str, Any], *, retry: int | None = None) -> aiohttp.ClientResponse:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(json.dumps(envelope), "application/json", headers=headers)

    async def action(self, body: dict[str, Any]) -> aiohttp.ClientResponse:
        return await self.post(interaction_body(body), "application/x-www-form-urlencoded")


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    server.tokens[BOT_TOKEN] = "T0001"
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings(sqlite_url: str, fake: FakeSlack) -> Settings:
    return Settings(
        database_url=sqlite_url,
        scheduler_enabled=False,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
    )


@asynccontextmanager
async def running(app: App, fake: FakeSlack, **options: Any) -> AsyncIterator[Rig]:
    """Our aiohttp server on 127.0.0.1:0 in front of ``app``."""
    options.setdefault("policy", FAST)
    adapter = await create_adapter(app, **options)
    runner = web.AppRunner(make_web_app(adapter), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    http = aiohttp.ClientSession()
    try:
        yield Rig(url=f"http://127.0.0.1:{port}", fake=fake, adapter=adapter, app=app, http=http)
    finally:
        await http.close()
        await adapter.close()
        await runner.cleanup()


@pytest.fixture
async def rig(app: App, fake: FakeSlack) -> AsyncIterator[Rig]:
    async with running(app, fake) as r:
        yield r


@asynccontextmanager
async def built_app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    try:
        yield application
    finally:
        await application.close()


def with_db(settings: Settings, url: str, **changes: Any) -> Settings:
    return replace(settings, database_url=url, **changes)
