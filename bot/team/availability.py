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
from bot.kernel.lang import N_, _, day_name, ngettext
from bot.kernel.reply import Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.kernel.safety import InputProblem, clean_input
from bot.scheduler.recurrence import zone
from bot.scheduler.registry import Deliveries
from bot.team import audit
from bot.team.base import TeamFeature, is_mention, parse_mentions
from bot.team.calendar import country_calendar, load_availability
from bot.team.delivery.context import load_time_off
from bot.team.models import Absence, HolidayCalendar, HolidayDay

__all__ = ["AvailabilityCommands", "parse_day", "parse_range", "MAX_ABSENCE_DAYS", "clean_note"]

MAX_ABSENCE_DAYS = 366
_AWAY_EXAMPLE = "`/cos-service away 2026-12-21..2027-01-04 skiing`"
_HOLIDAY_USAGE = N_(
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
        raise UserError(_("Keep the note under {limit} characters.").format(limit=limit))
    if _MASS.search(text):
        raise UserError(_("Leave @everyone/@here/@channel out of the note: it is shown to the team again."))
    try:
        return clean_input(text) if text else ""
    except InputProblem as exc:
        raise UserError(str(exc)) from None


def parse_day(word: str, example: str) -> date:
    """``2026-12-24`` -> a date; a clear ``UserError`` otherwise."""
    try:
        return date.fromisoformat(word.strip())
    except ValueError:
        raise UserError(
            _("“{word}” is not a date I can read. Write dates as YYYY-MM-DD, e.g. {example}.").format(
                word=word[:20], example=example
            )
        ) from None


def parse_range(word: str) -> tuple[date, date]:
    """``2026-12-21..2027-01-04`` (or one date) -> first and last day, inclusive."""
    parts = [p for p in _RANGE_SPLIT.split(word) if p]
    if not 1 <= len(parts) <= 2:
        raise UserError(_("Give the days off as FIRST..LAST, e.g. {example}.").format(example=_AWAY_EXAMPLE))
    first = parse_day(parts[0], _AWAY_EXAMPLE)
    last = parse_day(parts[-1], _AWAY_EXAMPLE)
    if last < first:
        raise UserError(
            _("The range ends ({last}) before it starts ({first}); write FIRST..LAST, e.g. {example}.").format(
                last=last, first=first, example=_AWAY_EXAMPLE
            )
        )
    if (last - first).days + 1 > MAX_ABSENCE_DAYS:
        raise UserError(
            _(
                "That is {days} days; time off is at most a year at a time. Split longer leave into several ranges."
            ).format(days=(last - first).days + 1)
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

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_planner_context(load_time_off)

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
                raise UserError(_("Say which day, e.g. `/cos-service holidays add 2026-12-24 Christmas Eve`."))
            day = parse_day(words[1], "`/cos-service holidays add 2026-12-24 Christmas Eve`")
            name = clean_note(" ".join(words[2:]).strip(), 80)
            return await self._set_day(request, day, name, removed=False)
        if verb == "remove":
            if len(words) != 2:
                raise UserError(_("Say which day, e.g. `/cos-service holidays remove 2026-12-24`."))
            return await self._set_day(
                request, parse_day(words[1], "`/cos-service holidays remove 2026-12-24`"), "", removed=True
            )
        if verb in ("off", "none", "clear"):
            if len(words) != 1:
                raise UserError(_(_HOLIDAY_USAGE))
            return await self._off(request)
        m = _COUNTRY.match(words[0])
        if m is None or len(words) != 1:
            raise UserError(_(_HOLIDAY_USAGE))
        country, subdiv = m.group(1).upper(), m.group(2).upper() if m.group(2) else None
        country_calendar(country, subdiv)  # unknown codes get a clear reply before the admin check
        return await self._set_country(request, country, subdiv)

    @admin_only(N_("change the workspace's holidays"))
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
            title=_("Holidays: {where}").format(where=where),
            sections=(
                Section(heading=_("Next holidays"), bullets=nxt or (_("none in the next year"),)),
                Section(
                    text=_(
                        "Check-ins and their nudges skip these days. Add your own with "
                        "`/cos-service holidays add YYYY-MM-DD [name]`."
                    )
                ),
            ),
        )

    @admin_only(N_("change the workspace's holidays"))
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
                    raise UserError(
                        _("{day} is not a holiday here; `/cos-service holidays` lists the next ones.").format(day=day)
                    )
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
                    title=_("{day} is a working day now").format(day=day_name(day)),
                    sections=(Section(text=_("Check-ins go out as usual that day.")),),
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
            title=_("Holiday added: {day}").format(day=day_name(day)) + (f" — {name}" if name else ""),
            sections=(Section(text=_("Check-ins and their nudges skip that day.")),),
        )

    @admin_only(N_("change the workspace's holidays"))
    async def _off(self, request: Request) -> Reply:
        async with self.team.db.session() as session:
            for table in (HolidayCalendar, HolidayDay):
                await session.execute(
                    delete(table).where(table.platform == request.platform, table.workspace == request.workspace)
                )
            await audit.record(session, request, action="holidays.off", at=self.team.now())
        return Reply(
            title=_("Holidays off"),
            sections=(Section(text=_("Check-ins no longer skip public holidays (time off still counts).")),),
        )

    async def _next(self, session: AsyncSession, request: Request, limit: int) -> tuple[str, ...]:
        today = await self._today(session, request)
        avail = await load_availability(session, request.platform, request.workspace, since=today)
        days = avail.holidays_between(today, today + timedelta(days=366))[:limit]
        return tuple(f"{day_name(d)} — {name}" for d, name in days)

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
        where = (cal.country + (f"-{cal.subdiv}" if cal.subdiv else "")) if cal else _("no country set")
        return Reply(
            title=_("Holidays ({where})").format(where=where),
            sections=(
                Section(heading=_("Next holidays"), bullets=nxt or (_("none"),)),
                Section(text=_(_HOLIDAY_USAGE)),
            ),
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
                raise UserError(
                    _("Say which days, e.g. `/cos-service away {person} 2026-12-21..2027-01-04`.").format(
                        person=mention(who)
                    )
                )
        first, last = parse_range(words[0])
        note = clean_note(" ".join(words[1:]).strip(), 120)
        async with self.team.db.session() as session:
            today = await self._today(session, request)
        if last < today:
            raise UserError(
                _("That range ended on {last}; give days from today ({today}) on.").format(last=last, today=today)
            )
        if who != request.user:
            require_admin(request, self.admins, N_("set someone else's time off (set your own without a mention)"))
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
                raise UserError(_("That person already has 50 absences on record; remove some first."))
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
            title=ngettext(
                "Away: {person}, {first} to {last} ({days} day)",
                "Away: {person}, {first} to {last} ({days} days)",
                days,
            ).format(person=mention(who), first=day_name(first, year=False), last=day_name(last), days=days),
            fields=((Field(_("Note"), note),) if note else ()),
            sections=(
                Section(
                    text=_(
                        "Check-ins and nudges skip these days; milestone reminders go to "
                        "the channel; the digest lists who is away. "
                        "`/cos-service back` ends it early."
                    )
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
            _("{person}: {first} to {last}").format(person=mention(a.user), first=a.start_on, last=a.end_on)
            + (_(" (now)") if a.start_on <= today else "")
            + (f" — {a.note}" if a.note else "")
            for a in rows
        )
        return Reply(
            title=_("Time off: {n} current and coming").format(n=len(rows)),
            sections=(
                Section(bullets=bullets or (_("Nobody is away or planning to be."),)),
                Section(
                    text=_("Add yours with {example}; end it with `/cos-service back`.").format(example=_AWAY_EXAMPLE)
                ),
            ),
        )

    @server_only
    async def back(self, request: Request, text: str) -> Reply:
        if text.strip():
            raise UserError(_("Just `/cos-service back`: it ends your current time off."))
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
                raise UserError(_("You are not away today; `/cos-service away` lists current and coming time off."))
            for a in rows:
                if a.start_on >= today:
                    await session.delete(a)
                else:
                    a.end_on = today - timedelta(days=1)
        return Reply(title=_("Welcome back"), sections=(Section(text=_("Check-ins include you again from today.")),))


def _country_has(country: str, subdiv: str | None, day: date) -> bool:
    try:
        return day in country_calendar(country, subdiv)
    except UserError:
        return False
