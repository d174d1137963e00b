"""The command router: Request -> Reply, never raising.

A request is parsed once (:meth:`Router.parse`: cleaned text, the command's name from
``bot.kernel.commands``, the sub-command it names, the metric label). Knowledge questions go to
``Answering`` (``bot.answering.answer``); team commands (stage, digest, check-ins, the risk register...)
are sub-commands the team features add (``bot.team``). Any unexpected error becomes a polite reply with an
error id, and is logged with its traceback; the chat never sees a traceback. A database that is
unavailable (or slower than ``db_budget`` seconds) is not a bug: the person reads "try again in a minute",
and the outage is logged once (``bot.storage.outage``); knowledge questions need no database.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.kernel.canned import expired, went_wrong
from bot.kernel.commands import COMMANDS, DM, KNOWLEDGE_WORDS, canonical, parse_line
from bot.kernel.errors import DatabaseUnavailable, PermissionDenied, UserError
from bot.kernel.lang import _, choose_lang, current_lang, use_lang
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.safety import InputProblem, clean_input
from bot.ops.observe import request_done
from bot.storage.outage import within_budget

if TYPE_CHECKING:
    from bot.answering.answer import Answering
    from bot.answering.commands import KnowledgeCommands

__all__ = [
    "Action",
    "Router",
    "Parsed",
    "SubcommandHandler",
    "ActionHandler",
    "LanguageSource",
    "KnownLanguage",
    "HelpLine",
    "COMMANDS",
    "parse_line",
]

log = logging.getLogger(__name__)

SubcommandHandler = Callable[[Request, str], Awaitable[Reply]]
# ``source(platform, workspace)``: the language a workspace's admins chose (``en``, ``zh``), or None (``auto``).
LanguageSource = Callable[[str, str], Awaitable[str | None]]
# (platform, workspace) -> (read already, its setting): a workspace's language from memory, without waiting.
KnownLanguage = Callable[[str, str], tuple[bool, str | None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class HelpLine:
    """One line of ``/<command> help``: how to type a command (``usage``) and what it does (``what``, marked with
    ``N_`` and translated when the help is shown). ``admin`` marks commands only admins may use."""

    command: str
    usage: str
    what: str
    admin: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """A pressed button: who pressed it, where, and the button's action and value."""

    platform: str
    workspace: str
    channel: str
    user: str
    action: str
    value: str
    role: str = "member"
    tz: str | None = None
    in_workspace: bool = True
    # The presser's language as the platform reports it (Discord's interaction ``locale``).
    locale: str | None = None

    def as_request(self, command: str, text: str = "") -> Request:
        """The same person in the same place, asking ``/<command> <text>`` (a button that runs a command)."""
        return Request(
            platform=self.platform,
            workspace=self.workspace,
            channel=self.channel,
            user=self.user,
            command=command,
            text=text,
            role=self.role,
            tz=self.tz,
            in_workspace=self.in_workspace,
            locale=self.locale,
        )


ActionHandler = Callable[[Action], Awaitable[Reply | None]]


@dataclass(frozen=True, slots=True)
class Parsed:
    """A request read once: its command, cleaned text, the sub-command's handler and the text after its words.

    ``command`` is ``cos-service``, ``cos-risk`` or ``message`` (free text in a DM, routed after the DM
    handlers had their turn); ``label`` names it for metrics and logs, never with the question's text.
    """

    command: str
    text: str
    handler: SubcommandHandler | None = None
    rest: str = ""
    label: str = "other"

    @property
    def is_team(self) -> bool:
        """True for a team sub-command (they use the asker's role and time zone; knowledge answers need neither)."""
        return self.handler is not None


def _other(command: str) -> str:
    return DM if command == DM else "other"


