"""The audit log: every admin change recorded with who, what, before and after; refused changes are not;
admins of the workspace read it, nobody else does; operators export it."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.kernel.reply import to_text
from bot.team.models import AuditEntry
from tests.conftest import Harness
from tests.world import World


async def _entries(w: World, workspace: str = "T1") -> list[AuditEntry]:
    async with w.app.db.session() as s:
        return list(
            (
                await s.execute(select(AuditEntry).where(AuditEntry.workspace == workspace).order_by(AuditEntry.id))
            ).scalars()
        )


def _text(reply) -> str:  # type: ignore[no-untyped-def]
    return to_text(reply, plain_mentions=True)


async def test_admin_changes_are_listed_members_refused_other_workspaces_see_none(w: World):
    a, m = w.admin, w.member
    assert not (await a.say("/cos-service stage early since 2026-03")).error
    assert not (await a.say("/cos-service digest daily 14:05 UTC")).error
    assert not (await a.say("/cos-risk schedule quarterly")).error
    refused = await m.say("/cos-service digest off")
    assert refused.error and "Only admins" in _text(refused)

    rows = await _entries(w)
    assert [e.action for e in rows] == ["stage.set", "digest.schedule", "risk.schedule"]
    assert {e.actor for e in rows} == {"UADMIN"}
    assert json.loads(rows[0].after) == {"stage": "phase.early-commercialization", "since": "2026-03-01"}
    assert rows[0].before is None  # there was no stage before

    shown = _text(await a.say("/cos-service audit"))
    assert "latest 3 changes" in shown
    for action in ("stage.set", "digest.schedule", "risk.schedule"):
        assert action in shown
    assert shown.count("@UADMIN") == 3
    assert "digest.off" not in shown

    denied = await m.say("/cos-service audit")
    assert denied.error and "Only admins can read the audit log" in _text(denied)
    assert "stage.set" not in _text(denied)

    other = Harness(w.app, role="admin", workspace="T2", channel="C9", user="UOTHER")
    theirs = _text(await other.say("/cos-service audit"))
    assert "No changes recorded yet" in theirs and "stage.set" not in theirs
    elsewhere = Harness(w.app, platform="slack", role="admin", workspace="T1", channel="C1", user="UADMIN")
    assert "No changes recorded yet" in _text(await elsewhere.say("/cos-service audit"))


async def test_before_and_after_of_changes(w: World):
    a = w.admin
    await a.say("/cos-service stage early since 2026-03")
    await a.say("/cos-service stage growth since 2026-01")
    await a.say("/cos-service milestone owner 2 @U1001")
    await a.say("/cos-service milestone owner 2 @U1002")
    await a.say("/cos-service timezone workspace Europe/Berlin")
    r = await a.say("/cos-service checkin daily 09:00 @U1001 @U1002")
    sid = int(_text(r).split("(schedule ")[1].split(")")[0])
    await a.say(f"/cos-service checkin questions {sid} How are you? | Blocked?")
    await a.say(f"/cos-service unschedule {sid}")
    await a.say("/cos-risk owner gdpr @U1001")
    await a.say("/cos-risk review gdpr high DPA signed")
    await a.say("/cos-service digest daily 14:05 UTC")
    await a.say("/cos-service digest off")
    await a.say("/cos-service digest now")
    await a.say("/cos-service checkin forget @U1002")
    by_action = {e.action: e for e in await _entries(w)}
    stage = [e for e in await _entries(w) if e.action == "stage.set"][1]
    assert json.loads(stage.before) == {"stage": "phase.early-commercialization", "since": "2026-03-01"}
    assert json.loads(stage.after)["stage"] == "phase.commercialization-growth"
    owner = [e for e in await _entries(w) if e.action == "milestone.owner"]
    assert [json.loads(e.before)["owner"] for e in owner] == [None, "U1001"]
    assert json.loads(owner[1].after) == {"owner": "U1002"}
    assert json.loads(by_action["timezone.workspace"].after) == "Europe/Berlin"
    assert json.loads(by_action["checkin.schedule"].after)["participants"] == ["U1001", "U1002"]
    assert json.loads(by_action["checkin.questions"].after) == ["How are you?", "Blocked?"]
    assert by_action["schedule.remove"].target == f"schedule {sid}"
    assert json.loads(by_action["risk.owner"].after) == {"owner": "U1001"}
    assert json.loads(by_action["risk.review"].after)["rating"] == "high"
    assert {"digest.schedule", "digest.off", "digest.now", "answers.forget"} <= set(by_action)
    assert by_action["answers.forget"].target == "U1002"
    assert all(e.actor == "UADMIN" for e in by_action.values())


async def test_refused_and_failed_changes_are_not_recorded(w: World):
    m, a = w.member, w.admin
    for line in (
        "/cos-service stage early",
        "/cos-service digest daily 14:05 UTC",
        "/cos-risk schedule quarterly",
        "/cos-service timezone workspace Europe/Berlin",
        "/cos-service unschedule 1",
        "/cos-service checkin daily 09:00 @U1001",
        "/cos-risk owner gdpr @U1001",
        "/cos-risk review gdpr high",
        "/cos-service checkin forget all",
        "/cos-service digest now",
    ):
        assert (await m.say(line)).error, line
    # Admin input that fails its checks changes nothing, so nothing is recorded either.
    for line in (
        "/cos-service unschedule 999",
        "/cos-service milestone owner 3 @U1001",
        "/cos-service checkin questions 999 a? | b?",
        "/cos-service stage early since 2026-13",
    ):
        assert (await a.say(line)).error, line
    assert await _entries(w) == []
    # The member's own time zone is theirs to set: not an admin change.
    await m.say("/cos-service timezone Europe/Berlin")
    assert await _entries(w) == []


async def test_audit_usage_errors(w: World):
    a = w.admin
    for bad in ("x", "0", "51", "3 4", "99999"):
        r = await a.say(f"/cos-service audit {bad}")
        assert r.error and "/cos-service audit" in _text(r), bad
    await a.say("/cos-service stage early")
    await a.say("/cos-service stage growth")
    shown = _text(await a.say("/cos-service audit 1"))
    assert "latest 1 change" in shown and "phase.commercialization-growth" in shown


async def test_audit_in_a_dm_outside_a_workspace_is_refused(w: World):
    r = await w.admin.say("/cos-service audit", in_workspace=False)  # type: ignore[arg-type]
    assert r.error and "server channel" in _text(r)


async def test_cli_audit_export(
    w: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path
):  # type: ignore[no-untyped-def]
    await w.admin.say("/cos-service stage early since 2026-03")
    await w.admin.say("/cos-service digest daily 14:05 UTC")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", w.app.settings.database_url)
    assert await asyncio.to_thread(main, ["audit", "export", "--workspace", "console:T1", "--json"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert [d["action"] for d in data] == ["stage.set", "digest.schedule"]  # oldest first
    assert data[0]["actor"] == "UADMIN" and data[0]["after"]["since"] == "2026-03-01"
    assert "2 audit entries" in out.err
    assert await asyncio.to_thread(main, ["audit", "export", "--workspace", "console:T1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "UADMIN stage.set" in lines[0]
    assert await asyncio.to_thread(main, ["audit", "export", "--workspace", "console:T2"]) == 0
    assert "no changes recorded" in capsys.readouterr().out
    for bad in ("T1", "nowhere:T1", "console:"):
        assert await asyncio.to_thread(main, ["audit", "export", "--workspace", bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("cos-bot:") and "Traceback" not in err


async def test_taught_phrases_are_audited_and_a_refused_teach_is_not(w: World):
    admin = Harness(w.app, role="admin", workspace="T1", channel="C1", user="UADMIN")
    member = Harness(w.app, workspace="T1", channel="C1", user="U1001")
    assert (await member.say("/cos-service teach quuxbarnacle -> legal")).error
    assert not (await admin.say("/cos-service teach zorblax pipeline -> legal")).error
    assert not (await admin.say("/cos-service teach remove zorblax pipeline")).error
    entries = [(e.action, e.actor, e.target) for e in await _entries(w)]
    assert entries == [
        ("knowledge.teach", "UADMIN", "zorblax pipeline"),
        ("knowledge.unteach", "UADMIN", "zorblax pipeline"),
    ]


async def test_holidays_time_off_for_others_and_accepted_risks_are_audited(w: World):
    admin = Harness(w.app, role="admin", workspace="T1", channel="C1", user="UADMIN")
    member = Harness(w.app, workspace="T1", channel="C1", user="U1001")
    assert not (await admin.say("/cos-service holidays US")).error
    assert not (await admin.say("/cos-service holidays add 2026-12-24 Office closed")).error
    assert (await admin.say("/cos-service holidays remove 2026-03-03")).error  # not a holiday: nothing
    assert not (await admin.say("/cos-service away @U1002 2026-12-07..2026-12-13")).error
    assert not (await member.say("/cos-service away 2026-12-14..2026-12-20")).error  # one's own: no entry
    assert (await member.say("/cos-service away @U1002 2026-12-01..2026-12-31")).error  # refused: no entry
    assert not (await admin.say("/cos-risk accept gdpr until 2027-01-31 because vendor DPA in review")).error
    actions = [(e.action, e.target) for e in await _entries(w)]
    assert [a for a, _ in actions] == ["holidays.country", "holidays.add", "absence.set", "risk.accept"], actions
    assert actions[1][1] == "2026-12-24" and actions[2][1] == "U1002"
