"""A local fake of Discord on 127.0.0.1: the REST routes discord.py calls, and a gateway
WebSocket that speaks the real protocol (HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats,
dispatches) without compression.

Like Discord, it sends each dispatch to every identified gateway session of the bot (of the
shard the guild belongs to; DMs to shard 0), accepts one callback per interaction (a second
gets 400 with code 40060, "already acknowledged"), and says in ``GET /gateway/bot`` how many
shards to use (``shard_count``).

Tests script error responses (429 with ``retry_after``, 403 with code 50007, 5xx) per route
and read back every request the client made.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.local_server import close_local, serve_local

BOT_ID = "1100000000000000001"
APP_ID = "1200000000000000002"
OWNER_ID = "1300000000000000003"

_ids = itertools.count(1_400_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


def _json(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Discord sends exactly "application/json" (no charset), and discord.py compares the header exactly.
    return web.Response(
        body=json.dumps(body).encode(), status=status, headers={"Content-Type": "application/json", **(headers or {})}
    )


def user(uid: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    after_default: bool = False  # do what Discord does (post the message) first, then answer this instead
    stall: float = 0.0  # seconds to say nothing first (a hung Discord; the client's timeout ends the call)


# What Cloudflare answers in front of Discord when Discord's origin is down: HTML, not JSON.
CLOUDFLARE_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
    "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)


def cloudflare_502(*, after_default: bool = False) -> Scripted:
    """A 502 with Cloudflare's HTML body (``text/html``), as discord.com answers in an outage."""
    return Scripted(502, CLOUDFLARE_502, {"Content-Type": "text/html"}, after_default=after_default)


def hang(seconds: float, *, after_default: bool = True) -> Scripted:
    """No answer for ``seconds`` (after posting, by default), then a 500."""
    return Scripted(
        500, {"message": "500: Internal Server Error", "code": 0}, after_default=after_default, stall=seconds
    )


