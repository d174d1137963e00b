"""Everything stored about a workspace or a person: export it, delete it, forget one person, uninstall.

Every table is listed in ``COVERAGE`` with what these functions do with it; a test fails
when a table of the schema is missing there, so a new table must say how it is exported,
deleted and forgotten (or why it holds nothing about a workspace or a person).

A workspace is named as the core does (``platform`` and the platform's ``workspace`` id,
``console`` / ``T1``). A platform's own tables are named ``<platform>_<what>`` (Slack's
installation store: ``slack_installations``, ``slack_bots``) and keyed by ``team_id`` and
``enterprise_id``; they are found by that naming, so this module names no platform.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData as _MetaData
from sqlalchemy import Table, and_, delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.answering.models import (
    GapDismissal,
    KnowledgeFeedback,
    KnowledgeQuestion,
    KnowledgeVersion,
    TaughtPhraseRow,
)
from bot.scheduler.models import OUTBOX_PENDING, Outbox, Schedule, SendPace
from bot.storage.models import Base, InteractionState, Workspace
from bot.storage.sql import affected
from bot.team import audit
from bot.team.models import (
    Absence,
    AuditEntry,
    CheckinAnswer,
    CheckinReport,
    HolidayCalendar,
    HolidayDay,
    Member,
    Milestone,
    RiskItem,
    TeamStage,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.db import Database

__all__ = [
    "COVERAGE",
    "PERSON_COLUMNS",
    "NOT_A_PERSON",
    "WORKSPACE_TABLES",
    "PLATFORM_TABLES",
    "export_workspace",
    "delete_workspace",
    "forget_person",
    "mark_uninstalled",
    "reinstalled",
    "purge_uninstalled",
    "app_removed",
    "app_added",
    "parse_workspace",
    "FORGOTTEN",
]

log = logging.getLogger(__name__)

FORGOTTEN = audit.FORGOTTEN

# Tables keyed by (platform, workspace), children before parents (check-in answers refer to schedules).
WORKSPACE_TABLES: tuple[type[Base], ...] = (
    CheckinAnswer,
    Outbox,
    Schedule,
    Milestone,
    TeamStage,
    RiskItem,
    Member,
    InteractionState,
    AuditEntry,
    KnowledgeFeedback,
    KnowledgeQuestion,
    TaughtPhraseRow,
    GapDismissal,
    KnowledgeVersion,
    Absence,
    CheckinReport,
    HolidayDay,
    HolidayCalendar,
)
# A platform's installation store: ``<platform>_<suffix>``; rows of a workspace by team and enterprise id.
PLATFORM_TABLES = ("installations", "bots")
# Secrets are never exported.
_SECRET_COLUMN = re.compile(r"token|secret", re.I)

COVERAGE: dict[str, str] = {
    "checkin_answer": "workspace rows; a person's answers and participation are deleted",
    "outbox": "workspace rows; deliveries to a person are deleted; queued rows dropped at uninstall",
    "schedule": "workspace rows; a person leaves check-in participants, created_by is forgotten",
    "milestone": "workspace rows; a person's ownerships are cleared",
    "team_stage": "workspace rows; set_by is forgotten",
    "risk_item": "workspace rows; owner and reviewed_by cleared, their id scrubbed from notes",
    "member": "workspace rows; the person's record is deleted",
    "interaction_state": "workspace rows (button pages); pages naming the person are deleted",
    "audit_entry": "workspace rows; the person becomes 'a forgotten member' as actor and in what changed",
    "knowledge_question": "workspace rows; the questions a person asked are deleted (their votes with them)",
    "knowledge_feedback": "workspace rows; a person's votes and comments are deleted",
    "taught_phrase": "workspace rows; created_by is forgotten, the phrase stays the workspace's",
    "gap_dismissal": "workspace rows; dismissed_by is forgotten",
    "knowledge_version": "workspace rows: a counter of taught-phrase changes, no person data",
    "absence": "workspace rows; a person's own absences are deleted, set_by is forgotten",
    "checkin_report": "workspace rows: one report message per check-in day (counts, no names)",
    "holiday_calendar": "workspace rows: the holiday country; set_by is forgotten",
    "holiday_day": "workspace rows: added or removed holidays; set_by is forgotten",
    "workspace": "the workspace's settings row (id '<platform>:<workspace>'), no person data",
    "send_pace": "send slots by 'ws:<workspace>' and 'ch:<workspace>:<channel>' scope, deleted with the workspace",
    "slack_installations": "the platform's installation (tokens never exported); installer id forgotten",
    "slack_bots": "the platform's bot installation (tokens never exported), deleted with the workspace",
    # No workspace or person data:
    "slack_oauth_states": "none: one-time OAuth state values, expiring after ten minutes",
    "processed_event": "none: platform event ids of the last day, pruned by the adapters",
    "alembic_version": "none: the schema revision",
}


# The columns that can name a person, per table: ``forget_person`` deletes, clears or scrubs each.
PERSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "checkin_answer": ("user",),
    "outbox": ("target",),
    "schedule": ("participants", "created_by"),
    "milestone": ("owner",),
    "team_stage": ("set_by",),
    "risk_item": ("owner", "reviewed_by", "accepted_by", "note", "title"),
    "member": ("user",),
    "interaction_state": ("payload",),
    "audit_entry": ("actor", "target", "before", "after"),
    "knowledge_question": ("user", "text"),
    "knowledge_feedback": ("user", "comment"),
    "taught_phrase": ("created_by",),
    "gap_dismissal": ("dismissed_by",),
    "absence": ("user", "set_by", "note"),
    "holiday_calendar": ("set_by",),
    "holiday_day": ("set_by",),
    "slack_installations": ("user_id",),
}


# Columns whose names sound like a person but hold none.
NOT_A_PERSON: dict[str, tuple[str, ...]] = {
    "outbox": ("claimed_by",),  # the replica holding the row's lease
    "checkin_report": ("claimed_by",),  # the replica syncing the report
}


def parse_workspace(text: str, platforms: tuple[str, ...]) -> tuple[str, str]:
    """``slack:T123`` / ``console:T1`` / ``slack:E1:T1`` -> (platform, workspace); ValueError otherwise."""
    platform, sep, workspace = text.strip().partition(":")
    if not sep or not workspace.strip():
        raise ValueError(f"name the workspace as <platform>:<id>, e.g. console:T1 or slack:T123 (got {text[:60]!r})")
    if platform not in platforms:
        raise ValueError(f"{platform[:20]!r} is not an installed platform; one of: {', '.join(platforms)}")
    return platform, workspace.strip()


def _where(model: Any, platform: str, workspace: str) -> Any:
    return and_(model.platform == platform, model.workspace == workspace)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(obj: Any, columns: Any) -> dict[str, Any]:
    return {c.key: _plain(getattr(obj, c.key)) for c in columns}


# -- the platform's installation tables ----------------------------------------------------
async def _platform_tables(session: AsyncSession, platform: str) -> list[Table]:
    conn = await session.connection()

    def reflect(sync_conn: Any) -> list[Table]:
        names = set(inspect(sync_conn).get_table_names())
        meta = _MetaData()
        return [
            Table(f"{platform}_{suffix}", meta, autoload_with=sync_conn)
            for suffix in PLATFORM_TABLES
            if f"{platform}_{suffix}" in names
        ]

    return list(await conn.run_sync(reflect))


def _installation_rows(table: Table, workspace: str) -> Any:
    team_id, enterprise_id = table.c.get("team_id"), table.c.get("enterprise_id")
    if team_id is None or enterprise_id is None:
        return None
    if ":" in workspace:
        enterprise, _, team = workspace.partition(":")
        return and_(enterprise_id == enterprise, team_id == team)
    return or_(team_id == workspace, and_(team_id.is_(None), enterprise_id == workspace))


# -- export ---------------------------------------------------------------------------------
async def export_workspace(db: Database, *, platform: str, workspace: str) -> dict[str, Any]:
    """Everything stored about one workspace, as JSON-friendly data (secrets left out)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with db.session() as session:
        ws = await session.get(Workspace, f"{platform}:{workspace}")
        tables["workspace"] = [_row(ws, Workspace.__table__.columns)] if ws is not None else []
        for model in WORKSPACE_TABLES:
            rows = (await session.execute(select(model).where(_where(model, platform, workspace)))).scalars()
            tables[model.__tablename__] = [_row(r, model.__table__.columns) for r in rows]
        pace = (
            await session.execute(
                select(SendPace).where(
                    SendPace.platform == platform,
                    or_(
                        SendPace.scope == f"ws:{workspace}",
                        SendPace.scope.startswith(f"ch:{workspace}:", autoescape=True),
                    ),
                )
            )
        ).scalars()
        tables["send_pace"] = [_row(p, SendPace.__table__.columns) for p in pace]
        for table in await _platform_tables(session, platform):
            cond = _installation_rows(table, workspace)
            if cond is None:
                continue
            tables[table.name] = [
                {k: _plain(v) for k, v in r._mapping.items() if not _SECRET_COLUMN.search(k)}
                for r in (await session.execute(select(table).where(cond))).all()
            ]
    return {"platform": platform, "workspace": workspace, "tables": tables}


