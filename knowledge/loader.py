"""Load, validate and merge knowledge content files.

The shipped content lives in ``knowledge/content``. A team may add entries or
override fields of shipped ones from its own directory (``COS_KNOWLEDGE_DIR``):
a file there holds ``entries:``; an entry whose id exists overrides the fields
it names, a new id must be a complete entry. A bad file is reported with file,
entry and field named, and the rest of the knowledge still loads.

An entry's Chinese words sit beside the English under ``zh:`` (``title``, ``text``,
``items`` one per English item, ``aliases``); a team file may override any one of
them. ``translation_gaps`` lists the entries whose Chinese is missing, does not line
up with the English, or was left behind by a team file that changed the English.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from knowledge.model import KINDS, Entry, Localized
from knowledge.text import fix_mojibake, has_mojibake

__all__ = [
    "CONTENT_DIR",
    "KnowledgeBase",
    "LoadProblem",
    "load_knowledge",
    "check_directory",
    "translation_gaps",
    "LANGUAGES",
]

log = logging.getLogger(__name__)

CONTENT_DIR = Path(__file__).resolve().parent / "content"
# The original document the content was built from (kept as received, mis-decoded characters included).
SOURCE_DOCUMENT = Path(__file__).resolve().parent / "source" / "service-overview.md"

_REQUIRED = ("id", "kind", "title", "text", "source")
_STRING_FIELDS = ("title", "text", "source", "parent", "years", "role", "owner", "note", "url")
_LIST_FIELDS = ("related", "aliases", "items")
# Other languages an entry may carry, each as a mapping (``zh: {title, text, items, aliases}``).
LANGUAGES = ("zh",)
_LOCALIZED_STRINGS = ("title", "text")
_LOCALIZED_LISTS = ("items", "aliases")
_LOCALIZED_FIELDS = _LOCALIZED_STRINGS + _LOCALIZED_LISTS
# The English fields a translation repeats: changing one makes its translation out of date.
_TRANSLATED = ("title", "text", "items")
_OVERRIDABLE = frozenset(_STRING_FIELDS + _LIST_FIELDS + LANGUAGES + ("importance", "kind"))
_ALL_FIELDS = frozenset(_OVERRIDABLE | {"id"})
_MAX_TEXT = 4000
# libyaml's parser where PyYAML was built with it: the same safe subset, several times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class LoadProblem:
    """One thing wrong in a content file, located well enough to fix it."""

    file: str
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": entry '{self.entry}'"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class KnowledgeBase:
    """All entries by id, with the problems met while loading."""

    entries: dict[str, Entry]
    problems: list[LoadProblem] = field(default_factory=list)
    # The file each entry was first defined in (the shipped file for seed entries).
    files: dict[str, str] = field(default_factory=dict)
    # Translated fields left behind by a team file that changed the English (``{"provider.bcg": {"zh.text"}}``).
    stale: dict[str, set[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def children(self, entry_id: str, kind: str | None = None) -> list[Entry]:
        """Entries whose parent is ``entry_id``, in document order."""
        return [e for e in self.entries.values() if e.parent == entry_id and (kind is None or e.kind == kind)]

    def of_kind(self, *kinds: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.kind in kinds]

    def parent_of(self, entry: Entry) -> Entry | None:
        return self.entries.get(entry.parent) if entry.parent else None

    def related_to(self, entry: Entry) -> list[Entry]:
        """The entries named in ``related``, in the order given."""
        seen: dict[str, Entry] = {}
        for rid in entry.related:
            if (other := self.entries.get(rid)) is not None:
                seen.setdefault(other.id, other)
        return list(seen.values())


def _problem(problems: list[LoadProblem], file: str, entry: str | None, fld: str | None, msg: str) -> None:
    problems.append(LoadProblem(file, entry, fld, msg))


def _clean_text(
    value: str, *, file: str, entry_id: str, fld: str, problems: list[LoadProblem], required: bool
) -> str | None:
    """A stripped, repaired text field, or None (and a problem) when it is empty, too long or mis-decoded."""
    value = fix_mojibake(value.strip())
    if required and not value:
        _problem(problems, file, entry_id, fld, "must not be empty")
        return None
    if len(value) > _MAX_TEXT:
        _problem(problems, file, entry_id, fld, f"longer than {_MAX_TEXT} characters")
        return None
    if has_mojibake(value):
        _problem(problems, file, entry_id, fld, "holds mis-decoded characters; save the file as UTF-8")
        return None
    return value


def _check_localized(
    lang: str, raw: Any, *, file: str, entry_id: str, problems: list[LoadProblem]
) -> dict[str, Any] | None:
    """Validate one language's mapping (``zh: {title, text, items, aliases}``); the fields present, cleaned."""
    if not isinstance(raw, dict):
        _problem(
            problems, file, entry_id, lang, "must be a mapping of " + ", ".join(_LOCALIZED_FIELDS) + " (indented below)"
        )
        return None
    clean: dict[str, Any] = {}
    ok = True
    for key, value in raw.items():
        fld = f"{lang}.{key}"
        if key in _LOCALIZED_STRINGS:
            if value is None:
                value = ""
            if not isinstance(value, str):
                _problem(problems, file, entry_id, fld, f"must be text, got {type(value).__name__}")
                ok = False
                continue
            text = _clean_text(value, file=file, entry_id=entry_id, fld=fld, problems=problems, required=key == "title")
            if text is None:
                ok = False
                continue
            clean[key] = text
        elif key in _LOCALIZED_LISTS:
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                _problem(problems, file, entry_id, fld, "must be a list of non-empty texts")
                ok = False
                continue
            items = []
            for v in value:
                text = _clean_text(v, file=file, entry_id=entry_id, fld=fld, problems=problems, required=True)
                if text is None:
                    ok = False
                    break
                items.append(text)
            else:
                clean[key] = tuple(items)
        else:
            _problem(
                problems, file, entry_id, fld, "unknown field (allowed: " + ", ".join(sorted(_LOCALIZED_FIELDS)) + ")"
            )
            ok = False
    return clean if ok else None


