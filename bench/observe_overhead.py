"""What observing costs: the per-request hook (metrics + one log line) and one ``/metrics`` scrape.

* ``hook``: ``Router.handle`` on the same questions with ``request_done`` active and replaced by a
  no-op, rounds alternating so drift on a busy machine hits both. Logging at INFO to a null stream
  with the JSON formatter, as ``LOG_JSON=true`` would.
* ``scrape``: ``GET /metrics`` over real HTTP with the outbox gauge cached, and with it read from
  the database on every scrape (``outbox_every=0``) over an outbox of ``--rows`` rows.

Prints JSON; never asserts.

    .venv/bin/python bench/observe_overhead.py [--requests 2000] [--rounds 3] [--rows 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.kernel import router as router_module  # noqa: E402
from bot.kernel.request import Request  # noqa: E402
from bot.kernel.settings import Settings  # noqa: E402
from bot.ops import web as bot_web  # noqa: E402
from bot.ops.logs import configure_logging  # noqa: E402

QUESTIONS = [
    ("cos-service", "legal"),
    ("cos-risk", "gdpr"),
    ("cos-service", "who can run our SOC 2 audit"),
    ("cos-service", "overview"),
    ("cos-risk", "we might run out of cash"),
    ("cos-service", "schedules"),
]


async def _handle_all(app, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for i in range(n):
        command, text = QUESTIONS[i % len(QUESTIONS)]
        await app.router.handle(
            Request(
                platform="slack",
                workspace="T1",
                channel="C1",
                user="U1",
                command=command,
                text=text,
                request_id=f"r{i}",
            )
        )
    return (time.perf_counter() - started) / n * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    saved_stderr, sys.stderr = sys.stderr, io.StringIO()
    configure_logging("INFO", as_json=True)
    sys.stderr = saved_stderr
    with tempfile.TemporaryDirectory() as tmp:
        app = await build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", scheduler_enabled=False))
        try:
            real = router_module.request_done
            on: list[float] = []
            off: list[float] = []
            await _handle_all(app, 200)  # warm caches
            for _ in range(args.rounds):
                router_module.request_done = lambda *a, **k: None  # type: ignore[assignment]
                off.append(await _handle_all(app, args.requests))
                router_module.request_done = real
                on.append(await _handle_all(app, args.requests))
            await _fill_outbox(app, args.rows)
            scrape = {}
            for label, every in (("cached", 3600.0), ("db_every_scrape", 0.0)):
                async with _served(bot_web.make_http_app(app, outbox_every=every)) as base:
                    times = []
                    async with aiohttp.ClientSession() as http:
                        for _ in range(50):
                            t = time.perf_counter()
                            async with http.get(base + "/metrics") as r:
                                await r.read()
                            times.append((time.perf_counter() - t) * 1000)
                    scrape[label] = {
                        "median_ms": round(statistics.median(times), 2),
                        "p95_ms": round(sorted(times)[int(len(times) * 0.95) - 1], 2),
                    }
        finally:
            await app.close()
    print(
        json.dumps(
            {
                "requests_per_round": args.requests,
                "rounds": args.rounds,
                "handle_us_without_hook": [round(x, 1) for x in off],
                "handle_us_with_hook": [round(x, 1) for x in on],
                "hook_overhead_us_median": round(statistics.median(on) - statistics.median(off), 1),
                "outbox_rows": args.rows,
                "scrape": scrape,
            },
            indent=2,
        )
    )


class _served:
    def __init__(self, web_app) -> None:  # type: ignore[no-untyped-def]
        self.server = TestServer(web_app, host="127.0.0.1", port=0)

    async def __aenter__(self) -> str:
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()


async def _fill_outbox(app, rows: int) -> None:  # type: ignore[no-untyped-def]
    from bot.scheduler.models import Outbox

    now = datetime(2026, 3, 2, tzinfo=UTC)
    statuses = ("sent", "sent", "sent", "pending", "skipped", "dead")
    async with app.db.session() as session:
        session.add_all(
            Outbox(
                key=f"bench:{i}",
                platform="slack",
                workspace="T1",
                schedule_id=None,
                kind="digest",
                target_type="channel",
                target="C1",
                channel="C1",
                due_at=now + timedelta(seconds=i),
                tz="UTC",
                payload="{}",
                status=statuses[i % len(statuses)],
                attempts=0,
                next_attempt_at=now,
                fallback=False,
                created_at=now,
            )
            for i in range(rows)
        )


if __name__ == "__main__":
    asyncio.run(main())
