"""Answering a knowledge question: the workspace's knowledge, the honest decision, 👍/👎, the question log.

The router hands every knowledge question to :meth:`Answering.answer`. It picks the workspace's knowledge
(the shared one, or the shared one with the phrases its admins taught, ``knowledge.taught``), answers,
queues the question for the log (``bot.answering.journal``, written behind the answer) and adds the 👍/👎
buttons carrying the question's id. Nothing on this path waits for the database.

A workspace's taught phrases are an overlay kept in memory with the version it was built from. When the
overlay is older than ``VERSION_CHECK_SECONDS`` an answer starts a refresh in the background and answers
from what it has; a teach on this replica reloads its overlay before the teach replies. While the database
is away the last known overlay keeps answering.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.answering import store as kl
from bot.answering import votes
from bot.answering.commands import KnowledgeCommands
from bot.answering.journal import QuestionJournal
from bot.kernel.canned import expired
from bot.kernel.errors import UserError
from bot.kernel.lang import _, current_lang
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.request import Request
from knowledge.taught import TaughtPhrase, TaughtSearcher, normalise_question

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.answering.models import KnowledgeQuestion
    from bot.kernel.clock import Clock
    from bot.kernel.router import Action
    from bot.storage.db import Database
    from knowledge import KnowledgeBase, Searcher

__all__ = ["Answering", "Overlays", "VERSION_CHECK_SECONDS"]

log = logging.getLogger(__name__)

# How stale a replica's view of a workspace's taught phrases may be.
VERSION_CHECK_SECONDS = 3.0
# Workspaces whose overlay is kept in memory (the least recently asked are dropped first).
_MAX_OVERLAYS = 512


@dataclass(slots=True)
class _Overlay:
    version: int
    checked_at: float
    commands: KnowledgeCommands


class Overlays:
    """Each workspace's knowledge answers: shared, or with its taught phrases laid over; read from memory."""

    def __init__(self, shared: KnowledgeCommands, db: Database, clock: Clock) -> None:
        self.shared = shared
        self.db = db
        self.clock = clock
        self._cache: OrderedDict[tuple[str, str], _Overlay] = OrderedDict()
        self._refreshing: dict[tuple[str, str], asyncio.Task[None]] = {}

    def commands_for(self, platform: str, workspace: str) -> KnowledgeCommands:
        """The workspace's answers as known now; a stale or unknown one is refreshed in the background."""
        key = (platform, workspace)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            if self._now() - cached.checked_at >= VERSION_CHECK_SECONDS:
                self._refresh_later(key)
            return cached.commands
        self._refresh_later(key)
        return self.shared

    async def load(self, platform: str, workspace: str) -> KnowledgeCommands:
        """Read the workspace's version (and its phrases when they changed) now; after a teach, and for a
        one-shot ``cos-bot ask``. A database failure keeps what is known."""
        await self._refresh((platform, workspace))
        cached = self._cache.get((platform, workspace))
        return cached.commands if cached is not None else self.shared

    async def warm(self, *, limit: int = _MAX_OVERLAYS) -> None:
        """Load the overlays of the workspaces that taught phrases (a long-running bot, at start), so the first
        answers after a restart have them. A database failure leaves them to the first questions."""
        try:
            async with self.db.session() as session:
                taught = await kl.taught_workspaces(session, limit=limit)
        except Exception as exc:  # noqa: BLE001 - answering goes on; each workspace loads on its first question
            log.warning("taught phrases not preloaded: %s", type(exc).__name__)
            return
        for key in taught:
            await self._refresh(key)

    async def settled(self) -> None:
        """Wait for the refreshes in flight (tests, and the shutdown drain)."""
        while self._refreshing:
            await asyncio.gather(*self._refreshing.values(), return_exceptions=True)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _refresh_later(self, key: tuple[str, str]) -> None:
        if key in self._refreshing:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._refresh(key), name="taught-phrases")
        except RuntimeError:
            return
        self._refreshing[key] = task
        task.add_done_callback(lambda _: self._refreshing.pop(key, None))

    async def _refresh(self, key: tuple[str, str]) -> None:
        platform, workspace = key
        cached = self._cache.get(key)
        now = self._now()
        try:
            async with self.db.session() as session:
                version = await kl.knowledge_version(session, platform=platform, workspace=workspace)
                if cached is not None and cached.version == version:
                    cached.checked_at = now
                    return
                rows = await kl.taught_phrases(session, platform=platform, workspace=workspace) if version else []
        except Exception as exc:  # noqa: BLE001 - the last known overlay keeps answering
            log.warning("taught phrases of %s:%s not read: %s", platform, workspace, type(exc).__name__)
            if cached is not None:
                cached.checked_at = now  # try again after another interval, not on every question
            return
        commands = self.shared
        if rows:
            searcher = TaughtSearcher(self.shared.searcher, [TaughtPhrase(r.phrase, r.entry_id) for r in rows])
            commands = KnowledgeCommands(self.shared.kb, searcher)
        self._cache[key] = _Overlay(version=version, checked_at=now, commands=commands)
        self._cache.move_to_end(key)
        while len(self._cache) > _MAX_OVERLAYS:
            self._cache.popitem(last=False)


