"""Fan-out benchmark: one digest due in the same minute in 2,000 Slack channels.

Runs the real planner and outbox drain (``bot.scheduler``) through the Slack
adapter's ``SlackTransport`` (slack_sdk ``AsyncWebClient``) against a local
Web API on 127.0.0.1 that enforces one message per second per channel and a
workspace-wide limit, answering 429 + ``Retry-After`` beyond them. Prints JSON:
delivered, lost, duplicated, ratio (achieved rate / allowed rate), rate_limited_429.

    python bench/fanout.py --json [--channels 2000] [--workspace-rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack.client import RetryPolicy, make_client
from adapters.slack.transport import SlackTransport
from bot.app import build_app
from bot.scheduler.models import Schedule
from bot.scheduler.pacing import Limits, Pacer
from bot.settings import Settings


class SlackLikeAPI:
    """``chat.postMessage`` with Slack's limits: 1/s per channel, ``rate`` per second per workspace."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.last_in_channel: dict[str, float] = {}
        self.window: deque[float] = deque()
        self.keys: Counter[str] = Counter()
        self.accepted_at: list[float] = []
        self.rejected = 0

    async def post_message(self, request: web.Request) -> web.Response:
        body = await request.json() if request.content_type == "application/json" else dict(await request.post())
        channel = str(body.get("channel", ""))
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        wait = 0.0
        if len(self.window) >= self.rate:
            wait = self.window[0] + 1.0 - now
        if channel in self.last_in_channel and now - self.last_in_channel[channel] < 1.0:
            wait = max(wait, self.last_in_channel[channel] + 1.0 - now)
        if wait > 0:
            self.rejected += 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(max(1, round(wait + 0.499)))})
        self.window.append(now)
        self.last_in_channel[channel] = now
        meta = body.get("metadata") or {}
        if isinstance(meta, str):
            meta = json.loads(meta)
        self.keys[str((meta.get("event_payload") or {}).get("key", ""))] += 1
        self.accepted_at.append(now)
        return web.json_response({"ok": True, "channel": channel, "ts": f"{now:.6f}"})


class ShiftedClock:
    """Real time, shifted so the run starts at ``start`` (retries and leases still pass for real)."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def run(channels: int, rate: float, margin: float) -> dict[str, object]:
    api = SlackLikeAPI(rate)
    server = web.Application()
    server.router.add_post("/api/chat.postMessage", api.post_message)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    tmp = tempfile.mkdtemp(prefix="cos-fanout-")
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/fanout.db", scheduler_enabled=False,
                        slack_api_url=f"http://127.0.0.1:{port}/api/", slack_bot_token="xoxb-bench-token")
    due = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock = ShiftedClock(due - timedelta(seconds=1))
    app = await build_app(settings, clock=clock)
    client = make_client(settings, token=settings.slack_bot_token,
                         policy=RetryPolicy(rate_limit_retries=0, server_error_retries=1))

    async def client_for(workspace: str):  # type: ignore[no-untyped-def]
        return client

    app.transports["slack"] = SlackTransport(client_for)
    scheduler = app.scheduler
    scheduler.pacer = Pacer({"slack": Limits(channel_interval=1.0, workspace_rate=rate * margin)})
    scheduler.batch, scheduler.concurrency = 100, 16
    try:
        created = due - timedelta(hours=1)
        async with app.db.session() as session:
            session.add_all([
                Schedule(platform="slack", workspace="TBENCH", kind="digest", channel=f"C{i:05d}", cadence="daily",
                         hour=9, minute=0, tz="UTC", skip_weekends=False, active=True, planned_until=created,
                         created_by="bench", created_at=created)
                for i in range(channels)
            ])
        await asyncio.sleep(1.2)  # the minute arrives
        started = time.monotonic()
        planned = await scheduler.plan()
        stats_total = Counter()
        deadline = time.monotonic() + channels / (rate * margin) * 3 + 30
        while time.monotonic() < deadline:
            stats = await scheduler.drain()
            stats_total.update(sent=stats.sent, failed=stats.failed, dead=stats.dead)
            if sum(api.keys.values()) >= channels and not stats.sent:
                break
            if not stats.sent and not stats.failed:
                await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        delivered = len(api.keys)
        span = (api.accepted_at[-1] - api.accepted_at[0]) if len(api.accepted_at) > 1 else elapsed
        achieved = (len(api.accepted_at) - 1) / span if span > 0 else 0.0
        return {
            "channels": channels,
            "planned": planned,
            "delivered": delivered,
            "lost": channels - delivered,
            "duplicated": sum(c - 1 for c in api.keys.values() if c > 1),
            "allowed_rate_per_s": rate,
            "achieved_rate_per_s": round(achieved, 2),
            "ratio": round(achieved / rate, 3),
            "rate_limited_429": api.rejected,
            "dead_lettered": stats_total["dead"],
            "seconds": round(elapsed, 2),
            "db": "sqlite",
        }
    finally:
        await client.session.close() if getattr(client, "session", None) else None
        await app.close()
        await runner.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--workspace-rate", type=float, default=50.0, help="the local API's workspace limit, msg/s")
    parser.add_argument("--margin", type=float, default=0.97, help="pace at this fraction of the allowed rate")
    args = parser.parse_args()
    result = asyncio.run(run(args.channels, args.workspace_rate, args.margin))
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
