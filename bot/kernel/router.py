"""The command router: Request -> Reply, never raising.

Knowledge questions go to ``KnowledgeCommands``; team commands (stage,
digest, check-ins, the risk register...) are registered by the scheduler as
sub-commands. Any unexpected error becomes a polite reply with an error id,
and is logged with its traceback; the chat never sees a traceback.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace

from bot.answering.commands import KnowledgeCommands
from bot.kernel.canned import expired, went_wrong
from bot.kernel.errors import PermissionDenied, UserError
from bot.kernel.i18n import choose_lang
from bot.kernel.lang import _, use_lang
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.safety import InputProblem, clean_input
from bot.ops.observe import request_done

__all__ = [
    "Action",
    "Router",
    "SubcommandHandler",
    "ActionHandler",
    "KnowledgeHook",
    "LanguageSource",
    "HelpLine",
    "COMMANDS",
    "parse_line",
]

log = logging.getLogger(__name__)

COMMANDS = ("cos-service", "cos-risk")
_COMMAND_ALIASES = {
    "cos-service": "cos-service",
    "service": "cos-service",
    "services": "cos-service",
    "cos-risk": "cos-risk",
    "risk": "cos-risk",
    "risks": "cos-risk",
}

SubcommandHandler = Callable[[Request, str], Awaitable[Reply]]
# Answers a knowledge question: ``hook(request, command, cleaned_text)`` (logs it, adds feedback buttons).
KnowledgeHook = Callable[[Request, str, str], Awaitable[Reply]]
# The knowledge answers of one (platform, workspace): the shared ones, or with the workspace's taught phrases.
KnowledgeSource = Callable[[str, str], Awaitable[KnowledgeCommands]]
# ``source(platform, workspace)``: the language a workspace's admins chose (``en``, ``zh``), or None (``auto``).
LanguageSource = Callable[[str, str], Awaitable[str | None]]
# The text after ``/cos-service`` that asks for the help (``帮助`` answers in Chinese whatever the setting).
HELP_WORDS = frozenset({"", "help", "?", "commands", "帮助", "幫助"})
_CHINESE_HELP = frozenset({"帮助", "幫助"})


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


def parse_line(line: str) -> tuple[str, str] | None:
    """Split ``/cos-service legal`` (or ``service legal``) into command and text."""
    stripped = line.strip()
    if not stripped:
        return None
    head, _sep, rest = stripped.partition(" ")
    command = _COMMAND_ALIASES.get(head.lstrip("/").lower())
    if command is None:
        return None
    return command, rest.strip()


class Router:
    """Dispatches requests and button actions to handlers."""

    def __init__(self, knowledge: KnowledgeCommands) -> None:
        self.knowledge = knowledge
        self._subcommands: dict[tuple[str, str], SubcommandHandler] = {}
        self._actions: dict[str, ActionHandler] = {}
        self._dm_handlers: list[Callable[[Request], Awaitable[Reply | None]]] = []
        self._knowledge_hook: KnowledgeHook | None = None
        self._knowledge_source: KnowledgeSource | None = None
        self._loader: Callable[[], None] | None = None
        self._language: LanguageSource | None = None
        self._default_lang = "en"
        self._help: list[HelpLine] = []

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
        return frozenset(words.split()[0] for _command, words in self._subcommands if words)

    def set_knowledge_hook(self, hook: KnowledgeHook) -> None:
        """Answer knowledge questions through ``hook`` instead of ``knowledge.reply`` directly."""
        self._knowledge_hook = hook

    def set_knowledge_source(self, source: KnowledgeSource) -> None:
        """Where :meth:`knowledge_for` finds a workspace's knowledge answers."""
        self._knowledge_source = source

    async def knowledge_for(self, platform: str, workspace: str) -> KnowledgeCommands:
        """The knowledge answers of one workspace (to rebuild an answer for Share or paging)."""
        if self._knowledge_source is None:
            return self.knowledge
        return await self._knowledge_source(platform, workspace)

    def set_language_source(self, source: LanguageSource, *, default: str = "en") -> None:
        """Where the workspace's chosen language is read (``/cos-service language``), and the last resort."""
        self._language = source
        self._default_lang = default

    async def lang_for(self, platform: str, workspace: str, *, locale: str | None = None, text: str = "") -> str:
        """The language of a reply: the workspace's setting, the person's locale, the text's script, the default."""
        setting = None
        if self._language is not None:
            try:
                setting = await self._language(platform, workspace)
            except Exception:  # a failed read of a preference must not cost the answer
                log.warning("could not read the language of workspace %s:%s", platform, workspace, exc_info=True)
        return choose_lang(setting=setting, locale=locale, text=text, default=self._default_lang)

    def add_help(self, lines: Iterable[HelpLine]) -> None:
        """Lines the features add to ``/<command> help`` (in the order added)."""
        self._help.extend(lines)

    def help_lines(self, command: str) -> tuple[HelpLine, ...]:
        """The added help lines of ``command`` (loading deferred features, which add theirs as they register)."""
        self._load()
        return tuple(line for line in self._help if line.command == command)

    def add_action(self, name: str, handler: ActionHandler) -> None:
        self._actions[name] = handler

    def add_dm_handler(self, handler: Callable[[Request], Awaitable[Reply | None]]) -> None:
        """Handlers for free text in a DM (check-in answers); the first reply wins."""
        self._dm_handlers.append(handler)

    def is_subcommand(self, command: str, text: str) -> bool:
        """True when ``/<command> <text>`` goes to an added subcommand (team commands use the asker's
        role and time zone); False for knowledge answers, which need neither."""
        command = _COMMAND_ALIASES.get(command.lstrip("/").lower(), command)
        try:
            return self._subcommand(command, clean_input(text)) is not None
        except InputProblem:
            return False  # answered with an input error, whoever asks

    async def handle(self, request: Request) -> Reply:
        """Answer a request. Never raises; a reply is never empty."""
        started = time.perf_counter()
        lang = await self.lang_for(request.platform, request.workspace, locale=request.locale, text=request.text)
        with use_lang(lang):
            try:
                reply = await self._dispatch(request)
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
        reply = replace(reply, lang=reply.lang or lang).safe()
        request_done(self, request, reply, started)  # metrics and the request's log line
        return reply

    async def _dispatch(self, request: Request) -> Reply:
        text = clean_input(request.text)
        command = request.command
        if command == "message":
            self._load()
            for dm_handler in self._dm_handlers:
                answer = await dm_handler(request)
                if answer is not None:
                    return answer
            parsed = parse_line(text)
            if parsed is None:
                command, text = "cos-service", text
            else:
                command, text = parsed
        command = _COMMAND_ALIASES.get(command.lstrip("/").lower(), command)
        if command not in COMMANDS:
            raise UserError(_("I only know /cos-service and /cos-risk, not “/{command}”.").format(command=command[:40]))
        found = self._subcommand(command, text)
        if found is not None:
            handler, rest = found
            return await handler(request, rest)
        if text.strip().lower() in HELP_WORDS:
            if text.strip() in _CHINESE_HELP:
                with use_lang("zh"):
                    return replace(self.help(command), lang="zh")
            return self.help(command)
        if self._knowledge_hook is not None:
            reply = await self._knowledge_hook(request, command, text)
        else:
            reply = self.knowledge.reply(command, text)
        # "help me", "commands please": the knowledge side knows them as the help, which the team's lines join.
        return self.help(command) if reply == self.knowledge.help(command) else reply

    def help(self, command: str) -> Reply:
        """``/<command> help``: what the knowledge answers, then every team command of ``command``."""
        reply = self.knowledge.help(command)
        lines = self.help_lines(command)
        if not lines:
            return reply
        admins = _(" (admins)")
        bullets = tuple(f"{line.usage} — {_(line.what)}{admins if line.admin else ''}" for line in lines)
        return replace(reply, sections=(*reply.sections, Section(heading=_("Team commands"), bullets=bullets)))

    async def handle_action(self, action: Action) -> Reply | None:
        """Answer a pressed button. Unknown or stale values get a polite reply."""
        lang = await self.lang_for(action.platform, action.workspace, locale=action.locale)
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
                return (await handler(action) or expired()).safe()
            value = action.value[:200]
            if action.action == "open":
                return (self.knowledge.open(value) or expired()).safe()
            if action.action == "providers":
                return (self.knowledge.providers_of(value) or expired()).safe()
            if action.action == "related":
                return (self.knowledge.related_of(value) or expired()).safe()
            return expired().safe()
        except UserError as exc:
            return Reply(title=_("Sorry, I can't do that"), sections=(Section(text=str(exc)),), error=str(exc)).safe()
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("action %s failed (error id %s)", action.action, error_id)
            return went_wrong(error_id, what=_("do what that button asks"))
