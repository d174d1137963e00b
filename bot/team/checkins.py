"""DM check-ins: ``checkin <when> @people``, ``checkin questions <id> a? | b?``, and the answers people DM."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.auth import admin_only, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.kernel.safety import InputProblem, clean_input
from bot.scheduler.registry import Deliveries
from bot.team import audit, store
from bot.team.base import TeamFeature, parse_mentions, parse_when
from bot.team.delivery.checkin import CHECKIN, CHECKIN_SCHEDULE, NUDGE, SYNC_REPORTS, settled_checkins
from bot.team.ladder import review_due
from bot.team.models import CheckinAnswer, RiskItem
from bot.team.risks import REGISTER_KINDS
from bot.team.schedules import add_schedule, scheduled_reply

__all__ = ["CheckinCommands"]

_EXAMPLE = "`/cos-service checkin friday 16:00 @U1001 @U1002`"
_BLOCKER = re.compile(r"\b(blocker|blocked|blocking|stuck|can'?t proceed|cannot proceed|impediment)\b", re.I)
_COMMAND_WORDS = ("cos-service", "cos-risk", "service", "risk")


def _answer_lines(raw: str, cleaned: str) -> list[str]:
    """One answer per non-empty line of ``raw``; the whole (cleaned) message when it is one line."""
    lines = []
    for line in raw.splitlines():
        try:
            if line.strip():
                lines.append(clean_input(line))
        except InputProblem:
            return [cleaned]
    return lines if len(lines) > 1 else [cleaned]


class CheckinCommands(TeamFeature):
    """Scheduling check-ins, their questions, and recording the answers people send by DM."""

    HELP = (
        HelpLine(
            command="cos-service",
            usage="/cos-service checkin <weekday> HH:MM @user ...",
            what=N_("a DM check-in at each person's local time"),
            admin=True,
        ),
        HelpLine(command="cos-service", usage="/cos-service checkin questions", what=N_("the check-in's questions")),
    )

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_kind(CHECKIN)
        deliveries.add_kind(NUDGE)
        deliveries.add_schedule_kind(CHECKIN_SCHEDULE)
        deliveries.add_tick_hook(SYNC_REPORTS)
        deliveries.add_preview_filter(settled_checkins)

    def register(self, router: Router) -> None:
        for word in ("checkin", "check-in"):
            self.add_subcommand(router, "cos-service", word, self.checkin)
            self.add_subcommand(router, "cos-service", f"{word} questions", self.questions)
        router.add_dm_handler(self.dm)

    @server_only
    async def checkin(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            raise UserError(_("Say when and who, e.g. {example}.").format(example=_EXAMPLE))
        fields, rest = parse_when(words, allow=("daily", "weekly"), example=_EXAMPLE)
        if "hour" not in fields:
            raise UserError(_("Give the time as HH:MM, e.g. {example}.").format(example=_EXAMPLE))
        if not rest:
            raise UserError(_("Mention who to ask, e.g. {example}.").format(example=_EXAMPLE))
        return await self._schedule(request, fields, parse_mentions(rest))

    @admin_only(N_("schedule check-ins"))
    async def _schedule(self, request: Request, fields: dict[str, Any], users: list[str]) -> Reply:
        questions = await self._default_questions(request)
        sched, _replaced, existed = await add_schedule(
            self.team,
            request,
            kind="checkin",
            fields=fields,
            tz_word=None,
            participants=users,
            questions=questions,
            audit_action="checkin.schedule",
        )
        reply = await scheduled_reply(self.team, sched, _("Check-in scheduled"), existed=existed)
        return replace(
            reply,
            fields=reply.fields + (Field(_("Participants"), " ".join(mention(u) for u in users)),),
            sections=(
                Section(heading=_("Questions"), bullets=tuple(questions)),
                *reply.sections,
                Section(
                    text=_(
                        "Each person is asked at that time in their own time zone. Edit the questions "
                        "with `/cos-service checkin questions {id} first? | second?`."
                    ).format(id=sched.id)
                ),
            ),
        )

    async def _default_questions(self, request: Request) -> list[str]:
        """Questions drawn from the stage's next open milestone and the risks due for review (in the language of
        the request: they are kept with the schedule and asked as written)."""
        qs = [_("What did you move forward since the last check-in?")]
        where = {"platform": request.platform, "workspace": request.workspace}
        async with self.team.db.session() as session:
            stage = await store.get_stage(session, **where)
            if stage is not None:
                open_ms = [m for m in await store.milestones_of(session, stage=stage) if m.status == "open"]
                if open_ms:
                    qs[0] = _("What moved forward on “{title}” (or another milestone)?").format(title=open_ms[0].title)
            items = await store.risk_items(session, **where)
        qs.append(_("Is anything blocking you? (Say “blocker: …” and it goes into the risk register.)"))
        due = [i for i in items if review_due(i, self.team.now())]
        qs.append(
            _("Anything new on our risks, e.g. {title}?").format(title=due[0].title)
            if due
            else _("Do you see a new risk the team should review?")
        )
        return qs

    @server_only
    async def questions(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words or not words[0].isdigit() or len(words[0]) > 9 or len(words) < 2:
            raise UserError(_("Use `/cos-service checkin questions <schedule id> first question? | second question?`."))
        questions = [q.strip() for q in " ".join(words[1:]).split("|") if q.strip()]
        if not 1 <= len(questions) <= 6 or any(len(q) > 200 for q in questions):
            raise UserError(_("Give 1 to 6 questions of up to 200 characters, separated by |."))
        return await self._set_questions(request, int(words[0]), questions)

    @admin_only(N_("edit check-in questions"))
    async def _set_questions(self, request: Request, sid: int, questions: list[str]) -> Reply:
        async with self.team.db.session() as session:
            sched = await store.get_schedule(
                session, platform=request.platform, workspace=request.workspace, schedule_id=sid, kind="checkin"
            )
            if sched is None:
                raise UserError(
                    _("There is no check-in {id} here; `/cos-service schedules` lists them.").format(id=sid)
                )
            await audit.record(
                session,
                request,
                action="checkin.questions",
                target=f"schedule {sid}",
                before=store.loads(sched.questions),
                after=questions,
                at=self.team.now(),
            )
            sched.questions = json.dumps(questions)
        return Reply(
            title=_("Check-in {id} questions updated").format(id=sid), sections=(Section(bullets=tuple(questions)),)
        )

    # -- answers by DM ----------------------------------------------------------------------
    async def dm(self, request: Request) -> Reply | None:
        """A DM from someone with an open check-in is their answer."""
        if not request.is_dm:
            return None
        try:
            text = clean_input(request.text)
        except InputProblem:
            return None  # the router explains what is wrong with it
        if (
            not text
            or text.startswith("/")
            or text.lower().strip(" ?!.") in ("help", "")
            or text.split(" ", 1)[0].lower() in _COMMAND_WORDS
        ):
            return None
        now = self.team.now()
        async with self.team.db.session() as session:
            since = now - timedelta(days=7)
            open_ = await store.latest_checkin(
                session, platform=request.platform, user=request.user, workspace=request.workspace, since=since
            )
            if open_ is None:
                # A DM may belong to no workspace (a Discord DM is outside any server): the
                # person's latest check-in on this platform is the one they are answering.
                open_ = await store.latest_checkin(
                    session, platform=request.platform, user=request.user, workspace=None, since=since
                )
            if open_ is None:
                return None
            request = replace(request, workspace=open_.workspace)
            answers, questions = store.loads(open_.answers), store.loads(open_.questions)
            # Once every question has an answer, only a quick follow-up (within 30 minutes) is
            # added to it; later DMs are questions for the bot again.
            if len(answers) >= max(len(questions), 1) and (
                open_.answered_at is None or open_.answered_at < now - timedelta(minutes=30)
            ):
                return None
            # Several lines answer several questions, one line each.
            lines = _answer_lines(request.text, text)
            ids = store.loads(open_.message_ids)
            ids += [None] * (len(answers) - len(ids)) + [request.message_id] * len(lines)
            answers.extend(line[:500] for line in lines)
            open_.answers = json.dumps(answers)
            open_.message_ids = json.dumps(ids)
            open_.answered_at = now
            raised = await self._raise_blocker(session, request, open_, text) if _BLOCKER.search(text) else None
        left = max(0, len(questions) - len(answers))
        sections = [
            Section(
                text=_("Thanks, recorded. ")
                + (
                    ngettext("{n} question left: {next}", "{n} questions left: {next}", left).format(
                        n=left, next=questions[len(answers)]
                    )
                    if left
                    else _("That's all — it will be in the next digest.")
                )
            ),
            Section(text=_("To ask me something instead, start with /cos-service or /cos-risk.")),
        ]
        if raised:
            sections.append(
                Section(text=_("I added “{title}” to the risk register so the team reviews it.").format(title=raised))
            )
        return Reply(title=_("Check-in answer recorded"), sections=tuple(sections))

    async def _raise_blocker(self, session: AsyncSession, request: Request, answer: CheckinAnswer, text: str) -> str:
        related = next(
            (
                hit.entry.title
                for hit in self.team.searcher.search(text, limit=5, command="risk")
                if hit.entry.kind in REGISTER_KINDS
            ),
            "",
        )
        now = self.team.now()
        title = ("Blocker: " + text)[:120]
        session.add(
            RiskItem(
                platform=request.platform,
                workspace=request.workspace,
                topic_id=f"blocker.{answer.id}.{uuid.uuid4().hex[:6]}",
                title=title,
                kind="blocker",
                owner=request.user,
                cadence="monthly",
                rating="high",
                note=f"Raised in a check-in by {request.user}" + (f"; related: {related}" if related else ""),
                raised_at=now,
                updated_at=now,
            )
        )
        return title
