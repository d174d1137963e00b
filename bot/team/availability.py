"""Holidays and time off: ``holidays [CC[-SUB]|add|remove|off]``, ``away [@user] A..B [note]``, ``back``.

Admins change the workspace's holidays and anyone's time off; anyone reads them and
sets their own. Check-ins skip a person who is away or whose local date is a
holiday (``bot.team.calendar``, read by the planner).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.auth import admin_only, require_admin, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_
from bot.kernel.reply import Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.kernel.safety import InputProblem, clean_input
from bot.scheduler.recurrence import zone
from bot.team import audit
from bot.team.base import TeamFeature, is_mention, parse_mentions
from bot.team.calendar import country_calendar, load_availability
from bot.team.models import Absence, HolidayCalendar, HolidayDay

__all__ = ["AvailabilityCommands", "parse_day", "parse_range", "MAX_ABSENCE_DAYS", "clean_note"]

MAX_ABSENCE_DAYS = 366
_AWAY_EXAMPLE = "`/cos-service away 2026-12-21..2027-01-04 skiing`"
_HOLIDAY_USAGE = (
    "Use `/cos-service holidays US` (an ISO country code, optionally with a region: `US-CA`, "
    "`DE-BY`), `holidays add 2026-12-24 [name]`, `holidays remove 2026-12-24`, `holidays off`, "
    "or `holidays` to see the next ones."
)
_COUNTRY = re.compile(r"^([A-Za-z]{2,3})(?:-([A-Za-z0-9]{1,10}))?$")
_MASS = re.compile(r"@\u2060?(?:everyone|here|channel)\b|<!(?:everyone|here|channel)", re.I)
_RANGE_SPLIT = re.compile(r"\.\.|–|—|/| to ")


def clean_note(text: str, limit: int) -> str:
    """A short free-text note: clean, at most ``limit`` characters, never a mass mention."""
    if len(text) > limit:
        raise UserError(f"Keep the note under {limit} characters.")
    if _MASS.search(text):
        raise UserError("Leave @everyone/@here/@channel out of the note: it is shown to the team again.")
    try:
        return clean_input(text) if text else ""
    except InputProblem as exc:
        raise UserError(str(exc)) from None


def parse_day(word: str, example: str) -> date:
    """``2026-12-24`` -> a date; a clear ``UserError`` otherwise."""
    try:
        return date.fromisoformat(word.strip())
    except ValueError:
        raise UserError(f"“{word[:20]}” is not a date I can read. Write dates as YYYY-MM-DD, e.g. {example}.") from None


def parse_range(word: str) -> tuple[date, date]:
    """``2026-12-21..2027-01-04`` (or one date) -> first and last day, inclusive."""
    parts = [p for p in _RANGE_SPLIT.split(word) if p]
    if not 1 <= len(parts) <= 2:
        raise UserError(f"Give the days off as FIRST..LAST, e.g. {_AWAY_EXAMPLE}.")
    first = parse_day(parts[0], _AWAY_EXAMPLE)
    last = parse_day(parts[-1], _AWAY_EXAMPLE)
    if last < first:
        raise UserError(f"The range ends ({last}) before it starts ({first}); write FIRST..LAST, e.g. {_AWAY_EXAMPLE}.")
    if (last - first).days + 1 > MAX_ABSENCE_DAYS:
        raise UserError(
            f"That is {(last - first).days + 1} days; time off is at most a year at a time. "
            "Split longer leave into several ranges."
        )
    return first, last


class AvailabilityCommands(TeamFeature):
    """Workspace holidays and people's time off."""

    HELP = (
        HelpLine(
            command="cos-service",
            usage="/cos-service holidays [US|DE-BY|add <date>|remove <date>|off]",
            what=N_("the workspace's public holidays"),
        ),
        HelpLine(
            command="cos-service",
            usage="/cos-service away <from>..<to> [note], away, back",
            what=N_("your time off: check-ins skip you"),
        ),
    )

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "holidays", self.holidays)
        self.add_subcommand(router, "cos-service", "holiday", self.holidays)
        self.add_subcommand(router, "cos-service", "away", self.away)
        self.add_subcommand(router, "cos-service", "back", self.back)

    async def _today(self, session: AsyncSession, request: Request) -> date:
        return self.team.now().astimezone(zone(await self.team.zone_for(session, request))).date()

    # -- holidays -------------------------------------------------------------------------
    @server_only
    async def holidays(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            return await self._holiday_list(request)
        verb = words[0].lower()
        if verb == "add":
            if len(words) < 2:
                raise UserError("Say which day, e.g. `/cos-service holidays add 2026-12-24 Christmas Eve`.")
            day = parse_day(words[1], "`/cos-service holidays add 2026-12-24 Christmas Eve`")
            name = clean_note(" ".join(words[2:]).strip(), 80)
            return await self._set_day(request, day, name, removed=False)
        if verb == "remove":
            if len(words) != 2:
                raise UserError("Say which day, e.g. `/cos-service holidays remove 2026-12-24`.")
            return await self._set_day(
                request, parse_day(words[1], "`/cos-service holidays remove 2026-12-24`"), "", removed=True
            )
        if verb in ("off", "none", "clear"):
            if len(words) != 1:
                raise UserError(_HOLIDAY_USAGE)
            return await self._off(request)
        m = _COUNTRY.match(words[0])
        if m is None or len(words) != 1:
            raise UserError(_HOLIDAY_USAGE)
        country, subdiv = m.group(1).upper(), m.group(2).upper() if m.group(2) else None
        country_calendar(country, subdiv)  # unknown codes get a clear reply before the admin check
        return await self._set_country(request, country, subdiv)

    @admin_only("change the workspace's holidays")
    async def _set_country(self, request: Request, country: str, subdiv: str | None) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            cal = (
                await session.execute(
                    select(HolidayCalendar).where(
                        HolidayCalendar.platform == request.platform, HolidayCalendar.workspace == request.workspace
                    )
                )
            ).scalar_one_or_none()
            if cal is None:
                session.add(
                    HolidayCalendar(
                        platform=request.platform,
                        workspace=request.workspace,
                        country=country,
                        subdiv=subdiv,
                        set_by=request.user,
                        updated_at=now,
                    )
                )
            else:
                cal.country, cal.subdiv, cal.set_by, cal.updated_at = country, subdiv, request.user, now
            await audit.record(
                session, request, action="holidays.country", after=country + (f"-{subdiv}" if subdiv else ""), at=now
            )
            await session.flush()
            nxt = await self._next(session, request, 5)
        where = country + (f"-{subdiv}" if subdiv else "")
        return Reply(
            title=f"Holidays: {where}",
            sections=(
                Section(heading="Next holidays", bullets=nxt or ("none in the next year",)),
                Section(
                    text="Check-ins and their nudges skip these days. Add your own with "
                    "`/cos-service holidays add YYYY-MM-DD [name]`."
                ),
            ),
        )

    @admin_only("change the workspace's holidays")
    async def _set_day(self, request: Request, day: date, name: str, *, removed: bool) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            row = (
                await session.execute(
                    select(HolidayDay).where(
                        HolidayDay.platform == request.platform,
                        HolidayDay.workspace == request.workspace,
                        HolidayDay.day == day,
                    )
                )
            ).scalar_one_or_none()
            await audit.record(
                session,
                request,
                action="holidays.remove" if removed else "holidays.add",
                target=str(day),
                after=None if removed else (name or None),
                at=now,
            )
            if removed:
                avail = await load_availability(session, request.platform, request.workspace, since=day)
                if avail.holiday(day) is None:
                    raise UserError(f"{day} is not a holiday here; `/cos-service holidays` lists the next ones.")
                ours_only = row is not None and not (avail.country and _country_has(avail.country, avail.subdiv, day))
                if row is not None and ours_only:
                    await session.delete(row)  # one of our own days: just drop it
                elif row is None:
                    session.add(
                        HolidayDay(
                            platform=request.platform,
                            workspace=request.workspace,
                            day=day,
                            name=None,
                            removed=True,
                            set_by=request.user,
                            updated_at=now,
                        )
                    )
                else:
                    row.removed, row.name, row.set_by, row.updated_at = True, None, request.user, now
                return Reply(
                    title=f"{day:%a %d %b %Y} is a working day now",
                    sections=(Section(text="Check-ins go out as usual that day."),),
                )
            if row is None:
                session.add(
                    HolidayDay(
                        platform=request.platform,
                        workspace=request.workspace,
                        day=day,
                        name=name or None,
                        removed=False,
                        set_by=request.user,
                        updated_at=now,
                    )
                )
            else:
                row.removed, row.name, row.set_by, row.updated_at = False, name or None, request.user, now
        return Reply(
            title=f"Holiday added: {day:%a %d %b %Y}" + (f" — {name}" if name else ""),
            sections=(Section(text="Check-ins and their nudges skip that day."),),
        )

    @admin_only("change the workspace's holidays")
    async def _off(self, request: Request) -> Reply:
        async with self.team.db.session() as session:
            for table in (HolidayCalendar, HolidayDay):
                await session.execute(
                    delete(table).where(table.platform == request.platform, table.workspace == request.workspace)
                )
            await audit.record(session, request, action="holidays.off", at=self.team.now())
        return Reply(
            title="Holidays off",
            sections=(Section(text="Check-ins no longer skip public holidays (time off still counts)."),),
        )

    async def _next(self, session: AsyncSession, request: Request, limit: int) -> tuple[str, ...]:
        today = await self._today(session, request)
        avail = await load_availability(session, request.platform, request.workspace, since=today)
        days = avail.holidays_between(today, today + timedelta(days=366))[:limit]
        return tuple(f"{d:%a %d %b %Y} — {name}" for d, name in days)

    async def _holiday_list(self, request: Request) -> Reply:
        async with self.team.db.session() as session:
            cal = (
                await session.execute(
                    select(HolidayCalendar).where(
                        HolidayCalendar.platform == request.platform, HolidayCalendar.workspace == request.workspace
                    )
                )
            ).scalar_one_or_none()
            nxt = await self._next(session, request, 8)
        where = (cal.country + (f"-{cal.subdiv}" if cal.subdiv else "")) if cal else "no country set"
        return Reply(
            title=f"Holidays ({where})",
            sections=(Section(heading="Next holidays", bullets=nxt or ("none",)), Section(text=_HOLIDAY_USAGE)),
        )

    # -- time off ----------------------------------------------------------------------------
    @server_only
    async def away(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words:
            return await self._away_list(request)
        who = request.user
        if is_mention(words[0]):
            who = parse_mentions(words[:1])[0]
            words = words[1:]
            if not words:
                raise UserError(f"Say which days, e.g. `/cos-service away {mention(who)} 2026-12-21..2027-01-04`.")
        first, last = parse_range(words[0])
        note = clean_note(" ".join(words[1:]).strip(), 120)
        async with self.team.db.session() as session:
            today = await self._today(session, request)
        if last < today:
            raise UserError(f"That range ended on {last}; give days from today ({today}) on.")
        if who != request.user:
            require_admin(request, self.admins, "set someone else's time off (set your own without a mention)")
        return await self._add_absence(request, who, first, last, note)

    async def _add_absence(self, request: Request, who: str, first: date, last: date, note: str) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            count = len(
                (
                    await session.execute(
                        select(Absence.id).where(
                            Absence.platform == request.platform,
                            Absence.workspace == request.workspace,
                            Absence.user == who,
                            Absence.end_on >= first - timedelta(days=MAX_ABSENCE_DAYS),
                        )
                    )
                ).all()
            )
            if count >= 50:
                raise UserError("That person already has 50 absences on record; remove some first.")
            session.add(
                Absence(
                    platform=request.platform,
                    workspace=request.workspace,
                    user=who,
                    start_on=first,
                    end_on=last,
                    note=note or None,
                    set_by=request.user,
                    created_at=now,
                )
            )
            if who != request.user:  # someone else's time off is an admin's change
                await audit.record(
                    session,
                    request,
                    action="absence.set",
                    target=who,
                    after={"from": str(first), "to": str(last)},
                    at=now,
                )
        days = (last - first).days + 1
        return Reply(
            title=f"Away: {mention(who)}, {first:%a %d %b} to {last:%a %d %b %Y} ({days} day"
            f"{'s' if days != 1 else ''})",
            fields=((Field("Note", note),) if note else ()),
            sections=(
                Section(
                    text="Check-ins and nudges skip these days; milestone reminders go to "
                    "the channel; the digest lists who is away. "
                    "`/cos-service back` ends it early."
                ),
            ),
        )

    async def _away_list(self, request: Request) -> Reply:
        async with self.team.db.session() as session:
            today = await self._today(session, request)
            rows = list(
                (
                    await session.execute(
                        select(Absence)
                        .where(
                            Absence.platform == request.platform,
                            Absence.workspace == request.workspace,
                            Absence.end_on >= today,
                        )
                        .order_by(Absence.start_on, Absence.user)
                        .limit(40)
                    )
                ).scalars()
            )
        bullets = tuple(
            f"{mention(a.user)}: {a.start_on} to {a.end_on}"
            + (" (now)" if a.start_on <= today else "")
            + (f" — {a.note}" if a.note else "")
            for a in rows
        )
        return Reply(
            title=f"Time off: {len(rows)} current and coming",
            sections=(
                Section(bullets=bullets or ("Nobody is away or planning to be.",)),
                Section(text=f"Add yours with {_AWAY_EXAMPLE}; end it with `/cos-service back`."),
            ),
        )

    @server_only
    async def back(self, request: Request, text: str) -> Reply:
        if text.strip():
            raise UserError("Just `/cos-service back`: it ends your current time off.")
        async with self.team.db.session() as session:
            today = await self._today(session, request)
            rows = list(
                (
                    await session.execute(
                        select(Absence).where(
                            Absence.platform == request.platform,
                            Absence.workspace == request.workspace,
                            Absence.user == request.user,
                            Absence.start_on <= today,
                            Absence.end_on >= today,
                        )
                    )
                ).scalars()
            )
            if not rows:
                raise UserError("You are not away today; `/cos-service away` lists current and coming time off.")
            for a in rows:
                if a.start_on >= today:
                    await session.delete(a)
                else:
                    a.end_on = today - timedelta(days=1)
        return Reply(title="Welcome back", sections=(Section(text="Check-ins include you again from today."),))


def _country_has(country: str, subdiv: str | None, day: date) -> bool:
    try:
        return day in country_calendar(country, subdiv)
    except UserError:
        return False
