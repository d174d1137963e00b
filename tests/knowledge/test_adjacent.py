"""Near-domain questions: a term of a neighbouring topic the best entry does not explain means "can't answer".

``dev2_traps.json`` / ``dev2_chat_inscope.json`` were written for this rule (adjacent HR, tax, finance-metric,
licensing and engineering questions; chatty in-scope messages with context and typos) and tuned on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.adjacent import adjacent_phrases, idiom_words, is_adjacent_term
from knowledge.decision import MATCH, decide

HERE = Path(__file__).resolve().parent


def test_terms_are_matched_as_typed_not_by_stem():
    assert is_adjacent_term("payroll") and is_adjacent_term("Payrolls") and is_adjacent_term("penalties")
    # "several" stems like "severance": the list is read word for word so it does not stop "several regions".
    assert not is_adjacent_term("several") and not is_adjacent_term("regions") and not is_adjacent_term("tax")


def test_phrases_are_found_word_for_word_in_any_inflection():
    assert adjacent_phrases("how do I file my personal taxes") == [("personal", "tax")]
    assert adjacent_phrases("tax in several countries") == []
    assert adjacent_phrases("our personal data and the tax office") == []


@pytest.mark.parametrize(
    "question",
    [
        "what's the penalty for paying our payroll taxes late",
        "how do I file my personal taxes",
        "how do I calculate our churn rate",
        # Registering with an authority and employment law are neighbouring topics too.
        "how do we register for vat in the eu",
        "legal says we need a works council consultation before the reorg",
    ],
)
def test_a_neighbouring_topic_is_declined_even_with_enough_evidence(searcher, question):
    outcome = decide(searcher, question, command="risk")
    assert not outcome.matched and outcome.reason == "adjacent topic", outcome


@pytest.mark.parametrize(
    "question",
    ["recommend a board game for six people", "what movie should we watch for team movie night", "set a timer"],
)
def test_everyday_asks_that_share_a_word_with_an_entry_are_declined(searcher, question):
    """ "board" is the overview's word (Board Governance), a board game is not its topic."""
    outcome = decide(searcher, question, command="service")
    assert not outcome.matched and outcome.reason == "adjacent topic", outcome


def test_the_term_alone_declines_a_question_the_shares_would_answer(searcher):
    outcome = decide(searcher, "how do I calculate our churn rate", command="service")
    assert outcome.evidence >= MATCH and not outcome.matched and outcome.reason == "adjacent topic", outcome


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        # The entry itself uses the term ("may miss payroll"): answered.
        ("we may miss payroll next month", "risk.financial-risk"),
        ("who can watch alerts and monitoring for our customers' clusters at night", None),
        ("transfer pricing between our subsidiaries in several countries", "risk.tax-compliance"),
        # "several" stems like "severance", which is on the list.
        ("we need to deploy across several regions", None),
        # A trademark registered by someone else is the IP entry's own topic ("trademark registration").
        ("someone registered a trademark similar to our project name", "service.intellectual-property-strategy"),
        # "k8s" is read as the "kubernetes" the entry names.
        ("our product has to play nicely with k8s", "factor.ecosystem-compatibility"),
    ],
)
def test_a_term_the_entry_explains_is_answered(searcher, question, entry):
    outcome = decide(searcher, question, command="service")
    assert outcome.matched and outcome.reason != "adjacent topic", outcome
    if entry is not None:
        assert outcome.top is not None and outcome.top.entry.id == entry


async def test_the_declined_reply_is_the_honest_one(harness):
    reply = await harness.say("/cos-service how do I file my personal taxes")
    assert not reply.matched


def _rate(kb, replies, queries) -> float:
    from tests.knowledge.test_honest_answers import _right

    return sum(_right(kb, r, q["expect"]) for r, q in zip(replies, queries, strict=True)) / len(queries)


@pytest.mark.parametrize(("name", "floor"), [("dev2_traps.json", 0.85), ("dev_traps.json", 0.8)])
async def test_near_domain_traps_declined(harness, name, floor):
    queries = json.loads((HERE / name).read_text(encoding="utf-8"))
    answered = [q["q"] for q in queries if (await harness.say(q["q"])).matched]
    assert 1 - len(answered) / len(queries) >= floor, answered


async def test_chatty_in_scope_questions_still_answered(harness, kb):
    queries = json.loads((HERE / "dev2_chat_inscope.json").read_text(encoding="utf-8"))
    replies = [await harness.say(q["q"]) for q in queries]
    assert _rate(kb, replies, queries) >= 0.85


def test_a_neighbouring_word_in_an_idiom_is_not_the_topic(searcher):
    question = (
        "so ceo came back from an offsite all fired up and now wants 3 more products around the core db, "
        "a pipeline thing, an observability thing. product line extension yay or nay"
    )
    outcome = decide(searcher, question, command="service")
    assert outcome.matched and outcome.top is not None and outcome.top.entry.title == "Product Line Extension"
    assert not decide(searcher, "can we fire an employee during probation", command="service").matched
    assert idiom_words("All FIRED up, on fire") == {"fired", "fire"}