class Router:
    """Dispatches requests and button actions to handlers."""

    def __init__(self, answering: Answering) -> None:
        self.answering = answering
        self._subcommands: dict[tuple[str, str], SubcommandHandler] = {}
        self._actions: dict[str, ActionHandler] = dict(answering.actions())
        self._dm_handlers: list[Callable[[Request], Awaitable[Reply | None]]] = []
        self._loader: Callable[[], None] | None = None
        # The most a request waits on the database before it is told to try again (COS_DB_REQUEST_TIMEOUT).
        self.db_budget = 2.0
        # The most a request waits for its workspace's language setting (a cache miss reads the database);
        # past it, the person's locale and the question's script decide.
        self.lang_budget = 0.5
        self._language: LanguageSource | None = None
        self._known_language: KnownLanguage | None = None
        self._default_lang = "en"
        self._help: list[HelpLine] = []

    @property
    def knowledge(self) -> KnowledgeCommands:
        """The shared knowledge answers (without any workspace's taught phrases)."""
        return self.answering.shared

    def add_subcommand(self, command: str, words: str, handler: SubcommandHandler) -> None:
        """Route ``/<command> <words> ...`` to ``handler(request, rest_of_text)``.

        ``words`` is one word (``digest``) or two (``digest off``); the longer match wins.
        """
        self._subcommands[(command, " ".join(words.lower().split()[:2]))] = handler

    def defer(self, words: Iterable[tuple[str, str]], load: Callable[[], None]) -> None:
        """Sub-commands whose handlers are not imported yet (a one-shot ``cos-bot ask`` never needs them).

        ``words`` are their ``(command, first word)`` pairs: each routes to a stand-in that calls
        ``load()`` (which adds the real handlers, actions and DM handlers) and hands the request on.
        A DM, or a button nobody answers yet, loads them too.
        """
        self._loader = load
        for command, word in words:
            self._subcommands.setdefault((command, word), self._stand_in(command, word))

    def _stand_in(self, command: str, word: str) -> SubcommandHandler:
        async def load_then_handle(request: Request, rest: str) -> Reply:
            self._load()
            found = self._subcommand(command, f"{word} {rest}".strip())
            if found is None or found[0] is load_then_handle:
                raise RuntimeError(f"no handler was loaded for /{command} {word}")
            handler, rest = found
            return await handler(request, rest)

        return load_then_handle

    def load_deferred(self) -> None:
        """Load what ``defer`` put off, now (the scheduler needs every feature's deliveries)."""
        self._load()

    def _load(self) -> None:
        load, self._loader = self._loader, None
        if load is not None:
            load()

    def _subcommand(self, command: str, text: str) -> tuple[SubcommandHandler, str] | None:
        """The handler for ``/<command> <text>`` and the text after its words, if one is added."""
        parts = text.split(" ", 2)
        if len(parts) >= 2:
            handler = self._subcommands.get((command, f"{parts[0]} {parts[1]}".lower()))
            if handler is not None:
                return handler, parts[2].strip() if len(parts) == 3 else ""
        handler = self._subcommands.get((command, parts[0].lower()))
        if handler is not None:
            return handler, text.partition(" ")[2].strip()
        return None

    def command_words(self) -> frozenset[str]:
        """The first words of every added sub-command (``digest``, ``stage`` ...), for every command."""
        return frozenset(words.split()[0] for _, words in self._subcommands if words)

    async def knowledge_for(self, platform: str, workspace: str) -> KnowledgeCommands:
        """The knowledge answers of one workspace (to rebuild an answer for Share or paging)."""
        return await self.answering.commands_for(platform, workspace)

    def set_language_source(
        self, source: LanguageSource, *, default: str = "en", known: KnownLanguage | None = None
    ) -> None:
        """Where the workspace's chosen language is read (``/cos-service language``), and the last resort.
        ``known`` answers from memory without waiting, (False, None) for a workspace it has not read yet."""
        self._language = source
        self._known_language = known
        self._default_lang = default

    async def lang_of(self, action: Action) -> str:
        """The language a button's presser is answered in (``lang_for`` with the action's platform and locale)."""
        return await self.lang_for(action.platform, action.workspace, locale=action.locale)

    async def lang_for(self, platform: str, workspace: str, *, locale: str | None = None, text: str = "") -> str:
        """The language of a reply: the workspace's setting, the person's locale, the text's script, the default."""
        setting = None
        found = False
        if self._known_language is not None:
            # the usual case: a setting already read, no task and no timer per request
            found, setting = self._known_language(platform, workspace)
        if self._language is not None and not found:
            try:
                setting = await asyncio.wait_for(self._language(platform, workspace), timeout=self.lang_budget)
            except Exception as exc:  # noqa: BLE001 - a failed or slow read of a preference must not cost the answer
                log.info(
                    "language of workspace %s:%s not read (%s): chosen by locale and script",
                    platform,
                    workspace,
                    type(exc).__name__,
                )
        return choose_lang(setting=setting, locale=locale, text=text, default=self._default_lang)

    def add_help(self, lines: Iterable[HelpLine]) -> None:
        """Lines the features add to ``/<command> help`` (in the order added)."""
        self._help.extend(lines)

    def help_lines(self, command: str) -> tuple[HelpLine, ...]:
        """The added help lines of ``command`` (loading deferred features, which add theirs as they register)."""
        self._load()
        return tuple(line for line in self._help if line.command == command)

    def with_team_help(self, command: str, reply: Reply) -> Reply:
        """The knowledge side's help with its "Team commands" replaced by the lines the team features declare."""
        lines = self.help_lines(command)
        if not lines:
            return reply
        with use_lang(reply.lang or "en"):
            heading = _("Team commands")
            admins = _(" (admins)")
            bullets = tuple(f"{line.usage} — {_(line.what)}{admins if line.admin else ''}" for line in lines)
        kept = tuple(s for s in reply.sections if s.heading != heading)
        return replace(reply, sections=(*kept, Section(heading=heading, bullets=bullets)))

    def add_action(self, name: str, handler: ActionHandler) -> None:
        self._actions[name] = handler

    def add_dm_handler(self, handler: Callable[[Request], Awaitable[Reply | None]]) -> None:
        """Handlers for free text in a DM (check-in answers); the first reply wins."""
        self._dm_handlers.append(handler)

    def parse(self, request: Request) -> Parsed:
        """Read a request once: clean its text, name its command, find its sub-command.

        Raises ``InputProblem`` for text that cannot be taken (too long, control characters) and
        ``UserError`` for a command that is not ours.
        """
        text = clean_input(request.text)
        if request.command == DM:
            return Parsed(command=DM, text=text, label=DM)
        command = canonical(request.command)
        if command is None:
            raise UserError(
                _("I only know /cos-service and /cos-risk, not “/{command}”.").format(
                    command=request.command.lstrip("/")[:40]
                )
            )
        found = self._subcommand(command, text)
        word = text.partition(" ")[0].lower()
        if found is not None:
            handler, rest = found
            return Parsed(command=command, text=text, handler=handler, rest=rest, label=f"{command} {word}")
        label = f"{command} {word}" if word in KNOWLEDGE_WORDS else command
        return Parsed(command=command, text=text, label=label)

    async def handle(self, request: Request, parsed: Parsed | None = None) -> Reply:
        """Answer a request (``parsed``: what :meth:`parse` made of it, when the adapter already asked).
        Never raises; a reply is never empty."""
        started = time.perf_counter()
        label = parsed.label if parsed is not None else canonical(request.command) or _other(request.command)
        lang = await self.lang_for(request.platform, request.workspace, locale=request.locale, text=request.text)
        with use_lang(lang):
            try:
                if parsed is None:
                    parsed = self.parse(request)
                    label = parsed.label
                reply = await self._dispatch(request, parsed)
            except DatabaseUnavailable as exc:
                reply = _unavailable(exc)
            except (UserError, InputProblem) as exc:
                reply = Reply(
                    title=_("Sorry, I can't do that")
                    if isinstance(exc, PermissionDenied)
                    else _("I couldn't read that"),
                    sections=(Section(text=str(exc)),),
                    error=str(exc),
                )
            except Exception:
                error_id = uuid.uuid4().hex[:8]
                log.exception(
                    "request failed (error id %s, platform %s, command %s)", error_id, request.platform, request.command
                )
                reply = went_wrong(error_id)
        # A refusal, a problem with the input or a failure answers nothing from the overview.
        reply = replace(reply, lang=reply.lang or lang, matched=reply.matched and reply.error is None).safe()
        request_done(label, request, reply, started)  # metrics and the request's log line
        return reply

    async def _dispatch(self, request: Request, parsed: Parsed) -> Reply:
        if parsed.command == DM:
            self._load()
            for dm_handler in self._dm_handlers:
                answer = await within_budget(dm_handler(request), seconds=self.db_budget)
                if answer is not None:
                    return answer
            command, text = parse_line(parsed.text) or (COMMANDS[0], parsed.text)
            found = self._subcommand(command, text)
            handler, rest = found or (None, "")
            parsed = Parsed(command=command, text=text, handler=handler, rest=rest, label=DM)
        if parsed.handler is not None:
            return await within_budget(parsed.handler(request, parsed.rest), seconds=self.db_budget)
        reply = await self.answering.answer(request, parsed.command, parsed.text)
        if reply.title == self.knowledge.help(parsed.command, reply.lang or "en").title and not reply.matched:
            return self.with_team_help(parsed.command, reply)  # the help: the team's lines join the knowledge's
        return reply

    async def handle_action(self, action: Action) -> Reply | None:
        """Answer a pressed button. Unknown or stale values get a polite reply."""
        lang = await self.lang_of(action)
        with use_lang(lang):
            reply = await self._handle_action(action)
        return replace(reply, lang=reply.lang or lang) if reply is not None else None

    async def _handle_action(self, action: Action) -> Reply | None:
        try:
            handler = self._actions.get(action.action)
            if handler is None and self._loader is not None:
                self._load()
                handler = self._actions.get(action.action)
            if handler is not None:
                return (await within_budget(handler(action), seconds=self.db_budget) or expired()).safe()
            value, lang = action.value[:200], current_lang()
            if action.action == "open":
                return (self.knowledge.open(value, lang) or expired()).safe()
            if action.action == "providers":
                return (self.knowledge.providers_of(value, lang) or expired()).safe()
            if action.action == "related":
                return (self.knowledge.related_of(value, lang) or expired()).safe()
            return expired().safe()
        except DatabaseUnavailable as exc:
            return _unavailable(exc).safe()
        except UserError as exc:
            return Reply(title=_("Sorry, I can't do that"), sections=(Section(text=str(exc)),), error=str(exc)).safe()
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("action %s failed (error id %s)", action.action, error_id)
            return went_wrong(error_id, what=_("do what that button asks"))


def _unavailable(exc: DatabaseUnavailable) -> Reply:
    """The database is down: say so plainly (logged once per outage by ``bot.storage.outage``, no error id)."""
    return Reply(
        title=_("Please try again in a minute"),
        sections=(Section(text=_(DatabaseUnavailable.MESSAGE)),),
        error=str(exc),
    )
