"""The App Home tab: the portfolio overview, the team's stage and milestones, upcoming reminders.

The team parts come from *home sections*: async functions ``(app, workspace,
user) -> Reply | None``. :func:`team_status` is the built-in one (it reads
the scheduler when there is one); other parts of the bot can add theirs with
:func:`add_home_section`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.app import App
from bot.reply import Reply, Section

from adapters.slack.render import MAX_HOME_BLOCKS, plain, render_pages

__all__ = ["HomeSection", "add_home_section", "home_view", "team_status"]

log = logging.getLogger("adapters.slack")

HomeSection = Callable[[App, str, str], Awaitable[Reply | None]]
_SECTIONS: list[HomeSection] = []


def add_home_section(section: HomeSection) -> HomeSection:
    """Show ``section``'s reply on every Home tab, after the built-in ones."""
    _SECTIONS.append(section)
    return section


async def team_status(app: App, workspace: str, user: str) -> Reply | None:
    """The team's stage and next milestones, and upcoming reminders (hook: ``scheduler_status``)."""
    status = await scheduler_status(app, workspace, user)
    if status is not None:
        return status
    phases = app.kb.of_kind("phase")
    return Reply(
        title="Your team",
        sections=(
            Section(text="No company stage is set for this workspace yet. Set it with "
                         "`/cos-service stage <early|growth|maturity|leadership>` to see your next milestones here."),
            Section(heading="Development path",
                    bullets=tuple(f"{p.title} ({p.years})" if p.years else p.title for p in phases)),
            Section(heading="Upcoming reminders", text="None scheduled."),
        ),
    )


async def scheduler_status(app: App, workspace: str, user: str) -> Reply | None:
    """The scheduler's view of this workspace (stage, next milestones, upcoming reminders), if it offers one.

    The scheduler is optional; when it is missing or has nothing to say this
    returns None and the Home tab shows the plain development path.
    """
    try:
        from bot.scheduler import home_status  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return await home_status(app, platform="slack", workspace=workspace, user=user)
    except Exception:  # noqa: BLE001 - the Home tab shows what it can
        log.exception("scheduler status for the Home tab failed")
        return None


async def home_view(app: App, *, workspace: str, user: str) -> dict[str, Any]:
    """A ``views.publish`` view of type ``home``, within the Home tab's 100 blocks."""
    parts: list[Reply] = []
    for section in (team_status, *_SECTIONS):
        try:
            reply = await section(app, workspace, user)
        except Exception:  # noqa: BLE001
            log.exception("home section %s failed", getattr(section, "__name__", section))
            continue
        if reply is not None:
            parts.append(reply.safe())
    parts.append(app.router.knowledge.service_overview().safe())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain("cos-bot", 150)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            "Ask `/cos-service <topic>` or `/cos-risk <topic>` in any channel, or write to me here."}]},
    ]
    for reply in parts:
        page = render_pages(reply, max_blocks=MAX_HOME_BLOCKS - 2)[0]
        if len(blocks) + len(page) + 1 > MAX_HOME_BLOCKS:
            break
        blocks.append({"type": "divider"})
        blocks.extend(page)
    return {"type": "home", "blocks": blocks[:MAX_HOME_BLOCKS]}
