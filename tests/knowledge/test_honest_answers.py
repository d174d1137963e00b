"""Honest answers: a card only when the overview covers the question, else "I can't answer that".

Question sets (judged like ``cos-bot ask --json``: ``matched`` and ``results[0]``):

* ``dev_queries.json`` / ``dev_outofscope_queries.json``: the team's shared dev sets;
* ``heldout_queries.json``: in-scope paraphrases written without seeing the aliases;
* ``inscope_tune.json`` / ``offtopic_tune.json``: written for this work, used while choosing the rule;
* ``inscope_heldout.json`` / ``offtopic_heldout.json``: written at the same time, split off at random
  and not looked at until the rule was fixed;
* ``dev3_chat_inscope.json`` / ``dev3_traps.json``: written for the how-to and figure rules (first-person
  questions that seek help, new near-domain traps) before they were measured, then tuned on;
* ``heldout4_*.json``: written fresh and scored once unseen (chat 0.80, plain 0.85, Chinese 0.70, traps 0.84),
  then tuned on; their floors sit under the figures measured after that.
* ``heldout5_*.json`` and ``heldout6_*.json``: the same, each scored once unseen, then tuned on (heldout6 in
  the fourth round: its traps 0.82 -> 0.92, Chinese 0.875 -> 0.95);
* ``heldout7_*.json`` to ``heldout11_*.json`` (the fourth session): 7 and 8 scored unseen before and after the
  first round, then tuned on; 9 scored unseen after the second round, 10 after the third, then tuned on; 11
  scored unseen after the fourth round and not tuned on (its floors guard the figures measured then), then tuned
  on in the fifth session;
* ``dev4_*.json`` to ``dev7_*.json`` (the fifth session): each written fresh between two rounds, scored unseen
  against the code of that moment, then tuned on; ``heldout12_*.json``: written at the session's start, scored
  once at its end (chat 0.867, plain 0.867, Chinese 0.975, traps 0.86, chat off topic 0.95, Chinese off topic
  1.00) and not tuned on, then tuned on in the sixth session;
* ``dev8_*.json`` (the sixth session): written fresh, scored unseen before and after the meaning model
  (``knowledge.semantic``; chat 0.883 -> 0.967), then tuned on; ``heldout13_*.json``: written at the session's
  start, scored then and once at its end (chat 0.80 -> 0.833, plain 0.95 -> 0.967, Chinese 1.00 -> 1.00, traps
  0.86 -> 0.86, chat off topic 1.00 -> 1.00, Chinese off topic 0.80 -> 0.833) and not tuned on;
* ``dev9_*.json`` (the seventh session): written fresh, scored unseen (chat 0.84, plain 0.90, Chinese 1.00,
  traps 0.925, chat off topic 1.00, Chinese off topic 0.92), then tuned on; ``heldout14_*.json``: written at the
  session's start, scored then and once at its end (chat 0.90 -> 0.90, plain 0.883 -> 0.883, Chinese 0.95 ->
  0.95, traps 0.96 -> 0.96, chat off topic 0.95 -> 0.95, Chinese off topic 0.967 -> 0.967) and not tuned on.
* ``heldout15_*.json`` (the eighth session): scored unseen at its start (chat 0.867, plain 0.883, Chinese 0.95,
  traps 0.94, chat off topic 0.95, Chinese off topic 1.00), then tuned on; ``heldout16_*.json`` and
  ``heldout17_*.json``: written at the session's start, scored then and once at its end (16: chat 0.85 -> 0.867,
  plain 0.95 -> 0.95, Chinese 0.975 -> 0.975, traps 0.98 -> 0.98, chat and Chinese off topic 1.00 -> 1.00;
  17: chat 0.967 -> 0.967, plain 0.983 -> 0.983, Chinese and every off-topic set 1.00 -> 1.00), then tuned on.
  ``heldout18_*.json`` is the next round's unseen set.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answering.render import result_text
from bot.kernel.reply import to_text
from bot.kernel.router import Action
from knowledge.decision import BORDERLINE, MATCH, decide, explained_share
from knowledge.english import is_english_word
from tests.test_cli import run

HERE = Path(__file__).resolve().parent


def _right(kb, reply, expect: list[str]) -> bool:
    if not reply.matched or not reply.results:
        return False
    blob = result_text(kb, kb.get(reply.results[0])).lower().replace("×", "x")
    return any(e.lower().replace("×", "x") in blob for e in expect)


async def _in_scope(harness, kb, name: str) -> tuple[float, list[str]]:
    queries = json.loads((HERE / name).read_text(encoding="utf-8"))
    misses = [q["q"] for q in queries if not _right(kb, await harness.say(q["q"]), q["expect"])]
    return 1 - len(misses) / len(queries), misses


async def _abstains(harness, name: str) -> tuple[float, list[str]]:
    queries = json.loads((HERE / name).read_text(encoding="utf-8"))
    answered = [q["q"] for q in queries if (await harness.say(q["q"])).matched]
    return 1 - len(answered) / len(queries), answered


# -- the targets ---------------------------------------------------------------
async def test_dev_set_top1_right_and_matched(harness, kb):
    rate, misses = await _in_scope(harness, kb, "dev_queries.json")
    assert rate >= 0.95, (rate, misses)


async def test_dev_off_topic_set_abstains(harness):
    rate, answered = await _abstains(harness, "dev_outofscope_queries.json")
    assert rate >= 0.95, (rate, answered)


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("heldout_queries.json", 0.95),
        ("inscope_tune.json", 0.95),
        ("inscope_heldout.json", 0.9),
    ],
)
async def test_in_scope_paraphrases_answered(harness, kb, name, floor):
    rate, misses = await _in_scope(harness, kb, name)
    assert rate >= floor, (rate, misses)


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("offtopic_tune.json", 0.94),
        ("offtopic_heldout.json", 0.95),
    ],
)
async def test_off_topic_questions_abstain(harness, name, floor):
    rate, answered = await _abstains(harness, name)
    assert rate >= floor, (rate, answered)


# -- short and shorthand questions stay answered ---------------------------------
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/cos-service legal", "area.comprehensive-legal-services"),
        ("/cos-service SOC 2", "service.security-certification-services"),
        ("/cos-service Korn Ferry", "provider.korn-ferry"),
        ("/cos-risk gdpr", "risk.data-protection-compliance"),
        ("/cos-service biz dev", "acquisition.business-development-team"),
        ("/cos-risk we might run out of cash", "risk.financial-risk"),
        ("/cos-service excutive serch", "service.executive-search-services"),
        ("/cos-service Equity Incentive Desgin", "service.equity-incentive-design"),
        ("/cos-service sco2", "service.security-certification-services"),
        ("/cos-risk gdrp", "risk.data-protection-compliance"),
        ("/cos-service trainig services", "area.industrialized-training-services"),
    ],
)
async def test_short_typo_and_shorthand_questions_are_answered(harness, line, expected):
    reply = await harness.say(line)
    assert reply.matched and reply.results[:1] == (expected,), (line, reply.title, reply.results[:3])


async def test_overview_and_lists_are_matched_but_help_is_not(harness):
    for line in (
        "/cos-service overview",
        "/cos-risk overview",
        "/cos-service milestones",
        "/cos-service cases",
        "/cos-service providers training",
    ):
        assert (await harness.say(line)).matched, line
    # The help says what the bot does; it answers nothing from the overview.
    for line in ("/cos-service help", "/cos-risk help", "/cos-service"):
        assert not (await harness.say(line)).matched, line


# -- the honest reply --------------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "/cos-service what's the weather in Paris tomorrow",
        "/cos-service how do I cook pasta",
        "/cos-service the printer on floor two is jammed",
        "/cos-risk the printer on floor two is jammed",
        "/cos-service zorblax pipeline",
        "/cos-service providers for pasta recipes",
    ],
)
async def test_off_topic_gets_the_honest_reply(harness, line):
    reply = await harness.say(line)
    text = to_text(reply)
    assert not reply.matched and reply.error is None
    assert "can't answer" in text and "Commercial Open Source Stage Service Overview" in text
    command = line.split()[0]
    assert f"{command} answers" in text or f"`{command}` answers" in text  # says what the command does answer
    assert "Source:" not in (reply.footer or "")  # no entry card
    assert len(reply.results) <= 3 and len(reply.buttons) == len(reply.results)


async def test_near_topics_become_did_you_mean_buttons_that_open(app, harness):
    reply = await harness.say("/cos-service should I buy bitcoin")
    assert not reply.matched
    assert reply.results and reply.results[0] == "acquisition.investment-and-m-a-strategy"
    assert "Did you mean" in to_text(reply) and "Investment and M&A Strategy" in to_text(reply)
    button = reply.buttons[0]
    assert (button.action, button.value) == ("open", "acquisition.investment-and-m-a-strategy")
    opened = await app.router.handle_action(
        Action(platform="console", workspace="T1", channel="C1", user="U1", action=button.action, value=button.value)
    )
    assert opened.results[0] == "acquisition.investment-and-m-a-strategy" and opened.matched


async def test_nothing_near_gets_no_buttons(harness):
    reply = await harness.say("/cos-service how do I tie a tie")
    assert not reply.matched and reply.results == () and reply.buttons == ()


async def test_the_honest_reply_never_pings_or_echoes_markup(harness):
    reply = await harness.say("/cos-service <!channel> @everyone `how` do I *cook* pasta")
    text = to_text(reply.safe())
    assert not reply.matched
    assert "<!channel>" not in text and "@everyone" not in text and "`how`" not in text


# -- the decision itself -----------------------------------------------------------
def test_outcome_exposes_score_top_and_runner_up(searcher):
    answered = decide(searcher, "who can run our SOC 2 audit", command="service")
    assert answered.matched and answered.top is not None and answered.runner_up is not None
    assert answered.top.entry.id == "service.security-certification-services"
    assert answered.evidence >= MATCH and 0 <= answered.margin <= 1 and answered.suggestions == ()
    exact = decide(searcher, "Korn Ferry", command="service")
    assert exact.matched and exact.reason == "exact"
    refused = decide(searcher, "how do I cook pasta", command="service")
    assert not refused.matched and refused.reason == "weak" and refused.evidence < BORDERLINE
    empty = decide(searcher, "qqqq zzzz", command="service")
    assert not empty.matched and empty.top is None and empty.reason == "nothing found"


def test_words_the_overview_never_uses_weigh_against_an_answer(searcher):
    entry = searcher.search("security certification", limit=1)[0].entry
    stems = searcher.entry_stems(entry)
    assert explained_share(searcher.question_words("security certification"), stems) == 1.0
    diluted = explained_share(searcher.question_words("security certification for my bakery pastries"), stems)
    assert 0 < diluted < 0.6


def test_a_repaired_typo_counts_but_a_repaired_real_word_does_not(searcher):
    typo = searcher.question_words("excutive")[0]
    assert typo.repaired and typo.word == "executive" and is_english_word("excutive") is False
    # A rarer real word is repaired to the nearest indexed one, but the repair explains nothing.
    real = searcher.question_words("allegiance")[0]
    assert real.repaired and real.word == "alliance" and is_english_word("allegiance") is True
    assert explained_share([typo], frozenset({typo.stem})) == 1.0
    assert explained_share([real], frozenset({real.stem})) == 0.0


def test_an_everyday_word_is_never_repaired(searcher):
    # "bread" is not a typo of "break", nor "hurt" of "hart": everyday English is what was meant.
    assert [(w.word, w.repaired) for w in searcher.question_words("bread hurt")] == [("bread", False), ("hurt", False)]
    assert searcher.repair("bread") is None and searcher.repair("excutive") == "executive"


def test_stop_words_with_an_apostrophe_say_nothing(searcher):
    assert [w.typed for w in searcher.question_words("what's the gdpr")] == ["gdpr"]


# -- the command line (the "done when" line) --------------------------------------
def test_ask_json_says_matched(tmp_path):
    proc = run(["ask", "--json", "--workspace", "T1", "--role", "member", "/cos-service zorblax pipeline"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    assert obj["matched"] is False and len(obj["results"]) <= 3
    lines = "/cos-service legal\n/cos-service help\n/cos-service how do I cook pasta\nhello\n"
    proc = run(["ask", "-", "--json"], tmp_path, stdin=lines)
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["matched"] for o in objs] == [True, False, False, False]
    assert objs[0]["results"][0]["id"] == "area.comprehensive-legal-services"


# -- the third round's sets: conversational, near-domain traps, Chinese (floors under the measured figures) --
@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("dev_chat_inscope.json", 0.9),
        ("heldout_chat_inscope.json", 0.85),
        ("dev_zh_inscope.json", 0.95),
        ("dev_zh2_inscope.json", 0.85),
        ("heldout_zh_inscope.json", 0.95),
        ("dev3_chat_inscope.json", 0.8),
        ("heldout4_chat_inscope.json", 0.85),
        ("heldout4_inscope.json", 0.88),
        ("heldout4_zh_inscope.json", 0.95),
        ("heldout5_chat_inscope.json", 0.75),
        ("heldout5_inscope.json", 0.8),
        ("heldout5_zh_inscope.json", 0.65),
        ("heldout6_chat_inscope.json", 0.73),
        ("heldout6_inscope.json", 0.83),
        ("heldout6_zh_inscope.json", 0.93),
        ("heldout7_chat_inscope.json", 0.88),
        ("heldout7_inscope.json", 0.9),
        ("heldout7_zh_inscope.json", 0.82),
        ("heldout8_chat_inscope.json", 0.85),
        ("heldout8_inscope.json", 0.86),
        ("heldout8_zh_inscope.json", 0.87),
        ("heldout9_chat_inscope.json", 0.88),
        ("heldout9_inscope.json", 0.76),
        ("heldout9_zh_inscope.json", 0.87),
        ("heldout10_chat_inscope.json", 0.88),
        ("heldout10_inscope.json", 0.85),
        ("heldout10_zh_inscope.json", 0.85),
        ("heldout11_chat_inscope.json", 0.85),
        ("heldout11_inscope.json", 0.88),
        ("heldout11_zh_inscope.json", 0.87),
        # the fifth session: dev4 to dev7 written fresh, each scored unseen and then tuned on; heldout12 scored once
        ("dev4_chat_inscope.json", 0.82),
        ("dev4_inscope.json", 0.88),
        ("dev4_zh_inscope.json", 0.95),
        ("dev5_chat_inscope.json", 0.88),
        ("dev5_inscope.json", 0.92),
        ("dev5_zh_inscope.json", 0.9),
        ("dev6_chat_inscope.json", 0.78),
        ("dev6_inscope.json", 0.82),
        ("dev6_zh_inscope.json", 0.95),
        ("dev7_chat_inscope.json", 0.72),
        ("dev7_inscope.json", 0.77),
        ("dev7_zh_inscope.json", 0.85),
        ("heldout12_chat_inscope.json", 0.87),
        ("heldout12_inscope.json", 0.87),
        ("heldout12_zh_inscope.json", 0.95),
        # the sixth session: dev8 written fresh, scored unseen before and after the meaning model, then tuned on;
        # heldout13 scored once at the session's end
        ("dev8_chat_inscope.json", 0.93),
        ("dev8_inscope.json", 0.88),
        ("dev8_zh_inscope.json", 0.87),
        ("heldout13_chat_inscope.json", 0.8),
        ("heldout13_inscope.json", 0.93),
        ("heldout13_zh_inscope.json", 0.95),
        # the seventh session: dev9 scored unseen, then tuned on; heldout14 scored at the start and once at the end
        ("dev9_chat_inscope.json", 0.84),
        ("dev9_inscope.json", 0.9),
        ("dev9_zh_inscope.json", 0.96),
        ("heldout14_chat_inscope.json", 0.9),
        ("heldout14_inscope.json", 0.88),
        ("heldout14_zh_inscope.json", 0.95),
        # the eighth session: heldout15 scored unseen, then tuned on; heldout16 and heldout17 scored at the start
        # and once at the end
        ("heldout15_chat_inscope.json", 0.93),
        ("heldout15_inscope.json", 0.91),
        ("heldout15_zh_inscope.json", 0.95),
        ("heldout16_chat_inscope.json", 0.86),
        ("heldout16_inscope.json", 0.95),
        ("heldout16_zh_inscope.json", 0.975),
        ("heldout17_chat_inscope.json", 0.96),
        ("heldout17_inscope.json", 0.98),
        ("heldout17_zh_inscope.json", 1.0),
    ],
)
async def test_conversational_and_chinese_questions_answered(harness, kb, name, floor):
    rate, misses = await _in_scope(harness, kb, name)
    assert rate >= floor, (rate, misses)


@pytest.mark.parametrize(
    ("name", "floor"),
    [
        ("dev_traps.json", 0.9),
        ("heldout_traps.json", 0.9),
        ("dev2_traps.json", 0.9),
        ("dev3_traps.json", 0.95),
        ("heldout_chat_offtopic.json", 0.9),
        ("dev_zh_offtopic.json", 0.95),
        ("dev_zh2_offtopic.json", 0.9),
        ("heldout_zh_offtopic.json", 0.95),
        ("heldout4_traps.json", 0.92),
        ("heldout4_chat_offtopic.json", 0.95),
        ("heldout4_zh_offtopic.json", 0.95),
        ("heldout5_traps.json", 0.9),
        ("heldout5_chat_offtopic.json", 0.9),
        ("heldout5_zh_offtopic.json", 0.95),
        ("heldout6_traps.json", 0.9),
        ("heldout6_chat_offtopic.json", 0.95),
        ("heldout6_zh_offtopic.json", 0.95),
        ("heldout7_traps.json", 0.95),
        ("heldout7_chat_offtopic.json", 0.97),
        ("heldout7_zh_offtopic.json", 0.96),
        ("heldout8_traps.json", 0.95),
        ("heldout8_chat_offtopic.json", 0.9),
        ("heldout8_zh_offtopic.json", 0.96),
        ("heldout9_traps.json", 0.93),
        ("heldout9_chat_offtopic.json", 0.97),
        ("heldout9_zh_offtopic.json", 0.96),
        ("heldout10_traps.json", 0.93),
        ("heldout10_chat_offtopic.json", 0.92),
        ("heldout10_zh_offtopic.json", 0.93),
        ("heldout11_traps.json", 0.95),
        ("heldout11_chat_offtopic.json", 0.95),
        ("heldout11_zh_offtopic.json", 0.96),
        ("dev4_traps.json", 0.92),
        ("dev4_chat_offtopic.json", 0.97),
        ("dev4_zh_offtopic.json", 0.96),
        ("dev5_traps.json", 0.93),
        ("dev5_chat_offtopic.json", 0.97),
        ("dev5_zh_offtopic.json", 0.93),
        ("dev6_traps.json", 0.97),
        ("dev6_chat_offtopic.json", 0.97),
        ("dev6_zh_offtopic.json", 0.93),
        ("dev7_traps.json", 0.97),
        ("dev7_chat_offtopic.json", 0.97),
        ("dev7_zh_offtopic.json", 0.96),
        ("heldout12_traps.json", 0.85),
        ("heldout12_chat_offtopic.json", 0.92),
        ("heldout12_zh_offtopic.json", 0.96),
        ("dev8_traps.json", 0.95),
        ("dev8_chat_offtopic.json", 0.97),
        ("dev8_zh_offtopic.json", 0.96),
        ("heldout13_traps.json", 0.84),
        ("heldout13_chat_offtopic.json", 0.97),
        ("heldout13_zh_offtopic.json", 0.8),
        ("dev9_traps.json", 0.97),
        ("dev9_chat_offtopic.json", 0.96),
        ("dev9_zh_offtopic.json", 0.96),
        ("heldout14_traps.json", 0.96),
        ("heldout14_chat_offtopic.json", 0.95),
        ("heldout14_zh_offtopic.json", 0.96),
        ("heldout15_traps.json", 0.98),
        ("heldout15_chat_offtopic.json", 0.97),
        ("heldout15_zh_offtopic.json", 1.0),
        ("heldout16_traps.json", 0.98),
        ("heldout16_chat_offtopic.json", 1.0),
        ("heldout16_zh_offtopic.json", 1.0),
        ("heldout17_traps.json", 1.0),
        ("heldout17_chat_offtopic.json", 1.0),
        ("heldout17_zh_offtopic.json", 1.0),
    ],
)
async def test_traps_chatter_and_chinese_off_topic_declined(harness, name, floor):
    rate, answered = await _abstains(harness, name)
    assert rate >= floor, (rate, answered)
