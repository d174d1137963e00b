"""Occurrences: what each schedule delivers, when, to whom.

The same generator feeds the planner (which turns due occurrences into
outbox rows) and ``cos-bot schedule preview``, so the two cannot disagree.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.models import Schedule
from bot.scheduler.recurrence import Rule, local_to_utc, occurrences, zone
from bot.storage.models import Workspace
from bot.team.calendar import Availability, load_availability
from bot.team.models import Member, Milestone, TeamStage

__all__ = [
    "Occurrence",
    "Context",
    "load_context",
    "generate",
    "NUDGE_AFTER",
    "MILESTONE_LEAD",
    "rule_of",
    "participants_of",
    "questions_of",
]

log = logging.getLogger(__name__)

# A check-in's one nudge goes out this long after the question, to those who have not answered.
NUDGE_AFTER = timedelta(hours=4)
# Milestone reminders: a week ahead and on the target date.
MILESTONE_LEAD = (timedelta(days=7), timedelta(0))


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One delivery of a schedule: kind, UTC instant, zone and target."""

    at: datetime
    tz: str
    kind: str  # milestone | risk_review | digest | checkin | nudge
    platform: str
    workspace: str
    target_type: str  # channel | dm
    target: str
    channel: str
    schedule_id: int
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """Deterministic and unique per (schedule, occurrence, target)."""
        stamp = self.at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        part = dict(self.extra)
        middle = f"m{part['milestone_id']}:" if "milestone_id" in part else ""
        return (
            f"{self.kind}:{self.platform}:{self.workspace}:{self.schedule_id}:{middle}{stamp}:"
            f"{self.target_type}:{self.target}"
        )

    @property
    def local(self) -> datetime:
        return self.at.astimezone(zone(self.tz))

    def payload(self) -> dict[str, Any]:
        return dict(self.extra)

    def as_preview(self) -> dict[str, str]:
        return {
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "local": self.local.isoformat(),
            "tz": self.tz,
            "kind": self.kind,
            "workspace": f"{self.platform}:{self.workspace}",
            "target": ("@" if self.target_type == "dm" else "#") + self.target,
        }


@dataclass(slots=True)
class Context:
    """What a workspace's occurrences depend on besides the schedule itself."""

    default_tz: str
    workspace_tz: str | None = None
    member_tz: dict[str, str] = field(default_factory=dict)
    stage: TeamStage | None = None
    milestones: list[Milestone] = field(default_factory=list)
    # Holidays and time off: check-ins skip them, milestone reminders for an absent owner go to the channel.
    availability: Availability = field(default_factory=Availability)

    def tz_of(self, user: str | None) -> str:
        if user and user in self.member_tz:
            return self.member_tz[user]
        return self.workspace_tz or self.default_tz


async def load_context(session: AsyncSession, platform: str, workspace: str, default_tz: str) -> Context:
    ws = await session.get(Workspace, f"{platform}:{workspace}")
    members = (
        await session.execute(
            select(Member.user, Member.tz).where(
                Member.platform == platform, Member.workspace == workspace, Member.tz.is_not(None)
            )
        )
    ).all()
    stage = (
        await session.execute(select(TeamStage).where(TeamStage.platform == platform, TeamStage.workspace == workspace))
    ).scalar_one_or_none()
    milestones: list[Milestone] = []
    if stage is not None:
        milestones = list(
            (
                await session.execute(
                    select(Milestone)
                    .where(
                        Milestone.platform == platform,
                        Milestone.workspace == workspace,
                        Milestone.phase_id == stage.phase_id,
                    )
                    .order_by(Milestone.position)
                )
            ).scalars()
        )
    return Context(
        default_tz=default_tz,
        workspace_tz=ws.tz if ws is not None else None,
        member_tz={u: tz for u, tz in members if tz},
        stage=stage,
        milestones=milestones,
        availability=await load_availability(session, platform, workspace),
    )


