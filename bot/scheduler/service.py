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
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply, Section, mention
from bot.kernel.transport import Preparing
from bot.ops.observe import delivery_done
from bot.scheduler import outbox
from bot.scheduler.batching import MarkBatcher
from bot.scheduler.claiming import Claiming, Held
from bot.scheduler.lateness import MISSED, late_note, too_old
from bot.scheduler.loop import Loop
from bot.scheduler.pacing import PacerLike, pacer_for
from bot.scheduler.pacing.rate_limits import Listener, RateLimitHit, listening
from bot.scheduler.planning import Planning
from bot.scheduler.registry import DeliveryKind
from bot.storage.outage import report, step_failed, unavailable_cause

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


class Scheduler(Planning, Loop, Claiming):
    """One per process. ``tick()`` plans and drains once; ``run()`` ticks every ``poll_seconds``.

    ``ahead``: a drain also claims and renders the rows that fall due within this horizon (a poll and a
    half by default: a late poll still reaches the next one) and posts each at its due instant
    (``bot.scheduler.claiming``); zero claims only what is due. Planning looks ``plan_ahead`` further
    (default twice ``ahead``, at least 30 s), so those rows are queued before the poll that renders them.

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
        ahead: timedelta | None = None,
        plan_ahead: timedelta | None = None,
    ) -> None:
        self.app = app
        self.pacer = pacer or pacer_for(app.db, app.settings)
        self.marks = MarkBatcher(app.db, linger=0.002)
        self.batch = batch
        self.concurrency = concurrency
        self.lease = lease
        self.heartbeat = heartbeat if heartbeat is not None else max(0.05, lease.total_seconds() / 3)
        self.ahead = ahead if ahead is not None else timedelta(seconds=1.5 * app.settings.poll_seconds)
        self.plan_ahead = plan_ahead if plan_ahead is not None else max(2 * self.ahead, timedelta(seconds=30))
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
            if not task.cancelled() and (exc := task.exception()) is not None:
                # The database going away mid-send is counted once per outage; the row waits out its lease.
                report(self.app.db.outage, "send", exc, log, "a delivery task failed")

        released: list[object] = []  # a group rendered ahead came due: what is due now may be claimed again

        def came_due(_: object) -> None:
            released.append(None)
            finished.set()

        def start(rows: list[outbox.OutboxRow], *, ahead: bool = False) -> None:
            releases = self._releases(rows) if ahead else {}
            for release in set(releases.values()):
                release.add_done_callback(came_due)
            for r in rows:
                task = self._start(r, stats, releases.get(r.id))
                in_flight.add(task)
                task.add_done_callback(landed)

        claims = 0
        exhausted = rendered_ahead = False
        solo = False  # a suspect row is being sent, alone
        try:
            while True:
                if released:
                    # What fell due meanwhile is claimed now; nothing more ahead in this drain, so a tick that
                    # rendered ahead ends once its rows are out and the next one plans and runs its hooks.
                    released.clear()
                    exhausted, rendered_ahead = False, True
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
                    if not rows and not rendered_ahead and self.ahead > timedelta(0):
                        # Nothing due: claim and render what falls due before the next poll; it waits for its instant.
                        rows, _ = await self._claim(stats, limit=min(self.batch, free), now=now, ahead=self.ahead)
                        if rows:
                            start(rows, ahead=True)
                            continue
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

    def _start(
        self, row: outbox.OutboxRow, stats: DrainStats, release: asyncio.Task[Held] | None = None
    ) -> asyncio.Task[None]:
        sending = self.deliver(row, stats) if release is None else self.deliver_at(row, stats, release)
        task = asyncio.ensure_future(sending)

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
        the pacer at once (``bot.scheduler.pacing.rate_limits``): the workspace is held and its pace cut.
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
            kind = app.deliveries.kind(row.kind)
            if kind is None:
                # Queued by a feature this process does not have (logged once per kind): not ours to say.
                self._rendered.pop(row.id, None)
                await outbox.mark_skipped(db, row, now=app.clock.now(), reason=f"no feature delivers {row.kind!r} rows")
                stats.skipped += 1
                delivery_done(row, outcome="skipped", at=app.clock.now())
                return
            grace = timedelta(minutes=app.settings.grace_minutes)
            if too_old(kind.expires, row.due_at, app.clock.now(), grace):
                self._rendered.pop(row.id, None)
                await outbox.mark_skipped(db, row, now=app.clock.now(), reason=MISSED)
                stats.skipped += 1
                return
            if row.id in self._rendered:
                reply = self._rendered.pop(row.id)
            else:
                async with db.session() as session:
                    reply = await app.deliveries.render(app, session, row, app.clock.now())
            if reply is not None:
                reply = late_note(
                    reply, due_at=row.due_at, tz=row.tz, now=app.clock.now(), minutes=app.settings.late_note_minutes
                )
            if reply is None:
                await outbox.mark_skipped(db, row, now=app.clock.now(), reason="nothing to send any more")
                stats.skipped += 1
                delivery_done(row, outcome="skipped", at=app.clock.now())
                return
            fallback = await self._send(row, kind, reply, stats)
            if fallback is None:
                return
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
            if unavailable_cause(exc) is not None:
                raise  # nothing can be recorded now: the row is retried once its lease runs out
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
        if kind.on_sent is not None:
            await kind.on_sent(app, row, sent_at)

    async def _send(self, row: outbox.OutboxRow, kind: DeliveryKind, reply: Reply, stats: DrainStats) -> bool | None:
        """Send ``reply`` at the pacer's slot, a DM that cannot be delivered posted in the channel instead.

        Returns whether it was posted in the channel instead; None when nothing was sent and the outcome
        is recorded already (the lease was lost, or ``kind`` skips a closed DM).
        """
        app = self.app
        transport = app.transports.get(row.platform)
        if transport is None:
            raise DeliveryError(f"no transport for platform {row.platform!r}")
        # Slack records the key's first attempt (a database write) before the slot, not between it and the post.
        prepare = partial(transport.prepare, row.key) if isinstance(transport, Preparing) else None
        await self.pacer.wait(row.platform, row.workspace, row.pace_channel, ahead=prepare)
        if not await self._hold(row, stats):
            return None
        if row.target_type != "dm":
            async with self._keep_lease(row):
                await transport.send_channel(
                    workspace=row.workspace, channel=row.target, reply=reply.safe(), key=row.key
                )
            return False
        try:
            async with self._keep_lease(row):
                await transport.send_dm(workspace=row.workspace, user=row.target, reply=reply.safe(), key=row.key)
            return False
        except DeliveryError as exc:
            if not exc.permanent or app.settings.dm_fallback != "channel":
                raise
            if kind.dm_closed is not None:
                await outbox.mark_skipped(app.db, row, now=app.clock.now(), reason=kind.dm_closed)
                stats.skipped += 1
                delivery_done(row, outcome="skipped", at=app.clock.now())
                return None
            log.info("DM to %s undeliverable (%s); posting in %s instead", row.target, exc, row.channel)
        await self.pacer.wait(row.platform, row.workspace, row.channel)
        if not await self._hold(row, stats):
            return None
        async with self._keep_lease(row):
            await transport.send_channel(
                workspace=row.workspace,
                channel=row.channel,
                reply=_fallback_reply(row, reply).safe(),
                key=row.key + ":fallback",
            )
        return True

    # -- loop -----------------------------------------------------------------
    async def tick(self) -> DrainStats:
        """Plan, run the features' tick hooks, drain, then run those that follow the drain.

        A planning or hook failure is logged and does not stop the deliveries already due; the database being
        unavailable is counted once per outage (``bot.storage.outage``), not per step and tick.
        """
        try:
            await self.plan()
        except Exception as exc:  # noqa: BLE001 - step_failed() logs a bug's traceback
            step_failed(self.app.db.outage, exc, log, "planning failed; draining the outbox anyway")
        await self._hooks(after_drain=False)
        stats = await self.drain()
        await self._hooks(after_drain=True)
        return stats

    async def _hooks(self, *, after_drain: bool) -> None:
        for hook in self.app.deliveries.tick_hooks(after_drain=after_drain):
            try:
                await hook.run(self.app, self.app.clock.now())
            except Exception as exc:  # noqa: BLE001 - step_failed() logs a bug's traceback
                step_failed(self.app.db.outage, exc, log, hook.failure or f"tick hook {hook.name!r} failed")


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
