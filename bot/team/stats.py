"""``/cos-service stats [days]`` (admins): questions asked, the share answered, 👍/👎, top topics and top gaps."""

from __future__ import annotations

from datetime import timedelta

from bot.answering import store as kl
from bot.kernel.auth import admin_only, server_only
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.team.base import TeamFeature
from bot.team.teach import _days, _title

__all__ = ["StatsCommands"]


class StatsCommands(TeamFeature):
    """The knowledge loop in numbers, for admins (the Slack Home tab shows the same)."""

    HELP = (
        HelpLine(
            command="cos-service",
            usage="/cos-service stats [days]",
            what=N_("questions asked, share answered, votes"),
            admin=True,
        ),
    )

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "stats", self.stats)

    @server_only
    async def stats(self, request: Request, text: str) -> Reply:
        return await self._stats(request, _days(text, "stats"))

    @admin_only(N_("see the question statistics"))
    async def _stats(self, request: Request, days: int) -> Reply:
        since = self.team.now() - timedelta(days=days)
        await self.team.app.answering.journal.flush_quietly()  # what was just asked counts
        async with self.team.db.session() as session:
            s = await kl.stats(session, platform=request.platform, workspace=request.workspace, since=since)
        sections = [
            Section(
                text=ngettext(
                    "{n} question asked, {share} answered ({answered}); 👍 {up} · 👎 {down}.",
                    "{n} questions asked, {share} answered ({answered}); 👍 {up} · 👎 {down}.",
                    s.asked,
                ).format(n=s.asked, share=f"{s.share_answered:.0%}", answered=s.answered, up=s.up, down=s.down)
            )
        ]
        if s.top_topics:
            sections.append(
                Section(
                    heading=_("Top topics"), bullets=tuple(f"{_title(self.team, t)} — {n}×" for t, n in s.top_topics)
                )
            )
        if s.top_gaps:
            sections.append(
                Section(
                    heading=_("Top gaps"),
                    bullets=tuple(
                        _("“{text}” — asked {asked}×").format(text=g.text[:80], asked=g.asked) for g in s.top_gaps
                    ),
                )
            )
            sections.append(Section(text=_("`/cos-service gaps` lists them with Teach and Dismiss buttons.")))
        title = ngettext("Questions: the last {n} day", "Questions: the last {n} days", days).format(n=days)
        return Reply(title=title, sections=tuple(sections))
