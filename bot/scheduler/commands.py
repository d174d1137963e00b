"""Team commands: stage and milestones, digests, check-ins, schedules, the risk register.

Handlers return Replies and never send; proactive messages go through the
outbox. Only admins change things; anyone may read. Bad input raises
``UserError`` before anything is stored.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import PermissionDenied, UserError
from bot.reply import Button, Field, Reply, Section
from bot.request import Request
from bot.router import Action
from bot.safety import clean_input
from bot.scheduler import outbox
from bot.scheduler.messages import CADENCE_DAYS, mention, review_due
from bot.scheduler.models import (
    OUTBOX_DEAD,
    OUTBOX_PENDING,
    OUTBOX_SKIPPED,
    CheckinAnswer,
    Member,
    Milestone,
    Outbox,
    RiskItem,
    Schedule,
    TeamStage,
)
from bot.scheduler.plan import Occurrence, generate, load_context, participants_of
from bot.scheduler.recurrence import (
    WEEKDAYS,
    Rule,
    describe,
    parse_hhmm,
    parse_weekday,
    zone,
)
from bot.storage.models import Workspace

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduler.service import Scheduler

__all__ = ["TeamCommands", "STAGES", "REGISTER_KINDS", "parse_mentions", "answer_rows", "answer_record",
           "forget_answers", "format_records"]

STAGES = {
    "early": ("phase.early-commercialization", 24),
    "growth": ("phase.commercialization-growth", 36),
    "maturity": ("phase.commercialization-maturity", 36),
    "leadership": ("phase.commercialization-leadership", 36),
}
REGISTER_KINDS = ("business_risk", "governance", "compliance")
RATINGS = ("low", "medium", "high")
# Words people use for a rating that the register does not keep (answered with the three it does).
_RATING_LIKE = frozenset({"critical", "severe", "urgent", "minor", "moderate", "med", "hi", "lo", "red", "amber",
                          "green", "yellow", "none", "major", "serious", "negligible"})
_MENTION = re.compile(r"^(?:<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>|@([A-Za-z0-9._-]+))$")
_BLOCKER = re.compile(r"\b(blocker|blocked|blocking|stuck|can'?t proceed|cannot proceed|impediment)\b", re.I)
_SINCE = re.compile(r"^(\d{4})-(\d{2})$")
# Dates a person can mean for a stage start or a milestone target.
_SANE_YEARS = (1990, 2100)
_ADMIN_WHO = ("Slack workspace admins and owners, Discord members with Manage Server, "
              "and the user ids listed in COS_ADMINS")


def parse_mentions(words: list[str]) -> list[str]:
    """``@U1001``, ``<@U1001>``, ``<@U1001|ann>``, ``<@1234>``, ``<@!1234>`` -> user ids (in order, unique)."""
    users: list[str] = []
    for w in words:
        m = _MENTION.match(w.strip(","))
        if m is None:
            raise UserError(f"“{w[:40]}” is not a person. Mention participants like @U1001 (Slack) or @name.")
        uid = m.group(1) or m.group(2)
        if uid.lower() in ("everyone", "here", "channel"):
            raise UserError("Name a person, not @everyone/@here/@channel: check-ins and owners are individual "
                            "people. Mention each one, e.g. @U1001.")
        if uid not in users:
            users.append(uid)
    return users


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


class TeamCommands:
    """The scheduler's sub-commands, actions and DM handler."""

    def __init__(self, app: App, scheduler: Scheduler) -> None:
        self.app = app
        self.scheduler = scheduler
        self._known_tz: dict[tuple[str, str, str], str] = {}

    def register(self) -> None:
        r = self.app.router
        for word, handler in (
            ("stage", self.stage), ("milestones", self.milestones), ("milestone", self.milestone),
            ("digest", self.digest), ("checkin", self.checkin), ("check-in", self.checkin),
            ("schedules", self.schedules), ("unschedule", self.unschedule), ("timezone", self.timezone),
        ):
            r.add_subcommand("cos-service", word, self._wrap(handler))
        for word, handler in (("schedule", self.risk_schedule), ("review", self.risk_review),
                              ("register", self.register_list), ("owner", self.risk_owner)):
            r.add_subcommand("cos-risk", word, self._wrap(handler))
        r.add_action("milestone.done", self.action_milestone_done)
        r.add_action("risk.review", self.action_risk_review)
        r.add_action("risk.rate", self.action_risk_rate)
        r.add_action("schedule.remove", self.action_unschedule)
        r.add_dm_handler(self.dm)

    # -- helpers --------------------------------------------------------------
    def _wrap(self, handler: Any) -> Any:
        async def wrapped(request: Request, text: str) -> Reply:
            if request.platform == "discord" and request.workspace == "dm":
                raise UserError("Team commands work in a server channel, not in a direct message: "
                                "schedules, the stage and the register belong to a server.")
            await self._touch_member(request)
            return await handler(request, text)

        return wrapped

    def is_admin(self, role: str, user: str) -> bool:
        return role == "admin" or user in self.app.settings.admins

    def require_admin(self, role: str, user: str, what: str) -> None:
        if not self.is_admin(role, user):
            raise PermissionDenied(
                f"Only admins can {what}: {_ADMIN_WHO}. You ({user}) are not one of them; "
                "ask an admin, or ask your operator to add your user id to COS_ADMINS. Anyone may read the "
                "schedules, milestones and register."
            )

    def _now(self) -> datetime:
        return self.app.clock.now()

    async def _touch_member(self, request: Request) -> None:
        """Remember the asker's time zone (written only when it changed since this process last saw it)."""
        if not request.tz:
            return
        key = (request.platform, request.workspace, request.user)
        if self._known_tz.get(key) == request.tz:
            return
        try:
            zone(request.tz)
        except UserError:
            return
        async with self.app.db.session() as session:
            await _set_member_tz(session, request.platform, request.workspace, request.user, request.tz, self._now())
        if len(self._known_tz) > 10_000:
            self._known_tz.clear()
        self._known_tz[key] = request.tz

    async def _zone_for(self, session: AsyncSession, request: Request, explicit: str | None) -> str:
        if explicit:
            return zone(explicit).key
        if request.tz:
            try:
                zone(request.tz)
                return request.tz
            except UserError:
                pass
        ws = await session.get(Workspace, f"{request.platform}:{request.workspace}")
        if ws is not None and ws.tz:
            return ws.tz
        return self.app.settings.default_tz

    async def _stage(self, session: AsyncSession, platform: str, workspace: str) -> TeamStage | None:
        return (await session.execute(select(TeamStage).where(TeamStage.platform == platform,
                                                              TeamStage.workspace == workspace))).scalar_one_or_none()

    async def _milestones(self, session: AsyncSession, stage: TeamStage) -> list[Milestone]:
        return list((await session.execute(
            select(Milestone).where(Milestone.platform == stage.platform, Milestone.workspace == stage.workspace,
                                    Milestone.phase_id == stage.phase_id).order_by(Milestone.position)
        )).scalars())

    # -- stage and milestones -------------------------------------------------
    async def stage(self, request: Request, text: str) -> Reply:
        words = text.lower().split()
        if not words:
            async with self.app.db.session() as session:
                stage = await self._stage(session, request.platform, request.workspace)
            if stage is None:
                return Reply(title="No stage set yet", sections=(Section(
                    text="An admin sets it with `/cos-service stage <early|growth|maturity|leadership> "
                         "[since YYYY-MM]`, for example `/cos-service stage early since 2026-03`."),))
            phase = self.app.kb.get(stage.phase_id)
            return Reply(title=f"Stage: {phase.title if phase else stage.phase_id} since {stage.since:%B %Y}")
        name = words[0]
        if name not in STAGES:
            hits = self.app.searcher.search(f"stage {text}", limit=1)
            if hits and hits[0].exact:
                # A title of the overview ("stage characteristics"), not a stage to set.
                return self.app.router.knowledge.reply("cos-service", f"stage {text}")
            raise UserError(f"“{name[:30]}” is not a stage. Use one of: early, growth, maturity, leadership — "
                            "for example `/cos-service stage early since 2026-03`.")
        since: date | None = None
        if len(words) > 1:
            if len(words) != 3 or words[1] != "since" or not (m := _SINCE.match(words[2])) or not 1 <= int(m.group(2)) <= 12:
                raise UserError("Write the start as `since YYYY-MM`, for example `/cos-service stage early since 2026-03`.")
            year = int(m.group(1))
            if not _SANE_YEARS[0] <= year <= _SANE_YEARS[1]:
                raise UserError(f"{year} is out of range; give a start between {_SANE_YEARS[0]} and "
                                f"{_SANE_YEARS[1]}, for example `since 2026-03`.")
            since = date(year, int(m.group(2)), 1)
            if since > (self._now() + timedelta(days=366)).date():
                raise UserError(f"{since:%B %Y} is more than a year ahead; the stage is where the team is now. "
                                "Give the month it started, e.g. `since 2026-03`.")
        self.require_admin(request.role, request.user, "set the company stage")
        phase_id, months = STAGES[name]
        phase = self.app.kb.get(phase_id)
        if phase is None:
            raise UserError(f"The knowledge store has no phase {phase_id}; ask your admin to check the content files.")
        now = self._now()
        async with self.app.db.session() as session:
            tz = await self._zone_for(session, request, None)
            since = since or now.astimezone(zone(tz)).date().replace(day=1)
            stage = await self._stage(session, request.platform, request.workspace)
            if stage is None:
                stage = TeamStage(platform=request.platform, workspace=request.workspace, phase_id=phase_id,
                                  since=since, channel=request.channel, tz=tz, set_by=request.user, updated_at=now)
                session.add(stage)
            else:
                stage.phase_id, stage.since, stage.channel, stage.tz = phase_id, since, request.channel, tz
                stage.set_by, stage.updated_at = request.user, now
            existing = {m.position: m for m in (await session.execute(
                select(Milestone).where(Milestone.platform == request.platform,
                                        Milestone.workspace == request.workspace, Milestone.phase_id == phase_id)
            )).scalars()}
            n = len(phase.items)
            for i, item in enumerate(phase.items, 1):
                due = _add_months(since, round(months * i / n))
                if i in existing:
                    if existing[i].status == "open":
                        existing[i].due_on = due
                    continue
                session.add(Milestone(platform=request.platform, workspace=request.workspace, phase_id=phase_id,
                                      position=i, title=item, owner=None, due_on=due, status="open", updated_at=now))
            sched = (await session.execute(select(Schedule).where(
                Schedule.platform == request.platform, Schedule.workspace == request.workspace,
                Schedule.kind == "milestone"))).scalars().first()
            if sched is None:
                session.add(Schedule(platform=request.platform, workspace=request.workspace, kind="milestone",
                                     channel=request.channel, cadence="dates", hour=9, minute=0, tz=tz,
                                     skip_weekends=False, active=True, planned_until=now, created_by=request.user,
                                     created_at=now))
            else:
                sched.channel, sched.tz, sched.active = request.channel, tz, True
                if sched.planned_until < now:
                    sched.planned_until = now
            await session.flush()
            ms = await self._milestones(session, stage)
        reply = self._milestone_reply(request.platform, stage, ms, title=f"Stage set: {phase.title} since {since:%B %Y}")
        return reply

    def _milestone_reply(self, platform: str, stage: TeamStage, ms: list[Milestone], *, title: str) -> Reply:
        today = self._now().astimezone(zone(stage.tz)).date()
        bullets = []
        for m in ms:
            box = "[x]" if m.status == "done" else ("[!]" if m.due_on < today else "[ ]")
            state = "done" if m.status == "done" else ("OVERDUE" if m.due_on < today else "open")
            bullets.append(f"{m.position}. {box} {m.title} — target {m.due_on}, "
                           f"owner {mention(platform, m.owner) if m.owner else 'not set'}, {state}")
        done = sum(m.status == "done" for m in ms)
        return Reply(
            title=title,
            fields=(Field("Done", f"{done} of {len(ms)}"), Field("Reminders", f"09:00 {stage.tz}, a week ahead and on the date")),
            sections=(Section(heading="Milestones", bullets=tuple(bullets)),
                      Section(text="Change one with `/cos-service milestone done|owner|date <number> ...`, "
                                   "e.g. `/cos-service milestone owner 2 @U1001` or `milestone date 2 2026-12-01`.")),
            buttons=tuple(Button(f"Done: {m.position}. {m.title}"[:70], "milestone.done", str(m.id))
                          for m in ms if m.status == "open")[:5],
            footer=f"Development path › {_phase_title(self.app, stage.phase_id)}",
        )

    async def milestones(self, request: Request, text: str) -> Reply:
        if not text.strip():
            async with self.app.db.session() as session:
                stage = await self._stage(session, request.platform, request.workspace)
                ms = await self._milestones(session, stage) if stage is not None else []
            if stage is not None:
                phase = self.app.kb.get(stage.phase_id)
                return self._milestone_reply(request.platform, stage, ms,
                                             title=f"Milestones: {phase.title if phase else stage.phase_id}")
        return self.app.router.knowledge.milestones(text)

    async def milestone(self, request: Request, text: str) -> Reply:
        words = text.split()
        usage = ("Use `/cos-service milestone done <number>`, `milestone reopen <number>`, "
                 "`milestone owner <number> @user` or `milestone date <number> YYYY-MM-DD`.")
        if len(words) < 2 or words[0].lower() not in ("done", "reopen", "owner", "date") or not words[1].isdigit() \
                or len(words[1]) > 4:
            raise UserError(usage)
        verb, pos = words[0].lower(), int(words[1])
        value = words[2:]
        owner: str | None = None
        due: date | None = None
        if verb == "owner":
            if len(value) != 1:
                raise UserError("Name one owner, e.g. `/cos-service milestone owner 2 @U1001`.")
            owner = parse_mentions(value)[0]
        if verb == "date":
            try:
                due = date.fromisoformat(value[0]) if len(value) == 1 else None
            except ValueError:
                due = None
            if due is None:
                raise UserError("Write the target date as YYYY-MM-DD, e.g. `/cos-service milestone date 2 2026-12-01`.")
            if not _SANE_YEARS[0] <= due.year <= _SANE_YEARS[1]:
                raise UserError(f"{due.isoformat()} is out of range; give a target date between "
                                f"{_SANE_YEARS[0]} and {_SANE_YEARS[1]}.")
        async with self.app.db.session() as session:
            stage = await self._stage(session, request.platform, request.workspace)
            if stage is None:
                raise UserError("No stage is set, so no milestones are tracked. An admin starts with "
                                "`/cos-service stage early since 2026-03`.")
            ms = await self._milestones(session, stage)
            m = next((x for x in ms if x.position == pos), None)
            if m is None:
                raise UserError(f"There is no milestone {pos}; this stage has {len(ms)} (1 to {len(ms)}).")
            if verb in ("done", "reopen"):
                if not (self.is_admin(request.role, request.user) or request.user == m.owner):
                    self.require_admin(request.role, request.user, "change a milestone (its owner may mark it done)")
            else:
                self.require_admin(request.role, request.user, "change milestone owners and dates")
            now = self._now()
            if verb == "done":
                m.status, m.done_at = "done", now
            elif verb == "reopen":
                m.status, m.done_at = "open", None
            elif verb == "owner":
                m.owner = owner
            else:
                assert due is not None
                m.due_on = due
            m.updated_at = now
            await session.flush()
            ms = await self._milestones(session, stage)
        return self._milestone_reply(request.platform, stage, ms, title=f"Milestone {pos} updated: {m.title}")

    async def action_milestone_done(self, action: Action) -> Reply | None:
        if not action.value.isdigit() or len(action.value) > 9:
            return None
        async with self.app.db.session() as session:
            m = await session.get(Milestone, int(action.value))
            if m is None or m.platform != action.platform or m.workspace != action.workspace:
                return None
            pos = m.position
        request = Request(platform=action.platform, workspace=action.workspace, channel=action.channel,
                          user=action.user, command="cos-service", role=action.role, tz=action.tz)
        return await self.milestone(request, f"done {pos}")

    # -- schedules ------------------------------------------------------------
    def _parse_when(self, words: list[str], *, allow: tuple[str, ...], example: str) -> tuple[dict[str, Any], list[str]]:
        """``daily 14:05``, ``weekly monday 09:00``, ``monthly 15 09:00`` -> rule fields and the rest."""
        if not words:
            raise UserError(f"Say how often and when, e.g. {example}.")
        cadence = words[0].lower()
        rest = words[1:]
        fields: dict[str, Any] = {"cadence": cadence, "weekday": None, "day": None, "skip_weekends": False}
        if cadence in ("weekdays", "workdays"):
            fields.update(cadence="daily", skip_weekends=True)
        elif (wd := parse_weekday(cadence)) is not None and "weekly" in allow:
            fields.update(cadence="weekly", weekday=wd)
        elif cadence not in allow:
            raise UserError(f"“{cadence[:20]}” is not a day or cadence I know here. Use {', '.join(allow)} "
                            f"(or a weekday); e.g. {example}.")
        elif cadence == "weekly":
            if not rest or (wd := parse_weekday(rest[0])) is None:
                raise UserError(f"Weekly needs a weekday ({', '.join(WEEKDAYS)}), e.g. {example}.")
            fields["weekday"], rest = wd, rest[1:]
        elif cadence == "monthly" and rest and rest[0].isdigit():
            if not 1 <= int(rest[0]) <= 31:
                raise UserError("The day of the month is 1 to 31 (the last day is used in shorter months).")
            fields["day"], rest = int(rest[0]), rest[1:]
        if rest and ":" in rest[0]:
            fields["hour"], fields["minute"] = parse_hhmm(rest[0])
            rest = rest[1:]
        if rest and rest[-1].lower() in ("weekdays", "skip-weekends", "no-weekends"):
            fields["skip_weekends"] = True
            rest = rest[:-1]
        return fields, rest

    async def _add_schedule(self, request: Request, *, kind: str, fields: dict[str, Any], tz_word: str | None,
                            participants: list[str] | None = None, questions: list[str] | None = None,
                            replace_in_workspace: bool = False) -> tuple[Schedule, list[int], bool]:
        """Store a schedule. Returns it, the ids it replaced, and whether it already existed.

        The same schedule asked for twice (same kind, channel, cadence, time, zone and
        participants) is kept once; ``replace_in_workspace`` keeps one of its kind per workspace.
        """
        now = self._now()
        replaced: list[int] = []
        async with self.app.db.session() as session:
            tz = await self._zone_for(session, request, tz_word)
            same_kind = [Schedule.platform == request.platform, Schedule.workspace == request.workspace,
                         Schedule.kind == kind, Schedule.active.is_(True)]
            twin = (await session.execute(select(Schedule).where(
                *same_kind, Schedule.channel == request.channel, Schedule.cadence == fields["cadence"],
                Schedule.weekday.is_(fields.get("weekday")) if fields.get("weekday") is None
                else Schedule.weekday == fields.get("weekday"),
                Schedule.day.is_(fields.get("day")) if fields.get("day") is None else Schedule.day == fields.get("day"),
                Schedule.hour == fields.get("hour", 9), Schedule.minute == fields.get("minute", 0),
                Schedule.tz == tz, Schedule.skip_weekends.is_(bool(fields.get("skip_weekends"))),
            ).limit(1))).scalar_one_or_none()
            if twin is not None and twin.participants == (json.dumps(participants) if participants is not None
                                                          else None):
                session.expunge(twin)
                return twin, [], True
            if replace_in_workspace:
                replaced = sorted((await session.execute(select(Schedule.id).where(*same_kind))).scalars().all())
                await _deactivate(session, replaced)
            sched = Schedule(platform=request.platform, workspace=request.workspace, kind=kind, channel=request.channel,
                             cadence=fields["cadence"], weekday=fields.get("weekday"), day=fields.get("day"),
                             hour=fields.get("hour", 9), minute=fields.get("minute", 0), tz=tz,
                             skip_weekends=bool(fields.get("skip_weekends")),
                             participants=json.dumps(participants) if participants is not None else None,
                             questions=json.dumps(questions) if questions is not None else None,
                             active=True, planned_until=now, created_by=request.user, created_at=now)
            session.add(sched)
            await session.flush()
            session.expunge(sched)
        return sched, replaced, False

    async def _next_runs(self, sched: Schedule, limit: int = 1) -> list[Occurrence]:
        async with self.app.db.session() as session:
            ctx = await load_context(session, sched.platform, sched.workspace, self.app.settings.default_tz)
        now = self._now()
        start = max(now, sched.planned_until)
        occs: list[Occurrence] = []
        for days in (40, 400):
            occs = [o for o in generate(sched, ctx, start, now + timedelta(days=days)) if o.kind != "nudge"]
            if len(occs) >= limit:
                break
        return occs[:limit]

    def _when(self, o: Occurrence) -> str:
        return f"{o.local:%a %d %b %Y %H:%M} {o.tz}"

    async def digest(self, request: Request, text: str) -> Reply:
        words = text.split()
        first = words[0].lower() if words else ""
        if first == "now":
            self.require_admin(request.role, request.user, "post a digest")
            now = self._now()
            occ = Occurrence(at=now, tz=self.app.settings.default_tz, kind="digest", platform=request.platform,
                             workspace=request.workspace, target_type="channel", target=request.channel,
                             channel=request.channel, schedule_id=0, extra=(("now", uuid.uuid4().hex[:10]),))
            async with self.app.db.session() as session:
                await session.execute(outbox.insert_ignore(session, Outbox).values(
                    key=f"digest:{request.platform}:{request.workspace}:now:{uuid.uuid4().hex}",
                    platform=request.platform, workspace=request.workspace, schedule_id=None, kind="digest",
                    target_type="channel", target=request.channel, channel=request.channel, due_at=now,
                    tz=occ.tz, payload="{}", status=OUTBOX_PENDING, attempts=0, next_attempt_at=now,
                    fallback=False, created_at=now))
            self.scheduler.wake.set()
            return Reply(title="Posting a digest in this channel now",
                         sections=(Section(text="It goes out through the delivery queue within a few seconds."),))
        if first == "off":
            self.require_admin(request.role, request.user, "turn digests off")
            async with self.app.db.session() as session:
                ids = (await session.execute(select(Schedule.id).where(
                    Schedule.platform == request.platform, Schedule.workspace == request.workspace,
                    Schedule.kind == "digest", Schedule.channel == request.channel, Schedule.active.is_(True)
                ))).scalars().all()
                await _deactivate(session, ids)
            if not ids:
                return Reply(title="There was no digest in this channel", sections=(Section(
                    text="Start one with `/cos-service digest weekly monday 09:00 Europe/Berlin`."),))
            return Reply(title="Digest off", sections=(Section(text="No more digests in this channel."),))
        if not words:
            raise UserError("Say when, e.g. `/cos-service digest weekly monday 09:00 Europe/Berlin`, "
                            "`/cos-service digest daily 14:05 UTC`, `digest now` or `digest off`.")
        fields, rest = self._parse_when(words, allow=("daily", "weekly", "monthly"),
                                        example="`/cos-service digest weekly monday 09:00 Europe/Berlin`")
        if "hour" not in fields:
            raise UserError("Give the time as HH:MM, e.g. `/cos-service digest daily 14:05 UTC`.")
        if len(rest) > 1:
            raise UserError(f"I did not understand “{' '.join(rest)[:60]}”. Expected at most a time zone "
                            "such as Europe/Berlin after the time.")
        tz_word = rest[0] if rest else None
        if tz_word:
            zone(tz_word)
        self.require_admin(request.role, request.user, "schedule digests")
        sched, _, existed = await self._add_schedule(request, kind="digest", fields=fields, tz_word=tz_word)
        return await self._scheduled_reply(sched, "Digest scheduled", existed=existed)

    async def _scheduled_reply(self, sched: Schedule, title: str, *, replaced: Sequence[int] = (),
                               existed: bool = False) -> Reply:
        nxt = await self._next_runs(sched, limit=3)
        note = f" It replaces schedule {', '.join(map(str, replaced))} (one per workspace)." if replaced else ""
        if existed:
            title = "Already scheduled"
        return Reply(
            title=f"{title} (schedule {sched.id})",
            fields=(Field("When", describe(_rule(sched))),),
            sections=(Section(heading="Next runs", bullets=tuple(self._when(o) + (f" → {o.target}" if o.target_type == "dm" else "")
                                                                  for o in nxt) or ("none in the next year",)),
                      Section(text=f"Remove it with `/cos-service unschedule {sched.id}`.{note}")),
            buttons=(Button("Remove", "schedule.remove", str(sched.id), style="danger"),),
        )

    async def checkin(self, request: Request, text: str) -> Reply:
        words = text.split()
        if words and words[0].lower() == "questions":
            return await self._checkin_questions(request, words[1:])
        if words and words[0].lower() in ("answers", "export", "forget"):
            handler = {"answers": self._checkin_answers, "export": self._checkin_export,
                       "forget": self._checkin_forget}[words[0].lower()]
            return await handler(request, words[1:])
        if not words:
            raise UserError("Say when and who, e.g. `/cos-service checkin friday 16:00 @U1001 @U1002`.")
        fields, rest = self._parse_when(words, allow=("daily", "weekly"),
                                        example="`/cos-service checkin friday 16:00 @U1001 @U1002`")
        if "hour" not in fields:
            raise UserError("Give the time as HH:MM, e.g. `/cos-service checkin friday 16:00 @U1001 @U1002`.")
        if not rest:
            raise UserError("Mention who to ask, e.g. `/cos-service checkin friday 16:00 @U1001 @U1002`.")
        users = parse_mentions(rest)
        self.require_admin(request.role, request.user, "schedule check-ins")
        questions = await self._default_questions(request)
        sched, _, existed = await self._add_schedule(request, kind="checkin", fields=fields, tz_word=None,
                                                     participants=users, questions=questions)
        reply = await self._scheduled_reply(sched, "Check-in scheduled", existed=existed)
        return Reply(title=reply.title, fields=reply.fields + (Field("Participants", " ".join(
            mention(request.platform, u) for u in users)),),
            sections=(Section(heading="Questions", bullets=tuple(questions)), *reply.sections,
                      Section(text=f"Each person is asked at that time in their own time zone. Edit the questions "
                                   f"with `/cos-service checkin questions {sched.id} first? | second?`.")),
            buttons=reply.buttons)

    async def _default_questions(self, request: Request) -> list[str]:
        qs = ["What did you move forward since the last check-in?"]
        async with self.app.db.session() as session:
            stage = await self._stage(session, request.platform, request.workspace)
            if stage is not None:
                open_ms = [m for m in await self._milestones(session, stage) if m.status == "open"]
                if open_ms:
                    qs[0] = f"What moved forward on “{open_ms[0].title}” (or another milestone)?"
            items = list((await session.execute(select(RiskItem).where(
                RiskItem.platform == request.platform, RiskItem.workspace == request.workspace))).scalars())
        qs.append("Is anything blocking you? (Say “blocker: …” and it goes into the risk register.)")
        due = [i for i in items if review_due(i, self._now())]
        if due:
            qs.append(f"Anything new on our risks, e.g. {due[0].title}?")
        else:
            qs.append("Do you see a new risk the team should review?")
        return qs

    async def _checkin_questions(self, request: Request, words: list[str]) -> Reply:
        if not words or not words[0].isdigit() or len(words[0]) > 9 or len(words) < 2:
            raise UserError("Use `/cos-service checkin questions <schedule id> first question? | second question?`.")
        questions = [q.strip() for q in " ".join(words[1:]).split("|") if q.strip()]
        if not 1 <= len(questions) <= 6 or any(len(q) > 200 for q in questions):
            raise UserError("Give 1 to 6 questions of up to 200 characters, separated by |.")
        self.require_admin(request.role, request.user, "edit check-in questions")
        async with self.app.db.session() as session:
            sched = await session.get(Schedule, int(words[0]))
            if sched is None or sched.kind != "checkin" or not sched.active or sched.platform != request.platform \
                    or sched.workspace != request.workspace:
                raise UserError(f"There is no check-in {words[0]} here; `/cos-service schedules` lists them.")
            sched.questions = json.dumps(questions)
        return Reply(title=f"Check-in {words[0]} questions updated", sections=(Section(bullets=tuple(questions)),))

    # -- check-in answers: list, export, forget ----------------------------------
    def _answers_scope(self, request: Request, words: list[str], *, usage: str, allow_since: bool = True,
                       allow_format: bool = False) -> tuple[str | None, date | None, str | None]:
        """``[@user|all] [since YYYY-MM-DD] [json|csv]`` -> (user or None for everyone, since, format).

        Anyone may name themselves; naming another person or ``all`` needs an admin.
        """
        user: str | None = request.user
        since: date | None = None
        fmt: str | None = None
        named = False
        i = 0
        while i < len(words):
            w = words[i]
            low = w.lower()
            if low == "since" and allow_since:
                try:
                    since = date.fromisoformat(words[i + 1]) if i + 1 < len(words) else None
                except ValueError:
                    since = None
                if since is None:
                    raise UserError(f"Write the start as `since YYYY-MM-DD`. {usage}")
                i += 2
                continue
            if low in ("json", "csv") and allow_format and fmt is None:
                fmt = low
            elif low in ("all", "everyone") and not named:
                user, named = None, True
            elif not named and _MENTION.match(w.strip(",")):
                user, named = parse_mentions([w])[0], True
            else:
                raise UserError(f"I did not understand “{w[:40]}”. {usage}")
            i += 1
        return user, since, fmt

    async def _answer_rows(self, session: AsyncSession, request: Request, user: str | None,
                           since: date | None) -> list[CheckinAnswer]:
        start = None
        if since is not None:
            tz = await self._zone_for(session, request, None)
            start = datetime.combine(since, datetime.min.time(), zone(tz))
        return await answer_rows(session, platform=request.platform, workspace=request.workspace, user=user,
                                 since=start)

    def _require_scope(self, request: Request, user: str | None, what: str) -> None:
        if user != request.user:
            self.require_admin(request.role, request.user, what)

    async def _checkin_answers(self, request: Request, words: list[str]) -> Reply:
        usage = "Use `/cos-service checkin answers [@user|all] [since YYYY-MM-DD]`."
        user, since, _ = self._answers_scope(request, words, usage=usage)
        self._require_scope(request, user, "read other people's check-in answers")
        async with self.app.db.session() as session:
            rows = await self._answer_rows(session, request, user, since)
            tz = await self._zone_for(session, request, None)
        whose = "yours" if user == request.user else ("everyone's" if user is None
                                                      else mention(request.platform, user) + "'s")
        shown = rows[-_ANSWERS_SHOWN:][::-1]  # the most recent first
        bullets = []
        for a in shown:
            pairs = [f"{q} → {ans}" if q else ans for q, ans in _pairs(a) if ans is not None]
            bullets.append(f"{a.occurrence_at.astimezone(zone(tz)):%a %d %b %Y} "
                           + (f"{mention(request.platform, a.user)}: " if user != request.user else "")
                           + " / ".join(pairs)[:400])
        if len(rows) > len(shown):
            bullets.append(f"... and {len(rows) - len(shown)} older; `/cos-service checkin export` has them all.")
        return Reply(
            title=f"Check-in answers ({whose}): {len(rows)}" + (f" since {since:%Y-%m-%d}" if since else ""),
            sections=(Section(bullets=tuple(bullets) or ("No check-in answers recorded.",)),
                      Section(text="Export with `/cos-service checkin export json|csv`; delete yours with "
                                   "`/cos-service checkin forget`.")),
        )

    async def _checkin_export(self, request: Request, words: list[str]) -> Reply:
        usage = "Use `/cos-service checkin export [json|csv] [@user|all] [since YYYY-MM-DD]`."
        user, since, fmt = self._answers_scope(request, words, usage=usage, allow_format=True)
        fmt = fmt or "json"
        self._require_scope(request, user, "export other people's check-in answers")
        async with self.app.db.session() as session:
            rows = await self._answer_rows(session, request, user, since)
        records = [answer_record(a) for a in rows]
        # Keep the newest records that fit one message; the operator CLI exports everything.
        kept = list(records)
        data = format_records(kept, fmt)
        while kept and len(data) > _EXPORT_CHARS:
            kept = kept[max(1, len(kept) // 10):] if len(data) > 2 * _EXPORT_CHARS else kept[1:]
            data = format_records(kept, fmt)
        note = (f"All {len(records)} answer(s)." if len(kept) == len(records) else
                f"The newest {len(kept)} of {len(records)} answer(s) fit in one message; older ones: add "
                "`since YYYY-MM-DD`, or ask your operator for `cos-bot checkin export`.")
        whose = "yours" if user == request.user else ("everyone's" if user is None
                                                      else mention(request.platform, user) + "'s")
        return Reply(
            title=f"Check-in export ({whose}, {fmt}): {len(kept)} answer(s)",
            sections=(Section(text=note), Section(text="```\n" + data.replace("```", "`\u200b`\u200b`") + "\n```")),
        )

    async def _checkin_forget(self, request: Request, words: list[str]) -> Reply:
        usage = ("Use `/cos-service checkin forget` (your answers), or, for admins, "
                 "`/cos-service checkin forget @user` or `checkin forget all`.")
        user, _, _ = self._answers_scope(request, words, usage=usage, allow_since=False)
        self._require_scope(request, user, "delete other people's check-in answers")
        async with self.app.db.session() as session:
            deleted = await forget_answers(session, platform=request.platform, workspace=request.workspace,
                                           user=user)
        whose = "your" if user == request.user else ("every" if user is None
                                                     else mention(request.platform, user) + "'s")
        return Reply(title=f"Deleted {deleted} check-in answer(s)" + ("" if user is None else f" ({whose})"),
                     sections=(Section(text=(f"{deleted} recorded answer(s) of {whose} check-ins in this workspace are "
                                             "gone; they no longer show up in digests or exports.") if deleted else
                                       "There was nothing to delete."),))

    async def schedules(self, request: Request, text: str) -> Reply:
        async with self.app.db.session() as session:
            scheds = list((await session.execute(select(Schedule).where(
                Schedule.platform == request.platform, Schedule.workspace == request.workspace,
                Schedule.active.is_(True)).order_by(Schedule.id))).scalars())
            dead = list((await session.execute(select(Outbox).where(
                Outbox.platform == request.platform, Outbox.workspace == request.workspace,
                Outbox.status == OUTBOX_DEAD).order_by(Outbox.due_at.desc()).limit(10))).scalars())
        bullets = []
        for s in scheds:
            nxt = await self._next_runs(s)
            when = self._when(nxt[0]) if nxt else "nothing due"
            what = describe(_rule(s)) if s.kind != "milestone" else f"milestone reminders at 09:00 {s.tz}"
            who = ""
            if s.kind == "checkin":
                who = " for " + " ".join(mention(request.platform, u) for u in participants_of(s))
            bullets.append(f"{s.id}: {s.kind.replace('_', ' ')} in {s.channel}{who} — {what} — next {when}")
        sections = [Section(bullets=tuple(bullets) or ("No schedules yet.",))]
        if dead and self.is_admin(request.role, request.user):
            sections.append(Section(heading="Undelivered (dead-lettered) messages", bullets=tuple(
                f"{d.kind} to {d.target} due {d.due_at:%Y-%m-%d %H:%M} UTC after {d.attempts} attempts: "
                f"{(d.last_error or '')[:120]}" for d in dead)))
        sections.append(Section(text="Remove one with `/cos-service unschedule <id>`."))
        return Reply(title="Schedules", sections=tuple(sections))

    async def unschedule(self, request: Request, text: str) -> Reply:
        sid = text.strip().lstrip("#")
        if not sid.isdigit() or len(sid) > 9:
            raise UserError("Give the schedule's id, e.g. `/cos-service unschedule 3`; `/cos-service schedules` lists them.")
        self.require_admin(request.role, request.user, "remove schedules")
        async with self.app.db.session() as session:
            sched = await session.get(Schedule, int(sid))
            if sched is None or not sched.active or sched.platform != request.platform \
                    or sched.workspace != request.workspace:
                raise UserError(f"There is no schedule {sid} here; `/cos-service schedules` lists them.")
            await _deactivate(session, [sched.id])
            kind = sched.kind
        return Reply(title=f"Schedule {sid} removed", sections=(Section(text=f"No more {kind.replace('_', ' ')} messages from it."),))

    async def action_unschedule(self, action: Action) -> Reply | None:
        request = Request(platform=action.platform, workspace=action.workspace, channel=action.channel,
                          user=action.user, command="cos-service", role=action.role, tz=action.tz)
        return await self.unschedule(request, action.value)

    async def timezone(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            async with self.app.db.session() as session:
                ctx = await load_context(session, request.platform, request.workspace, self.app.settings.default_tz)
            return Reply(title=f"Your time zone: {ctx.tz_of(request.user)}", sections=(Section(
                text="Set yours with `/cos-service timezone Europe/Berlin`; an admin sets the workspace's with "
                     "`/cos-service timezone workspace Europe/Berlin`."),))
        now = self._now()
        if words[0].lower() == "workspace" and len(words) == 2:
            words[1] = zone(words[1]).key
            self.require_admin(request.role, request.user, "set the workspace time zone")
            async with self.app.db.session() as session:
                ws = await session.get(Workspace, f"{request.platform}:{request.workspace}")
                if ws is None:
                    session.add(Workspace(id=f"{request.platform}:{request.workspace}", platform=request.platform,
                                          tz=words[1], created_at=now, updated_at=now))
                else:
                    ws.tz, ws.updated_at = words[1], now
            return Reply(title=f"Workspace time zone: {words[1]}")
        if len(words) != 1:
            raise UserError("Use `/cos-service timezone Europe/Berlin` (yours) or `timezone workspace Europe/Berlin`.")
        words[0] = zone(words[0]).key
        async with self.app.db.session() as session:
            await _set_member_tz(session, request.platform, request.workspace, request.user, words[0], now)
        return Reply(title=f"Your time zone: {words[0]}",
                     sections=(Section(text="Check-ins reach you at their local time in this zone."),))

    # -- risk register --------------------------------------------------------
    async def _ensure_register(self, session: AsyncSession, platform: str, workspace: str) -> list[RiskItem]:
        items = {i.topic_id: i for i in (await session.execute(select(RiskItem).where(
            RiskItem.platform == platform, RiskItem.workspace == workspace))).scalars()}
        now = self._now()
        for entry in self.app.kb.of_kind(*REGISTER_KINDS):
            if entry.id not in items:
                item = RiskItem(platform=platform, workspace=workspace, topic_id=entry.id, title=entry.title,
                                kind=entry.kind, owner=None, cadence="quarterly", updated_at=now)
                session.add(item)
                items[entry.id] = item
        await session.flush()
        return sorted(items.values(), key=lambda i: (REGISTER_KINDS.index(i.kind) if i.kind in REGISTER_KINDS else 9,
                                                     i.title))

    async def risk_schedule(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words or words[0].lower() not in ("monthly", "quarterly", "yearly"):
            raise UserError("Use `/cos-risk schedule <monthly|quarterly|yearly> [HH:MM] [zone]`, "
                            "e.g. `/cos-risk schedule quarterly` or `/cos-risk schedule monthly 10:00 Europe/Berlin`.")
        fields, rest = self._parse_when(words, allow=("monthly", "quarterly", "yearly"),
                                        example="`/cos-risk schedule quarterly 09:00 Europe/Berlin`")
        if len(rest) > 1:
            raise UserError(f"I did not understand “{' '.join(rest)[:60]}”; after the time only a zone may follow.")
        tz_word = rest[0] if rest else None
        if tz_word:
            zone(tz_word)
        self.require_admin(request.role, request.user, "schedule risk reviews")
        async with self.app.db.session() as session:
            for item in await self._ensure_register(session, request.platform, request.workspace):
                item.cadence = fields["cadence"]
        sched, replaced, existed = await self._add_schedule(request, kind="risk_review", fields=fields,
                                                            tz_word=tz_word, replace_in_workspace=True)
        return await self._scheduled_reply(sched, "Risk reviews scheduled", replaced=replaced, existed=existed)

    async def register_list(self, request: Request, text: str) -> Reply:
        now = self._now()
        async with self.app.db.session() as session:
            items = await self._ensure_register(session, request.platform, request.workspace)
        groups: dict[str, list[str]] = {}
        overdue = 0
        for i in items:
            due = review_due(i, now)
            overdue += due
            last = f"reviewed {i.last_review_at:%Y-%m-%d}" if i.last_review_at else "never reviewed"
            line = (f"{i.title} — {i.rating or 'unrated'}, {last}, owner "
                    f"{mention(request.platform, i.owner) if i.owner else 'not set'}, {i.cadence}"
                    + (" — REVIEW DUE" if due else "") + (f" — {i.note[:80]}" if i.note else ""))
            groups.setdefault(i.kind, []).append(line)
        heading = {"business_risk": "Business risks", "governance": "Governance", "compliance": "International compliance",
                   "blocker": "Raised from check-ins"}
        return Reply(
            title=f"Risk register: {len(items)} items, {overdue} due for review",
            sections=tuple(Section(heading=heading.get(k, k), bullets=tuple(v)) for k, v in groups.items()) + (
                Section(text="Record a review with `/cos-risk review <topic> <low|medium|high> [note]`."),),
            buttons=tuple(Button(f"Review {i.title}"[:70], "risk.review", i.topic_id)
                          for i in items if review_due(i, now))[:5],
        )

    def _find_topic(self, items: list[RiskItem], topic: str) -> RiskItem:
        t = topic.lower().strip()
        for i in items:
            if t in (i.topic_id.lower(), i.title.lower()):
                return i
        prefix = [i for i in items if i.title.lower().startswith(t)]
        if len(prefix) == 1:
            return prefix[0]
        by_id = {i.topic_id: i for i in items}
        for hit in self.app.searcher.search(topic, limit=10, command="risk"):
            if hit.entry.id in by_id:
                return by_id[hit.entry.id]
            if hit.entry.parent and hit.entry.kind not in REGISTER_KINDS:
                continue
        raise UserError(f"I could not match “{topic[:60]}” to a register item. Try one of: "
                        + ", ".join(i.title for i in items[:12]) + ".")

    async def risk_review(self, request: Request, text: str) -> Reply:
        words = text.split()
        idx = next((n for n, w in enumerate(words) if w.lower() in RATINGS), None)
        if idx is None:
            odd = next((w for w in words if w.lower().strip(",.!") in _RATING_LIKE), None)
            if odd is not None:
                raise UserError(f"“{odd[:20]}” is not a rating I keep: use low, medium or high, e.g. "
                                "`/cos-risk review gdpr high DPA signed with all vendors`.")
        topic = " ".join(words if idx is None else words[:idx]).strip()
        rating = words[idx].lower() if idx is not None else None
        note = " ".join(words[idx + 1:]).strip() if idx is not None else ""
        async with self.app.db.session() as session:
            items = await self._ensure_register(session, request.platform, request.workspace)
            if not topic:
                if rating:
                    raise UserError("Say which topic you reviewed, e.g. `/cos-risk review gdpr medium new DPA signed`.")
                now = self._now()
                due = [i for i in items if review_due(i, now)]
                return Reply(title=f"Which risk did you review? {len(due)} are due",
                             sections=(Section(bullets=tuple(i.title for i in due) or ("Nothing is due.",)),
                                       Section(text="Type `/cos-risk review <topic> <low|medium|high> [note]`.")),
                             buttons=tuple(Button(i.title[:70], "risk.review", i.topic_id) for i in due[:5]))
            item = self._find_topic(items, topic)
            self.require_admin(request.role, request.user, "record risk reviews")
            if rating is None:
                return _rate_prompt(item)
            if len(note) > 300:
                raise UserError("Keep the note under 300 characters.")
            now = self._now()
            item.last_review_at, item.reviewed_by, item.rating = now, request.user, rating
            item.note = note or item.note
            item.updated_at = now
            title, nxt = item.title, now + timedelta(days=CADENCE_DAYS.get(item.cadence, 92))
        return Reply(title=f"Review recorded: {title} — {rating}",
                     fields=(Field("Reviewed by", mention(request.platform, request.user)),
                             Field("Next review due", f"{nxt:%Y-%m-%d}")),
                     sections=(Section(text=note),) if note else ())

    async def risk_owner(self, request: Request, text: str) -> Reply:
        words = text.split()
        if len(words) < 2:
            raise UserError("Use `/cos-risk owner <topic> @user`, e.g. `/cos-risk owner gdpr @U1001`.")
        owner = parse_mentions(words[-1:])[0]
        self.require_admin(request.role, request.user, "change the risk register")
        async with self.app.db.session() as session:
            items = await self._ensure_register(session, request.platform, request.workspace)
            item = self._find_topic(items, " ".join(words[:-1]))
            item.owner, item.updated_at = owner, self._now()
            title = item.title
        return Reply(title=f"{title}: owner {mention(request.platform, owner)}")

    async def action_risk_review(self, action: Action) -> Reply | None:
        async with self.app.db.session() as session:
            item = (await session.execute(select(RiskItem).where(
                RiskItem.platform == action.platform, RiskItem.workspace == action.workspace,
                RiskItem.topic_id == action.value[:160]))).scalar_one_or_none()
        if item is None:
            return None
        self.require_admin(action.role, action.user, "record risk reviews")
        return _rate_prompt(item)

    async def action_risk_rate(self, action: Action) -> Reply | None:
        topic, _, rating = action.value.rpartition("|")
        if rating not in RATINGS or not topic:
            return None
        request = Request(platform=action.platform, workspace=action.workspace, channel=action.channel,
                          user=action.user, command="cos-risk", role=action.role, tz=action.tz)
        async with self.app.db.session() as session:
            exists = (await session.execute(select(RiskItem.id).where(
                RiskItem.platform == action.platform, RiskItem.workspace == action.workspace,
                RiskItem.topic_id == topic))).first()
        if exists is None:
            return None
        return await self.risk_review(request, f"{topic} {rating}")

    # -- check-in answers -----------------------------------------------------
    async def dm(self, request: Request) -> Reply | None:
        """A DM from someone with an open check-in is their answer."""
        if not request.is_dm:
            return None
        try:
            text = clean_input(request.text)
        except Exception:  # noqa: BLE001 - the router will explain what is wrong with it
            return None
        if not text or text.startswith("/") or text.lower().strip(" ?!.") in ("help", "") \
                or text.split(" ", 1)[0].lower() in ("cos-service", "cos-risk", "service", "risk"):
            return None
        now = self._now()
        async with self.app.db.session() as session:
            recent = select(CheckinAnswer).where(
                CheckinAnswer.platform == request.platform, CheckinAnswer.user == request.user,
                CheckinAnswer.asked_at.is_not(None), CheckinAnswer.asked_at > now - timedelta(days=7),
            ).order_by(CheckinAnswer.asked_at.desc()).limit(1)
            open_ = (await session.execute(
                recent.where(CheckinAnswer.workspace == request.workspace))).scalar_one_or_none()
            if open_ is None:
                # A DM may belong to no workspace (Discord DMs are outside any guild): the
                # person's latest check-in on this platform is the one they are answering.
                open_ = (await session.execute(recent)).scalar_one_or_none()
            if open_ is None:
                return None
            request = replace(request, workspace=open_.workspace)
            answers = json.loads(open_.answers)
            questions = json.loads(open_.questions)
            # Once every question has an answer, only a quick follow-up (within 30 minutes) is
            # added to it; later DMs are questions for the bot again.
            if len(answers) >= max(len(questions), 1) and (
                    open_.answered_at is None or open_.answered_at < now - timedelta(minutes=30)):
                return None
            answers.append(text[:500])
            open_.answers = json.dumps(answers)
            open_.answered_at = now
            raised = None
            if _BLOCKER.search(text):
                raised = await self._raise_blocker(session, request, open_, text)
        left = max(0, len(questions) - len(answers))
        sections = [Section(text=("Thanks, recorded. " + (f"{left} question(s) left: {questions[len(answers)]}"
                                                            if left else "That's all — it will be in the next digest."))),
                    Section(text="To ask me something instead, start with /cos-service or /cos-risk.")]
        if raised:
            sections.append(Section(text=f"I added “{raised}” to the risk register so the team reviews it."))
        return Reply(title="Check-in answer recorded", sections=tuple(sections))

    async def _raise_blocker(self, session: AsyncSession, request: Request, answer: CheckinAnswer, text: str) -> str:
        related = ""
        for hit in self.app.searcher.search(text, limit=5, command="risk"):
            if hit.entry.kind in REGISTER_KINDS:
                related = hit.entry.title
                break
        now = self._now()
        title = ("Blocker: " + text)[:120]
        session.add(RiskItem(platform=request.platform, workspace=request.workspace,
                             topic_id=f"blocker.{answer.id}.{uuid.uuid4().hex[:6]}", title=title, kind="blocker",
                             owner=request.user, cadence="monthly", rating="high",
                             note=f"Raised in a check-in by {request.user}" + (f"; related: {related}" if related else ""),
                             raised_at=now, updated_at=now))
        return title


_ANSWERS_SHOWN = 20
_EXPORT_CHARS = 2800  # fits a Slack section and one Discord embed, with the fences and a note
CSV_COLUMNS = ("platform", "workspace", "user", "occurrence_at", "answered_at", "schedule_id", "number",
               "question", "answer")


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None


def _pairs(a: CheckinAnswer) -> list[tuple[str, str | None]]:
    questions = json.loads(a.questions or "[]")
    answers = json.loads(a.answers or "[]")
    return [(q or "", ans) for q, ans in zip_longest(questions, answers)]


async def answer_rows(session: AsyncSession, *, platform: str, workspace: str, user: str | None = None,
                      since: datetime | None = None) -> list[CheckinAnswer]:
    """Answered check-ins of one workspace (one person's, or everyone's), oldest first."""
    query = select(CheckinAnswer).where(CheckinAnswer.platform == platform, CheckinAnswer.workspace == workspace,
                                        CheckinAnswer.answered_at.is_not(None))
    if user is not None:
        query = query.where(CheckinAnswer.user == user)
    if since is not None:
        query = query.where(CheckinAnswer.occurrence_at >= since)
    return list((await session.execute(query.order_by(CheckinAnswer.occurrence_at, CheckinAnswer.user,
                                                      CheckinAnswer.id))).scalars())


async def forget_answers(session: AsyncSession, *, platform: str, workspace: str, user: str | None) -> int:
    """Delete answered check-ins of one workspace (one person's, or everyone's); returns how many."""
    cond = [CheckinAnswer.platform == platform, CheckinAnswer.workspace == workspace,
            CheckinAnswer.answered_at.is_not(None)]
    if user is not None:
        cond.append(CheckinAnswer.user == user)
    result = await session.execute(delete(CheckinAnswer).where(*cond))
    return outbox.affected(result)


def answer_record(a: CheckinAnswer) -> dict[str, Any]:
    """One answered check-in as plain JSON-friendly data."""
    return {"platform": a.platform, "workspace": a.workspace, "user": a.user,
            "occurrence_at": _iso(a.occurrence_at), "answered_at": _iso(a.answered_at),
            "schedule_id": a.schedule_id,
            "answers": [{"question": q, "answer": ans} for q, ans in _pairs(a)]}


def format_records(records: list[dict[str, Any]], fmt: str) -> str:
    """``json``: an indented array; ``csv``: one row per question and answer, with a header."""
    if fmt == "json":
        return json.dumps(records, indent=1, ensure_ascii=False)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        for n, qa in enumerate(r["answers"], 1):
            writer.writerow((r["platform"], r["workspace"], r["user"], r["occurrence_at"], r["answered_at"],
                             r["schedule_id"], n, qa["question"], "" if qa["answer"] is None else qa["answer"]))
    return buf.getvalue().rstrip("\n")


def _rule(s: Schedule) -> Rule:
    return Rule(cadence=s.cadence if s.cadence in ("daily", "weekly", "monthly", "quarterly", "yearly") else "daily",
                hour=s.hour, minute=s.minute, tz=s.tz, weekday=s.weekday, day=s.day, skip_weekends=s.skip_weekends)


def _rate_prompt(item: RiskItem) -> Reply:
    return Reply(title=f"Review: {item.title}",
                 fields=(Field("Current rating", item.rating or "unrated"),
                         Field("Last review", f"{item.last_review_at:%Y-%m-%d}" if item.last_review_at else "never")),
                 sections=(Section(text="How do you rate it now? Or type "
                                        f"`/cos-risk review {item.title.lower()} <low|medium|high> [note]`."),),
                 buttons=tuple(Button(r.title(), "risk.rate", f"{item.topic_id}|{r}",
                                      style="danger" if r == "high" else None) for r in RATINGS))


async def _set_member_tz(session: AsyncSession, platform: str, workspace: str, user: str, tz: str,
                         now: datetime) -> None:
    member = (await session.execute(select(Member).where(Member.platform == platform, Member.workspace == workspace,
                                                         Member.user == user))).scalar_one_or_none()
    if member is None:
        await session.execute(outbox.insert_ignore(session, Member).values(
            platform=platform, workspace=workspace, user=user, tz=tz, updated_at=now
        ).on_conflict_do_nothing(index_elements=["platform", "workspace", "user"]))
    elif member.tz != tz:
        member.tz, member.updated_at = tz, now


def _phase_title(app: App, phase_id: str) -> str:
    phase = app.kb.get(phase_id)
    return phase.title if phase is not None else phase_id


async def _deactivate(session: AsyncSession, schedule_ids: Sequence[int]) -> None:
    """Stop schedules and drop what they still had queued (a row already being sent finishes)."""
    if not schedule_ids:
        return
    await session.execute(update(Schedule).where(Schedule.id.in_(schedule_ids)).values(active=False))
    await session.execute(update(Outbox).where(Outbox.schedule_id.in_(schedule_ids),
                                               Outbox.status == OUTBOX_PENDING).values(status=OUTBOX_SKIPPED))
