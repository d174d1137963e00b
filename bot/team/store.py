"""The team features' queries, in one place. Keyword-only functions over an open session.

Handlers parse and check; these read and write. Nothing here knows about a chat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.models import OUTBOX_DEAD, OUTBOX_PENDING, OUTBOX_SKIPPED, Outbox, Schedule
from bot.storage.models import Workspace
from bot.storage.sql import affected, insert_ignore
from bot.team.models import CheckinAnswer, Member, Milestone, RiskItem, TeamStage

__all__ = [
    "get_stage",
    "milestones_of",
    "milestones_by_position",
    "add_milestone_schedule",
    "workspace_tz",
    "set_workspace_tz",
    "set_member_tz",
    "find_twin_schedule",
    "active_schedule_ids",
    "deactivate_schedules",
    "active_schedules",
    "get_schedule",
    "dead_letters",
    "queue_now",
    "risk_items",
    "risk_item",
    "answer_rows",
    "forget_answers",
    "latest_checkin",
]


# -- stage and milestones -----------------------------------------------------------
async def get_stage(session: AsyncSession, *, platform: str, workspace: str) -> TeamStage | None:
    return (
        await session.execute(select(TeamStage).where(TeamStage.platform == platform, TeamStage.workspace == workspace))
    ).scalar_one_or_none()


async def milestones_of(session: AsyncSession, *, stage: TeamStage) -> list[Milestone]:
    """The milestones of the stage's phase, in order."""
    return list(
        (
            await session.execute(
                select(Milestone)
                .where(
                    Milestone.platform == stage.platform,
                    Milestone.workspace == stage.workspace,
                    Milestone.phase_id == stage.phase_id,
                )
                .order_by(Milestone.position)
            )
        ).scalars()
    )


async def milestones_by_position(
    session: AsyncSession, *, platform: str, workspace: str, phase_id: str
) -> dict[int, Milestone]:
    return {
        m.position: m
        for m in (
            await session.execute(
                select(Milestone).where(
                    Milestone.platform == platform, Milestone.workspace == workspace, Milestone.phase_id == phase_id
                )
            )
        ).scalars()
    }


async def add_milestone_schedule(
    session: AsyncSession, *, platform: str, workspace: str, channel: str, tz: str, user: str, now: datetime
) -> None:
    """The workspace's one milestone-reminder schedule: created, or moved to this channel and zone."""
    sched = (
        (
            await session.execute(
                select(Schedule).where(
                    Schedule.platform == platform, Schedule.workspace == workspace, Schedule.kind == "milestone"
                )
            )
        )
        .scalars()
        .first()
    )
    if sched is None:
        session.add(
            Schedule(
                platform=platform,
                workspace=workspace,
                kind="milestone",
                channel=channel,
                cadence="dates",
                hour=9,
                minute=0,
                tz=tz,
                skip_weekends=False,
                active=True,
                planned_until=now,
                created_by=user,
                created_at=now,
            )
        )
        return
    sched.channel, sched.tz, sched.active = channel, tz, True
    if sched.planned_until < now:
        sched.planned_until = now


# -- zones ----------------------------------------------------------------------------
async def workspace_tz(session: AsyncSession, *, platform: str, workspace: str) -> str | None:
    ws = await session.get(Workspace, f"{platform}:{workspace}")
    return ws.tz if ws is not None else None


async def set_workspace_tz(session: AsyncSession, *, platform: str, workspace: str, tz: str, now: datetime) -> None:
    ws = await session.get(Workspace, f"{platform}:{workspace}")
    if ws is None:
        session.add(Workspace(id=f"{platform}:{workspace}", platform=platform, tz=tz, created_at=now, updated_at=now))
    else:
        ws.tz, ws.updated_at = tz, now


