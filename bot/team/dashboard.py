"""``/cos-service dashboard``: a one-time sign-in link to the web dashboard, for the asker alone.

The link is bound to the platform, workspace, person and role the platform reported, valid
10 minutes, usable once (``bot.dashboard.auth``). ``dashboard signout`` ends the asker's sessions.
The reply is ephemeral on Slack and Discord and offers no "Share in channel".
"""

from __future__ import annotations

from bot.kernel.auth import is_admin, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import _, lang_of_locale, ngettext
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import Router
from bot.team.base import TeamFeature

__all__ = ["DashboardCommands"]


class DashboardCommands(TeamFeature):
    """``dashboard`` and ``dashboard signout``."""

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "dashboard", self.dashboard)
        self.add_subcommand(router, "cos-service", "dashboard signout", self.signout)

    @server_only
    async def dashboard(self, request: Request, text: str) -> Reply:
        if text.strip():
            raise UserError(
                _("Use `/cos-service dashboard` for a sign-in link, or `/cos-service dashboard signout` to sign out.")
            )
        from bot.dashboard.auth import make_link

        role = "admin" if is_admin(request, self.admins) else "member"
        url = await make_link(
            self.team.app,
            platform=request.platform,
            workspace=request.workspace,
            user=request.user,
            role=role,
            lang=lang_of_locale(request.locale),
        )
        return Reply(
            title=_("Your dashboard sign-in link"),
            sections=(
                Section(text=url),
                Section(
                    text=_(
                        "It works once, for 10 minutes, and signs you in as yourself ({role}): do not share it. "
                        "`/cos-service dashboard signout` ends your dashboard sessions."
                    ).format(role=_("admin") if role == "admin" else _("member"))
                ),
            ),
            ephemeral=True,
        )

    @server_only
    async def signout(self, request: Request, text: str) -> Reply:
        from bot.dashboard.auth import sign_out_person

        ended = await sign_out_person(self.team.app, request)
        if not ended:
            return Reply(
                title=_("You are not signed in to the dashboard"), sections=(Section(text=_("Nothing to end.")),)
            )
        return Reply(
            title=_("Signed out of the dashboard"),
            sections=(
                Section(
                    text=ngettext(
                        "{n} session ended; unused sign-in links no longer work.",
                        "{n} sessions ended; unused sign-in links no longer work.",
                        ended,
                    ).format(n=ended)
                ),
            ),
        )
