"""Edited check-in answers: a person edits the DM that held their answer, the stored answer follows.

The report's thread reply is then edited by ``bot.team.reports.sync_reports`` (the answers
differ from what it last posted). A deleted DM changes nothing: forgetting answers is
``/cos-service checkin forget``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.kernel.safety import InputProblem, clean_input
from bot.team.models import CheckinAnswer

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["record_edit", "EDIT_WINDOW"]

# Edits of answers older than this are ignored (the report no longer changes).
EDIT_WINDOW = timedelta(days=8)


async def record_edit(
    app: App, *, platform: str, user: str, message_id: str, text: str, now: datetime | None = None
) -> bool:
    """Replace the answers that came from DM ``message_id`` of ``user``; False when it held none."""
    now = now or app.clock.now()
    lines = []
    for line in text.splitlines():
        try:
            if line.strip():
                lines.append(clean_input(line)[:500])
        except InputProblem:
            return False
    if not lines:
        return False
    needle = json.dumps(message_id)
    async with app.db.session() as session:
        rows = (
            (
                await session.execute(
                    select(CheckinAnswer).where(
                        CheckinAnswer.platform == platform,
                        CheckinAnswer.user == user,
                        CheckinAnswer.occurrence_at > now - EDIT_WINDOW,
                        CheckinAnswer.message_ids.contains(needle),
                    )
                )
            )
            .scalars()
            .all()
        )
        for row in rows:
            ids = json.loads(row.message_ids or "[]")
            answers = json.loads(row.answers or "[]")
            where = [n for n, i in enumerate(ids) if i == message_id and n < len(answers)]
            if not where:
                continue
            first, last = where[0], where[-1] + 1
            answers[first:last] = lines
            ids[first:last] = [message_id] * len(lines)
            row.answers, row.message_ids = json.dumps(answers), json.dumps(ids)
            return True
    return False
