"""Claiming and rendering a batch, now or ahead of its due instant.

Render ahead: what falls due before the next poll is claimed and rendered now, and posted at its due instant.

A poll claims the rows due within ``Scheduler.ahead`` (never tried before; those overdue or retried are
claimed when due, as ever), renders them with their batch and sleeps until each due instant, so the first
post of a fan-out leaves at once instead of after the next poll, the claim and the rendering. A row is
never posted before its due instant.

The claim's lease runs until the end of the horizon plus the usual lease, so it covers the wait and the
send: a replica that dies holding rendered-ahead rows loses none, another takes them once that lease runs
out. At the due instant one query per group checks that each row is still this claim's (a row re-claimed,
skipped or deleted meanwhile is not sent) and that its schedule is still running: a schedule paused or
removed after the claim sends nothing (a delivery kind whose message can change meanwhile, a check-in that
may be skipped, is rendered at its due instant instead: ``DeliveryKind.render_ahead``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.kernel.clock import sleep_until
from bot.ops.observe import delivery_done
from bot.scheduler import outbox
from bot.scheduler.models import OUTBOX_CLAIMED, Outbox, Schedule
from bot.storage.db import Database

if TYPE_CHECKING:
    from bot.app import App
    from bot.kernel.reply import Reply
    from bot.scheduler.service import DrainStats

__all__ = ["Claiming", "Held", "STOPPED", "still_held"]

log = logging.getLogger("bot.scheduler.service")

STOPPED = "its schedule was paused or removed before it was due"

# Ids still held by their claim, and those of them whose schedule stopped meanwhile.
Held = tuple[set[int], set[int]]


async def still_held(db: Database, rows: Iterable[outbox.OutboxRow]) -> Held:
    """Which of ``rows`` are still claimed by the claim that took them, and which of those belong to a
    schedule that is no longer running (paused, removed, its workspace deleted)."""
    tokens = {r.id: r.claimed_by for r in rows}
    if not tokens:
        return set(), set()
    query = (
        select(Outbox.id, Outbox.claimed_by, Outbox.schedule_id, Schedule.active)
        .outerjoin(Schedule, Schedule.id == Outbox.schedule_id)
        .where(Outbox.id.in_(list(tokens)), Outbox.status == OUTBOX_CLAIMED)
    )
    held: set[int] = set()
    stopped: set[int] = set()
    async with db.session() as session:
        for row_id, claimed_by, schedule_id, active in (await session.execute(query)).all():
            if claimed_by != tokens[row_id]:
                continue
            held.add(row_id)
            if schedule_id is not None and not active:
                stopped.add(row_id)
    return held, stopped


class Claiming:
    """The claiming half of the ``Scheduler``: claim and render a batch, now or ahead of its due instant."""

    app: App
    ahead: timedelta
    instance: str
    lease: timedelta
    _held_until: dict[int, datetime]
    _rendered: dict[int, Reply | None]

    async def _claim(
        self,
        stats: DrainStats,
        *,
        limit: int,
        now: datetime | None,
        suspects: bool = False,
        ahead: timedelta | None = None,
    ) -> tuple[list[outbox.OutboxRow], int]:
        """Claim rows (``outbox.claim``); returns them and how many suspects were dead-lettered as poison.

        With ``ahead``, the rows due within it instead (render ahead), held until its end plus the lease.
        """
        token = f"{self.instance}:{uuid.uuid4().hex[:12]}"
        at = now or self.app.clock.now()
        until = at + ahead if ahead is not None else None
        poison: list[outbox.OutboxRow] = []
        rows = await outbox.claim(
            self.app.db,
            token=token,
            now=at,
            limit=limit,
            lease=self.lease,
            max_claims=self.app.settings.max_claims,
            dead=poison,
            suspects=suspects,
            until=until,
        )
        for p in poison:
            stats.dead += 1
            log.warning(
                "delivery %s dead-lettered: its lease was lost %d times (%s)",
                p.key,
                self.app.settings.max_claims,
                outbox.POISON_REASON,
            )
        for r in rows:
            self._held_until[r.id] = (until or at) + self.lease
        await self._render_all(rows, ahead=until is not None)
        return rows, len(poison)

    async def _render_all(self, rows: list[outbox.OutboxRow], *, ahead: bool = False) -> None:
        """Render a claimed batch in one session (a session per row cost more than the send itself).

        Rendering stops at the first row that fails (its transaction is broken); that row and the
        rest are rendered by their own deliveries, which record any failure as before. A batch claimed
        ahead is rendered as of its due instant, but for kinds that render only when due.
        """
        deliveries = self.app.deliveries
        known = [r for r in rows if (kind := deliveries.kind(r.kind)) is not None and (kind.render_ahead or not ahead)]
        if len(known) < 2 and not (ahead and known):
            return
        try:
            async with self.app.db.session() as session:
                batch = await deliveries.prefetch(session, known)
                # One instant for the batch: its digests share their workspace's parts.
                at = max([self.app.clock.now(), *(r.due_at for r in known)])
                for r in known:
                    self._rendered[r.id] = await deliveries.render(self.app, session, r, at, batch)
                    await asyncio.sleep(0)
        except Exception:
            log.debug("rendering a claimed batch stopped; the rest render one by one", exc_info=True)

    async def deliver(self, row: outbox.OutboxRow, stats: DrainStats) -> None:
        raise NotImplementedError

    def _releases(self, rows: list[outbox.OutboxRow]) -> dict[int, asyncio.Task[Held]]:
        """One task per due instant of ``rows``: it sleeps until that instant, then checks its rows (``still_held``)."""
        groups: dict[datetime, list[outbox.OutboxRow]] = {}
        for r in rows:
            groups.setdefault(r.due_at, []).append(r)
        out: dict[int, asyncio.Task[Held]] = {}
        for at, group in groups.items():
            task = asyncio.ensure_future(self._release(group, at))
            out.update((r.id, task) for r in group)
        return out

    async def _release(self, rows: list[outbox.OutboxRow], at: datetime) -> Held:
        await sleep_until(self.app.clock, at)
        return await still_held(self.app.db, rows)

    async def deliver_at(self, row: outbox.OutboxRow, stats: DrainStats, release: asyncio.Task[Held]) -> None:
        """Deliver a row claimed ahead once ``release`` (its due instant) came, if it is still ours and wanted."""
        held, stopped = await asyncio.shield(release)
        app = self.app
        if row.id not in held:
            stats.lost_lease += 1
            delivery_done(row, outcome="lost_lease", at=app.clock.now())
            log.warning("delivery %s: no longer ours at its due instant (re-claimed or removed); not sent", row.key)
            return
        if row.id in stopped:
            if await outbox.mark_skipped(app.db, row, now=app.clock.now(), reason=STOPPED):
                stats.skipped += 1
                delivery_done(row, outcome="skipped", at=app.clock.now())
            return
        await self.deliver(row, stats)
