"""Fan-out benchmark: one digest due in the same minute in N Slack channels, through ``cos-bot serve``.

A local Slack stand-in on 127.0.0.1 enforces one message per second per channel and a workspace
limit (``--workspace-rate``) that the bot is not told, answering 429 + a whole-second
``Retry-After`` beyond them. ``--replicas`` processes of ``cos-bot serve`` share one database
(PostgreSQL for more than one: ``--database``); with ``--kill-one`` the first replica is SIGKILLed
a few seconds before the due minute. Every digest is planned and delivered by the replicas'
own schedulers, with their own (learning) pacer, unless ``--pin`` pins the rate as
``COS_SLACK_WORKSPACE_RATE`` would. Prints JSON: delivered, lost, duplicated, the achieved rate
(first to last accepted post) and its ratio to the limit, the 429 share of all posts tried, and
the figures from the due instant, which "first to last" hides: ``first_post_after_due_s`` (the first
accepted post minus the due instant) and ``due_to_last_ratio`` (posts delivered / seconds from the
due instant to the last accepted post / the limit).

    python bench/fanout.py --json --channels 300 --workspace-rate 20
    python bench/fanout.py --json --channels 300 --workspace-rate 20 --replicas 3 --kill-one \\
        --database postgresql://postgres@127.0.0.1:5432/test

``--in-process`` runs the older shape instead (one scheduler in this process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scratch_db import drop_database, fresh_database  # noqa: E402 - bench/ is the script's own folder

from bot.kernel.settings import _normalise_db_url  # noqa: E402
from bot.storage.db import Database, migrate  # noqa: E402

TEAM = "TBENCH"


class SlackLikeAPI:
    """``chat.postMessage`` with Slack's limits: 1/s per channel, ``rate`` per second per workspace."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.last_in_channel: dict[str, float] = {}
        self.window: deque[float] = deque()
        self.keys: Counter[str] = Counter()
        self.accepted_at: list[float] = []
        self.rejected = 0
        self.rejected_at: list[float] = []

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
            self.rejected_at.append(now)
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(max(1, round(wait + 0.499)))},
            )
        self.window.append(now)
        self.last_in_channel[channel] = now
        meta = body.get("metadata") or {}
        if isinstance(meta, str):
            meta = json.loads(meta)
        self.keys[str((meta.get("event_payload") or {}).get("key", ""))] += 1
        self.accepted_at.append(now)
        return web.json_response({"ok": True, "channel": channel, "ts": f"{time.time():.6f}"})

    async def auth_test(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "ok": True,
                "url": "https://bench.slack.com/",
                "team": "Bench",
                "user": "cos-bot",
                "team_id": TEAM,
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        )

    async def other(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    def result(self, channels: int) -> dict[str, object]:
        delivered = len([k for k in self.keys if k])
        span = (self.accepted_at[-1] - self.accepted_at[0]) if len(self.accepted_at) > 1 else 0.0
        achieved = (len(self.accepted_at) - 1) / span if span > 0 else 0.0
        tried = len(self.accepted_at) + self.rejected
        return {
            "channels": channels,
            "delivered": delivered,
            "lost": channels - delivered,
            "duplicated": sum(c - 1 for c in self.keys.values() if c > 1),
            "allowed_rate_per_s": self.rate,
            "achieved_rate_per_s": round(achieved, 2),
            "ratio": round(achieved / self.rate, 3),
            "rate_limited_429": self.rejected,
            "share_429": round(self.rejected / tried, 4) if tried else 0.0,
            "seconds_first_to_last_post": round(span, 2),
        }

    def from_due(self, due: float) -> dict[str, object]:
        """The figures measured from the due instant (monotonic ``due``), which "first to last" leaves out:
        how late the first post left, and the rate achieved from the due instant to the last post, as a
        fraction of the limit (the posts delivered over the seconds from due to the last post)."""
        if not self.accepted_at:
            return {"first_post_after_due_s": None, "seconds_due_to_last_post": None, "due_to_last_ratio": 0.0}
        to_last = self.accepted_at[-1] - due
        delivered = len([k for k in self.keys if k])
        return {
            "first_post_after_due_s": round(self.accepted_at[0] - due, 2),
            "seconds_due_to_last_post": round(to_last, 2),
            "due_to_last_ratio": round(delivered / to_last / self.rate, 3) if to_last > 0 else None,
        }

    def timeline(self) -> list[tuple[float, int, int]]:
        """(second since the first post, posts accepted, posts refused) per second: where the time went."""
        if not self.accepted_at:
            return []
        start = self.accepted_at[0]
        seconds = int(self.accepted_at[-1] - start) + 1
        ok, refused = [0] * seconds, [0] * seconds
        for t in self.accepted_at:
            ok[min(seconds - 1, int(t - start))] += 1
        for t in self.rejected_at:
            if 0 <= t - start < seconds:
                refused[int(t - start)] += 1
        return [(i, ok[i], refused[i]) for i in range(seconds)]


async def _stand_in(rate: float) -> tuple[SlackLikeAPI, web.AppRunner, int]:
    api = SlackLikeAPI(rate)
    server = web.Application()
    server.router.add_post("/api/chat.postMessage", api.post_message)
    server.router.add_post("/api/auth.test", api.auth_test)
    server.router.add_post("/api/{method}", api.other)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return api, runner, port


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _schedules(url: str, channels: int, due: datetime) -> None:
    from bot.scheduler.models import Schedule

    db = Database(url)
    try:
        await migrate(db)
        now = datetime.now(UTC)
        async with db.session() as session:
            session.add_all(
                [
                    Schedule(
                        platform="slack",
                        workspace=TEAM,
                        kind="digest",
                        channel=f"C{i:05d}",
                        cadence="daily",
                        hour=due.hour,
                        minute=due.minute,
                        tz="UTC",
                        skip_weekends=False,
                        active=True,
                        planned_until=now,
                        created_by="bench",
                        created_at=now,
                    )
                    for i in range(channels)
                ]
            )
    finally:
        await db.dispose()


async def _healthy(ports: list[int], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with ClientSession() as http:
        for port in ports:
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica on port {port} did not come up")
                await asyncio.sleep(0.2)


async def run_serve(
    channels: int, rate: float, *, replicas: int, kill_one: bool, database: str | None, pin: float | None, lead: float
) -> dict[str, object]:
    api, runner, api_port = await _stand_in(rate)
    tmp = tempfile.mkdtemp(prefix="cos-fanout-")
    base = _normalise_db_url(database) if database else None
    url = await fresh_database(base, prefix="cos_fanout_") if base else f"sqlite+aiosqlite:///{tmp}/fanout.db"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # The due minute: the next whole minute at least ``lead`` seconds away (start-up, and the kill).
        now = datetime.now(UTC)
        due = (now + timedelta(seconds=lead + 60)).replace(second=0, microsecond=0)
        due_mono = time.monotonic() + (due - now).total_seconds()
        await _schedules(url, channels, due)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench-" + secrets.token_hex(8),
            "SLACK_SIGNING_SECRET": secrets.token_hex(16),
            "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/",
            "COS_POLL_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        env.pop("COS_SLACK_WORKSPACE_RATE", None)
        if pin:
            env["COS_SLACK_WORKSPACE_RATE"] = str(pin)
        ports = [_free_port() for _ in range(replicas)]
        log = open(Path(tmp) / "replicas.log", "wb")  # noqa: ASYNC230 - once, before the run
        for i, port in enumerate(ports):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                    env={**env, "COS_INSTANCE_ID": f"r{i}"},
                    cwd=tmp,
                    stdout=log,
                    stderr=log,
                )
            )
        await _healthy(ports)
        killed = None
        if kill_one:
            until_kill = (due - datetime.now(UTC)).total_seconds() - 3.0
            await asyncio.sleep(max(0.0, until_kill))
            procs[0].send_signal(signal.SIGKILL)
            procs[0].wait()
            killed = "r0"
        deadline = time.monotonic() + (due - datetime.now(UTC)).total_seconds() + channels / min(rate, 4.0) + 60
        while time.monotonic() < deadline and len([k for k in api.keys if k]) < channels:  # noqa: ASYNC110
            await asyncio.sleep(0.25)
        await asyncio.sleep(3.0)  # any late duplicate
        result = api.result(channels)
        if os.environ.get("FANOUT_TIMELINE"):
            result["timeline"] = api.timeline()
        result.update(
            {
                "replicas": replicas,
                "killed_before_due": killed,
                "db": "postgresql" if base else "sqlite",
                "pinned_rate": pin,
                "path": "cos-bot serve",
                **api.from_due(due_mono),
            }
        )
        return result
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        await runner.cleanup()
        if base:
            await drop_database(base, url)


