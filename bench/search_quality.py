"""Search quality and speed: our search vs plain BM25 over the same entries.

Prints JSON: hit@1 / hit@3 on evaluation files of in-scope questions (default:
the shared dev set) for the bot's answers (through the real router, as
``cos-bot ask`` gives them) and for rank-bm25 over title + text of the same
entries, plus the median and p99 time per query.

Honest answers: ``hit_at_1_matched`` counts an abstention ("I can't answer
that", ``matched: false``) as a miss; on the off-topic files (``--off-topic``,
default: the shared off-topic dev set) ``abstained`` is the share of questions
not answered with a card. The anchor is plain BM25 abstaining below its best
single score threshold, the one that maximises the mean of its in-scope hit@1
and off-topic abstention over all the given files.
Languages: the default files hold English and Chinese questions; ``full_answer_ms`` gives the median and p99
time of a full answer per language of the question (the searcher warmed as a long-running bot warms it at start),
and each file's ``lang_zh`` is the share of replies worded
in Chinese. ``--lang en|zh`` asks as a person whose platform locale is that language (``auto``: by script).
Run by hand: ``python bench/search_quality.py [FILE ...] [--off-topic FILE ...] [--lang auto|en|zh]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rank_bm25 import BM25Okapi  # noqa: E402

from bot.answering.answer import Answering  # noqa: E402
from bot.answering.render import result_text  # noqa: E402
from bot.kernel.request import Request  # noqa: E402
from bot.kernel.router import Router, parse_line  # noqa: E402
from knowledge import KnowledgeBase, Searcher, load_knowledge  # noqa: E402
from knowledge.text import has_han  # noqa: E402

HERE = ROOT / "tests" / "knowledge"
DEFAULT = [HERE / "dev_queries.json", HERE / "dev_zh_inscope.json"]
DEFAULT_OFF_TOPIC = [HERE / "dev_outofscope_queries.json", HERE / "dev_zh_offtopic.json"]
# Full-answer times by the question's language, over every file.
TIMES: dict[str, list[float]] = {"en": [], "zh": []}


def _tok(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _hit(blob: str, expect: list[str]) -> bool:
    blob = blob.lower().replace("×", "x")
    return any(e.lower().replace("×", "x") in blob for e in expect)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def _warm(searcher: Searcher) -> Searcher:
    """Warmed as a long-running bot warms it at start (entry stems, word list, Chinese segmenter)."""
    from knowledge.chinese import warm_in_background

    warm_in_background(searcher.warm).join()
    return searcher


async def _router(kb: KnowledgeBase, searcher: Searcher) -> Router:
    """The router as the bot runs it (the question log on a scratch SQLite file, written behind the answers)."""
    from bot.kernel.clock import SystemClock
    from bot.storage.db import Database, migrate

    db = Database(f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='cos-bench-')}/bench.db")
    await migrate(db)
    return Router(Answering(kb, searcher, db, SystemClock()))


async def evaluate(
    path: Path, anchor: list[tuple[float, bool]] | None = None, locale: str | None = None
) -> dict[str, object]:
    """In-scope questions; ``anchor`` collects (BM25 top score, BM25 top-1 right) per question."""
    queries = json.loads(path.read_text(encoding="utf-8"))
    kb = load_knowledge()
    searcher = _warm(Searcher(kb))
    router = await _router(kb, searcher)
    entries = list(kb.entries.values())
    bm25 = BM25Okapi([_tok(f"{e.title} {e.text} {' '.join(e.items)}") for e in entries])

    ours1 = ours3 = base1 = base3 = matched1 = matched = zh = 0
    ours_ms: list[float] = []
    search_ms: list[float] = []
    base_ms: list[float] = []
    misses: list[dict[str, object]] = []
    for q in queries:
        command, text = parse_line(q["q"]) or ("cos-service", q["q"])
        request = Request(
            platform="bench", workspace="bench", channel="c", user="u", command=command, text=text, locale=locale
        )
        t0 = time.perf_counter()
        reply = await router.handle(request)
        ours_ms.append((time.perf_counter() - t0) * 1000)
        TIMES["zh" if has_han(text) else "en"].append(ours_ms[-1])
        zh += reply.lang == "zh"
        t0 = time.perf_counter()
        searcher.search(text, command="risk" if command == "cos-risk" else "service")
        search_ms.append((time.perf_counter() - t0) * 1000)
        top = [kb.get(r) for r in reply.results[:3]]
        blobs = [result_text(kb, e) for e in top if e is not None]
        matched += reply.matched
        if blobs and _hit(blobs[0], q["expect"]):
            ours1 += 1
            matched1 += reply.matched
        if not (reply.matched and blobs and _hit(blobs[0], q["expect"])):
            misses.append(
                {"q": q["q"], "expect": q["expect"], "matched": reply.matched, "got": [e.title for e in top if e]}
            )
        if any(_hit(b, q["expect"]) for b in blobs):
            ours3 += 1
        t0 = time.perf_counter()
        scores = bm25.get_scores(_tok(text))
        base_ms.append((time.perf_counter() - t0) * 1000)
        order = sorted(range(len(entries)), key=lambda i: -scores[i])[:3]
        bblobs = [f"{entries[i].title} {entries[i].text}" for i in order]
        base1 += _hit(bblobs[0], q["expect"])
        base3 += any(_hit(b, q["expect"]) for b in bblobs)
        if anchor is not None:
            anchor.append((float(scores[order[0]]), _hit(bblobs[0], q["expect"])))
    n = len(queries)
    return {
        "file": str(path),
        "queries": n,
        "entries": len(entries),
        "ours": {
            "hit_at_1": round(ours1 / n, 4),
            "hit_at_1_matched": round(matched1 / n, 4),
            "matched": round(matched / n, 4),
            "hit_at_3": round(ours3 / n, 4),
            "lang_zh": round(zh / n, 4),
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


async def evaluate_off_topic(path: Path, anchor: list[float], locale: str | None = None) -> dict[str, object]:
    """Off-topic questions: how many the bot declines; ``anchor`` collects BM25's top scores."""
    queries = json.loads(path.read_text(encoding="utf-8"))
    kb = load_knowledge()
    router = await _router(kb, _warm(Searcher(kb)))
    entries = list(kb.entries.values())
    bm25 = BM25Okapi([_tok(f"{e.title} {e.text} {' '.join(e.items)}") for e in entries])
    answered: list[dict[str, object]] = []
    for q in queries:
        command, text = parse_line(q["q"]) or ("cos-service", q["q"])
        request = Request(
            platform="bench", workspace="bench", channel="c", user="u", command=command, text=text, locale=locale
        )
        reply = await router.handle(request)
        if reply.matched:
            answered.append({"q": q["q"], "got": reply.title})
        anchor.append(float(max(bm25.get_scores(_tok(text)), default=0.0)))
    n = len(queries)
    return {
        "file": str(path),
        "queries": n,
        "ours": {"abstained": round(1 - len(answered) / n, 4)},
        "answered": answered,
    }


