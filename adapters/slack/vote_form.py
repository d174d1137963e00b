"""The 👎 form on Slack: a modal opened with ``views.open`` and read back from ``view_submission``.

The core puts 👍/👎 buttons on every knowledge answer (``bot.answering.votes``); a 👎 press carries a
``trigger_id`` that is valid for 3 seconds, so the adapter opens this modal first and records the
vote after. The submission arrives as a ``view_submission`` with ``callback_id`` ``cos:feedback``
and becomes the core's ``feedback-reason`` action.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.common import answer_within
from adapters.slack.render import ACTION_PREFIX, plain
from adapters.slack.translate import PLATFORM_NAME, block_action_to_action, workspace_key
from bot.answering import votes
from bot.kernel.router import Action

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter

log = logging.getLogger("adapters.slack")

__all__ = ["CALLBACK_ID", "opens_form", "feedback_modal", "submission_to_action", "errors_for"]

CALLBACK_ID = f"{ACTION_PREFIX}feedback"
_REASON_BLOCK = "reason"
_COMMENT_BLOCK = "comment"


def opens_form(element: dict[str, Any]) -> bool:
    """True for a 👎 button of ours (its press opens the form)."""
    return str(element.get("action_id") or "").startswith(f"{ACTION_PREFIX}{votes.DOWN}:")


def feedback_modal(answer: int, *, channel: str, lang: str = "en") -> dict[str, Any]:
    """The ``views.open`` view: what was wrong (one of four) and an optional comment, worded in ``lang``."""
    words = votes.form(lang)
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "private_metadata": json.dumps({"a": answer, "ch": channel[:40]}, separators=(",", ":")),
        "title": {"type": "plain_text", "text": plain(words.title, 24)},
        "submit": {"type": "plain_text", "text": plain(words.send, 24)},
        "close": {"type": "plain_text", "text": plain(words.cancel, 24)},
        "blocks": [
            {
                "type": "input",
                "block_id": _REASON_BLOCK,
                "label": {"type": "plain_text", "text": words.reason_label},
                "element": {
                    "type": "radio_buttons",
                    "action_id": _REASON_BLOCK,
                    "options": [
                        {"text": {"type": "plain_text", "text": label}, "value": value}
                        for value, label in words.reasons
                    ],
                },
            },
            {
                "type": "input",
                "block_id": _COMMENT_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": words.comment_label},
                "element": {
                    "type": "plain_text_input",
                    "action_id": _COMMENT_BLOCK,
                    "multiline": True,
                    "max_length": votes.COMMENT_LIMIT,
                },
            },
        ],
    }


def submission_to_action(body: dict[str, Any]) -> Action | None:
    """A ``view_submission`` of the form -> the core's ``feedback-reason`` action; None if it is not ours."""
    view = body.get("view") or {}
    if view.get("callback_id") != CALLBACK_ID:
        return None
    try:
        meta = json.loads(view.get("private_metadata") or "")
    except ValueError:
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("a"), int):
        return None
    values = (view.get("state") or {}).get("values") or {}
    selected = ((values.get(_REASON_BLOCK) or {}).get(_REASON_BLOCK) or {}).get("selected_option") or {}
    comment = ((values.get(_COMMENT_BLOCK) or {}).get(_COMMENT_BLOCK) or {}).get("value") or ""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    enterprise = (body.get("enterprise") or {}).get("id") if isinstance(body.get("enterprise"), dict) else None
    return Action(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=str(meta.get("ch") or ""),
        user=str((body.get("user") or {}).get("id") or ""),
        action=votes.REASON,
        value=votes.reason_value(meta["a"], str(selected.get("value") or ""), str(comment)[:2000]),
    )


def errors_for(message: str) -> dict[str, Any]:
    """The ack that keeps the modal open and shows ``message`` under the field it is about."""
    # Both comment problems name the comment's limit, in every language; the others are about the reason.
    block = _COMMENT_BLOCK if str(votes.COMMENT_LIMIT) in message else _REASON_BLOCK
    return {"response_action": "errors", "errors": {block: plain(message, 150)}}


def register(adapter: SlackAdapter) -> None:
    """The form's submission listener."""

    async def on_submission(ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
        await submitted(adapter, ack, body)

    adapter.bolt.view(CALLBACK_ID)(on_submission)


async def open_form(
    adapter: SlackAdapter, body: dict[str, Any], element: dict[str, Any], client: AsyncWebClient
) -> None:
    """Open the form first (the trigger id lasts 3 s), then record the 👎; without a form, answer as usual."""
    action = block_action_to_action(body, element)
    action = dataclasses.replace(action, locale=adapter.people.locale(action.workspace, action.user))
    answer = votes.answer_id(action.value)
    try:
        if answer is None:
            raise ValueError("not an answer id")
        lang = await adapter.app.router.lang_of(action)
        await client.views_open(
            trigger_id=str(body.get("trigger_id")), view=feedback_modal(answer, channel=action.channel, lang=lang)
        )
    except (SlackApiError, SlackClientError, OSError, TimeoutError, ValueError) as exc:
        log.info("feedback form not opened (%s); answering in the conversation", type(exc).__name__)
        await adapter.handle_action(body, element, client)
        return
    await adapter.app.router.handle_action(action)


async def submitted(adapter: SlackAdapter, ack: Callable[..., Awaitable[Any]], body: dict[str, Any]) -> None:
    """The form's submission: recorded before the ack, so a bad comment keeps the form open with the reason."""
    action = submission_to_action(body)
    if action is None:
        await ack()
        return

    async def close_form() -> None:
        await ack()

    work, slow = await answer_within(adapter.ack_budget, adapter.app.router.handle_action(action), close_form)
    if slow:  # the form closed; the reason is still recorded
        adapter.spawn(_settled(work), "feedback form submission")
        return
    reply = work.result()
    if reply is not None and reply.error and reply.error != "stale action":
        await ack(**errors_for(reply.error))
        return
    await ack()


async def _settled(work: asyncio.Future[Any]) -> None:
    await work
