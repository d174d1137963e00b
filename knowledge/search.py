"""Free-text search over the knowledge entries.

A field-weighted BM25 (title, aliases, text, parent) over stemmed words, with
three additions that make it work for how people ask in chat:

* phrase matches: a title or alias found whole in the question scores high,
  and a question that *is* a title or alias wins outright;
* a small lexicon of synonyms and paraphrase words, expanded at lower weight;
* typo repair: a word the index does not know is mapped to the closest known
  word (Damerau-Levenshtein distance 1, or 2 for long words).

The best entries are then reordered by what the question asks for and by
meaning (``knowledge.reorder``, ``knowledge.semantic``). Everything is built in
memory from the entries at start-up; nothing is downloaded.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.asked import wanted, without_asker, without_asker_zh
from knowledge.english import is_english_word
from knowledge.index import Doc, entry_texts, index_entry
from knowledge.lexicon import (
    CARRIED_BY_SYNONYMS,
    CHATTER,
    GROUP_HINTS,
    STOPWORDS,
)
from knowledge.loader import KnowledgeBase
from knowledge.model import RISK_KINDS, Entry
from knowledge.reorder import GROUP_KINDS, by_meaning, named_child_first, parent_first
from knowledge.repair import TypoRepair
from knowledge.semantic import SemanticIndex, semantic_index
from knowledge.text import has_han
from knowledge.words import (
    example_stems,
    ngrams,
    normalise_query,
    raw_words,
    stem_word,
    synonyms_of,
    tokenize,
    words_of,
    year_values,
)

__all__ = ["Hit", "QuestionWord", "Searcher", "tokenize", "normalise_query"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the entry and how well it matched."""

    entry: Entry
    score: float
    # The question is this entry's title or one of its aliases, word for word.
    exact: bool = False


@dataclass(frozen=True, slots=True)
class QuestionWord:
    """One content word of a question, as the answer-or-abstain decision weighs it."""

    typed: str
    # The word searched for: ``typed``, or the indexed word typo repair put in its place.
    word: str
    stem: str
    # How much the word says: its IDF over the entries; a word no entry uses counts like the rarest.
    weight: float
    # Stems the synonym lexicon adds for it (from the word or a phrase it is part of).
    synonyms: frozenset[str]
    repaired: bool
    # Some entry, or the synonym lexicon, uses the word.
    known: bool


# Extra for a question that is a title letter for letter ("Diversified Revenue Models", not "...Model").
_RAW_TITLE = 8.0
# Weights of a question's synonyms (the entries' fields are weighted in ``knowledge.index``).
_W_SYNONYM = 0.45
_W_SYNONYM_ONLY = 0.8
# A word of chat that says how the asker feels or fills the sentence ("think", "honestly", "worried").
_W_CHATTER = 0.3
_K1 = 1.2
_B = 0.6
# Kinds that mostly repeat others; ranked a little lower so the specific entry wins.
_KIND_PRIOR = {
    "section": 0.8,
    "summary": 0.6,
    "summary_point": 0.55,
    "stage_characteristic": 0.85,
    "success_factor_group": 0.85,
    "risk_group": 0.9,
    "case_group": 0.85,
    "business_model_group": 0.9,
}


@dataclass(slots=True)
class _Query:
    tokens: list[str]
    weights: dict[str, float]
    # one group per distinct question word: (its stem, the stems of its synonyms)
    groups: list[tuple[str, frozenset[str], float]]
    years: frozenset[int]
    carried: frozenset[str]


# How much a doc's score depends on covering all of the question's words.
_COVERAGE_POWER = 1.0
_SYNONYM_COVER = 0.6
_YEAR_SCORE = 7.0
_TITLE_EXACT = 30.0
_SINGLE_PHRASE = 0.75
# A one-word title ("MongoDB", "Accenture") named outside an example outweighs one-word aliases.
_SINGLE_TITLE = 3.0
_ALIAS_EXACT = 25.0
# Words named as an example ("integrators like Accenture") weigh this much, and their phrases get no bonus.
_EXAMPLE = 0.5
# A title's words all in the question, not side by side: a phrase bonus at this factor.
_TITLE_WORDS = 2.0


