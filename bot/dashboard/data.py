"""What the dashboard's pages show, read from the team's tables for one viewer's workspace.

Reads only: every change goes through the features' own functions (``bot.team.teach``,
``bot.team.schedules``). Each query is scoped to the viewer's ``(platform, workspace)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from bot.answering import store as kl
from bot.dashboard.auth import Viewer
from bot.kernel.lang import _
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import generate, load_context, participants_of, rule_of
from bot.scheduler.preview import upcoming
from bot.scheduler.recurrence import describe
from bot.team import store
from bot.team.audit import FORGOTTEN, entry_record
from bot.team.ladder import rung
from bot.team.models import Absence, AuditEntry, CheckinAnswer, Member
from bot.team.schedules import kind_name, workspace_schedules

if TYPE_CHECKING:
    from bot.team.base import Team

__all__ = [
    "Overview",
    "overview",
    "checkins",
    "CheckinPage",
    "knowledge",
    "KnowledgePage",
    "audit_entries",
    "schedules",
    "viewer_zone",
    "PREVIEW_DAYS",
    "WEEKS",
]

PREVIEW_DAYS = 14
WEEKS = 12
SHOWN_ROWS = 100  # audit entries per page
SHOWN_ANSWERS = 100
_KNOWLEDGE_DAYS = 30


def _where(model: Any, viewer: Viewer) -> tuple[Any, Any]:
    return model.platform == viewer.platform, model.workspace == viewer.workspace


async def viewer_zone(team: Team, viewer: Viewer) -> str:
    """The viewer's zone: theirs, else the workspace's, else ``COS_DEFAULT_TZ``."""
    async with team.db.session() as session:
        mine = (
            await session.execute(select(Member.tz).where(*_where(Member, viewer), Member.user == viewer.user))
        ).scalar_one_or_none()
        if mine:
            return str(mine)
        return (
            await store.workspace_tz(session, platform=viewer.platform, workspace=viewer.workspace)
            or team.settings.default_tz
        )


# -- overview ---------------------------------------------------------------------------------
@dataclass
class Overview:
    tz: str
    phase: str | None = None
    since: date | None = None
    milestones: list[dict[str, Any]] = field(default_factory=list)
    risks: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


async def overview(team: Team, viewer: Viewer) -> Overview:
    """The stage and milestones, the risk register's states, and the next ``PREVIEW_DAYS`` days' deliveries."""
    now = team.now()
    async with team.db.session() as session:
        ctx = await load_context(session, viewer.platform, viewer.workspace, team.settings.default_tz, team.deliveries)
        tz = ctx.tz_of(viewer.user)
        today = now.astimezone(ZoneInfo(tz)).date()
        page = Overview(tz=tz)
        stage = await store.get_stage(session, platform=viewer.platform, workspace=viewer.workspace)
        if stage is not None:
            page.phase, page.since = team.phase_title(stage.phase_id), stage.since
            for m in await store.milestones_of(session, stage=stage):
                late = m.status != "done" and m.due_on < today
                page.milestones.append(
                    {
                        "position": m.position,
                        "title": m.title,
                        "status": "done" if m.status == "done" else ("late" if late else "open"),
                        "owner": m.owner,
                        "due_on": m.due_on,
                    }
                )
        for item in await store.risk_items(session, platform=viewer.platform, workspace=viewer.workspace):
            r = rung(item, today)
            page.risks.append(
                {
                    "title": item.title,
                    "state": r.state,
                    "label": r.label,
                    "next_on": r.next_on,
                    "owner": item.owner,
                    "rating": item.rating,
                }
            )
        order = {"overdue": 0, "due": 1, "accepted": 2, "ok": 3}
        page.risks.sort(key=lambda r: (order.get(r["state"], 9), r["title"]))
        found = await upcoming(
            session,
            team.deliveries,
            default_tz=team.settings.default_tz,
            now=now,
            until=now + timedelta(days=PREVIEW_DAYS),
            platform=viewer.platform,
            workspace=viewer.workspace,
            contexts={(viewer.platform, viewer.workspace): ctx},
        )
    zone = ZoneInfo(tz)
    for o in found:
        page.deliveries.append(
            {
                "at": o.at,
                "local": o.at.astimezone(zone),
                "kind": kind_name(o.kind),
                "target": o.target,
                "dm": o.target_type == "dm",
                "schedule": o.schedule_id,
                "snoozed": o.snoozed,
            }
        )
    return page


# -- check-ins ----------------------------------------------------------------------------------
@dataclass
class CheckinPage:
    tz: str
    days: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    weeks: list[tuple[str, int, int]] = field(default_factory=list)  # (week of, answered, asked)
    people: list[str] = field(default_factory=list)
    more: bool = False


def _checkin_filter(
    query: Any, viewer: Viewer, *, person: str | None, start: date | None, end: date | None, tz: str
) -> Any:
    """The check-ins the viewer may see (a member: their own), within the local dates."""
    zone = ZoneInfo(tz)
    query = query.where(*_where(CheckinAnswer, viewer))
    if not viewer.admin:
        query = query.where(CheckinAnswer.user == viewer.user)
    elif person:
        query = query.where(CheckinAnswer.user == person)
    if start is not None:
        query = query.where(CheckinAnswer.occurrence_at >= datetime.combine(start, datetime.min.time(), zone))
    if end is not None:
        query = query.where(
            CheckinAnswer.occurrence_at < datetime.combine(end + timedelta(days=1), datetime.min.time(), zone)
        )
    return query


async def checkin_rows(
    team: Team,
    viewer: Viewer,
    *,
    person: str | None,
    start: date | None,
    end: date | None,
    tz: str,
    limit: int | None = None,
) -> list[Any]:
    """The answered check-ins the viewer may see, newest first (the CSV export): rows with the columns
    ``bot.team.answers.answer_record`` reads, not whole objects."""
    c = CheckinAnswer
    query = _checkin_filter(
        select(
            c.platform, c.workspace, c.user, c.occurrence_at, c.answered_at, c.schedule_id, c.questions, c.answers
        ).where(c.answered_at.is_not(None)),
        viewer,
        person=person,
        start=start,
        end=end,
        tz=tz,
    ).order_by(CheckinAnswer.occurrence_at.desc(), CheckinAnswer.user)
    if limit is not None:
        query = query.limit(limit)
    async with team.db.session() as session:
        return list((await session.execute(query)).all())


async def checkins(
    team: Team, viewer: Viewer, *, person: str | None = None, start: date | None = None, end: date | None = None
) -> CheckinPage:
    """Each check-in day's counts, the answers (filtered), and participation per week over ``WEEKS`` weeks.

    The counts are summed in SQL per occurrence (one row per schedule and instant, not per person); only the
    answers shown are read whole.
    """
    now = team.now()
    tz = await viewer_zone(team, viewer)
    zone = ZoneInfo(tz)
    page = CheckinPage(tz=tz)
    c = CheckinAnswer
    answered_n = func.sum(case((c.answered_at.is_not(None), 1), else_=0))
    skipped_n = func.sum(case((c.answered_at.is_(None) & c.skipped_at.is_not(None), 1), else_=0))
    grouped = _checkin_filter(
        select(c.schedule_id, c.occurrence_at, func.count(), answered_n, skipped_n),
        viewer,
        person=person,
        start=start,
        end=end,
        tz=tz,
    ).group_by(c.schedule_id, c.occurrence_at)
    async with team.db.session() as session:
        groups = (await session.execute(grouped)).all()
        schedules = {
            s.id: s
            for s in (
                await session.execute(select(Schedule).where(*_where(Schedule, viewer), Schedule.kind == "checkin"))
            ).scalars()
        }
        absences = list((await session.execute(select(Absence).where(*_where(Absence, viewer)))).scalars())
        asked_of_absent: set[tuple[int, date, str]] = set()
        if absences:
            # Who was asked on the days of the people who were away (only theirs are needed).
            mine = _checkin_filter(
                select(c.schedule_id, c.occurrence_at, c.user).where(c.user.in_({a.user for a in absences})),
                viewer,
                person=person,
                start=start,
                end=end,
                tz=tz,
            )
            asked_of_absent = {
                (sid, at.astimezone(zone).date(), user) for sid, at, user in (await session.execute(mine)).all()
            }
        if viewer.admin:
            page.people = list(
                (await session.execute(select(c.user).where(*_where(c, viewer)).distinct().order_by(c.user))).scalars()
            )
    days: dict[tuple[int, date], dict[str, Any]] = {}
    answered = 0
    missed_before = now - timedelta(hours=12)
    for sid, at, n, yes, skipped in groups:
        yes, skipped = int(yes or 0), int(skipped or 0)
        d = at.astimezone(zone).date()
        day = days.get((sid, d))
        if day is None:
            day = days[(sid, d)] = {"day": d, "schedule": sid, "answered": 0, "skipped": 0, "missed": 0, "open": 0}
        rest = n - yes - skipped
        day["answered"] += yes
        day["skipped"] += skipped
        day["missed" if at < missed_before else "open"] += rest
        answered += yes
    for (sid, d), day in days.items():
        sched = schedules.get(sid)
        who = set(participants_of(sched)) if sched is not None else set()
        if not viewer.admin:
            who &= {viewer.user}
        day["away"] = sum(
            1
            for a in absences
            if a.user in who and a.start_on <= d <= a.end_on and (sid, d, a.user) not in asked_of_absent
        )
        page.days.append(day)
    page.days.sort(key=lambda d: (d["day"], d["schedule"]), reverse=True)
    page.weeks = _weeks(groups, now.astimezone(zone).date(), zone)
    shown = await _answers(team, viewer, person=person, start=start, end=end, tz=tz)
    page.more = answered > len(shown)
    page.answers = [
        {
            "user": user,
            "day": at.astimezone(zone).date(),
            "pairs": list(zip(store.loads(questions), store.loads(answers), strict=False)),
        }
        for user, at, questions, answers in shown
    ]
    return page


async def _answers(
    team: Team, viewer: Viewer, *, person: str | None, start: date | None, end: date | None, tz: str
) -> list[Any]:
    """The newest ``SHOWN_ANSWERS`` answered check-ins: only the columns the page shows."""
    c = CheckinAnswer
    query = _checkin_filter(
        select(c.user, c.occurrence_at, c.questions, c.answers).where(c.answered_at.is_not(None)),
        viewer,
        person=person,
        start=start,
        end=end,
        tz=tz,
    )
    async with team.db.session() as session:
        rows = await session.execute(query.order_by(c.occurrence_at.desc(), c.user).limit(SHOWN_ANSWERS))
        return list(rows.all())


def _weeks(groups: Sequence[Any], today: date, zone: ZoneInfo) -> list[tuple[str, int, int]]:
    """(Monday's date, answered, asked) for each of the last ``WEEKS`` weeks, oldest first."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    asked: Counter[date] = Counter()
    answered: Counter[date] = Counter()
    for _sid, at, n, yes, _skipped in groups:
        d = at.astimezone(zone).date()
        week = d - timedelta(days=d.weekday())
        asked[week] += n
        answered[week] += int(yes or 0)
    return [(w.isoformat(), answered[w], asked[w]) for w in starts]


# -- knowledge ------------------------------------------------------------------------------------
@dataclass
class KnowledgePage:
    days: int
    asked: int = 0
    answered: int = 0
    up: int = 0
    down: int = 0
    per_day: list[tuple[str, int, int]] = field(default_factory=list)  # (day, answered, not answered)
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    taught: list[dict[str, Any]] = field(default_factory=list)


async def knowledge(team: Team, viewer: Viewer, *, days: int = _KNOWLEDGE_DAYS) -> KnowledgePage:
    """Questions per day answered and not, 👍/👎, top topics, the gaps queue and the taught phrases."""
    now = team.now()
    tz = await viewer_zone(team, viewer)
    zone = ZoneInfo(tz)
    since = now - timedelta(days=days)
    page = KnowledgePage(days=days)
    await team.app.answering.journal.flush_quietly()  # what was just asked counts
    q = kl.KnowledgeQuestion
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    # Each question's local day, as an index into the page's days, computed by the database (exact in any
    # zone and across DST): the local midnights as UTC bounds. The rows never leave it; the counts do.
    bounds = [datetime.combine(first + timedelta(days=n), datetime.min.time(), zone) for n in range(days)]
    day_of = case(*((q.asked_at < b, n - 1) for n, b in enumerate(bounds)), else_=days - 1)
    scope = (*_where(q, viewer), q.asked_at >= since)
    # A subquery, so that PostgreSQL groups by the same expression it selects (bound parameters differ).
    each = select(day_of.label("day"), q.matched.label("matched")).where(*scope).subquery()
    async with team.db.session() as session:
        per_day = (
            await session.execute(select(each.c.day, each.c.matched, func.count()).group_by(each.c.day, each.c.matched))
        ).all()
        top = (
            await session.execute(
                select(q.top_entry, func.count())
                .where(*scope, q.matched.is_(True), q.top_entry.is_not(None))
                .group_by(q.top_entry)
                .order_by(func.count().desc(), q.top_entry)
                .limit(5)
            )
        ).all()
        votes = await kl.vote_counts(session, platform=viewer.platform, workspace=viewer.workspace, since=since)
        found = await kl.gaps(session, platform=viewer.platform, workspace=viewer.workspace, since=since, limit=20)
        taught = await kl.taught_phrases(session, platform=viewer.platform, workspace=viewer.workspace)
    yes: Counter[int] = Counter()
    no: Counter[int] = Counter()
    for index, matched, n in per_day:  # index -1: asked within ``days`` x 24 h but before the first local day
        (yes if matched else no)[int(index)] += int(n)
    page.per_day = [((first + timedelta(days=n)).isoformat(), yes[n], no[n]) for n in range(days)]
    page.asked, page.answered = sum(yes.values()) + sum(no.values()), sum(yes.values())
    page.up, page.down = votes["up"], votes["down"]
    page.top_topics = [(_title(team, t), int(n)) for t, n in top]
    page.gaps = [
        {
            "id": g.question_id,
            "text": g.text,
            "asked": g.asked,
            "unanswered": g.unanswered,
            "down": g.down,
            "nearest": _title(team, g.nearest) if g.nearest else "",
        }
        for g in found
    ]
    page.taught = [
        {"phrase": t.phrase, "topic": _title(team, t.entry_id), "by": t.created_by, "at": t.created_at} for t in taught
    ]
    return page


def _title(team: Team, entry_id: str | None) -> str:
    entry = team.kb.get(entry_id) if entry_id else None
    return entry.title if entry is not None else (entry_id or "—")


# -- audit ------------------------------------------------------------------------------------------
async def audit_entries(
    team: Team,
    viewer: Viewer,
    *,
    person: str | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int | None = SHOWN_ROWS,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The workspace's audit log, newest first, filtered by actor, kind (``schedule`` or ``schedule.pause``)
    and UTC dates."""
    query = select(AuditEntry).where(*_where(AuditEntry, viewer))
    if person:
        query = query.where(AuditEntry.actor.is_(None) if person == FORGOTTEN else AuditEntry.actor == person)
    if kind:
        query = query.where(AuditEntry.action.startswith(kind + ".", autoescape=True) | (AuditEntry.action == kind))
    if start is not None:
        query = query.where(AuditEntry.at >= datetime.combine(start, datetime.min.time(), ZoneInfo("UTC")))
    if end is not None:
        query = query.where(
            AuditEntry.at < datetime.combine(end + timedelta(days=1), datetime.min.time(), ZoneInfo("UTC"))
        )
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    async with team.db.session() as session:
        return [entry_record(e) for e in (await session.execute(query)).scalars()]


async def audit_kinds(team: Team, viewer: Viewer) -> list[str]:
    """The kinds (the part of an action before its dot) the workspace's log holds."""
    async with team.db.session() as session:
        actions = await session.execute(select(AuditEntry.action).where(*_where(AuditEntry, viewer)).distinct())
        return sorted({a.split(".", 1)[0] for a in actions.scalars()})


# -- schedules ----------------------------------------------------------------------------------------
async def schedules(team: Team, viewer: Viewer) -> list[dict[str, Any]]:
    """Every running and paused schedule of the workspace with its next run in its own and the viewer's zone."""
    now = team.now()
    async with team.db.session() as session:
        ctx = await load_context(session, viewer.platform, viewer.workspace, team.settings.default_tz, team.deliveries)
        scheds = await workspace_schedules(session, platform=viewer.platform, workspace=viewer.workspace)
    zone = ZoneInfo(ctx.tz_of(viewer.user))
    out = []
    for s in scheds:
        nxt = None
        if s.paused_at is None:
            for days in (40, 400):
                occs = [o for o in generate(s, ctx, now, now + timedelta(days=days)) if o.kind != "nudge"]
                if occs:
                    nxt = occs[0]
                    break
        out.append(
            {
                "id": s.id,
                "kind": kind_name(s.kind),
                "channel": s.channel,
                "when": describe(rule_of(s))
                if s.kind != "milestone"
                else _("milestone reminders at 09:00 {tz}").format(tz=s.tz),
                "participants": participants_of(s) if s.kind == "checkin" else [],
                "paused": s.paused_at is not None,
                "next_local": nxt.at.astimezone(ZoneInfo(nxt.tz)) if nxt else None,
                "next_tz": nxt.tz if nxt else None,
                "next_viewer": nxt.at.astimezone(zone) if nxt else None,
            }
        )
    return out
