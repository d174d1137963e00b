"""Who is available when: a workspace's public holidays (the ``holidays`` package) and people's time off.

The planners (``bot.team.delivery``, through the scheduler's planning context) and
``cos-bot schedule preview`` both read an ``Availability``, so a check-in skipped for a
holiday or an absence is neither queued nor previewed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.errors import UserError
from bot.kernel.lang import _, day_name
from bot.team.models import Absence, HolidayCalendar, HolidayDay

__all__ = ["Availability", "load_availability", "country_calendar", "away_between"]

log = logging.getLogger(__name__)


def country_calendar(country: str, subdiv: str | None) -> Any:
    """The ``holidays`` calendar of an ISO country (and subdivision); ``UserError`` for unknown codes."""
    import holidays as holidays_lib  # here, not at the top: ``cos-bot ask`` never needs it

    try:
        return holidays_lib.country_holidays(country, subdiv=subdiv)
    except NotImplementedError as exc:
        supported = holidays_lib.list_supported_countries()
        if country not in supported:
            raise UserError(
                _(
                    "“{country}” is not a country code I have holidays for. Use an ISO code "
                    "such as US, DE, GB or FR, optionally with a region: US-CA, DE-BY."
                ).format(country=country[:8])
            ) from exc
        regions = ", ".join(supported[country][:12]) + ("…" if len(supported[country]) > 12 else "")
        raise UserError(
            _("{country} has no region “{region}”. Regions: {regions}.").format(
                country=country, region=(subdiv or "")[:10], regions=regions
            )
        ) from exc


@dataclass(slots=True)
class Availability:
    """A workspace's holidays (country calendar plus its own days) and its people's absences."""

    country: str | None = None
    subdiv: str | None = None
    added: dict[date, str] = field(default_factory=dict)
    removed: set[date] = field(default_factory=set)
    absences: dict[str, list[tuple[date, date, str | None]]] = field(default_factory=dict)
    _calendar: Any = None

    def holiday(self, day: date) -> str | None:
        """The holiday's name when ``day`` is a workspace holiday, else None."""
        if day in self.added:
            return self.added[day] or "Holiday"
        if self.country is None or day in self.removed:
            return None
        if self._calendar is None:
            try:
                self._calendar = country_calendar(self.country, self.subdiv)
            except UserError:
                log.warning("holiday calendar %s-%s is not available; no country holidays", self.country, self.subdiv)
                self.country = None
                return None
        name = self._calendar.get(day)
        return str(name) if name else None

    def away(self, user: str, day: date) -> bool:
        return any(start <= day <= end for start, end, _note in self.absences.get(user, ()))

    def skips(self, user: str, day: date) -> bool:
        """True when ``user`` is not asked on their local ``day``: away, or a workspace holiday."""
        return self.away(user, day) or self.holiday(day) is not None

    def holidays_between(self, first: date, last: date) -> list[tuple[date, str]]:
        """Every holiday from ``first`` to ``last`` inclusive, in date order."""
        out: list[tuple[date, str]] = []
        day = first
        while day <= last:
            name = self.holiday(day)
            if name:
                out.append((day, name))
            day = date.fromordinal(day.toordinal() + 1)
        return out


async def load_availability(
    session: AsyncSession, platform: str, workspace: str, since: date | None = None
) -> Availability:
    """The workspace's calendar and the absences that end on or after ``since``."""
    cal = (
        await session.execute(
            select(HolidayCalendar).where(HolidayCalendar.platform == platform, HolidayCalendar.workspace == workspace)
        )
    ).scalar_one_or_none()
    days = (
        (
            await session.execute(
                select(HolidayDay).where(HolidayDay.platform == platform, HolidayDay.workspace == workspace)
            )
        )
        .scalars()
        .all()
    )
    query = select(Absence).where(Absence.platform == platform, Absence.workspace == workspace)
    if since is not None:
        query = query.where(Absence.end_on >= since)
    out = Availability(
        country=cal.country if cal else None,
        subdiv=cal.subdiv if cal else None,
        added={d.day: d.name or "Holiday" for d in days if not d.removed},
        removed={d.day for d in days if d.removed},
    )
    for a in (await session.execute(query.order_by(Absence.start_on))).scalars():
        out.absences.setdefault(a.user, []).append((a.start_on, a.end_on, a.note))
    return out


async def away_between(
    session: AsyncSession, *, platform: str, workspace: str, first: date, last: date
) -> list[Absence]:
    """Absences overlapping ``first``..``last``, by start date."""
    return list(
        (
            await session.execute(
                select(Absence)
                .where(
                    Absence.platform == platform,
                    Absence.workspace == workspace,
                    Absence.start_on <= last,
                    Absence.end_on >= first,
                )
                .order_by(Absence.start_on, Absence.user)
            )
        ).scalars()
    )


async def away_section(session: AsyncSession, *, platform: str, workspace: str, today: date) -> Any:
    """The digest's "Away this week" section (absences and holidays of the next seven days), or None."""
    from bot.kernel.reply import Section, mention

    last = today + timedelta(days=6)
    bullets = [
        _("{who}: {first} to {last}").format(
            who=mention(a.user), first=day_name(a.start_on, year=False), last=day_name(a.end_on, year=False)
        )
        + (f" — {a.note}" if a.note else "")
        for a in await away_between(session, platform=platform, workspace=workspace, first=today, last=last)
    ]
    avail = await load_availability(session, platform, workspace, since=today)
    bullets += [
        _("Holiday {day}: {name}").format(day=day_name(d, year=False), name=name)
        for d, name in avail.holidays_between(today, last)
    ]
    if not bullets:
        return None
    return Section(heading=_("Away this week"), bullets=tuple(bullets))
