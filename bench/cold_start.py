"""Cold start of ``cos-bot health`` and ``cos-bot ask`` against importing the stack they are built on. Prints JSON.

Each command runs as a fresh process, 5 times (interleaved, after one unmeasured warm-up
of each, so the OS file cache is warm for all alike); the median wall time and the peak
RSS of each process (``ru_maxrss`` of the waited child, from ``os.wait4``) are reported.

"The stack" is what the bot's core is built on and what ``ask`` really imports from
third parties on the default SQLite database: SQLAlchemy's asyncio extension, ORM and
aiosqlite dialect, aiosqlite, Alembic (migrations run at every start of ``run``/``serve``
that finds the schema behind), PyYAML and snowballstemmer. ``stack_without_alembic``
is reported too, since ``ask`` skips Alembic when the schema is already at head.
``ask_third_party`` lists the third-party packages an ``ask`` run actually imported.

``ask`` asks a title word for word; ``ask_free`` asks in a person's own words, so the whole decision runs,
the English word list of typo repair and the meaning model (``knowledge.semantic``: numpy, the tokenizer and the
token vectors, about a fifth of a second) included. ``ask`` is measured with the knowledge cache filled by the
warm-up (the usual case);
``ask_cold_cache`` starts each run with an empty cache directory (first start after an
install or a content change). Bytecode is written by the warm-up round, as ``pip install``
compiles it for an installed package (``PYTHONDONTWRITEBYTECODE`` is cleared for the runs).

    python bench/cold_start.py                 # the installed cos-bot, a fresh SQLite file
    python bench/cold_start.py --source DIR    # another checkout of the code, same interpreter
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STACK = (
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.orm",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "aiosqlite",
    "alembic.command",
    "yaml",
    "snowballstemmer",
)
TARGETS = {"health_ratio_max": 0.5, "health_peak_rss_mb_max": 60.0, "ask_ratio_max": 1.0}
_FREE_QUESTION = "/cos-service big customers keep asking for a soc 2 report before they sign, who can help"
_PLATFORM_SDKS = ("slack_bolt", "slack_sdk", "discord", "aiohttp")
_DUMP = (
    "import sys, atexit, json\n"
    "def _dump():\n"
    "    sys.stderr.write('\\nMODULES ' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})) + '\\n')\n"
    "atexit.register(_dump)\n"
    "from bot.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _measure(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS in MB, exit code and CPU seconds (user + system) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return elapsed, rss_mb, proc.returncode, usage.ru_utime + usage.ru_stime


def _summary(samples: list[tuple[float, float, int, float]]) -> dict[str, object]:
    return {
        "median_s": round(statistics.median(s[0] for s in samples), 4),
        "min_s": round(min(s[0] for s in samples), 4),
        "median_cpu_s": round(statistics.median(s[3] for s in samples), 4),
        "peak_rss_mb": round(max(s[1] for s in samples), 1),
        "exit_codes": sorted({s[2] for s in samples}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--source", type=Path, default=None, help="run the code of this checkout (PYTHONPATH) with `python -m bot.cli`"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh, migrated SQLite file")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cos-cold-start-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_"))}
    env["DATABASE_URL"] = args.database_url or f"sqlite:///{work / 'bench.db'}"
    env["COS_CACHE_DIR"] = str(work / "cache")
    # An installed package has its bytecode compiled (pip does it); here the warm-up round writes it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    python = sys.executable
    script = Path(python).with_name("cos-bot")
    if args.source is not None:
        # Without site (-S) the editable install's import hook does not map `bot` to this checkout;
        # site-packages goes on the path by hand. The stack runs the same way, so ratios stay fair.
        import sysconfig

        env["PYTHONPATH"] = os.pathsep.join([str(args.source.resolve()), sysconfig.get_paths()["purelib"]])
        python_cmd = [python, "-S"]
        cos_bot = [*python_cmd, "-m", "bot.cli"]
    else:
        python_cmd = [python]
        cos_bot = [str(script)] if script.exists() else [python, "-m", "bot.cli"]
    ask_args = ["ask", "/cos-service legal"]  # a title word for word
    cases: dict[str, tuple[list[str], bool]] = {
        "stack": ([*python_cmd, "-c", "import " + ", ".join(STACK)], False),
        "stack_without_alembic": (
            [*python_cmd, "-c", "import " + ", ".join(m for m in STACK if "alembic" not in m)],
            False,
        ),
        "health": (cos_bot + ["health"], False),
        "ask": (cos_bot + ask_args, False),
        "ask_cold_cache": (cos_bot + ask_args, True),
        # a question in the person's own words: the whole decision runs, the meaning model included
        "ask_free": (cos_bot + ["ask", _FREE_QUESTION], False),
    }
    try:
        setup = subprocess.run(cos_bot + ["db", "upgrade"], env=env, cwd=work, capture_output=True, text=True)
        if setup.returncode != 0:
            print(json.dumps({"error": "cos-bot db upgrade failed", "stderr": setup.stderr[-2000:]}))
            return 1
        samples: dict[str, list[tuple[float, float, int, float]]] = {name: [] for name in cases}
        for round_ in range(args.runs + 1):
            for name, (cmd, cold) in cases.items():
                if cold:
                    shutil.rmtree(work / "cache", ignore_errors=True)
                result = _measure(cmd, env, work)
                if round_ > 0:  # the first round warms the file cache and fills the knowledge cache
                    samples[name].append(result)
        dump = subprocess.run([*python_cmd, "-c", _DUMP, *ask_args], env=env, cwd=work, capture_output=True, text=True)
        modules = json.loads(dump.stderr.rsplit("MODULES ", 1)[1]) if "MODULES " in dump.stderr else []
        stdlib = sys.stdlib_module_names
        own = {"bot", "knowledge", "adapters", "migrations"}
        out: dict[str, object] = {
            "runs": args.runs,
            "python": sys.version.split()[0],
            "code": str(args.source) if args.source else "installed",
            "database": "sqlite" if args.database_url is None else args.database_url.split(":", 1)[0],
            "stack_modules": list(STACK),
            "ask_third_party": [
                m
                for m in modules
                if m not in stdlib and m not in own and not m.startswith("_") and m != "cython_runtime"
            ],
            "ask_platform_sdks": [m for m in modules if m in _PLATFORM_SDKS],
        }
        for name in cases:
            out[name] = _summary(samples[name])
        stack = float(out["stack"]["median_s"])  # type: ignore[index]
        stack_cpu = float(out["stack"]["median_cpu_s"])  # type: ignore[index]
        for name in ("health", "ask", "ask_cold_cache", "ask_free"):
            out[name]["ratio_to_stack"] = round(float(out[name]["median_s"]) / stack, 3)  # type: ignore[index]
            # CPU time is steadier than wall time on a shared machine: both are reported, the target is on wall.
            out[name]["cpu_ratio_to_stack"] = round(
                float(out[name]["median_cpu_s"]) / stack_cpu,  # type: ignore[index]
                3,
            )
        out["targets"] = TARGETS
        out["targets_met"] = {
            "health_ratio": out["health"]["ratio_to_stack"] <= TARGETS["health_ratio_max"],  # type: ignore[index]
            "health_peak_rss": out["health"]["peak_rss_mb"] <= TARGETS["health_peak_rss_mb_max"],  # type: ignore[index]
            "ask_ratio": out["ask"]["ratio_to_stack"] <= TARGETS["ask_ratio_max"],  # type: ignore[index]
        }
        print(json.dumps(out, indent=2))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
