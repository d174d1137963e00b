"""Typo repair: an unknown word of a question mapped to the closest word the entries use.

Closest is the optimal string alignment distance (a changed, lost, extra or swapped letter counts one), at most 1
for words under eight letters and 2 for longer ones, computed by rapidfuzz. Among equally close words the one more
entries use wins, then the alphabetically first. Words that are not typos are left alone: everyday English
("drafting" is not "drift"), a neighbouring topic's term ("lgpl" is not "lgpd"), numbers and opaque tokens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from knowledge.adjacent import is_adjacent_term
from knowledge.english import everyday_share
from knowledge.lexicon import COMMON_WORDS
from knowledge.words import is_opaque, stem_word

__all__ = ["TypoRepair"]

_REMEMBERED = 8192


class TypoRepair:
    """The indexed words by length and first letter, and the repairs made so far (shared by every question)."""

    def __init__(self, words: Iterable[str], df: Mapping[str, int]) -> None:
        by_start: defaultdict[tuple[int, str], list[str]] = defaultdict(list)
        for w in sorted(set(words)):
            by_start[(len(w), w[0])].append(w)
        self._by_start = dict(by_start)
        # How many entries use a stem: the tie-break between equally close words.
        self._df = df
        self._repairs: dict[str, str | None] = {}

    def words(self) -> list[str]:
        """Every indexed word typo repair may answer with."""
        return sorted(w for bucket in self._by_start.values() for w in bucket)

    def repair(self, word: str) -> str | None:
        """The closest indexed word to ``word`` (a word the index does not know), or None."""
        if word in self._repairs:
            return self._repairs[word]
        fixed = self.closest(word)
        if len(self._repairs) < _REMEMBERED:
            self._repairs[word] = fixed
        return fixed

    @staticmethod
    def left_alone(word: str) -> bool:
        """``word`` is not taken for a typo: too short, a number, a common or opaque word, a neighbouring topic's
        term ("lgpl" is not "lgpd"), or everyday English ("drafting" is not "drift", "hurt" not "hart")."""
        return (
            len(word) < 4
            or word.isdigit()
            or word in COMMON_WORDS
            or is_opaque(word)
            or is_adjacent_term(word)
            or everyday_share(word) > 0
        )

    def closest(self, word: str) -> str | None:
        """The closest indexed word, or None (none is close enough, or the word is left alone)."""
        if self.left_alone(word):
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = 1 if len(word) < 8 else 2
        # Four-letter words only take a changed or swapped letter ("gpdr"), never a lost
        # or extra one: "stop" is not "top" and "sure" is not "sre".
        sizes = [len(word)] if len(word) <= 4 else range(len(word) - limit, len(word) + limit + 1)
        # Words of those lengths that start with the word's first letter, or its second (a swapped first pair).
        candidates = [
            c for size in sizes for first in dict.fromkeys(word[:2]) for c in self._by_start.get((size, first), ())
        ]
        best: tuple[int, int, str] | None = None
        for cand, distance, _ in process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=None):
            key = (int(distance), -self._df.get(stem_word(cand), 0), cand)
            if best is None or key < best:
                best = key
        return best[2] if best else None
