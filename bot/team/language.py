"""The workspace's language: ``/cos-service language [zh|en|auto]``, and where the router reads it.

An admin's choice (audited) holds for every reply in the workspace: team replies, errors, buttons, and
the deliveries the scheduler words for it. ``auto`` (the default) lets each request choose by the
person's platform locale, the question's script and ``COS_DEFAULT_LANG`` (``bot.kernel.lang.choose_lang``).

Every request needs the setting, so each replica keeps it per workspace and reads the workspace's row
again at most every ``CHECK_SECONDS`` (a primary-key read); the replica that changed it knows at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING

from bot.kernel.auth import admin_only, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import LANGS, N_, _, use_lang
from bot.kernel.reply import Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.storage.models import Workspace
from bot.team.base import TeamFeature

if TYPE_CHECKING:
    from bot.storage.db import Database

__all__ = ["LanguageCommands", "WorkspaceLanguages", "CHECK_SECONDS", "CHOICES"]

# How stale a replica's view of a workspace's language may be.
CHECK_SECONDS = 3.0
# Workspaces whose setting is kept in memory (the least recently asked are dropped first).
_MAX_KEPT = 4096
CHOICES = ("zh", "en", "auto")
# What each choice is called, in the language being spoken.
_NAMES = {"zh": N_("Chinese (中文)"), "en": N_("English"), "auto": N_("automatic")}
_WORDS = {"zh": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "en": "en", "english": "en", "英文": "en"}
_WORDS.update({"auto": "auto", "automatic": "auto", "自动": "auto"})


class WorkspaceLanguages:
    """Each workspace's chosen language (None: ``auto``), read through a short-lived per-replica cache."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
        self.clock = clock
        self._kept: OrderedDict[tuple[str, str], tuple[str | None, float]] = OrderedDict()
        self._reading: dict[tuple[str, str], asyncio.Task[str | None]] = {}

    async def __call__(self, platform: str, workspace: str) -> str | None:
        """The workspace's language, or None when it has not chosen one.

        Only a workspace this replica has never seen waits for the database; a known one answers from memory
        and, when its setting is older than ``CHECK_SECONDS``, is read again behind the answer.
        """
        found, lang = self.known(platform, workspace)
        return lang if found else await self._read((platform, workspace))

    def known(self, platform: str, workspace: str) -> tuple[bool, str | None]:
        """From memory, without waiting: (True, its setting) for a workspace read before, read again behind the
        answer when older than ``CHECK_SECONDS``; (False, None) for one never seen."""
        key = (platform, workspace)
        kept = self._kept.get(key)
        if kept is None:
            return False, None
        self._kept.move_to_end(key)
        if self.clock() - kept[1] >= CHECK_SECONDS and key not in self._reading:
            task = asyncio.get_running_loop().create_task(self._read(key), name="workspace-language")
            self._reading[key] = task
            task.add_done_callback(lambda _: self._reading.pop(key, None))
        return True, kept[0]

    async def settled(self) -> None:
        """Wait for the reads in flight (tests)."""
        while self._reading:
            await asyncio.gather(*self._reading.values(), return_exceptions=True)

    async def _read(self, key: tuple[str, str]) -> str | None:
        platform, workspace = key
        kept = self._kept.get(key)
        try:
            async with self.db.session() as session:
                row = await session.get(Workspace, f"{platform}:{workspace}")
                lang = row.lang if row is not None and row.lang in LANGS else None
        except Exception:
            if kept is None:
                raise
            lang = kept[0]  # the database is away: the last known setting, checked again later
        self.remember(platform, workspace, lang)
        return lang

    def remember(self, platform: str, workspace: str, lang: str | None) -> None:
        """Keep ``lang`` as the workspace's language (after a change made here)."""
        self._kept[(platform, workspace)] = (lang, self.clock())
        self._kept.move_to_end((platform, workspace))
        while len(self._kept) > _MAX_KEPT:
            self._kept.popitem(last=False)


class LanguageCommands(TeamFeature):
    """``/cos-service language``: show the workspace's language; ``language zh|en|auto`` (admins) sets it."""

    HELP = (
        HelpLine(command="cos-service", usage="/cos-service language", what=N_("the language the bot speaks here")),
        HelpLine(
            command="cos-service",
            usage="/cos-service language <zh|en|auto>",
            what=N_("choose it for the whole workspace"),
            admin=True,
        ),
    )

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "language", self.language)
        self.add_subcommand(router, "cos-service", "语言", self.language)

    @property
    def languages(self) -> WorkspaceLanguages:
        return self.team.languages

    @server_only
    async def language(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            chosen = await self.languages(request.platform, request.workspace)
            name = _(_NAMES[chosen or "auto"])
            return Reply(
                title=_("Language here: {name}").format(name=name),
                sections=(
                    Section(
                        text=_(
                            "Admins choose it with `/cos-service language zh`, `language en`, or `language auto` "
                            "(each person's platform language, else the language of the question)."
                        )
                    ),
                ),
            )
        choice = _WORDS.get(words[0].lower()) if len(words) == 1 else None
        if choice is None:
            raise UserError(
                _("“{said}” is not a language I speak. Use `/cos-service language zh`, `en` or `auto`.").format(
                    said=" ".join(words)[:40]
                )
            )
        return await self._choose(request, choice)

    @admin_only(N_("choose the workspace's language"))
    async def _choose(self, request: Request, choice: str) -> Reply:
        from bot.team import audit, store

        lang = None if choice == "auto" else choice
        async with self.team.db.session() as session:
            row = await session.get(Workspace, f"{request.platform}:{request.workspace}")
            before = row.lang if row is not None else None
            if before != lang:
                await audit.record(
                    session,
                    request,
                    action="language.workspace",
                    before=before or "auto",
                    after=choice,
                    at=self.team.now(),
                )
                await store.set_workspace_lang(
                    session, platform=request.platform, workspace=request.workspace, lang=lang, now=self.team.now()
                )
        self.languages.remember(request.platform, request.workspace, lang)
        # The confirmation speaks the language just chosen (``auto``: the language this request chose).
        with use_lang(lang) if lang else nullcontext(""):
            return Reply(title=_("Language here: {name}").format(name=_(_NAMES[choice])), lang=lang)
