"""Slash-command latency: ``cos-bot serve`` against a bare Bolt app that only acks, in the same run.

Both run as their own processes on 127.0.0.1, both talk to a local fake Slack
Web API. The load generator sends signed, form-encoded ``/cos-service`` and
``/cos-risk`` commands at a fixed concurrency and times each until the answer
is visible to the asker: the HTTP ack when it carries the answer, else the
POST to ``response_url``. Rounds alternate (bare, ours, bare, ours) so drift
on a busy machine hits both. Prints JSON; never asserts.

    .venv/bin/python bench/slack_latency.py [--requests 1500] [--concurrency 16] [--rounds 2]
        [--database sqlite|postgresql]

``--database postgresql`` runs ours on a scratch database next to ``COS_BENCH_POSTGRES_URL`` (default: the local
``test`` database), dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))  # _slack and scratch_db sit beside this script
from _slack import SECRET, TOKEN, FakeSlack, free_port, signed, wait_healthy  # noqa: E402
from scratch_db import drop_database, fresh_database  # noqa: E402

QUERIES = [
    ("/cos-service", "legal"),
    ("/cos-service", "who can run our SOC 2 audit"),
    ("/cos-risk", "gdpr"),
    ("/cos-risk", "we might run out of cash"),
    ("/cos-service", "providers training"),
    ("/cos-service", "milestones growth"),
    ("/cos-risk", "transfer pricing"),
    ("/cos-service", "Korn Ferry"),
]
PLACEHOLDER = "Looking that up…"

BARE_APP = """
import sys
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

app = AsyncApp(signing_secret=sys.argv[2], client=AsyncWebClient(token=sys.argv[3], base_url=sys.argv[4]))

@app.command("/cos-service")
@app.command("/cos-risk")
async def only_ack(ack):
    await ack()

