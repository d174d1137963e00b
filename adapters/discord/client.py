"""The discord.py client, pointed at Discord or at a Discord-compatible server.

discord.py keeps its REST base in a class attribute (``Route.BASE``) and its
gateway in another (``DiscordWebSocket.DEFAULT_GATEWAY``). Changing those
would move every client in the process, so instead each client we build
rewrites its own URLs: its ``HTTPClient.request`` / ``ws_connect`` are wrapped
on the instance, and the webhook adapter that sends interaction callbacks is
set through discord.py's own context variable (``async_context``), which the
client's tasks inherit from the task that starts it.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import INTERNAL_API_VERSION, Route
from discord.webhook import async_ as webhook_async

from adapters.discord.ratelimit import rate_limit_trace
from bot.kernel.settings import Settings

__all__ = ["make_client", "api_base", "use_api_base", "RATELIMIT_TIMEOUT", "rewrite_url"]

# 429s shorter than this are waited out by discord.py's limiter; longer ones
# raise RateLimited (discord.py never accepts less than 30 s here).
RATELIMIT_TIMEOUT = 30.0
DEFAULT_BASE = f"https://discord.com/api/v{INTERNAL_API_VERSION}"


def api_base(settings: Settings) -> str | None:
    """DISCORD_API_BASE with the API version appended when it is missing."""
    base = (settings.discord_api_base or "").rstrip("/")
    if not base:
        return None
    if not re.search(r"/api/v\d+$", base):
        base += f"/api/v{INTERNAL_API_VERSION}"
    return base


def rewrite_url(url: str, base: str | None) -> str:
    if base and url.startswith(Route.BASE):
        return base + url[len(Route.BASE) :]
    return url


class _RewritingWebhookAdapter(webhook_async.AsyncWebhookAdapter):
    """Interaction callbacks and follow-ups, sent to our base instead of discord.com."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    async def request(self, route: Route, session: aiohttp.ClientSession, **kwargs: Any) -> Any:
        route.url = rewrite_url(route.url, self.base)
        return await super().request(route, session, **kwargs)


def use_api_base(settings: Settings) -> None:
    """Send this task's (and its children's) interaction callbacks to DISCORD_API_BASE."""
    base = api_base(settings)
    if base:
        webhook_async.async_context.set(_RewritingWebhookAdapter(base))


def _gateway_url(url: str, gateway: str) -> str:
    """Swap discord.gg for our gateway; keep ``v`` and ``encoding``, drop transport compression."""
    asked = yarl.URL(url)
    target = yarl.URL(gateway)
    query = {k: v for k, v in asked.query.items() if k != "compress"}
    query.update(target.query)
    return str(target.with_query(query))


def make_client(
    settings: Settings, *, intents: discord.Intents | None = None, shard: tuple[int, int] | None = None
) -> discord.Client:
    """A Client that never pings anyone and talks to the configured endpoints.

    ``shard`` is ``(shard_id, shard_count)`` for a client that opens the gateway session of one shard.
    """
    # The bot has no voice features; skip discord.py's warnings about voice libraries.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    if intents is None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True  # DM content needs no privileged intent
    raw_id = settings.discord_application_id or ""
    app_id = int(raw_id) if raw_id.isdigit() else None
    client = discord.Client(
        intents=intents,
        allowed_mentions=discord.AllowedMentions.none(),
        max_ratelimit_timeout=RATELIMIT_TIMEOUT,
        application_id=app_id,  # type: ignore[arg-type]  # None: learnt at login
        enable_debug_events=False,
        http_trace=rate_limit_trace(),  # global 429s reach the scheduler's pacer
        shard_id=shard[0] if shard is not None else None,  # None: unsharded
        shard_count=shard[1] if shard is not None else None,
    )
    base = api_base(settings)
    http = client.http
    if base:
        original_request = http.request

        async def request(route: Route, **kwargs: Any) -> Any:
            route.url = rewrite_url(route.url, base)
            return await original_request(route, **kwargs)

        http.request = request  # type: ignore[method-assign]
    if settings.discord_gateway_url:
        gateway = settings.discord_gateway_url
        original_ws_connect = http.ws_connect
        default_host = DiscordWebSocket.DEFAULT_GATEWAY.host

        async def ws_connect(url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
            # Only the default gateway is replaced: a resume URL handed out by
            # the server itself (READY's resume_gateway_url) is used as given.
            if yarl.URL(url).host == default_host:
                url = _gateway_url(url, gateway)
            else:
                url = str(yarl.URL(url).with_query({k: v for k, v in yarl.URL(url).query.items() if k != "compress"}))
            return await original_ws_connect(url, compress=compress)

        http.ws_connect = ws_connect  # type: ignore[method-assign]
    return client