async def set_workspace_lang(
    session: AsyncSession, *, platform: str, workspace: str, lang: str | None, now: datetime
) -> None:
    """Set the workspace's language (None: ``auto``)."""
    ws = await session.get(Workspace, f"{platform}:{workspace}")
    if ws is None:
        ws = Workspace(id=f"{platform}:{workspace}", platform=platform, lang=lang, created_at=now, updated_at=now)
        session.add(ws)
    else:
        ws.lang, ws.updated_at = lang, now


async def set_member_tz(
    session: AsyncSession, *, platform: str, workspace: str, user: str, tz: str, now: datetime
) -> None:
    member = (
        await session.execute(
            select(Member).where(Member.platform == platform, Member.workspace == workspace, Member.user == user)
        )
    ).scalar_one_or_none()
    if member is None:
        await session.execute(
            insert_ignore(session, Member)
            .values(platform=platform, workspace=workspace, user=user, tz=tz, updated_at=now)
            .on_conflict_do_nothing(index_elements=["platform", "workspace", "user"])
        )
    elif member.tz != tz:
        member.tz, member.updated_at = tz, now


# -- schedules ------------------------------------------------------------------------
async def find_twin_schedule(
    session: AsyncSession, *, platform: str, workspace: str, kind: str, channel: str, fields: dict[str, Any], tz: str
) -> Schedule | None:
    """An active schedule of the same kind, channel, cadence, time and zone, if one exists."""
    weekday, day = fields.get("weekday"), fields.get("day")
    return (
        await session.execute(
            select(Schedule)
            .where(
                Schedule.platform == platform,
                Schedule.workspace == workspace,
                Schedule.kind == kind,
                Schedule.active.is_(True),
                Schedule.channel == channel,
                Schedule.cadence == fields["cadence"],
                Schedule.weekday.is_(None) if weekday is None else Schedule.weekday == weekday,
                Schedule.day.is_(None) if day is None else Schedule.day == day,
                Schedule.hour == fields.get("hour", 9),
                Schedule.minute == fields.get("minute", 0),
                Schedule.tz == tz,
                Schedule.skip_weekends.is_(bool(fields.get("skip_weekends"))),
            )
            .limit(1)
        )
    ).scalar_one_or_none()


async def active_schedule_ids(
    session: AsyncSession, *, platform: str, workspace: str, kind: str, channel: str | None = None
) -> list[int]:
    query = select(Schedule.id).where(
        Schedule.platform == platform, Schedule.workspace == workspace, Schedule.kind == kind, Schedule.active.is_(True)
    )
    if channel is not None:
        query = query.where(Schedule.channel == channel)
    return sorted((await session.execute(query)).scalars().all())


async def deactivate_schedules(session: AsyncSession, *, ids: Sequence[int]) -> None:
    """Stop schedules and drop what they still had queued (a row already being sent finishes)."""
    if not ids:
        return
    await session.execute(update(Schedule).where(Schedule.id.in_(ids)).values(active=False))
    await session.execute(
        update(Outbox).where(Outbox.schedule_id.in_(ids), Outbox.status == OUTBOX_PENDING).values(status=OUTBOX_SKIPPED)
    )


async def active_schedules(session: AsyncSession, *, platform: str, workspace: str) -> list[Schedule]:
    return list(
        (
            await session.execute(
                select(Schedule)
                .where(Schedule.platform == platform, Schedule.workspace == workspace, Schedule.active.is_(True))
                .order_by(Schedule.id)
            )
        ).scalars()
    )


async def get_schedule(
    session: AsyncSession, *, platform: str, workspace: str, schedule_id: int, kind: str | None = None
) -> Schedule | None:
    """An active schedule of this workspace (of ``kind`` when given); None for any other id."""
    sched = await session.get(Schedule, schedule_id)
    if sched is None or not sched.active or sched.platform != platform or sched.workspace != workspace:
        return None
    if kind is not None and sched.kind != kind:
        return None
    return sched


