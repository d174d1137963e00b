"""Knowledge files nobody thought of (Hypothesis): any YAML a team could write, valid or not, and any bytes, is
loaded with its problems reported (file, entry, field, message), never raised."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import event, given
from hypothesis import strategies as st

from knowledge import KnowledgeBase, load_knowledge
from knowledge.loader import KINDS

FIELDS = [
    "id",
    "title",
    "kind",
    "text",
    "source",
    "parent",
    "related",
    "aliases",
    "terms",
    "note",
    "providers",
    "entries",
]
SCALAR = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner),
    max_leaves=10,
)
ENTRY = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), VALUE, max_size=6),
    # A good entry, with one more field of any value.
    st.builds(
        lambda eid, kind, extra: {"id": eid, "kind": kind, "title": "T", "text": "x", "source": "s", **extra},
        st.from_regex(r"[a-z][a-z.-]{0,20}", fullmatch=True),
        st.sampled_from(sorted(KINDS)),
        st.dictionaries(st.sampled_from(FIELDS[5:]), VALUE, max_size=1),
    ),
    # Every required field present, each of any type: the near misses a person writes.
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.text(max_size=20), VALUE),
            "title": VALUE,
            "kind": st.one_of(st.sampled_from(sorted(KINDS)), VALUE),
            "text": st.one_of(st.text(max_size=30), VALUE),
            "source": st.one_of(st.text(max_size=30), VALUE),
        },
        optional={f: VALUE for f in FIELDS[5:]},
    ),
)
DOCUMENT = st.one_of(
    st.builds(lambda entries: {"entries": entries}, st.lists(st.one_of(ENTRY, VALUE), max_size=4)),
    VALUE,
)
FILE = st.one_of(
    DOCUMENT.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=100),
)


def _load(files: list[bytes]) -> KnowledgeBase:
    with tempfile.TemporaryDirectory() as root:
        seed, team = Path(root, "seed"), Path(root, "team")
        seed.mkdir()
        team.mkdir()
        for n, raw in enumerate(files):
            (team / f"f{n}.yaml").write_bytes(raw)
        return load_knowledge([team], content_dir=seed)


@given(st.lists(FILE, min_size=1, max_size=3))
def test_any_team_file_is_loaded_or_reported_never_raised(files: list[bytes]) -> None:
    kb = _load(files)
    for problem in kb.problems:
        assert str(problem).strip() and "Traceback" not in str(problem)
    event("loaded an entry" if kb.entries else "loaded none")
    for entry_id in _ids(kb):
        assert isinstance(entry_id, str) and entry_id.strip() == entry_id and entry_id


def _ids(kb: Any) -> list[str]:
    return [entry.id for entry in kb.entries.values()]
