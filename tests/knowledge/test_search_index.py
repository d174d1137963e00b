"""The search index's fast paths give exactly what the plain computations give: BM25F summed word by word along
the postings, phrase bonuses looked up by phrase, typo repair by rapidfuzz's edit distance."""

from __future__ import annotations

import random

import pytest

from knowledge import Searcher
from knowledge.search import _K1, _SINGLE_PHRASE, _SINGLE_TITLE, _SYNONYM_COVER, _YEAR_SCORE
from knowledge.words import example_stems, ngrams, stem_word

QUESTIONS = [
    "who can run our soc 2 audit before enterprise customers sign",
    "runway is ~11 months and we're still not profitable, how worried should i be",
    "open source license compliance for a database company in year 3 and year 4",
    "integrators like Accenture for a go to market in europe",
    "executive search firms to hire a cro, and what a board looks like",
]


def osa(a: str, b: str) -> int:
    """Optimal string alignment distance, the textbook dynamic programme (the reference)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def closest_by_scanning(searcher: Searcher, word: str) -> str | None:
    """Typo repair the slow way: every indexed word of a near length compared with the reference distance."""
    if searcher._typos.left_alone(word):
        return None
    limit = 1 if len(word) < 8 else 2
    sizes = [len(word)] if len(word) <= 4 else range(len(word) - limit, len(word) + limit + 1)
    best: tuple[int, int, str] | None = None
    for cand in searcher._typos.words():
        if len(cand) not in sizes or cand[0] not in word[:2]:
            continue
        d = osa(word, cand)
        if d <= limit:
            key = (d, -searcher._df.get(stem_word(cand), 0), cand)
            best = key if best is None or key < best else best
    return best[2] if best else None


def typos(words: list[str], rng: random.Random) -> list[str]:
    out = []
    for w in words:
        i = rng.randrange(len(w))
        kind = rng.choice("dist")
        if kind == "d":
            out.append(w[:i] + w[i + 1 :])
        elif kind == "i":
            out.append(w[:i] + rng.choice("aeiourst") + w[i:])
        elif kind == "s" and i + 1 < len(w):
            out.append(w[:i] + w[i + 1] + w[i] + w[i + 2 :])
        else:
            out.append(w[:i] + rng.choice("aeiourst") + w[i + 1 :])
    return out


def test_typo_repair_finds_what_scanning_every_word_finds(searcher: Searcher) -> None:
    rng = random.Random(7)
    words = [w for w in searcher._typos.words() if len(w) >= 5]
    sample = typos(rng.sample(words, 300), rng)
    # the first two letters swapped ("rgowth"): the word is looked for under its second letter too
    sample += [w[1] + w[0] + w[2:] for w in rng.sample(words, 60) if w[0] != w[1]]
    checked = 0
    for typo in sample:
        assert searcher._typos.closest(typo) == closest_by_scanning(searcher, typo), typo
        checked += not searcher._typos.left_alone(typo)
    assert checked > 150  # most typos of indexed words are repaired, and the same way
    assert searcher.repair("gdrp") == "gdpr" and searcher.repair("excutive") == "executive"


@pytest.mark.parametrize("question", QUESTIONS)
def test_word_scores_along_the_postings_equal_the_sum_entry_by_entry(searcher: Searcher, question: str) -> None:
    q = searcher._query(searcher.readable(question))
    fast = searcher._word_scores(q.weights)
    slow = {}
    for i, doc in enumerate(searcher._docs):
        norm = searcher._norms[i]
        score, used = 0.0, False
        for term, qw in q.weights.items():
            tf = doc.tf.get(term)
            if tf:
                used = True
                score += qw * searcher._idf[term] * tf * (_K1 + 1) / (tf + norm)
        if used:
            slow[i] = score
    assert fast == slow  # the same floats, not just close ones: rankings never change with the method
    assert fast


@pytest.mark.parametrize("question", QUESTIONS)
def test_coverage_along_the_postings_equals_the_sum_entry_by_entry(searcher: Searcher, question: str) -> None:
    q = searcher._query(searcher.readable(question))
    found = searcher._word_scores(q.weights)
    slow = {}
    for i, doc in enumerate(searcher._docs):
        year_part = len(q.years & doc.years) / len(q.years) if q.years and doc.years else 0.0
        covered, used = _YEAR_SCORE / 2 * year_part, bool(q.years and doc.years and i in found)
        for t, group_syns, group_idf in q.groups:
            if t in doc.tf:
                covered, used = covered + group_idf, True
            elif group_syns and not group_syns.isdisjoint(doc.stems):
                covered += group_idf * (_SYNONYM_COVER if t in searcher._idf and t not in q.carried else 1.0)
                used = True
        if used:
            slow[i] = covered
    fast = searcher._coverage(q.groups, q, found)
    assert {i: c for i, c in fast.items() if c or i in slow} == slow  # the same floats, added in the same order
    assert any(c != int(c) for c in slow.values())


@pytest.mark.parametrize("question", QUESTIONS)
def test_phrase_bonuses_looked_up_by_phrase_equal_those_found_entry_by_entry(searcher: Searcher, question: str) -> None:
    text = searcher.readable(question)
    grams = ngrams(searcher._query(text).tokens, searcher._longest_phrase)
    examples = example_stems(text)
    slow = {}
    for i, doc in enumerate(searcher._docs):
        bonus = 0.0
        for phrase in doc.phrases:
            if phrase in grams and not examples.issuperset(phrase):
                factor = (
                    (_SINGLE_TITLE if phrase == doc.title_phrase else _SINGLE_PHRASE)
                    if len(phrase) == 1
                    else 1.0 + 0.5 * (len(phrase) - 1)
                )
                bonus = max(bonus, sum(searcher._idf.get(t, 0.0) for t in phrase) * factor)
        if bonus > 0:
            slow[i] = bonus
    assert searcher._phrase_bonuses(grams, examples) == slow


def test_did_you_mean_keeps_every_title_word_difflib_would_take(searcher):
    """The rapidfuzz prefilter leaves difflib's choice unchanged: checked against difflib over every title word."""
    import difflib
    import random

    from knowledge.spelling import _near, _title_words

    titles = tuple(searcher.titles())
    words = _title_words(titles)
    rng = random.Random(7)
    typed = [w[:k] + rng.choice("aeioust") + w[k + 1 :] for w in words for k in (0, len(w) // 2)]
    typed += [w[: len(w) // 2] + w[len(w) // 2 + 1 :] for w in words] + ["pasta", "weather", "kubernetes"]
    for word in typed:
        assert difflib.get_close_matches(word, _near(word, titles), n=1, cutoff=0.75) == difflib.get_close_matches(
            word, words, n=1, cutoff=0.75
        ), word


def test_the_combined_figure_pattern_matches_as_the_asks_joined_whole() -> None:
    """Testing the word boundary once per position changes no verdict: checked on every labelled question."""
    import json
    import re
    from pathlib import Path

    from knowledge.asking import _FIGURE, FIGURE_ASKS, _alternatives, _as_typed

    for ask in FIGURE_ASKS:
        assert "|".join(_alternatives(ask.pattern)) == ask.pattern
        assert len(_alternatives("a[|b]c|(d|e)|f")) == 3
    whole = re.compile("|".join(f"(?:{ask.pattern})" for ask in FIGURE_ASKS))
    texts = [ask.example for ask in FIGURE_ASKS]
    for path in Path(__file__).parent.glob("*.json"):
        texts.extend(q["q"] for q in json.loads(path.read_text(encoding="utf-8")))
    found = 0
    for text in texts:
        typed = _as_typed(text)
        assert (whole.search(typed) is None) == (_FIGURE.search(typed) is None), text
        found += whole.search(typed) is not None
    assert found > 300  # the asks are exercised, not just the misses
