"""The words of a question as the answer-or-abstain decision weighs them (``knowledge.decision``)."""

from __future__ import annotations

import re
from collections import defaultdict

from knowledge.english import everyday_share
from knowledge.lexicon import CHATTER, CITIES, FRAME_WORDS
from knowledge.search import QuestionWord, Searcher
from knowledge.words import is_stopword, stem_word, synonyms_of, tokenize, words_of

__all__ = ["is_manner_adverb", "question_words"]

# A number, an ordinal or an amount typed as one word ("40", "2nd", "8k", "2m", "10x", "30s", "2yrs"; not "1b" of
# "H-1B"): the asker's context.
_FIGURE_WORD = re.compile(r"^\d+(?:st|nd|rd|th|k|m|bn|mm|x|s|ms|h|hrs|min|mins|yrs|yr)?$")


def is_manner_adverb(word: str) -> bool:
    """An "-ly" adverb made from an everyday English word ("roughly", "steadily", "realistically", "nicely")."""
    if len(word) < 6 or not word.endswith("ly"):
        return False
    base = word[:-2]
    forms = (base, base[:-1] + "y" if base.endswith("i") else "", base[:-2] if base.endswith("al") else "", base + "e")
    return any(len(f) >= 4 and everyday_share(f) > 0 for f in forms)


def question_words(searcher: Searcher, text: str) -> list[QuestionWord]:
    """The question's distinct content words, typos repaired, with weight (IDF over the searcher's entries; a
    word no entry uses weighs like the rarest) and the stems the synonym lexicon adds for each."""
    text = searcher.readable(text)
    words: list[str] = []
    typed: list[str] = []
    for w in words_of(text):
        t = w
        if not is_stopword(w) and stem_word(w) not in searcher._known_stems and not synonyms_of(w):
            w = searcher.repair(w) or w
        words.append(w)
        typed.append(t)
    syns: dict[int, set[str]] = defaultdict(set)
    for i in range(len(words)):
        for size in (1, 2, 3):
            expansion = synonyms_of(" ".join(words[i : i + size])) if i + size <= len(words) else None
            if expansion:
                stems = {t for phrase in expansion for t in tokenize(phrase)}
                for j in range(i, i + size):
                    syns[j].update(stems)
    top_idf = searcher.top_idf
    for i, w in enumerate(words):
        if typed[i] == w and stem_word(w) not in searcher._idf and not syns.get(i) and is_manner_adverb(w):
            typed[i] = ""  # "roughly", "steadily", "realistically": how it is said, not what about
    found: list[QuestionWord] = []
    seen: set[str] = set()
    for i, w in enumerate(words):
        stem = stem_word(w)
        said = typed[i]
        if (
            is_stopword(w)
            or stem in seen
            or len(said) < 2
            or said in CHATTER
            or said in FRAME_WORDS
            or said in CITIES
            or _FIGURE_WORD.match(said)
        ):
            continue
        seen.add(stem)
        synonyms = frozenset(syns.get(i, ()))
        if stem in searcher._idf:
            weight = searcher._idf[stem]
        else:
            indexed = [searcher._idf[t] for t in synonyms if t in searcher._idf]
            weight = sum(indexed) / len(indexed) if indexed else top_idf
        found.append(
            QuestionWord(
                typed=typed[i],
                word=w,
                stem=stem,
                weight=weight,
                synonyms=synonyms,
                repaired=w != typed[i],
                known=stem in searcher._idf or bool(synonyms),
            )
        )
    return found
