"""The App Home tab: the portfolio overview, the team's stage and milestones, upcoming reminders.

The team part is :func:`team_status` (it reads the scheduler's view of the workspace when there is
one); a failure there leaves the rest of the tab standing.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.slack.render import MAX_HOME_BLOCKS, plain, render_pages
from bot.app import App
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request

__all__ = ["home_view", "team_status"]

log = logging.getLogger("adapters.slack")


async def team_status(app: App, workspace: str, user: str) -> Reply | None:
    """The team's stage and next milestones, and upcoming reminders (hook: ``scheduler_status``)."""
    status = await scheduler_status(app, workspace, user)
    if status is not None:
        return status
    phases = app.kb.of_kind("phase")
    return Reply(
        title="Your team",
        sections=(
            Section(
                text="No company stage is set for this workspace yet. Set it with "
                "`/cos-service stage <early|growth|maturity|leadership>` to see your next milestones here."
            ),
            Section(
                heading="Development path",
                bullets=tuple(f"{p.title} ({p.years})" if p.years else p.title for p in phases),
            ),
            Section(heading="Upcoming reminders", text="None scheduled."),
        ),
    )


async def scheduler_status(app: App, workspace: str, user: str) -> Reply | None:
    """The scheduler's view of this workspace: stage, next milestones, upcoming reminders.

    Read through the router's own read-only team commands (``stage``,
    ``milestones``, ``schedules``) so the Home tab shows exactly what those
    commands answer, scoped to ``workspace``. None when there is no scheduler.
    """
    sections: list[Section] = []
    for word in ("stage", "milestones", "schedules"):
        reply = await app.router.handle(
            Request(
                platform="slack", workspace=workspace, channel="app_home", user=user, command="cos-service", text=word
            )
        )
        if reply.error:
            continue
        heading = reply.title or word.title()
        first, *rest = reply.sections or (Section(),)
        sections.append(Section(heading=heading, text=first.text, bullets=first.bullets if not first.heading else ()))
        if first.heading:
            sections.append(first)
        sections.extend(rest)
    return Reply(title="Your team", sections=tuple(sections)) if sections else None


async def home_view(app: App, *, workspace: str, user: str) -> dict[str, Any]:
    """A ``views.publish`` view of type ``home``, within the Home tab's 100 blocks."""
    parts: list[Reply] = []
    try:
        status = await team_status(app, workspace, user)
    except Exception:
        log.exception("the Home tab's team status failed")
        status = None
    if status is not None:
        parts.append(status.safe())
    parts.append(app.router.knowledge.service_overview().safe())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain("cos-bot", 150)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Ask `/cos-service <topic>` or `/cos-risk <topic>` in any channel, or write to me here.",
                }
            ],
        },
    ]
    for reply in parts:
        page = render_pages(reply, max_blocks=MAX_HOME_BLOCKS - 2)[0]
        if len(blocks) + len(page) + 1 > MAX_HOME_BLOCKS:
            break
        blocks.append({"type": "divider"})
        blocks.extend(page)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
