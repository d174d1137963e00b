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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

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


class FakeSlack:
    """Records calls; ``script()`` queues answers (429, 500, ``{"ok": false}``) for a method."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.scripts: dict[str, list[Scripted]] = {}
        self.tokens: dict[str, str] = {}  # bot token -> team id
        self.users: dict[str, dict[str, Any]] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.delays: dict[str, float] = {}  # method -> seconds to wait before answering (a slow Slack)
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
        web_app.add_routes([web.post("/api/{method}", self._api), web.get("/api/{method}", self._api),
                            web.post("/response/{name}", self._response_url),
                            web.get("/link/", self._socket)])
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

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
    def script(self, method: str, *answers: tuple[int, dict[str, Any]] | tuple[int, dict[str, Any], dict[str, str]]) -> None:
        """Answer the next calls of ``method`` with these (status, body[, headers]) before the defaults."""
        queue = self.scripts.setdefault(method, [])
        for answer in answers:
            status, body, *rest = answer
            queue.append(Scripted(status, body, rest[0] if rest else {}))

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
        queue = self.scripts.get(method)
        if queue:
            answer = queue.pop(0)
            return web.json_response(answer.body, status=answer.status, headers=answer.headers)
        return web.json_response(self._default(method, params, token))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """A Socket Mode WebSocket: ``hello`` first, then queued envelopes; records the client's acks."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        self.socket_connections += 1
        await self._record(Call("socket_connect", dict(request.query), None, dict(request.headers)))
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                            "connection_info": {"app_id": "A0001"}})

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
        await self._record(Call("response_url", {"name": request.match_info["name"], **body}, None,
                                dict(request.headers)))
        queue = self.scripts.get("response_url")
        if queue:
            answer = queue.pop(0)
            return web.Response(status=answer.status, text=json.dumps(answer.body), headers=answer.headers)
        return web.Response(text="ok")

    def _default(self, method: str, params: dict[str, Any], token: str | None) -> dict[str, Any]:
        team = self.tokens.get(token or "", "T0001")
        if method == "auth.test":
            return {"ok": True, "url": "https://acme.slack.com/", "team": "Acme", "user": "cos-bot",
                    "team_id": team, "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False}
        if method == "users.info":
            user = str(params.get("user"))
            profile = {"id": user, "team_id": team, "name": user.lower(), "is_admin": False, "is_owner": False,
                       "tz": "Europe/Berlin"}
            profile.update(self.users.get(user, {}))
            return {"ok": True, "user": profile}
        if method == "chat.postMessage":
            self._ts += 1
            return {"ok": True, "channel": params.get("channel"), "ts": f"1767340800.{self._ts:06d}",
                    "message": {"text": params.get("text"), "type": "message"}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "X"))[1:]}}
        if method == "apps.connections.open":
            if not (token or "").startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", "type": "home"}}
        if method == "oauth.v2.access":
            code = str(params.get("code"))
            if code in self.oauth_codes:
                return self.oauth_codes[code]
            return {"ok": False, "error": "invalid_code"}
        return {"ok": False, "error": "unknown_method"}
