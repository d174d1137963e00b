"""What choosing the reply's language costs a request, and what a reply costs in each language.

* ``lookup``: ``Router.lang_for`` with the workspace's setting cached (the usual case: read again at most
  every ``CHECK_SECONDS``) and read from the database every time (the cache emptied before each call).
* ``handle``: ``Router.handle`` of the same team and knowledge commands in a workspace set to ``en`` and in one
  set to ``zh``, rounds alternating so drift on a busy machine hits both alike.
* ``gettext``: one ``_()`` lookup in each language.

Prints JSON (medians, microseconds); never asserts.

    .venv/bin/python bench/lang_overhead.py [--requests 600] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.kernel.lang import _, use_lang  # noqa: E402
from bot.kernel.request import Request  # noqa: E402
from bot.kernel.settings import Settings  # noqa: E402

COMMANDS = [
    ("cos-service", "schedules"),
    ("cos-service", "stage"),
    ("cos-risk", "register"),
    ("cos-service", "legal"),
    ("cos-service", "language"),
]


def _request(workspace: str, command: str, text: str, role: str = "member") -> Request:
    return Request(
        platform="console", workspace=workspace, channel="C1", user="U1", command=command, text=text, role=role
    )


async def _per_call(calls: int, call) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for i in range(calls):
        await call(i)
    return (time.perf_counter() - started) / calls * 1e6


async def main(requests: int, rounds: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/bench.db", scheduler_enabled=False)
        app = await build_app(settings)
        try:
            router = app.router
            for workspace, lang in (("TEN", "en"), ("TZH", "zh")):
                await router.handle(_request(workspace, "cos-service", f"language {lang}", role="admin"))
            languages = app.router._language  # the WorkspaceLanguages the team installed
            assert languages is not None

            async def cached(i: int) -> None:
                await router.lang_for("console", "TZH", locale="en-US", text="schedules")

            async def uncached(i: int) -> None:
                languages._kept.clear()  # type: ignore[attr-defined]
                await router.lang_for("console", "TZH", locale="en-US", text="schedules")

            def handler(workspace: str):  # type: ignore[no-untyped-def]
                async def call(i: int) -> None:
                    command, text = COMMANDS[i % len(COMMANDS)]
                    await router.handle(_request(workspace, command, text))

                return call

            results: dict[str, list[float]] = {"cached": [], "uncached": [], "en": [], "zh": []}
            for _round in range(rounds):
                results["cached"].append(await _per_call(requests, cached))
                results["uncached"].append(await _per_call(max(requests // 10, 20), uncached))
                results["en"].append(await _per_call(requests, handler("TEN")))
                results["zh"].append(await _per_call(requests, handler("TZH")))
        finally:
            await app.close()

    def lookups(lang: str) -> float:
        with use_lang(lang):
            started = time.perf_counter()
            for _i in range(20_000):
                _("Team commands")
            return (time.perf_counter() - started) / 20_000 * 1e6

    return {
        "requests_per_round": requests,
        "rounds": rounds,
        "lookup_us": {
            "setting_cached": round(statistics.median(results["cached"]), 1),
            "setting_from_db": round(statistics.median(results["uncached"]), 1),
        },
        "handle_us": {
            "workspace_en": round(statistics.median(results["en"]), 1),
            "workspace_zh": round(statistics.median(results["zh"]), 1),
            "commands": [f"/{c} {t}" for c, t in COMMANDS],
        },
        "gettext_us": {"en": round(lookups("en"), 3), "zh": round(lookups("zh"), 3)},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.requests, args.rounds)), indent=2))