app.start(port=int(sys.argv[1]), host="127.0.0.1")
"""


async def _load(
    url: str, fake: FakeSlack, fake_port: int, *, label: str, requests: int, concurrency: int
) -> dict[str, Any]:
    latencies: list[float] = []
    by_query: dict[str, list[float]] = {}
    deferred: dict[str, int] = {}  # answered through response_url after a placeholder ack
    errors = 0
    counter = iter(range(requests))
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        for i in counter:
            command, text = QUERIES[i % len(QUERIES)]
            name = f"{label}-{i}-{time.monotonic_ns()}"
            form = {
                "token": "x",
                "team_id": "T0001",
                "team_domain": "acme",
                "channel_id": "C0001",
                "channel_name": "general",
                "user_id": f"U{i % 20:04d}",
                "user_name": "bench",
                "command": command,
                "text": text,
                "api_app_id": "A1",
                "response_url": f"http://127.0.0.1:{fake_port}/response/{name}",
                "trigger_id": f"t{i}",
            }
            body = urlencode(form)
            waiter: asyncio.Future[float] = asyncio.get_running_loop().create_future()
            fake.waiters[name] = waiter
            start = time.perf_counter()
            try:
                async with http.post(url, data=body.encode(), headers=signed(body)) as response:
                    payload = await response.text()
                    acked = time.perf_counter()
                    if response.status != 200:
                        errors += 1
                        continue
                if label == "ours" and (not payload or PLACEHOLDER in payload):
                    done = await asyncio.wait_for(waiter, 5.0)  # the answer comes via response_url
                    latencies.append(max(done, acked) - start)
                    deferred[f"{command} {text}"] = deferred.get(f"{command} {text}", 0) + 1
                else:
                    latencies.append(acked - start)
                by_query.setdefault(f"{command} {text}", []).append(latencies[-1])
            except (aiohttp.ClientError, TimeoutError):
                errors += 1
            finally:
                fake.waiters.pop(name, None)

    async with aiohttp.ClientSession(connector=connector) as http:
        began = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000, 2) if latencies else None,
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "_latencies": latencies,  # merged across rounds, then dropped
        "_by_query": by_query,
        "_deferred": deferred,
    }


def _by_query(rounds: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """p50/p99 per query, merged across rounds: shows which command makes the tail."""
    merged: dict[str, list[float]] = {}
    for r in rounds:
        for query, lat in r["_by_query"].items():
            merged.setdefault(query, []).extend(lat)
    out: dict[str, dict[str, float]] = {}
    for query, lat in merged.items():
        lat.sort()
        out[query] = {
            "n": len(lat),
            "deferred": sum(int(r["_deferred"].get(query, 0)) for r in rounds),
            "p50_ms": round(statistics.median(lat) * 1000, 2),
            "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)] * 1000, 2),
        }
    return out


def _merge(rounds: list[dict[str, Any]]) -> dict[str, float]:
    lat = sorted(x for r in rounds for x in r["_latencies"])
    return {
        "requests": sum(int(r["requests"]) for r in rounds),
        "errors": sum(int(r["errors"]) for r in rounds),
        "p50_ms": round(statistics.median(lat) * 1000, 2),
        "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)] * 1000, 2),
        "throughput_rps": round(statistics.mean(float(r["throughput_rps"]) for r in rounds), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="requests per round and server")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    pg_base = os.environ.get("COS_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    pg_url = await fresh_database(pg_base) if args.database == "postgresql" else None

    fake = FakeSlack()
    fake_port = await fake.start()
    api = f"http://127.0.0.1:{fake_port}/api/"
    ours_port, bare_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="cos-bench-")
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api,
        "DATABASE_URL": pg_url or f"sqlite:///{tmp}/bench.db",
        "COS_SCHEDULER": "0",
        "LOG_LEVEL": "WARNING",
    }
    for name in ("SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "DISCORD_TOKEN"):
        env.pop(name, None)
    python = sys.executable
    ours = subprocess.Popen(
        [python, "-m", "bot.cli", "serve", "--port", str(ours_port)],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare = subprocess.Popen(
        [python, "-c", BARE_APP, str(bare_port), SECRET, TOKEN, api],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ours_url = f"http://127.0.0.1:{ours_port}/slack/events"
        bare_url = f"http://127.0.0.1:{bare_port}/slack/events"
        await wait_healthy(ours_url, ours)
        await wait_healthy(bare_url, bare)
        for url, label in ((bare_url, "bare"), (ours_url, "ours")):
            await _load(url, fake, fake_port, label=label, requests=args.warmup, concurrency=args.concurrency)
        results: dict[str, list[dict[str, Any]]] = {"bare": [], "ours": []}
        for _ in range(args.rounds):
            for url, label in ((bare_url, "bare"), (ours_url, "ours")):
                results[label].append(
                    await _load(url, fake, fake_port, label=label, requests=args.requests, concurrency=args.concurrency)
                )
        merged = {label: _merge(rounds) for label, rounds in results.items()}
        b, o = merged["bare"], merged["ours"]
        report = {
            "benchmark": "slack_latency",
            "concurrency": args.concurrency,
            "requests_per_round": args.requests,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "database": args.database,
            "measured_until": "answer visible to the asker (ack body, or response_url POST when deferred)",
            "ours": o,
            "bare_bolt_ack_only": b,
            "ratio": {
                "p50": round(o["p50_ms"] / b["p50_ms"], 3),
                "p99": round(o["p99_ms"] / b["p99_ms"], 3),
                "throughput": round(o["throughput_rps"] / b["throughput_rps"], 3),
            },
            "target": "ours p99 <= 1.3 x bare p99",
            "ours_by_query": _by_query(results["ours"]),
        }
        report["target_met"] = report["ratio"]["p99"] <= 1.3
        print(json.dumps(report, indent=2))
    finally:
        for proc in (ours, bare):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        await fake.runner.cleanup()
        if pg_url is not None:
            await drop_database(pg_base, pg_url)


if __name__ == "__main__":
    asyncio.run(main())
