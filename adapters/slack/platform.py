"""The Slack platform plugin: ``cos-bot run`` and ``cos-bot serve`` start it when configured."""

from __future__ import annotations

import logging

from bot.app import App
from bot.kernel.settings import Settings
from bot.kernel.transport import Transport
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
    serves_http=lambda settings: not settings.slack_app_token,  # HTTP mode: /healthz... beside /slack/events
    limits=_limits,
)
