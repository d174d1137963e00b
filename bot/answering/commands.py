"""/cos-service and /cos-risk answers from the knowledge store."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from bot.answering.honest import cannot_answer, small_talk
from bot.answering.render import (
    entry_items,
    entry_reply,
    entry_summary,
    providers_reply,
    source_footer,
    stars,
    title_in,
    words,
)
from bot.kernel.lang import LANGS, choose_lang
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.safety import neutralise_mentions, plain_mentions
from knowledge import Entry, KnowledgeBase, Searcher
from knowledge.decision import SearchOutcome, decide
from knowledge.text import has_han

__all__ = ["KnowledgeCommands", "SERVICE_EXAMPLES", "RISK_EXAMPLES"]

SERVICE_EXAMPLES = (
    "/cos-service legal",
    "/cos-service who can run our SOC 2 audit",
    "/cos-service providers training",
    "/cos-service milestones growth",
    "/cos-service cases",
    "/cos-service Korn Ferry",
)
RISK_EXAMPLES = (
    "/cos-risk gdpr",
    "/cos-risk we might run out of cash",
    "/cos-risk transfer pricing",
    "/cos-risk board governance",
)
_ANSWER_CACHE = 2048
_K = TypeVar("_K")
_V = TypeVar("_V")


def _remembered(cache: OrderedDict[_K, _V], key: _K, make: Callable[[], _V]) -> _V:
    """``cache[key]``, made by ``make`` the first time; the least recently used of ``_ANSWER_CACHE`` go first."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = make()
    if len(cache) > _ANSWER_CACHE:
        cache.popitem(last=False)
    return value


# How close the runner-up must be (as a share of the best score) to be shown as an alternative.
_ALTERNATIVE_RATIO = 0.8
_PROVIDERS_PREFIX = re.compile(
    r"^(?:providers?|vendors?|who can help(?: with)?)\b\s*(?:for|with|about|on|in)?\s*", re.I
)
_MILESTONE_WORDS = re.compile(r"^(?:milestones?|path|roadmap|phases?)\b\s*", re.I)
_CASE_WORDS = re.compile(r"^(?:cases?|success cases?|examples?)\s*(international|domestic|china|global)?\s*$", re.I)
_POLITE = frozenset(
    {
        "please",
        "pls",
        "plz",
        "me",
        "us",
        "the",
        "show",
        "give",
        "a",
        "an",
        "of",
        "can",
        "you",
        "i",
        "get",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "quick",
        "full",
    }
)
_OVERVIEW_WORDS = {"overview", "portfolio", "areas", "all", "list", "services", "risks", "topics", "index"}
# The same words in Chinese (simplified and traditional), the whole question once punctuation is gone.
_HELP_ZH = frozenset({"帮助", "幫助", "命令", "怎么用", "怎麼用", "使用说明", "说明"})
_OVERVIEW_ZH = frozenset({"概览", "概覽", "总览", "總覽", "全部", "目录", "目錄", "列表", "所有服务", "所有风险"})
_CASES_ZH = {"案例": None, "成功案例": None, "国内案例": "domestic", "国际案例": "international"}
_MILESTONES_ZH = frozenset({"里程碑", "发展路径", "發展路徑", "阶段", "階段"})
_PUNCTUATION = " ?!.,;:？！。，；：、…~"