def _merge_translations(
    current: tuple[tuple[str, Localized], ...], updates: Mapping[str, Mapping[str, Any]]
) -> tuple[tuple[str, Localized], ...]:
    """``current`` with each language's fields in ``updates`` replacing those it names (a team file may set one)."""
    merged = dict(current)
    for lang, fields in updates.items():
        base = merged.get(lang)
        merged[lang] = replace(base, **fields) if base is not None else Localized(**{"title": "", **fields})
    return tuple((lang, merged[lang]) for lang in LANGUAGES if lang in merged)


def _check_fields(
    raw: Mapping[str, Any], *, file: str, entry_id: str, problems: list[LoadProblem]
) -> dict[str, Any] | None:
    """Validate types of the fields present; return the cleaned mapping or None."""
    clean: dict[str, Any] = {}
    ok = True
    for key, value in raw.items():
        if key not in _ALL_FIELDS:
            _problem(
                problems, file, entry_id, str(key), "unknown field (allowed: " + ", ".join(sorted(_ALL_FIELDS)) + ")"
            )
            ok = False
            continue
        if key in _STRING_FIELDS or key == "id" or key == "kind":
            if value is None and key not in ("title", "text", "source", "id", "kind"):
                clean[key] = None
                continue
            if not isinstance(value, str):
                _problem(problems, file, entry_id, key, f"must be text, got {type(value).__name__}")
                ok = False
                continue
            text = _clean_text(
                value,
                file=file,
                entry_id=entry_id,
                fld=key,
                problems=problems,
                required=key in ("id", "title", "kind", "source"),
            )
            if text is None:
                ok = False
                continue
            clean[key] = text
        elif key in LANGUAGES:
            localized = _check_localized(key, value, file=file, entry_id=entry_id, problems=problems)
            if localized is None:
                ok = False
                continue
            clean[key] = localized
        elif key in _LIST_FIELDS:
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                _problem(problems, file, entry_id, key, "must be a list of non-empty texts")
                ok = False
                continue
            clean[key] = tuple(fix_mojibake(v.strip()) for v in value)
        elif key == "importance":
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5):
                _problem(problems, file, entry_id, key, "must be a whole number from 1 to 5")
                ok = False
                continue
            clean[key] = value
    if "kind" in clean and clean["kind"] not in KINDS:
        _problem(problems, file, entry_id, "kind", f"unknown kind '{clean['kind']}'")
        ok = False
    return clean if ok else None


