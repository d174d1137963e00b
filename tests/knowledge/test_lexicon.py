"""The lexicon at work: spellings, shorthand, chat's fillers and everyday names of what the overview covers."""

from __future__ import annotations

import pytest

from knowledge.decision import decide
from knowledge.words import words_of


def test_british_spellings_read_as_the_overviews_words(searcher):
    assert words_of("our organisation's partner programme") == ["our", "organization", "partner", "program"]
    outcome = decide(searcher, "how should we run a partner programme for companies building on our platform")
    assert outcome.matched and outcome.top is not None and outcome.top.entry.title == "Partner Management", outcome


def test_hours_after_a_number_are_not_human_resources(searcher):
    assert words_of("a 6 hr drive") == ["a", "6", "hours", "drive"]
    assert words_of("hr wants a new payroll tool") == ["human", "resources", "wants", "a", "new", "payroll", "tool"]
    assert not decide(searcher, "best podcast for a 6 hr drive? not true crime pls", command="service").matched


@pytest.mark.parametrize(
    ("question", "title"),
    [
        # shorthand and places
        ("google cloud ps for our multi cloud story?", "Google Cloud Professional Services"),
        ("which chinese open source companies got commercial success", "Domestic Commercial Open Source Success Cases"),
        # everyday names of what the overview covers
        ("when should we start thinking about going public or selling the company", "Commercialization Maturity"),
        (
            "A hardware vendor wants to ship our engine inside their appliance. Which revenue model fits that deal?",
            "License Fee Model",
        ),
        ("What are the different ways an open source company can bring in revenue?", "Diversified Revenue Models"),
        ("great strategy decks every quarter, nothing ever actually ships on time", "Execution Capability"),
        ("betting the whole roadmap on wasm and it might be a dead end tbh", "Technology Risk"),
        ("customers in europe and asia want our service hosted close to them", "Multi-regional Deployment"),
        ("how to serve small and mid-sized businesses differently from large enterprises", "SME Customers"),
        ("Who gathers information on what our competitors are doing?", "Competitive Intelligence Services"),
        ("product wants to dig into how users actually behave and what they need", "Customer Behavior Analysis"),
        # a pace, not a procedure
        ("Expanding step by step into new countries", "Geographic Expansion"),
    ],
)
def test_everyday_names_of_what_the_overview_covers(searcher, question, title):
    outcome = decide(searcher, question, command="risk" if "risk" in title.lower() else "service")
    assert outcome.matched and outcome.top is not None and outcome.top.entry.title == title, outcome


def test_how_the_asker_feels_is_not_what_is_asked(searcher):
    question = "our eng folks hate 'sales culture' creeping in. help"
    assert "hate" not in {w.typed for w in searcher.question_words(question)}
    outcome = decide(searcher, question, command="service")
    assert outcome.matched and outcome.top is not None and outcome.top.entry.title == "Cultural Balance", outcome


@pytest.mark.parametrize(
    "question",
    [
        "how to handle a GDPR data subject access request step by step",
        "Which IRS form do we send employees who exercised incentive stock options?",
    ],
)
def test_steps_and_forms_asked_for_are_declined(searcher, question):
    assert not decide(searcher, question, command="risk").matched
