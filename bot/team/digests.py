"""Channel digests: ``digest daily|weekly <day>|monthly <n> HH:MM [zone]``, ``digest now``, ``digest off``."""

from __future__ import annotations

import uuid
from typing import Any

from bot.kernel.auth import admin_only, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.scheduler.registry import Deliveries
from bot.team import audit, store
from bot.team.base import TeamFeature, parse_when, trailing_zone
from bot.team.delivery.digest import DIGEST, DIGEST_SCHEDULE
from bot.team.schedules import add_schedule, scheduled_reply

__all__ = ["DigestCommands"]

_EXAMPLE = "`/cos-service digest weekly monday 09:00 Europe/Berlin`"


class DigestCommands(TeamFeature):
    """A channel's digests."""

    HELP = (
        HelpLine(
            command="cos-service",
            usage="/cos-service digest <daily|weekly <weekday>|monthly <day>> HH:MM [zone] | now | off",
            what=N_("a channel digest of what is due"),
            admin=True,
        ),
    )

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_kind(DIGEST)
        deliveries.add_schedule_kind(DIGEST_SCHEDULE)

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "digest", self.digest)
        self.add_subcommand(router, "cos-service", "digest now", self.digest_now)
        self.add_subcommand(router, "cos-service", "digest off", self.digest_off)

    @server_only
    async def digest(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            raise UserError(
                _(
                    "Say when, e.g. {example}, `/cos-service digest daily 14:05 UTC`, `digest now` or `digest off`."
                ).format(example=_EXAMPLE)
            )
        fields, rest = parse_when(words, allow=("daily", "weekly", "monthly"), example=_EXAMPLE)
        if "hour" not in fields:
            raise UserError(_("Give the time as HH:MM, e.g. `/cos-service digest daily 14:05 UTC`."))
        return await self._schedule(request, fields, trailing_zone(rest))

    @admin_only(N_("schedule digests"))
    async def _schedule(self, request: Request, fields: dict[str, Any], tz_word: str | None) -> Reply:
        sched, _replaced, existed = await add_schedule(
            self.team, request, kind="digest", fields=fields, tz_word=tz_word, audit_action="digest.schedule"
        )
        return await scheduled_reply(self.team, sched, _("Digest scheduled"), existed=existed)

    @server_only
    @admin_only(N_("post a digest"))
    async def digest_now(self, request: Request, text: str) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            await store.queue_now(
                session,
                key=f"digest:{request.platform}:{request.workspace}:now:{uuid.uuid4().hex}",
                platform=request.platform,
                workspace=request.workspace,
                kind="digest",
                channel=request.channel,
                tz=self.team.settings.default_tz,
                now=now,
            )
            await audit.record(session, request, action="digest.now", target=f"channel {request.channel}", at=now)
        self.team.scheduler.wake.set()
        return Reply(
            title=_("Posting a digest in this channel now"),
            sections=(Section(text=_("It goes out through the delivery queue within a few seconds.")),),
        )

    @server_only
    @admin_only(N_("turn digests off"))
    async def digest_off(self, request: Request, text: str) -> Reply:
        async with self.team.db.session() as session:
            ids = await store.active_schedule_ids(
                session, platform=request.platform, workspace=request.workspace, kind="digest", channel=request.channel
            )
            await store.deactivate_schedules(session, ids=ids)
            if ids:
                await audit.record(
                    session,
                    request,
                    action="digest.off",
                    target=f"channel {request.channel}",
                    before={"schedules": ids},
                    after=None,
                    at=self.team.now(),
                )
        if not ids:
            return Reply(
                title=_("There was no digest in this channel"),
                sections=(Section(text=_("Start one with {example}.").format(example=_EXAMPLE)),),
            )
        return Reply(title=_("Digest off"), sections=(Section(text=_("No more digests in this channel.")),))
