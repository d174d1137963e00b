"""Several worker processes drain one outbox on PostgreSQL; one is SIGKILLed mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.storage.db import Database, migrate

ROOT = Path(__file__).resolve().parents[2]
ROWS = 600


async def _prepare(url: str) -> Database:
    db = Database(url)
    await migrate(db)
    now = datetime.now(UTC)
    async with db.engine.begin() as conn:
        await conn.execute(
            text("CREATE TABLE delivery_log (id serial primary key, key text not null, worker text not null)")
        )
        await conn.execute(
            text(
                "INSERT INTO outbox (key, platform, workspace, schedule_id, kind, target_type, target, channel, "
                "due_at, tz, payload, status, attempts, next_attempt_at, fallback, created_at) "
                "SELECT 'risk_review:console:W' || (g % 5) || ':0:' || g, 'console', 'W' || (g % 5), NULL, "
                "'risk_review', 'channel', 'C' || g, 'C' || g, :now, 'UTC', '{}', 'pending', 0, :now, false, :now "
                "FROM generate_series(1, :n) AS g"
            ),
            {"now": now, "n": ROWS},
        )
    return db


def _spawn(url: str, name: str, lease: float, delay: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scheduler.drain_worker", url, name, str(lease), str(delay)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _wait(procs: list[subprocess.Popen[bytes]], limit_s: float = 60) -> None:
    for _ in range(int(limit_s / 0.05)):
        if all(p.poll() is not None for p in procs):
            return
        await asyncio.sleep(0.05)
    for p in procs:
        p.kill()
    raise AssertionError("workers did not finish")


@pytest.mark.postgres
async def test_workers_drain_concurrently_none_lost_none_twice(pg_url: str) -> None:
    db = await _prepare(pg_url)
    try:
        procs = [_spawn(pg_url, f"w{i}", 30, 0.002) for i in range(3)]
        await _wait(procs)
        assert [p.returncode for p in procs] == [0, 0, 0]
        async with db.engine.connect() as conn:
            per_key = (
                await conn.execute(
                    text(
                        "SELECT o.key, o.status, count(d.id) FROM outbox o LEFT JOIN delivery_log d ON d.key = o.key "
                        "GROUP BY o.key, o.status"
                    )
                )
            ).all()
            workers = (await conn.execute(text("SELECT count(DISTINCT worker) FROM delivery_log"))).scalar_one()
        assert len(per_key) == ROWS
        assert all(status == "sent" and n == 1 for _, status, n in per_key)
        assert workers >= 2  # the work really was shared
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_sigkill_mid_run_loses_nothing_and_repeats_only_rows_in_flight(pg_url: str, record_property) -> None:
    db = await _prepare(pg_url)
    lease = 2.0
    try:
        victim = _spawn(pg_url, "victim", lease, 0.02)
        others = [_spawn(pg_url, f"w{i}", lease, 0.02) for i in range(2)]
        async with db.engine.connect() as conn:
            for _ in range(400):
                n = (await conn.execute(text("SELECT count(*) FROM delivery_log WHERE worker = 'victim'"))).scalar_one()
                if n >= 30:
                    break
                await asyncio.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        async with db.engine.connect() as conn:
            # In flight at the kill: claimed by the victim, delivered by it, never marked sent.
            in_flight = set(
                (
                    await conn.execute(
                        text(
                            "SELECT o.key FROM outbox o JOIN delivery_log d ON d.key = o.key AND d.worker = 'victim' "
                            "WHERE o.status = 'claimed' AND o.claimed_by LIKE 'victim:%'"
                        )
                    )
                ).scalars()
            )
            held = (
                await conn.execute(
                    text("SELECT count(*) FROM outbox WHERE status = 'claimed' AND claimed_by LIKE 'victim:%'")
                )
            ).scalar_one()
        assert 0 < n < ROWS, "the kill must land mid-run"
        await _wait(others)
        assert [p.returncode for p in others] == [0, 0]
        async with db.engine.connect() as conn:
            per_key = {
                k: (s, c)
                for k, s, c in (
                    await conn.execute(
                        text(
                            "SELECT o.key, o.status, count(d.id) FROM outbox o "
                            "LEFT JOIN delivery_log d ON d.key = o.key GROUP BY o.key, o.status"
                        )
                    )
                ).all()
            }
        lost = [k for k, (s, c) in per_key.items() if c == 0 or s != "sent"]
        duplicated = {k for k, (_, c) in per_key.items() if c > 1}
        assert lost == []
        assert all(c <= 2 for _, c in per_key.values())
        assert duplicated <= in_flight  # only the victim's in-flight sends were repeated
        assert len(duplicated) <= held <= 10  # at most one claimed batch
        record_property("duplicates_after_kill", len(duplicated))
        print(
            f"\nSIGKILL mid-run: {len(duplicated)} duplicate(s) of {len(in_flight)} in flight "
            f"({held} rows held by the victim), 0 lost of {ROWS}"
        )
    finally:
        await db.dispose()
