"""An entry as the search index holds it: a field-weighted document (BM25F) and the phrases that name it.

Each field of the entry is tokenized (stemmed, stop words dropped) and counted at its weight: the title most, the
role and aliases next (many aliases share the weight), the text, items, owner and note once, the parent's title a
little. The title, the aliases and the role are also kept whole, as phrases a question can hold word for word.
``knowledge.search`` scores questions against these documents.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.model import Entry
from knowledge.words import entry_years, raw_words, tokenize

__all__ = ["Doc", "entry_texts", "index_entry"]

# Field weights of the BM25F document.
W_TITLE = 3.0
W_ALIAS = 2.2
W_TEXT = 1.0
W_PARENT = 0.4


@dataclass(slots=True)
class Doc:
    entry: Entry
    # Weighted counts of the entry's stems; its keys are every stem the entry itself uses.
    tf: Counter[str]
    length: float
    phrases: list[tuple[str, ...]]
    title_exact: set[str]
    exact: set[str]
    years: frozenset[int]
    # The title as typed (folded, unstemmed): breaks ties between titles that stem alike.
    raw_title: str = ""
    # The title's stems, found in a question in any order.
    title_words: frozenset[str] = frozenset()
    title_phrase: tuple[str, ...] = ()
    # Every stem the entry itself uses (the keys of ``tf``): what the answer decision counts as explained.
    stems: frozenset[str] = frozenset()


def entry_texts(entry: Entry, parent: Entry | None) -> Iterator[tuple[str, float]]:
    """Every text of the entry that the index reads, with its field weight."""
    yield entry.title, W_TITLE
    if entry.role:
        yield entry.role, W_ALIAS
    for alias in entry.aliases:
        yield alias, W_ALIAS / max(1.0, math.sqrt(len(entry.aliases) / 4))
    yield entry.text, W_TEXT
    for item in entry.items:
        yield item, W_TEXT
    if entry.owner:
        yield entry.owner, W_TEXT
    if entry.note:
        yield entry.note, W_TEXT
    if parent is not None:
        yield parent.title, W_PARENT


def index_entry(entry: Entry, parent: Entry | None) -> Doc:
    """The entry's document: weighted stem counts over its texts, and the phrases that name it."""
    tf: Counter[str] = Counter()
    length = 0.0
    for text, weight in entry_texts(entry, parent):
        words = tokenize(text)
        for t in words:
            tf[t] += weight  # type: ignore[assignment]
        length += weight * len(words)
    phrases: list[tuple[str, ...]] = []
    exact = set()
    title_exact = {" ".join(tokenize(entry.title))}
    for phrase in (entry.title, *entry.aliases, *([entry.role] if entry.role else [])):
        toks = tuple(tokenize(phrase))
        if toks:
            phrases.append(toks)
            exact.add(" ".join(toks))
    # A title such as "PingCAP (TiDB)" is also known by each of its parts.
    for part in re.split(r"[()]", entry.title):
        toks = tuple(tokenize(part))
        if toks:
            title_exact.add(" ".join(toks))
            if " ".join(toks) not in exact:
                phrases.append(toks)
                exact.add(" ".join(toks))
    return Doc(
        entry=entry,
        tf=tf,
        length=length,
        phrases=phrases,
        title_exact=title_exact - {""},
        exact=exact,
        years=entry_years(entry.years),
        raw_title=raw_words(entry.title),
        title_words=frozenset(tokenize(entry.title)),
        title_phrase=tuple(tokenize(entry.title)),
        stems=frozenset(tf),
    )
