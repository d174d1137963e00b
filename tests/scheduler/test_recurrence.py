"""Local wall-clock rules through DST gaps and overlaps, every cadence, weekend skipping."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.errors import UserError
from bot.scheduler.recurrence import Rule, describe, local_to_utc, occurrences, parse_hhmm, zone


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def _local(rule: Rule, after: datetime, until: datetime) -> list[str]:
    tz = ZoneInfo(rule.tz)
    return [t.astimezone(tz).isoformat() for t in occurrences(rule, after, until)]


@pytest.mark.parametrize(
    ("tz", "day", "wall", "expected_local"),
    [
        # Spring-forward gaps: a time that does not exist moves forward by the gap.
        ("America/New_York", date(2026, 3, 8), time(2, 30), "2026-03-08T03:30:00-04:00"),
        ("Europe/Berlin", date(2026, 3, 29), time(2, 30), "2026-03-29T03:30:00+02:00"),
        ("Australia/Sydney", date(2026, 10, 4), time(2, 30), "2026-10-04T03:30:00+11:00"),
        # Fall-back overlaps: a time that exists twice fires at the first one.
        ("America/New_York", date(2026, 11, 1), time(1, 30), "2026-11-01T01:30:00-04:00"),
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), "2026-10-25T02:30:00+02:00"),
        ("Australia/Sydney", date(2026, 4, 5), time(2, 30), "2026-04-05T02:30:00+11:00"),
        # Ordinary times either side.
        ("Europe/Berlin", date(2026, 3, 28), time(9, 0), "2026-03-28T09:00:00+01:00"),
        ("Europe/Berlin", date(2026, 3, 30), time(9, 0), "2026-03-30T09:00:00+02:00"),
    ],
)
def test_gap_moves_forward_and_overlap_takes_first(tz: str, day: date, wall: time, expected_local: str) -> None:
    t = local_to_utc(day, wall, ZoneInfo(tz))
    assert t.tzinfo is UTC
    assert t.astimezone(ZoneInfo(tz)).isoformat() == expected_local


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/Berlin", "Australia/Sydney"])
def test_daily_rule_fires_once_a_day_through_both_changes(tz: str) -> None:
    # 02:30 local every day for a year: exactly one firing per local day, never twice, never skipped.
    rule = Rule("daily", 2, 30, tz)
    times = list(occurrences(rule, _utc(2026, 1, 1), _utc(2027, 1, 1)))
    local_days = [t.astimezone(ZoneInfo(tz)).date() for t in times]
    assert len(local_days) == len(set(local_days)) == 365
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    # On the gap day it fires at 03:30, every other day at 02:30.
    walls = {t.astimezone(ZoneInfo(tz)).strftime("%H:%M") for t in times}
    assert walls == {"02:30", "03:30"}
    assert sum(1 for t in times if t.astimezone(ZoneInfo(tz)).strftime("%H:%M") == "03:30") == 1


def test_weekly_berlin_monday_0900_across_march_2027_change() -> None:
    rule = Rule("weekly", 9, 0, "Europe/Berlin", weekday=0)
    got = _local(rule, _utc(2027, 3, 15), _utc(2027, 4, 6))
    assert got == [
        "2027-03-15T09:00:00+01:00",
        "2027-03-22T09:00:00+01:00",
        "2027-03-29T09:00:00+02:00",
        "2027-04-05T09:00:00+02:00",
    ]
    utc = [t.strftime("%H:%M") for t in occurrences(rule, _utc(2027, 3, 15), _utc(2027, 4, 6))]
    assert utc == ["08:00", "08:00", "07:00", "07:00"]


def test_weekly_sydney_across_april_change() -> None:
    rule = Rule("weekly", 9, 0, "Australia/Sydney", weekday=0)
    got = _local(rule, _utc(2026, 3, 25), _utc(2026, 4, 14))
    assert got == ["2026-03-30T09:00:00+11:00", "2026-04-06T09:00:00+10:00", "2026-04-13T09:00:00+10:00"]


def test_monthly_clamps_to_short_months_and_can_skip_weekends() -> None:
    rule = Rule("monthly", 10, 0, "UTC", day=31)
    days = [t.date().isoformat() for t in occurrences(rule, _utc(2026, 1, 1), _utc(2026, 5, 1))]
    assert days == ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]
    rule = Rule("monthly", 10, 0, "UTC", day=31, skip_weekends=True)
    days = [t.date().isoformat() for t in occurrences(rule, _utc(2026, 1, 1), _utc(2026, 5, 1))]
    # 31 Jan 2026 is a Saturday, 28 Feb a Saturday: moved to Monday.
    assert days == ["2026-02-02", "2026-03-02", "2026-03-31", "2026-04-30"]


def test_quarterly_and_yearly() -> None:
    q = [t.date().isoformat() for t in occurrences(Rule("quarterly", 9, 0, "UTC"), _utc(2026, 3, 2), _utc(2027, 3, 2))]
    assert q == ["2026-04-01", "2026-07-01", "2026-10-01", "2027-01-01"]
    y = [t.date().isoformat() for t in occurrences(Rule("yearly", 9, 0, "UTC"), _utc(2026, 3, 2), _utc(2029, 3, 2))]
    assert y == ["2027-01-01", "2028-01-01", "2029-01-01"]


def test_daily_weekdays_only() -> None:
    rule = Rule("daily", 14, 5, "UTC", skip_weekends=True)
    days = [t.strftime("%a") for t in occurrences(rule, _utc(2026, 3, 2), _utc(2026, 3, 16))]
    assert days == ["Mon", "Tue", "Wed", "Thu", "Fri"] * 2
    assert describe(rule) == "daily on weekdays at 14:05 UTC"


def test_range_is_half_open() -> None:
    rule = Rule("daily", 9, 0, "UTC")
    at = _utc(2026, 3, 2, 9)
    assert list(occurrences(rule, at, at)) == []
    assert list(occurrences(rule, at - timedelta(seconds=1), at)) == [at]


def test_bad_zone_and_time_are_user_errors() -> None:
    with pytest.raises(UserError, match="IANA"):
        zone("Mars/Olympus")
    with pytest.raises(UserError, match="IANA"):
        zone("CEST")
    with pytest.raises(UserError, match="HH:MM"):
        parse_hhmm("25:00")
    with pytest.raises(UserError, match="HH:MM"):
        parse_hhmm("9am")
    assert zone("utc").key == "UTC"
