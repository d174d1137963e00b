"""The knowledge cache: reused while the content is unchanged, rebuilt when it changes or is damaged."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import yaml

from bot.kernel.settings import load_settings
from knowledge import loader
from knowledge.cache import cache_file, content_key, load_cached

TEAM_FILE = """\
entries:
  - id: area.comprehensive-legal-services
    note: Ask Dana first, she knows our counsel.
  - id: team.vendor
    kind: provider
    title: Acme Counsel
    text: Our usual outside counsel.
    source: Team notes
    parent: area.comprehensive-legal-services
"""


@pytest.fixture
def team(tmp_path: Path) -> Path:
    directory = tmp_path / "team"
    directory.mkdir()
    (directory / "ours.yaml").write_text(TEAM_FILE, encoding="utf-8")
    return directory


def _top(loaded, query: str) -> str:  # type: ignore[no-untyped-def]
    return loaded.searcher.search(query)[0].entry.id


def test_second_load_comes_from_the_cache_and_answers_alike(tmp_path, team):
    cache = tmp_path / "cache"
    first = load_cached([team], cache_dir=cache)
    second = load_cached([team], cache_dir=cache)
    assert (first.from_cache, second.from_cache) == (False, True)
    assert second.kb.entries == first.kb.entries
    assert second.kb.get("team.vendor") is not None
    for query in ("legal", "soc 2 audit", "we might run out of cash", "acme counsel"):
        assert _top(second, query) == _top(first, query)
    assert cache_file(cache, [team]).stat().st_mode & 0o077 == 0  # private to this user


def test_editing_a_team_file_rebuilds_the_cache(tmp_path, team):
    cache = tmp_path / "cache"
    load_cached([team], cache_dir=cache)
    (team / "ours.yaml").write_text(TEAM_FILE.replace("Acme Counsel", "Zenith Legal"), encoding="utf-8")
    edited = load_cached([team], cache_dir=cache)
    assert not edited.from_cache
    assert edited.kb.entries["team.vendor"].title == "Zenith Legal"
    assert _top(edited, "zenith legal") == "team.vendor"
    again = load_cached([team], cache_dir=cache)
    assert again.from_cache and again.kb.entries["team.vendor"].title == "Zenith Legal"


def test_adding_or_removing_a_team_file_rebuilds_the_cache(tmp_path, team):
    cache = tmp_path / "cache"
    key = content_key([team])
    load_cached([team], cache_dir=cache)
    extra = team / "zz-more.yml"  # read after ours.yaml
    extra.write_text("entries:\n  - id: team.vendor\n    note: added later\n", encoding="utf-8")
    assert content_key([team]) != key
    added = load_cached([team], cache_dir=cache)
    assert not added.from_cache and added.kb.entries["team.vendor"].note == "added later"
    extra.unlink()
    assert content_key([team]) == key
    removed = load_cached([team], cache_dir=cache)
    assert not removed.from_cache and removed.kb.entries["team.vendor"].note is None


def test_each_directory_set_has_its_own_cache(tmp_path, team):
    cache = tmp_path / "cache"
    load_cached([team], cache_dir=cache)
    shipped = load_cached([], cache_dir=cache)
    assert not shipped.from_cache and shipped.kb.get("team.vendor") is None
    assert load_cached([team], cache_dir=cache).from_cache
    assert load_cached([], cache_dir=cache).from_cache


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"not a cache at all", id="garbage"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[:-40] + os.urandom(40), id="corrupt-tail"),
        pytest.param(lambda data: data.replace(data.split(b"\n")[1], b"0" * 64, 1), id="other-key"),
    ],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(tmp_path, team, damage):
    cache = tmp_path / "cache"
    good = load_cached([team], cache_dir=cache)
    path = cache_file(cache, [team])
    path.write_bytes(damage(path.read_bytes()))
    path.chmod(0o600)
    rebuilt = load_cached([team], cache_dir=cache)
    assert not rebuilt.from_cache
    assert rebuilt.kb.entries == good.kb.entries
    assert load_cached([team], cache_dir=cache).from_cache  # written again, whole


def test_a_cache_file_others_can_write_is_not_trusted(tmp_path, team):
    cache = tmp_path / "cache"
    load_cached([team], cache_dir=cache)
    path = cache_file(cache, [team])
    path.chmod(0o666)
    assert not load_cached([team], cache_dir=cache).from_cache
    assert path.stat().st_mode & 0o077 == 0  # replaced by a private one
    assert load_cached([team], cache_dir=cache).from_cache


def test_an_unwritable_cache_directory_only_costs_speed(tmp_path, team):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for _ in range(2):
        loaded = load_cached([team], cache_dir=blocker / "cache")
        assert not loaded.from_cache and loaded.kb.get("team.vendor") is not None
    assert blocker.read_text() == "not a directory"


def test_no_cache_dir_means_no_cache(tmp_path, team):
    assert not load_cached([team], cache_dir=None).from_cache
    assert not load_cached([team], cache_dir=None).from_cache


def test_problems_are_kept_and_reported_again_from_the_cache(tmp_path, team, caplog):
    (team / "bad.yaml").write_text("entries:\n  - id: team.broken\n    kind: provider\n", encoding="utf-8")
    cache = tmp_path / "cache"
    built = load_cached([team], cache_dir=cache)
    assert built.kb.problems
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        cached = load_cached([team], cache_dir=cache)
    assert cached.from_cache and cached.kb.problems == built.kb.problems
    assert any("team.broken" in r.getMessage() for r in caplog.records)


def test_a_missing_team_directory_is_still_reported(tmp_path):
    cache = tmp_path / "cache"
    missing = tmp_path / "nope"
    first = load_cached([missing], cache_dir=cache)
    second = load_cached([missing], cache_dir=cache)
    assert second.from_cache
    assert [str(p) for p in second.kb.problems] == [str(p) for p in first.kb.problems]
    assert "is not a directory" in str(second.kb.problems[0])
    missing.mkdir()
    assert not load_cached([missing], cache_dir=cache).from_cache


def test_old_cache_files_are_pruned(tmp_path):
    cache = tmp_path / "cache"
    for i in range(12):
        d = tmp_path / f"team{i}"
        d.mkdir()
        load_cached([d], cache_dir=cache)
    assert len(list(cache.glob("knowledge-*.pickle"))) <= 9
    assert not list(cache.glob(".knowledge-*.tmp"))


def test_the_c_yaml_loader_is_used_and_reads_the_same_as_the_pure_one(monkeypatch):
    if yaml.__with_libyaml__:
        assert loader.YAML_LOADER is yaml.CSafeLoader
    else:  # PyYAML built without libyaml: the pure-Python safe loader
        assert loader.YAML_LOADER is yaml.SafeLoader
    fast = loader.load_knowledge()
    monkeypatch.setattr(loader, "YAML_LOADER", yaml.SafeLoader)
    pure = loader.load_knowledge()
    assert fast.entries == pure.entries and fast.problems == pure.problems == []


def test_the_c_loader_still_rejects_unsafe_yaml(tmp_path):
    team = tmp_path / "team"
    team.mkdir()
    (team / "evil.yaml").write_text("entries: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    kb = loader.load_knowledge([team])
    assert any("not valid YAML" in str(p) for p in kb.problems)


def test_cache_dir_setting():
    assert load_settings({"COS_CACHE_DIR": "/srv/cache"}, dotenv=None).cache_dir == Path("/srv/cache")
    assert load_settings({"COS_CACHE_DIR": "off"}, dotenv=None).cache_dir is None
    assert load_settings({"XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"}, dotenv=None).cache_dir == Path("/xdg/cos-bot")
    assert load_settings({"HOME": "/home/u"}, dotenv=None).cache_dir == Path("/home/u/.cache/cos-bot")
    assert load_settings({"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}, dotenv=None).cache_dir == Path(
        "/home/u/.cache/cos-bot"
    )
    assert load_settings({}, dotenv=None).cache_dir is None
