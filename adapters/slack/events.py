"""Slack's events: the Home tab opened, a direct message (answered in the DM), a DM edited (a check-in answer
follows). Each event is handled once (``processed_event``), in a tracked background task after the ack."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import home, home_stats
from adapters.slack.translate import PLATFORM_NAME, dm_edit, dm_to_request, is_user_dm, workspace_key
from bot.kernel.router import parse_line
from bot.team.edits import record_edit

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter

__all__ = ["register", "on_home_opened", "on_message"]

log = logging.getLogger("adapters.slack")


def register(adapter: SlackAdapter) -> None:
    """Listen for ``app_home_opened`` and ``message``."""

    # Bolt passes a listener the arguments its parameters name.
    async def home_opened(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await on_home_opened(adapter, body, event, client, context)

    async def message(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await on_message(adapter, body, event, client, context)

    adapter.bolt.event("app_home_opened")(home_opened)
    adapter.bolt.event("message")(message)


async def on_home_opened(
    adapter: SlackAdapter, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    if event.get("tab", "home") != "home":
        return
    event_id = str(body.get("event_id") or "")
    if event_id and not await adapter.events.first_time(event_id):
        return
    workspace = workspace_key(
        team_id=body.get("team_id") or context.team_id,
        enterprise_id=body.get("enterprise_id") or context.enterprise_id,
    )
    user = str(event.get("user") or "")
    adapter.spawn(_publish_home(adapter, client, workspace, user, event_id), "home tab")


async def _publish_home(
    adapter: SlackAdapter, client: AsyncWebClient, workspace: str, user: str, event_id: str
) -> None:
    try:
        view = await home.home_view(
            adapter.app, workspace=workspace, user=user, locale=adapter.people.locale(workspace, user)
        )
        view = await home_stats.with_stats(adapter, client, view, workspace=workspace, user=user)
        await client.views_publish(user_id=user, view=view)
    except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
        log.warning("home tab for %s not published: %s", user, type(exc).__name__)
        if event_id:
            await adapter.events.forget(event_id)


async def on_message(
    adapter: SlackAdapter, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient, context: Any
) -> None:
    edited = dm_edit(body)
    if edited is not None:
        event_id = str(body.get("event_id") or "")
        if not event_id or await adapter.events.first_time(event_id):
            user, ts, text = edited
            team = body.get("team_id") or context.team_id
            adapter.spawn(_edit(adapter, user, ts, text), f"edit in {team}")
        return
    if not is_user_dm(event):
        return
    event_id = str(body.get("event_id") or "")
    if event_id and not await adapter.events.first_time(event_id):
        log.info("event %s already handled (retry %s)", event_id, "yes")
        return
    adapter.spawn(_answer_dm(adapter, body, client, context, event_id), "direct message")


async def _edit(adapter: SlackAdapter, user: str, ts: str, text: str) -> None:
    """A check-in answer's DM was edited: the stored answer follows (its report reply on the next tick)."""
    await record_edit(adapter.app, platform=PLATFORM_NAME, user=user, message_id=ts, text=text)


async def _answer_dm(
    adapter: SlackAdapter, body: dict[str, Any], client: AsyncWebClient, context: Any, event_id: str
) -> None:
    event = body.get("event") or {}
    envelope = {
        **body,
        "team_id": body.get("team_id") or context.team_id,
        "enterprise_id": body.get("enterprise_id") or context.enterprise_id,
    }
    request = dm_to_request(envelope)
    role, tz = await adapter.identity(client, request.workspace, request.user)
    locale = adapter.people.locale(request.workspace, request.user)
    request = dataclasses.replace(request, role=role, tz=tz, locale=locale)
    reply = await adapter.app.router.handle(request)
    parsed = parse_line(request.text)
    state = {"c": parsed[0], "t": parsed[1][:500]} if parsed and reply.results else None
    payload = adapter.message(reply.public(), state=await adapter.state_for(request.workspace, reply.public(), state))
    try:
        await client.chat_postMessage(
            channel=str(event.get("channel")),
            text=payload["text"],
            blocks=payload["blocks"],
            unfurl_links=False,
            unfurl_media=False,
        )
    except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
        if not event_id:
            log.warning("DM answer not delivered: %s", type(exc).__name__)
        elif reply.results and not reply.error:
            # A knowledge answer changed nothing: let Slack's retry ask again.
            log.warning(
                "DM answer not delivered: %s; Slack's retry of %s will be answered", type(exc).__name__, event_id
            )
            await adapter.events.forget(event_id)
        else:
            # A command or a check-in answer may have changed data: running it again on Slack's
            # retry would record it twice, so the retry stays a duplicate and the reply is lost.
            log.warning(
                "DM answer not delivered: %s; %s is not handled again (it may have changed data)",
                type(exc).__name__,
                event_id,
            )
