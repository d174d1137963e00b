"""The preview of what comes: one function for ``cos-bot schedule preview`` and the dashboard's overview.

Occurrences of the active schedules from now (the same generator planning uses, so the preview
shows what will be queued), plus what the features queued outside planning (a snoozed delivery, at its
new time: ``Deliveries.add_preview_source``), less what a feature knows will not be sent (the nudge of a
check-in that was skipped or answered: ``Deliveries.add_preview_filter``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import Context, Occurrence, generate, load_context

if TYPE_CHECKING:
    from bot.scheduler.registry import Deliveries

__all__ = ["upcoming"]

log = logging.getLogger("bot.scheduler.service")


async def upcoming(
    session: AsyncSession,
    deliveries: Deliveries,
    *,
    default_tz: str,
    now: datetime,
    until: datetime,
    platform: str | None = None,
    workspace: str | None = None,
    contexts: dict[tuple[str, str], Context] | None = None,
) -> list[Occurrence]:
    """Every delivery due in ``(now, until]``, in time order: of one workspace when ``platform`` and
    ``workspace`` are given, else of all. ``contexts``: workspaces' planning contexts the caller loaded already."""
    query = select(Schedule).where(Schedule.active.is_(True))
    scoped = platform is not None and workspace is not None
    if scoped:
        query = query.where(Schedule.platform == platform, Schedule.workspace == workspace)
    contexts = dict(contexts or {})
    out: list[Occurrence] = []
    for s in (await session.execute(query.order_by(Schedule.id))).scalars():
        key = (s.platform, s.workspace)
        if key not in contexts:
            contexts[key] = await load_context(session, s.platform, s.workspace, default_tz, deliveries)
        try:
            # From now, not from the planning watermark: what is planned ahead of its due instant is queued,
            # not sent yet, and comes from the same rules.
            out.extend(generate(s, contexts[key], now, until))
        except Exception:
            log.exception(
                "schedule %s (%s:%s): occurrences could not be computed; skipped", s.id, s.platform, s.workspace
            )
    for source in deliveries.preview_sources:
        found = await source(session, now, until)
        out.extend(o for o in found if not scoped or (o.platform, o.workspace) == (platform, workspace))
    for keep in deliveries.preview_filters:
        out = await keep(session, out)
    out.sort(key=lambda o: (o.at, o.workspace, o.kind, o.target))
    return out