class FakeDiscord:
    """Start with ``await fake.start()``; point DISCORD_API_BASE at ``fake.api_base`` and
    DISCORD_GATEWAY_URL at ``fake.gateway_url``."""

    def __init__(self, *, guilds: list[dict[str, Any]] | None = None) -> None:
        self.guilds = guilds if guilds is not None else [guild("900000000000000001", "Acme", "910000000000000001")]
        self.calls: list[Call] = []
        self.scripts: dict[tuple[str, str], list[Scripted]] = {}
        self.closed_dms: set[str] = set()
        self.identifies: list[dict[str, Any]] = []
        self.heartbeats = 0
        self.sockets: list[web.WebSocketResponse] = []
        self.seq = 0
        self.identified = asyncio.Event()
        self.callback_seen = asyncio.Event()
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.nonces: set[tuple[str, str]] = set()
        self.threads: dict[str, str] = {}  # thread id (= its starter message id) -> parent channel
        self.no_thread_permission: set[str] = set()  # channels where starting a thread is refused
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.ws_query: list[dict[str, str]] = []
        self.shard_count = 1  # what GET /gateway/bot recommends
        # Identified sessions: socket -> (shard id, shard count) as sent in IDENTIFY.
        self.sessions: dict[web.WebSocketResponse, tuple[int, int]] = {}
        self.acknowledged: set[str] = set()
        self.rejected_callbacks: list[Call] = []  # callbacks refused with 40060
        self.identified_at: list[float] = []  # loop time of each IDENTIFY

    # -- plumbing ----------------------------------------------------------
    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner, self.port = await serve_local(app)
        return self

    async def stop(self) -> None:
        await close_local(self._runner, self.sockets)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def script(self, method: str, path: str, *responses: Scripted) -> None:
        """Answer the next requests to ``method path`` (path after /api/v10) with these, in order."""
        self.scripts.setdefault((method, path), []).extend(responses)

    def requests(self, method: str | None = None, prefix: str = "") -> list[Call]:
        return [c for c in self.calls if (method is None or c.method == method) and c.path.startswith(prefix)]

    def callbacks(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/interactions/") and c.path.endswith("/callback")]

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        async def poll() -> None:
            while not predicate():  # noqa: ASYNC110 - polls state changed by other tasks
                await asyncio.sleep(0.01)

        await asyncio.wait_for(poll(), timeout)

    # -- gateway -----------------------------------------------------------
    async def send(self, op: int, d: Any, t: str | None = None) -> None:
        for ws in list(self.sockets):
            if op == 0:
                self.seq += 1
            await ws.send_str(json.dumps({"op": op, "d": d, "s": self.seq if op == 0 else None, "t": t}))

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send ``event`` to every identified session of the shard it belongs to, as Discord does.

        Before any session has identified (tests that drive the socket by hand), every socket gets it.
        """
        if not self.sessions:
            await self.send(0, data, event)
            return
        guild_id = data.get("guild_id")
        for ws, (shard, count) in list(self.sessions.items()):
            if (int(guild_id) >> 22) % count != shard if guild_id else shard != 0:
                continue
            self.seq += 1
            try:
                await ws.send_str(json.dumps({"op": 0, "d": data, "s": self.seq, "t": event}))
            except ConnectionError:
                self.sessions.pop(ws, None)

    def session_shards(self) -> list[tuple[int, int]]:
        """The (shard, count) of every open, identified session."""
        return [s for ws, s in self.sessions.items() if not ws.closed]

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws_query.append(dict(request.query))
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}))
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    break
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    self.heartbeats += 1
                    await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
                elif op == 2:
                    self.identifies.append(frame["d"])
                    self.identified_at.append(asyncio.get_running_loop().time())
                    shard = frame["d"].get("shard") or [0, 1]
                    self.sessions[ws] = (int(shard[0]), int(shard[1]))
                    await self._ready(ws, shard if frame["d"].get("shard") else None)
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
            self.sessions.pop(ws, None)
        return ws

    async def _ready(self, ws: web.WebSocketResponse, shard: list[int] | None = None) -> None:
        self.seq += 1
        ready = {
            "v": 10,
            "user": {**user(BOT_ID, "cos-bot", bot=True), "verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APP_ID, "flags": 0},
            "private_channels": [],
            "relationships": [],
            **({"shard": shard} if shard else {}),
        }
        guilds = [g for g in self.guilds if shard is None or (int(g["id"]) >> 22) % shard[1] == shard[0]]
        ready["guilds"] = [{"id": g["id"], "unavailable": True} for g in guilds]
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": self.seq, "d": ready}))
        for g in guilds:
            self.seq += 1
            await ws.send_str(json.dumps({"op": 0, "t": "GUILD_CREATE", "s": self.seq, "d": g}))
        self.identified.set()

    # -- REST ----------------------------------------------------------------
    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.calls.append(Call(request.method, path, dict(request.query), body, dict(request.headers)))
        queue = self.scripts.get((request.method, path))
        if queue:
            s = queue.pop(0)
            if s.after_default:
                await self._route(request.method, path, body)
            if s.stall:
                await asyncio.sleep(s.stall)
            if isinstance(s.body, str):
                return web.Response(text=s.body, status=s.status, headers=s.headers)
            return _json(s.body, status=s.status, headers=s.headers)
        return await self._route(request.method, path, body)

    async def _route(self, method: str, path: str, body: Any) -> web.Response:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return _json({**user(BOT_ID, "cos-bot", bot=True), "verified": True, "mfa_enabled": False, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(
                {
                    "id": APP_ID,
                    "name": "cos-bot",
                    "description": "",
                    "icon": None,
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user(OWNER_ID, "owner"),
                    "team": None,
                    "verify_key": "0" * 64,
                    "flags": 0,
                    "summary": "",
                    "rpc_origins": [],
                    "interactions_endpoint_url": None,
                    "tags": [],
                    "redirect_uris": [],
                }
            )
        if method == "GET" and path in ("/gateway", "/gateway/bot"):
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.shard_count,
                    "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
                }
            )
        if parts[0] == "interactions" and parts[-1] == "callback":
            if parts[1] in self.acknowledged:
                self.rejected_callbacks.append(self.calls[-1])
                return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
            self.acknowledged.add(parts[1])
            self.callback_seen.set()
            kind = (body or {}).get("type", 4)
            data = (body or {}).get("data") or {}
            if kind == 9 and not (
                data.get("custom_id") and data.get("title") and 0 < len(data.get("components") or ()) <= 5
            ):
                # MODAL: Discord refuses one without a custom id, a title, or 1-5 components.
                return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
            return _json(
                {
                    "interaction": {
                        "id": parts[1],
                        "type": 2,
                        "response_message_id": snowflake(),
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool(data.get("flags", 0) & 64),
                    }
                }
            )
        if parts[0] == "webhooks":
            return _json(self._message(parts[2] if len(parts) > 2 else "0", body or {}))
        if method == "POST" and path == "/users/@me/channels":
            recipient = str((body or {}).get("recipient_id"))
            return _json(
                {"id": dm_channel_id(recipient), "type": 1, "recipients": [user(recipient, "user" + recipient[-3:])]}
            )
        if method == "POST" and parts[0] == "channels" and parts[-1] == "messages":
            channel = parts[1]
            if any(channel == dm_channel_id(u) for u in self.closed_dms):
                return _json({"message": "Cannot send messages to this user", "code": 50007}, status=403)
            nonce = (body or {}).get("nonce")
            if nonce and (body or {}).get("enforce_nonce") and (channel, nonce) in self.nonces:
                # Discord returns the earlier message for a repeated nonce; nothing new is posted.
                return _json(self.messages[channel][-1])
            if nonce:
                self.nonces.add((channel, nonce))
            message = self._message(channel, body or {})
            self.messages.setdefault(channel, []).append(message)
            return _json(message)
        if method == "POST" and parts[0] == "channels" and len(parts) == 5 and parts[-1] == "threads":
            # A thread started on a message has the message's id; a second start is refused (160004).
            channel, message_id = parts[1], parts[3]
            if message_id in self.threads:
                return _json(
                    {"message": "A thread has already been created for this message", "code": 160004}, status=400
                )
            if channel in self.no_thread_permission:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            self.threads[message_id] = channel
            return _json(
                {
                    "id": message_id,
                    "type": 11,
                    "parent_id": channel,
                    "name": (body or {}).get("name"),
                    "guild_id": None,
                    "owner_id": BOT_ID,
                    "message_count": 0,
                    "member_count": 1,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 10080,
                        "archive_timestamp": "2026-03-02T08:00:00+00:00",
                        "locked": False,
                    },
                }
            )
        if method == "PATCH" and parts[0] == "channels" and len(parts) == 4 and parts[2] == "messages":
            for message in self.messages.get(parts[1], []):
                if message["id"] == parts[3]:
                    message.update(
                        embeds=(body or {}).get("embeds", message["embeds"]),
                        components=(body or {}).get("components", message["components"]),
                        edited_timestamp="2026-03-02T08:00:00+00:00",
                    )
                    return _json(message)
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            stored = [
                {
                    **c,
                    "id": snowflake(),
                    "application_id": APP_ID,
                    "version": snowflake(),
                    **({"guild_id": parts[3]} if "guilds" in parts else {}),
                }
                for c in (body or [])
            ]
            return _json(stored)
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _message(self, channel: str, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel,
            "type": 0,
            "content": body.get("content", ""),
            "author": user(BOT_ID, "cos-bot", bot=True),
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-03-02T08:00:00+00:00",
            "edited_timestamp": None,
            "flags": body.get("flags", 0),
            "nonce": body.get("nonce"),
        }


def dm_channel_id(user_id: str) -> str:
    """The fake's DM channel id for a user: a valid snowflake derived from the user id."""
    return "8" + user_id[1:]


def guild(gid: str, name: str, channel: str, *, owner: str = OWNER_ID) -> dict[str, Any]:
    """A GUILD_CREATE payload with one text channel."""
    return {
        "id": gid,
        "name": name,
        "icon": None,
        "owner_id": owner,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "features": [],
        "emojis": [],
        "stickers": [],
        "large": False,
        "member_count": 3,
        "unavailable": False,
        "joined_at": "2026-01-01T00:00:00+00:00",
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
        "application_id": None,
        "voice_states": [],
        "presences": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "members": [],
        "roles": [
            {
                "id": gid,
                "name": "@everyone",
                "permissions": "1071698660929",
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ],
        "channels": [
            {
                "id": channel,
                "type": 0,
                "name": "general",
                "position": 0,
                "guild_id": gid,
                "permission_overwrites": [],
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "rate_limit_per_user": 0,
            }
        ],
    }


def slash(
    command: str,
    query: str | None,
    *,
    guild_id: str | None,
    channel_id: str,
    user_id: str = "1500000000000000005",
    permissions: str = "1071698660929",
    name: str = "ada",
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload for ``/<command> query:<query>``, as Discord sends it."""
    options = [] if query is None else [{"name": "query", "type": 3, "value": query}]
    payload: dict[str, Any] = {
        "id": snowflake(),
        "application_id": APP_ID,
        "type": 2,
        "token": "tok-" + snowflake(),
        "version": 1,
        "channel_id": channel_id,
        "locale": "en-US",
        "app_permissions": "1071698660929",
        "entitlements": [],
        "attachment_size_limit": 10485760,
        "data": {"id": "1600000000000000006", "name": command, "type": 1, "options": options},
    }
    if guild_id is not None:
        payload.update(
            {
                "guild_id": guild_id,
                "guild_locale": "en-US",
                "context": 0,
                "authorizing_integration_owners": {"0": guild_id},
                "channel": {
                    "id": channel_id,
                    "type": 0,
                    "guild_id": guild_id,
                    "name": "general",
                    "position": 0,
                    "permission_overwrites": [],
                    "nsfw": False,
                    "parent_id": None,
                    "rate_limit_per_user": 0,
                },
                "member": {
                    "user": user(user_id, name),
                    "roles": [],
                    "joined_at": "2026-01-02T00:00:00+00:00",
                    "deaf": False,
                    "mute": False,
                    "flags": 0,
                    "nick": None,
                    "permissions": permissions,
                },
            }
        )
    else:
        payload.update(
            {
                "context": 1,
                "authorizing_integration_owners": {"0": user_id},
                "channel": {"id": channel_id, "type": 1, "recipients": [user(user_id, name)]},
                "user": user(user_id, name),
            }
        )
    return payload


def signed_headers(signing_key: Any, body: bytes, *, timestamp: str = "1772438400") -> dict[str, str]:
    """The headers Discord sends with an HTTP interaction, signed with ``signing_key`` (a PyNaCl SigningKey)."""
    signature = signing_key.sign(timestamp.encode() + body).signature.hex()
    return {"Content-Type": "application/json", "X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp}
