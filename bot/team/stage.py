"""The team's stage of the development path and its milestones."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.kernel.auth import admin_only, is_admin, require_admin, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, current_lang, month_year
from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import Action, HelpLine, Router
from bot.scheduler.recurrence import zone
from bot.scheduler.registry import Deliveries
from bot.team import audit, store
from bot.team.base import SANE_YEARS, TeamFeature, add_months, parse_mentions
from bot.team.delivery.context import load_stage
from bot.team.delivery.reminders import MILESTONE, MILESTONE_SCHEDULE
from bot.team.models import Milestone, TeamStage

__all__ = ["StageCommands", "STAGES"]

STAGES = {
    "early": ("phase.early-commercialization", 24),
    "growth": ("phase.commercialization-growth", 36),
    "maturity": ("phase.commercialization-maturity", 36),
    "leadership": ("phase.commercialization-leadership", 36),
}
_SINCE = re.compile(r"^(\d{4})-(\d{2})$")
_STAGE_USAGE = N_("for example `/cos-service stage early since 2026-03`")
_MILESTONE_USAGE = N_(
    "Use `/cos-service milestone done <number>`, `milestone reopen <number>`, "
    "`milestone owner <number> @user` or `milestone date <number> YYYY-MM-DD`."
)


class StageCommands(TeamFeature):
    """``stage [<phase> [since YYYY-MM]]``, ``milestones``, ``milestone done|reopen|owner|date <n> ...``."""

    HELP = (
        HelpLine(
            command="cos-service",
            usage="/cos-service stage [early|growth|maturity|leadership] [since YYYY-MM]",
            what=N_("the team's phase of the development path (admins set it)"),
        ),
        HelpLine(command="cos-service", usage="/cos-service milestones", what=N_("milestone status, owners and dates")),
        HelpLine(
            command="cos-service",
            usage="/cos-service milestone done|reopen|owner|date <n> ...",
            what=N_("change a milestone"),
            admin=True,
        ),
    )

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_kind(MILESTONE)
        deliveries.add_schedule_kind(MILESTONE_SCHEDULE)
        deliveries.add_planner_context(load_stage)

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "stage", self.stage)
        self.add_subcommand(router, "cos-service", "milestones", self.milestones)
        self.add_subcommand(router, "cos-service", "milestone", self.milestone)
        router.add_action("milestone.done", self.action_milestone_done)

    # -- stage ------------------------------------------------------------------------
    @server_only
    async def stage(self, request: Request, text: str) -> Reply:
        words = text.lower().split()
        if not words:
            return await self._show_stage(request)
        name = words[0]
        if name not in STAGES:
            hits = self.team.searcher.search(f"stage {text}", limit=1)
            if hits and hits[0].exact:
                # A title of the overview ("stage characteristics"), not a stage to set.
                return self.team.router.knowledge.reply("cos-service", f"stage {text}", lang=current_lang())
            raise UserError(
                _("“{name}” is not a stage. Use one of: early, growth, maturity, leadership — {usage}.").format(
                    name=name[:30], usage=_(_STAGE_USAGE)
                )
            )
        since = self._parse_since(words[1:]) if len(words) > 1 else None
        return await self._set_stage(request, name, since)

    async def _show_stage(self, request: Request) -> Reply:
        async with self.team.db.session() as session:
            stage = await store.get_stage(session, platform=request.platform, workspace=request.workspace)
        if stage is None:
            return Reply(
                title=_("No stage set yet"),
                sections=(
                    Section(
                        text=_(
                            "An admin sets it with `/cos-service stage <early|growth|maturity|leadership> "
                            "[since YYYY-MM]`, {usage}."
                        ).format(usage=_(_STAGE_USAGE))
                    ),
                ),
            )
        return Reply(
            title=_("Stage: {phase} since {month}").format(
                phase=self.team.phase_title(stage.phase_id), month=month_year(stage.since)
            )
        )

    def _parse_since(self, words: list[str]) -> date:
        if (
            len(words) != 2
            or words[0] != "since"
            or not (m := _SINCE.match(words[1]))
            or not 1 <= int(m.group(2)) <= 12
        ):
            raise UserError(_("Write the start as `since YYYY-MM`, {usage}.").format(usage=_(_STAGE_USAGE)))
        year = int(m.group(1))
        if not SANE_YEARS[0] <= year <= SANE_YEARS[1]:
            raise UserError(
                _(
                    "{year} is out of range; give a start between {first} and {last}, for example `since 2026-03`."
                ).format(year=year, first=SANE_YEARS[0], last=SANE_YEARS[1])
            )
        since = date(year, int(m.group(2)), 1)
        if since > (self.team.now() + timedelta(days=366)).date():
            raise UserError(
                _(
                    "{month} is more than a year ahead; the stage is where the team is now. "
                    "Give the month it started, e.g. `since 2026-03`."
                ).format(month=month_year(since))
            )
        return since

    @admin_only(N_("set the company stage"))
    async def _set_stage(self, request: Request, name: str, since: date | None) -> Reply:
        phase_id, months = STAGES[name]
        phase = self.team.kb.get(phase_id)
        if phase is None:
            raise UserError(
                _("The knowledge store has no phase {phase}; ask your admin to check the content files.").format(
                    phase=phase_id
                )
            )
        now = self.team.now()
        where = {"platform": request.platform, "workspace": request.workspace}
        async with self.team.db.session() as session:
            tz = await self.team.zone_for(session, request)
            since = since or now.astimezone(zone(tz)).date().replace(day=1)
            stage = await store.get_stage(session, **where)
            before = {"stage": stage.phase_id, "since": stage.since.isoformat()} if stage is not None else None
            await audit.record(
                session,
                request,
                action="stage.set",
                before=before,
                at=now,
                after={"stage": phase_id, "since": since.isoformat()},
            )
            if stage is None:
                stage = TeamStage(
                    **where,
                    phase_id=phase_id,
                    since=since,
                    channel=request.channel,
                    tz=tz,
                    set_by=request.user,
                    updated_at=now,
                )
                session.add(stage)
            else:
                stage.phase_id, stage.since, stage.channel, stage.tz = phase_id, since, request.channel, tz
                stage.set_by, stage.updated_at = request.user, now
            existing = await store.milestones_by_position(session, **where, phase_id=phase_id)
            n = len(phase.items)
            for i, item in enumerate(phase.items, 1):
                due = add_months(since, round(months * i / n))
                if i in existing:
                    if existing[i].status == "open":
                        existing[i].due_on = due
                    continue
                session.add(
                    Milestone(
                        **where,
                        phase_id=phase_id,
                        position=i,
                        title=item,
                        owner=None,
                        due_on=due,
                        status="open",
                        updated_at=now,
                    )
                )
            await store.add_milestone_schedule(
                session, **where, channel=request.channel, tz=tz, user=request.user, now=now
            )
            await session.flush()
            ms = await store.milestones_of(session, stage=stage)
        return self._milestone_reply(
            stage, ms, title=_("Stage set: {phase} since {month}").format(phase=phase.title, month=month_year(since))
        )

    # -- milestones -----------------------------------------------------------------------
    def _milestone_reply(self, stage: TeamStage, ms: list[Milestone], *, title: str) -> Reply:
        today = self.team.now().astimezone(zone(stage.tz)).date()
        bullets = []
        for m in ms:
            box = "[x]" if m.status == "done" else ("[!]" if m.due_on < today else "[ ]")
            state = _("done") if m.status == "done" else (_("OVERDUE") if m.due_on < today else _("open"))
            bullets.append(
                _("{position}. {box} {title} — target {due}, owner {owner}, {state}").format(
                    position=m.position,
                    box=box,
                    title=m.title,
                    due=m.due_on,
                    owner=mention(m.owner) if m.owner else _("not set"),
                    state=state,
                )
            )
        done = sum(m.status == "done" for m in ms)
        return Reply(
            title=title,
            fields=(
                Field(_("Done"), _("{done} of {total}").format(done=done, total=len(ms))),
                Field(_("Reminders"), _("09:00 {tz}, a week ahead and on the date").format(tz=stage.tz)),
            ),
            sections=(
                Section(heading=_("Milestones"), bullets=tuple(bullets)),
                Section(
                    text=_(
                        "Change one with `/cos-service milestone done|owner|date <number> ...`, "
                        "e.g. `/cos-service milestone owner 2 @U1001` or `milestone date 2 2026-12-01`."
                    )
                ),
            ),
            buttons=tuple(
                Button(
                    _("Done: {position}. {title}").format(position=m.position, title=m.title)[:70],
                    "milestone.done",
                    str(m.id),
                )
                for m in ms
                if m.status == "open"
            )[:5],
            footer=_("Development path › {phase}").format(phase=self.team.phase_title(stage.phase_id)),
        )

    @server_only
    async def milestones(self, request: Request, text: str) -> Reply:
        if not text.strip():
            async with self.team.db.session() as session:
                stage = await store.get_stage(session, platform=request.platform, workspace=request.workspace)
                ms = await store.milestones_of(session, stage=stage) if stage is not None else []
            if stage is not None:
                title = _("Milestones: {phase}").format(phase=self.team.phase_title(stage.phase_id))
                return self._milestone_reply(stage, ms, title=title)
        return self.team.router.knowledge.milestones(text, current_lang())

    @server_only
    async def milestone(self, request: Request, text: str) -> Reply:
        words = text.split()
        if (
            len(words) < 2
            or words[0].lower() not in ("done", "reopen", "owner", "date")
            or not words[1].isdigit()
            or len(words[1]) > 4
        ):
            raise UserError(_(_MILESTONE_USAGE))
        verb, pos, value = words[0].lower(), int(words[1]), words[2:]
        change: dict[str, object]
        if verb == "owner":
            if len(value) != 1:
                raise UserError(_("Name one owner, e.g. `/cos-service milestone owner 2 @U1001`."))
            change = {"owner": parse_mentions(value)[0]}
        elif verb == "date":
            change = {"due_on": self._parse_due(value)}
        else:
            change = {"status": "done" if verb == "done" else "open"}
        return await self._change_milestone(request, pos, change)

    def _parse_due(self, value: list[str]) -> date:
        try:
            due = date.fromisoformat(value[0]) if len(value) == 1 else None
        except ValueError:
            due = None
        if due is None:
            raise UserError(_("Write the target date as YYYY-MM-DD, e.g. `/cos-service milestone date 2 2026-12-01`."))
        if not SANE_YEARS[0] <= due.year <= SANE_YEARS[1]:
            raise UserError(
                _("{date} is out of range; give a target date between {first} and {last}.").format(
                    date=due.isoformat(), first=SANE_YEARS[0], last=SANE_YEARS[1]
                )
            )
        return due

    async def _change_milestone(self, request: Request, pos: int, change: dict[str, object]) -> Reply:
        async with self.team.db.session() as session:
            stage = await store.get_stage(session, platform=request.platform, workspace=request.workspace)
            if stage is None:
                raise UserError(
                    _(
                        "No stage is set, so no milestones are tracked. An admin starts with "
                        "`/cos-service stage early since 2026-03`."
                    )
                )
            ms = await store.milestones_of(session, stage=stage)
            m = next((x for x in ms if x.position == pos), None)
            if m is None:
                raise UserError(
                    _("There is no milestone {position}; this stage has {count} (1 to {count}).").format(
                        position=pos, count=len(ms)
                    )
                )
            if "status" not in change:
                require_admin(request, self.admins, N_("change milestone owners and dates"))
            elif not (is_admin(request, self.admins) or request.user == m.owner):
                # Its owner may mark their own milestone done; anyone else needs an admin.
                require_admin(request, self.admins, N_("change a milestone (its owner may mark it done)"))
            now = self.team.now()
            await audit.record(
                session,
                request,
                action=f"milestone.{next(iter(change))}",
                at=now,
                target=f"milestone {pos}: {m.title}",
                before={k: _plain(getattr(m, k)) for k in change},
                after={k: _plain(v) for k, v in change.items()},
            )
            if "status" in change:
                m.done_at = now if change["status"] == "done" else None
            for name, value in change.items():
                setattr(m, name, value)
            m.updated_at = now
            await session.flush()
            ms = await store.milestones_of(session, stage=stage)
        return self._milestone_reply(
            stage, ms, title=_("Milestone {position} updated: {title}").format(position=pos, title=m.title)
        )

    async def action_milestone_done(self, action: Action) -> Reply | None:
        if not action.value.isdigit() or len(action.value) > 9:
            return None
        async with self.team.db.session() as session:
            m = await session.get(Milestone, int(action.value))
            if m is None or m.platform != action.platform or m.workspace != action.workspace:
                return None
            pos = m.position
        return await self.milestone(action.as_request("cos-service"), f"done {pos}")


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value
