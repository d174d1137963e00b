"""The Share button: an ephemeral answer posted to the channel for everyone, or a clear reason it cannot be."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import decode_value, fallback_text, mrkdwn, render_pages
from bot.kernel.canned import expired, polite
from bot.kernel.lang import _
from bot.kernel.reply import Reply
from bot.kernel.router import Action

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter

__all__ = ["share"]

log = logging.getLogger("adapters.slack")


def _not_in_channel() -> Reply:
    return polite(
        _("I can't post in this channel"),
        _(
            "I'm not a member of this channel, so I can't share the answer here. Invite me with "
            "`/invite @cos-bot` and press Share again, or copy the answer."
        ),
        error="not_in_channel",
    )


def _no_channel() -> Reply:
    return polite(
        _("I can't post here"),
        _(
            "I can only share answers in channels I'm a member of. In a private conversation between people I "
            "can't post; copy the answer instead, or invite me to a channel."
        ),
        error="channel_not_found",
    )


def _share_failed() -> Reply:
    return polite(
        _("Sharing did not work just now"),
        _("Slack did not accept the message. Please press Share again in a minute."),
        error="share failed",
    )


async def share(
    adapter: SlackAdapter, body: dict[str, Any], action: Action, client: AsyncWebClient, response_url: str
) -> None:
    """Post the answer a Share button stands for in its channel, credited to the presser; explain a refusal."""
    state = decode_value(action.value)
    reply = await adapter.rebuild(state, workspace=action.workspace) if state else None
    if reply is None or state is None:
        await adapter.respond(
            response_url,
            {**adapter.message(await adapter._canned(action, expired), state=None), "replace_original": False},
        )
        return
    public = reply.public()
    blocks = render_pages(public, state={k: v for k, v in state.items() if k != "p"})[0]
    asked = state.get("c")
    query = f"/{asked} {state.get('t', '')}".strip() if isinstance(asked, str) else None
    credit = f"<@{action.user}> shared" + (f" the answer to `{mrkdwn(query)[:200]}`" if query else " this")
    blocks = [*blocks[:49], {"type": "context", "elements": [{"type": "mrkdwn", "text": credit}]}]
    try:
        await client.chat_postMessage(
            channel=action.channel,
            text=fallback_text(public),
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        code = str(exc.response.get("error") or "")
        explain = await adapter._canned(
            action,
            {"not_in_channel": _not_in_channel, "channel_not_found": _no_channel, "is_archived": _no_channel}.get(
                code, _share_failed
            ),
        )
        log.info("share in %s refused: %s", action.channel, code or exc.response.status_code)
        await adapter.respond(response_url, {**adapter.message(explain, state=None), "replace_original": False})
        return
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("share failed: %s", type(exc).__name__)
        await adapter.respond(
            response_url,
            {**adapter.message(await adapter._canned(action, _share_failed), state=None), "replace_original": False},
        )
        return
    await adapter.respond(response_url, {"delete_original": True})
