"""The ``cos-bot`` command line as a user runs it (a real process, a real SQLite file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

COS_BOT = [sys.executable, "-m", "bot.cli"]


def run(args: list[str], tmp_path: Path, stdin: str | None = None, env: dict[str, str] | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_"))}
    full_env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    full_env.update(env or {})
    return subprocess.run(
        COS_BOT + args, input=stdin, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=full_env
    )


def test_ask_json_legal_names_the_legal_providers(tmp_path):
    proc = run(["ask", "/cos-service legal", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["results"][0]["id"] == "area.comprehensive-legal-services"
    assert obj["results"][0]["title"] == "Comprehensive Legal Services"
    for name in ("Skadden", "Latham & Watkins", "Wilson Sonsini"):
        assert name in obj["text"]
    assert set(obj["results"][0]) >= {"id", "title", "text"}
    assert (tmp_path / "cli.db").exists()


def test_ask_stdin_gives_one_object_per_line_including_errors(tmp_path):
    lines = "/cos-service legal\n/cos-risk gdpr\nhello there\n/cos-service " + "x" * 3000 + "\n\n/cos-risk\n"
    proc = run(["ask", "-", "--json"], tmp_path, stdin=lines)
    assert proc.returncode == 0, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(objs) == 6  # every line gets its object, the empty one too
    assert objs[0]["results"][0]["id"] == "area.comprehensive-legal-services"
    assert objs[1]["results"][0]["id"] == "risk.data-protection-compliance"
    assert "error" in objs[2] and "/cos-service" in objs[2]["text"]
    assert "error" in objs[3] and "characters" in objs[3]["text"]
    assert "error" in objs[4] and "Empty line" in objs[4]["text"]
    assert "Examples" in objs[5]["text"]


def test_ask_piped_into_a_reader_that_stops_early(tmp_path):
    proc = subprocess.run(
        f"{sys.executable} -m bot.cli ask '/cos-service legal' | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"},
    )
    assert proc.stdout.strip() == "Comprehensive Legal Services"
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_tz_in_any_letter_case(tmp_path):
    proc = run(["ask", "/cos-service timezone", "--tz", "europe/berlin", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Europe/Berlin" in json.loads(proc.stdout)["text"]


def test_ask_plain_text(tmp_path):
    proc = run(["ask", "/cos-risk transfer pricing"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.startswith("Tax Compliance")
    assert "Source: Commercial Open Source Stage Service Overview" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [["ask"], ["frobnicate"], ["ask", "x", "--role", "king"], []],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, args):
    proc = run(args, tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("cos-bot:")


def test_bad_tz_and_placeholder_secret_are_usage_errors(tmp_path):
    proc = run(["ask", "/cos-service legal", "--tz", "Mars/Olympus"], tmp_path)
    assert proc.returncode == 2 and "IANA" in proc.stderr
    proc = run(["ask", "/cos-service legal"], tmp_path, env={"SLACK_BOT_TOKEN": "changeme"})
    assert proc.returncode == 2 and "placeholder" in proc.stderr and "changeme" not in proc.stderr


def test_db_upgrade(tmp_path):
    proc = run(["db", "upgrade"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stdout
    assert run(["db", "upgrade"], tmp_path).returncode == 0


def test_console_session(tmp_path):
    proc = run(["console"], tmp_path, stdin="/cos-service legal\nhelp\n/cos-risk gdpr\nquit\n")
    assert proc.returncode == 0, proc.stderr
    assert "Skadden" in proc.stdout and "Data Protection Compliance" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_run_without_platform_tokens_starts_the_console(tmp_path):
    proc = run(["run"], tmp_path, stdin="/cos-service talent\n")
    assert proc.returncode == 0, proc.stderr
    assert "cos-bot console" in proc.stdout and "Korn Ferry" in proc.stdout


def test_main_in_process_knowledge_check_default(capsys, monkeypatch):
    monkeypatch.delenv("COS_KNOWLEDGE_DIR", raising=False)
    assert main(["knowledge", "check"]) == 0
    assert "ok:" in capsys.readouterr().out


def test_health_reports_database_and_schema(tmp_path):
    fresh = run(["health"], tmp_path)
    assert fresh.returncode == 1 and "does not exist" in fresh.stdout
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    proc = run(["health"], tmp_path)
    assert proc.returncode == 0 and proc.stdout.startswith("ok: database answers, schema at"), proc.stdout
    down = run(["health"], tmp_path, env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none"})
    assert down.returncode == 1 and "does not answer" in down.stdout


def test_run_stops_cleanly_on_sigterm(tmp_path):
    """SIGTERM while the console waits for a line: exit 0, no traceback (the scheduler runs too)."""
    import signal
    import time

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", COS_POLL_SECONDS="0.5")
    proc = subprocess.Popen(
        COS_BOT + ["run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        proc.stdin.write("/cos-service legal\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        seen = ""
        while "Skadden" not in seen and time.monotonic() < deadline:
            seen += proc.stdout.readline()
        assert "Skadden" in seen
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err


def test_workspace_arguments_name_their_platform_or_leave_it_open(capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import main
    from bot.plugins import split_workspace

    assert split_workspace(" slack:T123 ") == ("slack", "T123")
    assert split_workspace("T123", "discord") == ("discord", "T123")
    assert split_workspace("team:T1") == (None, "team:T1")  # not a platform: the id as written
    for empty in ("", "slack:", "  "):
        try:
            split_workspace(empty)
        except ValueError as exc:
            assert "--workspace is empty" in str(exc)
        else:
            raise AssertionError(empty)
    for command in (["checkin", "export", "--workspace", "slack:"], ["knowledge", "export-team", "--workspace", " "]):
        assert main(command) == 2
        assert capsys.readouterr().err.startswith("cos-bot: --workspace is empty")


def test_console_clear_clears_the_screen(tmp_path):
    from adapters.console.platform import CLEAR_SCREEN

    proc = run(["console"], tmp_path, stdin="clear\n/cos-service 帮助\nquit\n")
    assert proc.returncode == 0, proc.stderr
    assert CLEAR_SCREEN in proc.stdout and "Clear Value Proposition" not in proc.stdout
    assert "示例" in proc.stdout  # help in Chinese


def test_ask_answers_a_question_put_in_other_words(tmp_path):
    """Words and meaning agree on the entry (knowledge.semantic): answered, through the real command."""
    proc = run(
        ["ask", "/cos-service we keep guessing where the market goes next year, any way to do it w data", "--json"],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["matched"] is True
    assert obj["results"][0]["id"] == "specialised.market-trend-prediction"
