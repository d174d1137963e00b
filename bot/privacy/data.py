"""Export or delete everything stored about a workspace; forget one person in a workspace.

A workspace is named as the core does (``platform`` and the platform's ``workspace`` id, ``console`` / ``T1``).
A platform's own tables are named ``<platform>_<what>`` (Slack's installation store: ``slack_installations``,
``slack_bots``) and keyed by ``team_id`` and ``enterprise_id``; they are found by that naming, so this module
names no platform.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData as _MetaData
from sqlalchemy import Table, and_, delete, inspect, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.answering.models import (
    GapDismissal,
    KnowledgeFeedback,
    KnowledgeQuestion,
    TaughtPhraseRow,
)
from bot.dashboard.models import DashboardLink, DashboardSession
from bot.privacy.coverage import _SECRET_COLUMN, FORGOTTEN, PLATFORM_TABLES, WORKSPACE_TABLES
from bot.scheduler.models import Outbox, Schedule, SendPace
from bot.storage.models import InteractionState, Workspace
from bot.storage.sql import affected
from bot.team import audit
from bot.team.models import (
    Absence,
    AuditEntry,
    CheckinAnswer,
    HolidayCalendar,
    HolidayDay,
    Member,
    Milestone,
    RiskItem,
    TeamStage,
)

if TYPE_CHECKING:
    from bot.storage.db import Database

__all__ = ["parse_workspace", "export_workspace", "delete_workspace", "forget_person"]

log = logging.getLogger(__name__)


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
    return {c.key: _plain(getattr(obj, c.key)) for c in columns if not _SECRET_COLUMN.search(c.key)}


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
        counts.update(await _forget_answers_and_deliveries(session, platform, workspace, user))
        counts.update(await _forget_in_knowledge(session, platform, workspace, user))
        counts.update(await _forget_in_calendar(session, platform, workspace, user))
        counts.update(await _forget_membership(session, platform, workspace, user))
        counts["schedule"] = await _forget_in_schedules(session, platform, workspace, user)
        counts.update(await _forget_in_plans(session, platform, workspace, user))
        counts.update(await _forget_in_interactions(session, platform, workspace, user))
        counts.update(await _forget_in_audit(session, platform, workspace, user))
        counts.update(await _forget_in_installation(session, platform, workspace, user))
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


async def _forget_answers_and_deliveries(
    session: AsyncSession, platform: str, workspace: str, user: str
) -> dict[str, int]:
    """Their check-in answers and the deliveries addressed to them are deleted."""
    counts: dict[str, int] = {}
    counts["checkin_answer"] = affected(
        await session.execute(
            delete(CheckinAnswer).where(_where(CheckinAnswer, platform, workspace), CheckinAnswer.user == user)
        )
    )
    counts["outbox"] = affected(
        await session.execute(delete(Outbox).where(_where(Outbox, platform, workspace), Outbox.target == user))
    )
    return counts


async def _forget_in_knowledge(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Their feedback and questions (with the feedback on them) are deleted; phrases they taught and gaps they
    dismissed stay, credited to "a forgotten member"."""
    counts: dict[str, int] = {}
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
    return counts


async def _forget_in_calendar(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Their absences are deleted; absences, holiday calendars and days they set stay, set by "a forgotten
    member"."""
    counts: dict[str, int] = {}
    counts["absence"] = affected(
        await session.execute(delete(Absence).where(_where(Absence, platform, workspace), Absence.user == user))
    )
    for model in (Absence, HolidayCalendar, HolidayDay):
        counts[model.__tablename__] = counts.get(model.__tablename__, 0) + affected(
            await session.execute(
                update(model).where(_where(model, platform, workspace), model.set_by == user).values(set_by=FORGOTTEN)
            )
        )
    return counts


async def _forget_membership(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Their member record and dashboard links and sessions are deleted."""
    counts: dict[str, int] = {}
    for person_table in (Member, DashboardLink, DashboardSession):
        counts[person_table.__tablename__] = affected(
            await session.execute(
                delete(person_table).where(_where(person_table, platform, workspace), person_table.user == user)
            )
        )
    return counts


async def _forget_in_plans(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Milestones and risks they own lose their owner, risks they reviewed their reviewer; the stage they set and
    the risks they accepted name "a forgotten member" instead, as do risk notes and titles naming them."""
    counts: dict[str, int] = {}
    counts["milestone"] = affected(
        await session.execute(
            update(Milestone).where(_where(Milestone, platform, workspace), Milestone.owner == user).values(owner=None)
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
    return counts


async def _forget_in_interactions(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Pending interactions that name them are deleted."""
    return {
        "interaction_state": affected(
            await session.execute(
                delete(InteractionState).where(
                    _where(InteractionState, platform, workspace), InteractionState.payload.contains(user)
                )
            )
        )
    }


async def _forget_in_audit(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """Audit entries stay: entries they made lose their actor; targets, befores and afters naming them name
    "a forgotten member" instead."""
    changed = 0
    for e in (await session.execute(select(AuditEntry).where(_where(AuditEntry, platform, workspace)))).scalars():
        was = (e.actor, e.target, e.before, e.after)
        e.actor = None if e.actor == user else e.actor
        e.target, e.before, e.after = _scrub(e.target, user), _scrub(e.before, user), _scrub(e.after, user)
        changed += was != (e.actor, e.target, e.before, e.after)
    return {"audit_entry": changed}


async def _forget_in_installation(session: AsyncSession, platform: str, workspace: str, user: str) -> dict[str, int]:
    """The platform's installation rows of the workspace keep no user id of theirs."""
    counts: dict[str, int] = {}
    for table in await _platform_tables(session, platform):
        cond = _installation_rows(table, workspace)
        if cond is not None and "user_id" in table.c:
            counts[table.name] = affected(
                await session.execute(update(table).where(cond, table.c.user_id == user).values(user_id=""))
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
