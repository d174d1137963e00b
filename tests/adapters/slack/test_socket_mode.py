"""Socket Mode through the real slack-sdk client: ``apps.connections.open`` -> WebSocket -> envelopes -> acks.

``run_slack`` (what ``Platform.run`` and ``cos-bot serve`` start) picks Socket
Mode when ``SLACK_APP_TOKEN`` is set. The fake Slack on 127.0.0.1 answers
``apps.connections.open`` with a ``ws://`` URL of its own WebSocket endpoint,
says ``hello``, pushes envelopes in Slack's format and records the acks.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import pytest

from adapters.slack.render import blocks_text, decode_value
from adapters.slack.server import run_slack
from bot.app import App
from bot.kernel.clock import FakeClock
from bot.kernel.request import Request
from bot.kernel.settings import Settings
from tests.adapters.slack.conftest import built_app
from tests.adapters.slack.fake_slack import FakeSlack, payload

APP_TOKEN = "xapp-1-A0001-1111111111-abcdefabcdefabcdefabcdef"


def _command_envelope(envelope_id: str, text: str = "legal", command: str = "/cos-service") -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "payload": {**payload("slash_command.json"), "command": command, "text": text},
        "accepts_response_payload": True,
    }


def _event_envelope(envelope_id: str, *, event_id: str = "Ev08MFMKH6", retry: int = 0) -> dict[str, Any]:
    body = copy.deepcopy(payload("event_message_im.json"))
    body["event_id"] = event_id
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "payload": body,
        "accepts_response_payload": False,
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
    }


async def _acks_for(fake: FakeSlack, *envelope_ids: str, timeout: float = 5.0) -> dict[str, dict[str, Any]]:
    """Wait until every envelope id was acked; the acks by id."""

    async def ready() -> None:
        while not set(envelope_ids) <= {a.get("envelope_id") for a in fake.acks()}:
            await fake.wait_for("socket_ack", len(fake.acks()) + 1, timeout=timeout)

    try:
        await asyncio.wait_for(ready(), timeout)
    except TimeoutError:
        pass
    return {a["envelope_id"]: a for a in fake.acks() if a.get("envelope_id") in envelope_ids}


@asynccontextmanager
async def socket_mode(app: App) -> AsyncIterator[asyncio.Task[None]]:
    """``run_slack(app)`` as the running platform does it, stopped (cancelled) at the end."""
    task = asyncio.ensure_future(run_slack(app))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def socket_settings(settings: Settings) -> Settings:
    # No signing secret: Socket Mode needs none (requests arrive over the authenticated socket).
    return replace(settings, slack_app_token=APP_TOKEN, slack_signing_secret=None)


async def test_slash_command_over_socket_mode_is_acked_with_the_legal_answer(
    socket_settings: Settings, fake: FakeSlack, clock: FakeClock
) -> None:
    async with built_app(socket_settings, clock) as app, socket_mode(app):
        fake.push(_command_envelope("env-cmd-1"))
        acks = await _acks_for(fake, "env-cmd-1")

    # The client asked for the URL with the app-level token, then connected to it.
    opened = fake.calls_to("apps.connections.open")
    assert opened and opened[0].token == APP_TOKEN
    assert fake.calls_to("socket_connect")
    assert "env-cmd-1" in acks, fake.calls
    answer = acks["env-cmd-1"]["payload"]
    assert answer["response_type"] == "ephemeral"
    text = blocks_text(answer["blocks"])
    assert "Comprehensive Legal Services" in text
    for firm in ("Skadden", "Latham & Watkins", "Wilson Sonsini"):
        assert firm in text
    share = [
        e
        for b in answer["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("cos:share")
    ]
    assert share and decode_value(share[0]["value"]) == {"c": "cos-service", "t": "legal"}
    # Answered in the ack: nothing was posted to response_url.
    assert fake.calls_to("response_url") == []


async def test_dm_event_over_socket_mode_reaches_the_core_once(
    socket_settings: Settings, fake: FakeSlack, clock: FakeClock
) -> None:
    seen: list[Request] = []
    async with built_app(socket_settings, clock) as app:

        async def record(request: Request) -> None:
            seen.append(request)
            return None  # let the router answer the command typed in the DM

        app.router.add_dm_handler(record)  # type: ignore[arg-type]
        async with socket_mode(app):
            fake.push(_event_envelope("env-ev-1"))
            # Slack redelivers an event it thinks was not acked (reconnect, timeout): same event_id.
            fake.push(_event_envelope("env-ev-2", retry=1))
            acks = await _acks_for(fake, "env-ev-1", "env-ev-2")
            posts = await fake.wait_for("chat.postMessage", 1)
            await asyncio.sleep(0.05)  # a second (wrong) post would have been sent by now

    assert set(acks) == {"env-ev-1", "env-ev-2"}  # both acked, so Slack stops retrying
    assert len(seen) == 1 and seen[0].is_dm and seen[0].text == "/cos-risk gdpr"
    assert seen[0].workspace == "T0001" and seen[0].user == "U2147483697"
    posts = fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["channel"] == "D024BE91L"
    assert "GDPR" in json.dumps(posts[0].params)


async def test_disconnect_envelope_reconnects_and_keeps_answering(
    socket_settings: Settings, fake: FakeSlack, clock: FakeClock
) -> None:
    async with built_app(socket_settings, clock) as app, socket_mode(app):
        fake.push(_command_envelope("env-a"))
        assert "env-a" in await _acks_for(fake, "env-a")
        # Slack asks clients to move to a new connection every few hours.
        fake.push({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "applink-fake"}})
        await fake.wait_for("socket_connect", 2)
        fake.push(_command_envelope("env-b", text="gdpr", command="/cos-risk"))
        acks = await _acks_for(fake, "env-b")

    assert len(fake.calls_to("apps.connections.open")) >= 2
    assert fake.socket_connections >= 2
    assert "GDPR" in blocks_text(acks["env-b"]["payload"]["blocks"])


async def test_socket_mode_happy_path_logs_nothing_at_warning(
    socket_settings: Settings, fake: FakeSlack, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with built_app(socket_settings, clock) as app, socket_mode(app):
        fake.push(_command_envelope("env-quiet"))
        assert "env-quiet" in await _acks_for(fake, "env-quiet")
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]
    assert APP_TOKEN not in caplog.text


async def test_socket_mode_connection_is_reported_to_readiness(
    socket_settings: Settings, fake: FakeSlack, clock: FakeClock
) -> None:
    from bot.ops.readiness import readiness_for

    async with built_app(socket_settings, clock) as app:
        readiness = readiness_for(app)
        readiness.expect("slack")  # what `cos-bot run` does before the platforms start
        assert (await readiness.check(app.db)).checks["slack"] == "down"
        async with socket_mode(app):
            fake.push(_command_envelope("env-ready"))
            assert "env-ready" in await _acks_for(fake, "env-ready")
            report = await readiness.check(app.db)
            assert report.ready and report.checks["slack"] == "up"
        # The socket is closed: a probe now says so.
        assert (await readiness.check(app.db)).checks["slack"] == "down"
