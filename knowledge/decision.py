"""Answer or abstain: does the best entry really explain the question?

Search always ranks something first, even for "how do I cook pasta". This
module decides whether that first entry is an answer or only the nearest thing
the overview has, from two shares of the question's content words (stop words
left out, each word weighted by its IDF over the entries, a word no entry uses
weighing as much as the rarest one):

* ``coverage``: the share the best entry itself explains: the word is in its
  title, aliases, role, text or items, or a synonym the lexicon gives for the
  word (or a phrase it is part of) is. A typo repair counts only when the typed
  word is not ordinary English ("excutive" yes, "bread" -> "break" no).
* ``known``: the share the overview knows at all (some entry or the lexicon
  uses the word). Words the overview never uses are what off-topic questions
  are made of ("weather", "pasta", "dentist").

``evidence = coverage * known``: how much of the question the entry answers,
discounted again by how much of it lies outside the overview. The question is
answered when the best entry is its title or an alias word for word, when
``evidence >= MATCH``, when ``evidence >= BORDERLINE`` and the best entry is
a clear winner (the best entry outside its own family, parent, children and
siblings, scores at most ``1 - CLEAR_MARGIN`` of it: two sibling topics close
together still point at one area), or
when the question names the best entry (one of its title or alias phrases,
weighing ``NAMED_WEIGHT`` in IDF, is in it), ``evidence >= NAMED_EVIDENCE`` and
the runner-up is ``NAMED_MARGIN`` behind: the other words are the asker's
context ("big customers keep sending questionnaires about gdpr"). So is a
question holding every word of the best entry's title of two or more words
("need to build a sales team from scratch") with that lead. A Chinese
question that names the best entry is also answered when the entry explains
the words the overview knows in it and leads the entries of other families:
its unknown words are the asker's everyday Chinese, which the lexicon lacks
("公司基本没有内控，报销全靠老板一个人签字"). A Chinese question whose words the overview mostly knows
(``known >= ZH_PLAIN_KNOWN``) is answered when the best entry explains ``ZH_PLAIN_COVERAGE`` of it: the Chinese
questions the overview does not answer are made of words it does not know ("去日本旅游需要准备哪些东西").
A question whose best entry by words is also the entry closest to it in meaning of all (``knowledge.semantic``,
at least ``AGREED_CLOSENESS``) is answered on ``AGREED_EVIDENCE``: two readings that share little agree by chance
rarely.
Even then, a question that asks how to do a task of one's own ("how do I write
a Helm chart") or for a figure, a norm, a definition or a template ("what's the
VAT rate in Germany"; ``knowledge.asking``) is declined: the overview names
services and providers, not instructions or numbers.
Before the shares count, a question naming a neighbouring topic the overview
does not answer ("payroll", "VAT penalty", "tax return", ``knowledge.adjacent``)
is declined unless the best entry's own words use that term, the question is
its title or an alias, or the term is only named as an example ("an exam like
the kubernetes ones").
Otherwise the bot says it cannot answer from the overview and offers the
nearest entries (``coverage >= SUGGEST``) as "did you mean".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.adjacent import adjacent_phrases, idiom_words, is_adjacent_term
from knowledge.asking import asks_for_figure, personal_task
from knowledge.english import everyday_share, is_english_word
from knowledge.model import Entry
from knowledge.search import Hit, QuestionWord, Searcher
from knowledge.text import has_han
from knowledge.words import example_stems, is_opaque, stem_word, tokenize

__all__ = [
    "BORDERLINE",
    "CLEAR_MARGIN",
    "MATCH",
    "NAMED_EVIDENCE",
    "NAMED_MARGIN",
    "NAMED_WEIGHT",
    "SUGGEST",
    "SearchOutcome",
    "decide",
    "explained_share",
]

# At least this much of the question answered by the entry: an answer.
MATCH = 0.6
# Between BORDERLINE and MATCH: an answer only when the best entry clearly beats the runner-up.
BORDERLINE = 0.3
CLEAR_MARGIN = 0.2
# A question that names the best entry (a title or alias phrase in it weighing NAMED_WEIGHT in IDF) with
# a clear lead over the runner-up is answered on less evidence: the other words are the asker's context.
NAMED_EVIDENCE = 0.15
NAMED_MARGIN = 0.3
NAMED_WEIGHT = 2.5
# A Chinese question's everyday words are mostly unknown to the lexicon (jieba cannot tell a chatty word from a
# term), so its known share runs low: a Chinese question that names the best entry (ZH_NAMED_WEIGHT), whose known
# words that entry explains (ZH_EXPLAINED of them) and whose known share is at least ZH_KNOWN, is answered when the
# best entry leads its rivals outside its family by CLEAR_MARGIN.
ZH_NAMED_WEIGHT = 4.0
ZH_EXPLAINED = 0.9
ZH_KNOWN = 0.2
# A Chinese question the overview mostly knows (its known share at least ZH_PLAIN_KNOWN) is answered when the best
# entry explains ZH_PLAIN_COVERAGE of it.
ZH_PLAIN_KNOWN = 0.65
ZH_PLAIN_COVERAGE = 0.3
# Words and meaning agree: the best entry by words is also the entry closest in meaning to the question of all
# (``knowledge.semantic``), at least AGREED_CLOSENESS close; then AGREED_EVIDENCE is enough. Two readings that
# share little agree by chance rarely ("we keep guessing where the market goes next year, any way to do it w data").
AGREED_CLOSENESS = 0.5
AGREED_EVIDENCE = 0.2
# A runner-up within this share of the best entry's score lends it its words for the neighbouring-topic check.
NEAR = 0.8
# When abstaining, entries that explain at least this share of the question are offered.
SUGGEST = 0.25
_MAX_SUGGESTIONS = 3


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """What search found for a question and whether it answers it."""

    matched: bool
    # "exact" (title or alias), "explained", "clear winner", "named", "agreed", "adjacent topic", "personal task",
    # "figure", "weak" or "nothing found".
    reason: str
    hits: tuple[Hit, ...]
    coverage: float
    known: float
    # coverage * known, the number the decision is made on.
    evidence: float
    # 1 - runner-up score / best score (1.0 without a runner-up).
    margin: float
    # When not matched: the nearest entries, best first (possibly none).
    suggestions: tuple[Entry, ...] = ()

    @property
    def top(self) -> Hit | None:
        return self.hits[0] if self.hits else None

    @property
    def runner_up(self) -> Hit | None:
        return self.hits[1] if len(self.hits) > 1 else None


def _credit(word: QuestionWord) -> float:
    """How far a word counts as explained when its (possibly repaired) form is found."""
    if not word.repaired:
        return 1.0
    english = is_english_word(word.typed)
    if english is None:  # no word list: a repair is a guess, half believed
        return 0.5
    return 0.0 if english else 1.0


# How far an everyday English word ("keep", "months", "sign") weighs less than a term ("soc2", "antitrust").
EVERYDAY_DISCOUNT = 0.5


def _weight(word: QuestionWord) -> float:
    """How much a word carries the question: rare in the overview (IDF) and a term rather than everyday language."""
    if is_opaque(word.typed):  # a Chinese word the lexicon does not know: judged by jieba's word counts
        from knowledge.chinese import everyday_share as everyday_chinese

        return word.weight * (1.0 - EVERYDAY_DISCOUNT * everyday_chinese(word.typed))
    return word.weight * (1.0 - EVERYDAY_DISCOUNT * everyday_share(word.typed))


def explained_share(words: list[QuestionWord], stems: frozenset[str]) -> float:
    """The weighted share of ``words`` that an entry with these ``stems`` explains."""
    total = sum(_weight(w) for w in words)
    if total <= 0:
        return 0.0
    got = sum(_weight(w) * _credit(w) for w in words if w.stem in stems or w.synonyms & stems)
    return got / total


def _known_share(words: list[QuestionWord]) -> float:
    total = sum(_weight(w) for w in words)
    if total <= 0:
        return 0.0
    return sum(_weight(w) * _credit(w) for w in words if w.known) / total


def _off_to_the_side(word: QuestionWord, stems: frozenset[str]) -> bool:
    """A term of a neighbouring topic (payroll, VAT penalty, AGPL) that the best entry's own words do not use.

    A synonym does not count here: "agpl" leads to "license", but an entry about licence fees does not explain
    the AGPL.
    """
    if not is_adjacent_term(word.typed):
        return False
    return not (word.stem in stems or stem_word(word.typed) in stems)


# A question after a figure the overview gives names nothing it does not know ("how much did Red Hat pay for
# Ansible" names a deal the overview does not tell); in Chinese, whose everyday words the lexicon lacks, the overview
# knows ZH_PLAIN_KNOWN of it.
FIGURE_KNOWN = 0.9
# The figures the overview itself gives: what a company was bought for or is worth ("acquired by IBM for $34
# billion", "market cap over $10 billion after IPO").
_ENTRY_FIGURE = re.compile(r"\$\s?\d|\b\d+(?:\.\d+)?\s*(?:billion|million)\b", re.IGNORECASE)
_ASKS_WORTH = re.compile(
    r"\b(?:pay|paid|sold|sell|acquired?|bought|buy|worth|valued?|valuation|market cap)\b|收购|买下|估值|市值|出售"
)
_OTHER_FIGURE = re.compile(r"\b(?:revenue|rate|rates|fee|fees|salary|per|price of|charge)\b")


def _figure_in_entry(searcher: Searcher, text: str, read: str, entry: Entry) -> bool:
    """The question names ``entry`` and asks what it was bought for or is worth, a figure the entry states
    ("how much did IBM pay for Red Hat"): the overview answers it. ``read`` is the question as the index reads it."""
    lowered = (text if has_han(text) else read).lower()
    return (
        _ENTRY_FIGURE.search(entry.text) is not None
        and _ASKS_WORTH.search(lowered) is not None
        and _OTHER_FIGURE.search(lowered) is None
        and searcher.named_weight(text, entry) >= NAMED_WEIGHT
    )


def _agreed(searcher: Searcher, text: str, entry: Entry) -> bool:
    """``entry``, best by words, is also the closest in meaning of all entries, at least ``AGREED_CLOSENESS``."""
    closest = searcher.closest_in_meaning(text)
    return closest is not None and closest[0].id == entry.id and closest[1] >= AGREED_CLOSENESS


def _kin(a: Entry, b: Entry) -> bool:
    """Entries of one family: one is the other's parent, or they share a parent."""
    return a.parent == b.id or b.parent == a.id or (a.parent is not None and a.parent == b.parent)


