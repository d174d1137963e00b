"""The App Home tab: the portfolio overview, the team's stage and milestones, upcoming reminders.

The team part is :func:`team_status` (it reads the scheduler's view of the workspace when there is
one); a failure there leaves the rest of the tab standing.
"""

from __future__ import annotations

import logging
from typing import Any

from adapters.slack.render import MAX_HOME_BLOCKS, plain, render_pages
from bot.answering.render import title_in
from bot.app import App
from bot.kernel.lang import _, current_lang, use_lang
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request

__all__ = ["home_view", "team_status"]

log = logging.getLogger("adapters.slack")


async def team_status(app: App, workspace: str, user: str, locale: str | None = None) -> Reply | None:
    """The team's stage and next milestones, and upcoming reminders (hook: ``scheduler_status``), worded in the
    language of the current request (``use_lang``)."""
    status = await scheduler_status(app, workspace, user, locale)
    if status is not None:
        return status
    phases = app.kb.of_kind("phase")
    lang = current_lang()
    return Reply(
        title=_("Your team"),
        sections=(
            Section(
                text=_(
                    "No company stage is set for this workspace yet. Set it with "
                    "`/cos-service stage <early|growth|maturity|leadership>` to see your next milestones here."
                )
            ),
            Section(
                heading=_("Development path"),
                bullets=tuple(f"{title_in(p, lang)} ({p.years})" if p.years else title_in(p, lang) for p in phases),
            ),
            Section(heading=_("Upcoming reminders"), text=_("None scheduled.")),
        ),
        lang=lang,
    )


async def scheduler_status(app: App, workspace: str, user: str, locale: str | None = None) -> Reply | None:
    """The scheduler's view of this workspace: stage, next milestones, upcoming reminders.

    Read through the router's own read-only team commands (``stage``,
    ``milestones``, ``schedules``) so the Home tab shows exactly what those
    commands answer, scoped to ``workspace``. None when there is no scheduler.
    """
    sections: list[Section] = []
    for word in ("stage", "milestones", "schedules"):
        reply = await app.router.handle(
            Request(
                platform="slack",
                workspace=workspace,
                channel="app_home",
                user=user,
                command="cos-service",
                text=word,
                locale=locale,
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
    return Reply(title=_("Your team"), sections=tuple(sections), lang=current_lang()) if sections else None


async def home_view(app: App, *, workspace: str, user: str, locale: str | None = None) -> dict[str, Any]:
    """A ``views.publish`` view of type ``home``, within the Home tab's 100 blocks, in the language the person's
    replies take (the workspace's setting, else their Slack locale)."""
    lang = await app.router.lang_for("slack", workspace, locale=locale)
    with use_lang(lang):
        return await _home_view(app, workspace=workspace, user=user, locale=locale, lang=lang)


async def _home_view(app: App, *, workspace: str, user: str, locale: str | None, lang: str) -> dict[str, Any]:
    parts: list[Reply] = []
    try:
        status = await team_status(app, workspace, user, locale)
    except Exception:
        log.exception("the Home tab's team status failed")
        status = None
    if status is not None:
        parts.append(status.safe())
    parts.append(app.router.knowledge.service_overview(lang).safe())
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain("cos-bot", 150)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _("Ask `/cos-service <topic>` or `/cos-risk <topic>` in any channel, or write to me here."),
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
