"""Start and stop the local fake platform servers (127.0.0.1, a free port) the adapter tests talk to."""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

__all__ = ["serve_local", "close_local"]


async def serve_local(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on 127.0.0.1 at a free port; the runner (for ``close_local``) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, int(port)


async def close_local(runner: web.AppRunner | None, sockets: Iterable[web.WebSocketResponse] = ()) -> None:
    """Close open WebSockets first (so clients see a clean close), then the server."""
    for ws in list(sockets):
        await ws.close()
    if runner is not None:
        await runner.cleanup()
