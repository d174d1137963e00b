"""``POST /discord/interactions``: Discord's Interactions Endpoint URL.

With the URL set in the Developer Portal, Discord sends interactions here instead of to the
gateway, so slash commands scale with the replicas behind a load balancer.

* Every request's ``X-Signature-Ed25519`` over ``X-Signature-Timestamp`` + body is verified
  with the application's public key (PyNaCl). Forged or missing: 401, nothing processed
  (Discord probes the URL with forged requests and disables it if they pass).
* PING (type 1) gets ``{"type": 1}``.
* Commands, autocomplete, buttons and modal submits become a ``discord.Interaction`` and go
  through the same CommandTree, translate layer and core as gateway interactions. The first
  interaction callback the bot makes is not POSTed to Discord: it becomes the HTTP response.
  If none is made within ``deadline`` seconds the response defers (type 5, or 6 for a click)
  and the answer follows through the interaction webhook.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
from aiohttp import web
from discord.app_commands import AppCommandError
from discord.http import Route
from discord.webhook import async_ as webhook_async
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from adapters.discord.client import api_base, rewrite_url
from adapters.discord.dedupe import first_time, interaction_key
from adapters.discord.handler import DiscordBot
from adapters.discord.tolerant import read_interaction
from bot.app import App
from bot.kernel.errors import ConfigError

__all__ = [
    "INTERACTIONS_PATH",
    "DEADLINE",
    "HttpInteractions",
    "routes",
    "verify",
]

log = logging.getLogger("adapters.discord")

INTERACTIONS_PATH = "/discord/interactions"
DEADLINE = 2.5  # seconds to answer or defer; Discord allows 3
MAX_BODY = 1024 * 1024

PING, COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT = 1, 4, 5, 6, 7, 8
EPHEMERAL = 64


def verify(key: VerifyKey, *, signature: str | None, timestamp: str | None, body: bytes) -> bool:
    """True when ``signature`` (hex) signs ``timestamp + body`` with the application's key."""
    if not signature or not timestamp:
        return False
    try:
        key.verify(timestamp.encode() + body, bytes.fromhex(signature))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


class _CapturingAdapter(webhook_async.AsyncWebhookAdapter):
    """discord.py's webhook adapter for one HTTP interaction.

    Its first interaction callback becomes the HTTP response instead of a POST to Discord.
    Callbacks after the response deferred become webhook calls (a message follows up; an
    updated message edits the original). Everything else goes to Discord (or DISCORD_API_BASE).
    """

    def __init__(self, interaction_id: str, base: str | None, *, application_id: str) -> None:
        super().__init__()
        self.interaction_id = interaction_id
        self.base = base
        self.application_id = application_id
        self.first: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.deferred_as: int | None = None

    def answer(self, payload: dict[str, Any]) -> bool:
        if self.first.done():
            return False
        self.first.set_result(payload)
        return True

    async def request(self, route: Route, session: aiohttp.ClientSession, **kwargs: Any) -> Any:
        if (
            route.method == "POST"
            and route.path.endswith("/callback")
            and str(getattr(route, "webhook_id", "")) == self.interaction_id
        ):
            payload: dict[str, Any] = dict(kwargs.get("payload") or {})
            if self.answer(payload):
                return self._callback_response(payload)
            return await self._late(route, session, payload)
        route.url = rewrite_url(route.url, self.base)
        return await super().request(route, session, **kwargs)

    def _callback_response(self, payload: dict[str, Any]) -> dict[str, Any]:
        data = payload.get("data") or {}
        return {
            "interaction": {
                "id": self.interaction_id,
                "type": payload.get("type"),
                "response_message_id": None,
                "response_message_loading": payload.get("type") == DEFERRED_MESSAGE,
                "response_message_ephemeral": bool(int(data.get("flags", 0) or 0) & EPHEMERAL),
            }
        }

    async def _late(self, route: Route, session: aiohttp.ClientSession, payload: dict[str, Any]) -> Any:
        kind = payload.get("type")
        token = str(getattr(route, "webhook_token", ""))
        app_id = self.application_id
        if kind in (DEFERRED_MESSAGE, DEFERRED_UPDATE) or not app_id:
            return self._callback_response(payload)  # already deferred in the HTTP response
        data = payload.get("data") or {}
        if kind == MESSAGE:
            late = Route("POST", "/webhooks/{webhook_id}/{webhook_token}", webhook_id=app_id, webhook_token=token)
        elif kind == UPDATE_MESSAGE:
            late = Route(
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
                webhook_id=app_id,
                webhook_token=token,
            )
        else:
            log.warning("discord: an answer of type %s came too late to send", kind)
            return self._callback_response(payload)
        late.url = rewrite_url(late.url, self.base)
        await super().request(late, session, payload=data)
        return self._callback_response(payload)


