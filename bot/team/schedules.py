"""Schedules: list, remove, time zones; and the shared steps of creating one (digests, check-ins, reviews)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.auth import Asker, admin_only, is_admin, require_admin, server_only
from bot.kernel.errors import NotFound, UserError
from bot.kernel.lang import N_, _, current_lang, ngettext
from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import Action, HelpLine, Router
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import Context, Occurrence, generate, load_context, participants_of, rule_of
from bot.scheduler.recurrence import describe, zone
from bot.scheduler.registry import Deliveries
from bot.team import audit, store
from bot.team.base import Team, TeamFeature
from bot.team.delivery.context import load_members

__all__ = [
    "ScheduleCommands",
    "add_schedule",
    "next_runs",
    "scheduled_reply",
    "when",
    "remove_schedule",
    "pause_schedule",
    "resume_schedule",
    "parse_schedule_id",
    "workspace_schedules",
    "kind_name",
]

# What each kind of schedule is called in a reply.
_KINDS = {
    "digest": N_("digest"),
    "checkin": N_("checkin"),
    "risk_review": N_("risk review"),
    "milestone": N_("milestone"),
    "nudge": N_("nudge"),
}
_WEEKDAYS_ZH = "一二三四五六日"


def kind_name(kind: str) -> str:
    """``risk_review`` → "risk review", in the reply's language."""
    return _(_KINDS[kind]) if kind in _KINDS else kind.replace("_", " ")


async def add_schedule(
    team: Team,
    request: Request,
    *,
    kind: str,
    fields: dict[str, Any],
    tz_word: str | None,
    participants: list[str] | None = None,
    questions: list[str] | None = None,
    replace_in_workspace: bool = False,
    audit_action: str | None = None,
) -> tuple[Schedule, list[int], bool]:
    """Store a schedule. Returns it, the ids it replaced, and whether it already existed.

    The same schedule asked for twice (same kind, channel, cadence, time, zone and
    participants) is kept once; ``replace_in_workspace`` keeps one of its kind per workspace.
    ``audit_action`` names the audit entry a new schedule is recorded under.
    """
    now = team.now()
    replaced: list[int] = []
    where = {"platform": request.platform, "workspace": request.workspace}
    async with team.db.session() as session:
        tz = await team.zone_for(session, request, tz_word)
        twin = await store.find_twin_schedule(
            session, **where, kind=kind, channel=request.channel, fields=fields, tz=tz
        )
        if twin is not None and twin.participants == (json.dumps(participants) if participants is not None else None):
            session.expunge(twin)
            return twin, [], True
        if replace_in_workspace:
            replaced = await store.active_schedule_ids(session, **where, kind=kind)
            await store.deactivate_schedules(session, ids=replaced)
        sched = Schedule(
            **where,
            kind=kind,
            channel=request.channel,
            cadence=fields["cadence"],
            weekday=fields.get("weekday"),
            day=fields.get("day"),
            hour=fields.get("hour", 9),
            minute=fields.get("minute", 0),
            tz=tz,
            skip_weekends=bool(fields.get("skip_weekends")),
            participants=json.dumps(participants) if participants is not None else None,
            questions=json.dumps(questions) if questions is not None else None,
            active=True,
            planned_until=now,
            created_by=request.user,
            created_at=now,
        )
        session.add(sched)
        await session.flush()
        if audit_action:
            await audit.record(
                session,
                request,
                action=audit_action,
                target=f"schedule {sched.id}",
                before={"replaced": replaced} if replaced else None,
                at=now,
                after={
                    "when": describe(rule_of(sched)),
                    "channel": sched.channel,
                    **({"participants": participants} if participants is not None else {}),
                },
            )
        session.expunge(sched)
    return sched, replaced, False


