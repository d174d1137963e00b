"""Schedules: list, remove, time zones; and the shared steps of creating one (digests, check-ins, reviews)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.kernel.auth import admin_only, is_admin, server_only
from bot.kernel.errors import UserError
from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import Action, Router
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import Context, Occurrence, generate, load_context, participants_of, rule_of
from bot.scheduler.recurrence import describe, zone
from bot.team import audit, store
from bot.team.base import Team, TeamFeature

__all__ = ["ScheduleCommands", "add_schedule", "next_runs", "scheduled_reply", "when"]


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
            ctx = await load_context(session, sched.platform, sched.workspace, team.settings.default_tz)
    now = team.now()
    start = max(now, sched.planned_until)
    occs: list[Occurrence] = []
    for days in (40, 400):
        occs = [o for o in generate(sched, ctx, start, now + timedelta(days=days)) if o.kind != "nudge"]
        if len(occs) >= limit:
            break
    return occs[:limit]


def when(o: Occurrence) -> str:
    return f"{o.local:%a %d %b %Y %H:%M} {o.tz}"


async def scheduled_reply(
    team: Team, sched: Schedule, title: str, *, replaced: Sequence[int] = (), existed: bool = False
) -> Reply:
    """What the person who created ``sched`` is told: when it runs next, and how to remove it."""
    nxt = await next_runs(team, sched, limit=3)
    note = f" It replaces schedule {', '.join(map(str, replaced))} (one per workspace)." if replaced else ""
    if existed:
        title = "Already scheduled"
    runs = tuple(when(o) + (f" → {o.target}" if o.target_type == "dm" else "") for o in nxt)
    return Reply(
        title=f"{title} (schedule {sched.id})",
        fields=(Field("When", describe(rule_of(sched))),),
        sections=(
            Section(heading="Next runs", bullets=runs or ("none in the next year",)),
            Section(text=f"Remove it with `/cos-service unschedule {sched.id}`.{note}"),
        ),
        buttons=(Button("Remove", "schedule.remove", str(sched.id), style="danger"),),
    )


class ScheduleCommands(TeamFeature):
    """``schedules``, ``unschedule <id>``, ``timezone [workspace] <zone>``."""

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "schedules", self.schedules)
        self.add_subcommand(router, "cos-service", "unschedule", self.unschedule)
        self.add_subcommand(router, "cos-service", "timezone", self.timezone)
        router.add_action("schedule.remove", self.action_unschedule)

    @server_only
    async def schedules(self, request: Request, text: str) -> Reply:
        where = {"platform": request.platform, "workspace": request.workspace}
        async with self.team.db.session() as session:
            scheds = await store.active_schedules(session, **where)
            dead = await store.dead_letters(session, platform=request.platform, workspace=request.workspace)
            ctx = await load_context(session, request.platform, request.workspace, self.team.settings.default_tz)
        bullets = []
        for s in scheds:
            nxt = await next_runs(self.team, s, ctx=ctx)
            at = when(nxt[0]) if nxt else "nothing due"
            what = describe(rule_of(s)) if s.kind != "milestone" else f"milestone reminders at 09:00 {s.tz}"
            who = ""
            if s.kind == "checkin":
                who = " for " + " ".join(mention(u) for u in participants_of(s))
            bullets.append(f"{s.id}: {s.kind.replace('_', ' ')} in {s.channel}{who} — {what} — next {at}")
        sections = [Section(bullets=tuple(bullets) or ("No schedules yet.",))]
        if dead and is_admin(request, self.admins):
            sections.append(
                Section(
                    heading="Undelivered (dead-lettered) messages",
                    bullets=tuple(
                        f"{d.kind} to {d.target} due {d.due_at:%Y-%m-%d %H:%M} UTC after {d.attempts} attempts: "
                        f"{(d.last_error or '')[:120]}"
                        for d in dead
                    ),
                )
            )
        sections.append(Section(text="Remove one with `/cos-service unschedule <id>`."))
        return Reply(title="Schedules", sections=tuple(sections))

    @server_only
    async def unschedule(self, request: Request, text: str) -> Reply:
        sid = text.strip().lstrip("#")
        if not sid.isdigit() or len(sid) > 9:
            raise UserError(
                "Give the schedule's id, e.g. `/cos-service unschedule 3`; `/cos-service schedules` lists them."
            )
        return await self._remove(request, int(sid))

    @admin_only("remove schedules")
    async def _remove(self, request: Request, sid: int) -> Reply:
        async with self.team.db.session() as session:
            sched = await store.get_schedule(
                session, platform=request.platform, workspace=request.workspace, schedule_id=sid
            )
            if sched is None:
                raise UserError(f"There is no schedule {sid} here; `/cos-service schedules` lists them.")
            await store.deactivate_schedules(session, ids=[sched.id])
            kind = sched.kind
            await audit.record(
                session,
                request,
                action="schedule.remove",
                target=f"schedule {sid}",
                before={"kind": kind, "when": describe(rule_of(sched)), "channel": sched.channel},
                at=self.team.now(),
            )
        return Reply(
            title=f"Schedule {sid} removed",
            sections=(Section(text=f"No more {kind.replace('_', ' ')} messages from it."),),
        )

    async def action_unschedule(self, action: Action) -> Reply | None:
        return await self.unschedule(action.as_request("cos-service"), action.value)

    @server_only
    async def timezone(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            async with self.team.db.session() as session:
                ctx = await load_context(session, request.platform, request.workspace, self.team.settings.default_tz)
            return Reply(
                title=f"Your time zone: {ctx.tz_of(request.user)}",
                sections=(
                    Section(
                        text="Set yours with `/cos-service timezone Europe/Berlin`; an admin sets the workspace's with "
                        "`/cos-service timezone workspace Europe/Berlin`."
                    ),
                ),
            )
        if words[0].lower() == "workspace" and len(words) == 2:
            return await self._workspace_zone(request, zone(words[1]).key)
        if len(words) != 1:
            raise UserError("Use `/cos-service timezone Europe/Berlin` (yours) or `timezone workspace Europe/Berlin`.")
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
            title=f"Your time zone: {tz}",
            sections=(Section(text="Check-ins reach you at their local time in this zone."),),
        )

    @admin_only("set the workspace time zone")
    async def _workspace_zone(self, request: Request, tz: str) -> Reply:
        async with self.team.db.session() as session:
            before = await store.workspace_tz(session, platform=request.platform, workspace=request.workspace)
            await audit.record(
                session, request, action="timezone.workspace", before=before, after=tz, at=self.team.now()
            )
            await store.set_workspace_tz(
                session, platform=request.platform, workspace=request.workspace, tz=tz, now=self.team.now()
            )
        return Reply(title=f"Workspace time zone: {tz}")
