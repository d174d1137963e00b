"""Late deliveries: a note on what goes out late, and check-ins too old to ask, recorded as missed.

A delivery sent more than ``COS_LATE_NOTE_MINUTES`` after it was due says so
("late: due 09:00, sent 09:47", in the target's local time). A check-in older
than the grace window is not asked any more: the planner (or the sender, for a row
that waited in the outbox) records it as a skipped row whose reason starts with
``missed`` (``MISSED``), and the next digest lists it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.reply import Reply, Section
from bot.scheduler.models import OUTBOX_SKIPPED, Outbox
from bot.scheduler.occurrences import Occurrence
from bot.scheduler.recurrence import zone
from bot.storage.sql import insert_ignore

__all__ = ["MISSED", "late_note", "record_missed", "too_old"]

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


def too_old(expires: bool, due_at: datetime, now: datetime, grace: timedelta) -> bool:
    """A delivery that ``expires`` (a check-in) past the grace window is not sent any more."""
    return expires and now - due_at > grace


async def record_missed(session: AsyncSession, occurrences: list[Occurrence], *, now: datetime) -> None:
    """Keep deliveries the planner dropped as stale (those that expire), as skipped rows the digest can list."""
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
    ]
    if rows:
        await session.execute(
            insert_ignore(session, Outbox).values(rows).on_conflict_do_nothing(index_elements=["key"])
        )
