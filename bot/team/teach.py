"""Gaps and teaching (admins): what people asked and did not get, and phrases that fix it.

* ``gaps [days]``: unanswered and 👎 questions of the last N days (default 30), grouped by
  their normalised text, most asked first, each with its nearest topic and the buttons
  "Teach → <topic>" and "Dismiss".
* ``teach <phrase> -> <topic>`` (or ``→``): the phrase becomes an alias of the entry the topic
  names (an id, a title, or text search resolves to one entry; ambiguous: the candidates as
  buttons), for this workspace only, at once on every replica. ``teach list``, ``teach remove``.
* ``stats [days]``: questions asked, share answered, 👍/👎, top topics, top gaps.

A phrase is cleaned like any input and may not start with a command word (``digest``,
``stage``, ``help``, ``overview`` ...): those words never reach the knowledge answers.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.answering import store as kl
from bot.answering import votes
from bot.answering.models import KnowledgeQuestion
from bot.kernel.auth import Asker, admin_only, require_admin, server_only
from bot.kernel.canned import expired
from bot.kernel.errors import NotFound, UserError
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import Action, HelpLine, Router
from bot.storage import interaction_state
from bot.team import audit
from bot.team.base import Team, TeamFeature
from knowledge import Entry
from knowledge.decision import CLEAR_MARGIN, decide
from knowledge.taught import normalise_question, phrase_tokens

__all__ = [
    "TeachCommands",
    "RESERVED_WORDS",
    "MAX_PHRASE",
    "MAX_PHRASE_WORDS",
    "check_phrase",
    "resolve_topic",
    "teach_phrase",
    "dismiss_gap",
    "remove_phrase",
]

DEFAULT_DAYS = 30
MAX_DAYS = 365
MAX_PHRASE = 100
MAX_PHRASE_WORDS = 10
# Words the knowledge answers read as commands before searching (help, overviews, lists).
RESERVED_WORDS = frozenset(
    {
        "help",
        "commands",
        "overview",
        "portfolio",
        "areas",
        "all",
        "list",
        "services",
        "risks",
        "topics",
        "index",
        "providers",
        "provider",
        "vendors",
        "vendor",
        "milestones",
        "milestone",
        "path",
        "roadmap",
        "phases",
        "phase",
        "cases",
        "case",
        "examples",
        "example",
        "success",
    }
)
_ARROW = re.compile(r"\s*(?:->|→|=>)\s*")
_USAGE = N_("`/cos-service teach <phrase> -> <topic>`, e.g. `/cos-service teach zorblax pipeline -> legal`")
_PICK_TTL = timedelta(days=1)
# Gaps that get Teach and Dismiss buttons (two each; Discord shows at most 25 buttons).
_GAP_BUTTONS = 5


def _days(text: str, what: str) -> int:
    word = text.strip()
    if not word:
        return DEFAULT_DAYS
    if not word.isdigit() or not 1 <= int(word) <= MAX_DAYS:
        raise UserError(
            _("Give the number of days as a whole number from 1 to {most}, e.g. `/cos-service {what} 30`.").format(
                most=MAX_DAYS, what=what
            )
        )
    return int(word)


def _title(team: Team, entry_id: str | None) -> str:
    entry = team.kb.get(entry_id) if entry_id else None
    return entry.title if entry is not None else "—"


def check_phrase(team: Team, raw: str) -> str:
    """The phrase as stored (normalised), or ``UserError`` saying what is wrong with it."""
    if "@" in raw or "<" in raw:
        raise UserError(_("A taught phrase cannot contain a mention: write the words people type."))
    phrase = normalise_question(raw, limit=MAX_PHRASE * 2)
    if not phrase:
        raise UserError(_("Say which words people type, then the topic: {usage}.").format(usage=_(_USAGE)))
    if len(phrase) > MAX_PHRASE or len(phrase.split()) > MAX_PHRASE_WORDS:
        raise UserError(
            _(
                "That phrase is too long: at most {words} words and {chars} characters. Teach the key words people use."
            ).format(words=MAX_PHRASE_WORDS, chars=MAX_PHRASE)
        )
    first = phrase.split()[0]
    if first in team.router.command_words() or first in RESERVED_WORDS:
        raise UserError(
            _(
                "“{phrase}” starts with “{first}”, a command word: `/cos-service {first} …` runs "
                "that command, so the phrase would never reach the answers. Choose other words."
            ).format(phrase=phrase, first=first)
        )
    if not phrase_tokens(phrase):
        raise UserError(
            _(
                "“{phrase}” is only common words (the, how, what…): it would match almost any "
                "question. Teach the words that say what the question is about."
            ).format(phrase=phrase)
        )
    return phrase


def resolve_topic(team: Team, topic: str) -> tuple[Entry | None, list[Entry]]:
    """The entry ``topic`` names (an id, a title, or text search resolves clearly), else the candidates."""
    kb = team.kb
    topic = topic.strip()
    if (entry := kb.get(topic)) is not None:
        return entry, []
    folded = topic.casefold()
    titled = [e for e in kb.entries.values() if e.title.casefold() == folded]
    if len(titled) == 1:
        return titled[0], []
    outcome = decide(team.searcher, topic, limit=4)
    if outcome.top is not None and (outcome.top.exact or (outcome.matched and outcome.margin >= CLEAR_MARGIN)):
        return outcome.top.entry, []
    candidates = list(outcome.suggestions) or [h.entry for h in outcome.hits[:3]]
    return None, candidates[:3]


async def teach_phrase(team: Team, asker: Asker, raw: str, entry: Entry) -> Reply:
    """Teach ``raw`` -> ``entry`` in the asker's workspace (admins; checked, audited): chat and dashboard alike."""
    require_admin(asker, team.settings.admins, _("teach the bot a phrase"))
    phrase = check_phrase(team, raw)
    exact = [h for h in team.searcher.search(phrase, limit=2) if h.exact]
    if exact and exact[0].entry.id != entry.id:
        raise UserError(
            _(
                "“{phrase}” already names {title} word for word; teach a different "
                "phrase, or ask for that topic as it is."
            ).format(phrase=phrase, title=exact[0].entry.title)
        )
    now = team.now()
    async with team.db.session() as session:
        before = await kl.add_phrase(
            session,
            platform=asker.platform,
            workspace=asker.workspace,
            phrase=phrase,
            entry_id=entry.id,
            user=asker.user,
            now=now,
        )
        await kl.dismiss_gap(
            session, platform=asker.platform, workspace=asker.workspace, text=phrase, user=asker.user, now=now
        )
        await audit.record(
            session, asker, action="knowledge.teach", target=phrase, before=before, after=entry.id, at=now
        )
    await team.app.answering.overlays.load(asker.platform, asker.workspace)
    was = ""
    if before and before != entry.id:
        was = _(" (it answered with {title} before)").format(title=_title(team, before))
    return Reply(
        title=_("Taught: “{phrase}” → {title}").format(phrase=phrase, title=entry.title),
        sections=(
            Section(
                text=_(
                    "In this workspace, questions with “{phrase}” now answer with "
                    "{title}{was}. `/cos-service teach list` shows every taught "
                    "phrase; `teach remove <phrase>` undoes this."
                ).format(phrase=phrase, title=entry.title, was=was)
            ),
        ),
        buttons=(Button(entry.title[:70], "open", entry.id),),
    )


