"""Check-in deliveries: the DM question in each participant's zone, its one nudge, and what they record.

A check-in is not asked on a participant's holiday or time off, nor twice on one local day;
planning it opens its answer row, and sending it stamps when it was asked (or nudged).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.lang import _, day_name
from bot.kernel.reply import Reply, Section, mention
from bot.scheduler.models import OUTBOX_SKIPPED, Outbox, Schedule
from bot.scheduler.occurrences import Context, Occurrence, participants_of, questions_of, rule_of
from bot.scheduler.recurrence import occurrences, zone
from bot.scheduler.registry import Batch, DeliveryKind, ScheduleKind, TickHook
from bot.storage.sql import insert_ignore
from bot.team.delivery.context import availability_of
from bot.team.models import CheckinAnswer
from bot.team.reports import sync_reports
from bot.team.snooze import occurrence_of, snooze_buttons

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduler.outbox import OutboxRow

__all__ = [
    "NUDGE_AFTER",
    "CHECKIN",
    "NUDGE",
    "CHECKIN_SCHEDULE",
    "SYNC_REPORTS",
    "plan_checkins",
    "missed_section",
    "settled_checkins",
]

log = logging.getLogger(__name__)

# A check-in's one nudge goes out this long after the question, to those who have not answered.
NUDGE_AFTER = timedelta(hours=4)


def plan_checkins(schedule: Schedule, ctx: Context, after: datetime, until: datetime) -> list[Occurrence]:
    """Each participant's check-ins (in their zone) and nudges; a participant whose times fail is left out."""
    out: list[Occurrence] = []
    availability = availability_of(ctx)
    for user in participants_of(schedule):
        tz = ctx.tz_of(user)
        try:
            times = list(occurrences(rule_of(schedule, tz), after - NUDGE_AFTER, until))
        except Exception:
            log.exception("schedule %s: check-in times for %s in %r could not be computed", schedule.id, user, tz)
            continue
        for t in times:
            if availability.skips(user, t.astimezone(zone(tz)).date()):
                continue  # away or a holiday: neither the question nor its nudge
            if t > after:
                out.append(_dm(schedule, "checkin", t, tz, user))
            nudge = t + NUDGE_AFTER
            if after < nudge <= until:
                out.append(_dm(schedule, "nudge", nudge, tz, user, extra=(("occurrence", t.isoformat()),)))
    return out


def _dm(
    schedule: Schedule, kind: str, at: datetime, tz: str, user: str, extra: tuple[tuple[str, object], ...] = ()
) -> Occurrence:
    return Occurrence(
        at=at,
        tz=tz,
        kind=kind,
        platform=schedule.platform,
        workspace=schedule.workspace,
        target_type="dm",
        target=user,
        channel=schedule.channel,
        schedule_id=schedule.id,
        extra=extra,
    )


async def _before_enqueue(session: AsyncSession, schedule: Schedule, chosen: list[Occurrence]) -> list[Occurrence]:
    chosen = await _one_checkin_a_day(session, schedule, chosen)
    await _open_checkins(session, schedule, [o for o in chosen if o.kind == "checkin"])
    return chosen


async def _one_checkin_a_day(session: AsyncSession, schedule: Schedule, chosen: list[Occurrence]) -> list[Occurrence]:
    """Drop a check-in for someone already asked (or queued) by this schedule on the same local day.

    A participant who moves west between two check-ins (UTC, then
    America/Los_Angeles after Friday's 16:00 question) would otherwise get
    Friday 16:00 Los Angeles time, eight hours later, as a second question.
    The day is the occurrence's local date in the participant's zone now.
    """
    checkins = [o for o in chosen if o.kind == "checkin"]
    if not checkins:
        return chosen
    earliest = min(o.at for o in checkins) - timedelta(days=2)
    asked = (
        await session.execute(
            select(CheckinAnswer.user, CheckinAnswer.occurrence_at).where(
                CheckinAnswer.schedule_id == schedule.id,
                CheckinAnswer.occurrence_at >= earliest,
                CheckinAnswer.user.in_({o.target for o in checkins}),
            )
        )
    ).all()
    drop: set[str] = set()
    for o in checkins:
        day = o.local.date()
        for user, at in asked:
            if user == o.target and at != o.at and at.astimezone(zone(o.tz)).date() == day:
                log.info(
                    "schedule %s: %s was already asked on %s (%s); no second check-in at %s",
                    schedule.id,
                    user,
                    day,
                    o.tz,
                    o.at,
                )
                drop.add(o.key)
                break
    return [o for o in chosen if o.key not in drop]


async def _open_checkins(session: AsyncSession, schedule: Schedule, chosen: list[Occurrence]) -> None:
    if not chosen:
        return
    questions = json.dumps(questions_of(schedule))
    rows = [
        {
            "platform": o.platform,
            "workspace": o.workspace,
            "schedule_id": schedule.id,
            "occurrence_at": o.at,
            "user": o.target,
            "questions": questions,
            "answers": "[]",
        }
        for o in chosen
    ]
    await session.execute(
        insert_ignore(session, CheckinAnswer)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["schedule_id", "occurrence_at", "user"])
    )


