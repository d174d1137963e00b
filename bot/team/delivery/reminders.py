"""Reminders: milestones (a week ahead and on the day), risk reviews, and escalations of overdue reviews.

The risk registers of a claimed batch's risk reviews and digests are read with one query
(``prefetch_registers``); the digest reads them from the same batch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.lang import _, current_lang, day_name
from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import Context, Occurrence, in_channel
from bot.scheduler.recurrence import local_to_utc, zone
from bot.scheduler.registry import Batch, DeliveryKind, ScheduleKind, TickHook
from bot.team.delivery.context import availability_of, milestones_of, stage_of
from bot.team.ladder import escalate, escalation_reply, review_due
from bot.team.models import Milestone, RiskItem
from bot.team.snooze import snooze_buttons

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduler.outbox import OutboxRow

__all__ = [
    "MILESTONE_LEAD",
    "MILESTONE",
    "MILESTONE_SCHEDULE",
    "RISK_REVIEW",
    "RISK_REVIEW_SCHEDULE",
    "ESCALATION",
    "ESCALATE",
    "prefetch_registers",
    "register_of",
]

log = logging.getLogger(__name__)

# Milestone reminders: a week ahead and on the target date.
MILESTONE_LEAD = (timedelta(days=7), timedelta(0))
_REGISTERS = "team.risk_registers"


def _registers(batch: Batch) -> dict[tuple[str, str], list[RiskItem]]:
    return batch.part(_REGISTERS, dict[tuple[str, str], list[RiskItem]])


async def _risk_items(session: AsyncSession, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], list[RiskItem]]:
    """Each (platform, workspace)'s risk register, ordered by kind and title."""
    if not wanted:
        return {}
    items: dict[tuple[str, str], list[RiskItem]] = {key: [] for key in wanted}
    found = (
        await session.execute(
            select(RiskItem)
            .where(
                RiskItem.platform.in_(sorted({p for p, _ in wanted})),
                RiskItem.workspace.in_(sorted({w for _, w in wanted})),
            )
            .order_by(RiskItem.kind, RiskItem.title)
        )
    ).scalars()
    for item in found:
        bucket = items.get((item.platform, item.workspace))
        if bucket is not None:
            bucket.append(item)
    return items


async def prefetch_registers(session: AsyncSession, batch: Batch, rows: list[OutboxRow]) -> None:
    """Load the risk registers of every workspace in ``rows``, in one query."""
    _registers(batch).update(await _risk_items(session, {(r.platform, r.workspace) for r in rows}))


async def register_of(session: AsyncSession, batch: Batch, key: tuple[str, str]) -> list[RiskItem]:
    """``key``'s risk register: the batch's, or loaded now (and kept with the batch's)."""
    registers = _registers(batch)
    if key not in registers:
        registers.update(await _risk_items(session, {key}))
    return registers[key]


async def render_risk_review(
    app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch
) -> Reply | None:
    items = await register_of(session, batch, (row.platform, row.workspace))
    due = [i for i in items if review_due(i, now)]
    bullets = tuple(
        f"{i.title}"
        + (
            _(" (last {day}, {rating})").format(day=_short_date(i.last_review_at), rating=i.rating)
            if i.last_review_at
            else _(" (never reviewed)")
        )
        for i in due
    )
    return Reply(
        title=_("Risk review due: {due} of {total} register items").format(due=len(due), total=len(items)),
        sections=(
            Section(heading=_("To review"), bullets=bullets or (_("Nothing is overdue."),)),
            Section(text=_("Record a review with `/cos-risk review <topic> <low|medium|high> [note]` or the buttons.")),
        ),
        buttons=tuple(
            Button(_("Review {title}").format(title=i.title)[:70], "risk.review", i.topic_id) for i in due[:5]
        )
        + snooze_buttons(row.id, row.kind),
        ephemeral=False,
    )


async def render_escalation(
    app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch
) -> Reply | None:
    return await escalation_reply(app, session, row, now)


async def render_milestone(
    app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch
) -> Reply | None:
    m = await session.get(Milestone, int(row.payload.get("milestone_id", 0)))
    if m is None or m.status == "done":
        return None
    title = (
        _("Milestone due today: {title}").format(title=m.title)
        if m.due_on <= row.due_at.astimezone(zone(row.tz)).date()
        else _("Milestone due on {day}: {title}").format(day=day_name(m.due_on), title=m.title)
    )
    return Reply(
        title=title,
        fields=(
            Field(_("Owner"), mention(m.owner) if m.owner else _("nobody yet")),
            Field(_("Target date"), m.due_on.isoformat()),
        ),
        sections=(
            *_owner_away(row),
            Section(
                text=_(
                    "Mark it done, or move the date, with the buttons or `/cos-service milestone done {position}`."
                ).format(position=m.position)
            ),
        ),
        buttons=(
            Button(_("Mark done"), "milestone.done", str(m.id), style="primary"),
            *snooze_buttons(row.id, row.kind),
        ),
        ephemeral=False,
    )


def _owner_away(row: OutboxRow) -> tuple[Section, ...]:
    away = row.payload.get("owner_away")
    return (
        (Section(text=_("The owner, {who}, is away, so this reminder is posted here.").format(who=mention(str(away)))),)
        if away
        else ()
    )


def _short_date(when: datetime) -> str:
    """``05 Mar 2026`` in English, ``2026-03-05`` in Chinese."""
    return f"{when:%Y-%m-%d}" if current_lang() == "zh" else f"{when:%d %b %Y}"


def _milestone_times(schedule: Schedule, ctx: Context, m: Milestone) -> Iterable[tuple[datetime, str]]:
    tz = ctx.tz_of(m.owner) if m.owner else schedule.tz
    for lead in MILESTONE_LEAD:
        day: date = m.due_on - lead
        yield local_to_utc(day, time(schedule.hour, schedule.minute), zone(tz)), tz


def plan_milestones(schedule: Schedule, ctx: Context, after: datetime, until: datetime) -> list[Occurrence]:
    """The reminders of the stage's open milestones: to the owner (the channel while they are away, or
    without an owner). A milestone whose times cannot be computed is logged and left out."""
    out: list[Occurrence] = []
    if stage_of(ctx) is None:
        return out
    availability = availability_of(ctx)
    for m in milestones_of(ctx):
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
            if not after < t <= until:
                continue
            target_type, target = ("dm", m.owner) if m.owner else ("channel", schedule.channel)
            extra: tuple[tuple[str, object], ...] = (("milestone_id", m.id),)
            if m.owner and availability.away(m.owner, t.astimezone(zone(tz)).date()):
                # The owner is away: the team sees it in the channel instead.
                target_type, target = "channel", schedule.channel
                extra += (("owner_away", m.owner),)
            out.append(
                Occurrence(
                    at=t,
                    tz=tz,
                    kind="milestone",
                    platform=schedule.platform,
                    workspace=schedule.workspace,
                    target_type=target_type,
                    target=target,
                    channel=schedule.channel,
                    schedule_id=schedule.id,
                    extra=extra,
                )
            )
    return out


MILESTONE = DeliveryKind("milestone", render_milestone)
MILESTONE_SCHEDULE = ScheduleKind("milestone", plan_milestones)
RISK_REVIEW = DeliveryKind("risk_review", render_risk_review, prefetch=prefetch_registers)
RISK_REVIEW_SCHEDULE = ScheduleKind("risk_review", in_channel)
ESCALATION = DeliveryKind("escalation", render_escalation)
ESCALATE = TickHook("risk escalation", escalate, failure="risk escalation check failed; draining the outbox anyway")