async def next_runs(team: Team, sched: Schedule, limit: int = 1, *, ctx: Context | None = None) -> list[Occurrence]:
    """The schedule's next ``limit`` deliveries (nudges left out), looking up to a year ahead.

    ``ctx`` is the workspace's context when the caller has it (a list reads it once, not per schedule).
    """
    if ctx is None:
        async with team.db.session() as session:
            ctx = await load_context(
                session, sched.platform, sched.workspace, team.settings.default_tz, team.deliveries
            )
    now = team.now()  # from now: what was planned ahead of now is still to come
    occs: list[Occurrence] = []
    for days in (40, 400):
        occs = [o for o in generate(sched, ctx, now, now + timedelta(days=days)) if o.kind != "nudge"]
        if len(occs) >= limit:
            break
    return occs[:limit]


def when(o: Occurrence) -> str:
    """``Mon 09 Mar 2026 09:00 Europe/Berlin`` (``2026-03-09 周一 09:00 Europe/Berlin`` in Chinese)."""
    if current_lang() == "zh":
        return f"{o.local:%Y-%m-%d} 周{_WEEKDAYS_ZH[o.local.weekday()]} {o.local:%H:%M} {o.tz}"
    return f"{o.local:%a %d %b %Y %H:%M} {o.tz}"


async def scheduled_reply(
    team: Team, sched: Schedule, title: str, *, replaced: Sequence[int] = (), existed: bool = False
) -> Reply:
    """What the person who created ``sched`` is told: when it runs next, and how to remove it."""
    nxt = await next_runs(team, sched, limit=3)
    note = ""
    if replaced:
        note = _(" It replaces schedule {ids} (one per workspace).").format(ids=", ".join(map(str, replaced)))
    if existed:
        title = _("Already scheduled")
    runs = tuple(when(o) + (f" → {o.target}" if o.target_type == "dm" else "") for o in nxt)
    return Reply(
        title=_("{title} (schedule {id})").format(title=title, id=sched.id),
        fields=(Field(_("When"), describe(rule_of(sched))),),
        sections=(
            Section(heading=_("Next runs"), bullets=runs or (_("none in the next year"),)),
            Section(text=_("Remove it with `/cos-service unschedule {id}`.").format(id=sched.id) + note),
        ),
        buttons=(Button(_("Remove"), "schedule.remove", str(sched.id), style="danger"),),
    )


def parse_schedule_id(text: str, verb: str) -> int:
    """``3`` or ``#3`` -> 3; anything else is explained."""
    sid = text.strip().lstrip("#")
    if not sid.isdigit() or len(sid) > 9:
        raise UserError(
            _("Give the schedule's id, e.g. `/cos-service {verb} 3`; `/cos-service schedules` lists them.").format(
                verb=verb
            )
        )
    return int(sid)


async def _workspace_schedule(session: AsyncSession, asker: Asker, sid: int) -> Schedule:
    """The asker's workspace's schedule ``sid`` (running or paused); ``NotFound`` for any other id."""
    sched = await session.get(Schedule, sid)
    if (
        sched is None
        or sched.platform != asker.platform
        or sched.workspace != asker.workspace
        or not (sched.active or sched.paused_at is not None)
    ):
        raise NotFound(_("There is no schedule {id} here; `/cos-service schedules` lists them.").format(id=sid))
    return sched


async def workspace_schedules(session: AsyncSession, *, platform: str, workspace: str) -> list[Schedule]:
    """The workspace's running and paused schedules, oldest first."""
    query = (
        select(Schedule)
        .where(
            Schedule.platform == platform,
            Schedule.workspace == workspace,
            or_(Schedule.active.is_(True), Schedule.paused_at.is_not(None)),
        )
        .order_by(Schedule.id)
    )
    return list((await session.execute(query)).scalars())


async def remove_schedule(team: Team, asker: Asker, sid: int) -> Reply:
    """Delete a schedule of the asker's workspace (admins), with its audit entry: chat and dashboard alike."""
    require_admin(asker, team.settings.admins, _("remove schedules"))
    async with team.db.session() as session:
        sched = await _workspace_schedule(session, asker, sid)
        await store.deactivate_schedules(session, ids=[sched.id])
        sched.paused_at = None
        kind = sched.kind
        await audit.record(
            session,
            asker,
            action="schedule.remove",
            target=f"schedule {sid}",
            before={"kind": kind, "when": describe(rule_of(sched)), "channel": sched.channel},
            at=team.now(),
        )
    return Reply(
        title=_("Schedule {id} removed").format(id=sid),
        sections=(Section(text=_("No more {kind} messages from it.").format(kind=kind_name(kind))),),
    )


