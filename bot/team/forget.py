"""``/cos-service forget me``: a person asks the workspace to forget them (after a confirmation)."""

from __future__ import annotations

from bot.kernel.auth import server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import Action, HelpLine, Router
from bot.team.base import TeamFeature

__all__ = ["ForgetCommands"]

_USAGE = N_(
    "Use `/cos-service forget me` to have this workspace forget you (it asks you to confirm), "
    "or `/cos-service forget me confirm`. To delete only your check-in answers: `/cos-service checkin forget`."
)


class ForgetCommands(TeamFeature):
    """``forget me [confirm]`` and its confirmation button."""

    HELP = (
        HelpLine(
            command="cos-service", usage="/cos-service forget me", what=N_("erase everything stored about you here")
        ),
    )

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "forget", self.forget)
        router.add_action("forget.me", self.action_confirm)

    @server_only
    async def forget(self, request: Request, text: str) -> Reply:
        words = text.lower().split()
        if not words or words[0] != "me" or len(words) > 2 or (len(words) == 2 and words[1] != "confirm"):
            raise UserError(_(_USAGE))
        if len(words) == 1:
            return Reply(
                title=_("Forget you in this workspace?"),
                sections=(
                    Section(
                        text=_(
                            "This deletes your check-in answers and participation, your time zone and "
                            "member record and messages queued for you, and clears the milestones and "
                            "risks you own. The audit log keeps what changed but no longer names you. "
                            "It cannot be undone."
                        )
                    ),
                    Section(text=_("Press the button, or type `/cos-service forget me confirm`.")),
                ),
                buttons=(Button(_("Forget me"), "forget.me", "confirm", style="danger"),),
            )
        return await self._forget(request)

    async def _forget(self, request: Request) -> Reply:
        from bot.privacy import forget_person

        await self.team.app.answering.journal.flush()  # their questions still queued are forgotten too
        counts = await forget_person(
            self.team.db, platform=request.platform, workspace=request.workspace, user=request.user, now=self.team.now()
        )
        self.team.known_tz.pop((request.platform, request.workspace, request.user), None)
        done = sum(counts.values())
        return Reply(
            title=_("You are forgotten in this workspace"),
            sections=(
                Section(
                    text=ngettext(
                        "{n} record deleted or cleared. If you use the bot again here, "
                        "it starts a new record (your time zone, for example).",
                        "{n} records deleted or cleared. If you use the bot again here, "
                        "it starts a new record (your time zone, for example).",
                        done,
                    ).format(n=done)
                ),
            ),
        )

    async def action_confirm(self, action: Action) -> Reply | None:
        if action.value != "confirm":
            return None
        return await self.forget(action.as_request("cos-service"), "me confirm")
