"""Search's best few reordered by meaning (knowledge.semantic): the packaged model, what it changes, what it leaves."""

from __future__ import annotations

import logging
import pickle
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from knowledge import KnowledgeBase, Searcher, semantic
from knowledge.cache import content_key
from knowledge.decision import AGREED_EVIDENCE, BORDERLINE, decide
from knowledge.reorder import MEANING_GATE
from knowledge.semantic import model_files, semantic_index
from knowledge.taught import TaughtPhrase, TaughtSearcher

# Shares "market" with Market Timing and Marketing Team alike; it means the team.
SAID_OTHERWISE = "our marketing is literally the founders tweeting. time for a real team?"


@pytest.fixture
def without_model(searcher: Searcher):
    """Searchers built inside this fixture find no model (as on a broken install); the model comes back after.
    The shared searcher keeps its index."""
    assert searcher.semantic() is not None
    former = semantic._reset_for_tests(unavailable=True)
    yield
    semantic._reset_for_tests(unavailable=False)
    semantic._model = former


def _top(searcher: Searcher, text: str, command: str = "service") -> str:
    return searcher.search(text, command=command)[0].entry.title


def test_the_model_ships_in_the_installed_package():
    files = model_files()
    assert files is not None
    tokenizer, weights = files
    assert tokenizer.stat().st_size > 100_000 and weights.stat().st_size > 1_000_000