async def pause_schedule(team: Team, asker: Asker, sid: int) -> Reply:
    """Stop a schedule until it is resumed (admins): nothing queued goes out, nothing missed is sent later."""
    require_admin(asker, team.settings.admins, _("pause schedules"))
    now = team.now()
    async with team.db.session() as session:
        sched = await _workspace_schedule(session, asker, sid)
        if sched.paused_at is not None:
            raise UserError(
                _("Schedule {id} is paused already; `/cos-service resume {id}` restarts it.").format(id=sid)
            )
        await store.deactivate_schedules(session, ids=[sched.id])
        sched.paused_at = now
        await audit.record(
            session,
            asker,
            action="schedule.pause",
            target=f"schedule {sid}",
            before={"kind": sched.kind, "when": describe(rule_of(sched))},
            at=now,
        )
    return Reply(
        title=_("Schedule {id} paused").format(id=sid),
        sections=(Section(text=_("Nothing goes out from it until `/cos-service resume {id}`.").format(id=sid)),),
    )


async def resume_schedule(team: Team, asker: Asker, sid: int) -> Reply:
    """Restart a paused schedule from now (admins); what fell due while paused is not sent."""
    require_admin(asker, team.settings.admins, _("resume schedules"))
    now = team.now()
    async with team.db.session() as session:
        sched = await _workspace_schedule(session, asker, sid)
        if sched.paused_at is None:
            raise UserError(_("Schedule {id} is not paused.").format(id=sid))
        sched.active, sched.paused_at, sched.planned_until = True, None, now
        await audit.record(
            session,
            asker,
            action="schedule.resume",
            target=f"schedule {sid}",
            after={"kind": sched.kind, "when": describe(rule_of(sched))},
            at=now,
        )
    return Reply(
        title=_("Schedule {id} resumed").format(id=sid), sections=(Section(text=_("It runs again from now on.")),)
    )