def _thanks(title: str, text: str) -> Reply:
    return Reply(title=title, sections=(Section(text=text),))


class Answering:
    """The product's main path: knowledge questions answered, logged behind the answer, voted on."""

    def __init__(self, kb: KnowledgeBase, searcher: Searcher, db: Database, clock: Clock) -> None:
        self.shared = KnowledgeCommands(kb, searcher)
        self.db = db
        self.clock = clock
        self.overlays = Overlays(self.shared, db, clock)
        self.journal = QuestionJournal(db)

    def actions(self) -> dict[str, Callable[[Action], Awaitable[Reply | None]]]:
        """The buttons this core answers: 👍, 👎 and the 👎 form."""
        return {votes.UP: self.up, votes.DOWN: self.down, votes.REASON: self.reason}

    async def commands_for(self, platform: str, workspace: str) -> KnowledgeCommands:
        """The knowledge answers of one workspace (to rebuild an answer for Share or paging)."""
        return self.overlays.commands_for(platform, workspace)

    # -- answering ----------------------------------------------------------------------
    async def answer(self, request: Request, command: str, text: str) -> Reply:
        """The workspace's answer to a knowledge question, queued for the log, with 👍/👎 when it answers."""
        commands = self.overlays.commands_for(request.platform, request.workspace)
        # The language the router chose: the workspace's setting, the asker's platform locale (``cos-bot ask
        # --lang``, Discord's, Slack's), the question's script, ``COS_DEFAULT_LANG``.
        reply = commands.reply(command, text, lang=current_lang())
        question = normalise_question(text)
        if not question or reply.error or reply == commands.help(command):
            return reply  # help, or a reply that is not an answer

        def scored() -> tuple[str | None, float | None]:
            outcome = commands.decide(command, text)
            if outcome.top is None:
                return None, None
            return outcome.top.entry.id, outcome.evidence

        answer = self.journal.record(
            platform=request.platform,
            workspace=request.workspace,
            user=request.user,
            command=command,
            text=question,
            matched=reply.matched,
            top_entry=reply.results[0] if reply.results else None,
            shown=reply.results,
            now=self.clock.now(),
            scored=scored,
        )
        if not reply.matched:
            return reply  # an honest "I can't answer" is already a gap; there is no answer to vote on
        return replace(reply, buttons=(*reply.buttons, *votes.buttons(answer)))

    async def close(self) -> None:
        """Write the queued questions (the shutdown drain)."""
        await self.overlays.settled()
        await self.journal.close()

    # -- votes --------------------------------------------------------------------------
    async def _written(self, question_id: int | None) -> int | None:
        """``question_id`` once its row is in the database: a vote can outrun the write of its question."""
        if question_id is not None and self.journal.pending(question_id):
            try:
                await self.journal.flush()
            except Exception as exc:
                log.warning("vote waits for its question, which cannot be written: %s", type(exc).__name__)
                raise UserError(_("Your vote can't be recorded right now. Press it again in a minute.")) from exc
        return question_id

    async def _question(
        self, session: AsyncSession, question_id: int | None, action: Action
    ) -> KnowledgeQuestion | None:
        if question_id is None:
            return None
        return await kl.get_question(
            session, question_id=question_id, platform=action.platform, workspace=action.workspace
        )

    async def _vote(self, action: Action, vote: str) -> Reply | None:
        question_id = await self._written(votes.answer_id(action.value))
        async with self.db.session() as session:
            question = await self._question(session, question_id, action)
            if question is None:
                return expired()
            outcome = await kl.vote(session, question=question, user=action.user, vote=vote, now=self.clock.now())
        thumb = "👍" if vote == "up" else "👎"
        said = {
            "new": _("Thanks for the {thumb}"),
            "changed": _("Changed your vote to {thumb}"),
            "same": _("Your {thumb} is already recorded"),
        }[outcome].format(thumb=thumb)
        if vote == "up":
            return _thanks(said, _("It helps the admins see which answers work."))
        return Reply(
            title=said,
            sections=(Section(text=_("What was wrong with the answer?")),),
            buttons=tuple(
                Button(_(label), votes.REASON, votes.reason_value(question.id, value, None))
                for value, label in votes.REASONS
            ),
        )

    async def up(self, action: Action) -> Reply | None:
        return await self._vote(action, "up")

    async def down(self, action: Action) -> Reply | None:
        """Record a 👎 (the platform opens the form; without one, the reasons come as buttons)."""
        return await self._vote(action, "down")

    async def reason(self, action: Action) -> Reply | None:
        """The 👎 form's submission: a reason and an optional comment."""
        answer, reason, comment = votes.read_reason_value(action.value)
        await self._written(answer)
        async with self.db.session() as session:
            question = await self._question(session, answer, action)
            if question is None:
                return expired()
            await kl.set_reason(
                session, question=question, user=action.user, reason=reason, comment=comment, now=self.clock.now()
            )
        label = _(dict(votes.REASONS)[reason]).lower()
        marked = (
            _("The answer was marked “{label}” with your comment.")
            if comment
            else _("The answer was marked “{label}”.")
        ).format(label=label)
        return _thanks(_("Thanks, noted"), marked + " " + _("Admins see it under `/cos-service gaps`."))
