"""What the knowledge loop costs per question: the answer alone (``KnowledgeCommands.reply``) against the
router's full path (the workspace's overlay, the version check, the question logged, 👍/👎 added), on a
SQLite file and on PostgreSQL; and what a workspace's taught phrases cost to lay over the shared index.

    python bench/knowledge_loop.py [--questions N] [--postgres URL]

Prints JSON (times in milliseconds, medians and 95th percentiles). Never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_app, build_knowledge
from bot.kernel.request import Request
from bot.kernel.settings import Settings
from knowledge.decision import decide
from knowledge.taught import TaughtPhrase, TaughtSearcher

QUESTIONS = (
    "who can run our SOC 2 audit",
    "legal",
    "we might run out of cash",
    "how do I cook pasta",
    "zorblax pipeline",
    "training for our sales team",
    "gdpr",
    "what's the weather in Paris tomorrow",
)


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
    }


async def _path(url: str, n: int, knowledge) -> dict[str, object]:  # type: ignore[no-untyped-def]
    app = await build_app(Settings(database_url=url, scheduler_enabled=False), knowledge=knowledge)
    try:
        admin = Request(
            platform="console",
            workspace="T1",
            channel="C1",
            user="UA",
            command="cos-service",
            text="teach zorblax pipeline -> legal",
            role="admin",
        )
        await app.router.handle(admin)
        bare, full = [], []
        for i in range(n):
            text = QUESTIONS[i % len(QUESTIONS)] + f" {i % 3}"
            t0 = time.perf_counter()
            app.router.knowledge.reply("cos-service", text)
            bare.append(time.perf_counter() - t0)
            request = Request(
                platform="console", workspace="T1", channel="C1", user="U1", command="cos-service", text=text
            )
            t0 = time.perf_counter()
            reply = await app.router.handle(request)
            full.append(time.perf_counter() - t0)
            assert any(b.action == "feedback-up" for b in reply.buttons) or reply.error
        return {"answer_only": _ms(bare), "router_with_log": _ms(full), "questions": n}
    finally:
        await app.close()


async def _pg_url(base: str) -> tuple[str, str] | None:
    import asyncpg  # type: ignore[import-untyped]

    name = f"bench_loop_{uuid.uuid4().hex[:8]}"
    raw = base.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(raw, timeout=3)
    except (OSError, asyncpg.PostgresError):
        return None
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return raw.rsplit("/", 1)[0] + f"/{name}", name


async def _drop(base: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


def _overlay(knowledge, sizes: tuple[int, ...]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    kb, searcher = knowledge
    ids = list(kb.entries)
    out: dict[str, object] = {}
    for size in sizes:
        phrases = [TaughtPhrase(f"zorblax {i} pipeline", ids[i % len(ids)]) for i in range(size)]
        t0 = time.perf_counter()
        overlay = TaughtSearcher(searcher, phrases)
        built = time.perf_counter() - t0
        times = []
        for q in QUESTIONS * 5:
            t0 = time.perf_counter()
            decide(overlay, q, command="service")
            times.append(time.perf_counter() - t0)
        out[str(size)] = {"build_ms": round(built * 1000, 3), "decide": _ms(times)}
    base = []
    for q in QUESTIONS * 5:
        t0 = time.perf_counter()
        decide(searcher, q, command="service")
        base.append(time.perf_counter() - t0)
    out["shared_index_decide"] = _ms(base)
    t0 = time.perf_counter()
    type(searcher)(kb)
    out["shared_index_build_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    return out


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    knowledge = build_knowledge(Settings())
    result: dict[str, object] = {"overlay": _overlay(knowledge, (1, 50, 500))}
    with tempfile.TemporaryDirectory() as tmp:
        result["sqlite"] = await _path(f"sqlite+aiosqlite:///{tmp}/bench.db", args.questions, knowledge)
    made = await _pg_url(args.postgres)
    if made is not None:
        url, name = made
        try:
            result["postgres"] = await _path(
                url.replace("postgresql://", "postgresql+asyncpg://"), args.questions, knowledge
            )
        finally:
            await _drop(args.postgres, name)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
