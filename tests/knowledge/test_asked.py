"""How a question is put: who asks is left out of what is searched, and the kind of answer it wants is read."""

from __future__ import annotations

import pytest

from knowledge.asked import wanted, without_asker, without_asker_zh


@pytest.mark.parametrize(
    ("text", "left_out", "kept"),
    [
        ("What business risks should a commercial open source company manage?", "commercial open source", "risks"),
        ("As CFO, what are the main ways companies like ours bring in money?", "CFO", "money"),
        ("according to the overview, who does executive search", "overview", "executive search"),
    ],
)
def test_who_asks_is_left_out(text: str, left_out: str, kept: str) -> None:
    read = without_asker(text)
    assert left_out not in read and kept in read, read


def test_the_asker_stays_when_nothing_else_is_asked() -> None:
    assert "commercial open source" in without_asker("are we a commercial open source company")
    assert "commercial open source" in without_asker("services specific to commercial open source vendors")
    assert without_asker_zh("作为CFO，有哪些收入来源") == " 有哪些收入来源"


@pytest.mark.parametrize(
    ("text", "who", "kinds", "others"),
    [
        ("Which international law firm is recommended?", True, False, False),
        ("要找CEO，哪家猎头比较专业？", True, False, False),
        ("What are the main categories of business risk?", False, True, False),
        ("We only sell subscriptions. What other ways of making money are there?", False, False, True),
        ("开源公司除了卖授权，还有哪些收入方式？", False, True, True),
        ("executive search", False, False, False),
    ],
)
def test_the_kind_of_answer_wanted(text: str, who: bool, kinds: bool, others: bool) -> None:
    w = wanted(text, without_asker(text))
    assert (w.who, w.kinds, w.others) == (who, kinds, others), w


@pytest.mark.parametrize(
    ("text", "read"),
    [
        (
            "hiring sales + pmm + product ppl, not execs. recruiting help?",
            "hiring sales + pmm + product ppl . recruiting help?",
        ),
        ("need senior AEs (not c-level)", "need senior AEs  )"),
        ("9 months runway, not profitable, cash flow ugly", "9 months runway, not profitable, cash flow ugly"),
        ("we're not sure, not yet anyway", "we're not sure, not yet anyway"),
    ],
)
def test_what_the_asker_sets_aside_is_not_asked(text, read):
    assert without_asker(text) == read


def test_a_role_set_aside_does_not_rank_its_search_firms_first(searcher):
    hits = searcher.search("hiring sales + pmm + product ppl, not execs. recruiting help?", command="service")
    assert hits[0].entry.title == "Professional Talent Recruitment", [h.entry.title for h in hits[:3]]