def _quote(text: str, limit: int = 80) -> str:
    """User text made safe to show back: no pings, no formatting tricks, short."""
    text = neutralise_mentions(plain_mentions(text)).replace("`", "'").replace("*", "").replace("_", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class KnowledgeCommands:
    """Answers knowledge questions; pure functions of the knowledge base."""

    def __init__(self, kb: KnowledgeBase, searcher: Searcher) -> None:
        self.kb = kb
        self.searcher = searcher
        # Answers depend only on (command, text, language) and the read-only knowledge: keep recent ones.
        self._answers: OrderedDict[tuple[str, str, str], Reply] = OrderedDict()
        # The decisions behind recent answers: the question log reads a question's score from here.
        self._decisions: OrderedDict[tuple[str, str], SearchOutcome] = OrderedDict()
        self._phases: OrderedDict[str, Entry | None] = OrderedDict()

    # -- help and overviews -------------------------------------------------
    def help(self, command: str, lang: str = "en") -> Reply:
        """What the command answers, with examples; not an answer from the overview (``matched`` false)."""
        _ = words(lang)
        if command == "cos-risk":
            return Reply(
                title=_("/cos-risk — business risks, governance and international compliance"),
                sections=(
                    Section(
                        text=_(
                            "Ask about a risk or compliance topic and get what it covers, what helps and who can "
                            "help. `/cos-risk overview` lists every topic."
                        )
                    ),
                    Section(heading=_("Examples"), bullets=_examples(command, lang)),
                    Section(
                        heading=_("Team commands"),
                        bullets=(
                            "/cos-risk register — the risk register and what is overdue",
                            "/cos-risk review <topic> [low|medium|high] [note] — record a review",
                            "/cos-risk schedule <monthly|quarterly|yearly> [HH:MM] [zone] — review reminders here",
                        ),
                    ),
                ),
                footer=source_footer(self._section("section.risk"), lang),
                matched=False,
                lang=lang,
            )
        return Reply(
            title=_("/cos-service — business services and providers for a commercial open source company"),
            sections=(
                Section(
                    text=_(
                        "Ask in your own words: a service area, a need, a provider's name, a phase of the "
                        "development path or a success case. `/cos-service overview` lists the portfolio."
                    )
                ),
                Section(heading=_("Examples"), bullets=_examples(command, lang)),
                Section(
                    heading=_("Team commands"),
                    bullets=(
                        "/cos-service stage <early|growth|maturity|leadership> [since YYYY-MM]",
                        "/cos-service digest <daily|weekly <weekday>|monthly <day>> HH:MM [zone] | now | off",
                        "/cos-service checkin <weekday> HH:MM @user ...",
                        "/cos-service schedules, /cos-service unschedule <id>",
                    ),
                ),
            ),
            footer=_("Source: Commercial Open Source Stage Service Overview. Risks and compliance: /cos-risk help"),
            matched=False,
            lang=lang,
        )

    def _section(self, entry_id: str) -> list[Entry]:
        entry = self.kb.get(entry_id)
        return [entry] if entry else []

    def service_overview(self, lang: str = "en") -> Reply:
        _ = words(lang)
        areas = self.kb.of_kind("service_area")
        bullets = tuple(f"{title_in(a, lang)} — {stars(a.importance)}" for a in areas)
        spec = self.kb.of_kind("specialised_group")
        return Reply(
            title=_("Recommended service portfolio"),
            sections=(
                Section(
                    text=_(
                        "Service areas for the commercial open source stage, by importance. "
                        "Ask `/cos-service <area>` for services and providers."
                    )
                ),
                Section(heading=_("Service areas"), bullets=bullets),
                Section(heading=_("Specialised services"), bullets=tuple(title_in(g, lang) for g in spec)),
                Section(
                    heading=_("Also ask about"),
                    bullets=(
                        _("milestones — the development path"),
                        _("cases — success cases"),
                        _("revenue models, customer segments, market expansion"),
                        _("service acquisition: teams, partner networks, M&A"),
                    ),
                ),
            ),
            buttons=tuple(Button(title_in(a, lang)[:70], "open", a.id) for a in areas[:5]),
            footer=source_footer(self._section("section.area") or areas[:1], lang),
            results=tuple(a.id for a in areas),
            lang=lang,
        )

    def risk_overview(self, lang: str = "en") -> Reply:
        _ = words(lang)
        groups = self.kb.of_kind("risk_group")
        sections = [
            Section(
                text=_(
                    "Risk management and compliance topics. Ask `/cos-risk <topic>` for what helps and who can help."
                )
            )
        ]
        results: list[str] = []
        for g in groups:
            items = self.kb.children(g.id)
            sections.append(Section(heading=title_in(g, lang), bullets=tuple(entry_summary(i, lang) for i in items)))
            results.append(g.id)
            results.extend(i.id for i in items)
        return Reply(
            title=_("Risk management and compliance"),
            sections=tuple(sections),
            footer=source_footer(self._section("section.risk") or groups[:1], lang),
            results=tuple(results),
            lang=lang,
        )

    def milestones(self, text: str, lang: str = "en") -> Reply:
        _ = words(lang)
        phases = self.kb.of_kind("phase")
        if text:
            phase = self._phase_named(text)
            if phase is not None:
                return entry_reply(self.kb, phase, lang=lang)
        sections = tuple(
            Section(
                heading=f"{title_in(p, lang)} ({p.years})" if p.years else title_in(p, lang),
                bullets=entry_items(p, lang),
            )
            for p in phases
        )
        return Reply(
            title=_("Development path and milestones"),
            sections=sections,
            buttons=tuple(Button(title_in(p, lang)[:70], "open", p.id) for p in phases),
            footer=source_footer(self._section("section.phase") or phases[:1], lang),
            results=tuple(p.id for p in phases),
            lang=lang,
        )

    def _phase_named(self, text: str) -> Entry | None:
        """The phase ``/cos-service milestones <text>`` asks for: the best phase among the first ten hits,
        remembered per text like the decisions."""
        return _remembered(
            self._phases,
            text,
            lambda: next((h.entry for h in self.searcher.search(text, limit=10) if h.entry.kind == "phase"), None),
        )

    def cases(self, which: str | None, lang: str = "en") -> Reply:
        _ = words(lang)
        groups = self.kb.of_kind("case_group")
        if which:
            key = "domestic" if which.lower() in ("domestic", "china") else "international"
            groups = [g for g in groups if key in g.title.lower()] or groups
        sections = []
        results: list[str] = []
        for g in groups:
            cases = self.kb.children(g.id, "case")
            sections.append(Section(heading=title_in(g, lang), bullets=tuple(entry_summary(c, lang) for c in cases)))
            results.extend(c.id for c in cases)
        return Reply(
            title=_("Success cases"),
            sections=tuple(sections),
            footer=source_footer(self._section("section.cases") or groups[:1], lang),
            results=tuple(results),
            lang=lang,
        )

    # -- answers --------------------------------------------------------------
    def providers(self, topic: str, command: str, lang: str = "en") -> Reply:
        _ = words(lang)
        if not topic:
            areas = self.kb.of_kind("service_area")
            sections = tuple(
                Section(
                    heading=title_in(a, lang),
                    bullets=tuple(
                        title_in(p, lang) + (f" — {p.role}" if p.role else "")
                        for p in self.kb.children(a.id, "provider")
                    ),
                )
                for a in areas
            )
            return Reply(
                title=_("Recommended service providers"),
                sections=sections,
                footer=source_footer(areas[:1], lang),
                results=tuple(a.id for a in areas),
                lang=lang,
            )
        outcome = self.decide(command, topic)
        if outcome.top is None or not outcome.matched:
            return self.not_found(topic, command, outcome, lang=lang)
        best = outcome.top.entry
        if best.kind == "provider" and (area := self.kb.parent_of(best)) is not None:
            # "providers <a provider>" means: who else does what they do.
            best = area
        return providers_reply(self.kb, best, lang=lang)

    def answer(self, text: str, command: str, lang: str = "en") -> Reply:
        """Free text -> the best entry, plus alternatives when the match is not clear-cut."""
        outcome = self.decide(command, text)
        hits = outcome.hits
        if not hits or not outcome.matched:
            return self.not_found(text, command, outcome, lang=lang)
        best = hits[0]
        alternatives = (
            []
            if best.exact
            else [
                h.entry for h in hits[1:3] if h.score >= best.score * _ALTERNATIVE_RATIO and h.entry.id != best.entry.id
            ]
        )
        return entry_reply(self.kb, best.entry, alternatives=alternatives, lang=lang)

    def decide(self, command: str, text: str) -> SearchOutcome:
        """Search a question and decide whether the best entry answers it (see knowledge.decision)."""
        return _remembered(
            self._decisions,
            (command, text),
            lambda: decide(self.searcher, _searchable(text), limit=4, command=_kind_of(command)),
        )

    def not_found(self, text: str, command: str, outcome: SearchOutcome | None = None, *, lang: str = "en") -> Reply:
        """The honest "I can't answer that": what the command answers and the nearest topics."""
        nearest = outcome.suggestions if outcome is not None else ()
        return cannot_answer(
            _quote(text),
            command,
            nearest=nearest,
            did_you_mean=() if nearest else self.searcher.suggestions(text),
            examples=_examples(command, lang),
            lang=lang,
        )

    def open(self, entry_id: str, lang: str = "en") -> Reply | None:
        entry = self.kb.get(entry_id)
        return entry_reply(self.kb, entry, lang=lang) if entry else None

    def providers_of(self, entry_id: str, lang: str = "en") -> Reply | None:
        entry = self.kb.get(entry_id)
        return providers_reply(self.kb, entry, lang=lang) if entry else None

    def related_of(self, entry_id: str, lang: str = "en") -> Reply | None:
        entry = self.kb.get(entry_id)
        if entry is None:
            return None
        _ = words(lang)
        related = self.kb.related_to(entry)
        parent = self.kb.parent_of(entry)
        siblings = (
            [s for s in self.kb.children(parent.id) if s.id != entry.id and s.kind == entry.kind] if parent else []
        )
        sections = []
        if related:
            sections.append(
                Section(heading=_("Related topics"), bullets=tuple(entry_summary(r, lang) for r in related))
            )
        if siblings:
            sections.append(
                Section(
                    heading=_("Also in {area}").format(area=title_in(parent, lang)) if parent else _("Nearby"),
                    bullets=tuple(title_in(s, lang) for s in siblings[:8]),
                )
            )
        if not sections:
            sections.append(Section(text=_("No related topics are listed for this entry.")))
        return Reply(
            title=_("Related to {topic}").format(topic=title_in(entry, lang)),
            sections=tuple(sections),
            buttons=tuple(Button(title_in(r, lang)[:70], "open", r.id) for r in related[:4]),
            footer=source_footer(entry, lang),
            results=(entry.id, *(r.id for r in related), *(s.id for s in siblings[:8])),
            lang=lang,
        )

    # -- dispatch -------------------------------------------------------------
    def reply(self, command: str, text: str, *, lang: str | None = None) -> Reply:
        """Answer a knowledge command (``cos-service`` or ``cos-risk``) with cleaned text.

        ``lang`` is the reply's language (``en``, ``zh``); None chooses it by the question's script.
        """
        if lang not in LANGS:
            lang = choose_lang(text=text)
        return _remembered(self._answers, (command, text, lang), lambda: self._reply(command, text, lang))

    def _reply(self, command: str, text: str, lang: str) -> Reply:
        lowered = text.lower().strip(_PUNCTUATION)
        # "help me", "overview please", "show all": the command word once the politeness is gone.
        core = " ".join(w for w in re.findall(r"[a-z?]+", lowered) if w not in _POLITE)
        if has_han(lowered):
            core = lowered  # a Chinese question is never empty for want of Latin letters
        if lowered in ("", "help", "?", "commands") or core in ("help", "?", "commands", "") or core in _HELP_ZH:
            return self.help(command, "zh" if core in _HELP_ZH else lang)
        if (chat := small_talk(text, lang)) is not None:
            return chat
        if lowered in _OVERVIEW_WORDS or core in _OVERVIEW_WORDS or core in _OVERVIEW_ZH:
            return self.risk_overview(lang) if command == "cos-risk" else self.service_overview(lang)
        if command == "cos-service":
            if core in _CASES_ZH:
                return self.cases(_CASES_ZH[core], lang)
            if core in _MILESTONES_ZH:
                return self.milestones("", lang)
            if m := _CASE_WORDS.match(lowered):
                return self.cases(m.group(1), lang)
            if m := _MILESTONE_WORDS.match(lowered):
                rest = lowered[m.end() :]
                if not rest or len(rest.split()) <= 3:
                    return self.milestones(rest, lang)
        if m := _PROVIDERS_PREFIX.match(text):
            rest = text[m.end() :].strip()
            if lowered.split()[0].startswith(("provider", "vendor")) or rest:
                return self.providers(rest, command, lang)
        return self.answer(text, command, lang)


_MENTION_TOKENS = re.compile(r"<[!@#][^>]*>|@(?:everyone|here|channel)\b", re.I)


def _searchable(text: str) -> str:
    """The question without mention tokens (they are not part of what is asked)."""
    return _MENTION_TOKENS.sub(" ", text)


def _kind_of(command: str) -> str:
    return "risk" if command == "cos-risk" else "service"


# Examples in Chinese, shown with the help and the honest reply of a Chinese conversation.
_EXAMPLES_ZH = {
    "cos-service": (
        "/cos-service 法律服务",
        "/cos-service SOC2 认证找谁",
        "/cos-service 高管猎头",
        "/cos-service 商业化成长期的里程碑",
        "/cos-service 国内成功案例",
        "/cos-service 光辉国际",
    ),
    "cos-risk": (
        "/cos-risk 数据保护合规",
        "/cos-risk 现金流快用完了",
        "/cos-risk 转让定价",
        "/cos-risk 董事会治理",
    ),
}


def _examples(command: str, lang: str) -> tuple[str, ...]:
    if lang == "zh":
        return _EXAMPLES_ZH["cos-risk" if command == "cos-risk" else "cos-service"]
    return RISK_EXAMPLES if command == "cos-risk" else SERVICE_EXAMPLES
