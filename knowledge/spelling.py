""" "Did you mean": titles that look like what was typed, when nothing in the overview answers it."""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge.lexicon import STOPWORDS
from knowledge.words import words_of

if TYPE_CHECKING:
    from knowledge.search import Searcher

__all__ = ["did_you_mean"]


@lru_cache(maxsize=8)
def _title_words(titles: tuple[str, ...]) -> list[str]:
    return sorted({w for title in titles for w in words_of(title) if len(w) >= 4 and w not in STOPWORDS})


def _near(word: str, titles: tuple[str, ...]) -> list[str]:
    """The title words that may be within difflib's 0.75 of ``word``: rapidfuzz's ratio (2 x the longest common
    subsequence / both lengths) is never below difflib's (2 x its matching blocks / both lengths), so this keeps
    every word difflib would take, at C speed, and difflib only compares the few left."""
    from rapidfuzz import fuzz, process

    return [m[0] for m in process.extract(word, _title_words(titles), scorer=fuzz.ratio, score_cutoff=74.9, limit=None)]


def did_you_mean(searcher: Searcher, text: str, *, limit: int = 3) -> list[str]:
    """Titles of the entries whose words look like the question's (typos repaired, near spellings)."""
    text = searcher.readable(text)
    words = [w for w in words_of(text) if w not in STOPWORDS and len(w) >= 4]
    found: list[str] = []
    for w in words:
        fixed = searcher.repair(w)
        if fixed and fixed != w:
            found.append(fixed)
            continue
        # Looser than the repair search uses: a suggestion is only offered, never assumed.
        close = difflib.get_close_matches(w, _near(w, tuple(searcher.titles())), n=1, cutoff=0.75)
        if close:
            found.append(close[0])
    if not found:
        return []
    return [h.entry.title for h in searcher.search(" ".join(found), limit=limit)]
