"""Holidays and time off: check-ins skip them, in the planner and in ``cos-bot schedule preview`` alike."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.kernel.clock import FakeClock, SystemClock
from bot.kernel.reply import Reply, to_text
from bot.team.models import Absence, HolidayCalendar, HolidayDay
from tests.conftest import Harness
from tests.world import World


def _t(reply: Reply) -> str:
    return to_text(reply, plain_mentions=True)


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_done_when_preview_skips_holidays_and_time_off(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(SystemClock, "now", lambda self: _utc(2026, 11, 20, 12))

    def ask(line: str, user: str, role: str) -> dict:
        assert main(["ask", line, "--json", "--workspace", "T1", "--user", user, "--role", role, "--tz", "UTC"]) == 0
        return json.loads(capsys.readouterr().out)

    for line in (
        "/cos-service checkin friday 16:00 @U1001 @U1002 @U1003",
        "/cos-service holidays US",
        "/cos-service away @U1001 2026-12-07..2026-12-13",
    ):
        assert "error" not in ask(line, "UADMIN", "admin"), line
    assert "error" not in ask("/cos-service away 2026-12-14..2026-12-20", "U1003", "member")
    refused = ask("/cos-service away @U1002 2026-12-01..2026-12-31", "U1003", "member")
    assert refused.get("error") and "Only admins" in refused["text"]
    capsys.readouterr()
    assert main(["schedule", "preview", "--days", "35", "--from", "2026-12-01T00:00:00Z", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    checkins: dict[str, list[int]] = {}
    for i in items:
        if i["kind"] == "checkin":
            checkins.setdefault(i["target"], []).append(int(i["local"][8:10]))
    assert checkins == {"@U1001": [4, 18], "@U1002": [4, 11, 18], "@U1003": [4, 11]}
    assert not [i for i in items if i["local"][:10] in ("2026-12-25", "2027-01-01")]
    nudges = sorted((i["target"], i["local"][:10]) for i in items if i["kind"] == "nudge")
    assert nudges == sorted((t, f"2026-12-{d:02d}") for t, ds in checkins.items() for d in ds)
    # U1002's refused range changed nothing
    ask("/cos-service away", "U1002", "member")


@pytest.fixture
def december() -> FakeClock:
    return FakeClock(_utc(2026, 12, 1, 8))


@pytest.fixture
async def dworld(db_url: str, december: FakeClock):
    from tests.world import make_world

    w = await make_world(db_url, december)
    try:
        yield w
    finally:
        await w.app.close()


async def _count(w: World, table) -> int:
    async with w.app.db.session() as session:
        return (await session.execute(select(func.count()).select_from(table))).scalar_one()


async def test_what_is_sent_skips_holidays_and_absences_and_the_digest_lists_who_is_away(dworld: World) -> None:
    w = dworld
    for line in (
        "/cos-service checkin friday 16:00 @U1001 @U1002",
        "/cos-service holidays US",
        "/cos-service holidays add 2026-12-11 Company day",
        "/cos-service away @U1001 2026-12-03..2026-12-05 dentist",
        "/cos-service digest weekly thursday 09:00 UTC",
    ):
        r = await w.admin.say(line)
        assert r.error is None, (line, r.error)
    preview = [o.as_preview() for o in await w.scheduler.preview(days=40)]
    await w.run_until(_utc(2027, 1, 9), step_minutes=60)
    sent = sorted((s.at.isoformat()[:10], s.what, s.target) for s in w.transport.sent if s.what in ("checkin", "nudge"))
    assert sent == sorted(
        (p["at"][:10], p["kind"], p["target"][1:]) for p in preview if p["kind"] in ("checkin", "nudge")
    )
    days = {(d, t) for d, k, t in sent if k == "checkin"}
    assert ("2026-12-04", "U1002") in days and ("2026-12-04", "U1001") not in days  # away
    assert not {d for d, _ in days} & {"2026-12-11", "2026-12-25", "2027-01-01"}  # own day, Christmas, New Year
    assert ("2026-12-18", "U1001") in days and ("2027-01-08", "U1001") in days
    digest = next(s for s in w.transport.sent if s.what == "digest" and s.at.date() == date(2026, 12, 3))
    assert "Away this week" in digest.text and "@U1001" in digest.text and "dentist" in digest.text
    assert "Company day" not in digest.text  # more than a week ahead
    later = next(s for s in w.transport.sent if s.what == "digest" and s.at.date() == date(2026, 12, 24))
    assert "Christmas Day" in later.text


async def test_away_back_and_the_bad_ranges(dworld: World) -> None:
    w = dworld
    me = w.member  # U1001, a member
    for text, words in (
        ("/cos-service away 2026-12-20..2026-12-10", "ends"),
        ("/cos-service away 2026-12-01..2028-01-01", "at most a year"),
        ("/cos-service away 2026-13-01..2026-12-20", "not a date"),
        ("/cos-service away soon", "not a date"),
        ("/cos-service away 2026-11-01..2026-11-05", "ended"),
        ("/cos-service away @everyone 2026-12-01..2026-12-05", "Name a person"),
        ("/cos-service back", "not away"),
    ):
        r = await me.say(text)
        assert r.error and words in _t(r), (text, _t(r))
    assert await _count(w, Absence) == 0
    r = await me.say("/cos-service away 2026-12-01..2026-12-10 <!channel> party")
    assert r.error and await _count(w, Absence) == 0
    r = await me.say("/cos-service away 2026-11-28..2026-12-04 conference")
    assert r.error is None and "Away" in r.title
    r = await w.admin.say("/cos-service away @U1002 2026-12-20..2026-12-31")
    assert r.error is None
    listing = _t(await me.say("/cos-service away"))
    assert "@U1001" in listing and "(now)" in listing and "@U1002" in listing
    r = await me.say("/cos-service back")
    assert r.error is None
    async with w.app.db.session() as session:
        mine = (await session.execute(select(Absence).where(Absence.user == "U1001"))).scalar_one()
    assert mine.end_on == date(2026, 11, 30)
    # outside a workspace, team commands are refused
    dm = Harness(w.app, workspace="T1", channel="D1", user="U1001")
    r = await dm.say("/cos-service away")
    assert r.error is None


async def test_holiday_commands_admins_change_anyone_reads(dworld: World) -> None:
    w = dworld
    for text, words in (
        ("/cos-service holidays XX", "not a country code"),
        ("/cos-service holidays US-ZZ", "no region"),
        ("/cos-service holidays add 2026-02-30", "not a date"),
        ("/cos-service holidays remove 2026-12-24", "not a holiday"),
        ("/cos-service holidays US CA", "ISO country code"),
    ):
        r = await w.admin.say(text)
        assert r.error and words in _t(r), (text, _t(r))
    r = await w.member.say("/cos-service holidays DE-BY")
    assert r.error and "Only admins" in _t(r)
    assert await _count(w, HolidayCalendar) == 0
    r = await w.admin.say("/cos-service holidays de-by")
    assert r.error is None and "DE-BY" in r.title and "Christmas" in _t(r)
    r = await w.admin.say("/cos-service holidays remove 2026-12-26")  # Second Day of Christmas: we work
    assert r.error is None
    r = await w.admin.say("/cos-service holidays add 2026-12-31 New Year's Eve")
    assert r.error is None
    listing = _t(await w.member.say("/cos-service holidays"))
    assert "DE-BY" in listing and "New Year's Eve" in listing and "Sat 26 Dec" not in listing
    r = await w.admin.say("/cos-service holidays remove 2026-12-31")
    assert r.error is None
    assert await _count(w, HolidayDay) == 1  # the removed country day stays as a working-day marker
    r = await w.admin.say("/cos-service holidays off")
    assert r.error is None and await _count(w, HolidayCalendar) == 0 and await _count(w, HolidayDay) == 0


async def test_milestone_reminder_for_an_absent_owner_goes_to_the_channel(dworld: World) -> None:
    w = dworld
    for line in (
        "/cos-service stage early since 2026-10",
        "/cos-service milestone owner 1 @U1001",
        "/cos-service milestone date 1 2026-12-10",
        "/cos-service away @U1001 2026-12-09..2026-12-11",
    ):
        r = await w.admin.say(line)
        assert r.error is None, (line, r.error)
    await w.run_until(_utc(2026, 12, 11), step_minutes=60)
    ms = [s for s in w.transport.sent if s.what == "milestone"]
    assert [(s.kind, s.target) for s in ms] == [("dm", "U1001"), ("channel", "C1")]
    assert ms[0].at.date() == date(2026, 12, 3)
    assert "@U1001" in ms[1].text and "is away" in ms[1].text
    assert timedelta(0) < ms[1].at - _utc(2026, 12, 10) < timedelta(days=1)
