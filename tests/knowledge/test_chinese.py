"""Chinese questions: segmented (jieba, loaded only for Chinese), answered in Chinese, honest when off-topic."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answering.commands import KnowledgeCommands
from bot.kernel.reply import to_text
from knowledge import KnowledgeBase, Searcher
from knowledge.asking import asks_for_figure
from knowledge.chinese import has_chinese, is_unknown_token, to_index_words
from knowledge.model import Localized
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[2]


def test_english_search_never_imports_jieba_and_chinese_does() -> None:
    code = (
        "import sys\n"
        "from knowledge import Searcher, load_knowledge\n"
        "from knowledge.decision import decide\n"
        "s = Searcher(load_knowledge())\n"
        "decide(s, 'who can run our SOC 2 audit')\n"
        "print('jieba' in sys.modules, 'knowledge.chinese' in sys.modules)\n"
        "decide(s, 'SOC2 认证找谁')\n"
        "print('jieba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"], out.stdout + out.stderr


def test_a_long_running_bot_builds_the_segmenter_at_start_and_a_one_shot_command_does_not(tmp_path: Path) -> None:
    code = (
        "import asyncio, sys, threading\n"
        "from bot.app import build_app\n"
        "from bot.kernel.settings import Settings\n"
        f"settings = Settings(database_url='sqlite+aiosqlite:///{tmp_path / 'cos.db'}', scheduler_enabled=False)\n"
        "apps = []\n"
        "async def main(defer):\n"
        "    app = await build_app(settings, defer_team=defer)\n"
        "    apps.append(app)\n"
        "    await app.close()\n"
        "asyncio.run(main(True))\n"
        "print('jieba' in sys.modules)\n"
        "asyncio.run(main(False))\n"
        "[t.join(30) for t in threading.enumerate() if t.name == 'jieba-warm']\n"
        "import knowledge.chinese as zh\n"
        "print(zh._tokenizer is not None)\n"
        "import knowledge.english as en\n"
        "print(en._dictionary.cache_info().currsize == 1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # the long-running bot also loaded the English word list beside its start
    assert out.stdout.split() == ["False", "True", "True"], out.stdout + out.stderr


def test_chinese_words_are_read_as_the_index_words() -> None:
    read = to_index_words("员工股权激励和期权计划怎么设计")
    assert "equity incentive" in read and "stock option" in read
    # Function words are dropped; a word the lexicon does not know becomes an opaque token, never a guess.
    weather = to_index_words("明天上海天气怎么样").split()
    assert weather and all(is_unknown_token(w) for w in weather)
    assert to_index_words("TiDB 背后的公司是哪家").startswith("TiDB")
    assert has_chinese("SOC2 认证") and not has_chinese("SOC2 audit")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/cos-service 员工股权激励和期权计划怎么设计", "service.equity-incentive-design"),
        ("/cos-service TiDB 背后的公司是哪家", "cases.pingcap-tidb"),
        ("/cos-service SOC2 认证找谁", "service.security-certification-services"),
        ("/cos-risk 转让定价的税务合规", "risk.tax-compliance"),
        ("/cos-risk GDPR 数据保护", "risk.data-protection-compliance"),
        ("/cos-service 怎么招聘首席技术官", "service.executive-search-services"),
    ],
)
async def test_chinese_and_mixed_questions_are_answered_in_chinese(harness, line: str, expected: str) -> None:
    reply = await harness.say(line)
    assert reply.matched and reply.results[0] == expected, (line, reply.title, reply.results[:3])
    assert reply.lang == "zh"
    text = to_text(reply)
    assert "类型" in text and "来源" in (reply.footer or "")  # the card's own words are Chinese
    assert "Commercial Open Source Stage Service Overview ›" in (reply.footer or "")  # still names the source


@pytest.mark.parametrize(
    "line",
    ["/cos-service 明天上海天气怎么样", "/cos-service 企业所得税税率是多少", "/cos-risk 房租又涨了"],
)
async def test_chinese_off_topic_gets_the_honest_reply_not_the_help(harness, line: str) -> None:
    reply = await harness.say(line)
    text = to_text(reply)
    assert not reply.matched and reply.lang == "zh"
    assert "我无法" in text and "示例" not in text  # "I can't answer", in Chinese; not the help's examples
    assert line.split(" ", 1)[1] in text  # the question is quoted back


async def test_help_in_chinese(harness) -> None:
    reply = await harness.say("/cos-service 帮助")
    assert not reply.matched and reply.lang == "zh"
    assert "开源商业化公司" in reply.title and "示例" in to_text(reply)
    english = await harness.say("/cos-service help")
    assert english.lang == "en" and "Examples" in to_text(english)


@pytest.mark.parametrize(
    "line",
    ["/cos-service hi", "/cos-service thanks, that was helpful!", "/cos-service who built you?", "/cos-service 你好"],
)
async def test_small_talk_is_friendly_short_and_not_an_answer(harness, line: str) -> None:
    reply = await harness.say(line)
    assert not reply.matched and reply.results == () and reply.buttons == () and reply.fields == ()
    assert "cos-service" in to_text(reply)  # says what the bot does and how to ask


async def test_a_question_after_a_greeting_is_still_answered(harness) -> None:
    reply = await harness.say("/cos-risk hi, what about gdpr")
    assert reply.matched and reply.results[0] == "risk.data-protection-compliance"


def test_entries_chinese_titles_and_aliases_are_searched_and_shown(kb: KnowledgeBase) -> None:
    entry = kb.get("risk.data-protection-compliance")
    assert entry is not None
    zh = Localized(title="数据保护合规", text="GDPR、CCPA 等数据保护法规", aliases=("个保法",))
    entries = dict(kb.entries)
    entries[entry.id] = dataclasses.replace(entry, translations=(("zh", zh),))
    local = KnowledgeBase(entries=entries)
    commands = KnowledgeCommands(local, Searcher(local))
    reply = commands.reply("cos-risk", "个保法")  # an alias only the entry's Chinese knows
    assert reply.matched and reply.results[0] == entry.id
    assert reply.title == "数据保护合规" and "GDPR、CCPA" in to_text(reply)
    english = commands.reply("cos-risk", "gdpr", lang="en")
    assert english.title == "Data Protection Compliance" and english.results[0] == entry.id  # ids stay the same


def test_ask_lang_and_json_lang(tmp_path) -> None:
    lines = "/cos-service SOC2 认证找谁\n/cos-service 明天上海天气怎么样\n/cos-service legal\n/cos-service 谢谢\n"
    proc = run(["ask", "-", "--json"], tmp_path, stdin=lines)
    assert proc.returncode == 0, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["lang"] for o in objs] == ["zh", "zh", "en", "zh"]
    assert [o["matched"] for o in objs] == [True, False, True, False]
    assert objs[0]["results"][0]["id"] == "service.security-certification-services"
    proc = run(["ask", "--json", "--lang", "en", "/cos-service SOC2 认证找谁"], tmp_path)
    obj = json.loads(proc.stdout)
    assert obj["lang"] == "en" and obj["results"][0]["id"] == "service.security-certification-services"
    assert "Type: Service" in obj["text"]
    proc = run(["ask", "--json", "--lang", "zh", "/cos-service legal"], tmp_path)
    obj = json.loads(proc.stdout)
    assert obj["lang"] == "zh" and "类型" in obj["text"]
    proc = run(["ask", "--lang", "fr", "/cos-service legal"], tmp_path)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # 推出 (launch) and 官方 (official) are the overview's words; 喜欢 and 没人 are chatter around the topic.
        ("/cos-service 想为管理员推出官方认证体系", "service.certification-system-building"),
        ("/cos-service 开发者很喜欢但没人付费", "model.developer-customers"),
    ],
)
async def test_chinese_context_words_do_not_hide_the_topic(harness, line: str, expected: str) -> None:
    reply = await harness.say(line)
    assert reply.matched and reply.results[:1] == (expected,), (line, reply.matched, reply.results[:3])


def test_function_words_are_dropped_by_their_part_of_speech() -> None:
    # None of these is in the stop-word list: jieba's dictionary tags them as a preposition (通过), a numeral
    # (好几个), an adverb (不要), a numeral with its measure word (一支) and a time word (明天).
    assert to_index_words("通过好几个渠道") == "channel"
    assert to_index_words("不要组建一支团队") == "building formation team"
    assert to_index_words("明天上海天气") == to_index_words("上海天气")
    # A yes-or-no "A不A" ("会不会", "能不能") is grammar, though jieba cuts it into "会" and "不会".
    assert to_index_words("会不会有反垄断的问题") == "antitrust"


@pytest.mark.parametrize(
    ("text", "english"),
    [
        ("公司成立第七年了", "year 7"),
        ("前三年怎么做", "first 3 years"),
        ("成立十二年", "12 years"),
        ("商业化成熟期是第 6-8 年", "years 6 to 8"),
    ],
)
def test_years_of_a_company_read_as_english_years(text: str, english: str) -> None:
    assert english in to_index_words(text)
    assert "2024" in to_index_words("2024年的计划") and "year" not in to_index_words("2024年的计划")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # 要不要 (whether) and 一支 (a, of a team) are function words: the rest names the entry.
        ("/cos-service 要不要自己组建一支技术服务团队", "acquisition.technical-service-team"),
        # The year of the company's life picks the phase of the development path.
        ("/cos-service 公司第七年了，这个阶段的里程碑是什么", "phase.commercialization-maturity"),
        ("/cos-service 成立三年了，下一步的里程碑是什么", "phase.commercialization-growth"),
    ],
)
async def test_function_words_and_years_in_chinese_questions(harness, line: str, expected: str) -> None:
    reply = await harness.say(line)
    assert reply.matched and reply.results[:1] == (expected,), (line, reply.matched, reply.results[:3])


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("LTV 和 CAC 具体怎么计算", True),
        ("员工加班费怎么算", True),
        ("怎么写 Kubernetes 的 Helm chart", True),
        ("中国的增值税税率现在是多少", True),
        ("开源许可证 GPL 和 MIT 有什么区别", True),
        ("怎么算商业化成功", False),
        ("定价策略怎么定", False),
    ],
)
def test_chinese_questions_after_a_formula_a_rate_or_a_difference(text: str, figure: bool) -> None:
    assert asks_for_figure(text) is figure


async def test_a_chinese_how_to_write_question_is_declined(harness) -> None:
    # The entry names Helm charts, but how to write one is a task the overview gives no instructions for.
    reply = await harness.say("/cos-service 怎么写 Kubernetes 的 Helm chart")
    assert not reply.matched, reply.results[:3]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # Each names its entry (内控, 执行力, SLA); the rest is everyday Chinese the lexicon does not know.
        ("/cos-risk 我们的内控基本为零，老板一个人审批所有报销", "risk.internal-control-system"),
        ("/cos-service 执行力太差了，计划一直落地不了", "factor.execution-capability"),
        ("/cos-service 客户要签 SLA，里面有赔偿条款，不知道怎么弄", "specialised.sla-service-agreements"),
    ],
)
async def test_a_chinese_question_naming_its_entry_among_everyday_words_is_answered(
    harness, line: str, expected: str
) -> None:
    reply = await harness.say(line)
    assert reply.matched and reply.results[:1] == (expected,), (line, reply.matched, reply.results[:3])


def test_the_chinese_named_rule_needs_the_entry_named_and_its_known_words_explained(searcher) -> None:
    from knowledge.decision import decide

    named = decide(searcher, "公司基本没有内控，报销全靠老板一个人签字", command="risk")
    assert named.matched and named.reason == "named" and named.known < 0.3, named
    # every known word explained, but no entry named: still declined
    weekend = decide(searcher, "周末去哪里爬山", command="service")
    assert not weekend.matched and weekend.coverage >= 0.9 * weekend.known, weekend


@pytest.mark.parametrize("text", ["晚上猫一直叫怎么办", "半夜头很疼，该吃什么药", "周末下雨"])
def test_a_time_of_day_and_everyday_chinese_is_not_the_round_the_clock_service(searcher, text: str) -> None:
    # "晚上" (evening) reads as "night", not as the 24x7 service's name, and a lone noun ("猫", "药") is a word
    # of the question, so these are declined instead of answered with 24x7 Technical Support.
    from knowledge.decision import decide

    outcome = decide(searcher, text, command="service")
    assert not outcome.matched, outcome


def test_lone_nouns_are_question_words_and_lone_grammar_characters_are_not() -> None:
    from knowledge.chinese import content_characters

    assert {"猫", "药", "雨"} <= content_characters()
    assert not {"人", "好", "大", "出"} & content_characters()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("怎么吸引顶尖人才", {"attract", "top", "talent"}),
        ("产品在大客户那里老是不稳定", {"stability"}),
        ("我们的核心技术怎么保持领先", {"core", "technology", "leading"}),
    ],
)
def test_everyday_business_chinese_is_read_as_the_index_words(text: str, words: set[str]) -> None:
    from knowledge.chinese import to_index_words

    assert words <= set(to_index_words(text).split())


@pytest.mark.parametrize("text", ["CSS 垂直居中怎么弄", "新同事入职第一天要准备什么"])
def test_words_with_a_business_sense_only_in_some_phrases_are_not_mapped_alone(searcher, text: str) -> None:
    # "垂直" is vertical centring here, not a vertical industry; "入职" is an employee's first day, not customer
    # onboarding: the lexicon maps 垂直领域 and 垂直行业, not 垂直, and leaves 入职 out.
    from knowledge.decision import decide

    assert not decide(searcher, text, command="service").matched


def test_a_neighbouring_topic_phrase_in_chinese_is_declined(searcher) -> None:
    # 合并冲突 reads as "merge conflict", a neighbouring topic's phrase (how to use git), not GitLab's case.
    from knowledge.decision import decide

    outcome = decide(searcher, "git 分支合并冲突太多了，怎么处理", command="service")
    assert not outcome.matched and outcome.reason == "adjacent topic", outcome


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("收入来源太单一了，只靠支持服务费，想多元化", "model.diversified-revenue-models"),
        ("招不到顶尖的技术和商业人才，怎么提高吸引力", "factor.talent-attraction"),
    ],
)
def test_a_chinese_question_the_overview_mostly_knows_is_answered_by_the_entry_explaining_it(
    searcher, text: str, expected: str
) -> None:
    from knowledge.decision import ZH_PLAIN_KNOWN, decide

    outcome = decide(searcher, text, command="service")
    assert outcome.matched and outcome.top is not None and outcome.top.entry.id == expected, outcome
    assert outcome.known >= ZH_PLAIN_KNOWN and outcome.evidence < 0.6, outcome


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开源免费和商业收费之间怎么平衡定价？", "factor.reasonable-pricing-strategy"),
        ("一家硬件厂商想把我们的软件预装到他们的一体机里，应该用什么收费模式？", "model.license-fee-model"),
        (
            "客户希望我们的产品能同时跑在公有云和他们自己的机房里，这方面该找什么服务？",
            "service.cloud-platform-adaptation",
        ),
    ],
)
def test_everyday_business_chinese_finds_its_entry(searcher, text: str, expected: str) -> None:
    from knowledge.decision import decide

    outcome = decide(searcher, text, command="service")
    assert outcome.matched and outcome.top is not None and outcome.top.entry.id == expected, outcome


@pytest.mark.parametrize(
    "text",
    [
        "去日本旅游需要准备哪些东西",
        "周五了大家周末都有什么安排？",
        "GPL 和 Apache 2.0 许可证的代码能混在一个项目里用吗",
    ],
)
def test_a_chinese_question_with_everyday_words_the_overview_does_not_know_stays_declined(searcher, text: str) -> None:
    from knowledge.decision import decide

    outcome = decide(searcher, text, command="service")
    assert not outcome.matched, outcome


def test_who_asks_in_chinese_is_not_what_is_asked(searcher) -> None:
    assert "CFO" not in searcher.readable("作为CFO，我们这类公司有哪些收入来源可以考虑？")
    assert "CFO" in searcher.readable("我们要招一个CFO")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # asking for the others besides the one named: the entry grouping them
        ("开源公司除了卖授权，还有哪些收入方式？", "model.diversified-revenue-models"),
        ("作为CFO，我们这类公司有哪些收入来源可以考虑？", "model.diversified-revenue-models"),
    ],
)
def test_asking_for_kinds_or_others_in_chinese(searcher, text: str, expected: str) -> None:
    hits = searcher.search(text, command="service")
    assert hits and hits[0].entry.id == expected, [h.entry.id for h in hits[:3]]
