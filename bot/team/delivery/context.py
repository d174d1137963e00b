"""What the team's planners read besides a schedule: people's zones, the stage and its milestones, time off."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.occurrences import Context
from bot.team.calendar import Availability, load_availability
from bot.team.models import Member, Milestone, TeamStage

__all__ = ["load_members", "load_stage", "load_time_off", "stage_of", "milestones_of", "availability_of"]


async def load_members(session: AsyncSession, ctx: Context) -> None:
    """Each member's own zone, for the check-ins and reminders that go to them."""
    members = (
        await session.execute(
            select(Member.user, Member.tz).where(
                Member.platform == ctx.platform, Member.workspace == ctx.workspace, Member.tz.is_not(None)
            )
        )
    ).all()
    ctx.member_tz.update({u: tz for u, tz in members if tz})


async def load_stage(session: AsyncSession, ctx: Context) -> None:
    """The workspace's stage and the milestones of its phase, in order."""
    stage = (
        await session.execute(
            select(TeamStage).where(TeamStage.platform == ctx.platform, TeamStage.workspace == ctx.workspace)
        )
    ).scalar_one_or_none()
    milestones: list[Milestone] = []
    if stage is not None:
        milestones = list(
            (
                await session.execute(
                    select(Milestone)
                    .where(
                        Milestone.platform == ctx.platform,
                        Milestone.workspace == ctx.workspace,
                        Milestone.phase_id == stage.phase_id,
                    )
                    .order_by(Milestone.position)
                )
            ).scalars()
        )
    ctx.parts["stage"] = stage
    ctx.parts["milestones"] = milestones


async def load_time_off(session: AsyncSession, ctx: Context) -> None:
    """Holidays and time off: check-ins skip them, milestone reminders for an absent owner go to the channel."""
    ctx.parts["availability"] = await load_availability(session, ctx.platform, ctx.workspace)


def stage_of(ctx: Context) -> TeamStage | None:
    stage = ctx.parts.get("stage")
    return stage if isinstance(stage, TeamStage) else None


def milestones_of(ctx: Context) -> list[Milestone]:
    return list(ctx.parts.get("milestones") or ())


def availability_of(ctx: Context) -> Availability:
    """The workspace's availability; nobody away and no holidays when the feature is not installed."""
    found = ctx.parts.get("availability")
    return found if isinstance(found, Availability) else Availability()
