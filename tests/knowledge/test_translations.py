"""Chinese words beside the English: the ``zh:`` mapping is read, validated, merged, cached and checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import main
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
        ("text: Other words.", "zh.text", "is missing"),  # missing, not also out of date
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


# The shipped content.

_CJK = re.compile(r"[\u4e00-\u9fff]")
# Names and figures a translation must carry over unchanged: acronyms (SOC2, GDPR, IPO) and numbers.
_KEPT = re.compile(r"\b[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9]*\b|\d+")
# Entries titled by a name (a firm, a company): the Chinese title keeps the name.
_NAMED_KINDS = {"provider", "case"}

PROVIDER_NAMES = {
    "provider.mckinsey-company": "麦肯锡",
    "provider.bain-company": "贝恩",
    "provider.accenture": "埃森哲",
    "provider.bcg": "波士顿咨询",
    "provider.korn-ferry": "光辉国际",
    "provider.heidrick-struggles": "海德思哲",
    "provider.russell-reynolds": "罗盛咨询",
    "provider.spencer-stuart": "史宾沙",
    "provider.skadden-arps": "世达律师事务所",
    "provider.latham-watkins": "瑞生律师事务所",
    "provider.red-hat-training": "红帽培训",
    "provider.linux-foundation-training": "Linux 基金会",
    "provider.aws-professional-services": "亚马逊云科技专业服务",
    "provider.google-cloud-professional-services": "谷歌云",
    "cases.red-hat": "红帽",
    "cases.pingcap-tidb": "平凯星辰",
    "cases.tdengine": "涛思数据",
    "cases.emq-technologies-emqx": "映云科技",
}


def test_every_shipped_entry_has_a_complete_translation(kb):
    assert translation_gaps(kb) == []
    for entry in kb.entries.values():
        words = entry.localized("zh")
        assert words is not None, entry.id
        if entry.kind in _NAMED_KINDS and _CJK.search(words.title) is None:
            assert words.title == entry.title, entry.id  # a name stays as it is
        else:
            assert _CJK.search(words.title), (entry.id, words.title)
        assert all(_CJK.search(t) for t in (words.text, *words.items) if t), entry.id
        assert bool(words.text) == bool(entry.text), entry.id
        assert 3 <= len(words.aliases) <= 8, (entry.id, words.aliases)
        assert len(set(words.aliases)) == len(words.aliases), entry.id
        assert sum(1 for a in words.aliases if _CJK.search(a)) >= 3, (entry.id, words.aliases)  # Chinese phrasings
        for english, chinese in [(entry.text, words.text), *zip(entry.items, words.items, strict=True)]:
            for kept in _KEPT.findall(english):
                singular = kept[:-1] if kept.endswith("s") and kept[:-1].isupper() else kept  # SIs -> SI
                assert singular in chinese, (entry.id, kept, chinese)


def test_summary_keeps_its_paragraphs(kb):
    summary = kb.get("section.summary")
    assert summary.localized("zh").text.count("\n\n") == summary.text.count("\n\n") == 3


def test_chinese_provider_names_are_aliases_of_the_right_entries(kb):
    # Red Hat is both a success case and a training provider; every other name belongs to one entry.
    shared = {"红帽": {"cases.red-hat", "provider.red-hat-training"}}
    for entry_id, name in PROVIDER_NAMES.items():
        holders = {e.id for e in kb.entries.values() if name in e.localized("zh").aliases}
        assert holders == shared.get(name, {entry_id}), (name, holders)


def test_knowledge_check_passes_on_the_shipped_content(capsys, monkeypatch):
    monkeypatch.delenv("COS_KNOWLEDGE_DIR", raising=False)
    assert main(["knowledge", "check"]) == 0
    assert f"ok: {len(load_knowledge())} entries" in capsys.readouterr().out


def test_knowledge_check_reports_untranslated_team_entries(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("COS_KNOWLEDGE_DIR", raising=False)
    team = _team(
        tmp_path,
        """\
entries:
  - id: team.counsel
    kind: provider
    title: Dana's firm
    text: Our counsel.
    source: Team notes
  - id: need.global-operations
    items: [Multi-regional market expansion, Localized service support, Cross-border legal compliance,
            International standards certification, Local entity setup]
  - id: provider.bcg
    zh: {text: ''}
""",
    )
    assert main(["knowledge", "check", str(team)]) == 1
    out = capsys.readouterr().out
    assert "ours.yaml: entry 'team.counsel', field 'zh': has no translation" in out
    assert "ours.yaml: entry 'need.global-operations', field 'zh.items': has 4 item(s) but the English has 5" in out
    assert "ours.yaml: entry 'provider.bcg', field 'zh.text': is missing" in out
    assert out.count("error:") == 3


def test_a_team_override_of_a_shipped_zh_title(tmp_path: Path, kb):
    team = _team(tmp_path, "entries:\n  - id: provider.bcg\n    zh:\n      title: 波士顿咨询公司\n")
    ours = load_knowledge([team])
    assert ours.problems == [] and translation_gaps(ours) == []
    words = ours.get("provider.bcg").localized("zh")
    assert words is not None and words.title == "波士顿咨询公司"
    assert words.aliases == kb.get("provider.bcg").localized("zh").aliases
    assert words.text == kb.get("provider.bcg").localized("zh").text == "企业战略"


def test_a_team_change_to_the_english_leaves_the_chinese_out_of_date(tmp_path: Path, content: Path):
    team = _team(tmp_path, "entries:\n  - id: area.legal\n    text: Contracts, licences and disputes.\n")
    gaps = [str(g) for g in translation_gaps(load_knowledge([team], content_dir=content))]
    assert len(gaps) == 1 and "ours.yaml: entry 'area.legal', field 'zh.text': is out of date" in gaps[0], gaps
    # Same-count items changed in English only: the Chinese items no longer say the same.
    (team / "ours.yaml").write_text("entries:\n  - id: area.legal\n    items: [Contract review, Court]\n")
    gaps = [str(g) for g in translation_gaps(load_knowledge([team], content_dir=content))]
    assert len(gaps) == 1 and "field 'zh.items': is out of date" in gaps[0], gaps


@pytest.mark.parametrize(
    "override",
    [
        "text: Contracts, licences and disputes.\n    zh: {text: 合同、许可证与争议。}",  # translated beside it
        "text: Contracts and licences.",  # the same English as shipped
        "note: ask Dana",  # no translated field touched
    ],
)
def test_a_team_change_with_its_chinese_is_not_a_gap(tmp_path: Path, content: Path, override: str):
    team = _team(tmp_path, f"entries:\n  - id: area.legal\n    {override}\n")
    kb = load_knowledge([team], content_dir=content)
    assert kb.problems == [] and translation_gaps(kb) == []


def test_a_later_team_directory_may_bring_the_chinese(tmp_path: Path, content: Path):
    first = _team(tmp_path, "entries:\n  - id: area.legal\n    title: Law\n")
    second = tmp_path / "second"
    second.mkdir()
    (second / "zh.yaml").write_text("entries:\n  - id: area.legal\n    zh: {title: 法律}\n", encoding="utf-8")
    assert [g.field for g in translation_gaps(load_knowledge([first], content_dir=content))] == ["zh.title"]
    assert translation_gaps(load_knowledge([first, second], content_dir=content)) == []
