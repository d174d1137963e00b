"""Occurrences: what each schedule delivers, when, to whom.

The same generator feeds the planner (which turns due occurrences into
outbox rows) and ``cos-bot schedule preview``, so the two cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.models import Schedule
from bot.scheduler.recurrence import Rule, occurrences, zone
from bot.storage.models import Workspace

if TYPE_CHECKING:
    from bot.scheduler.registry import Deliveries

__all__ = [
    "Occurrence",
    "Context",
    "load_context",
    "generate",
    "in_channel",
    "rule_of",
    "participants_of",
    "questions_of",
]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One delivery of a schedule: kind, UTC instant, zone and target."""

    at: datetime
    tz: str
    kind: str  # a registered delivery kind (``Deliveries.add_kind``)
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

    @property
    def snoozed(self) -> bool:
        """A delivery snoozed to this time (queued by a snooze, not by its schedule)."""
        return "snoozed_from" in dict(self.extra)

    def as_preview(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "local": self.local.isoformat(),
            "tz": self.tz,
            "kind": self.kind,
            "workspace": f"{self.platform}:{self.workspace}",
            "target": ("@" if self.target_type == "dm" else "#") + self.target,
            "snoozed": self.snoozed,
        }


@dataclass(slots=True)
class Context:
    """What a workspace's occurrences depend on besides the schedule itself.

    The zones are the scheduler's; ``parts`` holds what the features' planner contexts load
    (``Deliveries.add_planner_context``), by a name each feature chooses. ``kinds`` plans each schedule.
    """

    platform: str
    workspace: str
    default_tz: str
    workspace_tz: str | None = None
    member_tz: dict[str, str] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)
    kinds: Deliveries | None = None

    def tz_of(self, user: str | None) -> str:
        if user and user in self.member_tz:
            return self.member_tz[user]
        return self.workspace_tz or self.default_tz


async def load_context(
    session: AsyncSession, platform: str, workspace: str, default_tz: str, deliveries: Deliveries
) -> Context:
    """The workspace's zone, then what each registered planner context adds."""
    ws = await session.get(Workspace, f"{platform}:{workspace}")
    ctx = Context(
        platform=platform,
        workspace=workspace,
        default_tz=default_tz,
        workspace_tz=ws.tz if ws is not None else None,
        kinds=deliveries,
    )
    for load in deliveries.planner_contexts:
        await load(session, ctx)
    return ctx


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


def generate(schedule: Schedule, ctx: Context, after: datetime, until: datetime) -> list[Occurrence]:
    """Every occurrence of ``schedule`` with ``after < at <= until``, sorted by time.

    The feature that owns the schedule's kind computes them (``ScheduleKind.occurrences``); a kind
    nobody registered has none (logged once). A participant or milestone whose times cannot be
    computed is left out by its planner, so it does not cost the others their reminders; the
    caller still guards the whole call: a schedule's own rule may fail too.
    """
    kind = ctx.kinds.schedule_kind(schedule.kind) if ctx.kinds is not None else None
    if kind is None:
        return []
    out = kind.occurrences(schedule, ctx, after, until)
    out.sort(key=lambda o: (o.at, o.kind, o.target))
    return out


def in_channel(schedule: Schedule, ctx: Context, after: datetime, until: datetime) -> list[Occurrence]:
    """The planner of a schedule that posts in its channel at each time of its rule, in its own zone."""
    return [
        Occurrence(
            at=t,
            tz=schedule.tz,
            kind=schedule.kind,
            platform=schedule.platform,
            workspace=schedule.workspace,
            target_type="channel",
            target=schedule.channel,
            channel=schedule.channel,
            schedule_id=schedule.id,
        )
        for t in occurrences(rule_of(schedule), after, until)
    ]