@dataclass
class HttpInteractions:
    """The request handler behind ``POST /discord/interactions``."""

    app: App
    bot: DiscordBot
    public_key: str
    deadline: float = DEADLINE
    login_wait: float = 2.0
    _key: VerifyKey = field(init=False)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._key = VerifyKey(bytes.fromhex(self.public_key))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify(
            self._key,
            signature=request.headers.get("X-Signature-Ed25519"),
            timestamp=request.headers.get("X-Signature-Timestamp"),
            body=body,
        ):
            return web.json_response({"error": "invalid request signature"}, status=401)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), int):
            return web.json_response({"error": "not an interaction"}, status=400)
        kind = payload["type"]
        if kind == PING:
            return web.json_response({"type": PONG})
        if kind not in (COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT) or not str(payload.get("id", "")).isdigit():
            return web.json_response({"error": "unsupported interaction"}, status=400)
        if not await self._logged_in():
            return web.json_response({"error": "not connected to Discord yet"}, status=503)
        if not await first_time(self.app, interaction_key(payload["id"])):
            return web.json_response({"error": "interaction already handled"}, status=409)
        return await self._answer(payload, kind)

    async def _logged_in(self) -> bool:
        client = self.bot.client
        waited = 0.0
        while client.user is None or client.is_closed():
            if waited >= self.login_wait:
                return False
            await asyncio.sleep(0.05)
            waited += 0.05
        return True

    async def _answer(self, payload: dict[str, Any], kind: int) -> web.Response:
        own_id = self.bot.client.application_id
        interaction = read_interaction(
            payload, self.bot.client._connection, application_id=str(own_id) if own_id else None
        )
        if interaction is None:
            return web.json_response({"error": "malformed interaction"}, status=400)
        capture = _CapturingAdapter(
            str(payload["id"]),
            api_base(self.app.settings),
            application_id=str(payload.get("application_id") or self.bot.client.application_id or ""),
        )
        context = contextvars.copy_context()
        context.run(webhook_async.async_context.set, capture)
        work = asyncio.get_running_loop().create_task(self._process(interaction, kind), context=context)
        self._tasks.add(work)
        work.add_done_callback(self._tasks.discard)
        try:
            answer = await asyncio.wait_for(asyncio.shield(capture.first), timeout=self.deadline)
        except TimeoutError:
            answer = self._deferral(kind)
            if not capture.answer(answer):  # it came in the last instant after all
                answer = capture.first.result()
            else:
                capture.deferred_as = answer["type"]
        return web.json_response(answer)

    @staticmethod
    def _deferral(kind: int) -> dict[str, Any]:
        if kind == COMPONENT:
            return {"type": DEFERRED_UPDATE}
        if kind == AUTOCOMPLETE:
            return {"type": AUTOCOMPLETE_RESULT, "data": {"choices": []}}
        return {"type": DEFERRED_MESSAGE, "data": {"flags": EPHEMERAL}}

    async def _process(self, interaction: discord.Interaction, kind: int) -> None:
        try:
            if kind in (COMMAND, AUTOCOMPLETE):
                tree = self.bot.tree
                try:
                    await tree._call(interaction)  # what discord.py runs for a gateway interaction
                except AppCommandError as exc:
                    await tree._dispatch_error(interaction, exc)
            elif kind == MODAL_SUBMIT:
                await self.bot.on_modal(interaction)  # the 👎 form (as on the gateway)
            else:
                await self.bot.on_component(interaction)
        except Exception:
            log.exception("discord: an HTTP interaction failed")

    async def close(self) -> None:
        """Let answers in flight finish (up to 10 s)."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)


def routes(app: App, *, bot: DiscordBot | None = None) -> list[web.RouteDef]:
    """The aiohttp routes of the Interactions Endpoint URL (needs DISCORD_PUBLIC_KEY)."""
    key = app.settings.discord_public_key
    if not key:
        raise ConfigError(
            "DISCORD_PUBLIC_KEY is not set; copy it from the Developer Portal (General Information → Public Key)."
        )
    if bot is None:
        from adapters.discord.platform import bot_for

        bot = bot_for(app)
    handler = HttpInteractions(app, bot, key)
    app.on_close(handler.close)
    return [web.post(INTERACTIONS_PATH, handler.handle)]