def test_reading_the_model_does_not_import_the_wordllama_package():
    """Its import (pydantic, requests) costs a third of a second; only its two data files are read."""
    code = (
        "import sys\n"
        "from knowledge import load_knowledge\n"
        "from knowledge.semantic import semantic_index\n"
        "index = semantic_index(list(load_knowledge().entries.values()))\n"
        "assert index is not None and index.ready()\n"
        "print('wordllama' in sys.modules, 'pydantic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["False", "False"]


def test_a_question_in_other_words_is_closest_to_the_entry_it_means(kb: KnowledgeBase):
    index = semantic_index(list(kb.entries.values()))
    assert index is not None and index.ready()
    titles = [e.title for e in kb.entries.values()]
    close = index.closeness(SAID_OTHERWISE)
    assert close[titles.index("Marketing Team")] > close[titles.index("Market Timing")] + 0.05
    assert close.max() <= 1.0 + 1e-6 and close.min() >= -1.0 - 1e-6


def test_meaning_puts_the_meant_entry_first(searcher: Searcher, kb: KnowledgeBase, without_model):
    assert _top(searcher, SAID_OTHERWISE) == "Marketing Team"
    words_only = Searcher(kb)  # built without the model: the words alone rank Market Timing first here
    assert words_only.semantic() is None
    assert _top(words_only, SAID_OTHERWISE) == "Market Timing"


def test_agreement_of_words_and_meaning_widens_the_lead(searcher: Searcher, kb: KnowledgeBase, without_model):
    """A question both readings put on one entry gets a clearer lead, so the decision can answer it."""
    question = "What does a subscription offering look like for an open source company?"
    both = decide(searcher, question, command="service")
    words_only = decide(Searcher(kb), question, command="service")
    assert both.top is not None and both.top.entry.title == "Subscription Service Model"
    assert both.matched
    assert both.margin > words_only.margin


def test_far_from_every_entry_the_words_alone_decide(searcher: Searcher, kb: KnowledgeBase, without_model):
    """Below the gate, meaning says nothing: the order is the words' own."""
    question = "how long should i boil an egg"
    index = searcher.semantic()
    assert index is not None
    hits = searcher.search(question, limit=8)
    assert max(index.closeness(searcher.readable(question))[_positions(searcher, hits)]) < MEANING_GATE
    words_only = Searcher(kb).search(question, limit=8)
    assert [(h.entry.id, h.score) for h in hits] == [(h.entry.id, h.score) for h in words_only]


def _positions(searcher: Searcher, hits) -> list[int]:
    order = [doc.entry.id for doc in searcher._docs]
    return [order.index(h.entry.id) for h in hits]


def test_a_chinese_question_is_not_embedded(searcher: Searcher, kb: KnowledgeBase, without_model):
    question = "我们的市场营销全靠创始人发推，是时候组建正式团队了吗？"
    with_model = [(h.entry.id, h.score) for h in searcher.search(question, limit=6)]
    assert with_model == [(h.entry.id, h.score) for h in Searcher(kb).search(question, limit=6)]


def test_an_asked_for_kind_of_answer_is_not_undone_by_meaning(searcher: Searcher):
    """The question names a parent and one of its children: the child goes first, whatever the meaning says."""
    assert searcher.search("Which market- and customer-related factors matter most for success?")[0].entry.id == (
        "factor.market-and-customers"
    )


def test_a_broken_install_logs_once_and_search_still_answers(kb: KnowledgeBase, without_model, caplog, monkeypatch):
    semantic._reset_for_tests(unavailable=False)
    monkeypatch.setattr(semantic, "model_files", lambda: None)
    with caplog.at_level(logging.WARNING, logger="knowledge.semantic"):
        first, second = Searcher(kb), Searcher(kb)
        assert _top(first, "soc 2 audit") == _top(second, "soc 2 audit")
    assert [r.getMessage() for r in caplog.records] == ["semantic ranking off: FileNotFoundError"]


def test_the_cached_index_keeps_the_vectors_and_answers_alike(kb: KnowledgeBase, monkeypatch):
    fresh = Searcher(kb)
    assert fresh.semantic() is not None
    again = pickle.loads(pickle.dumps(fresh))
    embedded: list[int] = []
    model = semantic._load_model()
    assert model is not None
    original = model.embed_known

    def counting(texts):
        embedded.append(len(texts))
        return original(texts)

    monkeypatch.setattr(model, "embed_known", counting)
    for question in (SAID_OTHERWISE, "we might run out of cash", "who can help with soc 2"):
        assert [h.entry.id for h in again.search(question)] == [h.entry.id for h in fresh.search(question)]
    assert embedded == []  # the entries' vectors came with the pickle
    read, built = again.semantic(), fresh.semantic()
    assert read is not None and built is not None
    assert (read.closeness(SAID_OTHERWISE) == built.closeness(SAID_OTHERWISE)).all()  # exactly, not nearly


def test_searchers_built_side_by_side_build_one_index_each(kb: KnowledgeBase, monkeypatch):
    """Many threads asking one new searcher for its index get the same one, built once."""
    built: list[int] = []
    real = semantic.semantic_index

    def counting(entries):
        built.append(len(entries))
        return real(entries)

    monkeypatch.setattr("knowledge.search.semantic_index", counting)
    fresh = Searcher(kb)
    with ThreadPoolExecutor(max_workers=8) as pool:
        indexes = list(pool.map(lambda _: fresh.semantic(), range(32)))
    assert built == [len(kb.entries)]
    assert all(index is indexes[0] and index is not None for index in indexes)


def test_the_remembered_entry_vectors_start_again_when_full(kb: KnowledgeBase, monkeypatch):
    """Past its bound the memory of the entries' vectors is cleared, and the texts asked then still come back."""
    model = semantic._load_model()
    assert model is not None
    monkeypatch.setattr(semantic, "_KNOWN_MAX", 50)
    monkeypatch.setattr(model, "_known", {})
    titles = [e.title for e in kb.entries.values()]
    first = model.embed_known(titles[:40])
    again = model.embed_known(titles[:60])  # 20 new ones: over the bound, the memory starts again
    assert again.shape == (60, first.shape[1])
    assert (again[:40] == first).all()
    assert 0 < len(model._known) <= 20  # only the texts new to the second call were kept


def test_workspaces_share_the_shared_searchers_index(searcher: Searcher):
    taught = TaughtSearcher(searcher, [TaughtPhrase(phrase="zorblax pipeline", entry_id="risk.market-risk")])
    assert taught.semantic() is searcher.semantic()
    assert taught.search(SAID_OTHERWISE)[0].entry.title == "Marketing Team"


def test_a_searcher_read_from_the_cache_can_be_cached_again(kb: KnowledgeBase):
    fresh = Searcher(kb)
    assert fresh.semantic() is not None
    read = pickle.loads(pickle.dumps(fresh))
    again = pickle.loads(pickle.dumps(read))  # not used in between: its vectors are still as read
    assert [h.entry.id for h in again.search(SAID_OTHERWISE)] == [h.entry.id for h in fresh.search(SAID_OTHERWISE)]


def test_the_cache_key_follows_the_model_files(monkeypatch, tmp_path):
    before = content_key()
    monkeypatch.setattr("knowledge.cache.model_files", lambda: None)
    assert content_key() != before


def test_an_empty_knowledge_base_has_no_closest_entry(kb: KnowledgeBase):
    empty = Searcher(KnowledgeBase(entries={}))
    assert empty.closest_in_meaning("who can help with soc 2") is None
    assert decide(empty, "who can help with soc 2").reason == "nothing found"


def test_words_and_meaning_agreeing_answer_what_the_words_alone_decline(
    searcher: Searcher, kb: KnowledgeBase, without_model
):
    """A chatty question whose words the best entry explains only in part: the meaning points at the same entry,
    so it is answered; without the model it is declined as weak."""
    question = "we keep guessing where the market goes next year, any way to do it w data"
    outcome = decide(searcher, question, command="service")
    assert outcome.top is not None and outcome.top.entry.title == "Market Trend Prediction"
    assert (outcome.matched, outcome.reason) == (True, "agreed")
    assert AGREED_EVIDENCE <= outcome.evidence < BORDERLINE
    words_only = decide(Searcher(kb), question, command="service")
    assert (words_only.matched, words_only.reason) == (False, "weak")


@pytest.mark.parametrize(
    "question",
    [
        "how long should i boil an egg",
        "what's a good laptop for a designer",
        "can you help me write a haiku about autumn",
    ],
)
def test_meaning_does_not_answer_what_the_overview_does_not_cover(searcher: Searcher, question: str):
    outcome = decide(searcher, question, command="service")
    assert not outcome.matched, (question, outcome.reason, outcome.top)


def test_a_title_asked_word_for_word_loads_no_model_from_the_cache(tmp_path):
    """The cache keeps the entries' vectors as bytes: a question that is a title needs no numpy and no model."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from knowledge.cache import load_cached\n"
        f"loaded = load_cached([], cache_dir=Path({str(tmp_path)!r}))\n"
        "assert loaded.searcher.search('legal')[0].exact\n"
        "before = 'numpy' in sys.modules\n"
        "top = loaded.searcher.search('our marketing is literally the founders tweeting. time for a real team?')\n"
        "print(loaded.from_cache, before, 'numpy' in sys.modules, top[0].entry.title)\n"
    )

    def run() -> list[str]:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
        return out.stdout.strip().split(maxsplit=3)

    first, second = run(), run()
    assert first == ["False", "True", "True", "Marketing Team"]  # a fresh build embeds the entries
    assert second == ["True", "False", "True", "Marketing Team"]


@pytest.mark.parametrize(("chosen", "expected"), [(None, "1"), ("2", "2")])
def test_the_model_runs_numpy_on_one_blas_thread_unless_the_operator_chose(chosen: str | None, expected: str) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if chosen is not None:
        env["OPENBLAS_NUM_THREADS"] = chosen
    script = (
        "import os, sys\n"
        "from knowledge import semantic\n"
        "assert 'numpy' not in sys.modules\n"
        "assert semantic._load_model() is not None\n"
        "print(os.environ['OPENBLAS_NUM_THREADS'])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected
