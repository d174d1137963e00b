"""After the words: search's best entries reordered by what the question asks for, then by meaning.

``knowledge.search`` ranks the entries by the question's words. Three reorderings follow, in this order, on the
scores it computed (``(score, document index)`` pairs, best first):

* asked for "the others" ("what other revenue models besides support"), the best entry's parent, a grouping entry
  among the best few, goes first (``parent_first``);
* a question that names an entry and one of its children by their titles asks for the child (``named_child_first``);
* otherwise the best few are reordered by meaning as well as words (``by_meaning``, ``knowledge.semantic``).
"""

from __future__ import annotations

from collections.abc import Sequence

from knowledge.index import Doc
from knowledge.semantic import SemanticIndex

__all__ = [
    "GROUP_KINDS",
    "MEANING_GATE",
    "MEANING_WEIGHT",
    "Scores",
    "by_meaning",
    "named_child_first",
    "parent_first",
]

Scores = list[tuple[float, int]]

# Entries that group others: a risk group, a business-model group, a service area...
GROUP_KINDS = frozenset(
    {"risk_group", "business_model_group", "specialised_group", "service_area", "success_factor_group", "case_group"}
)
# How far down a child named by its title is looked for, and how far it then leads its parent.
_CHILD_WINDOW = 6
_CHILD_LEAD = 1.05
# The best few entries are reordered by how close they are in meaning to the question (``knowledge.semantic``): an
# entry's score drops by MEANING_WEIGHT x the best score x how far it trails the closest of the few.
MEANING_WEIGHT = 2.0
_MEANING_HEAD = 8
# ... only when one of them is at least this close: a question far from every entry ("recommend a board game") has
# no meaning to go by, only shared words.
MEANING_GATE = 0.42


def _ahead(scores: Scores, rank: int) -> Scores:
    """``scores`` with the entry at ``rank`` moved first, leading the former first by ``_CHILD_LEAD``."""
    return [(scores[0][0] * _CHILD_LEAD, scores[rank][1]), *scores[:rank], *scores[rank + 1 :]]


def parent_first(docs: Sequence[Doc], scores: Scores) -> Scores:
    """The best entry's parent, when it is among the best few, goes first (the question asks for the others)."""
    parent_id = docs[scores[0][1]].entry.parent
    for rank, (_score, i) in enumerate(scores[1:_CHILD_WINDOW], start=1):
        if docs[i].entry.id == parent_id and docs[i].entry.kind in GROUP_KINDS:
            return _ahead(scores, rank)
    return scores


def named_child_first(
    docs: Sequence[Doc], scores: Scores, grams: frozenset[tuple[str, ...]], present: frozenset[str]
) -> Scores:
    """When the question names both an entry and one of its children by their titles ("which market- and
    customer-related factors matter for success" names Market and Customers and Success Key Factors), the child is
    what is asked: it goes first. Only one named child counts."""
    parent_id = docs[scores[0][1]].entry.id
    named = [
        rank
        for rank, (_score, i) in enumerate(scores[1:_CHILD_WINDOW], start=1)
        if docs[i].entry.parent == parent_id
        and len(docs[i].title_phrase) >= 2
        and (docs[i].title_phrase in grams or docs[i].title_words <= present)
    ]
    # Several children named ("business model consulting, market analysis and partner management"): the
    # entry that groups them is what is asked.
    return _ahead(scores, named[0]) if len(named) == 1 else scores


def by_meaning(meaning: SemanticIndex | None, scores: Scores, text: str) -> Scores:
    """The best ``_MEANING_HEAD`` entries reordered by meaning as well as words: each drops by ``MEANING_WEIGHT``
    x the best score x how far its closeness to ``text`` trails the closest of them. When the words and the meaning
    agree on the best entry, its lead grows; when they disagree, the one the meaning prefers can lead."""
    if meaning is None:
        return scores
    close = meaning.closeness(text)
    head = scores[:_MEANING_HEAD]
    closest = max(close[i] for _score, i in head)
    if closest < MEANING_GATE:
        return scores
    top = head[0][0]
    moved = [(max(score - MEANING_WEIGHT * top * float(closest - close[i]), 0.0), i) for score, i in head]
    moved.extend(scores[_MEANING_HEAD:])
    moved.sort(key=lambda s: (-s[0], s[1]))
    return moved
