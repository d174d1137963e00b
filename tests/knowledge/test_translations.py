"""Chinese words beside the English: the ``zh:`` mapping is read, validated, merged, cached and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import load_knowledge
from knowledge.cache import load_cached
from knowledge.loader import translation_gaps
from knowledge.model import Localized

BASE = """\
entries:
  - id: area.legal
    kind: service_area
    title: Legal Services
    text: Contracts and licences.
    source: Recommended Service Portfolio
    items: [Contract review, Licence audit]
    aliases: [lawyers]
    zh:
      title: 法律服务
      text: 合同与许可证。
      items: [合同审查, 许可证审计]
      aliases: [律师, 法务]
  - id: provider.acme
    kind: provider
    title: Acme Law
    text: ''
    source: Recommended Service Portfolio › Legal Services
    parent: area.legal
    zh:
      title: Acme Law
      aliases: [艾克米律所]
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    directory = tmp_path / "content"
    directory.mkdir()
    (directory / "01_base.yaml").write_text(BASE, encoding="utf-8")
    return directory


def _team(tmp_path: Path, text: str) -> Path:
    directory = tmp_path / "team"
    directory.mkdir(exist_ok=True)
    (directory / "ours.yaml").write_text(text, encoding="utf-8")
    return directory


def test_zh_is_read_into_the_entry(content: Path):
    kb = load_knowledge(content_dir=content)
    assert kb.problems == []
    legal = kb.get("area.legal")
    assert legal.localized("zh") == Localized(
        title="法律服务", text="合同与许可证。", items=("合同审查", "许可证审计"), aliases=("律师", "法务")
    )
    assert legal.localized("fr") is None
    assert kb.get("provider.acme").localized("zh") == Localized(title="Acme Law", aliases=("艾克米律所",))
    assert translation_gaps(kb) == []


def test_a_team_override_of_zh_title_keeps_the_other_words(tmp_path: Path, content: Path):
    team = _team(tmp_path, "entries:\n  - id: area.legal\n    zh:\n      title: 法务与合规\n")
    kb = load_knowledge([team], content_dir=content)
    assert kb.problems == []
    words = kb.get("area.legal").localized("zh")
    assert words is not None
    assert words.title == "法务与合规"
    assert (
        words.text == "合同与许可证。"
        and words.items == ("合同审查", "许可证审计")
        and words.aliases == ("律师", "法务")
    )
    assert kb.get("area.legal").title == "Legal Services"  # the English is untouched


def test_a_team_may_translate_its_own_entry(tmp_path: Path, content: Path):
    team = _team(
        tmp_path,
        "entries:\n  - id: team.counsel\n    kind: provider\n    title: Dana's firm\n    text: Our counsel.\n"
        "    source: Team notes\n    zh: {title: 达娜的律所, text: 我们的法律顾问。}\n",
    )
    kb = load_knowledge([team], content_dir=content)
    assert kb.problems == []
    assert kb.get("team.counsel").localized("zh") == Localized(title="达娜的律所", text="我们的法律顾问。")


@pytest.mark.parametrize(
    ("zh", "expect"),
    [
        ("zh: 法律服务", "field 'zh': must be a mapping"),
        ("zh: {title: 法律, colour: 红}", "field 'zh.colour': unknown field"),
        ("zh: {title: ''}", "field 'zh.title': must not be empty"),
        ("zh: {title: 42}", "field 'zh.title': must be text, got int"),
        ("zh: {title: 法律, items: 合同审查}", "field 'zh.items': must be a list of non-empty texts"),
        ("zh: {title: 法律, aliases: [律师, '']}", "field 'zh.aliases': must be a list of non-empty texts"),
    ],
)
def test_a_bad_zh_is_reported_with_file_entry_and_field(tmp_path: Path, content: Path, zh: str, expect: str):
    team = _team(tmp_path, f"entries:\n  - id: area.legal\n    note: changed\n    {zh}\n")
    kb = load_knowledge([team], content_dir=content)
    messages = [str(p) for p in kb.problems]
    assert any("ours.yaml: entry 'area.legal'" in m and expect in m for m in messages), messages
    legal = kb.get("area.legal")
    assert legal.note is None  # the bad override changed nothing
    assert legal.localized("zh") is not None and legal.localized("zh").title == "法律服务"


@pytest.mark.parametrize(
    ("override", "field", "message"),
    [
        ("title: Law\n    zh: {title: 法律}", "zh.text", "is missing"),
        ("items: [Contract review, Licence audit, Court]", "zh.items", "has 2 item(s) but the English has 3"),
        ("zh: {items: [合同审查]}", "zh.items", "has 1 item(s) but the English has 2"),
    ],
)
def test_translation_gaps_name_the_field(tmp_path: Path, content: Path, override: str, field: str, message: str):
    base = BASE.replace("      text: 合同与许可证。\n", "") if field == "zh.text" else BASE
    (content / "01_base.yaml").write_text(base, encoding="utf-8")
    team = _team(tmp_path, f"entries:\n  - id: area.legal\n    {override}\n")
    kb = load_knowledge([team], content_dir=content)
    assert kb.problems == []
    gaps = [str(g) for g in translation_gaps(kb)]
    assert len(gaps) == 1, gaps
    assert "ours.yaml: entry 'area.legal'" in gaps[0] and f"field '{field}'" in gaps[0] and message in gaps[0]


def test_an_entry_without_zh_is_a_gap_in_its_own_file(tmp_path: Path, content: Path):
    (content / "02_more.yaml").write_text(
        "entries:\n  - id: area.tax\n    kind: service_area\n    title: Tax\n    text: Tax advice.\n"
        "    source: Recommended Service Portfolio\n",
        encoding="utf-8",
    )
    team = _team(
        tmp_path, "entries:\n  - id: team.new\n    kind: provider\n    title: New\n    text: ''\n    source: T\n"
    )
    kb = load_knowledge([team], content_dir=content)
    gaps = sorted(str(g) for g in translation_gaps(kb))
    assert len(gaps) == 2, gaps
    assert "02_more.yaml: entry 'area.tax', field 'zh': has no translation" in gaps[0]
    assert "ours.yaml: entry 'team.new', field 'zh': has no translation" in gaps[1]


def test_zh_survives_the_cache(tmp_path: Path, content: Path):
    team = _team(tmp_path, "entries:\n  - id: area.legal\n    zh: {title: 法务与合规}\n")
    first = load_cached([team], cache_dir=tmp_path / "cache", content_dir=content)
    second = load_cached([team], cache_dir=tmp_path / "cache", content_dir=content)
    assert not first.from_cache and second.from_cache
    for loaded in (first, second):
        words = loaded.kb.get("area.legal").localized("zh")
        assert words is not None and words.title == "法务与合规" and words.items == ("合同审查", "许可证审计")
    assert second.kb.entries == first.kb.entries
    assert second.kb.files == first.kb.files
