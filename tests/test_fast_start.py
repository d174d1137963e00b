"""Fast start: what `cos-bot health`, `ask` and `console` import, and what `health` checks.

Each command runs as a real process; a wrapper records ``sys.modules`` at exit, so a
module imported anywhere on the way (an entry point, a plugin's CLI, the knowledge) shows.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.health import check_health, migration_heads
from bot.storage.db import MIGRATIONS_DIR

PLATFORM_SDKS = {"slack_bolt", "slack_sdk", "discord", "aiohttp"}
_WRAPPER = (
    "import sys, atexit, json\n"
    "atexit.register(lambda: sys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)) + '\\n'))\n"
    "from bot.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fast.db'}"
    env["COS_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(extra)
    return env


def cos_bot(args: list[str], tmp_path: Path, *, stdin: str | None = None, **env: str):  # type: ignore[no-untyped-def]
    """Run ``cos-bot args``; returns (process, the top-level names of every imported module)."""
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=_env(tmp_path, **env),
    )
    assert "MODULES " in proc.stderr, proc.stderr
    modules = json.loads(proc.stderr.rsplit("MODULES ", 1)[1])
    return proc, {m.split(".")[0] for m in modules}


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    proc, _ = cos_bot(["db", "upgrade"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path


def test_health_imports_no_sdk_no_knowledge_no_orm(migrated):
    proc, modules = cos_bot(["health"], migrated)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == f"ok: database answers, schema at {', '.join(sorted(migration_heads()))}"
    assert not modules & PLATFORM_SDKS
    assert not modules & {"knowledge", "yaml", "snowballstemmer", "sqlalchemy", "alembic", "apscheduler", "jieba"}


def test_ask_imports_no_platform_sdk_nor_alembic_when_the_schema_is_current(migrated):
    proc, modules = cos_bot(["ask", "/cos-service legal", "--json"], migrated)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"][0]["id"] == "area.comprehensive-legal-services"
    assert not modules & PLATFORM_SDKS
    assert "alembic" not in modules
    # Nobody scrapes a one-shot command's counters, and a question needs no holiday calendar.
    assert not modules & {"prometheus_client", "holidays"}
    # Nor the whole English word list: the everyday words ship as a small table (knowledge/data).
    assert "spellchecker" not in modules
    # Nothing is delivered: the scheduler is made on first use.
    full = set(json.loads(proc.stderr.rsplit("MODULES ", 1)[1]))
    assert not full & {"bot.scheduler.service", "bot.scheduler.pacing", "apscheduler"}
    # Nor the team's features and tables: they load with the first request that needs one.
    assert not full & {"bot.team.models", "bot.scheduler.models", "bot.team.stage", "bot.team.store"}
    # An English question needs no Chinese segmenter nor its lexicon.
    assert not full & {"jieba", "knowledge.chinese", "knowledge.lexicon_zh"}


def test_building_the_cli_reads_no_entry_point_until_a_platform_option_is_checked(monkeypatch):
    import bot.plugins
    from bot.cli import build_parser

    read: list[str] = []
    real = bot.plugins.entry_points

    def entry_points(*, group: str, name: str | None = None):  # type: ignore[no-untyped-def]
        read.append(group)
        return real(group=group, name=name)

    monkeypatch.setattr(bot.plugins, "entry_points", entry_points)
    parser = build_parser(plugin_commands=False)
    args = parser.parse_args(["ask", "/cos-service legal"])
    assert args.text == "/cos-service legal" and read == []
    args = parser.parse_args(["knowledge", "export-team", "--workspace", "T1", "--platform", "slack"])
    assert args.platform == "slack" and read  # checked against the installed platforms when given
    with pytest.raises(SystemExit):
        parser.parse_args(["knowledge", "export-team", "--workspace", "T1", "--platform", "nowhere"])


def test_ask_on_a_new_database_still_migrates_it(tmp_path):
    proc, modules = cos_bot(["ask", "/cos-risk gdpr"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Data Protection Compliance")
    assert "alembic" in modules and not modules & PLATFORM_SDKS
    health, _ = cos_bot(["health"], tmp_path)
    assert health.returncode == 0, health.stdout


def test_console_imports_no_platform_sdk(migrated):
    proc, modules = cos_bot(["console"], migrated, stdin="/cos-service talent\nquit\n")
    assert proc.returncode == 0, proc.stderr
    assert "Korn Ferry" in proc.stdout
    assert not modules & PLATFORM_SDKS


def test_platform_commands_are_still_there_when_asked_for(tmp_path):
    proc, modules = cos_bot(["--help"], tmp_path)
    assert proc.returncode == 0
    for command in ("serve", "discord", "schedule", "checkin", "health", "ask"):
        assert command in proc.stdout
    serve, _ = cos_bot(["serve", "--port", "99999"], tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    assert serve.returncode == 2 and "--port" in serve.stderr
    listing, modules = cos_bot(["discord", "commands", "--json"], tmp_path)
    assert listing.returncode == 0 and "discord" in modules
    assert {c["name"] for c in json.loads(listing.stdout)} >= {"cos-service", "cos-risk"}


def test_ask_sees_an_edited_team_file_at_once(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    entry = "entries:\n  - id: area.comprehensive-legal-services\n    note: {}\n"
    (team / "ours.yaml").write_text(entry.format("Call Dana first."), encoding="utf-8")
    first, _ = cos_bot(["ask", "/cos-service legal"], tmp_path, COS_KNOWLEDGE_DIR=str(team))
    assert first.returncode == 0 and "Call Dana first." in first.stdout, first.stdout
    assert list((tmp_path / "cache").glob("knowledge-*.pickle"))
    (team / "ours.yaml").write_text(entry.format("Call Robin first."), encoding="utf-8")
    second, _ = cos_bot(["ask", "/cos-service legal"], tmp_path, COS_KNOWLEDGE_DIR=str(team))
    assert "Call Robin first." in second.stdout and "Dana" not in second.stdout


def test_ask_with_a_corrupt_cache_still_answers(tmp_path):
    first, _ = cos_bot(["ask", "/cos-service legal"], tmp_path)
    assert first.returncode == 0
    (cache_file,) = (tmp_path / "cache").glob("knowledge-*.pickle")
    cache_file.write_bytes(b"\x80\x05garbage")
    second, _ = cos_bot(["ask", "/cos-service legal"], tmp_path)
    assert second.returncode == 0 and second.stdout == first.stdout
    assert "Traceback" not in second.stderr


# -- what health checks ------------------------------------------------------------------------


def test_health_without_a_database_file(tmp_path):
    proc, _ = cos_bot(["health"], tmp_path)
    assert proc.returncode == 1 and "does not answer" in proc.stdout
    assert not (tmp_path / "fast.db").exists()  # a health check creates nothing


def test_health_of_a_database_never_migrated(tmp_path):
    sqlite3.connect(tmp_path / "fast.db").close()
    proc, _ = cos_bot(["health"], tmp_path)
    assert proc.returncode == 1 and "no schema" in proc.stdout


@pytest.mark.parametrize(
    ("revision", "advice"), [("0004", "cos-bot db upgrade"), ("9999_from_a_newer_version", "does not know")]
)
def test_health_of_a_database_behind_or_ahead(migrated, revision, advice):
    with sqlite3.connect(migrated / "fast.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    proc, _ = cos_bot(["health"], migrated)
    assert proc.returncode == 1, proc.stdout
    assert revision in proc.stdout and "expects" in proc.stdout and advice in proc.stdout


def test_health_of_a_file_that_is_not_a_database(tmp_path):
    (tmp_path / "fast.db").write_text("hello, I am not SQLite" * 100)
    proc, _ = cos_bot(["health"], tmp_path)
    assert proc.returncode == 1 and "does not answer" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_health_never_shows_the_database_password(tmp_path):
    proc, _ = cos_bot(["health"], tmp_path, DATABASE_URL="postgresql://bot:s3cret-pw@127.0.0.1:1/none")
    assert proc.returncode == 1 and "does not answer" in proc.stdout
    assert "s3cret-pw" not in proc.stdout + proc.stderr


async def test_health_through_sqlalchemy_for_other_urls(tmp_path):
    from bot.storage.db import Database, migrate

    url = f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
    db = Database(url)
    try:
        await migrate(db)
    finally:
        await db.dispose()
    # A query string is SQLAlchemy's to interpret: that path is taken, with the same verdict.
    result = await _in_thread(check_health, url + "?timeout=5")
    assert result.ok, result.message


async def _in_thread(fn, *args):  # type: ignore[no-untyped-def]
    import asyncio

    return await asyncio.to_thread(fn, *args)


@pytest.mark.postgres
async def test_health_on_postgresql(pg_url, tmp_path):
    from bot.storage.db import Database, migrate

    before, modules = await _in_thread(lambda: cos_bot(["health"], tmp_path, DATABASE_URL=pg_url))
    assert before.returncode == 1 and "no schema" in before.stdout
    db = Database(pg_url)
    try:
        await migrate(db)
    finally:
        await db.dispose()
    after, modules = await _in_thread(lambda: cos_bot(["health"], tmp_path, DATABASE_URL=pg_url))
    assert after.returncode == 0, after.stdout
    assert "asyncpg" in modules and "sqlalchemy" not in modules and not modules & PLATFORM_SDKS


# -- the migration head, read without Alembic -------------------------------------------------------


def test_migration_heads_match_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert migration_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_migration_heads_of_branches_and_merges(tmp_path):
    def write(name: str, body: str) -> None:
        (tmp_path / f"{name}.py").write_text(f'"""{name}"""\n{body}\n\ndef upgrade() -> None:\n    pass\n')

    write("a", 'revision = "a"\ndown_revision = None')
    write("b", "revision: str = 'b'\ndown_revision: str | None = 'a'")
    write("c", 'revision = "c"\ndown_revision = "a"')
    assert migration_heads(tmp_path) == {"b", "c"}
    write("m", 'revision = "m"\ndown_revision = ("b", "c")')
    assert migration_heads(tmp_path) == {"m"}
