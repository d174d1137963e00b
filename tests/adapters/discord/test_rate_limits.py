"""Discord's global 429s reach the scheduler's pacer through discord.py's ``http_trace`` (an aiohttp TraceConfig)."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from adapters.discord.client import make_client
from adapters.discord.ratelimit import global_retry_after, rate_limit_trace
from bot.kernel.settings import Settings
from bot.scheduler.pacing.rate_limits import RateLimitHit, listening
from tests.local_server import close_local, serve_local


def test_only_a_global_429_is_the_pacers_business() -> None:
    assert global_retry_after(429, {"X-RateLimit-Global": "true", "Retry-After": "2.5"}) == 2.5
    assert global_retry_after(429, {"X-RateLimit-Scope": "global", "Retry-After": "x"}) == 1.0
    assert global_retry_after(429, {"X-RateLimit-Scope": "user", "Retry-After": "4"}) is None  # a route bucket
    assert global_retry_after(200, {"X-RateLimit-Global": "true"}) is None


def test_the_client_carries_the_trace() -> None:
    client = make_client(Settings(discord_token="x" * 30))
    trace = client.http.http_trace
    assert trace is not None and len(trace.on_request_end) == 1


async def test_a_global_429_is_reported_during_a_send() -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.path == "/global":
            return web.json_response(
                {"message": "You are being rate limited.", "retry_after": 1.5, "global": True},
                status=429,
                headers={"X-RateLimit-Global": "true", "Retry-After": "1.5"},
            )
        return web.json_response(
            {"message": "You are being rate limited.", "retry_after": 0.5},
            status=429,
            headers={"X-RateLimit-Scope": "user", "Retry-After": "0.5"},
        )

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner, port = await serve_local(app)
    hits: list[RateLimitHit] = []

    async def heard(hit: RateLimitHit) -> None:
        hits.append(hit)

    try:
        async with aiohttp.ClientSession(trace_configs=[rate_limit_trace()]) as http:
            with listening(heard):
                for name in ("global", "route"):
                    async with http.get(f"http://127.0.0.1:{port}/{name}") as response:
                        assert response.status == 429
            async with http.get(f"http://127.0.0.1:{port}/global"):
                pass  # no listener: no scheduled send under way, nothing to report to
    finally:
        await close_local(runner, set())
    assert hits == [RateLimitHit(retry_after=1.5)]