async def gap_question(team: Team, asker: Asker, question_id: int) -> KnowledgeQuestion:
    """A logged question of the asker's workspace; ``NotFound`` for any other id."""
    await team.app.answering.journal.flush_quietly()  # a question just asked is in the log
    async with team.db.session() as session:
        found = await kl.get_question(
            session, question_id=question_id, platform=asker.platform, workspace=asker.workspace
        )
    if found is None:
        raise NotFound("That question is not in this workspace's gaps (any more).")
    return found


async def dismiss_gap(team: Team, asker: Asker, question_id: int) -> Reply:
    """Take a gap off the list until someone asks it again (admins; audited)."""
    require_admin(asker, team.settings.admins, _("dismiss a gap"))
    question = await gap_question(team, asker, question_id)
    now = team.now()
    async with team.db.session() as session:
        await kl.dismiss_gap(
            session, platform=asker.platform, workspace=asker.workspace, text=question.text, user=asker.user, now=now
        )
        await audit.record(session, asker, action="knowledge.dismiss", target=question.text, at=now)
    return Reply(
        title=_("Dismissed"),
        sections=(
            Section(
                text=_("“{text}” leaves the gaps list (until someone asks it again).").format(text=question.text[:120])
            ),
        ),
    )


async def remove_phrase(team: Team, asker: Asker, raw: str) -> Reply:
    """Remove a taught phrase of the asker's workspace (admins; audited)."""
    require_admin(asker, team.settings.admins, _("remove a taught phrase"))
    phrase = normalise_question(raw, limit=MAX_PHRASE * 2)
    if not phrase:
        raise UserError(_("Say which phrase to remove: `/cos-service teach remove zorblax pipeline`."))
    async with team.db.session() as session:
        removed = await kl.remove_phrase(
            session, platform=asker.platform, workspace=asker.workspace, phrase=phrase, now=team.now()
        )
        if removed:
            await audit.record(session, asker, action="knowledge.unteach", target=phrase, at=team.now())
    if not removed:
        raise NotFound(
            _("No taught phrase is “{phrase}”. `/cos-service teach list` shows them.").format(phrase=phrase[:80])
        )
    await team.app.answering.overlays.load(asker.platform, asker.workspace)
    return Reply(
        title=_("Removed: “{phrase}”").format(phrase=phrase),
        sections=(Section(text=_("Questions with it are answered from the overview alone again.")),),
    )


