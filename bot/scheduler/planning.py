"""Planning: turning each schedule's due occurrences into outbox rows, and the preview of what comes.

The same generator (``bot.scheduler.occurrences.generate``) feeds both, so the preview shows exactly
what will be sent. What a schedule plans is its feature's (``App.deliveries``, a ``ScheduleKind``);
``Scheduler`` plans with these methods and delivers with its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.scheduler import outbox
from bot.scheduler.lateness import record_missed
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import Context, Occurrence, generate, load_context
from bot.scheduler.preview import upcoming
from bot.storage.outage import step_failed

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Planning"]

log = logging.getLogger("bot.scheduler.service")


class Planning:
    """The planning half of the ``Scheduler``: due occurrences become outbox rows, once."""

    app: App
    plan_ahead: timedelta = timedelta(0)

    async def plan(self, now: datetime | None = None) -> int:
        """Turn every occurrence due by ``now + plan_ahead`` into outbox rows. Returns rows enqueued.

        Planning looks ahead so that a poll finds the rows it renders ahead (``bot.scheduler.claiming``)
        queued already. A read-only pass finds the schedules with something due (one context
        load per workspace); only those are locked and written, so an idle poll does not write at all.
        """
        now = now or self.app.clock.now()
        until = now + self.plan_ahead
        async with self.app.db.session() as session:
            schedules = list(
                (
                    await session.execute(
                        select(Schedule)
                        .where(Schedule.active.is_(True), Schedule.planned_until < until)
                        .order_by(Schedule.id)
                    )
                ).scalars()
            )
            found = await self._occurrences(session, schedules, since=lambda s: s.planned_until, until=until)
        due_ids = [s.id for s, due in found if due]
        total = 0
        for sid in due_ids:
            try:
                total += await self._plan_one(sid, now, until)
            except Exception as exc:  # noqa: BLE001 - step_failed() logs a bug's traceback
                step_failed(self.app.db.outage, exc, log, "planning schedule %s failed", sid)
        return total

    async def _occurrences(
        self, session: Any, schedules: list[Schedule], *, since: Callable[[Schedule], datetime], until: datetime
    ) -> list[tuple[Schedule, list[Occurrence]]]:
        """Each schedule's occurrences in ``(since(schedule), until]``, with one context load per workspace.

        A schedule whose occurrences cannot be computed is logged and left out: one broken
        schedule must not stop (or hide) the others.
        """
        contexts: dict[tuple[str, str], Context] = {}
        found: list[tuple[Schedule, list[Occurrence]]] = []
        for s in schedules:
            key = (s.platform, s.workspace)
            if key not in contexts:
                contexts[key] = await self._context(session, s.platform, s.workspace)
            try:
                found.append((s, generate(s, contexts[key], since(s), until)))
            except Exception:
                log.exception(
                    "schedule %s (%s:%s): occurrences could not be computed; skipped", s.id, s.platform, s.workspace
                )
        return found

    async def _plan_one(self, schedule_id: int, now: datetime, until: datetime) -> int:
        db = self.app.db
        grace = timedelta(minutes=self.app.settings.grace_minutes)
        async with db.session() as session:
            query = select(Schedule).where(Schedule.id == schedule_id)
            if not db.is_sqlite:
                # Another replica planning this schedule right now: leave it to them.
                query = query.with_for_update(skip_locked=True)
            schedule = (await session.execute(query)).scalar_one_or_none()
            if schedule is None or not schedule.active or schedule.planned_until >= until:
                return 0
            ctx = await self._context(session, schedule.platform, schedule.workspace)
            # Nothing between the watermark and now was due before (or it was
            # planned then), so the watermark may lag behind idle polls.
            found = generate(schedule, ctx, schedule.planned_until, until)
            due = [o for o in found if o.at <= now]
            coming = [o for o in found if o.at > now]  # planned ahead: sent at their time, not caught up
            chosen: list[Occurrence] = []
            stale: list[Occurrence] = []
            extra: dict[str, dict[str, Any]] = {}
            kind = self.app.deliveries.schedule_kind(schedule.kind)
            if kind is not None and kind.catch_up:
                if due:
                    # Downtime: any number of missed occurrences become one catch-up delivery.
                    last = due[-1]
                    chosen.append(last)
                    late = now - last.at > grace
                    if len(due) > 1 or late:
                        extra[last.key] = {"catch_up": True, "missed": len(due) - 1}
            else:
                for o in due:
                    if now - o.at <= grace:
                        chosen.append(o)
                    else:
                        log.info("skipping stale %s for %s (due %s, grace %s)", o.kind, o.target, o.at, grace)
                        stale.append(o)
            chosen.extend(coming)
            if kind is not None and kind.before_enqueue is not None:
                chosen = await kind.before_enqueue(session, schedule, chosen)
            inserted = await outbox.enqueue(session, chosen, now=now, payload_extra=extra)
            await record_missed(session, [o for o in stale if self._expires(o.kind)], now=now)
            schedule.planned_until = until
        if inserted:
            log.info("schedule %s: %d deliveries enqueued", schedule_id, inserted)
        return inserted

    async def _context(self, session: Any, platform: str, workspace: str) -> Context:
        return await load_context(session, platform, workspace, self.app.settings.default_tz, self.app.deliveries)

    def _expires(self, kind: str) -> bool:
        found = self.app.deliveries.kind(kind)
        return found is not None and found.expires

    async def preview(self, *, days: float, now: datetime | None = None) -> list[Occurrence]:
        """Every delivery due in ``(now, now + days]``, across all workspaces, in time order."""
        now = now or self.app.clock.now()
        async with self.app.db.session() as session:
            return await upcoming(
                session,
                self.app.deliveries,
                default_tz=self.app.settings.default_tz,
                now=now,
                until=now + timedelta(days=days),
            )