def decide(searcher: Searcher, text: str, *, command: str | None = None, limit: int = 4) -> SearchOutcome:
    """Search ``text`` and decide whether the best entry answers it."""
    hits = tuple(searcher.search(text, limit=max(limit, 3), command=command))
    if not hits:
        return SearchOutcome(
            matched=False, reason="nothing found", hits=(), coverage=0.0, known=0.0, evidence=0.0, margin=0.0
        )
    words = searcher.question_words(text)
    best = hits[0]
    coverage = explained_share(words, searcher.entry_stems(best.entry))
    known = _known_share(words)
    evidence = coverage * known
    margin = 1.0 - hits[1].score / best.score if len(hits) > 1 and best.score > 0 else 1.0
    rival = next((h for h in hits[1:] if not _kin(best.entry, h.entry)), None)
    family_margin = 1.0 - rival.score / best.score if rival is not None and best.score > 0 else 1.0
    stems = searcher.entry_stems(best.entry)
    # The words of the best entry and of its close runners-up: a term one of them uses ("churn" in Customer
    # Success Management) is the overview's, even when the best entry (Customer Success Team) lacks it.
    near = stems.union(*(searcher.entry_stems(h.entry) for h in hits[1:3] if h.score >= NEAR * best.score))
    # the task as asked, or after who asks ("ceo here, how do i structure a pitch deck")
    read = searcher.readable(text)
    task = personal_task(text) or (None if has_han(text) else personal_task(read.strip()))
    examples = example_stems(read)
    idioms = idiom_words(read)
    if best.exact:
        matched, reason = True, "exact"
    elif any(_off_to_the_side(w, near) for w in words if w.stem not in examples and w.typed not in idioms) or any(
        not all(stem_word(w) in near for w in phrase) for phrase in adjacent_phrases(read)
    ):
        matched, reason = False, "adjacent topic"
    elif evidence >= MATCH:
        matched, reason = True, "explained"
    elif evidence >= BORDERLINE and family_margin >= CLEAR_MARGIN:
        matched, reason = True, "clear winner"
    elif (
        evidence >= NAMED_EVIDENCE
        and margin >= NAMED_MARGIN
        and searcher.named_weight(text, best.entry) >= NAMED_WEIGHT
    ):
        matched, reason = True, "named"
    elif margin >= NAMED_MARGIN and searcher.names_title_words(text, best.entry):
        matched, reason = True, "named"
    elif (
        has_han(text)
        and known >= ZH_KNOWN
        and coverage >= ZH_EXPLAINED * known
        and family_margin >= CLEAR_MARGIN
        and searcher.named_weight(text, best.entry) >= ZH_NAMED_WEIGHT
    ):
        matched, reason = True, "named"
    elif has_han(text) and known >= ZH_PLAIN_KNOWN and coverage >= ZH_PLAIN_COVERAGE:
        matched, reason = True, "explained"
    elif evidence >= AGREED_EVIDENCE and _agreed(searcher, text, best.entry):
        matched, reason = True, "agreed"
    else:
        matched, reason = False, "weak"
    if matched and not best.exact:
        # Enough evidence, but the question asks for what the overview never gives: instructions, a figure.
        if task is not None and stem_word(task) not in tokenize(best.entry.title):
            matched, reason = False, "personal task"
        elif asks_for_figure(text) and not (
            known >= (ZH_PLAIN_KNOWN if has_han(text) else FIGURE_KNOWN)
            and _figure_in_entry(searcher, text, read, best.entry)
        ):
            matched, reason = False, "figure"
    suggestions: tuple[Entry, ...] = ()
    if not matched:
        suggestions = tuple(
            h.entry for h in hits[:_MAX_SUGGESTIONS] if explained_share(words, searcher.entry_stems(h.entry)) >= SUGGEST
        )
    return SearchOutcome(
        matched=matched,
        reason=reason,
        hits=hits[:limit],
        coverage=round(coverage, 4),
        known=round(known, 4),
        evidence=round(evidence, 4),
        margin=round(margin, 4),
        suggestions=suggestions,
    )