class TeachCommands(TeamFeature):
    """Gaps and teaching for admins."""

    HELP = (
        HelpLine(
            command="cos-service", usage="/cos-service gaps [days]", what=N_("unanswered and 👎 questions"), admin=True
        ),
        HelpLine(
            command="cos-service",
            usage="/cos-service teach <phrase> -> <topic>, teach list, teach remove <phrase>",
            what=N_("teach a phrase"),
            admin=True,
        ),
    )

    def register(self, router: Router) -> None:
        self.answering = self.team.app.answering
        self.add_subcommand(router, "cos-service", "gaps", self.gaps)
        self.add_subcommand(router, "cos-service", "teach", self.teach)
        self.add_subcommand(router, "cos-service", "teach list", self.teach_list)
        self.add_subcommand(router, "cos-service", "teach remove", self.teach_remove)
        router.add_action("teach-gap", self.teach_gap)
        router.add_action("gap-dismiss", self.dismiss)
        router.add_action("teach-pick", self.teach_pick)

    def _title(self, entry_id: str | None) -> str:
        return _title(self.team, entry_id)

    # -- gaps -----------------------------------------------------------------------------
    @server_only
    async def gaps(self, request: Request, text: str) -> Reply:
        return await self._gaps(request, _days(text, "gaps"))

    @admin_only(N_("see what people asked that the bot could not answer"))
    async def _gaps(self, request: Request, days: int) -> Reply:
        since = self.team.now() - timedelta(days=days)
        await self.answering.journal.flush_quietly()  # what was just asked counts
        async with self.team.db.session() as session:
            found = await kl.gaps(
                session, platform=request.platform, workspace=request.workspace, since=since, limit=20
            )
        if not found:
            return Reply(
                title=ngettext("No gaps in the last {n} day", "No gaps in the last {n} days", days).format(n=days),
                sections=(Section(text=_("Every question was answered and no answer got a 👎.")),),
            )
        sections = []
        buttons: list[Button] = []
        for n, gap in enumerate(found, 1):
            what = []
            if gap.unanswered:
                what.append(_("{n} unanswered").format(n=gap.unanswered))
            if gap.down:
                what.append(
                    f"{gap.down} 👎"
                    + (f" ({', '.join(r.replace('_', ' ') for r in gap.reasons)})" if gap.reasons else "")
                )
            sections.append(
                Section(
                    heading=_("{n}. “{text}” — asked {asked}×").format(n=n, text=gap.text[:120], asked=gap.asked),
                    text=_("{what} · /{command} · nearest: {nearest}").format(
                        what=", ".join(what), command=gap.command, nearest=self._title(gap.nearest)
                    ),
                )
            )
            if n <= _GAP_BUTTONS:
                if gap.nearest:
                    buttons.append(
                        Button(
                            _("{n}. Teach → {topic}").format(n=n, topic=self._title(gap.nearest))[:70],
                            "teach-gap",
                            str(gap.question_id),
                            style="primary",
                        )
                    )
                buttons.append(Button(_("{n}. Dismiss").format(n=n), "gap-dismiss", str(gap.question_id)))
        sections.append(Section(text=_("Teach a phrase yourself: {usage}.").format(usage=_(_USAGE))))
        title = ngettext("Gaps: the last {n} day", "Gaps: the last {n} days", days).format(n=days)
        return Reply(title=title, sections=tuple(sections), buttons=tuple(buttons))

    def _question_id(self, action: Action) -> int | None:
        return votes.answer_id(action.value)

    @admin_only(N_("teach the bot a phrase"))
    async def teach_gap(self, action: Action) -> Reply | None:
        qid = self._question_id(action)
        try:
            question = await gap_question(self.team, action, qid) if qid is not None else None
        except NotFound:
            question = None
        if question is None:
            return expired()
        entry = self.team.kb.get(question.top_entry) if question.top_entry else None
        if entry is None:
            raise UserError(
                _("There is no nearest topic for “{text}”. Teach it yourself: {usage}.").format(
                    text=question.text[:80], usage=_(_USAGE)
                )
            )
        return await self._store_phrase(action, check_phrase(self.team, question.text), entry)

    async def dismiss(self, action: Action) -> Reply | None:
        qid = self._question_id(action)
        try:
            return await dismiss_gap(self.team, action, qid) if qid is not None else expired()
        except NotFound:
            return expired()

    # -- teach ----------------------------------------------------------------------------
    def _check_phrase(self, raw: str) -> str:
        return check_phrase(self.team, raw)

    def _resolve(self, topic: str) -> tuple[Entry | None, list[Entry]]:
        return resolve_topic(self.team, topic)

    async def teach(self, request: Request, text: str) -> Reply:
        parts = _ARROW.split(text, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise UserError(
                _(
                    "Write the phrase, an arrow and the topic: {usage}. "
                    "`teach list` shows what is taught, `teach remove <phrase>` removes one."
                ).format(usage=_(_USAGE))
            )
        if _ARROW.search(parts[1]):
            raise UserError(_("Use one arrow: {usage}.").format(usage=_(_USAGE)))
        phrase = self._check_phrase(parts[0])
        return await self._teach(request, phrase, parts[1].strip()[:200])

    @server_only
    @admin_only(N_("teach the bot a phrase"))
    async def _teach(self, request: Request, phrase: str, topic: str) -> Reply:
        entry, candidates = self._resolve(topic)
        if entry is not None:
            return await self._store_phrase(request, phrase, entry)
        shown = normalise_question(topic, limit=80) or "that"
        if not candidates:
            raise UserError(
                _(
                    "I can't find a topic for “{shown}”. Name it by its title or id, e.g. "
                    "`legal`, `SOC 2`, `area.comprehensive-legal-services`."
                ).format(shown=shown)
            )
        key = interaction_state.new_key()
        async with self.team.db.session() as session:
            await interaction_state.put(
                session=session,
                key=key,
                platform=request.platform,
                workspace=request.workspace,
                payload={"p": phrase, "e": [c.id for c in candidates]},
                now=self.team.now(),
                ttl=_PICK_TTL,
            )
        return Reply(
            title=_("Which topic should “{phrase}” answer with?").format(phrase=phrase),
            sections=(
                Section(
                    text=_("“{shown}” could mean several topics. Pick one:").format(shown=shown),
                    bullets=tuple(c.title for c in candidates),
                ),
            ),
            buttons=tuple(Button(c.title[:70], "teach-pick", f"{key}:{i}") for i, c in enumerate(candidates)),
        )

    @admin_only(N_("teach the bot a phrase"))
    async def teach_pick(self, action: Action) -> Reply | None:
        key, _sep, index = action.value.rpartition(":")
        if not key or not index.isdigit():
            return expired()
        async with self.team.db.session() as session:
            payload = await interaction_state.get(
                session=session, key=key, platform=action.platform, workspace=action.workspace, now=self.team.now()
            )
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("e"), list)
            or int(index) >= len(payload["e"])
            or not isinstance(payload.get("p"), str)
        ):
            return expired()
        entry = self.team.kb.get(str(payload["e"][int(index)]))
        if entry is None:
            return expired()
        return await self._store_phrase(action, self._check_phrase(payload["p"]), entry)

    async def _store_phrase(self, asker: Request | Action, phrase: str, entry: Entry) -> Reply:
        return await teach_phrase(self.team, asker, phrase, entry)

    @server_only
    async def teach_list(self, request: Request, text: str) -> Reply:
        async with self.team.db.session() as session:
            rows = await kl.taught_phrases(session, platform=request.platform, workspace=request.workspace)
        if not rows:
            return Reply(
                title=_("No taught phrases"),
                sections=(Section(text=_("Admins teach one with {usage}.").format(usage=_(_USAGE))),),
            )
        return Reply(
            title=_("Taught phrases ({n})").format(n=len(rows)),
            sections=(
                Section(bullets=tuple(f"“{r.phrase}” → {self._title(r.entry_id)}" for r in rows)),
                Section(text=_("Remove one with `/cos-service teach remove <phrase>`.")),
            ),
        )

    async def teach_remove(self, request: Request, text: str) -> Reply:
        if not normalise_question(text, limit=MAX_PHRASE * 2):
            raise UserError(_("Say which phrase to remove: `/cos-service teach remove zorblax pipeline`."))
        return await self._remove(request, text)

    @server_only
    async def _remove(self, request: Request, text: str) -> Reply:
        return await remove_phrase(self.team, request, text)
