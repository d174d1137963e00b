"""What the Slack benchmarks share: a local Slack Web API stand-in, signed requests, waiting for a server.

Everything listens on 127.0.0.1. ``FakeSlack`` answers the Web API methods ``cos-bot serve`` calls
(``auth.test``, ``users.info``, ``chat.postMessage``, ``views.open``, …) and receives the POSTs to
``response_url`` (``/response/<name>``), handing each to whoever waits for that name.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import subprocess
import time
from collections import Counter
from typing import Any

import aiohttp
from aiohttp import web

__all__ = ["SECRET", "TOKEN", "FakeSlack", "free_port", "signed", "wait_healthy"]

SECRET = "bench0signing0secret0000000000ab"
TOKEN = "xoxb-0000000000-0000000000-benchbenchbench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakeSlack:
    """Just enough Web API for the bot, plus ``response_url`` arrivals and the views it opens.

    ``waiters[name]`` gets the arrival time of the POST to ``/response/<name>``; when ``keep`` is on,
    ``bodies[name]`` holds its JSON body (the waiter pops it). ``views[trigger_id]`` gets the view
    a ``views.open`` with that trigger id carried. ``admins`` are the users ``users.info`` calls admins.
    """

    def __init__(self, *, team: str = "T0001", admins: frozenset[str] = frozenset(), keep: bool = False) -> None:
        self.team, self.admins, self.keep = team, admins, keep
        self.arrivals: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self.bodies: dict[str, dict[str, Any]] = {}
        self.views: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.calls: Counter[str] = Counter()
        self.post_keys: Counter[str] = Counter()

    async def start(self) -> int:
        app = web.Application()
        app.add_routes(
            [
                web.post("/api/{method}", self.api),
                web.get("/api/{method}", self.api),
                web.post("/response/{name}", self.response),
            ]
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.runner = runner
        return int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    async def _form(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = await request.json()
            return {**request.query, **(body if isinstance(body, dict) else {})}
        return {**request.query, **(await request.post())}

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": self.team, "user_id": "UBOT", "bot_id": "BBOT"})
        if method == "users.info":
            user = (await self._form(request)).get("user")
            return web.json_response(
                {"ok": True, "user": {"id": user, "is_admin": user in self.admins, "tz": "Europe/Berlin"}}
            )
        if method == "chat.postMessage":
            form = await self._form(request)
            meta = form.get("metadata") or {}
            if isinstance(meta, str):
                meta = json.loads(meta)
            self.post_keys[str((meta.get("event_payload") or {}).get("key", ""))] += 1
            channel = str(form.get("channel", ""))
            return web.json_response({"ok": True, "channel": channel, "ts": f"{time.time():.6f}"})
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": "DBENCH"}})
        if method == "views.open":
            form = await self._form(request)
            view = form.get("view") or {}
            waiter = self.views.get(str(form.get("trigger_id", "")))
            if waiter is not None and not waiter.done():
                waiter.set_result(json.loads(view) if isinstance(view, str) else view)
            return web.json_response({"ok": True, "view": {"id": "VBENCH"}})
        return web.json_response({"ok": True})

    async def response(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        raw = await request.read()
        now = time.perf_counter()
        self.arrivals[name] = now
        waiter = self.waiters.get(name)
        if waiter and not waiter.done():
            if self.keep:
                try:
                    self.bodies[name] = json.loads(raw)
                except ValueError:
                    self.bodies[name] = {"text": raw.decode(errors="replace")}
            waiter.set_result(now)
        return web.Response(text="ok")


def signed(body: str, *, content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Headers Slack would send with ``body``: a fresh timestamp and its v0 signature."""
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={sig}", "Content-Type": content_type}


async def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until ``url`` answers a POST at all (200, 401 or 404); raises when the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                async with http.post(url, data=b"", headers={"Content-Type": "application/json"}) as r:
                    if r.status in (200, 401, 404):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")
