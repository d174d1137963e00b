"""Data export and erasure: a workspace's export names everything stored about it; ``forget me`` removes
one person from one workspace; ``workspace delete`` removes one workspace; nothing else is touched.
Every table of the schema is covered (or declared as holding no workspace or person data)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select

import bot.scheduler.models
import bot.storage.models
import bot.team.models  # noqa: F401 - every model registered in Base.metadata
from bot import privacy
from bot.cli import main
from bot.kernel.reply import to_text
from bot.kernel.router import Action
from bot.scheduler.models import Schedule
from bot.storage.models import Base
from bot.team.models import AuditEntry, Milestone
from tests.conftest import Harness
from tests.world import World

# Column names that can hold a person (a bot's own id is not one).
_PERSONISH = re.compile(r"(^|_)(user|owner|actor|participants|target|member)(_id|s)?$|_by$")


# -- coverage -----------------------------------------------------------------------------------
async def _schema_tables(w: World) -> dict[str, list[str]]:
    async with w.app.db.engine.connect() as conn:

        def read(c: Any) -> dict[str, list[str]]:
            insp = inspect(c)
            return {t: [col["name"] for col in insp.get_columns(t)] for t in insp.get_table_names()}

        return await conn.run_sync(read)


def _uncovered(tables: dict[str, list[str]]) -> list[str]:
    """What ``bot.privacy`` does not cover of these tables (name -> column names)."""
    problems = [f"{name}: not in bot.privacy.COVERAGE" for name in sorted(set(tables) - set(privacy.COVERAGE))]
    handled = {m.__tablename__ for m in privacy.WORKSPACE_TABLES} | {"workspace", "send_pace"}
    for name, cols in sorted(tables.items()):
        if {"platform", "workspace"} <= set(cols) and name not in handled:
            problems.append(f"{name}: keyed by workspace but not in bot.privacy.WORKSPACE_TABLES")
        people = [c for c in cols if _PERSONISH.search(c) and not c.startswith("bot_")]
        problems += [
            f"{name}.{c}: may name a person; handle it in forget_person (PERSON_COLUMNS)"
            for c in people
            if c not in privacy.PERSON_COLUMNS.get(name, ()) and c not in privacy.NOT_A_PERSON.get(name, ())
        ]
    return problems


async def test_every_table_is_covered_by_export_delete_and_forget(w: World):
    """A new table must say how it is exported, deleted and forgotten: add it to ``bot.privacy``."""
    tables = {t.name: [c.name for c in t.columns] for t in Base.metadata.sorted_tables}
    tables.update(await _schema_tables(w))  # the migrated schema, with the platform SDKs' tables
    assert {"audit_entry", "checkin_answer", "slack_installations", "alembic_version"} <= set(tables)
    assert _uncovered(tables) == []


def test_the_coverage_check_catches_a_new_table_or_column():
    assert _uncovered({"feedback_vote": ["id", "platform", "workspace", "user"]}) == [
        "feedback_vote: not in bot.privacy.COVERAGE",
        "feedback_vote: keyed by workspace but not in bot.privacy.WORKSPACE_TABLES",
        "feedback_vote.user: may name a person; handle it in forget_person (PERSON_COLUMNS)",
    ]
    assert _uncovered({"milestone": ["platform", "workspace", "owner", "approved_by"]}) == [
        "milestone.approved_by: may name a person; handle it in forget_person (PERSON_COLUMNS)"
    ]
    assert _uncovered({"slack_bots": ["team_id", "bot_user_id"]}) == []


# -- the scenario -----------------------------------------------------------------------------------
async def _populate(w: World, workspace: str) -> Harness:
    admin = Harness(w.app, role="admin", workspace=workspace, channel="C1", user="UADMIN")
    member = Harness(w.app, workspace=workspace, channel="C1", user="U1001")
    assert not (await admin.say("/cos-service stage early since 2026-03")).error
    assert not (await admin.say("/cos-service milestone owner 2 @U1001")).error
    assert not (await admin.say("/cos-service checkin daily 09:00 @U1001 @U1002")).error
    assert not (await admin.say("/cos-risk owner gdpr @U1001")).error
    assert not (await member.say("/cos-service timezone Europe/Lisbon")).error
    assert not (await member.say("/cos-service zorblax pipeline for U1001")).error  # a logged question
    return member


async def _answer(w: World, workspace: str) -> None:
    r = await Harness(w.app, workspace=workspace, channel="D1", user="U1001").say("Shipped the pricing page")
    assert "recorded" in r.title, to_text(r)


async def _export(w: World, capsys: pytest.CaptureFixture[str], workspace: str) -> dict[str, Any]:
    assert await asyncio.to_thread(main, ["workspace", "export", workspace, "--json"]) == 0
    return dict(json.loads(capsys.readouterr().out))


@pytest.fixture
def cli_env(w: World, monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", w.app.settings.database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_APP_TOKEN", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)


async def test_export_forget_me_and_delete_workspace(w: World, capsys: pytest.CaptureFixture[str], cli_env: None):
    t1 = await _populate(w, "T1")
    await _populate(w, "T2")
    await w.run_until(w.clock.now() + timedelta(hours=1, minutes=30))  # the check-ins go out at 09:00
    await _answer(w, "T1")
    await _answer(w, "T2")

    before = await _export(w, capsys, "console:T1")
    dumped = json.dumps(before)
    assert "U1001" in dumped and "Shipped the pricing page" in dumped
    tables = before["tables"]
    assert {r["user"] for r in tables["checkin_answer"]} == {"U1001", "U1002"}
    assert "U1001" in [r["user"] for r in tables["member"]]
    assert any(r["owner"] == "U1001" for r in tables["milestone"])
    assert {r["workspace"] for rows in tables.values() for r in rows if "workspace" in r} <= {"T1", "console:T1"}

    # forget me asks first, and changes nothing until confirmed
    ask = await t1.say("/cos-service forget me")
    assert not ask.error and [b.action for b in ask.buttons] == ["forget.me"]
    assert "U1001" in json.dumps(await _export(w, capsys, "console:T1"))
    pressed = Action(
        platform="console", workspace="T1", channel="C1", user="U1001", action="forget.me", value=ask.buttons[0].value
    )
    done = await w.app.router.handle_action(pressed)
    assert done is not None and "forgotten" in done.title

    after = await _export(w, capsys, "console:T1")
    assert "U1001" not in json.dumps(after)
    assert {r["user"] for r in after["tables"]["checkin_answer"]} == {"U1002"}  # others keep theirs
    checkin = next(r for r in after["tables"]["schedule"] if r["kind"] == "checkin")
    assert json.loads(checkin["participants"]) == ["U1002"] and checkin["active"]
    assert all(r["owner"] is None for r in after["tables"]["milestone"])
    audit = after["tables"]["audit_entry"]
    owner = next(e for e in audit if e["action"] == "milestone.owner")
    assert json.loads(owner["after"]) == {"owner": privacy.FORGOTTEN}
    erasure = next(e for e in audit if e["action"] == "member.forget")
    assert erasure["actor"] is None
    shown = to_text(
        await Harness(w.app, role="admin", workspace="T1", user="UADMIN").say("/cos-service audit 50"),
        plain_mentions=True,
    )
    assert "a forgotten member" in shown and "U1001" not in shown
    assert "U1001" in json.dumps(await _export(w, capsys, "console:T2"))  # another workspace keeps them

    # delete the workspace: nothing of T1 is left, T2 is intact
    assert await asyncio.to_thread(main, ["workspace", "delete", "console:T1"]) == 2  # needs --yes
    assert "--yes" in capsys.readouterr().err
    assert (await _export(w, capsys, "console:T1"))["tables"]["schedule"]
    assert await asyncio.to_thread(main, ["workspace", "delete", "console:T1", "--yes"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"]["schedule"] == 2
    gone = await _export(w, capsys, "console:T1")
    left = {name: rows for name, rows in gone["tables"].items() if rows}
    assert list(left) == ["audit_entry"] and [e["action"] for e in left["audit_entry"]] == ["workspace.delete"]
    assert left["audit_entry"][0]["actor"] is None and not re.search(r"U\d{4}|UADMIN", json.dumps(gone))
    preview = [o.as_preview() for o in await w.scheduler.preview(days=100)]
    assert preview and {p["workspace"] for p in preview} == {"console:T2"}
    t2 = await _export(w, capsys, "console:T2")
    assert len(t2["tables"]["schedule"]) == 2 and len(t2["tables"]["checkin_answer"]) == 2
    assert await asyncio.to_thread(main, ["schedule", "preview", "--days", "30", "--json"]) == 0
    assert {p["workspace"] for p in json.loads(capsys.readouterr().out)} == {"console:T2"}


async def test_forget_me_typed_confirmation_and_unhappy_paths(w: World):
    member = await _populate(w, "T1")
    for bad in (
        "/cos-service forget",
        "/cos-service forget you",
        "/cos-service forget me now",
        "/cos-service forget @U1002 confirm",
        "/cos-service forget me confirm please",
    ):
        r = await member.say(bad)
        assert r.error and "/cos-service forget me" in to_text(r), bad
    r = await member.say("/cos-service forget me confirm", in_workspace=False)  # type: ignore[arg-type]
    assert r.error and "server channel" in to_text(r)
    forged = Action(platform="console", workspace="T1", channel="C1", user="U1001", action="forget.me", value="U1002")
    stale = await w.app.router.handle_action(forged)
    assert stale is not None and stale.error == "stale action"
    async with w.app.db.session() as s:
        owners = [m.owner for m in (await s.execute(select(Milestone))).scalars()]
        assert (
            "U1001" in owners
            and not (await s.execute(select(AuditEntry).where(AuditEntry.action == "member.forget"))).first()
        )
    r = await member.say("/cos-service forget me confirm")
    assert not r.error and "forgotten" in r.title
    async with w.app.db.session() as s:
        assert "U1001" not in [m.owner for m in (await s.execute(select(Milestone))).scalars()]
        sched = (await s.execute(select(Schedule).where(Schedule.kind == "checkin"))).scalar_one()
        assert json.loads(sched.participants or "[]") == ["U1002"]
    # Forgetting the last participant stops the check-in.
    await Harness(w.app, workspace="T1", channel="C1", user="U1002").say("/cos-service forget me confirm")
    async with w.app.db.session() as s:
        sched = (await s.execute(select(Schedule).where(Schedule.kind == "checkin"))).scalar_one()
        assert json.loads(sched.participants or "[]") == [] and not sched.active


async def test_workspace_cli_rejects_bad_names(w: World, capsys: pytest.CaptureFixture[str], cli_env: None):
    await _populate(w, "T1")
    capsys.readouterr()  # what populating logged
    for args in (
        ["workspace", "export", "T1"],
        ["workspace", "export", "nowhere:T1"],
        ["workspace", "delete", "console:", "--yes"],
        ["workspace", "delete", "T1", "--yes"],
    ):
        assert await asyncio.to_thread(main, args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("cos-bot:") and "Traceback" not in err
    async with w.app.db.session() as s:
        assert len((await s.execute(select(Schedule))).scalars().all()) == 2


async def test_export_leaves_out_secrets_and_finds_installations(w: World):
    """A platform's installation rows belong to the workspace; their tokens are never exported."""
    from sqlalchemy import text

    async with w.app.db.session() as s:
        for team, user in (("T1", "UINSTALLER"), ("T2", "UOTHER")):
            await s.execute(
                text(
                    "INSERT INTO slack_installations (client_id, app_id, team_id, user_id, bot_token, bot_user_id, "
                    "is_enterprise_install, installed_at) VALUES ('c', 'A1', :team, :user, 'xoxb-SECRET', 'UBOT', "
                    "false, CURRENT_TIMESTAMP)"
                ),
                {"team": team, "user": user},
            )
            await s.execute(
                text(
                    "INSERT INTO slack_bots (client_id, app_id, team_id, bot_token, bot_user_id, "
                    "is_enterprise_install, installed_at) "
                    "VALUES ('c', 'A1', :team, 'xoxb-SECRET', 'UBOT', false, CURRENT_TIMESTAMP)"
                ),
                {"team": team},
            )
    data = await privacy.export_workspace(w.app.db, platform="slack", workspace="T1")
    assert [r["user_id"] for r in data["tables"]["slack_installations"]] == ["UINSTALLER"]
    assert len(data["tables"]["slack_bots"]) == 1 and "SECRET" not in json.dumps(data)
    await privacy.forget_person(w.app.db, platform="slack", workspace="T1", user="UINSTALLER")
    assert "UINSTALLER" not in json.dumps(await privacy.export_workspace(w.app.db, platform="slack", workspace="T1"))
    counts = await privacy.delete_workspace(w.app.db, platform="slack", workspace="T1")
    assert counts["slack_installations"] == 1 and counts["slack_bots"] == 1
    other = await privacy.export_workspace(w.app.db, platform="slack", workspace="T2")
    assert len(other["tables"]["slack_installations"]) == 1 and len(other["tables"]["slack_bots"]) == 1
    # The console's workspace T1 is another workspace than Slack's T1: no Slack rows in its export.
    console = await privacy.export_workspace(w.app.db, platform="console", workspace="T1")
    assert "slack_installations" not in console["tables"] and "slack_bots" not in console["tables"]