def best_threshold(in_scope: list[tuple[float, bool]], off_topic: list[float]) -> dict[str, float]:
    """Plain BM25's best single threshold: answer when its top score reaches it, else abstain."""
    best = (-1.0, 0.0, 0.0, 0.0)
    for t in sorted({s for s, _ in in_scope} | set(off_topic) | {float("inf")}):
        hit1 = sum(ok and s >= t for s, ok in in_scope) / max(len(in_scope), 1)
        abstained = sum(s < t for s in off_topic) / max(len(off_topic), 1)
        if (hit1 + abstained) / 2 > best[0]:
            best = ((hit1 + abstained) / 2, t, hit1, abstained)
    return {"threshold": round(best[1], 4), "hit_at_1_matched": round(best[2], 4), "abstained": round(best[3], 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument(
        "--off-topic",
        nargs="*",
        type=Path,
        default=DEFAULT_OFF_TOPIC,
        help="files of questions the overview does not cover",
    )
    parser.add_argument("--no-misses", action="store_true", help="leave the lists of misses out")
    parser.add_argument("--lang", choices=("auto", "en", "zh"), default="auto", help="the askers' platform language")
    args = parser.parse_args()
    locale = None if args.lang == "auto" else args.lang
    in_anchor: list[tuple[float, bool]] = []
    off_anchor: list[float] = []
    results = []
    for path in args.files:
        result = asyncio.run(evaluate(path, in_anchor, locale))
        if args.no_misses:
            result.pop("misses")
        results.append(result)
    off_results = []
    for path in args.off_topic:
        off = asyncio.run(evaluate_off_topic(path, off_anchor, locale))
        if args.no_misses:
            off.pop("answered")
        off_results.append(off)
    anchor = best_threshold(in_anchor, off_anchor)
    # The anchor's numbers per file, at its one threshold.
    i = j = 0
    for result in results:
        n = int(result["queries"])  # type: ignore[call-overload]
        part = in_anchor[i : i + n]
        result["bm25"]["hit_at_1_matched"] = round(  # type: ignore[index]
            sum(ok and s >= anchor["threshold"] for s, ok in part) / n, 4
        )
        i += n
    for off in off_results:
        n = int(off["queries"])  # type: ignore[call-overload]
        part_off = off_anchor[j : j + n]
        off["bm25"] = {"abstained": round(sum(s < anchor["threshold"] for s in part_off) / n, 4)}
        j += n
    speed = {
        lang: {"questions": len(ms), "median_ms": round(statistics.median(ms), 3), "p99_ms": round(_pct(ms, 0.99), 3)}
        for lang, ms in TIMES.items()
        if ms
    }
    print(
        json.dumps(
            {"in_scope": results, "off_topic": off_results, "bm25_best_threshold": anchor, "full_answer_ms": speed},
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