class ScheduleCommands(TeamFeature):
    """``schedules``, ``unschedule <id>``, ``pause <id>``, ``resume <id>``, ``timezone [workspace] <zone>``."""

    HELP = (
        HelpLine(command="cos-service", usage="/cos-service schedules", what=N_("every schedule with its next run")),
        HelpLine(command="cos-service", usage="/cos-service unschedule <id>", what=N_("remove a schedule"), admin=True),
        HelpLine(
            command="cos-service",
            usage="/cos-service timezone <zone>",
            what=N_("set your time zone (admins: `timezone workspace <zone>`)"),
        ),
    )

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_planner_context(load_members)  # people's own zones, set with ``timezone``

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "schedules", self.schedules)
        self.add_subcommand(router, "cos-service", "unschedule", self.unschedule)
        self.add_subcommand(router, "cos-service", "timezone", self.timezone)
        self.add_subcommand(router, "cos-service", "pause", self.pause)
        self.add_subcommand(router, "cos-service", "resume", self.resume)
        router.add_action("schedule.remove", self.action_unschedule)

    @server_only
    async def schedules(self, request: Request, text: str) -> Reply:
        where = {"platform": request.platform, "workspace": request.workspace}
        async with self.team.db.session() as session:
            scheds = await workspace_schedules(session, **where)
            dead = await store.dead_letters(session, platform=request.platform, workspace=request.workspace)
            ctx = await load_context(
                session, request.platform, request.workspace, self.team.settings.default_tz, self.team.deliveries
            )
        bullets = []
        for s in scheds:
            if s.paused_at is not None:
                bullets.append(f"{s.id}: {s.kind.replace('_', ' ')} in {s.channel} — paused (`resume {s.id}`)")
                continue
            nxt = await next_runs(self.team, s, ctx=ctx)
            at = when(nxt[0]) if nxt else _("nothing due")
            if s.kind == "milestone":
                what = _("milestone reminders at 09:00 {tz}").format(tz=s.tz)
            else:
                what = describe(rule_of(s))
            who = ""
            if s.kind == "checkin":
                who = _(" for {people}").format(people=" ".join(mention(u) for u in participants_of(s)))
            bullets.append(
                _("{id}: {kind} in {channel}{who} — {what} — next {at}").format(
                    id=s.id, kind=kind_name(s.kind), channel=s.channel, who=who, what=what, at=at
                )
            )
        sections = [Section(bullets=tuple(bullets) or (_("No schedules yet."),))]
        if dead and is_admin(request, self.admins):
            sections.append(
                Section(
                    heading=_("Undelivered (dead-lettered) messages"),
                    bullets=tuple(
                        ngettext(
                            "{kind} to {target} due {due} UTC after {n} attempt: {error}",
                            "{kind} to {target} due {due} UTC after {n} attempts: {error}",
                            d.attempts,
                        ).format(
                            kind=d.kind,
                            target=d.target,
                            due=f"{d.due_at:%Y-%m-%d %H:%M}",
                            n=d.attempts,
                            error=(d.last_error or "")[:120],
                        )
                        for d in dead
                    ),
                )
            )
        sections.append(Section(text=_("Remove one with `/cos-service unschedule <id>`.")))
        return Reply(title=_("Schedules"), sections=tuple(sections))

    @server_only
    async def unschedule(self, request: Request, text: str) -> Reply:
        return await self._remove(request, parse_schedule_id(text, "unschedule"))

    async def _remove(self, request: Request, sid: int) -> Reply:
        return await remove_schedule(self.team, request, sid)

    @server_only
    async def pause(self, request: Request, text: str) -> Reply:
        return await pause_schedule(self.team, request, parse_schedule_id(text, "pause"))

    @server_only
    async def resume(self, request: Request, text: str) -> Reply:
        return await resume_schedule(self.team, request, parse_schedule_id(text, "resume"))

    async def action_unschedule(self, action: Action) -> Reply | None:
        return await self.unschedule(action.as_request("cos-service"), action.value)

    @server_only
    async def timezone(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            async with self.team.db.session() as session:
                ctx = await load_context(
                    session, request.platform, request.workspace, self.team.settings.default_tz, self.team.deliveries
                )
            return Reply(
                title=_("Your time zone: {tz}").format(tz=ctx.tz_of(request.user)),
                sections=(
                    Section(
                        text=_(
                            "Set yours with `/cos-service timezone Europe/Berlin`; an admin sets the workspace's with "
                            "`/cos-service timezone workspace Europe/Berlin`."
                        )
                    ),
                ),
            )
        if words[0].lower() == "workspace" and len(words) == 2:
            return await self._workspace_zone(request, zone(words[1]).key)
        if len(words) != 1:
            raise UserError(
                _("Use `/cos-service timezone Europe/Berlin` (yours) or `timezone workspace Europe/Berlin`.")
            )
        tz = zone(words[0]).key
        async with self.team.db.session() as session:
            await store.set_member_tz(
                session,
                platform=request.platform,
                workspace=request.workspace,
                user=request.user,
                tz=tz,
                now=self.team.now(),
            )
        return Reply(
            title=_("Your time zone: {tz}").format(tz=tz),
            sections=(Section(text=_("Check-ins reach you at their local time in this zone.")),),
        )

    @admin_only(N_("set the workspace time zone"))
    async def _workspace_zone(self, request: Request, tz: str) -> Reply:
        async with self.team.db.session() as session:
            before = await store.workspace_tz(session, platform=request.platform, workspace=request.workspace)
            await audit.record(
                session, request, action="timezone.workspace", before=before, after=tz, at=self.team.now()
            )
            await store.set_workspace_tz(
                session, platform=request.platform, workspace=request.workspace, tz=tz, now=self.team.now()
            )
        return Reply(title=_("Workspace time zone: {tz}").format(tz=tz))
