"""What every team feature shares: the app's parts, the clock, zones, and the words people type.

A feature is a small class (``StageCommands``, ``DigestCommands`` ...) that registers its
sub-commands and buttons with the router. A handler reads: parse → check → store call → Reply.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.errors import UserError
from bot.kernel.lang import _
from bot.kernel.reply import Reply
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router, SubcommandHandler
from bot.scheduler.recurrence import WEEKDAYS, parse_hhmm, parse_weekday, zone

if TYPE_CHECKING:
    from bot.app import App
    from bot.kernel.settings import Settings
    from bot.scheduler.registry import Deliveries
    from bot.scheduler.service import Scheduler
    from bot.storage.db import Database
    from bot.team.language import WorkspaceLanguages
    from knowledge import KnowledgeBase, Searcher

__all__ = [
    "Team",
    "TeamFeature",
    "parse_mentions",
    "parse_when",
    "trailing_zone",
    "add_months",
    "MENTION",
    "SANE_YEARS",
    "is_mention",
]

MENTION = re.compile(r"^(?:<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>|@([A-Za-z0-9._-]+))$")
# Years a person can mean for a stage start or a milestone target.
SANE_YEARS = (1990, 2100)


class Team:
    """The parts of the app the team features use, read through the App they are installed in."""

    def __init__(self, app: App) -> None:
        self.app = app
        # Zones already written for (platform, workspace, user) by this process.
        self.known_tz: dict[tuple[str, str, str], str] = {}
        self._languages: WorkspaceLanguages | None = None
        app.on_close(self.settled)

    async def settled(self) -> None:
        """Wait for the language settings read behind the answers (the shutdown drain, before the database
        closes: a read cut off then would have its connection reset half-way)."""
        if self._languages is not None:
            await self._languages.settled()

    @property
    def settings(self) -> Settings:
        return self.app.settings

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def kb(self) -> KnowledgeBase:
        return self.app.kb

    @property
    def searcher(self) -> Searcher:
        return self.app.searcher

    @property
    def router(self) -> Router:
        return self.app.router

    @property
    def deliveries(self) -> Deliveries:
        return self.app.deliveries

    @property
    def scheduler(self) -> Scheduler:
        return self.app.scheduler

    def now(self) -> datetime:
        return self.app.clock.now()

    @property
    def languages(self) -> WorkspaceLanguages:
        """Each workspace's chosen language (``/cos-service language``), as the router reads it."""
        if self._languages is None:
            from bot.team.language import WorkspaceLanguages

            self._languages = WorkspaceLanguages(self.db)
        return self._languages

    async def touch_member(self, request: Request) -> None:
        """Remember the asker's time zone (written only when it changed since this process last saw it)."""
        if not request.tz:
            return
        key = (request.platform, request.workspace, request.user)
        if self.known_tz.get(key) == request.tz:
            return
        try:
            zone(request.tz)
        except UserError:
            return
        from bot.team import store  # the team's tables: loaded with the first feature that needs them

        async with self.db.session() as session:
            await store.set_member_tz(
                session,
                platform=request.platform,
                workspace=request.workspace,
                user=request.user,
                tz=request.tz,
                now=self.now(),
            )
        if len(self.known_tz) > 10_000:
            self.known_tz.clear()
        self.known_tz[key] = request.tz

    async def zone_for(self, session: AsyncSession, request: Request, explicit: str | None = None) -> str:
        """The zone a request means: the one named, the asker's, the workspace's, else the default."""
        if explicit:
            return zone(explicit).key
        if request.tz:
            try:
                return zone(request.tz).key
            except UserError:
                pass
        from bot.team import store

        return (
            await store.workspace_tz(session, platform=request.platform, workspace=request.workspace)
            or self.settings.default_tz
        )

    def phase_title(self, phase_id: str) -> str:
        phase = self.kb.get(phase_id)
        return phase.title if phase is not None else phase_id


class TeamFeature:
    """Base of the team features: the shared ``Team`` and the admin list for ``@admin_only``.

    ``HELP`` holds the feature's lines of ``/cos-service help`` and ``/cos-risk help``; ``install`` adds them
    to the router's help as the feature registers its commands.
    """

    HELP: tuple[HelpLine, ...] = ()

    def __init__(self, team: Team) -> None:
        self.team = team

    @property
    def admins(self) -> Collection[str]:
        return self.team.settings.admins

    def register(self, router: Router) -> None:
        """Add this feature's sub-commands, buttons and DM handlers to ``router``."""
        raise NotImplementedError

    def register_deliveries(self, deliveries: Deliveries) -> None:
        """Add the delivery kinds this feature owns (what its outbox rows say, what its schedules plan,
        what it does on every tick) to the scheduler's registry. Most features deliver nothing."""

    def add_subcommand(self, router: Router, command: str, words: str, handler: SubcommandHandler) -> None:
        """Route ``/<command> <words> ...`` to ``handler``, remembering the asker's time zone first."""

        async def remembering(request: Request, text: str) -> Reply:
            if request.in_workspace:
                await self.team.touch_member(request)
            return await handler(request, text)

        router.add_subcommand(command, words, remembering)


def is_mention(word: str) -> bool:
    return MENTION.match(word.strip(",")) is not None


def parse_mentions(words: list[str]) -> list[str]:
    """``@U1001``, ``<@U1001>``, ``<@U1001|ann>``, ``<@1234>``, ``<@!1234>`` -> user ids (in order, unique)."""
    users: list[str] = []
    for w in words:
        m = MENTION.match(w.strip(","))
        if m is None:
            raise UserError(
                _("“{word}” is not a person. Mention participants like @U1001 (Slack) or @name.").format(word=w[:40])
            )
        uid = m.group(1) or m.group(2)
        if uid.lower() in ("everyone", "here", "channel"):
            raise UserError(
                _(
                    "Name a person, not @everyone/@here/@channel: check-ins and owners are individual "
                    "people. Mention each one, e.g. @U1001."
                )
            )
        if uid not in users:
            users.append(uid)
    return users


def parse_when(words: list[str], *, allow: tuple[str, ...], example: str) -> tuple[dict[str, Any], list[str]]:
    """``daily 14:05``, ``weekly monday 09:00``, ``monthly 15 09:00`` -> rule fields and the rest."""
    if not words:
        raise UserError(_("Say how often and when, e.g. {example}.").format(example=example))
    cadence = words[0].lower()
    rest = words[1:]
    fields: dict[str, Any] = {"cadence": cadence, "weekday": None, "day": None, "skip_weekends": False}
    if cadence in ("weekdays", "workdays"):
        fields.update(cadence="daily", skip_weekends=True)
    elif (wd := parse_weekday(cadence)) is not None and "weekly" in allow:
        fields.update(cadence="weekly", weekday=wd)
    elif cadence not in allow:
        raise UserError(
            _("“{word}” is not a day or cadence I know here. Use {allowed} (or a weekday); e.g. {example}.").format(
                word=cadence[:20], allowed=", ".join(allow), example=example
            )
        )
    elif cadence == "weekly":
        if not rest or (wd := parse_weekday(rest[0])) is None:
            raise UserError(
                _("Weekly needs a weekday ({weekdays}), e.g. {example}.").format(
                    weekdays=", ".join(WEEKDAYS), example=example
                )
            )
        fields["weekday"], rest = wd, rest[1:]
    elif cadence == "monthly" and rest and rest[0].isdigit():
        if not 1 <= int(rest[0]) <= 31:
            raise UserError(_("The day of the month is 1 to 31 (the last day is used in shorter months)."))
        fields["day"], rest = int(rest[0]), rest[1:]
    if rest and ":" in rest[0]:
        fields["hour"], fields["minute"] = parse_hhmm(rest[0])
        rest = rest[1:]
    if rest and rest[-1].lower() in ("weekdays", "skip-weekends", "no-weekends"):
        fields["skip_weekends"] = True
        rest = rest[:-1]
    return fields, rest


def trailing_zone(rest: list[str]) -> str | None:
    """What may follow a schedule's time: nothing, or one IANA zone (checked; a bad one is explained)."""
    if len(rest) > 1:
        raise UserError(
            _(
                "I did not understand “{words}”. After the time only a time zone such as Europe/Berlin may follow."
            ).format(words=" ".join(rest)[:60])
        )
    if rest:
        zone(rest[0])
    return rest[0] if rest else None


def add_months(d: date, months: int) -> date:
    """The first of the month ``months`` after ``d``'s month."""
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)