# -- delete ---------------------------------------------------------------------------------
async def _delete_all(session: AsyncSession, *, platform: str, workspace: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in WORKSPACE_TABLES:
        counts[model.__tablename__] = affected(
            await session.execute(delete(model).where(_where(model, platform, workspace)))
        )
    counts["send_pace"] = affected(
        await session.execute(
            delete(SendPace).where(
                SendPace.platform == platform,
                or_(
                    SendPace.scope == f"ws:{workspace}", SendPace.scope.startswith(f"ch:{workspace}:", autoescape=True)
                ),
            )
        )
    )
    counts.update(await _delete_installation(session, platform=platform, workspace=workspace))
    counts["workspace"] = affected(
        await session.execute(delete(Workspace).where(Workspace.id == f"{platform}:{workspace}"))
    )
    return counts


async def _delete_installation(session: AsyncSession, *, platform: str, workspace: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in await _platform_tables(session, platform):
        cond = _installation_rows(table, workspace)
        if cond is not None:
            counts[table.name] = affected(await session.execute(delete(table).where(cond)))
    return counts


async def delete_workspace(
    db: Database, *, platform: str, workspace: str, now: datetime | None = None, record: bool = True
) -> dict[str, int]:
    """Remove everything stored about one workspace (queued deliveries too); other workspaces are untouched.

    With ``record`` the deletion itself stays in the audit log as one entry naming no one.
    Returns the rows removed per table.
    """
    async with db.session() as session:
        counts = await _delete_all(session, platform=platform, workspace=workspace)
        if record:
            await audit.record(
                session,
                None,
                platform=platform,
                workspace=workspace,
                action="workspace.delete",
                after={"removed": {k: v for k, v in counts.items() if v}},
                at=now,
            )
    log.info("workspace %s:%s deleted (%d rows)", platform, workspace, sum(counts.values()))
    return counts


# -- forget one person ------------------------------------------------------------------------
def _scrub(text: str | None, user: str) -> str | None:
    """``text`` with every whole occurrence of the user id replaced by "a forgotten member"."""
    if text is None or user not in text:
        return text
    return re.sub(r"(?<![A-Za-z0-9])" + re.escape(user) + r"(?![A-Za-z0-9])", FORGOTTEN, text)


async def forget_person(
    db: Database, *, platform: str, workspace: str, user: str, now: datetime | None = None
) -> dict[str, int]:
    """Erase one person from one workspace: answers, participation, member record, deliveries to them;
    ownerships cleared; in the audit log and elsewhere they become "a forgotten member".

    The erasure is recorded in the audit log without their id. Returns what changed per table.
    """
    user = user.strip()
    if not user:
        raise ValueError("no user to forget")
    counts: dict[str, int] = {}
    async with db.session() as session:
        counts["checkin_answer"] = affected(
            await session.execute(
                delete(CheckinAnswer).where(_where(CheckinAnswer, platform, workspace), CheckinAnswer.user == user)
            )
        )
        counts["outbox"] = affected(
            await session.execute(delete(Outbox).where(_where(Outbox, platform, workspace), Outbox.target == user))
        )
        counts["knowledge_feedback"] = affected(
            await session.execute(
                delete(KnowledgeFeedback).where(
                    _where(KnowledgeFeedback, platform, workspace), KnowledgeFeedback.user == user
                )
            )
        )
        asked = select(KnowledgeQuestion.id).where(
            _where(KnowledgeQuestion, platform, workspace), KnowledgeQuestion.user == user
        )
        await session.execute(delete(KnowledgeFeedback).where(KnowledgeFeedback.question_id.in_(asked)))
        counts["knowledge_question"] = affected(
            await session.execute(
                delete(KnowledgeQuestion).where(
                    _where(KnowledgeQuestion, platform, workspace), KnowledgeQuestion.user == user
                )
            )
        )
        counts["taught_phrase"] = affected(
            await session.execute(
                update(TaughtPhraseRow)
                .where(_where(TaughtPhraseRow, platform, workspace), TaughtPhraseRow.created_by == user)
                .values(created_by=FORGOTTEN)
            )
        )
        counts["gap_dismissal"] = affected(
            await session.execute(
                update(GapDismissal)
                .where(_where(GapDismissal, platform, workspace), GapDismissal.dismissed_by == user)
                .values(dismissed_by=FORGOTTEN)
            )
        )
        counts["absence"] = affected(
            await session.execute(delete(Absence).where(_where(Absence, platform, workspace), Absence.user == user))
        )
        for model in (Absence, HolidayCalendar, HolidayDay):
            counts[model.__tablename__] = counts.get(model.__tablename__, 0) + affected(
                await session.execute(
                    update(model)
                    .where(_where(model, platform, workspace), model.set_by == user)
                    .values(set_by=FORGOTTEN)
                )
            )
        counts["member"] = affected(
            await session.execute(delete(Member).where(_where(Member, platform, workspace), Member.user == user))
        )
        counts["schedule"] = await _forget_in_schedules(session, platform, workspace, user)
        counts["milestone"] = affected(
            await session.execute(
                update(Milestone)
                .where(_where(Milestone, platform, workspace), Milestone.owner == user)
                .values(owner=None)
            )
        )
        counts["team_stage"] = affected(
            await session.execute(
                update(TeamStage)
                .where(_where(TeamStage, platform, workspace), TeamStage.set_by == user)
                .values(set_by=FORGOTTEN)
            )
        )
        changed = 0
        for item in (await session.execute(select(RiskItem).where(_where(RiskItem, platform, workspace)))).scalars():
            before = (item.owner, item.reviewed_by, item.accepted_by, item.note, item.title)
            item.owner = None if item.owner == user else item.owner
            item.reviewed_by = None if item.reviewed_by == user else item.reviewed_by
            item.accepted_by = FORGOTTEN if item.accepted_by == user else item.accepted_by
            item.note, item.title = _scrub(item.note, user), _scrub(item.title, user) or item.title
            changed += before != (item.owner, item.reviewed_by, item.accepted_by, item.note, item.title)
        counts["risk_item"] = changed
        counts["interaction_state"] = affected(
            await session.execute(
                delete(InteractionState).where(
                    _where(InteractionState, platform, workspace), InteractionState.payload.contains(user)
                )
            )
        )
        changed = 0
        for e in (await session.execute(select(AuditEntry).where(_where(AuditEntry, platform, workspace)))).scalars():
            was = (e.actor, e.target, e.before, e.after)
            e.actor = None if e.actor == user else e.actor
            e.target, e.before, e.after = _scrub(e.target, user), _scrub(e.before, user), _scrub(e.after, user)
            changed += was != (e.actor, e.target, e.before, e.after)
        counts["audit_entry"] = changed
        for table in await _platform_tables(session, platform):
            cond = _installation_rows(table, workspace)
            if cond is not None and "user_id" in table.c:
                counts[table.name] = affected(
                    await session.execute(update(table).where(cond, table.c.user_id == user).values(user_id=""))
                )
        await audit.record(
            session,
            None,
            platform=platform,
            workspace=workspace,
            action="member.forget",
            after={"changed": {k: v for k, v in counts.items() if v}},
            at=now,
        )
    return counts


async def _forget_in_schedules(session: AsyncSession, platform: str, workspace: str, user: str) -> int:
    from bot.team import store

    changed, emptied = 0, []
    for s in (await session.execute(select(Schedule).where(_where(Schedule, platform, workspace)))).scalars():
        touched = False
        if s.participants and user in s.participants:
            people = [p for p in json.loads(s.participants) if p != user]
            s.participants = json.dumps(people)
            touched = True
            if not people and s.active:
                emptied.append(s.id)
        if s.created_by == user:
            s.created_by, touched = FORGOTTEN, True
        changed += touched
    # A check-in with nobody left to ask stops.
    await store.deactivate_schedules(session, ids=emptied)
    return changed


# -- uninstall --------------------------------------------------------------------------------
async def mark_uninstalled(
    db: Database, *, platform: str, workspace: str, now: datetime, retention_days: int
) -> dict[str, int]:
    """The app was removed from a workspace: schedules stop, queued deliveries are dropped, the
    installation is removed, and the data is kept ``retention_days`` (0: deleted at once)."""
    counts: dict[str, int] = {}
    async with db.session() as session:
        ids = sorted(
            (
                await session.execute(
                    select(Schedule.id).where(_where(Schedule, platform, workspace), Schedule.active.is_(True))
                )
            ).scalars()
        )
        counts["schedule"] = (
            affected(await session.execute(update(Schedule).where(Schedule.id.in_(ids)).values(active=False)))
            if ids
            else 0
        )
        counts["outbox"] = affected(
            await session.execute(
                delete(Outbox).where(_where(Outbox, platform, workspace), Outbox.status == OUTBOX_PENDING)
            )
        )
        counts.update(await _delete_installation(session, platform=platform, workspace=workspace))
        ws = await session.get(Workspace, f"{platform}:{workspace}")
        if ws is None:
            session.add(
                Workspace(
                    id=f"{platform}:{workspace}", platform=platform, created_at=now, updated_at=now, uninstalled_at=now
                )
            )
        elif ws.uninstalled_at is None:
            ws.uninstalled_at, ws.updated_at = now, now
        await audit.record(
            session,
            None,
            platform=platform,
            workspace=workspace,
            action="workspace.uninstall",
            after={"stopped_schedules": ids, "retention_days": retention_days},
            at=now,
        )
    log.info(
        "workspace %s:%s uninstalled: %d schedule(s) stopped, %d queued deliveries dropped",
        platform,
        workspace,
        counts["schedule"],
        counts["outbox"],
    )
    if retention_days <= 0:
        counts.update(
            {
                f"deleted.{k}": v
                for k, v in (await delete_workspace(db, platform=platform, workspace=workspace, record=False)).items()
            }
        )
    return counts


async def reinstalled(db: Database, *, platform: str, workspace: str, now: datetime) -> bool:
    """The app came back to a workspace within the retention period: keep its data and restart the
    schedules the uninstall stopped (from now on; nothing missed is sent). False when it was not uninstalled."""
    async with db.session() as session:
        ws = await session.get(Workspace, f"{platform}:{workspace}")
        if ws is None or ws.uninstalled_at is None:
            return False
        last = (
            await session.execute(
                select(AuditEntry)
                .where(_where(AuditEntry, platform, workspace), AuditEntry.action == "workspace.uninstall")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        ids = [int(i) for i in (json.loads(last.after or "{}").get("stopped_schedules") or [])] if last else []
        if ids:
            await session.execute(
                update(Schedule)
                .where(_where(Schedule, platform, workspace), Schedule.id.in_(ids))
                .values(active=True, planned_until=now)
            )
        ws.uninstalled_at, ws.updated_at = None, now
        await audit.record(
            session,
            None,
            platform=platform,
            workspace=workspace,
            action="workspace.reinstall",
            after={"restarted_schedules": ids},
            at=now,
        )
    log.info("workspace %s:%s reinstalled; %d schedule(s) restarted", platform, workspace, len(ids))
    return True


async def purge_uninstalled(db: Database, *, now: datetime, retention_days: int) -> list[str]:
    """Delete the data of every workspace uninstalled more than ``retention_days`` ago; returns their ids."""
    cutoff = now - timedelta(days=max(0, retention_days))
    async with db.session() as session:
        gone = list(
            (
                await session.execute(
                    select(Workspace.platform, Workspace.id).where(
                        Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= cutoff
                    )
                )
            ).all()
        )
    purged = []
    for platform, ws_id in gone:
        workspace = ws_id.removeprefix(f"{platform}:")
        await delete_workspace(db, platform=platform, workspace=workspace, record=False)
        purged.append(ws_id)
    return purged


async def app_removed(app: App, *, platform: str, workspace: str) -> dict[str, int]:
    """A platform says the app was removed from ``workspace`` (Slack ``app_uninstalled``, Discord guild removal)."""
    await app.answering.journal.flush_quietly()  # a deletion at once (retention 0) takes the queued questions too
    return await mark_uninstalled(
        app.db,
        platform=platform,
        workspace=workspace,
        now=app.clock.now(),
        retention_days=app.settings.uninstall_retention_days,
    )


async def app_added(app: App, *, platform: str, workspace: str) -> bool:
    """A platform says the app was (re)installed in ``workspace``: data kept through the retention period is
    found again and the stopped schedules restart. False when it had not been uninstalled."""
    return await reinstalled(app.db, platform=platform, workspace=workspace, now=app.clock.now())
