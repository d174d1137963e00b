"""A long day: ``cos-bot serve`` on PostgreSQL under steady Slack traffic, sampled every minute.

The load generator sends ``--rate`` operations a second to ``cos-bot serve`` on 127.0.0.1, all signed
like Slack's: knowledge questions (``/cos-service …``, ``/cos-risk …``), team commands
(``milestones``, ``schedules``, ``/cos-risk register``, ``digest now``), presses of the buttons the
answers carried (``block_actions``: open, providers, related, Share, 👍) and the 👎 form (the press,
then the ``view_submission`` of the view the bot opened). ``--channels`` channels have a digest due
every ``--fanout-every`` minutes, delivered by the server's own scheduler to a local Slack stand-in.

Each minute it prints one JSON line: the server's RSS and open descriptors (``/proc/<pid>/``), the
scratch database's connections (``pg_stat_activity``), answer p50/p99 over that minute and the
errors (non-200, timeouts, replies that say something went wrong). At the end, one JSON summary
with the targets and whether each is met. The run is bounded in time and stops by itself.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 5] [--channels 20] [--fanout-every 5]

The database is a scratch one next to ``COS_BENCH_POSTGRES_URL`` (default: the local ``test``
database), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # the helpers sit beside this script
sys.path.insert(1, str(ROOT))
from _slack import SECRET, TOKEN, FakeSlack, free_port, signed, wait_healthy  # noqa: E402
from fanout import TEAM, _schedules  # noqa: E402
from scratch_db import drop_database, fresh_database  # noqa: E402
from slack_latency import QUERIES  # noqa: E402

ADMIN = "UADMIN"
TEAM_COMMANDS = [
    ("/cos-service", "milestones"),
    ("/cos-service", "schedules"),
    ("/cos-risk", "register"),
    ("/cos-service", "digest now"),
]
# Ten operations every two seconds at the default rate: four questions, two team commands, three presses, one 👎.
MIX = ["question", "team", "question", "press", "question", "up", "team", "press", "question", "down"]
PRESSABLE = ("open", "providers", "related", "share")
WRONG = ("went wrong", "right now", "expired")  # failure, a vote that could not be written, a stale button
PG_BASE = os.environ.get("COS_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@dataclass
class Minute:
    """What one minute of load did."""

    ops: int = 0
    errors: int = 0
    answers: list[float] = field(default_factory=list)  # seconds until a question's answer was visible
    kinds: dict[str, int] = field(default_factory=dict)


class Load:
    """The traffic: one operation every 1/rate seconds, each a task; a minute's tallies by start minute."""

    def __init__(self, url: str, fake: FakeSlack, fake_port: int, *, users: int, timeout: float) -> None:
        self.url, self.fake, self.fake_port = url, fake, fake_port
        self.users, self.timeout = users, timeout
        self.minutes: dict[int, Minute] = {}
        self.answers: deque[list[dict[str, Any]]] = deque(maxlen=50)  # buttons of recent answers
        self.error_samples: list[str] = []
        self.seq = itertools.count()
        self.rng = random.Random(7)

    def _user(self) -> str:
        return f"U{self.rng.randrange(self.users):04d}"

    def _fail(self, minute: Minute, what: str) -> None:
        minute.errors += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(what[:300])

    async def _posted(self, http: aiohttp.ClientSession, body: str, *, content_type: str) -> tuple[int, str]:
        async with http.post(self.url, data=body.encode(), headers=signed(body, content_type=content_type)) as r:
            return r.status, await r.text()

    async def _via_response_url(
        self, http: aiohttp.ClientSession, name: str, body: str, *, direct: bool
    ) -> tuple[dict[str, Any] | None, str]:
        """POST ``body``; the reply is the ack body when ``direct`` and it carries one, else the response_url POST."""
        waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.fake.waiters[name] = waiter
        try:
            status, text = await self._posted(http, body, content_type="application/x-www-form-urlencoded")
            if status != 200:
                return None, f"HTTP {status}"
            if direct and text and "Looking that up" not in text:
                return json.loads(text), ""
            await asyncio.wait_for(waiter, self.timeout)
            return self.fake.bodies.pop(name, {}), ""
        except TimeoutError:
            return None, "timeout"
        finally:
            self.fake.waiters.pop(name, None)
            self.fake.bodies.pop(name, None)
            self.fake.arrivals.pop(name, None)

    async def command(self, http: aiohttp.ClientSession, minute: Minute, command: str, text: str) -> float | None:
        """A slash command until its answer is visible; its buttons are kept for later presses."""
        i = next(self.seq)
        name = f"c{i}"
        user = ADMIN if text == "digest now" else self._user()
        form = {
            "token": "x",
            "team_id": TEAM,
            "team_domain": "bench",
            "channel_id": "C00000",
            "channel_name": "general",
            "user_id": user,
            "user_name": "bench",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": f"http://127.0.0.1:{self.fake_port}/response/{name}",
            "trigger_id": f"t{i}",
        }
        start = time.perf_counter()
        reply, problem = await self._via_response_url(http, name, urlencode(form), direct=True)
        took = time.perf_counter() - start
        if reply is None or self._wrong(reply):
            self._fail(minute, f"{command} {text}: {problem or json.dumps(reply, ensure_ascii=False)}")
            return None
        buttons = [
            e
            for block in reply.get("blocks") or []
            if block.get("type") == "actions"
            for e in block.get("elements") or []
            if str(e.get("action_id", "")).startswith("cos:")
        ]
        if any(str(b["action_id"]).startswith("cos:feedback-") for b in buttons):
            self.answers.append(buttons)
        return took

    def _wrong(self, reply: dict[str, Any]) -> bool:
        text = json.dumps(reply, ensure_ascii=False).lower()
        return any(w in text for w in WRONG)

    def _pick(self, prefixes: tuple[str, ...]) -> dict[str, Any] | None:
        for buttons in self.rng.sample(list(self.answers), len(self.answers)):
            found = [b for b in buttons if str(b["action_id"]).split(":")[1] in prefixes]
            if found:
                return self.rng.choice(found)
        return None

    def _block_actions(self, element: dict[str, Any], user: str, *, name: str, trigger: str) -> str:
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "bench", "team_id": TEAM},
            "api_app_id": "A1",
            "token": "x",
            "container": {"type": "message", "message_ts": "1.0", "channel_id": "C00000", "is_ephemeral": True},
            "trigger_id": trigger,
            "team": {"id": TEAM, "domain": "bench"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": "C00000", "name": "general"},
            "state": {"values": {}},
            "response_url": f"http://127.0.0.1:{self.fake_port}/response/{name}",
            "actions": [{**element, "block_id": "b", "action_ts": f"{time.time():.6f}"}],
        }
        return urlencode({"payload": json.dumps(payload)})

    async def press(self, http: aiohttp.ClientSession, minute: Minute, kinds: tuple[str, ...]) -> bool:
        """Press one button of a recent answer; False when there is none yet."""
        element = self._pick(kinds)
        if element is None:
            return False
        i = next(self.seq)
        body = self._block_actions(element, self._user(), name=f"b{i}", trigger=f"t{i}")
        reply, problem = await self._via_response_url(http, f"b{i}", body, direct=False)
        if reply is None or self._wrong(reply):
            self._fail(minute, f"press {element['action_id']}: {problem or json.dumps(reply, ensure_ascii=False)}")
        return True

    async def down(self, http: aiohttp.ClientSession, minute: Minute) -> bool:
        """👎 on a recent answer: the bot opens its form (``views.open``); then the form is sent."""
        element = self._pick(("feedback-down",))
        if element is None:
            return False
        i, user = next(self.seq), self._user()
        trigger = f"t{i}"
        opened: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.fake.views[trigger] = opened
        try:
            body = self._block_actions(element, user, name=f"b{i}", trigger=trigger)
            status, _ = await self._posted(http, body, content_type="application/x-www-form-urlencoded")
            if status != 200:
                self._fail(minute, f"👎 press: HTTP {status}")
                return True
            view = await asyncio.wait_for(opened, self.timeout)
        except TimeoutError:
            self._fail(minute, "👎 press: no form within the timeout")
            return True
        finally:
            self.fake.views.pop(trigger, None)
        submission = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "bench"},
            "user": {"id": user, "username": "bench", "team_id": TEAM},
            "api_app_id": "A1",
            "token": "x",
            "trigger_id": f"t{i}s",
            "view": {
                "id": "VBENCH",
                "type": "modal",
                "callback_id": view.get("callback_id"),
                "private_metadata": view.get("private_metadata"),
                "state": {
                    "values": {
                        "reason": {"reason": {"type": "radio_buttons", "selected_option": {"value": "out_of_date"}}},
                        "comment": {"comment": {"type": "plain_text_input", "value": "soak test"}},
                    }
                },
            },
        }
        status, text = await self._posted(
            http, urlencode({"payload": json.dumps(submission)}), content_type="application/x-www-form-urlencoded"
        )
        if status != 200 or "errors" in text:
            self._fail(minute, f"👎 form: HTTP {status} {text}")
        return True

    async def one(self, http: aiohttp.ClientSession, minute: Minute, kind: str, n: int) -> None:
        try:
            if kind == "press" and await self.press(http, minute, PRESSABLE):
                pass
            elif kind == "up" and await self.press(http, minute, ("feedback-up",)):
                pass
            elif kind == "down" and await self.down(http, minute):
                pass
            elif kind == "team":
                command, text = TEAM_COMMANDS[n % len(TEAM_COMMANDS)]
                await self.command(http, minute, command, text)
            else:  # a question (also when there is no answer to press yet)
                kind = "question"
                command, text = QUERIES[n % len(QUERIES)]
                took = await self.command(http, minute, command, text)
                if took is not None:
                    minute.answers.append(took)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            self._fail(minute, f"{kind}: {type(exc).__name__}: {exc}")
        minute.ops += 1
        minute.kinds[kind] = minute.kinds.get(kind, 0) + 1

    async def run(self, *, seconds: float, rate: float, began: float) -> None:
        """Start one operation every 1/rate s until ``seconds`` pass; then wait for those still running."""
        tasks: set[asyncio.Task[None]] = set()
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
            for n in itertools.count():
                at = began + n / rate
                if at - began >= seconds:
                    break
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                minute = self.minutes.setdefault(int((at - began) // 60), Minute())
                if len(tasks) >= 256:  # the server has fallen far behind: count it, don't pile on
                    self._fail(minute, "more than 256 operations in flight")
                    continue
                task = asyncio.create_task(self.one(http, minute, MIX[n % len(MIX)], n // len(MIX)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.wait(tasks, timeout=self.timeout * 3)


def _sockets(pid: int, port: int) -> dict[str, int]:
    """``pid``'s descriptors by what they are: TCP to the database, TCP into the server's ``port``, other TCP
    (the Slack stand-in), and everything else (files, pipes, the event loop's own)."""
    inodes: set[str] = set()
    fds = os.listdir(f"/proc/{pid}/fd")
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    kinds = {"db": 0, "inbound": 0, "outbound": 0}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if cols[9] not in inodes or cols[3] == "0A":  # not ours, or a listening socket
                continue
            local, remote = int(cols[1].rsplit(":", 1)[1], 16), int(cols[2].rsplit(":", 1)[1], 16)
            kinds["db" if remote == 5432 else "inbound" if local == port else "outbound"] += 1
    kinds["other"] = len(fds) - sum(kinds.values())
    return kinds


async def _pool(http: aiohttp.ClientSession, base: str) -> dict[str, int]:
    """The server's own view of its database pool (``cos_db_pool_connections`` on ``/metrics``)."""
    async with http.get(base + "/metrics") as response:
        text = await response.text()
    found: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("cos_db_pool_connections{"):
            state = line.split('state="', 1)[1].split('"', 1)[0]
            found[state] = int(float(line.rsplit(" ", 1)[1]))
    return found


async def _quiet(base: str) -> dict[str, int]:
    """After the load: the pool three times a second apart; the least in use (a scheduler tick may hold one)."""
    samples = []
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            samples.append(await _pool(http, base))
            await asyncio.sleep(1.0)
    return min(samples, key=lambda p: p.get("in_use", 0))


def _proc(pid: int) -> tuple[float, int]:
    """(RSS in MB, open descriptors) of ``pid``."""
    rss_kb = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return round(rss_kb / 1024, 1), len(os.listdir(f"/proc/{pid}/fd"))


async def _connections(database: str, seen: set[int]) -> dict[str, Any]:
    """The scratch database's connections: how many, by state, and how many were not there a minute ago.

    A pool warming up adds idle connections that then stay; a leak adds ones held in a transaction
    (``idle in transaction``) or keeps opening new backends (``new``) while the count climbs.
    """
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(PG_BASE.replace("+asyncpg", ""))  # the base database: not counted itself
    try:
        rows = await conn.fetch(
            "SELECT pid, coalesce(state, '') AS state FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await conn.close()
    pids = {int(r["pid"]) for r in rows}
    new = len(pids - seen)
    seen.clear()
    seen.update(pids)
    by_state: dict[str, int] = {}
    for r in rows:
        by_state[r["state"]] = by_state.get(r["state"], 0) + 1
    return {"count": len(rows), "by_state": dict(sorted(by_state.items())), "new": new}


_SEEN: set[int] = set()  # the backends of the last sample


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * q + 0.5) - 1)] * 1000, 1)


async def _sample(load: Load, index: int, pid: int, database: str, fake: FakeSlack, *, port: int) -> dict[str, Any]:
    minute = load.minutes.get(index, Minute())
    rss, fds = _proc(pid)
    db = await _connections(database, _SEEN)
    async with aiohttp.ClientSession() as http:
        pool = await _pool(http, f"http://127.0.0.1:{port}")
    return {
        "minute": index + 1,
        "ops": minute.ops,
        "by_kind": dict(sorted(minute.kinds.items())),
        "errors": minute.errors,
        "answers": len(minute.answers),
        "answer_p50_ms": _pct(minute.answers, 0.50),
        "answer_p99_ms": _pct(minute.answers, 0.99),
        "rss_mb": rss,
        "open_fds": fds,
        "db_connections": db["count"],
        "db_by_state": db["by_state"],
        "db_new_backends": db["new"],
        "pool": pool,
        "fds_by_kind": _sockets(pid, port),
        "slack_posts": fake.calls["chat.postMessage"],
    }


POOL_SIZE = 10  # bot.storage.db: the connections a PostgreSQL pool keeps open (max_overflow more while busy)


def _summary(
    rows: list[dict[str, Any]], load: Load, args: argparse.Namespace, log: Path, *, quiet: dict[str, Any]
) -> dict[str, Any]:
    base = min(5, max(1, len(rows) // 2))  # minute 5, or the middle of a short run
    after = [r for r in rows if r["minute"] >= base]
    first, last = after[0], after[-1]
    early = [x for i in range(1, base) for x in load.minutes.get(i, Minute()).answers] or load.minutes[0].answers
    third = max(1, len(rows) // 3)
    late = [x for i in range(len(rows) - third, len(rows)) for x in load.minutes.get(i, Minute()).answers]
    early_p99, late_p99 = _pct(early, 0.99), _pct(late, 0.99)
    all_answers = [x for m in load.minutes.values() for x in m.answers]
    server_errors = sum(1 for line in log.read_text(errors="replace").splitlines() if "ERROR" in line)
    errors = sum(m.errors for m in load.minutes.values())
    growth = round(last["rss_mb"] - first["rss_mb"], 1)
    fd_rise = max(r["open_fds"] for r in after) - first["open_fds"]
    conn_rise = max(r["db_connections"] for r in after) - first["db_connections"]
    p99_ratio = round(late_p99 / early_p99, 2) if early_p99 and late_p99 else None
    other_rise = max(r["fds_by_kind"]["other"] for r in after) - first["fds_by_kind"]["other"]
    kept = max(r["pool"].get("idle", 0) + r["pool"].get("in_use", 0) for r in after)
    quiet_pool = quiet["pool"].get("in_use", 0) + quiet["pool"].get("idle", 0)
    return {
        "benchmark": "soak",
        "minutes": len(rows),
        "rate_per_s": args.rate,
        "digest_channels": args.channels,
        "fanout_every_min": args.fanout_every,
        "cpus": os.cpu_count(),
        "ops": sum(m.ops for m in load.minutes.values()),
        "errors": errors,
        "error_samples": load.error_samples,
        "server_log_errors": server_errors,
        "answer_p50_ms": _pct(all_answers, 0.50),
        "answer_p99_ms": _pct(all_answers, 0.99),
        "rss_mb": {"at_baseline": first["rss_mb"], "end": last["rss_mb"], "growth": growth},
        "open_fds": {"at_baseline": first["open_fds"], "max_after": first["open_fds"] + fd_rise},
        "db_connections": {"at_baseline": first["db_connections"], "max_after": first["db_connections"] + conn_rise},
        "db_pool_max_after": kept,
        "after_the_load": quiet,
        "answer_p99_ms_early_vs_last_third": [early_p99, late_p99],
        "baseline_minute": base,
        "targets": {
            "rss_growth_mb <= 10 from the baseline minute": growth <= 10,
            "descriptors other than sockets flat (rise <= 2)": other_rise <= 2,
            "db pool bounded (at most its size kept open)": kept <= POOL_SIZE,
            "db connections all returned after the load (none in use)": quiet["pool"].get("in_use", 0) == 0,
            "db connections all the pool's (none opened outside it)": quiet["db_connections"] <= quiet_pool,
            "answer p99 steady (last third <= 1.5 x minutes before the baseline)": p99_ratio is not None
            and p99_ratio <= 1.5,
            "zero errors": errors == 0 and server_errors == 0,
        },
        # The pool opens a connection only when all it holds are in use at once, and keeps up to POOL_SIZE: its
        # size follows the busiest moment so far (digest fan-outs meeting the traffic), so it may still grow
        # after the baseline minute; so do the keep-alive sockets of the load and the Slack stand-in. A leak
        # shows instead as connections in use after the load, or connections beside the pool's.
        "strict": {"open fds flat (rise <= 5)": fd_rise <= 5, "db connections flat (rise <= 1)": conn_rise <= 1},
        "note": "2-core machine shared with other work; descriptors and connections are sampled, not integrated",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--rate", type=float, default=5.0, help="operations a second")
    parser.add_argument("--channels", type=int, default=20, help="channels whose digest is due at each fan-out")
    parser.add_argument("--fanout-every", type=int, default=5, help="minutes between digest fan-outs")
    parser.add_argument("--users", type=int, default=200, help="distinct people asking")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds an answer may take before it counts")
    args = parser.parse_args()
    if not 1 <= args.minutes <= 24 * 60 or not 0 < args.rate <= 50:
        parser.error("--minutes must be 1..1440 and --rate 0..50")

    url = await fresh_database(PG_BASE, prefix="cos_soak_")
    database = url.rsplit("/", 1)[1]
    fake = FakeSlack(team=TEAM, admins=frozenset({ADMIN}), keep=True)
    fake_port = await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="cos-soak-"))
    log = tmp / "serve.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        # Digests fall due on whole minutes, every --fanout-every minutes of the run (the schema is made here).
        start = (datetime.now(UTC) + timedelta(seconds=90)).replace(second=0, microsecond=0)
        for k in range(1, args.minutes // args.fanout_every + 1):
            await _schedules(url, args.channels, start + timedelta(minutes=k * args.fanout_every))
        port = free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"http://127.0.0.1:{fake_port}/api/",
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "DISCORD_TOKEN", "COS_ADMINS"):
            env.pop(name, None)
        with open(log, "wb") as out:  # noqa: ASYNC230 - once, before the run
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                cwd=tmp,
                env=env,
                stdout=out,
                stderr=out,
            )
        events = f"http://127.0.0.1:{port}/slack/events"
        await wait_healthy(events, proc)
        await asyncio.sleep(max(0.0, (start - datetime.now(UTC)).total_seconds()))  # load starts on the minute
        load = Load(events, fake, fake_port, users=args.users, timeout=args.timeout)
        began = time.monotonic()
        running = asyncio.create_task(load.run(seconds=args.minutes * 60, rate=args.rate, began=began))
        rows: list[dict[str, Any]] = []
        for index in range(args.minutes):
            await asyncio.sleep(max(0.0, began + (index + 1) * 60 - time.monotonic()))
            if proc.poll() is not None:
                raise RuntimeError(f"cos-bot serve exited with {proc.returncode}; see {log}")
            await asyncio.sleep(min(args.timeout, 5.0) if index == args.minutes - 1 else 0)
            if index == args.minutes - 1:
                await running  # the last minute's operations have finished
            rows.append(await _sample(load, index, proc.pid, database, fake, port=port))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        quiet = {
            "pool": await _quiet(f"http://127.0.0.1:{port}"),
            "db_connections": (await _connections(database, set()))["count"],
        }
        summary = _summary(rows, load, args, log, quiet=quiet)
        summary["digests_posted"] = sum(n for k, n in fake.post_keys.items() if "digest" in k)
        summary["digests_expected"] = {
            "fan-out": args.channels * (args.minutes // args.fanout_every),
            "digest now": sum(m.kinds.get("team", 0) for m in load.minutes.values()) // len(TEAM_COMMANDS),
        }
        summary["server_log"] = str(log)
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await fake.runner.cleanup()
        await drop_database(PG_BASE, url)


if __name__ == "__main__":
    asyncio.run(main())
