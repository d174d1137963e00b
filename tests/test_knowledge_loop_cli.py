"""The issue's "done when", as a user runs it: ``cos-bot ask`` processes on one fresh database, then the
taught phrases exported as a knowledge file that ``COS_KNOWLEDGE_DIR`` loads."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge import load_knowledge
from tests.test_cli import run

LEGAL = "area.comprehensive-legal-services"


def ask(tmp_path: Path, line: str, *, workspace: str, role: str, user: str, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    proc = run(["ask", line, "--json", "--workspace", workspace, "--role", role, "--user", user], tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_ask_gaps_teach_and_workspaces(tmp_path: Path) -> None:
    first = ask(tmp_path, "/cos-service zorblax pipeline", workspace="T1", role="member", user="U1")
    assert first["matched"] is False
    gaps = ask(tmp_path, "/cos-service gaps", workspace="T1", role="admin", user="UA")
    assert "“zorblax pipeline” — asked 1×" in gaps["text"] and "error" not in gaps
    refused = ask(tmp_path, "/cos-service teach quuxbarnacle -> legal", workspace="T1", role="member", user="U1")
    assert "Only admins can teach" in refused["error"]
    taught = ask(tmp_path, "/cos-service teach zorblax pipeline -> legal", workspace="T1", role="admin", user="UA")
    assert "error" not in taught and taught["title"].startswith("Taught:")
    again = ask(tmp_path, "/cos-service zorblax pipeline", workspace="T1", role="member", user="U1")
    assert again["matched"] is True and again["results"][0]["id"] == LEGAL
    assert again["title"] == "Comprehensive Legal Services"
    elsewhere = ask(tmp_path, "/cos-service zorblax pipeline", workspace="T2", role="member", user="U1")
    assert elsewhere["matched"] is False
    # The member's refused phrase was never stored.
    assert not ask(tmp_path, "/cos-service quuxbarnacle", workspace="T1", role="member", user="U1")["matched"]

    # export-team writes a file COS_KNOWLEDGE_DIR accepts; there the phrase answers in every workspace.
    team_dir = tmp_path / "ours"
    team_dir.mkdir()
    out = run(["knowledge", "export-team", "--workspace", "T1", "--out", str(team_dir / "taught.yaml")], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "1 taught phrase(s) exported" in out.stderr
    kb = load_knowledge([team_dir])
    assert kb.problems == []
    entry = kb.get(LEGAL)
    assert entry is not None and "zorblax pipeline" in entry.aliases and "lawyer" in entry.aliases
    check = run(["knowledge", "check", str(team_dir)], tmp_path)
    assert check.returncode == 0 and check.stdout.startswith("ok:"), check.stdout + check.stderr
    loaded = ask(
        tmp_path,
        "/cos-service zorblax pipeline",
        workspace="T9",
        role="member",
        user="U1",
        env={"COS_KNOWLEDGE_DIR": str(team_dir)},
    )
    assert loaded["matched"] is True and loaded["results"][0]["id"] == LEGAL
    # Another workspace's export is empty (and still a valid file).
    other = run(["knowledge", "export-team", "--workspace", "T2"], tmp_path)
    assert other.returncode == 0 and "zorblax" not in other.stdout and "entries: []" in other.stdout
    assert run(["knowledge", "export-team"], tmp_path).returncode == 2
