"""Check-in answers can be listed, exported and deleted: one's own, or (admins) anyone's in the workspace.

Everything is keyed by (platform, workspace): nothing crosses to another workspace or platform.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.kernel.reply import Reply
from bot.kernel.reply import to_text as _to_text
from bot.scheduler.models import Schedule
from bot.team.models import CheckinAnswer
from tests.conftest import Harness
from tests.world import World


def to_text(reply: Reply) -> str:
    """What the console shows (people as ``@id``): these tests talk to the core as the console."""
    return _to_text(reply, plain_mentions=True)


QUESTIONS = ["What moved forward?", "Is anything blocking you?"]


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def _seed(world: World, platform: str, workspace: str, user: str, day: int, answers: list[str]) -> None:
    """An answered check-in on 2026-03-<day> (a schedule per workspace, as the scheduler would have made)."""
    async with world.app.db.session() as s:
        sched = (
            (await s.execute(select(Schedule).where(Schedule.platform == platform, Schedule.workspace == workspace)))
            .scalars()
            .first()
        )
        if sched is None:
            sched = Schedule(
                platform=platform,
                workspace=workspace,
                kind="checkin",
                channel="C1",
                cadence="daily",
                hour=9,
                minute=0,
                tz="UTC",
                skip_weekends=False,
                participants="[]",
                questions=json.dumps(QUESTIONS),
                active=True,
                planned_until=_utc(2026, 3, 1),
                created_by="UADMIN",
                created_at=_utc(2026, 3, 1),
            )
            s.add(sched)
            await s.flush()
        at = _utc(2026, 3, day, 9)
        s.add(
            CheckinAnswer(
                platform=platform,
                workspace=workspace,
                schedule_id=sched.id,
                occurrence_at=at,
                user=user,
                questions=json.dumps(QUESTIONS),
                answers=json.dumps(answers),
                asked_at=at,
                answered_at=_utc(2026, 3, day, 10) if answers else None,
            )
        )


async def _seed_world(world: World) -> None:
    await _seed(world, "console", "T1", "U1001", 2, ["Shipped the pricing page", "no"])
    await _seed(world, "console", "T1", "U1001", 3, ["Closed a pilot"])
    await _seed(world, "console", "T1", "U1002", 3, ["Hired a lawyer", "waiting on the DPA"])
    await _seed(world, "console", "T1", "U1003", 3, [])  # asked, not answered
    await _seed(world, "console", "T2", "U1001", 3, ["OTHER-WORKSPACE secret"])
    await _seed(world, "slack", "T1", "U1001", 3, ["OTHER-PLATFORM secret"])


async def _answers(world: World, **where: str) -> list[tuple[str, str, str, str]]:
    async with world.app.db.session() as s:
        rows = (await s.execute(select(CheckinAnswer).order_by(CheckinAnswer.id))).scalars()
        return [
            (a.platform, a.workspace, a.user, a.answers)
            for a in rows
            if all(getattr(a, k) == v for k, v in where.items())
        ]


async def _count(world: World) -> int:
    async with world.app.db.session() as s:
        return int((await s.execute(select(func.count()).select_from(CheckinAnswer))).scalar_one())


async def test_a_member_lists_exports_and_forgets_their_own_answers(any_world: World) -> None:
    w = any_world
    await _seed_world(w)
    r = await w.member.say("/cos-service checkin answers")
    text = to_text(r)
    assert r.error is None and "Check-in answers (yours): 2" in r.title
    assert "Closed a pilot" in text and "Shipped the pricing page" in text
    assert text.index("Closed a pilot") < text.index("Shipped the pricing page")  # newest first
    assert "Hired a lawyer" not in text and "secret" not in text
    r = await w.member.say("/cos-service checkin answers since 2026-03-03")
    assert "yours): 2" not in r.title and ": 1 since 2026-03-03" in r.title and "Closed a pilot" in to_text(r)

    r = await w.member.say("/cos-service checkin export json")
    assert r.error is None and "2 answers" in r.title and "All 2 answers." in to_text(r)
    block = r.sections[1].text
    assert block.startswith("```\n") and block.endswith("\n```")
    data = json.loads(block[4:-4])
    assert [(d["user"], d["occurrence_at"]) for d in data] == [
        ("U1001", "2026-03-02T09:00:00Z"),
        ("U1001", "2026-03-03T09:00:00Z"),
    ]
    assert data[0]["answers"] == [
        {"question": QUESTIONS[0], "answer": "Shipped the pricing page"},
        {"question": QUESTIONS[1], "answer": "no"},
    ]
    assert data[1]["answers"][1] == {"question": QUESTIONS[1], "answer": None}  # not answered
    assert {(d["platform"], d["workspace"]) for d in data} == {("console", "T1")}

    r = await w.member.say("/cos-service checkin export csv")
    rows = list(csv.DictReader(io.StringIO(r.sections[1].text[4:-4])))
    assert [(x["user"], x["number"], x["answer"]) for x in rows] == [
        ("U1001", "1", "Shipped the pricing page"),
        ("U1001", "2", "no"),
        ("U1001", "1", "Closed a pilot"),
        ("U1001", "2", ""),
    ]

    r = await w.member.say("/cos-service checkin forget")
    assert r.error is None and r.title == "Deleted 2 check-in answers (your)"
    assert await _answers(w, user="U1001", workspace="T1", platform="console") == []
    # Others' answers and the same user in another workspace or platform are untouched.
    assert len(await _answers(w, user="U1002")) == 1
    assert len(await _answers(w, user="U1003")) == 1  # an open, unanswered check-in stays open
    assert [a[3] for a in await _answers(w, user="U1001")] == [
        '["OTHER-WORKSPACE secret"]',
        '["OTHER-PLATFORM secret"]',
    ]
    r = await w.member.say("/cos-service checkin forget")
    assert r.title == "Deleted 0 check-in answers (your)" and "nothing to delete" in to_text(r)
    r = await w.member.say("/cos-service checkin answers")
    assert ": 0" in r.title and "No check-in answers recorded." in to_text(r)


async def test_admins_read_export_and_delete_anyones_in_their_workspace_only(any_world: World) -> None:
    w = any_world
    await _seed_world(w)
    a = w.admin
    r = await a.say("/cos-service checkin answers all")
    text = to_text(r)
    assert "everyone's): 3" in r.title and "@U1002: Is" not in text and "@U1002:" in text
    assert "secret" not in text
    r = await a.say("/cos-service checkin answers <@U1002>")
    assert "@U1002's): 1" in to_text(r) and "Hired a lawyer" in to_text(r)
    r = await a.say("/cos-service checkin export csv all")
    rows = list(csv.DictReader(io.StringIO(r.sections[1].text[4:-4])))
    assert {x["user"] for x in rows} == {"U1001", "U1002"} and {x["workspace"] for x in rows} == {"T1"}
    r = await a.say("/cos-service checkin forget @U1002")
    assert to_text(r).startswith("Deleted 1 check-in answer (@U1002's)")
    assert await _answers(w, user="U1002") == []
    r = await a.say("/cos-service checkin forget all")
    assert r.title == "Deleted 2 check-in answers"
    remaining = await _answers(w)
    assert [(p, ws, u) for p, ws, u, _ in remaining] == [
        ("console", "T1", "U1003"),
        ("console", "T2", "U1001"),
        ("slack", "T1", "U1001"),
    ]
    # An admin of workspace T2 sees T2's only.
    other = Harness(w.app, role="admin", workspace="T2", channel="C9", user="UADMIN2")
    r = await other.say("/cos-service checkin export json all")
    assert [d["answers"][0]["answer"] for d in json.loads(r.sections[1].text[4:-4])] == ["OTHER-WORKSPACE secret"]


@pytest.mark.parametrize(
    "line",
    [
        "/cos-service checkin answers all",
        "/cos-service checkin answers @U1002",
        "/cos-service checkin export json all",
        "/cos-service checkin export @U1002",
        "/cos-service checkin forget all",
        "/cos-service checkin forget <@U1002>",
    ],
)
async def test_members_cannot_touch_other_peoples_answers(world: World, line: str) -> None:
    await _seed_world(world)
    before = await _answers(world)
    r = await world.member.say(line)
    assert r.title == "Sorry, I can't do that" and "Only admins" in to_text(r)
    assert "Hired a lawyer" not in to_text(r)
    assert await _answers(world) == before


@pytest.mark.parametrize(
    "line,needle",
    [
        ("/cos-service checkin answers since 03/03/2026", "YYYY-MM-DD"),
        ("/cos-service checkin answers since", "YYYY-MM-DD"),
        ("/cos-service checkin answers bob", "did not understand"),
        ("/cos-service checkin answers @everyone", "Name a person"),
        ("/cos-service checkin export xml", "did not understand"),
        ("/cos-service checkin export json csv", "did not understand"),
        ("/cos-service checkin forget everything", "did not understand"),
        ("/cos-service checkin forget all @U1002", "did not understand"),
        ("/cos-service checkin forget since 2026-03-01", "did not understand"),
    ],
)
async def test_bad_input_is_explained_and_nothing_changes(world: World, line: str, needle: str) -> None:
    await _seed_world(world)
    before = await _answers(world)
    r = await world.admin.say(line)
    assert r.error is not None and needle in to_text(r), to_text(r)
    assert await _answers(world) == before


async def test_export_stays_within_one_message_and_says_how_many(world: World) -> None:
    for day in range(1, 29):
        await _seed(world, "console", "T1", "U1001", day, ["x" * 150 + f" day {day}", "```no fences``` @here"])
    r = await world.member.say("/cos-service checkin export json")
    block = r.sections[1].text
    assert len(block) < 3000
    data = json.loads(block[4:-4].replace("\u200b", ""))
    assert 0 < len(data) < 28 and data[-1]["answers"][0]["answer"].endswith("day 28")  # the newest are kept
    assert f"newest {len(data)} of 28" in to_text(r) and f"{len(data)} answers" in r.title
    assert block.count("```") == 2  # user text cannot close the code block
    assert "@here" not in to_text(r)  # nor ping anyone


async def test_answers_given_by_dm_show_up_and_can_be_forgotten(world: World) -> None:
    w = world
    await w.admin.say("/cos-service checkin monday 09:00 @U1001")
    await w.run_until(_utc(2026, 3, 2, 9, 30), step_minutes=30)
    assert [s.what for s in w.transport.sent] == ["checkin"]
    r = await w.member.say("Finished the SOC 2 scoping")
    assert r.title == "Check-in answer recorded"
    r = await w.member.say("/cos-service checkin answers")
    assert ": 1" in r.title and "Finished the SOC 2 scoping" in to_text(r)
    r = await w.member.say("/cos-service checkin forget")
    assert r.title.startswith("Deleted 1 ")
    assert await _count(w) == 0


def test_cli_exports_one_workspace_as_csv_or_json(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.app import build_app
    from bot.kernel.clock import FakeClock
    from bot.kernel.settings import Settings
    from tests.conftest import shared_knowledge
    from tests.world import FakeTransport

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def seed() -> None:
        clock = FakeClock(_utc(2026, 3, 2, 8))
        app = await build_app(
            Settings(database_url=url, scheduler_enabled=False), clock=clock, knowledge=shared_knowledge()
        )
        try:
            world = World(app, clock, FakeTransport(clock), Harness(app), Harness(app))
            await _seed_world(world)
            await _seed(world, "discord", "T2", "U7", 4, ["same id, other platform"])
        finally:
            await app.close()

    asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    assert main(["checkin", "export", "--workspace", "T1", "--platform", "console"]) == 0
    out = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert {(x["workspace"], x["user"]) for x in rows} == {("T1", "U1001"), ("T1", "U1002")}
    assert "3 check-in answer(s) exported" in out.err
    assert main(["checkin", "export", "--workspace", "console:T1", "--user", "U1002", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(d["platform"], d["user"], d["answers"][0]["answer"]) for d in data] == [
        ("console", "U1002", "Hired a lawyer")
    ]
    # T1 exists on console and slack: the operator must say which.
    assert main(["checkin", "export", "--workspace", "T1"]) == 2
    assert "--platform" in capsys.readouterr().err
    assert main(["checkin", "export", "--workspace", "nowhere", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
