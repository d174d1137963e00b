"""Search quality and speed: our search vs plain BM25 over the same entries.

Prints JSON: hit@1 / hit@3 on an evaluation file (default: the shared dev set)
for the bot's answers (through the real router, as ``cos-bot ask`` gives them)
and for rank-bm25 over title + text of the same entries, plus the median and
p99 time per query. Run by hand: ``python bench/search_quality.py [FILE ...]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rank_bm25 import BM25Okapi  # noqa: E402

from bot.commands.knowledge import KnowledgeCommands  # noqa: E402
from bot.commands.render import result_text  # noqa: E402
from bot.request import Request  # noqa: E402
from bot.router import Router, parse_line  # noqa: E402
from knowledge import Searcher, load_knowledge  # noqa: E402

DEFAULT = ROOT / "tests" / "knowledge" / "dev_queries.json"


def _tok(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _hit(blob: str, expect: list[str]) -> bool:
    blob = blob.lower().replace("×", "x")
    return any(e.lower().replace("×", "x") in blob for e in expect)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


async def evaluate(path: Path) -> dict[str, object]:
    queries = json.loads(path.read_text(encoding="utf-8"))
    kb = load_knowledge()
    searcher = Searcher(kb)
    router = Router(KnowledgeCommands(kb, searcher))
    entries = list(kb.entries.values())
    bm25 = BM25Okapi([_tok(f"{e.title} {e.text} {' '.join(e.items)}") for e in entries])

    ours1 = ours3 = base1 = base3 = 0
    ours_ms: list[float] = []
    search_ms: list[float] = []
    base_ms: list[float] = []
    misses: list[dict[str, object]] = []
    for q in queries:
        command, text = parse_line(q["q"]) or ("cos-service", q["q"])
        request = Request(platform="bench", workspace="bench", channel="c", user="u", command=command, text=text)
        t0 = time.perf_counter()
        reply = await router.handle(request)
        ours_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        searcher.search(text, command="risk" if command == "cos-risk" else "service")
        search_ms.append((time.perf_counter() - t0) * 1000)
        top = [kb.get(r) for r in reply.results[:3]]
        blobs = [result_text(kb, e) for e in top if e is not None]
        if blobs and _hit(blobs[0], q["expect"]):
            ours1 += 1
        else:
            misses.append({"q": q["q"], "expect": q["expect"], "got": [e.title for e in top if e]})
        if any(_hit(b, q["expect"]) for b in blobs):
            ours3 += 1
        t0 = time.perf_counter()
        scores = bm25.get_scores(_tok(text))
        base_ms.append((time.perf_counter() - t0) * 1000)
        order = sorted(range(len(entries)), key=lambda i: -scores[i])[:3]
        bblobs = [f"{entries[i].title} {entries[i].text}" for i in order]
        base1 += _hit(bblobs[0], q["expect"])
        base3 += any(_hit(b, q["expect"]) for b in bblobs)
    n = len(queries)
    return {
        "file": str(path),
        "queries": n,
        "entries": len(entries),
        "ours": {
            "hit_at_1": round(ours1 / n, 4),
            "hit_at_3": round(ours3 / n, 4),
            "median_ms": round(statistics.median(ours_ms), 3),
            "p99_ms": round(_pct(ours_ms, 0.99), 3),
            "search_only_median_ms": round(statistics.median(search_ms), 3),
            "search_only_p99_ms": round(_pct(search_ms, 0.99), 3),
        },
        "bm25": {
            "hit_at_1": round(base1 / n, 4),
            "hit_at_3": round(base3 / n, 4),
            "median_ms": round(statistics.median(base_ms), 3),
            "p99_ms": round(_pct(base_ms, 0.99), 3),
        },
        "misses": misses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--no-misses", action="store_true", help="leave the list of misses out")
    args = parser.parse_args()
    results = []
    for path in args.files:
        result = asyncio.run(evaluate(path))
        if args.no_misses:
            result.pop("misses")
        results.append(result)
    print(json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