async def dead_letters(session: AsyncSession, *, platform: str, workspace: str, limit: int = 10) -> list[Outbox]:
    return list(
        (
            await session.execute(
                select(Outbox)
                .where(Outbox.platform == platform, Outbox.workspace == workspace, Outbox.status == OUTBOX_DEAD)
                .order_by(Outbox.due_at.desc())
                .limit(limit)
            )
        ).scalars()
    )


async def queue_now(
    session: AsyncSession, *, key: str, platform: str, workspace: str, kind: str, channel: str, tz: str, now: datetime
) -> None:
    """Queue one channel delivery due now, outside any schedule (``digest now``)."""
    await session.execute(
        insert_ignore(session, Outbox).values(
            key=key,
            platform=platform,
            workspace=workspace,
            schedule_id=None,
            kind=kind,
            target_type="channel",
            target=channel,
            channel=channel,
            due_at=now,
            tz=tz,
            payload="{}",
            status=OUTBOX_PENDING,
            attempts=0,
            next_attempt_at=now,
            fallback=False,
            created_at=now,
        )
    )


# -- risk register ----------------------------------------------------------------------
async def risk_items(session: AsyncSession, *, platform: str, workspace: str) -> list[RiskItem]:
    return list(
        (
            await session.execute(
                select(RiskItem).where(RiskItem.platform == platform, RiskItem.workspace == workspace)
            )
        ).scalars()
    )


async def risk_item(session: AsyncSession, *, platform: str, workspace: str, topic_id: str) -> RiskItem | None:
    return (
        await session.execute(
            select(RiskItem).where(
                RiskItem.platform == platform, RiskItem.workspace == workspace, RiskItem.topic_id == topic_id
            )
        )
    ).scalar_one_or_none()


# -- check-in answers -------------------------------------------------------------------
async def answer_rows(
    session: AsyncSession, *, platform: str, workspace: str, user: str | None = None, since: datetime | None = None
) -> list[CheckinAnswer]:
    """Answered check-ins of one workspace (one person's, or everyone's), oldest first."""
    query = select(CheckinAnswer).where(
        CheckinAnswer.platform == platform, CheckinAnswer.workspace == workspace, CheckinAnswer.answered_at.is_not(None)
    )
    if user is not None:
        query = query.where(CheckinAnswer.user == user)
    if since is not None:
        query = query.where(CheckinAnswer.occurrence_at >= since)
    return list(
        (
            await session.execute(query.order_by(CheckinAnswer.occurrence_at, CheckinAnswer.user, CheckinAnswer.id))
        ).scalars()
    )


async def forget_answers(session: AsyncSession, *, platform: str, workspace: str, user: str | None) -> int:
    """Delete answered check-ins of one workspace (one person's, or everyone's); returns how many."""
    cond = [
        CheckinAnswer.platform == platform,
        CheckinAnswer.workspace == workspace,
        CheckinAnswer.answered_at.is_not(None),
    ]
    if user is not None:
        cond.append(CheckinAnswer.user == user)
    return affected(await session.execute(delete(CheckinAnswer).where(*cond)))


async def latest_checkin(
    session: AsyncSession, *, platform: str, user: str, workspace: str | None, since: datetime
) -> CheckinAnswer | None:
    """The person's most recent check-in asked after ``since`` (in ``workspace``, or anywhere on the platform)."""
    query = (
        select(CheckinAnswer)
        .where(
            CheckinAnswer.platform == platform,
            CheckinAnswer.user == user,
            CheckinAnswer.asked_at.is_not(None),
            CheckinAnswer.asked_at > since,
        )
        .order_by(CheckinAnswer.asked_at.desc())
        .limit(1)
    )
    if workspace is not None:
        query = query.where(CheckinAnswer.workspace == workspace)
    return (await session.execute(query)).scalar_one_or_none()


def loads(text: str | None) -> list[Any]:
    """A JSON list column (questions, answers, participants)."""
    return list(json.loads(text or "[]"))