# Asked who does it, a provider's score is multiplied by PROVIDER_INTENT; asked for kinds of things, a grouping
# entry's by GROUP_INTENT (``knowledge.asked``).
PROVIDER_INTENT = 1.5
GROUP_INTENT = 1.5


class Searcher:
    """In-memory index over a knowledge base; cheap to query, rebuilt on reload."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._kb = kb
        self._docs: list[Doc] = []
        self._df: Counter[str] = Counter()
        # the words the entries use, for typo repair
        vocabulary: set[str] = set()
        self._known_stems: set[str] = set()
        # Chinese titles and aliases of the entries, read as the entry's English title.
        self._zh_terms: dict[str, tuple[str, ...]] = {}
        self._zh_read: dict[str, str] = {}
        titles: dict[str, set[str]] = {}
        for entry in kb.entries.values():
            parent = kb.get(entry.parent) if entry.parent else None
            doc = index_entry(entry, parent)
            self._docs.append(doc)
            self._known_stems.update(doc.tf)
            for text, _weight in entry_texts(entry, parent):
                vocabulary.update(w for w in words_of(text) if w not in STOPWORDS and len(w) >= 3)
            zh = entry.localized("zh")
            if zh is not None:
                for name in (zh.title, *zh.aliases):
                    if has_han(name):
                        titles.setdefault(name.strip(), set()).add(entry.title)
        # A Chinese name shared by several entries names none of them.
        self._zh_terms.update({name: (next(iter(t)),) for name, t in titles.items() if len(t) == 1})
        for doc in self._docs:
            self._df.update(doc.tf.keys())
        self._doc_of = {doc.entry.id: doc for doc in self._docs}
        # Typo repair compares an unknown word with the words the entries use.
        self._typos = TypoRepair(vocabulary, self._df)
        self._n = len(self._docs)
        self._avg_len = sum(d.length for d in self._docs) / max(self._n, 1)
        self._idf = {t: math.log(1 + (self._n - df + 0.5) / (df + 0.5)) for t, df in self._df.items()}
        # The weight of the rarest word: what the decision gives a word no entry uses.
        self.top_idf = max(self._idf.values(), default=1.0)
        self._longest_phrase = max((len(p) for d in self._docs for p in d.phrases), default=0)
        # Which entries use a word (and how often), and which name years: only those can score above 0. A
        # question's words are scored word by word along these lists, not entry by entry over every word.
        postings: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, doc in enumerate(self._docs):
            for term, tf in doc.tf.items():
                postings[term].append((i, tf))
        self._postings = dict(postings)
        self._norms = [_K1 * (1 - _B + _B * doc.length / self._avg_len) for doc in self._docs]
        # Which entries a title, alias or role phrase names, with its bonus factor and the sum of its words' IDF.
        phrase_docs: defaultdict[tuple[str, ...], list[tuple[int, float, float]]] = defaultdict(list)
        for i, doc in enumerate(self._docs):
            for phrase in dict.fromkeys(doc.phrases):
                size = len(phrase)
                factor = (
                    (_SINGLE_TITLE if phrase == doc.title_phrase else _SINGLE_PHRASE)
                    if size == 1
                    else 1.0 + 0.5 * (size - 1)
                )
                phrase_docs[phrase].append((i, factor, sum(self._idf.get(t, 0.0) for t in phrase)))
        self._phrase_docs = dict(phrase_docs)
        self._with_years = [i for i, doc in enumerate(self._docs) if doc.years]
        self._meaning: SemanticIndex | None = None
        self._meaning_tried = False
        self._meaning_lock = threading.Lock()

    # -- querying -----------------------------------------------------------
    def readable(self, text: str) -> str:
        """``text`` as the index reads it: a Chinese question's words in the knowledge's English words, and the
        words that refer to the document itself left out ("does the overview list", "according to the overview")."""
        if not has_han(text):
            return without_asker(text)
        text = without_asker_zh(text)
        read = self._zh_read.get(text)
        if read is None:
            from knowledge.chinese import to_index_words  # jieba only for a question in Chinese

            read = to_index_words(text, extra=self._zh_terms)
            if len(self._zh_read) < 4096:
                self._zh_read[text] = read
        return read

    def _query(self, text: str) -> _Query:
        """Stemmed question words (typos repaired), their weights incl. synonyms, and groups."""
        weights: dict[str, float] = defaultdict(float)
        tokens: list[str] = []
        syns: dict[str, set[str]] = defaultdict(set)
        all_words = words_of(text)
        fixed_words: list[str] = []
        owner: list[int | None] = []  # index into tokens, None for stop words
        for w in all_words:
            if w in STOPWORDS:
                fixed_words.append(w)
                owner.append(None)
                continue
            stem = stem_word(w)
            if stem not in self._known_stems and not synonyms_of(w):
                fixed = self._typos.repair(w)
                if fixed is not None:
                    w, stem = fixed, stem_word(fixed)
            fixed_words.append(w)
            owner.append(len(tokens))
            tokens.append(stem)
            weights[stem] = max(weights[stem], _W_CHATTER if w in CHATTER else 1.0)
        # Synonyms: words and two- and three-word phrases of the question.
        n = len(fixed_words)
        for i in range(n):
            for size in (1, 2, 3):
                if i + size > n:
                    break
                gram = " ".join(fixed_words[i : i + size])
                expansion = synonyms_of(gram)
                if not expansion:
                    continue
                if size == 1 and owner[i] is None:
                    continue
                owners = [tokens[o] for o in owner[i : i + size] if o is not None]
                # A word the knowledge never uses is carried by its synonyms alone.
                unknown = bool(owners) and (
                    all(o not in self._known_stems for o in owners) or gram in CARRIED_BY_SYNONYMS
                )
                weight = _W_SYNONYM_ONLY if unknown else _W_SYNONYM
                if gram in CARRIED_BY_SYNONYMS and len(owners) < len(tokens):
                    # A place named beside another topic says where ("resellers in latin america"), not what.
                    weight = _W_SYNONYM
                for syn in expansion:
                    for t in tokenize(syn):
                        weights[t] = max(weights.get(t, 0.0), weight)
                        for o in owners:
                            syns[o].add(t)
        # Two or more clouds (or places) named together mean "several of them".
        present = set(fixed_words) | {" ".join(fixed_words[i : i + 2]) for i in range(len(fixed_words) - 1)}
        for names, expansion in GROUP_HINTS:
            if len(present & names) >= 2:
                for syn in expansion:
                    for t in tokenize(syn):
                        weights[t] = max(weights.get(t, 0.0), _W_SYNONYM)
        carried = {stem_word(w) for w in fixed_words if w in CARRIED_BY_SYNONYMS}
        years = frozenset(year_values(text))
        if years:
            # "year four" is matched by its number; the word "year" itself says little.
            if "year" in weights:
                weights["year"] = min(weights["year"], 0.2)
        groups = []
        seen = set()
        for t in tokens:
            if t not in seen:
                seen.add(t)
                group_syns = frozenset(x for x in syns.get(t, ()) if x in self._idf)
                if t in self._idf and t not in carried:
                    weight = self._idf[t]
                elif group_syns:
                    weight = sum(self._idf[x] for x in group_syns) / len(group_syns)
                else:
                    continue
                groups.append((t, group_syns, weight))
        return _Query(tokens=tokens, weights=dict(weights), groups=groups, years=years, carried=frozenset(carried))

    def search(self, text: str, *, limit: int = 5, command: str | None = None) -> list[Hit]:
        """Best entries for ``text``, best first; ``command`` ('service'/'risk') biases the kind."""
        asked = text
        text = self.readable(text)
        q = self._query(text)
        tokens, weights = q.tokens, q.weights
        if not weights and not q.years:
            return []
        joined = " ".join(tokens)
        present = frozenset(tokens)
        raw = raw_words(text)
        idf = self._idf
        examples = example_stems(text)
        wants = wanted(asked, text)
        grams = ngrams(tokens, self._longest_phrase)
        if examples:
            weights = {t: w * _EXAMPLE if t in examples else w for t, w in weights.items()}
            groups = [(t, syns, w * _EXAMPLE if t in examples else w) for t, syns, w in q.groups]
        else:
            groups = q.groups
        total_idf = sum(g[2] for g in groups) + (_YEAR_SCORE / 2 if q.years else 0.0)
        scores: list[tuple[float, int]] = []
        exact: set[int] = set()
        found = self._word_scores(weights)
        if q.years:
            for i in self._with_years:
                found.setdefault(i, 0.0)
        bonuses = self._phrase_bonuses(grams, examples)
        coverage = self._coverage(groups, q, found) if total_idf > 0 else {}
        for i in sorted(found):
            doc = self._docs[i]
            score = found[i]
            year_part = 0.0
            if q.years and doc.years:
                year_part = len(q.years & doc.years) / len(q.years)
                score += _YEAR_SCORE * year_part
            if score <= 0:
                continue
            if joined in doc.title_exact:
                score += _TITLE_EXACT + (_RAW_TITLE if raw == doc.raw_title else 0.0)
                exact.add(i)
            elif joined in doc.exact:
                score += _ALIAS_EXACT
                exact.add(i)
            else:
                bonus = bonuses.get(i, 0.0)
                # Every word of a title of two or more words, in any order ("the right time to go to market").
                if len(doc.title_words) >= 2 and doc.title_words <= present:
                    bonus = max(bonus, sum(idf.get(t, 0.0) for t in doc.title_words) * _TITLE_WORDS)
                score += bonus
            if total_idf > 0:
                covered = coverage.get(i, 0.0)
                score *= (covered / total_idf) ** _COVERAGE_POWER if covered else 0.3
            score *= _KIND_PRIOR.get(doc.entry.kind, 1.0)
            if wants.who and doc.entry.kind == "provider":
                score *= PROVIDER_INTENT
            elif wants.kinds and doc.entry.kind in GROUP_KINDS:
                score *= GROUP_INTENT
            if command == "risk":
                score *= 1.35 if doc.entry.kind in RISK_KINDS else 1.0
            elif command == "service":
                score *= 0.9 if doc.entry.kind in RISK_KINDS else 1.0
            scores.append((score, i))
        scores.sort(key=lambda s: (-s[0], s[1]))
        if len(scores) > 1 and scores[0][1] not in exact:
            # What the question asks for (the others, a named child) decides first; else the meaning may reorder.
            docs = self._docs
            moved = parent_first(docs, scores) if wants.others else named_child_first(docs, scores, grams, present)
            if moved is scores and not has_han(asked):
                moved = by_meaning(self.semantic(), scores, text)
            scores = moved
        return [Hit(self._docs[i].entry, round(s, 4), i in exact) for s, i in scores[:limit]]

    def _word_scores(self, weights: dict[str, float]) -> dict[int, float]:
        """BM25F of each entry that uses a question word, by entry index: computed word by word along the postings
        (each entry's terms are added in the order of ``weights``, as an entry-by-entry sum would add them)."""
        found: dict[int, float] = {}
        norms = self._norms
        idf = self._idf
        for term, qw in weights.items():
            posting = self._postings.get(term)
            if not posting:
                continue
            base = qw * idf[term]
            for i, tf in posting:
                found[i] = found.get(i, 0.0) + base * tf * (_K1 + 1) / (tf + norms[i])
        return found

    def _coverage(
        self, groups: list[tuple[str, frozenset[str], float]], q: _Query, found: dict[int, float]
    ) -> dict[int, float]:
        """Per entry index, the IDF of the question's word groups it explains (its own word, else a synonym at
        ``_SYNONYM_COVER``), years counting half: group by group along the postings, each entry's sum added in the
        same order as entry by entry."""
        docs, postings, idf = self._docs, self._postings, self._idf
        covered = {
            i: _YEAR_SCORE / 2 * (len(q.years & docs[i].years) / len(q.years))
            for i in (found if q.years else ())
            if docs[i].years
        }
        for t, group_syns, group_idf in groups:
            own = {i for i, _tf in postings.get(t, ())}
            for i in own:
                covered[i] = covered.get(i, 0.0) + group_idf
            if group_syns:
                value = group_idf * (_SYNONYM_COVER if t in idf and t not in q.carried else 1.0)
                by_synonym = {i for syn in group_syns for i, _tf in postings.get(syn, ())}
                for i in by_synonym - own:
                    covered[i] = covered.get(i, 0.0) + value
        return covered

    def _phrase_bonuses(self, grams: frozenset[tuple[str, ...]], examples: frozenset[str]) -> dict[int, float]:
        """Per entry index, the bonus of its heaviest title, alias or role phrase found in the question (a phrase
        named only as an example earns none)."""
        bonuses: dict[int, float] = {}
        for gram in grams:
            named = self._phrase_docs.get(gram)
            if named is None or examples.issuperset(gram):
                continue
            for i, factor, gram_idf in named:
                bonus = gram_idf * factor
                if bonus > bonuses.get(i, 0.0):
                    bonuses[i] = bonus
        return bonuses

    def semantic(self) -> SemanticIndex | None:
        """The entries' semantic index, built on first use (None when the model cannot be loaded)."""
        if not self._meaning_tried:
            with self._meaning_lock:
                if not self._meaning_tried:
                    if self._meaning is None:
                        self._meaning = semantic_index([doc.entry for doc in self._docs])
                    if self._meaning is not None and not self._meaning.ready():
                        self._meaning = None
                    self._meaning_tried = True
        return self._meaning

    # Pickled by the knowledge cache with the semantic index's vectors, if built; without its lock.
    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        del state["_meaning_lock"]
        state["_meaning_tried"] = False
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._meaning_lock = threading.Lock()

    def closest_in_meaning(self, text: str) -> tuple[Entry, float] | None:
        """The entry closest in meaning to the question among all entries, and how close (None: no model, or a
        question in Chinese)."""
        meaning = self.semantic()
        if meaning is None or has_han(text):
            return None
        close = meaning.closeness(self.readable(text))
        if close.size == 0:
            return None
        best = int(close.argmax())
        return self._docs[best].entry, float(close[best])

    def suggestions(self, text: str, *, limit: int = 3) -> list[str]:
        """Titles that look like what was typed, for "did you mean" (``knowledge.spelling``)."""
        from knowledge.spelling import did_you_mean

        return did_you_mean(self, text, limit=limit)

    def repair(self, word: str) -> str | None:
        """The closest indexed word to a word the index does not know (a typo), or None (``knowledge.repair``)."""
        return self._typos.repair(word)

    def titles(self) -> Iterable[str]:
        return (d.entry.title for d in self._docs)

    # -- evidence for the answer-or-abstain decision (knowledge.decision) -------
    def question_words(self, text: str) -> list[QuestionWord]:
        """The question's distinct content words, typos repaired, with weight and synonyms."""
        from knowledge.evidence import question_words

        return question_words(self, text)

    def named_weight(self, text: str, entry: Entry) -> float:
        """The IDF sum of the heaviest title or alias phrase of ``entry`` found in the question (0.0: none is)."""
        tokens = self._query(self.readable(text)).tokens
        phrases = self._doc_of[entry.id].phrases if entry.id in self._doc_of else []
        grams = ngrams(tokens, self._longest_phrase)
        found = [sum(self._idf.get(t, 0.0) for t in p) for p in phrases if p in grams]
        return max(found, default=0.0)

    def names_title_words(self, text: str, entry: Entry) -> bool:
        """Every word of ``entry``'s title of two or more words is in the question, in any order ("need to build a
        sales team from scratch" names Sales Team Building)."""
        doc = self._doc_of.get(entry.id)
        if doc is None or len(doc.title_words) < 2:
            return False
        return doc.title_words <= frozenset(self._query(self.readable(text)).tokens)

    def warm(self) -> None:
        """Load what the first questions would otherwise load as they come: the English word list that typo
        repair asks (about a third of a second, once per process) and the semantic index (about a fifth). For a
        long-running bot, on a thread beside its start (``knowledge.chinese.warm_in_background``)."""
        is_english_word("warm")
        self.semantic()

    def entry_stems(self, entry: Entry) -> frozenset[str]:
        """The stems an entry itself uses: title, aliases, role, text, items, owner, note and its parent's title
        (a phase of "Development Path and Milestones" explains "milestones"); its index document's words."""
        doc = self._doc_of.get(entry.id)
        if doc is None:  # an entry from outside the index
            doc = index_entry(entry, self._kb.get(entry.parent) if entry.parent else None)
        return doc.stems
