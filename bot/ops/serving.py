"""``cos-bot run``'s probes and shutdown: /readyz drops at the signal, the probes outlive the drain.

Kept apart from ``bot.ops.web`` so that a run without an HTTP port (the console) imports no web stack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.ops.readiness import readiness_for

if TYPE_CHECKING:
    from bot.app import App
    from bot.plugins import Platform

__all__ = ["serving", "stopping"]

log = logging.getLogger("bot.ops.web")


def stopping(app: App, stop: asyncio.Event) -> Any:
    """A signal handler: readiness drops to 503 at once, then ``stop`` starts the drain."""

    def handler() -> None:
        readiness_for(app).begin_shutdown()
        stop.set()

    return handler


@asynccontextmanager
async def serving(
    app: App, platforms: Iterable[Platform], *, host: str = "0.0.0.0", outbox_every: float = 5.0
) -> AsyncIterator[int | None]:
    """For ``cos-bot run``: serve the neutral app on ``COS_HTTP_PORT`` while the block runs, unless a
    platform serves HTTP itself (Slack's HTTP mode mounts the same routes) or no port is set.

    Yields the bound port (or None). The server outlives the block's work: after the block,
    ``/readyz`` answers 503 until the listener closes.
    """
    chosen = list(platforms)
    readiness = readiness_for(app)
    for platform in chosen:
        if not platform.fallback:
            readiness.expect(platform.name)
    port = app.settings.http_port
    if port is None or any(p.serves_http is not None and p.serves_http(app.settings) for p in chosen):
        yield None
        return
    from aiohttp import web

    from bot.ops.web import make_http_app

    web_app = make_http_app(app, outbox_every=outbox_every)  # with every platform's own routes
    paths = ", ".join(dict.fromkeys(route.resource.canonical for route in web_app.router.routes() if route.resource))
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or ()  # the real port when asked for port 0
    bound = int(sockets[0].getsockname()[1]) if sockets else port
    log.info("http: listening on http://%s:%s (%s)", host, bound, paths)
    try:
        yield bound
    finally:
        readiness.begin_shutdown()
        await runner.cleanup()
