"""Outbox drain benchmark on PostgreSQL: rows per second with 1, 2 and 4 worker processes, and a SIGKILL run.

Each worker is a process running the real ``Scheduler.drain`` (claims with
``FOR UPDATE SKIP LOCKED`` + lease, fenced mark-sent) with a transport that
records every delivery in ``bench_delivery``, so lost and duplicated rows
are counted from the database. Prints JSON.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/outbox_drain.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch_db import drop_database, fresh_database
from sqlalchemy import text

from bot.kernel.settings import _normalise_db_url
from bot.storage.db import Database, migrate

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def _worker(
    url: str, name: str, lease: float, delay: float, ready: Any = None, go: Any = None, spent: Any = None
) -> None:
    from bot.ops import runtime

    runtime.run(_drain(url, name, lease, delay, ready, go, spent))  # the loop ``cos-bot run`` runs on


async def _drain(
    url: str, name: str, lease: float, delay: float, ready: Any = None, go: Any = None, spent: Any = None
) -> None:
    import asyncpg  # type: ignore[import-untyped]

    from bot.app import App
    from bot.kernel.clock import SystemClock
    from bot.kernel.settings import Settings
    from bot.kernel.transport import SendResult
    from bot.scheduler.pacing import Pacer
    from bot.scheduler.service import Scheduler
    from bot.team.delivery.reminders import RISK_REVIEW

    db = Database(url)
    # The platform's side of the bench: every delivery appended to ``bench_delivery`` through a plain
    # asyncpg pool, so the instrument costs what the reference loop's insert costs, not a session.
    pool = await asyncpg.create_pool(url.replace("+asyncpg", ""), min_size=1, max_size=8)

    class Recording:
        platform = "console"

        async def send_channel(self, *, workspace, channel, reply, key):  # type: ignore[no-untyped-def]
            await pool.execute("INSERT INTO bench_delivery (key, worker) VALUES ($1, $2)", key, name)
            if delay:
                await asyncio.sleep(delay)  # the platform's response on its way back
            return SendResult(channel=channel, message_id=key)

        send_dm = send_channel

    settings = Settings(database_url=url, scheduler_enabled=False, instance_id=name)
    app = App(settings=settings, kb=None, searcher=None, router=None, db=db, clock=SystemClock())  # type: ignore[arg-type]
    app.deliveries.add_kind(RISK_REVIEW)  # the rows are risk reviews; no other feature is installed
    app.transports["console"] = Recording()
    scheduler = Scheduler(app, pacer=Pacer({}), lease=timedelta(seconds=lease))  # default batch and concurrency
    if ready is not None:
        # Replicas are up long before the rows fall due: connect first, then wait for the start together,
        # so no worker's drain shares the CPU with another's start-up.
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await pool.execute("SELECT 1")
        ready.release()
        await asyncio.to_thread(go.wait)
    cpu = time.process_time()
    try:
        await scheduler.drain_until_empty()
        if spent is not None:
            spent.put(time.process_time() - cpu)  # this worker's CPU seconds for its part of the drain
    finally:
        await pool.close()
        await db.dispose()


async def _fill(url: str, rows: int) -> None:
    db = Database(url)
    try:
        await migrate(db)
        now = datetime.now(UTC)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS bench_delivery"))
            await conn.execute(
                text(
                    "CREATE TABLE bench_delivery (id serial primary key, key text not null, "
                    "worker text not null, at timestamptz not null default clock_timestamp())"
                )
            )
            await conn.execute(text("TRUNCATE outbox"))  # every round starts from the same table, no dead rows
            await conn.execute(
                text(
                    "INSERT INTO outbox (key, platform, workspace, schedule_id, kind, target_type, target, channel, "
                    "due_at, tz, payload, status, attempts, next_attempt_at, fallback, created_at) "
                    "SELECT 'risk_review:console:W' || (g % 20) || ':0:' || g, 'console', 'W' || (g % 20), NULL, "
                    "'risk_review', 'channel', 'C' || g, 'C' || g, :now, 'UTC', '{}', 'pending', 0, :now, false, :now "
                    "FROM generate_series(1, :n) AS g"
                ),
                {"now": now, "n": rows},
            )
    finally:
        await db.dispose()


async def _count(url: str) -> dict[str, float]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT o.key, o.status, count(d.id) FROM outbox o LEFT JOIN bench_delivery d ON d.key = o.key "
                        "GROUP BY o.key, o.status"
                    )
                )
            ).all()
        async with db.engine.connect() as conn:
            span = (
                await conn.execute(text("SELECT EXTRACT(EPOCH FROM max(at) - min(at)) FROM bench_delivery"))
            ).scalar()
    finally:
        await db.dispose()
    return {
        "lost": sum(1 for _, s, c in rows if c == 0 or s != "sent"),
        "duplicates": sum(c - 1 for _, _, c in rows if c > 1),
        "drain_seconds": float(span or 0.0),
    }


_IN_FLIGHT: list[dict[str, int]] = []


async def _held_by(url: str, worker: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        held = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE status = 'claimed' AND claimed_by LIKE $1", worker + ":%"
        )
        delivered = await conn.fetchval(
            "SELECT count(*) FROM outbox o JOIN bench_delivery d ON d.key = o.key AND d.worker = $1 "
            "WHERE o.status = 'claimed' AND o.claimed_by LIKE $2",
            worker,
            worker + ":%",
        )
    finally:
        await conn.close()
    return {"held": int(held), "delivered_unmarked": int(delivered)}


async def _until_delivered(url: str, worker: str, count: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        for _ in range(600):
            n = await conn.fetchval("SELECT count(*) FROM bench_delivery WHERE worker = $1", worker)
            if n >= count:
                return
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine (workers and PostgreSQL alike) has been busy, from /proc/stat (Linux)."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


_CPU: list[float] = []
_CPU_WORKERS: list[float] = []


def _run_workers(url: str, n: int, *, lease: float, delay: float, kill_after: int | None = None) -> float:
    ctx = mp.get_context("spawn")
    ready, go, spent = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, f"w{i}", lease, delay, ready, go, spent)) for i in range(n)]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=120):
            for p in procs:
                p.kill()
            raise RuntimeError("a worker did not start within 120 s")
    started, busy = time.perf_counter(), _busy_cpu_seconds()
    go.set()
    if kill_after is not None:
        # Kill worker 0 once it is really working (has delivered ``kill_after`` rows), or after 30 s.
        asyncio.run(_until_delivered(url, "w0", int(kill_after)))
        os.kill(procs[0].pid, signal.SIGKILL)  # type: ignore[arg-type]
        _IN_FLIGHT.append(asyncio.run(_held_by(url, "w0")))
    for p in procs:
        p.join()
    after = _busy_cpu_seconds()
    if busy is not None and after is not None:
        _CPU.append(after - busy)
        _CPU_WORKERS.append(sum(spent.get(timeout=5) for p in procs if p.exitcode == 0))
    return time.perf_counter() - started


async def main_async(base_url: str, rows: int, repeat: int = 3) -> dict[str, object]:
    url = await fresh_database(base_url, prefix="cos_bench_")
    result: dict[str, object] = {"rows": rows, "database": "postgresql", "repeat": repeat}
    try:
        lost = duplicates = 0
        # Rounds of 1, 2 and 4 workers, interleaved, so a busy spell of the machine hits every count alike;
        # each figure is the median of its rounds, and every round's figure is kept beside it.
        runs: dict[str, list[float]] = {}
        # A round that is not counted: the fresh database's first statements pay for loading its catalog
        # and pages, which no later round does.
        await _fill(url, rows)
        await asyncio.to_thread(_run_workers, url, 2, lease=30.0, delay=0.0)
        _CPU.clear()
        _CPU_WORKERS.clear()
        for _ in range(repeat):
            for n in (1, 2, 4):
                await _fill(url, rows)
                seconds = await asyncio.to_thread(_run_workers, url, n, lease=30.0, delay=0.0)
                counts = await _count(url)
                runs.setdefault(f"rows_per_s_{n}", []).append(rows / seconds)
                # From the first delivery to the last: the drain itself, without the processes' exit.
                if counts["drain_seconds"]:
                    runs.setdefault(f"drain_rows_per_s_{n}", []).append(rows / counts["drain_seconds"])
                if _CPU:
                    # Machine CPU per delivered row (workers, PostgreSQL, all): what bounds rows/s on few cores;
                    # and the workers' own share of it.
                    runs.setdefault(f"cpu_ms_per_row_{n}", []).append(_CPU.pop() * 1000 / rows)
                    runs.setdefault(f"worker_cpu_ms_per_row_{n}", []).append(_CPU_WORKERS.pop() * 1000 / rows)
                lost += int(counts["lost"])
                duplicates += int(counts["duplicates"])
        for name, values in runs.items():
            result[name] = round(statistics.median(values), 3 if "cpu" in name else 1)
            result[name + "_runs"] = [round(v, 3 if "cpu" in name else 1) for v in values]
        drains = [result.get(f"drain_rows_per_s_{n}") for n in (1, 2, 4)]
        result["more_workers_never_slower"] = all(isinstance(d, float) for d in drains) and drains == sorted(drains)  # type: ignore[type-var]
        result["lost"] = lost
        result["duplicates"] = duplicates
        # Kill run: 4 workers, one SIGKILLed mid-run (after its 225th delivery, mid-batch); its claimed rows return
        # after the 3 s lease.
        await _fill(url, rows)
        await asyncio.to_thread(_run_workers, url, 4, lease=3.0, delay=0.02, kill_after=225)
        counts = await _count(url)
        result["lost_after_kill"] = counts["lost"]
        result["duplicates_after_kill"] = counts["duplicates"]
        if _IN_FLIGHT:
            result["killed_worker_rows_held"] = _IN_FLIGHT[-1]["held"]
            result["killed_worker_in_flight_delivered"] = _IN_FLIGHT[-1]["delivered_unmarked"]
        result["note"] = (
            "workers start and connect first, then drain together (as replicas running before the "
            "rows fall due); "
            "rows/s run from that start to the last worker's exit, drain_rows_per_s from the first "
            "delivery to the last, medians of the rounds; workers record each delivery in a table "
            "(one extra INSERT per row, plain asyncpg); the machine has 2 cores shared with PostgreSQL"
        )
    finally:
        await drop_database(base_url, url)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of 1, 2 and 4 workers (medians are printed)")
    args = parser.parse_args()
    base = _normalise_db_url(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    if not base.startswith("postgresql"):
        print("bench/outbox_drain.py needs PostgreSQL (DATABASE_URL=postgresql://...)", file=sys.stderr)
        return 2
    result = asyncio.run(main_async(base, args.rows, max(1, args.repeat)))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
