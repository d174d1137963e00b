"""Planning: turning each schedule's due occurrences into outbox rows, and the preview of what comes.

The same generator (``bot.scheduler.occurrences.generate``) feeds both, so the preview shows exactly
what will be sent. ``Scheduler`` plans with these methods and delivers with its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.scheduler import outbox
from bot.scheduler.lateness import record_missed
from bot.scheduler.models import Schedule
from bot.scheduler.occurrences import Occurrence, generate, load_context, questions_of
from bot.scheduler.recurrence import zone
from bot.storage.outage import step_failed
from bot.team.models import CheckinAnswer
from bot.team.snooze import pending_snoozes

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Planning"]

log = logging.getLogger("bot.scheduler.service")


class Planning:
    """The planning half of the ``Scheduler``: due occurrences become outbox rows, once."""

    app: App

    async def plan(self, now: datetime | None = None) -> int:
        """Turn every occurrence due by ``now`` into outbox rows. Returns rows enqueued.

        A read-only pass finds the schedules with something due (one context
        load per workspace); only those are locked and written, so an idle
        poll does not write at all.
        """
        now = now or self.app.clock.now()
        async with self.app.db.session() as session:
            schedules = list(
                (
                    await session.execute(
                        select(Schedule)
                        .where(Schedule.active.is_(True), Schedule.planned_until < now)
                        .order_by(Schedule.id)
                    )
                ).scalars()
            )
            found = await self._occurrences(session, schedules, since=lambda s: s.planned_until, until=now)
        due_ids = [s.id for s, due in found if due]
        total = 0
        for sid in due_ids:
            try:
                total += await self._plan_one(sid, now)
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
        contexts: dict[tuple[str, str], Any] = {}
        found: list[tuple[Schedule, list[Occurrence]]] = []
        for s in schedules:
            key = (s.platform, s.workspace)
            if key not in contexts:
                contexts[key] = await load_context(session, s.platform, s.workspace, self.app.settings.default_tz)
            try:
                found.append((s, generate(s, contexts[key], since(s), until)))
            except Exception:
                log.exception(
                    "schedule %s (%s:%s): occurrences could not be computed; skipped", s.id, s.platform, s.workspace
                )
        return found

    async def _plan_one(self, schedule_id: int, now: datetime) -> int:
        db = self.app.db
        grace = timedelta(minutes=self.app.settings.grace_minutes)
        async with db.session() as session:
            query = select(Schedule).where(Schedule.id == schedule_id)
            if not db.is_sqlite:
                # Another replica planning this schedule right now: leave it to them.
                query = query.with_for_update(skip_locked=True)
            schedule = (await session.execute(query)).scalar_one_or_none()
            if schedule is None or not schedule.active or schedule.planned_until >= now:
                return 0
            ctx = await load_context(session, schedule.platform, schedule.workspace, self.app.settings.default_tz)
            # Nothing between the watermark and now was due before (or it was
            # planned then), so the watermark may lag behind idle polls.
            due = generate(schedule, ctx, schedule.planned_until, now)
            chosen: list[Occurrence] = []
            stale: list[Occurrence] = []
            extra: dict[str, dict[str, Any]] = {}
            if schedule.kind == "digest":
                if due:
                    # Downtime: any number of missed digests become one catch-up digest.
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
            if schedule.kind == "checkin":
                chosen = await self._one_checkin_a_day(session, schedule, chosen)
                await self._open_checkins(session, schedule, [o for o in chosen if o.kind == "checkin"])
            inserted = await outbox.enqueue(session, chosen, now=now, payload_extra=extra)
            await record_missed(session, stale, now=now)
            schedule.planned_until = now
        if inserted:
            log.info("schedule %s: %d deliveries enqueued", schedule_id, inserted)
        return inserted

    async def _one_checkin_a_day(self, session: Any, schedule: Schedule, chosen: list[Occurrence]) -> list[Occurrence]:
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

    async def _open_checkins(self, session: Any, schedule: Schedule, occurrences: list[Occurrence]) -> None:
        if not occurrences:
            return
        questions = json.dumps(questions_of(schedule))
        rows = [
            dict(
                platform=o.platform,
                workspace=o.workspace,
                schedule_id=schedule.id,
                occurrence_at=o.at,
                user=o.target,
                questions=questions,
                answers="[]",
            )
            for o in occurrences
        ]
        await session.execute(
            outbox.insert_ignore(session, CheckinAnswer)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["schedule_id", "occurrence_at", "user"])
        )

    async def preview(self, *, days: float, now: datetime | None = None) -> list[Occurrence]:
        """Every delivery due in ``(now, now + days]``, across all workspaces, in time order."""
        now = now or self.app.clock.now()
        until = now + timedelta(days=days)
        async with self.app.db.session() as session:
            schedules = list(
                (
                    await session.execute(select(Schedule).where(Schedule.active.is_(True)).order_by(Schedule.id))
                ).scalars()
            )
            # Not yet planned occurrences only: those before the watermark are in the outbox already.
            found = await self._occurrences(session, schedules, since=lambda s: max(now, s.planned_until), until=until)
            out = [o for _, due in found for o in due]
            out.extend(await pending_snoozes(session, after=now, until=until))
        out.sort(key=lambda o: (o.at, o.workspace, o.kind, o.target))
        return out
