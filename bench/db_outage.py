"""The database goes away under ``cos-bot serve``: what people, probes and the log see, and the deliveries after.

``cos-bot serve`` (scheduler on) runs on a fresh PostgreSQL database reached through a TCP proxy
(``tests/faults/proxy.py``) and a local Slack stand-in. ``--digests`` channels get a daily digest due at
the next whole minute; the proxy fails from 5 s before that minute for ``--outage`` seconds, either
refusing connections after resetting the live ones (``refused``: a restart) or holding every byte
(``partition``). Meanwhile a team command and a knowledge question are sent every second. Prints JSON per
fault: reply latencies (ms), the replies' kinds, ``/readyz`` during the outage and seconds to 200 after
it, the digests delivered, lost and doubled with their delay after the return, and the log's outage lines
and tracebacks.

    python bench/db_outage.py --json --digests 50 --outage 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scratch_db import drop_database, fresh_database  # noqa: E402 - bench/ is the script's own folder

from tests.adapters.slack.fake_slack import FakeSlack, form_body, payload, sign  # noqa: E402
from tests.faults.proxy import FaultProxy  # noqa: E402

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-1111111111-2222222222-BENCHTOKENabcdefghij"
ADMIN = "U2147483697"
UNAVAILABLE = "The database is unavailable right now"


async def _command(
    http: aiohttp.ClientSession, base: str, slack: FakeSlack, text: str, name: str, channel: str
) -> tuple[float, str]:
    """Send ``/cos-service <text>``; (ms until the reply is known, its text)."""
    form = form_body(
        {**payload("slash_command.json"), "text": text, "channel_id": channel, "response_url": slack.response_url(name)}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SECRET)}
    started = time.perf_counter()
    async with http.post(base + "/slack/events", data=form.encode(), headers=headers) as answer:
        raw = await answer.text()
    body: dict[str, Any] = json.loads(raw) if raw.startswith("{") else {}
    reply = str(body.get("text", ""))
    while not reply or reply.startswith("Looking that up"):
        posted = [c for c in slack.calls_to("response_url") if c.params.get("name") == name]
        if posted:
            reply = str(posted[-1].params.get("text", ""))
            break
        if time.perf_counter() - started > 120:
            reply = "(no reply)"
            break
        await asyncio.sleep(0.02)
    return (time.perf_counter() - started) * 1000, reply


def _kind(reply: str) -> str:
    if UNAVAILABLE in reply:
        return "unavailable"
    if "error id" in reply.lower():
        return "error id"
    if reply == "(no reply)":
        return "no reply"
    return "answered"


def _pcts(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "max_ms": round(ordered[-1], 1),
    }


async def run_fault(fault: str, base_url: str, digests: int, outage: float) -> dict[str, Any]:
    url = await fresh_database(base_url)
    proxy = FaultProxy()
    await proxy.start()
    slack = await FakeSlack().start()
    slack.tokens[TOKEN] = "T0001"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_", "LOG_"))}
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.api_url,
        DATABASE_URL=url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/"),
        COS_ADMINS=ADMIN,
        COS_POLL_SECONDS="1",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
    )
    work = tempfile.mkdtemp(prefix="cos-db-outage-")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--port",
        "0",
        cwd=work,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    lines: list[str] = []
    port = 0
    assert proc.stderr is not None
    while not port:
        raw = await asyncio.wait_for(proc.stderr.readline(), 120)
        if not raw:
            raise SystemExit("cos-bot serve exited:\n" + "".join(lines))
        lines.append(raw.decode(errors="replace"))
        if "listening on http://" in lines[-1]:
            port = int(lines[-1].rsplit(":", 1)[1].split("/")[0])

    async def drain_log() -> None:
        assert proc.stderr is not None
        while raw := await proc.stderr.readline():
            lines.append(raw.decode(errors="replace"))

    reader = asyncio.ensure_future(drain_log())
    base = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {"fault": fault, "digests": digests, "outage_s": outage}
    try:
        async with aiohttp.ClientSession() as http:
            now = datetime.now(UTC)
            due = (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
            if (due - now).total_seconds() < 10 + digests * 0.1:
                due += timedelta(minutes=1)
            for n in range(digests):
                _, reply = await _command(http, base, slack, f"digest daily {due:%H:%M} UTC", f"s{n}", f"CB{n:04d}")
                assert "Digest scheduled" in reply, reply
            await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 5))
            if fault == "refused":
                proxy.cut()
                await proxy.set_mode("refuse")
            else:
                await proxy.set_mode("blackhole")
            broke = time.monotonic()
            team: list[float] = []
            questions: list[float] = []
            kinds: dict[str, int] = {}
            ready_codes: dict[str, int] = {}
            n = 0

            async def probe() -> int:
                try:
                    async with http.get(base + "/readyz", timeout=aiohttp.ClientTimeout(total=5)) as r:
                        return r.status
                except (TimeoutError, aiohttp.ClientError):
                    return 0

            while time.monotonic() - broke < outage:
                n += 1
                (t_ms, t_reply), (q_ms, q_reply), code = await asyncio.gather(
                    _command(http, base, slack, "schedules", f"t{n}", "CB0000"),
                    _command(http, base, slack, "legal", f"q{n}", "CB0000"),
                    probe(),
                )
                team.append(t_ms)
                questions.append(q_ms)
                for what, reply in (("team", t_reply), ("question", q_reply)):
                    key = f"{what}:{_kind(reply)}"
                    kinds[key] = kinds.get(key, 0) + 1
                ready_codes[str(code)] = ready_codes.get(str(code), 0) + 1
                await asyncio.sleep(max(0.0, 1.0 - max(t_ms, q_ms) / 1000))
            await proxy.set_mode("forward")
            back = time.monotonic()
            ready_after = None
            while time.monotonic() - back < 60:
                if await probe() == 200:
                    ready_after = round(time.monotonic() - back, 2)
                    break
                await asyncio.sleep(0.25)
            posts: list[Any] = []
            seen: dict[str, float] = {}  # channel -> seconds after the return its digest was seen
            while time.monotonic() - back < 120:
                posts = [
                    c for c in slack.calls_to("chat.postMessage") if str(c.params.get("channel", "")).startswith("CB")
                ]
                for c in posts:
                    seen.setdefault(c.params["channel"], round(time.monotonic() - back, 2))
                if len(seen) >= digests:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(3)  # a few more ticks: nothing is sent twice
            posts = [c for c in slack.calls_to("chat.postMessage") if str(c.params.get("channel", "")).startswith("CB")]
            per_channel: dict[str, int] = {}
            for c in posts:
                per_channel[c.params["channel"]] = per_channel.get(c.params["channel"], 0) + 1
            result.update(
                team_command=_pcts(team),
                knowledge_question=_pcts(questions),
                replies=kinds,
                readyz_during_outage=ready_codes,
                ready_seconds_after_return=ready_after,
                delivered=len(per_channel),
                lost=digests - len(per_channel),
                doubled=sum(1 for v in per_channel.values() if v > 1),
                delivered_seconds_after_return={"first": min(seen.values()), "last": max(seen.values())}
                if seen
                else None,
                process_up=proc.returncode is None,
            )
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
        await asyncio.wait_for(reader, 10)
        log = "".join(lines)
        result.update(
            exit_code=proc.returncode,
            log_tracebacks=log.count("Traceback"),
            log_outage_lines=[ln.split(" ", 3)[-1].strip() for ln in lines if "database unavailable (" in ln],
            log_back_lines=[ln.split(" ", 3)[-1].strip() for ln in lines if "database back after" in ln],
        )
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        reader.cancel()
        await proxy.close()
        await slack.stop()
        await drop_database(base_url, url)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON (the only output format)")
    parser.add_argument("--digests", type=int, default=50)
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the database is away")
    parser.add_argument("--fault", choices=("refused", "partition", "both"), default="both")
    parser.add_argument("--database", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    faults = ("refused", "partition") if args.fault == "both" else (args.fault,)
    results = [await run_fault(f, args.database, args.digests, args.outage) for f in faults]
    print(json.dumps({"benchmark": "db_outage", "results": results}, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