async def render_checkin(app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch) -> Reply | None:
    """The check-in DM (or its nudge); None once it was answered (for a nudge or a snooze) or skipped."""
    occurrence = occurrence_of(row.kind, row.due_at, row.payload)
    answer = (
        await session.execute(
            select(CheckinAnswer).where(
                CheckinAnswer.schedule_id == row.schedule_id,
                CheckinAnswer.occurrence_at == occurrence,
                CheckinAnswer.user == row.target,
            )
        )
    ).scalar_one_or_none()
    if answer is None:
        return None
    if (row.kind == "nudge" or "snoozed_from" in row.payload) and answer.answered_at is not None:
        return None
    if answer.skipped_at is not None:
        return None
    questions = json.loads(answer.questions)
    title = _("Check-in") if row.kind == "checkin" else _("A gentle nudge: your check-in is still open")
    return Reply(
        title=title,
        sections=(
            Section(
                text=_("Reply here in this DM, one message per answer (or all in one)."),
                bullets=tuple(f"{i}. {q}" for i, q in enumerate(questions, 1)),
            ),
        ),
        footer=_("Your answers go into the team digest. Mention a blocker and it is added to the risk register."),
        buttons=snooze_buttons(row.id, row.kind),
        ephemeral=False,
    )


async def stamp_checkin(app: App, row: OutboxRow, when: datetime) -> None:
    """Record when the check-in was asked (or nudged): the digest and the reports count it."""
    occurrence = occurrence_of(row.kind, row.due_at, row.payload)
    column = "asked_at" if row.kind == "checkin" else "nudged_at"
    async with app.db.session() as session:
        await session.execute(
            update(CheckinAnswer)
            .where(
                CheckinAnswer.schedule_id == row.schedule_id,
                CheckinAnswer.occurrence_at == occurrence,
                CheckinAnswer.user == row.target,
            )
            .values({column: when})
        )


async def missed_section(session: AsyncSession, *, platform: str, workspace: str, since: datetime) -> Section | None:
    """The digest's list of check-ins that were missed (too late to ask) since the last digest."""
    rows = (
        await session.execute(
            select(Outbox.target, Outbox.due_at, Outbox.tz)
            .where(
                Outbox.platform == platform,
                Outbox.workspace == workspace,
                Outbox.kind == "checkin",
                Outbox.status == OUTBOX_SKIPPED,
                Outbox.last_error.like("missed%"),
                Outbox.sent_at > since,
            )
            .order_by(Outbox.due_at, Outbox.target)
        )
    ).all()
    if not rows:
        return None
    return Section(
        heading=_("Missed check-ins (the bot was down or late past the grace window)"),
        bullets=tuple(_missed_line(t, at.astimezone(zone(tz))) for t, at, tz in rows[:20]),
    )


def _missed_line(user: str, at: datetime) -> str:
    return f"{mention(user)}: {day_name(at.date(), year=False)} {at:%H:%M}"


async def settled_checkins(session: AsyncSession, found: list[Occurrence]) -> list[Occurrence]:
    """The preview without what ``render_checkin`` would drop: a nudge or a snoozed check-in of a check-in
    that was answered, and anything of one that was skipped."""
    about = [
        (o, datetime.fromisoformat(dict(o.extra)["occurrence"]))
        for o in found
        if o.kind in ("checkin", "nudge") and "occurrence" in dict(o.extra)
    ]
    if not about:
        return found
    c = CheckinAnswer
    rows = await session.execute(
        select(c.schedule_id, c.occurrence_at, c.user, c.answered_at.is_not(None), c.skipped_at.is_not(None)).where(
            c.schedule_id.in_({o.schedule_id for o, _ in about}),
            c.occurrence_at.in_({t for _, t in about}),
            c.answered_at.is_not(None) | c.skipped_at.is_not(None),
        )
    )
    settled = {(sid, at, user): (answered, skipped) for sid, at, user, answered, skipped in rows}
    drop: set[int] = set()
    for o, t in about:
        answered, skipped = settled.get((o.schedule_id, t, o.target), (False, False))
        if skipped or (answered and (o.kind == "nudge" or o.snoozed)):
            drop.add(id(o))
    return [o for o in found if id(o) not in drop]


# Rendered at the due instant, not ahead of it: a skip or an answer just before then still cancels a nudge.
CHECKIN = DeliveryKind("checkin", render_checkin, on_sent=stamp_checkin, expires=True, render_ahead=False)
# The check-in itself already fell back to the channel; one mention is enough.
NUDGE = DeliveryKind(
    "nudge",
    render_checkin,
    on_sent=stamp_checkin,
    dm_closed="DM closed; the check-in was posted in the channel",
    render_ahead=False,
)
CHECKIN_SCHEDULE = ScheduleKind("checkin", plan_checkins, before_enqueue=_before_enqueue)
SYNC_REPORTS = TickHook(
    "check-in reports",
    sync_reports,
    after_drain=True,
    failure="check-in reports could not be synced; retrying on the next tick",
)
