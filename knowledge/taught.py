"""Phrases a team taught: extra aliases for one workspace, laid over the shared search.

The shared ``Searcher`` indexes the knowledge every workspace sees. A team's taught phrases
(``/cos-service teach zorblax pipeline -> legal``) must change the answers in that workspace
only, at once, without rebuilding the index (about a third of a second). ``TaughtSearcher``
shares the index of the shared searcher and adds the phrases the way an alias works:

* a question that *is* a taught phrase (same content words, stemmed) is an exact hit on its entry;
* a question that contains a taught phrase whole puts that entry first;
* the phrase's words count as words the entry explains and the overview knows, so the
  answer-or-abstain decision (``knowledge.decision``) weighs them like an alias's words.

Nothing here touches a database; the caller passes the phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from knowledge.model import Entry
from knowledge.search import Hit, QuestionWord, Searcher
from knowledge.semantic import SemanticIndex
from knowledge.text import fold
from knowledge.words import stem_word, tokenize

__all__ = ["TaughtPhrase", "TaughtSearcher", "normalise_question", "phrase_tokens"]

# Mentions (``@U123`` after input clean-up) are not part of what was asked, and are not logged.
_MENTION = re.compile(r"@\S+")
# A taught phrase found whole in a question scores this much above the best other hit.
_CONTAINED_BONUS = 1.0
_EXACT_BONUS = 25.0


def normalise_question(text: str, *, limit: int = 500) -> str:
    """What a question is logged and grouped as: folded, lower case, words and digits only, no mentions."""
    words = re.findall(r"[a-z0-9]+", fold(_MENTION.sub(" ", text)))
    return " ".join(words)[:limit].strip()


def phrase_tokens(text: str) -> tuple[str, ...]:
    """The stemmed content words a phrase (or a question) is matched on."""
    return tuple(tokenize(text))


@dataclass(frozen=True, slots=True)
class TaughtPhrase:
    """``phrase`` (normalised) answers with entry ``entry_id`` in one workspace."""

    phrase: str
    entry_id: str


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n <= len(tokens) and any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


class TaughtSearcher(Searcher):
    """A ``Searcher`` for one workspace: the shared index plus that workspace's taught phrases."""

    def __init__(self, base: Searcher, phrases: Iterable[TaughtPhrase]) -> None:
        # Share the base's index and caches instead of building them again: they are read-only
        # apart from memo caches (typo repairs, entry stems) that hold the same values for everyone.
        # The base's own constructor is skipped on purpose.
        self.__dict__.update(base.__dict__)
        self._base = base
        self._taught: list[tuple[tuple[str, ...], Entry]] = []
        extra: dict[str, set[str]] = {}
        for p in phrases:
            entry = self._kb.get(p.entry_id)
            tokens = phrase_tokens(p.phrase)
            if entry is None or not tokens:
                continue  # the entry left the knowledge since it was taught
            self._taught.append((tokens, entry))
            extra.setdefault(entry.id, set()).update(tokens)
        # Longest phrases first: "zorblax pipeline audit" beats "zorblax pipeline".
        self._taught.sort(key=lambda t: -len(t[0]))
        self._taught_stems = {eid: frozenset(s) for eid, s in extra.items()}
        self._all_taught = frozenset(s for stems in extra.values() for s in stems)

    def semantic(self) -> SemanticIndex | None:
        """The shared searcher's semantic index (taught phrases are not embedded): built once, whichever
        workspace asks first."""
        return self._base.semantic()

    @property
    def taught(self) -> int:
        """How many phrases are laid over the shared index."""
        return len(self._taught)

    def _taught_hit(self, text: str) -> tuple[Entry, bool] | None:
        """The entry a taught phrase in ``text`` names, and whether the question *is* that phrase."""
        tokens = phrase_tokens(text)
        if not tokens:
            return None
        for phrase, entry in self._taught:
            if tokens == phrase:
                return entry, True
        for phrase, entry in self._taught:
            if _contains(tokens, phrase):
                return entry, False
        return None

    def search(self, text: str, *, limit: int = 5, command: str | None = None) -> list[Hit]:
        hits = super().search(text, limit=limit + 1, command=command)
        found = self._taught_hit(text)
        if found is None:
            return hits[:limit]
        entry, exact = found
        best = hits[0].score if hits else 0.0
        score = best + (_EXACT_BONUS if exact else _CONTAINED_BONUS)
        rest = [h for h in hits if h.entry.id != entry.id]
        return [Hit(entry, round(score, 4), exact), *rest][:limit]

    def question_words(self, text: str) -> list[QuestionWord]:
        words = super().question_words(text)
        if not self._all_taught:
            return words
        out: list[QuestionWord] = []
        for w in words:
            typed_stem = stem_word(w.typed)
            if typed_stem in self._all_taught:
                # A taught word is taken as typed (never "repaired" into another word) and is known.
                w = replace(w, word=w.typed, stem=typed_stem, repaired=False, known=True)
            out.append(w)
        return out

    def entry_stems(self, entry: Entry) -> frozenset[str]:
        stems = super().entry_stems(entry)
        extra = self._taught_stems.get(entry.id)
        return stems | extra if extra else stems
