"""Late deliveries: a note on what goes out late, and check-ins too old to ask, recorded as missed.

A delivery sent more than ``COS_LATE_NOTE_MINUTES`` after it was due says so
("late: due 09:00, sent 09:47", in the target's local time). A check-in older
than the grace window is not asked any more: the planner (or the sender, for a row
that waited in the outbox) records it as a skipped row whose reason starts with
``missed``, and the next digest lists it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.reply import Reply, Section, mention
from bot.scheduler.models import OUTBOX_SKIPPED, Outbox
from bot.scheduler.occurrences import Occurrence
from bot.scheduler.recurrence import zone
from bot.storage.sql import insert_ignore

__all__ = ["MISSED", "late_note", "record_missed", "too_old", "missed_section"]

MISSED = "missed: older than the grace window"


def late_note(reply: Reply, *, due_at: datetime, tz: str, now: datetime, minutes: int) -> Reply:
    """``reply`` with a first line saying it is late, when it is more than ``minutes`` late."""
    if now - due_at <= timedelta(minutes=minutes):
        return reply
    z = zone(tz)
    due, sent = due_at.astimezone(z), now.astimezone(z)
    fmt = "%H:%M" if due.date() == sent.date() else "%a %d %b %H:%M"
    note = Section(text=f"late: due {due:{fmt}}, sent {sent:{fmt}}")
    return replace(reply, sections=(note, *reply.sections))


def too_old(kind: str, due_at: datetime, now: datetime, grace: timedelta) -> bool:
    """A check-in (not a snoozed one: that was asked for) past the grace window is not asked any more."""
    return kind == "checkin" and now - due_at > grace


async def record_missed(session: AsyncSession, occurrences: list[Occurrence], *, now: datetime) -> None:
    """Keep check-ins the planner dropped as stale, as skipped rows the digest can list."""
    rows: list[dict[str, Any]] = [
        dict(
            key=o.key,
            platform=o.platform,
            workspace=o.workspace,
            schedule_id=o.schedule_id,
            kind=o.kind,
            target_type=o.target_type,
            target=o.target,
            channel=o.channel,
            due_at=o.at,
            tz=o.tz,
            payload=json.dumps(o.payload(), default=str),
            status=OUTBOX_SKIPPED,
            attempts=0,
            next_attempt_at=o.at,
            fallback=False,
            created_at=now,
            sent_at=now,
            last_error=MISSED,
        )
        for o in occurrences
        if o.kind == "checkin"
    ]
    if rows:
        await session.execute(
            insert_ignore(session, Outbox).values(rows).on_conflict_do_nothing(index_elements=["key"])
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
        heading="Missed check-ins (the bot was down or late past the grace window)",
        bullets=tuple(f"{mention(t)}: {at.astimezone(zone(tz)):%a %d %b %H:%M}" for t, at, tz in rows[:20]),
    )