def _read_file(path: Path, problems: list[LoadProblem]) -> list[Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
    except UnicodeDecodeError:
        _problem(problems, str(path), None, None, "is not UTF-8 text")
        return []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        _problem(problems, str(path), None, None, f"is not valid YAML{where}")
        return []
    except OSError as exc:
        _problem(problems, str(path), None, None, f"cannot be read ({exc.strerror})")
        return []
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        _problem(problems, str(path), None, "entries", "the file must hold a mapping with an 'entries:' list")
        return []
    return list(data["entries"])


def _content_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _note_stale(
    stale: dict[str, set[str]],
    entry_id: str,
    existing: Entry,
    clean: Mapping[str, Any],
    languages: Mapping[str, Mapping[str, Any]],
) -> None:
    """Mark the translations an override leaves behind: English changed, the same file's ``zh:`` silent."""
    marks = stale.setdefault(entry_id, set())
    for lang in LANGUAGES:
        given = languages.get(lang, {})
        for fld in _TRANSLATED:
            if fld in given:
                marks.discard(f"{lang}.{fld}")
            elif fld in clean and clean[fld] != getattr(existing, fld):
                marks.add(f"{lang}.{fld}")
    if not marks:
        del stale[entry_id]


def _apply_file(
    path: Path,
    entries: dict[str, Entry],
    problems: list[LoadProblem],
    *,
    origin: str,
    files: dict[str, str],
    stale: dict[str, set[str]],
) -> None:
    for index, raw in enumerate(_read_file(path, problems)):
        label = f"#{index + 1}"
        if not isinstance(raw, dict):
            _problem(problems, str(path), label, None, "each entry must be a mapping of fields")
            continue
        entry_id = raw.get("id")
        if not isinstance(entry_id, str) or not entry_id.strip():
            _problem(problems, str(path), label, "id", "every entry needs an id")
            continue
        entry_id = entry_id.strip()
        clean = _check_fields(raw, file=str(path), entry_id=entry_id, problems=problems)
        if clean is None:
            continue
        clean.pop("id", None)
        languages = {lang: clean.pop(lang) for lang in LANGUAGES if lang in clean}
        existing = entries.get(entry_id)
        if existing is not None:
            _note_stale(stale, entry_id, existing, clean, languages)
            translations = _merge_translations(existing.translations, languages)
            entries[entry_id] = replace(existing, origin=origin, translations=translations, **clean)
            continue
        missing = [f for f in _REQUIRED if f != "id" and f not in clean]
        if missing:
            _problem(
                problems,
                str(path),
                entry_id,
                missing[0],
                "is missing; a new entry needs " + ", ".join(_REQUIRED) + " (or use the id of an existing entry to "
                "override it)",
            )
            continue
        entries[entry_id] = Entry(id=entry_id, origin=origin, translations=_merge_translations((), languages), **clean)
        files[entry_id] = str(path)


def _check_links(entries: dict[str, Entry], problems: list[LoadProblem]) -> None:
    for entry in list(entries.values()):
        if entry.parent and entry.parent not in entries:
            _problem(problems, entry.origin, entry.id, "parent", f"names unknown entry '{entry.parent}'")
            entries[entry.id] = replace(entry, parent=None)
        bad = [r for r in entry.related if r not in entries]
        if bad:
            _problem(problems, entry.origin, entry.id, "related", "names unknown entries: " + ", ".join(bad))
            entries[entry.id] = replace(entry, related=tuple(r for r in entry.related if r in entries))


def load_knowledge(extra_dirs: Iterable[Path] = (), *, content_dir: Path = CONTENT_DIR) -> KnowledgeBase:
    """Load the shipped content, then each team directory on top of it."""
    entries: dict[str, Entry] = {}
    problems: list[LoadProblem] = []
    files: dict[str, str] = {}
    stale: dict[str, set[str]] = {}
    for path in _content_files(content_dir):
        _apply_file(path, entries, problems, origin="seed", files=files, stale=stale)
    for directory in extra_dirs:
        if not directory.is_dir():
            _problem(problems, str(directory), None, None, "is not a directory")
            continue
        for path in _content_files(directory):
            _apply_file(path, entries, problems, origin=str(path), files=files, stale=stale)
    _check_links(entries, problems)
    for problem in problems:
        log.warning("knowledge: %s", problem)
    return KnowledgeBase(entries=entries, problems=problems, files=files, stale=stale)


def translation_gaps(kb: KnowledgeBase, lang: str = "zh") -> list[LoadProblem]:
    """Every entry whose ``lang`` words are missing or do not line up with the English.

    A translation needs a title, a text when the English has one, and exactly one item per English item.
    """
    gaps: list[LoadProblem] = []
    for entry in kb.entries.values():
        # The team file that last changed the entry, else the shipped file that holds it.
        where = entry.origin if entry.origin != "seed" else kb.files.get(entry.id, entry.origin)
        words = entry.localized(lang)
        if words is None:
            _problem(
                gaps,
                where,
                entry.id,
                lang,
                f"has no translation; add '{lang}:' with " + ", ".join(_LOCALIZED_FIELDS),
            )
            continue
        reported: set[str] = set()
        if not words.title:
            _problem(gaps, where, entry.id, f"{lang}.title", "is missing")
            reported.add("title")
        if entry.text and not words.text:
            _problem(gaps, where, entry.id, f"{lang}.text", "is missing (the English entry has a text)")
            reported.add("text")
        items_line_up = len(words.items) == len(entry.items)
        if not items_line_up:
            reported.add("items")
        for fld in sorted(kb.stale.get(entry.id, ())):
            lang_of, _, name = fld.partition(".")
            if lang_of == lang and name not in reported:
                _problem(
                    gaps,
                    where,
                    entry.id,
                    fld,
                    f"is out of date: a team file changed the English {name} but not this; "
                    f"give the new {name} under '{lang}:' beside it",
                )
        if not items_line_up:
            _problem(
                gaps,
                where,
                entry.id,
                f"{lang}.items",
                f"has {len(words.items)} item(s) but the English has {len(entry.items)}; give one per English item, "
                "in the same order",
            )
    return gaps


def check_directory(directory: Path | None) -> list[LoadProblem]:
    """Every problem in the shipped content plus ``directory`` (for ``cos-bot knowledge check``).

    An entry whose Chinese is missing or does not line up with its English is one of them.
    """
    kb = load_knowledge([directory] if directory is not None else [])
    return kb.problems + [gap for lang in LANGUAGES for gap in translation_gaps(kb, lang)]
