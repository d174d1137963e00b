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

from sqlalchemy import select

from bot.answering import store as kl
from bot.dashboard.auth import Viewer
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import generate, load_context, participants_of, rule_of
from bot.scheduler.recurrence import describe
from bot.team import store
from bot.team.audit import FORGOTTEN, entry_record
from bot.team.ladder import rung
from bot.team.models import Absence, AuditEntry, CheckinAnswer, Member
from bot.team.schedules import workspace_schedules

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
SHOWN_ROWS = 500
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
        scheds = await store.active_schedules(session, platform=viewer.platform, workspace=viewer.workspace)
    until = now + timedelta(days=PREVIEW_DAYS)
    zone = ZoneInfo(tz)
    for s in scheds:
        for o in generate(s, ctx, now, until):
            page.deliveries.append(
                {
                    "at": o.at,
                    "local": o.at.astimezone(zone),
                    "kind": o.kind.replace("_", " "),
                    "target": o.target,
                    "dm": o.target_type == "dm",
                    "schedule": o.schedule_id,
                }
            )
    page.deliveries.sort(key=lambda d: (d["at"], d["kind"], d["target"]))
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


def _state(row: Any, now: datetime) -> str:
    if row.answered_at is not None:
        return "answered"
    if row.skipped_at is not None:
        return "skipped"
    return "missed" if row.occurrence_at < now - timedelta(hours=12) else "open"


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
) -> list[CheckinAnswer]:
    """The answered check-ins the viewer may see, newest first (the CSV export and the page's answers)."""
    query = _checkin_filter(
        select(CheckinAnswer).where(CheckinAnswer.answered_at.is_not(None)),
        viewer,
        person=person,
        start=start,
        end=end,
        tz=tz,
    ).order_by(CheckinAnswer.occurrence_at.desc(), CheckinAnswer.user)
    if limit is not None:
        query = query.limit(limit)
    async with team.db.session() as session:
        return list((await session.execute(query)).scalars())


async def checkins(
    team: Team, viewer: Viewer, *, person: str | None = None, start: date | None = None, end: date | None = None
) -> CheckinPage:
    """Each check-in day's counts, the answers (filtered), and participation per week over ``WEEKS`` weeks."""
    now = team.now()
    tz = await viewer_zone(team, viewer)
    zone = ZoneInfo(tz)
    page = CheckinPage(tz=tz)
    c = CheckinAnswer
    lean = _checkin_filter(
        select(c.schedule_id, c.occurrence_at, c.user, c.answered_at, c.skipped_at),
        viewer,
        person=person,
        start=start,
        end=end,
        tz=tz,
    )
    async with team.db.session() as session:
        rows = (await session.execute(lean)).all()
        schedules = {
            s.id: s
            for s in (
                await session.execute(select(Schedule).where(*_where(Schedule, viewer), Schedule.kind == "checkin"))
            ).scalars()
        }
        absences = list((await session.execute(select(Absence).where(*_where(Absence, viewer)))).scalars())
        if viewer.admin:
            page.people = sorted(
                set((await session.execute(select(c.user).where(*_where(c, viewer)).distinct())).scalars())
            )
    days: dict[tuple[int, date], dict[str, Any]] = {}
    answered = 0
    for row in rows:
        local = row.occurrence_at.astimezone(zone)
        key = (row.schedule_id, local.date())
        day = days.get(key)
        if day is None:
            day = days[key] = {
                "day": local.date(),
                "schedule": row.schedule_id,
                "answered": 0,
                "skipped": 0,
                "missed": 0,
                "open": 0,
                "away": 0,
                "users": set(),
            }
        day[_state(row, now)] += 1
        day["users"].add(row.user)
        answered += row.answered_at is not None
    for (sid, d), day in days.items():
        sched = schedules.get(sid)
        missing = set(participants_of(sched)) - day["users"] if sched is not None else set()
        if not viewer.admin:
            missing &= {viewer.user}
        day["away"] = sum(1 for a in absences if a.user in missing and a.start_on <= d <= a.end_on)
        del day["users"]
        page.days.append(day)
    page.days.sort(key=lambda d: (d["day"], d["schedule"]), reverse=True)
    page.weeks = _weeks(rows, now.astimezone(zone).date(), zone)
    shown = await checkin_rows(team, viewer, person=person, start=start, end=end, tz=tz, limit=SHOWN_ANSWERS)
    page.more = answered > len(shown)
    for answer in shown:
        page.answers.append(
            {
                "user": answer.user,
                "day": answer.occurrence_at.astimezone(zone).date(),
                "pairs": list(zip(store.loads(answer.questions), store.loads(answer.answers), strict=False)),
            }
        )
    return page


def _weeks(rows: Sequence[Any], today: date, zone: ZoneInfo) -> list[tuple[str, int, int]]:
    """(Monday's date, answered, asked) for each of the last ``WEEKS`` weeks, oldest first."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    asked: Counter[date] = Counter()
    answered: Counter[date] = Counter()
    for row in rows:
        d = row.occurrence_at.astimezone(zone).date()
        week = d - timedelta(days=d.weekday())
        asked[week] += 1
        answered[week] += row.answered_at is not None
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
    async with team.db.session() as session:
        asked = (
            await session.execute(
                select(q.asked_at, q.matched, q.top_entry).where(*_where(q, viewer), q.asked_at >= since)
            )
        ).all()
        votes = await kl.vote_counts(session, platform=viewer.platform, workspace=viewer.workspace, since=since)
        found = await kl.gaps(session, platform=viewer.platform, workspace=viewer.workspace, since=since, limit=20)
        taught = await kl.taught_phrases(session, platform=viewer.platform, workspace=viewer.workspace)
    yes: Counter[date] = Counter()
    no: Counter[date] = Counter()
    topics: Counter[str] = Counter()
    for at, matched, top in asked:
        d = at.astimezone(zone).date()
        (yes if matched else no)[d] += 1
        if matched and top:
            topics[top] += 1
    first = now.astimezone(zone).date() - timedelta(days=days - 1)
    page.per_day = [
        ((first + timedelta(days=n)).isoformat(), yes[first + timedelta(days=n)], no[first + timedelta(days=n)])
        for n in range(days)
    ]
    page.asked, page.answered = len(asked), sum(yes.values())
    page.up, page.down = votes["up"], votes["down"]
    page.top_topics = [(_title(team, t), n) for t, n in topics.most_common(5)]
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
                "kind": s.kind.replace("_", " "),
                "channel": s.channel,
                "when": describe(rule_of(s)) if s.kind != "milestone" else f"milestone reminders at 09:00 {s.tz}",
                "participants": participants_of(s) if s.kind == "checkin" else [],
                "paused": s.paused_at is not None,
                "next_local": nxt.at.astimezone(ZoneInfo(nxt.tz)) if nxt else None,
                "next_tz": nxt.tz if nxt else None,
                "next_viewer": nxt.at.astimezone(zone) if nxt else None,
            }
        )
    return out
