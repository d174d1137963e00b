"""/cos-service and /cos-risk answers from the knowledge store."""

from __future__ import annotations

import re
from collections import OrderedDict

from bot.answering.honest import cannot_answer
from bot.answering.render import (
    entry_reply,
    entry_summary,
    providers_reply,
    source_footer,
    stars,
)
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.safety import neutralise_mentions, plain_mentions
from knowledge import Entry, KnowledgeBase, Searcher
from knowledge.decision import SearchOutcome, decide

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


def _quote(text: str, limit: int = 80) -> str:
    """User text made safe to show back: no pings, no formatting tricks, short."""
    text = neutralise_mentions(plain_mentions(text)).replace("`", "'").replace("*", "").replace("_", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class KnowledgeCommands:
    """Answers knowledge questions; pure functions of the knowledge base."""

    def __init__(self, kb: KnowledgeBase, searcher: Searcher) -> None:
        self.kb = kb
        self.searcher = searcher
        # Answers depend only on (command, text) and the read-only knowledge: keep recent ones.
        self._answers: OrderedDict[tuple[str, str], Reply] = OrderedDict()

    # -- help and overviews -------------------------------------------------
    def help(self, command: str) -> Reply:
        if command == "cos-risk":
            return Reply(
                title="/cos-risk — business risks, governance and international compliance",
                sections=(
                    Section(
                        text="Ask about a risk or compliance topic and get what it covers, what helps and who can "
                        "help. "
                        "`/cos-risk overview` lists every topic."
                    ),
                    # The team commands' lines follow (the router adds those the team features declare).
                    Section(heading="Examples", bullets=RISK_EXAMPLES),
                ),
                footer=source_footer(self._section("section.risk")),
            )
        return Reply(
            title="/cos-service — business services and providers for a commercial open source company",
            sections=(
                Section(
                    text="Ask in your own words: a service area, a need, a provider's name, a phase of the "
                    "development path or a success case. `/cos-service overview` lists the portfolio."
                ),
                # The team commands' lines follow (the router adds those the team features declare).
                Section(heading="Examples", bullets=SERVICE_EXAMPLES),
            ),
            footer="Source: Commercial Open Source Stage Service Overview. Risks and compliance: /cos-risk help",
        )

    def _section(self, entry_id: str) -> list[Entry]:
        entry = self.kb.get(entry_id)
        return [entry] if entry else []

    def service_overview(self) -> Reply:
        areas = self.kb.of_kind("service_area")
        bullets = tuple(f"{a.title} — {stars(a.importance)}" for a in areas)
        spec = self.kb.of_kind("specialised_group")
        return Reply(
            title="Recommended service portfolio",
            sections=(
                Section(
                    text="Service areas for the commercial open source stage, by importance. "
                    "Ask `/cos-service <area>` for services and providers."
                ),
                Section(heading="Service areas", bullets=bullets),
                Section(heading="Specialised services", bullets=tuple(g.title for g in spec)),
                Section(
                    heading="Also ask about",
                    bullets=(
                        "milestones — the development path",
                        "cases — success cases",
                        "revenue models, customer segments, market expansion",
                        "service acquisition: teams, partner networks, M&A",
                    ),
                ),
            ),
            buttons=tuple(Button(a.title[:70], "open", a.id) for a in areas[:5]),
            footer=source_footer(self._section("section.area") or areas[:1]),
            results=tuple(a.id for a in areas),
        )

    def risk_overview(self) -> Reply:
        groups = self.kb.of_kind("risk_group")
        sections = [
            Section(
                text="Risk management and compliance topics. Ask `/cos-risk <topic>` for what helps and who can help."
            )
        ]
        results: list[str] = []
        for g in groups:
            items = self.kb.children(g.id)
            sections.append(Section(heading=g.title, bullets=tuple(entry_summary(i) for i in items)))
            results.append(g.id)
            results.extend(i.id for i in items)
        return Reply(
            title="Risk management and compliance",
            sections=tuple(sections),
            footer=source_footer(self._section("section.risk") or groups[:1]),
            results=tuple(results),
        )

    def milestones(self, text: str) -> Reply:
        phases = self.kb.of_kind("phase")
        if text:
            hits = [h for h in self.searcher.search(text, limit=10) if h.entry.kind == "phase"]
            if hits:
                return entry_reply(self.kb, hits[0].entry)
        sections = tuple(
            Section(heading=f"{p.title} ({p.years})" if p.years else p.title, bullets=p.items) for p in phases
        )
        return Reply(
            title="Development path and milestones",
            sections=sections,
            buttons=tuple(Button(p.title[:70], "open", p.id) for p in phases),
            footer=source_footer(self._section("section.phase") or phases[:1]),
            results=tuple(p.id for p in phases),
        )

    def cases(self, which: str | None) -> Reply:
        groups = self.kb.of_kind("case_group")
        if which:
            key = "domestic" if which.lower() in ("domestic", "china") else "international"
            groups = [g for g in groups if key in g.title.lower()] or groups
        sections = []
        results: list[str] = []
        for g in groups:
            cases = self.kb.children(g.id, "case")
            sections.append(Section(heading=g.title, bullets=tuple(entry_summary(c) for c in cases)))
            results.extend(c.id for c in cases)
        return Reply(
            title="Success cases",
            sections=tuple(sections),
            footer=source_footer(self._section("section.cases") or groups[:1]),
            results=tuple(results),
        )

    # -- answers --------------------------------------------------------------
    def providers(self, topic: str, command: str) -> Reply:
        if not topic:
            areas = self.kb.of_kind("service_area")
            sections = tuple(
                Section(
                    heading=a.title,
                    bullets=tuple(
                        p.title + (f" — {p.role}" if p.role else "") for p in self.kb.children(a.id, "provider")
                    ),
                )
                for a in areas
            )
            return Reply(
                title="Recommended service providers",
                sections=sections,
                footer=source_footer(areas[:1]),
                results=tuple(a.id for a in areas),
            )
        outcome = self.decide(command, topic)
        if outcome.top is None or not outcome.matched:
            return self.not_found(topic, command, outcome)
        best = outcome.top.entry
        if best.kind == "provider" and (area := self.kb.parent_of(best)) is not None:
            # "providers <a provider>" means: who else does what they do.
            best = area
        return providers_reply(self.kb, best)

    def answer(self, text: str, command: str) -> Reply:
        """Free text -> the best entry, plus alternatives when the match is not clear-cut."""
        outcome = self.decide(command, text)
        hits = outcome.hits
        if not hits or not outcome.matched:
            return self.not_found(text, command, outcome)
        best = hits[0]
        alternatives = (
            []
            if best.exact
            else [
                h.entry for h in hits[1:3] if h.score >= best.score * _ALTERNATIVE_RATIO and h.entry.id != best.entry.id
            ]
        )
        return entry_reply(self.kb, best.entry, alternatives=alternatives)

    def decide(self, command: str, text: str) -> SearchOutcome:
        """Search a question and decide whether the best entry answers it (see knowledge.decision)."""
        return decide(self.searcher, _searchable(text), limit=4, command=_kind_of(command))

    def not_found(self, text: str, command: str, outcome: SearchOutcome | None = None) -> Reply:
        """The honest "I can't answer that": what the command answers and the nearest topics."""
        nearest = outcome.suggestions if outcome is not None else ()
        return cannot_answer(
            _quote(text),
            command,
            nearest=nearest,
            did_you_mean=() if nearest else self.searcher.suggestions(text),
            examples=RISK_EXAMPLES if command == "cos-risk" else SERVICE_EXAMPLES,
        )

    def open(self, entry_id: str) -> Reply | None:
        entry = self.kb.get(entry_id)
        return entry_reply(self.kb, entry) if entry else None

    def providers_of(self, entry_id: str) -> Reply | None:
        entry = self.kb.get(entry_id)
        return providers_reply(self.kb, entry) if entry else None

    def related_of(self, entry_id: str) -> Reply | None:
        entry = self.kb.get(entry_id)
        if entry is None:
            return None
        related = self.kb.related_to(entry)
        parent = self.kb.parent_of(entry)
        siblings = (
            [s for s in self.kb.children(parent.id) if s.id != entry.id and s.kind == entry.kind] if parent else []
        )
        sections = []
        if related:
            sections.append(Section(heading="Related topics", bullets=tuple(entry_summary(r) for r in related)))
        if siblings:
            sections.append(
                Section(
                    heading=f"Also in {parent.title}" if parent else "Nearby",
                    bullets=tuple(s.title for s in siblings[:8]),
                )
            )
        if not sections:
            sections.append(Section(text="No related topics are listed for this entry."))
        return Reply(
            title=f"Related to {entry.title}",
            sections=tuple(sections),
            buttons=tuple(Button(r.title[:70], "open", r.id) for r in related[:4]),
            footer=source_footer(entry),
            results=(entry.id, *(r.id for r in related), *(s.id for s in siblings[:8])),
        )

    # -- dispatch -------------------------------------------------------------
    def reply(self, command: str, text: str) -> Reply:
        """Answer a knowledge command (``cos-service`` or ``cos-risk``) with cleaned text."""
        key = (command, text)
        cached = self._answers.get(key)
        if cached is not None:
            self._answers.move_to_end(key)
            return cached
        answer = self._reply(command, text)
        self._answers[key] = answer
        if len(self._answers) > _ANSWER_CACHE:
            self._answers.popitem(last=False)
        return answer

    def _reply(self, command: str, text: str) -> Reply:
        lowered = text.lower().strip(" ?!.")
        # "help me", "overview please", "show all": the command word once the politeness is gone.
        core = " ".join(w for w in re.findall(r"[a-z?]+", lowered) if w not in _POLITE)
        if lowered in ("", "help", "?", "commands") or core in ("help", "?", "commands", ""):
            return self.help(command)
        if lowered in _OVERVIEW_WORDS or core in _OVERVIEW_WORDS:
            return self.risk_overview() if command == "cos-risk" else self.service_overview()
        if command == "cos-service":
            if m := _CASE_WORDS.match(lowered):
                return self.cases(m.group(1))
            if m := _MILESTONE_WORDS.match(lowered):
                rest = lowered[m.end() :]
                if not rest or len(rest.split()) <= 3:
                    return self.milestones(rest)
        if m := _PROVIDERS_PREFIX.match(text):
            rest = text[m.end() :].strip()
            if lowered.split()[0].startswith(("provider", "vendor")) or rest:
                return self.providers(rest, command)
        return self.answer(text, command)


_MENTION_TOKENS = re.compile(r"<[!@#][^>]*>|@(?:everyone|here|channel)\b", re.I)


def _searchable(text: str) -> str:
    """The question without mention tokens (they are not part of what is asked)."""
    return _MENTION_TOKENS.sub(" ", text)


def _kind_of(command: str) -> str:
    return "risk" if command == "cos-risk" else "service"
