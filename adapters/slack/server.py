"""HTTP mode (aiohttp) and Socket Mode.

Two tiny functions translate between aiohttp and Bolt (``to_bolt_request``,
``to_aiohttp_response`` from ``slack_bolt.adapter.aiohttp``); the routes are
``POST /slack/events`` (commands, events, interactivity), ``GET /healthz``,
and with OAuth ``GET /slack/install`` and ``GET /slack/oauth_redirect``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from adapters.slack.adapter import SlackAdapter
from adapters.slack.client import RetryPolicy
from bot.app import App
from bot.kernel.errors import ConfigError
from bot.ops.readiness import readiness_for
from bot.ops.web import add_routes

__all__ = ["make_web_app", "create_adapter", "serve_http", "serve_socket_mode", "run_slack", "EVENTS_PATH"]

log = logging.getLogger("adapters.slack")

EVENTS_PATH = "/slack/events"
_ADAPTER: web.AppKey[SlackAdapter] = web.AppKey("slack_adapter", SlackAdapter)


async def create_adapter(app: App, **options: Any) -> SlackAdapter:
    """A SlackAdapter with its own HTTP session (create it inside the running loop)."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    return SlackAdapter(app, session=session, **options)


def make_web_app(adapter: SlackAdapter, *, events: bool = True) -> web.Application:
    """The aiohttp application for HTTP mode (``events=False``: probes and metrics only, for Socket Mode).

    Other platforms' own routes (``Platform.http_routes``) are mounted beside Slack's by ``add_routes``."""
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[_ADAPTER] = adapter
    add_routes(web_app, adapter.app, host="slack")  # /healthz, /readyz, /metrics, other platforms' routes
    routes = []
    if events:
        routes.append(web.post(EVENTS_PATH, _events))
        flow = adapter.bolt.oauth_flow
        if flow is not None:
            routes.append(web.get(flow.install_path, _install))
            routes.append(web.get(flow.redirect_uri_path, _oauth_redirect))
    web_app.add_routes(routes)
    return web_app


async def _events(request: web.Request) -> web.Response:
    adapter = request.app[_ADAPTER]
    try:
        bolt_response = await adapter.bolt.async_dispatch(await to_bolt_request(request))
    except Exception:
        log.exception("slack request failed")
        return web.Response(status=500, text="internal error")
    return await to_aiohttp_response(bolt_response)


async def _install(request: web.Request) -> web.Response:
    flow = request.app[_ADAPTER].bolt.oauth_flow
    assert flow is not None
    return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))


async def _oauth_redirect(request: web.Request) -> web.Response:
    flow = request.app[_ADAPTER].bolt.oauth_flow
    assert flow is not None
    try:
        response = await flow.handle_callback(await to_bolt_request(request))
    except Exception:
        log.exception("slack installation failed")
        return web.Response(status=500, text="The installation did not complete. Please try again.")
    return await to_aiohttp_response(response)


async def _serve(web_app: web.Application, host: str, port: int) -> None:
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or ()  # the real port when asked for port 0
    bound = sockets[0].getsockname()[1] if sockets else port
    log.info("slack: listening on http://%s:%s%s", host, bound, EVENTS_PATH)
    readiness_for(web_app[_ADAPTER].app).report("slack", True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def serve_http(adapter: SlackAdapter, *, host: str = "0.0.0.0", port: int = 3000) -> None:
    """Serve Slack over HTTP until cancelled."""
    if not adapter.settings.slack_signing_secret:
        raise ConfigError("SLACK_SIGNING_SECRET is required for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode).")
    if not adapter.oauth and not adapter.settings.slack_bot_token:
        raise ConfigError(
            "Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "(installable in many workspaces)."
        )
    await _serve(make_web_app(adapter), host, port)


async def serve_socket_mode(adapter: SlackAdapter, *, health_port: int | None = None) -> None:
    """Connect over Socket Mode (development: no public URL) until cancelled."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from adapters.slack.client import bolt_logger

    token = adapter.settings.slack_app_token
    if not token:
        raise ConfigError("SLACK_APP_TOKEN (xapp-...) is required for Socket Mode.")
    handler = AsyncSocketModeHandler(adapter.bolt, app_token=token, logger=bolt_logger, web_client=adapter.client)
    await handler.connect_async()
    log.info("slack: connected over Socket Mode")
    readiness_for(adapter.app).add_check("slack", handler.client.is_connected)
    try:
        if health_port:
            await _serve(make_web_app(adapter, events=False), "0.0.0.0", health_port)
        else:
            await asyncio.Event().wait()
    finally:
        await handler.close_async()


async def run_slack(app: App, *, port: int | None = None, policy: RetryPolicy | None = None) -> None:
    """``cos-bot run``/``serve``: Socket Mode when ``SLACK_APP_TOKEN`` is set, HTTP otherwise."""
    adapter = await create_adapter(app, policy=policy)
    if "slack" not in app.transports:
        app.transports["slack"] = adapter.transport()
    # Old event ids are pruned while the platform runs (hourly, keeping a day).
    housekeeping = asyncio.ensure_future(adapter.housekeeping())
    try:
        if app.settings.slack_app_token:
            await serve_socket_mode(adapter, health_port=port)
        else:
            await serve_http(adapter, port=app.settings.port if port is None else port)
    finally:
        housekeeping.cancel()
        await asyncio.gather(housekeeping, return_exceptions=True)
        await adapter.close()