def rule_of(schedule: Schedule, tz: str | None = None) -> Rule:
    return Rule(
        cadence=schedule.cadence,
        hour=schedule.hour,
        minute=schedule.minute,
        tz=tz or schedule.tz,
        weekday=schedule.weekday,
        day=schedule.day,
        skip_weekends=schedule.skip_weekends,
    )


def participants_of(schedule: Schedule) -> list[str]:
    return list(json.loads(schedule.participants or "[]"))


def questions_of(schedule: Schedule) -> list[str]:
    return list(json.loads(schedule.questions or "[]"))


def _milestone_times(schedule: Schedule, ctx: Context, m: Milestone) -> Iterable[tuple[datetime, str]]:
    tz = ctx.tz_of(m.owner) if m.owner else schedule.tz
    for lead in MILESTONE_LEAD:
        day: date = m.due_on - lead
        yield local_to_utc(day, time(schedule.hour, schedule.minute), zone(tz)), tz


def generate(schedule: Schedule, ctx: Context, after: datetime, until: datetime) -> list[Occurrence]:
    """Every occurrence of ``schedule`` with ``after < at <= until``, sorted by time.

    A participant or milestone whose times cannot be computed (a zone missing
    from tzdata, a date at the edge of the calendar) is logged and left out, so
    it does not cost the others their reminders. The caller still guards the
    whole call: a schedule's own rule may fail too.
    """
    base: dict[str, Any] = dict(
        platform=schedule.platform, workspace=schedule.workspace, channel=schedule.channel, schedule_id=schedule.id
    )
    out: list[Occurrence] = []
    if schedule.kind in ("digest", "risk_review"):
        for t in occurrences(rule_of(schedule), after, until):
            out.append(
                Occurrence(
                    at=t, tz=schedule.tz, kind=schedule.kind, target_type="channel", target=schedule.channel, **base
                )
            )
    elif schedule.kind == "checkin":
        for user in participants_of(schedule):
            tz = ctx.tz_of(user)
            try:
                times = list(occurrences(rule_of(schedule, tz), after - NUDGE_AFTER, until))
            except Exception:
                log.exception("schedule %s: check-in times for %s in %r could not be computed", schedule.id, user, tz)
                continue
            for t in times:
                if ctx.availability.skips(user, t.astimezone(zone(tz)).date()):
                    continue  # away or a holiday: neither the question nor its nudge
                if t > after:
                    out.append(Occurrence(at=t, tz=tz, kind="checkin", target_type="dm", target=user, **base))
                nudge = t + NUDGE_AFTER
                if after < nudge <= until:
                    out.append(
                        Occurrence(
                            at=nudge,
                            tz=tz,
                            kind="nudge",
                            target_type="dm",
                            target=user,
                            extra=(("occurrence", t.isoformat()),),
                            **base,
                        )
                    )
    elif schedule.kind == "milestone":
        if ctx.stage is not None:
            for m in ctx.milestones:
                if m.status == "done":
                    continue
                try:
                    reminders = list(_milestone_times(schedule, ctx, m))
                except Exception:
                    log.exception(
                        "schedule %s: reminder times for milestone %s (due %s) could not be computed",
                        schedule.id,
                        m.id,
                        m.due_on,
                    )
                    continue
                for t, tz in reminders:
                    if after < t <= until:
                        target_type, target = ("dm", m.owner) if m.owner else ("channel", schedule.channel)
                        extra: tuple[tuple[str, Any], ...] = (("milestone_id", m.id),)
                        if m.owner and ctx.availability.away(m.owner, t.astimezone(zone(tz)).date()):
                            # The owner is away: the team sees it in the channel instead.
                            target_type, target = "channel", schedule.channel
                            extra += (("owner_away", m.owner),)
                        out.append(
                            Occurrence(
                                at=t,
                                tz=tz,
                                kind="milestone",
                                target_type=target_type,
                                target=target,
                                extra=extra,
                                **base,
                            )
                        )
    out.sort(key=lambda o: (o.at, o.kind, o.target))
    return out
