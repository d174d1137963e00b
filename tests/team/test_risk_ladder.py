"""The risk ladder: OK, Due, Overdue and Accepted in the register; escalation once per overdue period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply, to_text
from bot.team.ladder import rung
from bot.team.models import RiskItem
from tests.world import World, make_world, outbox_rows

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the register is created now; quarterly = 92 days


def _t(reply: Reply) -> str:
    return to_text(reply, plain_mentions=True)


async def _setup(w: World, *, review_others: bool = True) -> None:
    """Reminders in C1, GDPR owned by U1001 and never reviewed; every other item reviewed now."""
    for line in ("/cos-risk schedule quarterly 09:00 UTC", "/cos-risk owner gdpr @U1001"):
        r = await w.admin.say(line)
        assert r.error is None, (line, r.error)
    if review_others:
        async with w.app.db.session() as session:
            items = (await session.execute(select(RiskItem))).scalars()
            titles = [i.title for i in items if "Data Protection" not in i.title]
        for title in titles:
            r = await w.admin.say(f"/cos-risk review {title.lower()} low")
            assert r.error is None, title


async def _days(w: World, until: datetime) -> None:
    """Tick twice a day (fake time) up to ``until``."""
    while w.clock.now() < until:
        w.clock.set(min(until, w.clock.now() + timedelta(hours=12)))
        await w.tick()


def _line(text: str, word: str) -> str:
    return next(line for line in text.splitlines() if word in line)


async def test_register_shows_the_rung_and_days(any_world: World) -> None:
    w = any_world
    await _setup(w)
    assert "DUE in 7 days" in _line(_t(await w.member.say("/cos-risk register")), "Data Protection")
    assert "OK, next review in 92 days" in _line(_t(await w.member.say("/cos-risk register")), "Financial Risk")
    w.clock.set(START + timedelta(days=10))
    text = _t(await w.member.say("/cos-risk register"))
    assert "OVERDUE 3 days" in _line(text, "Data Protection")
    assert "1 due for review" in text
    r = await w.admin.say("/cos-risk review gdpr low all DPAs signed")
    assert r.error is None
    assert "OK, next review in 92 days" in _line(_t(await w.member.say("/cos-risk register")), "Data Protection")
    w.clock.set(START + timedelta(days=10 + 88))
    assert "DUE in 4 days" in _line(_t(await w.member.say("/cos-risk register")), "Data Protection")


async def test_escalation_once_per_overdue_period_then_again_after_the_next(any_world: World) -> None:
    w = any_world
    await _setup(w)
    await _days(w, START + timedelta(days=7 + 6))
    assert not await outbox_rows(w.app, kind="escalation")
    await _days(w, START + timedelta(days=30))
    gdpr = [s for s in w.transport.sent if s.what == "escalation"]
    assert [(s.kind, s.target) for s in sorted(gdpr, key=lambda s: s.kind)] == [("channel", "C1"), ("dm", "U1001")]
    assert all(s.at.date() == date(2026, 3, 16) for s in gdpr)  # overdue since 9 March, escalated 7 days later
    post = next(s for s in gdpr if s.kind == "channel")
    assert "Escalation" in post.text and "@U1001" in post.text and "accept" in post.text
    assert "@everyone" not in post.text and "@channel" not in post.text
    # reviewed: the next overdue period escalates again, once
    r = await w.admin.say("/cos-risk review gdpr high")
    assert r.error is None
    await w.admin.say("/cos-risk accept financial until 2027-12-01 because others are not under test here")
    for title in (
        "compliance risk",
        "market",
        "technology",
        "audit",
        "board",
        "internal control",
        "management",
        "antitrust",
        "export",
        "tax",
    ):
        await w.admin.say(f"/cos-risk accept {title} until 2027-12-01 because only GDPR is under test")
    await _days(w, START + timedelta(days=30 + 92 + 20))
    gdpr = [s for s in w.transport.sent if s.what == "escalation"]
    assert len(gdpr) == 4 and len({s.key for s in gdpr}) == 4 and all("Data Protection" in s.text for s in gdpr)


async def test_escalation_names_the_configured_admins(sqlite_url: str) -> None:
    w = await make_world(sqlite_url, FakeClock(START), admins=frozenset({"UBOSS", "discord:999", "T1:UOPS"}))
    try:
        await _setup(w)
        await _days(w, START + timedelta(days=16))
        post = next(
            s
            for s in w.transport.sent
            if s.what == "escalation" and s.kind == "channel" and "Data Protection" in s.text
        )
        assert "@UBOSS" in post.text and "@UOPS" in post.text and "999" not in post.text
        assert set(post.reply.notify) == {"UBOSS", "UOPS"}
    finally:
        await w.app.close()


async def test_accept_pauses_reminders_and_escalation_and_is_shown(any_world: World) -> None:
    w = any_world
    await _setup(w)
    for text, words in (
        ("/cos-risk accept gdpr", "until when and why"),
        ("/cos-risk accept gdpr until 2026-02-30 because x", "not a date"),
        ("/cos-risk accept gdpr until 2025-01-01 because old news", "in the past"),
        ("/cos-risk accept gdpr until 2030-01-01 because forever", "two years"),
        ("/cos-risk accept gdpr until 2026-12-31 because <!channel> look", "out of the note"),
    ):
        r = await w.admin.say(text)
        assert r.error and words in _t(r), (text, _t(r))
    r = await w.member.say("/cos-risk accept gdpr until 2026-12-31 because we have no EU users yet")
    assert r.error and "Only admins" in _t(r)
    async with w.app.db.session() as session:
        query = select(RiskItem).where(RiskItem.title.like("Data Protection%"))
        item = (await session.execute(query)).scalars().first()
        assert item is not None and item.accepted_until is None
    r = await w.admin.say("/cos-risk accept gdpr until 2026-12-31 because we have no EU users yet")
    assert r.error is None and "2026-12-31" in r.title
    line = _line(_t(await w.member.say("/cos-risk register")), "Data Protection")
    assert "ACCEPTED" in line and "@UADMIN" in line and "no EU users" in line
    await _days(w, START + timedelta(days=60))
    assert not [s for s in w.transport.sent if "Data Protection" in s.text and s.what in ("escalation", "risk_review")]
    # the acceptance ends: GDPR is still overdue and escalates once
    w.clock.set(datetime(2026, 12, 30, tzinfo=UTC))
    await _days(w, datetime(2027, 1, 5, tzinfo=UTC))
    assert sorted(s.kind for s in w.transport.sent if s.what == "escalation" and "Data Protection" in s.text) == [
        "channel",
        "dm",
    ]


def test_rung_edges() -> None:
    item = RiskItem(
        cadence="monthly", last_review_at=datetime(2026, 1, 1, tzinfo=UTC), updated_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert rung(item, date(2026, 1, 24)).state == "ok"
    assert rung(item, date(2026, 1, 25)).state == "due"
    assert rung(item, date(2026, 2, 1)).label == "DUE today"
    assert rung(item, date(2026, 2, 2)).label == "OVERDUE 1 day"


@pytest.mark.postgres
async def test_two_schedulers_on_one_postgres_escalate_once(pg_url: str) -> None:
    clock = FakeClock(START)
    a = await make_world(pg_url, clock)
    b = await make_world(pg_url, clock, instance_id="replica-b")
    try:
        await _setup(a)
        while clock.now() < START + timedelta(days=20):
            clock.set(clock.now() + timedelta(hours=12))
            await a.tick()
            await b.tick()
        sent = [s for w in (a, b) for s in w.transport.sent if s.what == "escalation"]
        keys = [s.key for s in sent]
        assert sent and len(keys) == len(set(keys))
        gdpr = [s for s in sent if "Data Protection" in s.text]
        assert sorted(s.kind for s in gdpr) == ["channel", "dm"]
    finally:
        await a.app.close()
        await b.app.close()
