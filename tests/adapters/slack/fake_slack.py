"""A local stand-in for Slack: the Web API (``/api/<method>``) and ``response_url``s, on 127.0.0.1.

It speaks the real wire format (form or JSON bodies, ``Authorization: Bearer``,
``{"ok": ...}`` answers, ``429`` with ``Retry-After``), records every call, and
answers scripted failures first. It also signs requests the way Slack does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.local_server import close_local, serve_local

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> dict[str, Any]:
    """A recorded Slack payload from ``payloads/``."""
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def sign(body: str, secret: str, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds: ``v0=HMAC-SHA256(secret, "v0:{ts}:{body}")``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def form_body(fields: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in fields.items()})


def interaction_body(payload_obj: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload_obj)})


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Scripted:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    after_default: bool = False  # do what Slack does (post the message), then answer this instead
    drop: bool = False  # ... or close the connection without an answer
    stall: float = 0.0  # seconds to say nothing first (a hung Slack; the client's timeout ends the call)


class FakeSlack:
    """Records calls; ``script()`` queues answers (429, 500, ``{"ok": false}``) for a method."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.scripts: dict[str, list[Scripted]] = {}
        self.tokens: dict[str, str] = {}  # bot token -> team id
        self.users: dict[str, dict[str, Any]] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering (a slow Slack)
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> posted messages, oldest first
        self.views: list[dict[str, Any]] = []  # modals opened with views.open
        self.expired_triggers: set[str] = set()
        self.clock: Callable[[], float] | None = None  # seconds since the epoch for new ts (a fixed day if None)
        # Slack's limits for chat.postMessage, enforced when set (the bot is not told them): at most
        # ``workspace_limit`` posts in any one second per workspace (token), one per second per channel.
        self.workspace_limit: float | None = None
        self.channel_interval: float | None = None
        self.rate_limited = 0  # posts answered 429 by those limits
        self._window: dict[str, deque[float]] = {}
        self._last_post: dict[tuple[str, str], float] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._ts = 0
        # Socket Mode: envelopes to push to the connected client, and the sockets it opened.
        self.socket_outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_connections = 0
        self._sockets: set[web.WebSocketResponse] = set()

    # -- lifecycle -------------------------------------------------------------
    async def start(self) -> FakeSlack:
        web_app = web.Application()
        web_app.add_routes(
            [
                web.post("/api/{method}", self._api),
                web.get("/api/{method}", self._api),
                web.post("/response/{name}", self._response_url),
                web.get("/link/", self._socket),
            ]
        )
        self._runner, self.port = await serve_local(web_app)
        return self

    async def stop(self) -> None:
        await close_local(self._runner, self._sockets)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def socket_url(self) -> str:
        """Where ``apps.connections.open`` sends the client (Slack's is ``wss://wss-primary.slack.com/link/?ticket=...``)."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket=t{self.socket_connections + 1}&app_id=A0001"

    def push(self, envelope: dict[str, Any]) -> None:
        """Send ``envelope`` to the Socket Mode client (now, or as soon as it is connected)."""
        self.socket_outbox.put_nowait(envelope)

    def acks(self) -> list[dict[str, Any]]:
        """What the Socket Mode client sent back (``{"envelope_id", "payload"?}``), in order."""
        return [c.params for c in self.calls_to("socket_ack")]

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- scripting and inspection -----------------------------------------------
    def script(
        self, method: str, *answers: tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]
    ) -> None:
        """Answer the next calls of ``method`` with these (status, body[, headers]) before the defaults."""
        queue = self.scripts.setdefault(method, [])
        for answer in answers:
            status, body, *rest = answer
            queue.append(Scripted(status, body, rest[0] if rest else {}))

    def lose_response(self, method: str, *, status: int | None = 500) -> None:
        """The next call of ``method`` takes effect (a message is posted), but its answer is lost: Slack
        answers ``status`` instead, or (``status=None``) closes the connection without answering."""
        self.scripts.setdefault(method, []).append(
            Scripted(status or 0, {"ok": False, "error": "fatal_error"}, {}, after_default=True, drop=status is None)
        )

    def stall(self, method: str, seconds: float, *, after_posting: bool = True) -> None:
        """The next call of ``method`` gets no answer for ``seconds`` (Slack hangs), having taken effect
        first (``after_posting``: the message is in the channel) or not; then the connection closes."""
        self.scripts.setdefault(method, []).append(
            Scripted(
                0, {"ok": False, "error": "fatal_error"}, {}, after_default=after_posting, drop=True, stall=seconds
            )
        )

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait (briefly) until ``method`` was called ``count`` times; the calls so far otherwise."""

        async def ready() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.calls_to(method)) >= count)

        try:
            await asyncio.wait_for(ready(), timeout)
        except TimeoutError:
            pass
        return self.calls_to(method)

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    # -- handlers ----------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        if delay := self.delays.get(method):
            await asyncio.sleep(delay)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or params.get("token")
        if auth.startswith("Basic "):
            token = None
        await self._record(Call(method, params, token, dict(request.headers)))
        if method == "chat.postMessage" and (limited := self._over_limit(params, token)) is not None:
            return limited
        queue = self.scripts.get(method)
        if queue:
            answer = queue.pop(0)
            if answer.after_default:
                self._default(method, params, token)
            if answer.stall:
                await asyncio.sleep(answer.stall)
            if answer.drop:
                if request.transport is not None:
                    request.transport.abort()
                raise ConnectionResetError("the fake Slack dropped the connection")
            return web.json_response(answer.body, status=answer.status, headers=answer.headers)
        return web.json_response(self._default(method, params, token))

    def _over_limit(self, params: dict[str, Any], token: str | None) -> web.Response | None:
        """429 with a whole-second ``Retry-After`` when a post would break the workspace or channel limit."""
        if self.workspace_limit is None and self.channel_interval is None:
            return None
        now = time.monotonic()
        team = self.tokens.get(token or "", "T0001")
        window = self._window.setdefault(team, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        wait = 0.0
        if self.workspace_limit is not None and len(window) >= self.workspace_limit:
            wait = window[0] + 1.0 - now
        channel_key = (team, str(params.get("channel")))
        last = self._last_post.get(channel_key)
        if self.channel_interval is not None and last is not None and now - last < self.channel_interval:
            wait = max(wait, last + self.channel_interval - now)
        if wait > 0:
            self.rate_limited += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(max(1, math.ceil(wait)))}
            )
        window.append(now)
        self._last_post[channel_key] = now
        return None

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode WebSocket: ``hello`` first, then queued envelopes; records the client's acks."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.socket_connections += 1
        await self._record(Call("socket_connect", dict(request.query), None, dict(request.headers)))
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0001"},
            }
        )

        async def pump() -> None:
            while not ws.closed:
                envelope = await self.socket_outbox.get()
                if ws.closed:
                    self.socket_outbox.put_nowait(envelope)  # for the next connection
                    return
                await ws.send_str(json.dumps(envelope))

        sender = asyncio.ensure_future(pump())
        try:
            async for message in ws:
                if message.type.name == "TEXT":
                    try:
                        data = json.loads(message.data)
                    except ValueError:
                        data = {"raw": message.data}
                    await self._record(Call("socket_ack", data, None))
        finally:
            sender.cancel()
            self._sockets.discard(ws)
        return ws

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._record(
            Call("response_url", {"name": request.match_info["name"], **body}, None, dict(request.headers))
        )
        queue = self.scripts.get("response_url")
        if queue:
            answer = queue.pop(0)
            return web.Response(status=answer.status, text=json.dumps(answer.body), headers=answer.headers)
        return web.Response(text="ok")

    def _default(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        team = self.tokens.get(token or "", "T0001")
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "cos-bot",
                "team_id": team,
                "user_id": "UBOT",
                "bot_id": "BBOT",
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = str(params.get("user"))
            profile = {
                "id": user,
                "team_id": team,
                "name": user.lower(),
                "is_admin": False,
                "is_owner": False,
                "tz": "Europe/Berlin",
            }
            profile.update(self.users.get(user, {}))
            return {"ok": True, "user": profile}
        if method == "chat.postMessage":
            self._ts += 1
            seconds = int(self.clock()) if self.clock is not None else 1767340800
            ts = f"{seconds}.{self._ts:06d}"
            message: dict[str, Any] = {
                "type": "message",
                "text": params.get("text"),
                "user": "UBOT",
                "bot_id": "BBOT",
                "ts": ts,
            }
            metadata = params.get("metadata")
            if metadata:
                message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            self.messages.setdefault(str(params.get("channel")), []).append(message)
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"text": params.get("text"), "type": "message"},
            }
        if method == "chat.update":
            channel, ts = str(params.get("channel")), str(params.get("ts"))
            for m in self.messages.get(channel, []):
                if m["ts"] == ts:
                    m["text"] = params.get("text")
                    return {"ok": True, "channel": channel, "ts": ts, "text": params.get("text")}
            return {"ok": False, "error": "message_not_found"}
        if method == "conversations.history":
            # Newest first, from ``oldest`` on; metadata only with include_all_metadata (as Slack does).
            oldest = float(params.get("oldest") or 0)
            limit = int(params.get("limit") or 100)
            with_metadata = str(params.get("include_all_metadata")).lower() in ("true", "1")
            found = [
                m
                for m in reversed(self.messages.get(str(params.get("channel")), []))
                if float(m["ts"]) >= oldest and "thread_ts" not in m
            ]
            shown = [m if with_metadata else {k: v for k, v in m.items() if k != "metadata"} for m in found[:limit]]
            return {"ok": True, "messages": shown, "has_more": len(found) > limit}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "views.open":
            # A trigger id lasts 3 s and opens one view; the fake accepts any it was not told to expire.
            if str(params.get("trigger_id")) in self.expired_triggers or not params.get("trigger_id"):
                return {"ok": False, "error": "expired_trigger_id"}
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            self.views.append(view)
            return {"ok": True, "view": {"id": f"V{len(self.views):04d}", "type": view.get("type"), **view}}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", "type": "home"}}
        if method == "oauth.v2.access":
            code = str(params.get("code"))
            if code in self.oauth_codes:
                return self.oauth_codes[code]
            return {"ok": False, "error": "invalid_code"}
        return {"ok": False, "error": "unknown_method"}
