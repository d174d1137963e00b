"""The scheduler: plan due occurrences into the outbox, drain the outbox through the transports.

APScheduler's ``AsyncIOScheduler`` with its in-memory job store only drives
the periodic ``tick`` and housekeeping; every occurrence lives in our tables,
so replicas share nothing but the database.

Delivery is at least once with a short lease (``bot.scheduler.outbox`` has
the rules): a worker claims no more rows than it can start at once, renews
its lease right before each transport call (and keeps renewing it while the
call runs), and skips a row it no longer holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from bot.answering.store import purge_questions
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply, Section, mention
from bot.kernel.transport import Preparing
from bot.ops.observe import delivery_done
from bot.scheduler import outbox
from bot.scheduler.batching import MarkBatcher
from bot.scheduler.lateness import MISSED, late_note, too_old
from bot.scheduler.messages import prefetch, render
from bot.scheduler.models import (
    OUTBOX_SENT,
    OUTBOX_SKIPPED,
    Outbox,
)
from bot.scheduler.pacing import PacerLike, pacer_for, prune
from bot.scheduler.planning import Planning
from bot.scheduler.rate_limits import Listener, RateLimitHit, listening
from bot.storage import interaction_state
from bot.storage.outage import one_round, step_failed
from bot.team.ladder import escalate
from bot.team.models import CheckinAnswer
from bot.team.reports import sync_reports
from bot.team.snooze import occurrence_of

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Scheduler", "DrainStats"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class DrainStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    fallback: int = 0
    lost_lease: int = 0
    rate_limited: int = 0
    errors: list[str] = field(default_factory=list)


class Scheduler(Planning):
    """One per process. ``tick()`` plans and drains once; ``run()`` ticks every ``poll_seconds``.

    ``lease`` is how long a claimed row stays ours without a renewal: short, so a
    crashed replica's rows are retried soon (and a repeat stays inside Discord's
    nonce window). ``heartbeat`` is how often, in seconds of real time, a lease is
    renewed while a transport call is under way (default: a third of the lease).
    ``batch`` caps one claim; a claim never takes more rows than free slots of
    ``concurrency``, so no claimed row waits long before it is sent. Claims wait for half the slots,
    so each takes 32 to 64 rows: per claim, render and mark, the statement and the transaction cost more
    than the rows in them (``bench/outbox_drain.py``: 16-row claims cost about 1.9 ms of CPU per row,
    machine-wide; 32-row claims about 0.8).
    """

    def __init__(
        self,
        app: App,
        *,
        pacer: PacerLike | None = None,
        batch: int = 64,
        concurrency: int = 64,
        lease: timedelta = timedelta(seconds=60),
        heartbeat: float | None = None,
    ) -> None:
        self.app = app
        self.pacer = pacer or pacer_for(app.db, app.settings)
        self.marks = MarkBatcher(app.db, linger=0.002)
        self.batch = batch
        self.concurrency = concurrency
        self.lease = lease
        self.heartbeat = heartbeat if heartbeat is not None else max(0.05, lease.total_seconds() / 3)
        self.instance = app.settings.instance_id or f"{socket.gethostname()}:{os.getpid()}"
        self.wake = asyncio.Event()
        # Row id -> until when this process knows its lease holds (set at claim and at each renewal).
        self._held_until: dict[int, datetime] = {}
        self._rendered: dict[int, Reply | None] = {}  # row id -> its message, rendered with its claimed batch

    # -- delivery -------------------------------------------------------------
    async def drain(self, now: datetime | None = None, *, max_batches: int = 1000) -> DrainStats:
        """Claim and deliver due rows until none is left (or ``max_batches`` claims were made).

        At most ``concurrency`` deliveries are under way; a claim takes only as
        many rows as there are free slots (made once half of them are free), so
        a claimed row is sent soon after its claim rather than queueing for
        minutes behind slow sends while its lease runs out.
        """
        stats = DrainStats()
        in_flight: set[asyncio.Task[None]] = set()
        finished = asyncio.Event()

        def landed(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            finished.set()
            if not task.cancelled() and task.exception() is not None:
                log.error("a delivery task failed", exc_info=task.exception())

        def start(rows: list[outbox.OutboxRow]) -> None:
            for r in rows:
                task = self._start(r, stats)
                in_flight.add(task)
                task.add_done_callback(landed)

        claims = 0
        exhausted = False
        solo = False  # a suspect row is being sent, alone
        try:
            while True:
                solo = solo and bool(in_flight)
                free = self.concurrency - len(in_flight)
                may_claim = not exhausted and claims < max_batches and not solo
                if may_claim and not in_flight:
                    # A row whose holder died is sent alone: a crash it causes again is then pinned
                    # on it (``claims``), not on the rows that happened to be in flight beside it.
                    rows, poisoned = await self._claim(stats, limit=1, now=now, suspects=True)
                    if rows or poisoned:
                        claims += 1
                        solo = bool(rows)
                        start(rows)
                        continue
                if may_claim and free >= max(1, self.concurrency // 2):
                    rows, _ = await self._claim(stats, limit=min(self.batch, free), now=now, suspects=False)
                    claims += 1
                    exhausted = not rows
                    start(rows)
                    continue
                if not in_flight:
                    break
                # One event for all deliveries: ``asyncio.wait`` would hook and unhook every task in flight
                # at each completion (64 of them, per row sent).
                finished.clear()
                await finished.wait()
        finally:
            if in_flight:  # cancelled: let the sends under way finish and record their outcome
                await asyncio.gather(*list(in_flight), return_exceptions=True)
        return stats

    async def _claim(
        self, stats: DrainStats, *, limit: int, now: datetime | None, suspects: bool
    ) -> tuple[list[outbox.OutboxRow], int]:
        """Claim rows (``outbox.claim``); returns them and how many suspects were dead-lettered as poison."""
        token = f"{self.instance}:{uuid.uuid4().hex[:12]}"
        at = now or self.app.clock.now()
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
            self._held_until[r.id] = at + self.lease
        await self._render_all(rows)
        return rows, len(poison)

    async def _render_all(self, rows: list[outbox.OutboxRow]) -> None:
        """Render a claimed batch in one session (a session per row cost more than the send itself).

        Rendering stops at the first row that fails (its transaction is broken); that row and the
        rest are rendered by their own deliveries, which record any failure as before.
        """
        if len(rows) < 2:
            return
        try:
            async with self.app.db.session() as session:
                loaded = await prefetch(session, rows)
                at = self.app.clock.now()  # one instant for the batch: its digests share their workspace's parts
                for r in rows:
                    self._rendered[r.id] = await render(self.app, session, r, at, loaded)
                    await asyncio.sleep(0)
        except Exception:
            log.debug("rendering a claimed batch stopped; the rest render one by one", exc_info=True)

    async def drain_until_empty(self, *, idle: float = 0.05) -> None:
        """Drain until no row is pending or claimed (by anyone) — for batch jobs and benchmarks.

        Rows held by a worker that died are taken over once their lease runs out.
        """
        while True:
            stats = await self.drain()
            if stats.sent or stats.failed or stats.dead:
                continue
            async with self.app.db.session() as session:
                left = (await session.execute(select(outbox.open_rows()))).scalar_one()
            if not left:
                return
            await asyncio.sleep(idle)

    def _start(self, row: outbox.OutboxRow, stats: DrainStats) -> asyncio.Task[None]:
        task = asyncio.ensure_future(self.deliver(row, stats))

        def forget(_: asyncio.Task[None]) -> None:
            self._held_until.pop(row.id, None)
            self._rendered.pop(row.id, None)

        task.add_done_callback(forget)
        return task

    async def _hold(self, row: outbox.OutboxRow, stats: DrainStats) -> bool:
        """Make sure the row is still ours right before a send; False (and nothing is sent) when it is not.

        A lease with more than half its time left cannot have been re-claimed (a re-claim waits for
        it to run out, and half a lease is far more than the clock skew between replicas), so only
        a lease past its half-life costs a database write to renew.
        """
        now = self.app.clock.now()
        held = self._held_until.get(row.id)
        if held is not None and now + self.lease / 2 <= held:
            return True
        if await outbox.renew(self.app.db, row, now=now, lease=self.lease):
            self._held_until[row.id] = now + self.lease
            return True
        stats.lost_lease += 1
        delivery_done(row, outcome="lost_lease", at=now)
        log.warning("delivery %s: lease lost before the send (re-claimed by another worker); not sent", row.key)
        return False

    @asynccontextmanager
    async def _keep_lease(self, row: outbox.OutboxRow) -> AsyncIterator[None]:
        """Renew the lease every ``heartbeat`` seconds while a transport call runs (Slack's SDK may wait
        out several Retry-Afters inside one call)."""
        stop = asyncio.Event()

        async def beat() -> None:
            while not stop.is_set():
                try:
                    beat_at = self.app.clock.now()
                    if not await outbox.renew(self.app.db, row, now=beat_at, lease=self.lease):
                        return  # lost anyway; mark_sent will notice
                    self._held_until[row.id] = beat_at + self.lease
                except Exception:
                    log.warning("delivery %s: lease renewal failed", row.key, exc_info=True)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.heartbeat)
                    return
                except TimeoutError:
                    pass

        # Most sends finish long before the first heartbeat: a timer, not a task, until one does not.
        tasks: list[asyncio.Task[None]] = []
        timer = asyncio.get_running_loop().call_later(
            self.heartbeat, lambda: tasks.append(asyncio.ensure_future(beat()))
        )
        try:
            yield
        finally:
            stop.set()
            timer.cancel()
            for task in tasks:
                await task

    async def deliver(self, row: outbox.OutboxRow, stats: DrainStats) -> None:
        """Send one claimed row and record the outcome with a fenced update.

        A 429 the transport's SDK meets (and perhaps waits out) during the send is reported to
        the pacer at once (``bot.scheduler.rate_limits``): the workspace is held and its pace cut.
        """

        async def met_rate_limit(hit: RateLimitHit) -> None:
            if hit.scope == "workspace":
                stats.rate_limited += 1
                held = self.pacer.penalise(row.platform, row.workspace, hit.retry_after)
                if held is not None:
                    await held

        async def next_slot() -> None:
            # The SDK retries the rate-limited post: at the pacer's next slot, like any other send.
            await self.pacer.wait(row.platform, row.workspace, row.pace_channel)

        with listening(met_rate_limit, next_slot) as listener:
            await self._deliver(row, stats, listener)

    async def _deliver(self, row: outbox.OutboxRow, stats: DrainStats, listener: Listener) -> None:
        app = self.app
        db = app.db
        try:
            if too_old(row.kind, row.due_at, app.clock.now(), timedelta(minutes=app.settings.grace_minutes)):
                self._rendered.pop(row.id, None)
                await outbox.mark_skipped(db, row, now=app.clock.now(), reason=MISSED)
                stats.skipped += 1
                return
            if row.id in self._rendered:
                reply = self._rendered.pop(row.id)
            else:
                async with db.session() as session:
                    reply = await render(app, session, row, app.clock.now())
            if reply is not None:
                reply = late_note(
                    reply, due_at=row.due_at, tz=row.tz, now=app.clock.now(), minutes=app.settings.late_note_minutes
                )
            if reply is None:
                await outbox.mark_skipped(db, row, now=app.clock.now(), reason="nothing to send any more")
                stats.skipped += 1
                delivery_done(row, outcome="skipped", at=app.clock.now())
                return
            transport = app.transports.get(row.platform)
            if transport is None:
                raise DeliveryError(f"no transport for platform {row.platform!r}")
            # Slack records the key's first attempt (a database write) before the slot, not between it and the post.
            prepare = partial(transport.prepare, row.key) if isinstance(transport, Preparing) else None
            await self.pacer.wait(row.platform, row.workspace, row.pace_channel, ahead=prepare)
            if not await self._hold(row, stats):
                return
            fallback = False
            if row.target_type == "dm":
                try:
                    async with self._keep_lease(row):
                        await transport.send_dm(
                            workspace=row.workspace, user=row.target, reply=reply.safe(), key=row.key
                        )
                except DeliveryError as exc:
                    if not exc.permanent or app.settings.dm_fallback != "channel":
                        raise
                    if row.kind == "nudge":
                        # The check-in itself already fell back to the channel; one mention is enough.
                        await outbox.mark_skipped(
                            db, row, now=app.clock.now(), reason="DM closed; the check-in was posted in the channel"
                        )
                        stats.skipped += 1
                        delivery_done(row, outcome="skipped", at=app.clock.now())
                        return
                    log.info("DM to %s undeliverable (%s); posting in %s instead", row.target, exc, row.channel)
                    await self.pacer.wait(row.platform, row.workspace, row.channel)
                    if not await self._hold(row, stats):
                        return
                    async with self._keep_lease(row):
                        await transport.send_channel(
                            workspace=row.workspace,
                            channel=row.channel,
                            reply=_fallback_reply(row, reply).safe(),
                            key=row.key + ":fallback",
                        )
                    fallback = True
            else:
                async with self._keep_lease(row):
                    await transport.send_channel(
                        workspace=row.workspace, channel=row.target, reply=reply.safe(), key=row.key
                    )
        except DeliveryError as exc:
            if exc.retry_after is not None and not listener.hits:  # not reported by the SDK's hook already
                stats.rate_limited += 1
                try:
                    held = self.pacer.penalise(row.platform, row.workspace, exc.retry_after)
                    if held is not None:
                        await held
                except Exception:
                    log.warning(
                        "delivery %s: the workspace's Retry-After could not be recorded", row.key, exc_info=True
                    )
            status = await outbox.mark_failed(
                db,
                row,
                now=app.clock.now(),
                error=str(exc) or type(exc).__name__,
                max_attempts=app.settings.max_attempts,
                permanent=exc.permanent,
                retry_after=exc.retry_after,
            )
            stats.failed += 1
            delivery_done(
                row,
                outcome="dead" if status == "dead" else "rate_limited" if exc.retry_after is not None else "retry",
                at=app.clock.now(),
            )
            if status == "dead":
                stats.dead += 1
                log.warning("delivery %s dead-lettered after %d attempt(s): %s", row.key, row.attempts, exc)
            return
        except Exception as exc:
            log.exception("delivery %s failed", row.key)
            status = await outbox.mark_failed(
                db,
                row,
                now=app.clock.now(),
                error=f"{type(exc).__name__}: {exc}",
                max_attempts=app.settings.max_attempts,
            )
            stats.failed += 1
            stats.dead += status == "dead"
            delivery_done(row, outcome="dead" if status == "dead" else "retry", at=app.clock.now())
            return
        sent_at = app.clock.now()
        if not await self.marks.sent(
            outbox.SentMark(
                row=row, at=sent_at, fallback=fallback, note="DM closed; posted in channel" if fallback else None
            )
        ):
            stats.lost_lease += 1
            log.warning("delivery %s: lease lost before it was marked sent", row.key)
        stats.sent += 1
        stats.fallback += fallback
        delivery_done(row, outcome="fallback" if fallback else "sent", at=sent_at)
        if row.kind in ("checkin", "nudge"):
            await self._stamp_checkin(row, sent_at)

    async def _stamp_checkin(self, row: outbox.OutboxRow, when: datetime) -> None:
        occurrence = occurrence_of(row.kind, row.due_at, row.payload)
        column = "asked_at" if row.kind == "checkin" else "nudged_at"
        async with self.app.db.session() as session:
            await session.execute(
                update(CheckinAnswer)
                .where(
                    CheckinAnswer.schedule_id == row.schedule_id,
                    CheckinAnswer.occurrence_at == occurrence,
                    CheckinAnswer.user == row.target,
                )
                .values({column: when})
            )

    # -- loop -----------------------------------------------------------------
    async def tick(self) -> DrainStats:
        """Plan, then drain. A planning failure is logged and does not stop the deliveries already due; the
        database being unavailable ends the tick (counted once per outage, ``bot.storage.outage``)."""
        outage = self.app.db.outage  # the database being down is logged once, not per step and tick
        try:
            await self.plan()
        except Exception as exc:  # noqa: BLE001 - step_failed() logs a bug's traceback
            step_failed(outage, exc, log, "planning failed; draining the outbox anyway")
        try:
            await escalate(self.app, self.app.clock.now())
        except Exception as exc:  # noqa: BLE001 - step_failed() logs a bug's traceback
            step_failed(outage, exc, log, "risk escalation check failed; draining the outbox anyway")
        stats = await self.drain()
        try:
            await sync_reports(self.app, self.app.clock.now())
        except Exception as exc:  # noqa: BLE001 - step_failed() logs a bug's traceback
            step_failed(outage, exc, log, "check-in reports could not be synced; retrying on the next tick")
        return stats

    async def housekeeping(self) -> None:
        """Forget delivered rows after 90 days (the digest only looks back to the last one), expired
        interaction state (button pages), idle ``send_pace`` rows, logged questions past their retention,
        and workspaces uninstalled longer than the retention period."""
        cutoff = self.app.clock.now() - timedelta(days=90)
        async with self.app.db.session() as session:
            await session.execute(
                delete(Outbox).where(Outbox.status.in_((OUTBOX_SENT, OUTBOX_SKIPPED)), Outbox.sent_at < cutoff)
            )
            await interaction_state.purge_expired(session=session, now=self.app.clock.now())
            await purge_questions(
                session, before=self.app.clock.now() - timedelta(days=self.app.settings.question_retention_days)
            )
        await prune(self.app.db, now=self.app.clock.now())
        from bot.privacy import purge_uninstalled

        purged = await purge_uninstalled(
            self.app.db, now=self.app.clock.now(), retention_days=self.app.settings.uninstall_retention_days
        )
        if purged:
            log.info("deleted the data of %d uninstalled workspace(s)", len(purged))

    async def run(self) -> None:
        """Tick now (catching up after downtime), then every ``poll_seconds`` until cancelled."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        lock = asyncio.Lock()
        in_flight: set[asyncio.Future[None]] = set()

        async def _tick_once() -> None:
            if lock.locked():
                return
            async with lock:
                await one_round(self.app.db.outage, "scheduler tick", self.tick, log, "scheduler tick failed")

        async def guarded() -> None:
            # A tick is never cancelled half-way (its database transaction would be cut off
            # while the engine closes); shutdown waits for it below instead.
            task = asyncio.ensure_future(_tick_once())
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            await asyncio.shield(task)

        async def polled() -> None:
            with contextlib.suppress(asyncio.CancelledError):  # shutdown: the shielded tick is awaited below
                await guarded()

        scheduler = AsyncIOScheduler(timezone=UTC)
        # In-memory job store only; coalesce + unlimited misfire grace so a busy loop never drops a tick.
        scheduler.add_job(
            polled,
            "interval",
            seconds=self.app.settings.poll_seconds,
            id="poll",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.add_job(
            partial(one_round, self.app.db.outage, "housekeeping run", self.housekeeping, log, "housekeeping failed"),
            "interval",
            hours=6,
            id="housekeeping",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        scheduler.start()
        log.info("scheduler started (instance %s, every %.1fs)", self.instance, self.app.settings.poll_seconds)
        try:
            await guarded()
            while True:
                await self.wake.wait()
                self.wake.clear()
                await guarded()
        finally:
            scheduler.shutdown(wait=False)
            if in_flight:
                await asyncio.wait(set(in_flight), timeout=30)


def _fallback_reply(row: outbox.OutboxRow, reply: Reply) -> Reply:
    note = f"{mention(row.target)}, I could not reach you by direct message, so here it is in the channel."
    return Reply(
        title=reply.title,
        sections=(Section(text=note), *reply.sections),
        fields=reply.fields,
        buttons=reply.buttons,
        footer=reply.footer,
        ephemeral=False,
        notify=(row.target,),
    )
