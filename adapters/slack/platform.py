"""The Slack platform plugin: ``cos-bot run`` starts it when configured; ``cos-bot serve`` runs it alone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from bot.app import App
from bot.kernel.settings import Settings
from bot.kernel.transport import Transport
from bot.ops.readiness import readiness_for
from bot.plugins import Platform
from bot.scheduler.pacing import Limits

__all__ = ["PLATFORM"]

log = logging.getLogger("adapters.slack")


def _is_configured(settings: Settings) -> bool:
    return bool(
        settings.slack_app_token
        or settings.slack_bot_token
        or (settings.slack_client_id and settings.slack_client_secret)
    )


async def _run(app: App) -> None:
    from adapters.slack.server import run_slack

    await run_slack(app)


def _make_transport(app: App) -> Transport:
    from adapters.slack.transport import SlackTransport, workspace_clients

    return SlackTransport(workspace_clients(app.settings, app.db.engine), db=app.db, clock=app.clock)


async def _serve(settings: Settings, port: int) -> int:
    """Serve until SIGTERM or SIGINT, then stop taking requests, finish what is running, and exit 0."""
    from adapters.slack.server import run_slack
    from bot.app import build_app, run_tasks

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
            pass

    async def until_stopped() -> None:
        await stop.wait()
        readiness_for(app).begin_shutdown()
        log.info("slack: shutting down")

    app = await build_app(settings)
    try:
        # DISCORD_PUBLIC_KEY adds POST /discord/interactions (and runs Discord) beside Slack, or alone.
        from adapters.discord.interactions_http import discord_serve_parts, serve_interactions

        discord_routes, discord_tasks = discord_serve_parts(app)
        if _is_configured(settings):
            app.transports["slack"] = _make_transport(app)
            http = run_slack(app, port=port, extra_routes=discord_routes)
        else:
            http = serve_interactions(app, discord_routes, port=port)
        await run_tasks([http, *discord_tasks, until_stopped(), *app.background()])
    finally:
        await app.close()
        for sig in handled:
            loop.remove_signal_handler(sig)
    return 0


def _serve_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.port is not None and not 0 <= args.port <= 65535:
        print(f"cos-bot: --port {args.port} must be from 0 to 65535 (0 picks a free one)", file=sys.stderr)
        return 2
    if not _is_configured(settings) and not settings.discord_public_key:
        # An operator's read of a workspace's data: the dashboard and the probes alone.
        print(
            "cos-bot: no Slack or Discord settings; serving the dashboard (/dashboard) and the probes only. "
            "See docs/install-slack.md, docs/install-discord.md and docs/dashboard.md.",
            file=sys.stderr,
        )
    port = settings.port if args.port is None else args.port
    from bot.ops import runtime

    return runtime.run(_serve(settings, port))


def _register_cli(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve over HTTP: Slack (POST /slack/events), Discord "
        "(POST /discord/interactions), the dashboard (/dashboard), GET /healthz, /readyz, /metrics",
    )
    serve.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: PORT, else 3000; 0 picks a free one)"
    )
    serve.set_defaults(handler=_serve_command)


def _limits(settings: Settings) -> Limits:
    """About one message per second per channel; ``chat.postMessage`` is "special tier" with a workspace
    allowance of "several hundred per minute", more on large plans, published nowhere exactly: start
    at 4/s and learn it, unless ``COS_SLACK_WORKSPACE_RATE`` pins it."""
    if settings.slack_workspace_rate:
        return Limits(channel_interval=1.0, workspace_rate=float(settings.slack_workspace_rate), adaptive=False)
    return Limits(channel_interval=1.0, workspace_rate=4.0, adaptive=True, max_rate=100.0)


PLATFORM = Platform(
    name="slack",
    is_configured=_is_configured,
    run=_run,
    make_transport=_make_transport,
    register_cli=_register_cli,
    serves_http=lambda settings: not settings.slack_app_token,  # HTTP mode: /healthz... beside /slack/events
    limits=_limits,
)
