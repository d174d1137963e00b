"""Every knowledge answer is logged and carries 👍/👎; a workspace's taught phrases apply to its answers.

The router answers knowledge questions through :meth:`FeedbackCommands.answer`: it picks the
workspace's knowledge (the shared one, or the shared one with the phrases its admins taught,
``knowledge.taught``), answers, logs the question (``bot.answering.log``) and adds the 👍/👎
buttons with the logged answer's id. A failure to log never costs the answer: it goes out
without buttons.

Replicas see a teach at once: each keeps a per-workspace overlay with the version it was built
from, and reads the workspace's version (one primary-key read) at most every
``VERSION_CHECK_SECONDS``; the replica that taught drops its overlay immediately.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from bot.answering import log as kl
from bot.answering import votes
from bot.answering.commands import KnowledgeCommands
from bot.kernel.canned import expired
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import Action, Router
from bot.team.base import TeamFeature
from knowledge.taught import TaughtPhrase, TaughtSearcher, normalise_question

if TYPE_CHECKING:
    from bot.team.base import Team

__all__ = ["FeedbackCommands", "Overlays", "overlays", "VERSION_CHECK_SECONDS"]

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
    """Each workspace's knowledge answers: shared, or with its taught phrases laid over."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self._cache: OrderedDict[tuple[str, str], _Overlay] = OrderedDict()

    @property
    def shared(self) -> KnowledgeCommands:
        return self.team.router.knowledge

    def forget(self, platform: str, workspace: str) -> None:
        """Drop a workspace's overlay (after a teach here): the next question reads the database."""
        self._cache.pop((platform, workspace), None)

    async def commands_for(self, platform: str, workspace: str) -> KnowledgeCommands:
        key = (platform, workspace)
        now = self.team.now().timestamp()
        cached = self._cache.get(key)
        if cached is not None and now - cached.checked_at < VERSION_CHECK_SECONDS:
            self._cache.move_to_end(key)
            return cached.commands
        try:
            async with self.team.db.session() as session:
                version = await kl.knowledge_version(session, platform=platform, workspace=workspace)
                if cached is not None and cached.version == version:
                    cached.checked_at = now
                    return cached.commands
                rows = await kl.taught_phrases(session, platform=platform, workspace=workspace) if version else []
        except Exception as exc:  # noqa: BLE001 - the shared knowledge still answers
            log.warning("taught phrases of %s:%s not read: %s", platform, workspace, type(exc).__name__)
            return cached.commands if cached is not None else self.shared
        commands = self.shared
        if rows:
            searcher = TaughtSearcher(self.team.searcher, [TaughtPhrase(r.phrase, r.entry_id) for r in rows])
            commands = KnowledgeCommands(self.team.kb, searcher)
        self._cache[key] = _Overlay(version=version, checked_at=now, commands=commands)
        self._cache.move_to_end(key)
        while len(self._cache) > _MAX_OVERLAYS:
            self._cache.popitem(last=False)
        return commands


_OVERLAYS: WeakKeyDictionary[Team, Overlays] = WeakKeyDictionary()


def overlays(team: Team) -> Overlays:
    """The one ``Overlays`` of ``team`` (shared by the features that answer and teach)."""
    found = _OVERLAYS.get(team)
    if found is None:
        found = _OVERLAYS[team] = Overlays(team)
    return found


def _thanks(title: str, text: str) -> Reply:
    return Reply(title=title, sections=(Section(text=text),))


class FeedbackCommands(TeamFeature):
    """Answers knowledge questions (logged, with 👍/👎) and records the votes and the 👎 form."""

    def register(self, router: Router) -> None:
        self.overlays = overlays(self.team)
        router.set_knowledge_hook(self.answer)
        router.set_knowledge_source(self.overlays.commands_for)
        router.add_action(votes.UP, self.up)
        router.add_action(votes.DOWN, self.down)
        router.add_action(votes.REASON, self.reason)

    # -- answering ----------------------------------------------------------------------
    async def answer(self, request: Request, command: str, text: str) -> Reply:
        """The workspace's answer to a knowledge question, logged, with 👍/👎 when it answers it."""
        commands = await self.overlays.commands_for(request.platform, request.workspace)
        reply = commands.reply(command, text)
        question = normalise_question(text)
        if not question or reply.error or reply == commands.help(command):
            return reply  # help, or a reply that is not an answer
        try:
            outcome = commands.decide(command, text)
            top = reply.results[0] if reply.results else (outcome.top.entry.id if outcome.top else None)
            if top is None and outcome.top is not None:
                top = outcome.top.entry.id
            score = outcome.evidence if outcome.top is not None else None
            async with self.team.db.session() as session:
                answer = await kl.record_question(
                    session,
                    platform=request.platform,
                    workspace=request.workspace,
                    user=request.user,
                    command=command,
                    text=question,
                    matched=reply.matched,
                    top_entry=top,
                    score=score,
                    shown=reply.results,
                    now=self.team.now(),
                )
        except Exception as exc:  # noqa: BLE001 - the answer matters more than its log entry
            log.warning("knowledge question not logged: %s", type(exc).__name__)
            return reply
        if not reply.matched:
            return reply  # an honest "I can't answer" is already a gap; there is no answer to vote on
        return replace(reply, buttons=(*reply.buttons, *votes.buttons(answer)))

    # -- votes --------------------------------------------------------------------------
    async def _vote(self, action: Action, vote: str) -> Reply | None:
        answer = votes.answer_id(action.value)
        async with self.team.db.session() as session:
            question = (
                None
                if answer is None
                else await kl.get_question(
                    session, question_id=answer, platform=action.platform, workspace=action.workspace
                )
            )
            if question is None:
                return expired()
            outcome = await kl.vote(session, question=question, user=action.user, vote=vote, now=self.team.now())
        thumb = "👍" if vote == "up" else "👎"
        said = {
            "new": f"Thanks for the {thumb}",
            "changed": f"Changed your vote to {thumb}",
            "same": f"Your {thumb} is already recorded",
        }[outcome]
        if vote == "up":
            return _thanks(said, "It helps the admins see which answers work.")
        return Reply(
            title=said,
            sections=(Section(text="What was wrong with the answer?"),),
            buttons=tuple(
                Button(label, votes.REASON, votes.reason_value(question.id, value, None))
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
        async with self.team.db.session() as session:
            question = await kl.get_question(
                session, question_id=answer, platform=action.platform, workspace=action.workspace
            )
            if question is None:
                return expired()
            await kl.set_reason(
                session, question=question, user=action.user, reason=reason, comment=comment, now=self.team.now()
            )
        label = dict(votes.REASONS)[reason].lower()
        return _thanks(
            "Thanks, noted",
            f"The answer was marked “{label}”"
            + (" with your comment." if comment else ".")
            + " Admins see it under `/cos-service gaps`.",
        )
