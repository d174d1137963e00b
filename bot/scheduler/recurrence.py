"""Recurrence rules in local wall-clock time, computed with zoneinfo and returned in UTC.

A rule fires at ``hour:minute`` local time in an IANA zone. DST is handled
the same way everywhere:

* a local time that does not exist (spring-forward gap) moves forward by the
  gap (02:30 on the New York spring-forward day fires at 03:30 EDT);
* a local time that exists twice (fall-back overlap) fires once, at the
  first of the two (``fold=0``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.kernel.clock import canonical_zone
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _

__all__ = [
    "Rule",
    "CADENCES",
    "WEEKDAYS",
    "local_to_utc",
    "occurrences",
    "zone",
    "parse_hhmm",
    "parse_weekday",
    "describe",
]

CADENCES = ("daily", "weekly", "monthly", "quarterly", "yearly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_ALIASES = {w[:3]: i for i, w in enumerate(WEEKDAYS)} | {w: i for i, w in enumerate(WEEKDAYS)}
_WEEKDAY_ALIASES.update({"tues": 1, "thur": 3, "thurs": 3})
# The weekdays as a schedule's description names them (``describe``), in the language being spoken.
_WEEKDAY_NAMES = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a ``UserError`` that says how to write one."""
    try:
        canonical = canonical_zone(name)
        if canonical is None:
            raise ValueError(name)
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UserError(
            _(
                "“{name}” is not a time zone I know. Use an IANA name such as Europe/Berlin, "
                "America/New_York, Australia/Sydney or UTC."
            ).format(name=name[:40])
        ) from exc


def parse_hhmm(text: str) -> tuple[int, int]:
    """``09:00`` -> (9, 0); ``UserError`` otherwise."""
    hh, sep, mm = text.partition(":")
    if sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and 0 <= int(hh) <= 23 and 0 <= int(mm) <= 59:
        return int(hh), int(mm)
    raise UserError(
        _("“{text}” is not a time of day. Write it as HH:MM in 24-hour form, for example 09:00 or 16:30.").format(
            text=text[:20]
        )
    )


def parse_weekday(text: str) -> int | None:
    return _WEEKDAY_ALIASES.get(text.lower().rstrip("s") if text.lower().endswith("days") else text.lower())


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``day at`` in ``tz`` (gap -> shifted forward, overlap -> first)."""
    # zoneinfo with fold=0 reads a non-existent time with the offset in force
    # before the gap, which lands after the gap by exactly its length; an
    # ambiguous time with fold=0 is the earlier of the two instants.
    return datetime.combine(day, at, tzinfo=tz).replace(fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Rule:
    """When a schedule fires, in local time."""

    cadence: str
    hour: int
    minute: int
    tz: str
    weekday: int | None = None  # weekly: 0 = Monday
    day: int | None = None  # monthly: day of month (clamped to the month's length)
    skip_weekends: bool = False

    def _dates(self, start: date) -> Iterator[date]:
        """Candidate local dates from ``start`` onwards, in order."""
        if self.cadence == "daily":
            d = start
            while True:
                if not (self.skip_weekends and d.weekday() >= 5):
                    yield d
                d += timedelta(days=1)
        elif self.cadence == "weekly":
            wd = 0 if self.weekday is None else self.weekday
            d = start + timedelta(days=(wd - start.weekday()) % 7)
            while True:
                yield d
                d += timedelta(days=7)
        else:
            step = {"monthly": 1, "quarterly": 3, "yearly": 12}[self.cadence]
            y, m = start.year, start.month
            if step > 1:  # quarters start in Jan/Apr/Jul/Oct, years in January
                m = ((m - 1) // step) * step + 1
            want = self.day or 1
            while True:
                last = (date(y + (m // 12), m % 12 + 1, 1) - timedelta(days=1)).day
                d = date(y, m, min(want, last))
                if self.skip_weekends and d.weekday() >= 5:
                    d += timedelta(days=7 - d.weekday())  # to the Monday after
                if d >= start:
                    yield d
                m += step
                while m > 12:
                    m -= 12
                    y += 1


def occurrences(rule: Rule, after: datetime, until: datetime) -> Iterator[datetime]:
    """Every firing ``t`` (UTC) with ``after < t <= until``, in order."""
    tz = zone(rule.tz)
    at = time(rule.hour, rule.minute)
    start = after.astimezone(tz).date() - timedelta(days=1)
    for d in rule._dates(start):
        t = local_to_utc(d, at, tz)
        if t > until:
            # Dates are increasing and so are their instants (DST shifts are
            # far smaller than a day), so nothing later can be in range.
            return
        if t > after:
            yield t


def describe(rule: Rule) -> str:
    """``weekly on Monday at 09:00 Europe/Berlin``."""
    hhmm = f"{rule.hour:02d}:{rule.minute:02d}"
    if rule.cadence == "weekly":
        what = _("weekly on {weekday}").format(weekday=_(_WEEKDAY_NAMES[rule.weekday or 0]))
    elif rule.cadence == "monthly":
        what = _("monthly on day {day}").format(day=rule.day or 1)
    elif rule.cadence == "quarterly":
        what = (
            _("quarterly (1 Jan/Apr/Jul/Oct)")
            if not rule.day or rule.day == 1
            else _("quarterly on day {day}").format(day=rule.day)
        )
    elif rule.cadence == "yearly":
        what = _("yearly (1 January)")
    else:
        what = _("daily on weekdays") if rule.skip_weekends else _("daily")
    if rule.skip_weekends and rule.cadence != "daily":
        what += _(" (weekends moved to Monday)")
    return _("{what} at {time} {tz}").format(what=what, time=hhmm, tz=rule.tz)