class ShiftedClock:
    """Real time, shifted so the run starts at ``start`` (retries and leases still pass for real)."""

    def __init__(self, start: datetime) -> None:
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def run_in_process(channels: int, rate: float, pin: float | None, database: str | None) -> dict[str, object]:
    from adapters.slack.client import RetryPolicy, make_client
    from adapters.slack.transport import SlackTransport
    from bot.app import build_app
    from bot.kernel.settings import Settings
    from bot.scheduler.models import Schedule
    from bot.scheduler.pacing import Pacer, SharedPacer, limits_for

    api, runner, port = await _stand_in(rate)
    tmp = tempfile.mkdtemp(prefix="cos-fanout-")
    base = _normalise_db_url(database) if database else None
    url = await fresh_database(base, prefix="cos_fanout_") if base else f"sqlite+aiosqlite:///{tmp}/fanout.db"
    settings = Settings(
        database_url=url,
        scheduler_enabled=False,
        slack_api_url=f"http://127.0.0.1:{port}/api/",
        slack_bot_token="xoxb-bench-token",
        slack_workspace_rate=pin,
    )
    due = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    app = await build_app(settings, clock=ShiftedClock(due - timedelta(seconds=1)))
    client = make_client(settings, token=settings.slack_bot_token, policy=RetryPolicy())

    async def client_for(workspace: str):  # type: ignore[no-untyped-def]
        return client

    app.transports["slack"] = SlackTransport(client_for)
    scheduler = app.scheduler
    scheduler.pacer = SharedPacer(app.db, limits_for(settings)) if base else Pacer(limits_for(settings))
    try:
        created = due - timedelta(hours=1)
        async with app.db.session() as session:
            session.add_all(
                [
                    Schedule(
                        platform="slack",
                        workspace=TEAM,
                        kind="digest",
                        channel=f"C{i:05d}",
                        cadence="daily",
                        hour=9,
                        minute=0,
                        tz="UTC",
                        skip_weekends=False,
                        active=True,
                        planned_until=created,
                        created_by="bench",
                        created_at=created,
                    )
                    for i in range(channels)
                ]
            )
        await asyncio.sleep(1.2)  # the minute arrives
        planned = await scheduler.plan()
        deadline = time.monotonic() + channels / 2.0 + 60
        while time.monotonic() < deadline and len(api.keys) < channels:
            stats = await scheduler.drain()
            if not stats.sent and not stats.failed:
                await asyncio.sleep(0.2)
        result = api.result(channels)
        if os.environ.get("FANOUT_TIMELINE"):
            result["timeline"] = api.timeline()
        result.update(
            {"planned": planned, "db": "postgresql" if base else "sqlite", "path": "in-process", "pinned_rate": pin}
        )
        return result
    finally:
        await app.close()
        await runner.cleanup()
        if base:
            await drop_database(base, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--channels", type=int, default=300)
    parser.add_argument(
        "--workspace-rate",
        type=float,
        default=20.0,
        help="the stand-in's workspace limit, messages/s (the bot is not told it)",
    )
    parser.add_argument("--replicas", type=int, default=1, help="cos-bot serve processes")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL the first replica before the due minute")
    parser.add_argument(
        "--database",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL base URL (a fresh database is made); default SQLite, one replica only",
    )
    parser.add_argument("--pin", type=float, default=None, help="pin the rate, as COS_SLACK_WORKSPACE_RATE does")
    parser.add_argument("--lead", type=float, default=8.0, help="at least this many seconds before the due minute")
    parser.add_argument("--in-process", action="store_true", help="one scheduler in this process")
    args = parser.parse_args()
    if args.in_process:
        database = args.database if args.database and args.database.startswith("postgres") else None
        result = asyncio.run(run_in_process(args.channels, args.workspace_rate, args.pin, database))
    else:
        database = args.database if args.database and args.database.startswith("postgres") else None
        if (args.replicas > 1 or args.kill_one) and not database:
            print("several replicas need PostgreSQL (--database postgresql://...)", file=sys.stderr)
            return 2
        result = asyncio.run(
            run_serve(
                args.channels,
                args.workspace_rate,
                replicas=args.replicas,
                kill_one=args.kill_one,
                database=database,
                pin=args.pin,
                lead=args.lead,
            )
        )
    result["note"] = "2-core machine shared with other engineers' work; run it more than once"
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
