"""The admins' part of the Home tab: the question statistics (``/cos-service stats``) above the rest.

Who is an admin is Slack's answer (``users.info``: admins and owners) or ``COS_ADMINS``, read
through the adapter's cached identity; members see the Home tab without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.slack.render import MAX_HOME_BLOCKS, render_pages
from adapters.slack.translate import PLATFORM_NAME
from bot.kernel.request import Request

if TYPE_CHECKING:
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.adapter import SlackAdapter

__all__ = ["with_stats"]

# The Home tab's header and hint come first; the statistics go right after them.
_AFTER = 2


async def with_stats(
    adapter: SlackAdapter, client: AsyncWebClient, view: dict[str, Any], *, workspace: str, user: str
) -> dict[str, Any]:
    """``view`` with the question statistics for an admin; unchanged for anyone else."""
    role, _ = await adapter.identity(client, workspace, user)
    if role != "admin":
        return view
    reply = await adapter.app.router.handle(
        Request(
            platform=PLATFORM_NAME,
            workspace=workspace,
            channel="app_home",
            user=user,
            command="cos-service",
            text="stats",
            role=role,
        )
    )
    if reply.error:
        return view
    blocks = view["blocks"]
    room = MAX_HOME_BLOCKS - len(blocks) - 1
    if room < 2:
        return view
    page = render_pages(reply.safe(), max_blocks=room)[0]
    return {**view, "blocks": [*blocks[:_AFTER], {"type": "divider"}, *page, *blocks[_AFTER:]][:MAX_HOME_BLOCKS]}
