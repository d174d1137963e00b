"""The shipped content is complete and clean; team directories override and add, bad files are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from knowledge import load_knowledge
from knowledge.model import KINDS
from knowledge.text import fix_mojibake, has_mojibake


def test_shipped_content_loads_without_problems(kb):
    assert kb.problems == []
    assert len(kb) > 150
    for entry in kb.entries.values():
        assert entry.kind in KINDS
        assert entry.title and entry.source
        assert entry.aliases, f"{entry.id} has no search aliases"


def test_no_mis_decoded_character_anywhere(kb):
    for entry in kb.entries.values():
        for value in (entry.title, entry.text, entry.source, *entry.items, *entry.aliases):
            assert not has_mojibake(value), (entry.id, value)
            assert "√" not in value and "‚" not in value and "\uf8ff" not in value, (entry.id, value)


def test_mojibake_repair():
    assert fix_mojibake("24√ó7 Technical Support") == "24×7 Technical Support"
    assert fix_mojibake("‚≠ê‚≠ê") == "⭐⭐"
    assert fix_mojibake("clean — text ×") == "clean — text ×"


def test_related_and_parents_resolve(kb):
    for entry in kb.entries.values():
        if entry.parent:
            assert kb.get(entry.parent) is not None, entry.id
        for rid in entry.related:
            assert kb.get(rid) is not None, (entry.id, rid)


def test_compliance_topics_know_who_helps(kb):
    for entry in kb.of_kind("compliance", "business_risk", "governance"):
        kinds = {kb.get(r).kind for r in entry.related}
        assert kinds & {"service", "specialised_service", "provider", "service_area"}, entry.id


def test_team_directory_overrides_and_adds(tmp_path: Path):
    (tmp_path / "ours.yaml").write_text(
        """
entries:
  - id: provider.skadden-arps
    note: Our outside counsel; ask Dana before engaging.
    owner: Dana
  - id: provider.acme-law
    kind: provider
    title: Acme Law LLP
    text: Our preferred boutique IP firm
    source: Team knowledge
    parent: area.comprehensive-legal-services
    aliases: [acme, boutique ip firm]
""",
        encoding="utf-8",
    )
    kb = load_knowledge([tmp_path])
    assert kb.problems == []
    skadden = kb.get("provider.skadden-arps")
    assert skadden.owner == "Dana" and "outside counsel" in skadden.note
    assert skadden.title == "Skadden, Arps"  # untouched fields stay
    acme = kb.get("provider.acme-law")
    assert acme.origin.endswith("ours.yaml")
    assert acme in kb.children("area.comprehensive-legal-services", "provider")


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        ("entries: [ {id: x, kind: provider", "not valid YAML at line"),
        ("- just a list", "'entries:' list"),
        ("entries:\n  - id: new.one\n    kind: provider\n    title: T\n", "field 'text': is missing"),
        ("entries:\n  - id: provider.bcg\n    importance: 9\n", "field 'importance': must be a whole number"),
        ("entries:\n  - id: provider.bcg\n    colour: blue\n", "field 'colour': unknown field"),
        ("entries:\n  - id: provider.bcg\n    kind: wizard\n", "unknown kind 'wizard'"),
        ("entries:\n  - id: provider.bcg\n    aliases: strategy\n", "field 'aliases': must be a list"),
        ("entries:\n  - id: provider.bcg\n    related: [nope.missing]\n", "names unknown entries: nope.missing"),
        ("entries:\n  - kind: provider\n", "every entry needs an id"),
    ],
)
def test_bad_files_are_reported_precisely_and_the_rest_loads(tmp_path: Path, content: str, expect: str):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    (tmp_path / "good.yaml").write_text("entries:\n  - id: provider.bain-company\n    note: fine\n", encoding="utf-8")
    kb = load_knowledge([tmp_path])
    messages = [str(p) for p in kb.problems]
    assert any(expect in m for m in messages), messages
    assert kb.get("provider.bain-company").note == "fine"
    assert len(kb) >= 198
    bcg = kb.get("provider.bcg")
    assert bcg.importance is None and bcg.kind == "provider"


def test_non_utf8_file_is_reported(tmp_path: Path):
    (tmp_path / "latin1.yaml").write_bytes("entries:\n  - id: provider.bcg\n    note: caf\xe9\n".encode("latin-1"))
    kb = load_knowledge([tmp_path])
    assert any("not UTF-8" in str(p) for p in kb.problems)


def test_knowledge_check_command(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("COS_KNOWLEDGE_DIR", raising=False)
    good = tmp_path / "good"
    good.mkdir()
    (good / "a.yaml").write_text("entries:\n  - id: provider.bcg\n    note: our pick\n", encoding="utf-8")
    assert main(["knowledge", "check", str(good)]) == 0
    assert "ok:" in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "b.yaml").write_text("entries:\n  - id: provider.bcg\n    importance: high\n", encoding="utf-8")
    assert main(["knowledge", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "b.yaml" in out and "provider.bcg" in out and "importance" in out
