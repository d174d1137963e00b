"""The dashboard's pages over real HTTP: what members and admins see, and every change going through the
features' own functions (permission checks, validation, audit), with CSRF and workspace isolation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from aiohttp import ClientSession
from sqlalchemy import select

from bot.dashboard.views import CSP
from bot.scheduler.models import Schedule
from bot.team import audit
from bot.team.models import AuditEntry, CheckinAnswer
from tests.conftest import Harness
from tests.dashboard.conftest import Site, signed_in

ADMIN_PAGES = ("/dashboard/knowledge", "/dashboard/audit", "/dashboard/audit.csv")
MEMBER_PAGES = ("/dashboard", "/dashboard/checkins", "/dashboard/checkins.csv", "/dashboard/schedules")


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert m is not None
    return m.group(1)


async def _form_token(client: ClientSession, site: Site, path: str = "/dashboard") -> str:
    return _csrf(await (await client.get(site.url(path))).text())


async def _schedule(site: Site, sid: int) -> Schedule:
    async with site.world.app.db.session() as session:
        found = await session.get(Schedule, sid)
        assert found is not None
        return found


async def _actions(site: Site) -> list[tuple[str | None, str, str | None]]:
    async with site.world.app.db.session() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(e.actor, e.action, e.target) for e in rows]


async def _digest(site: Site) -> int:
    reply = await site.world.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    m = re.search(r"schedule (\d+)", reply.title)
    assert m is not None, reply
    return int(m.group(1))


def _assert_secure_headers(headers: object, path: str) -> None:
    h = dict(headers)  # type: ignore[call-overload]
    assert h["Content-Security-Policy"] == CSP, path
    assert h["X-Content-Type-Options"] == "nosniff" and h["Referrer-Policy"] == "no-referrer", path


async def test_every_page_carries_the_security_headers_and_no_inline_script(site: Site):
    assert "'unsafe-inline'" not in CSP and "frame-ancestors 'none'" in CSP and "script-src 'self'" in CSP
    w = site.world
    await w.admin.say("/cos-service stage early")
    await _digest(site)
    await w.member.say("/cos-service zorblax pipeline")
    client = await signed_in(site, w.admin)
    async with client, site.browser() as anonymous:
        for path in (*MEMBER_PAGES, *ADMIN_PAGES, "/dashboard/static/dashboard.js", "/dashboard/static/dashboard.css"):
            r = await client.get(site.url(path))
            assert r.status == 200, path
            _assert_secure_headers(r.headers, path)
            body = await r.text()
            if r.content_type == "text/html":
                assert not re.search(r"<script(?![^>]*\bsrc=)", body), path  # scripts live in files
                assert not re.search(r"\son[a-z]+=|\sstyle=", body), path  # no inline handlers or styles
                assert "<main" in body and "<nav" in body and "<header" in body, path
        for path in ("/dashboard", "/dashboard/nothing-here"):
            r = await anonymous.get(site.url(path))
            assert r.status in (401, 404)
            _assert_secure_headers(r.headers, path)
    async with site.browser() as anonymous:
        r = await anonymous.get(site.url("/healthz"))
        assert "Content-Security-Policy" not in r.headers  # the probes are not the dashboard's


async def test_members_see_the_overview_their_own_check_ins_and_the_schedules_not_the_admin_pages(any_site: Site):
    w = any_site.world
    sid = await _digest(any_site)
    await _answers(any_site)
    client = await signed_in(any_site, w.member)
    async with client:
        for path in MEMBER_PAGES:
            assert (await client.get(any_site.url(path))).status == 200, path
        for path in ADMIN_PAGES:
            r = await client.get(any_site.url(path))
            assert r.status == 403 and "Admins only" in await r.text(), path
        checkins = await (await client.get(any_site.url("/dashboard/checkins"))).text()
        assert "shipped the exporter" in checkins and "secret plans of U2002" not in checkins
        csv = await (await client.get(any_site.url("/dashboard/checkins.csv?person=U2002"))).text()
        assert "U1001" in csv and "U2002" not in csv
        schedules = await (await client.get(any_site.url("/dashboard/schedules"))).text()
        assert "weekly on Monday at 09:00 Europe/Berlin" in schedules and "Pause" not in schedules
        # A member's pause, with a valid form token, is refused by the feature's own check.
        token = _csrf(schedules)
        r = await client.post(any_site.url("/dashboard/schedules/pause"), data={"csrf": token, "id": str(sid)})
        assert r.status == 403
        r = await client.post(any_site.url("/dashboard/knowledge/dismiss"), data={"csrf": token, "id": "1"})
        assert r.status == 403
    assert (await _schedule(any_site, sid)).active
    assert not [a for a in await _actions(any_site) if a[1].startswith("schedule.pause")]


async def _answers(site: Site) -> None:
    """Two people's answered check-ins (rows as the check-in flow stores them)."""
    await site.world.admin.say("/cos-service checkin friday 16:00 @U1001 @U2002")
    async with site.world.app.db.session() as session:
        sid = (await session.execute(select(Schedule.id).where(Schedule.kind == "checkin"))).scalar_one()
        at = datetime(2026, 2, 27, 16, tzinfo=UTC)
        for user, answer in (("U1001", "shipped the exporter"), ("U2002", "secret plans of U2002")):
            session.add(
                CheckinAnswer(
                    platform="console",
                    workspace="T1",
                    schedule_id=sid,
                    occurrence_at=at,
                    user=user,
                    questions='["What did you do?"]',
                    answers=f'["{answer}"]',
                    asked_at=at,
                    answered_at=at + timedelta(hours=1),
                )
            )


async def test_a_form_without_its_token_changes_nothing(any_site: Site):
    w = any_site.world
    sid = await _digest(any_site)
    client = await signed_in(any_site, w.admin)
    other = await signed_in(any_site, w.admin)  # another session's token is not this one's
    async with client, other:
        foreign = await _form_token(other, any_site)
        for data in ({"id": str(sid)}, {"id": str(sid), "csrf": "0" * 64}, {"id": str(sid), "csrf": foreign}):
            r = await client.post(any_site.url("/dashboard/schedules/pause"), data=data)
            assert r.status == 403 and "Nothing was changed" in await r.text()
    sched = await _schedule(any_site, sid)
    assert sched.active and sched.paused_at is None
    assert not [a for a in await _actions(any_site) if a[1] == "schedule.pause"]


async def test_an_id_from_another_workspace_is_not_found_and_changes_nothing(any_site: Site):
    w = any_site.world
    elsewhere = Harness(w.app, role="admin", workspace="T2", channel="C9", user="UOTHER")
    reply = await elsewhere.say("/cos-service digest daily 10:00 UTC")
    theirs = int(re.search(r"schedule (\d+)", reply.title).group(1))  # type: ignore[union-attr]
    await Harness(w.app, workspace="T2", user="U9").say("/cos-service zorblax pipeline")
    client = await signed_in(any_site, w.admin)
    async with client:
        token = await _form_token(client, any_site)
        for verb in ("pause", "delete"):
            r = await client.post(any_site.url(f"/dashboard/schedules/{verb}"), data={"csrf": token, "id": str(theirs)})
            assert r.status == 404, verb
        await w.app.answering.journal.flush_quietly()  # the question log is written behind the answer
        async with w.app.db.session() as session:
            from bot.answering.models import KnowledgeQuestion

            qid = (await session.execute(select(KnowledgeQuestion.id))).scalar_one()
        for path, data in (
            ("/dashboard/knowledge/dismiss", {"id": str(qid)}),
            ("/dashboard/knowledge/teach", {"id": str(qid), "topic": "legal"}),
            ("/dashboard/knowledge/dismiss", {"id": "not-a-number"}),
            ("/dashboard/schedules/explode", {"id": str(theirs)}),
        ):
            r = await client.post(any_site.url(path), data={"csrf": token, **data})
            assert r.status == 404, path
        page = await (await client.get(any_site.url("/dashboard/schedules"))).text()
        assert f"<td>{theirs}</td>" not in page
    assert (await _schedule(any_site, theirs)).active
    assert [a for a in await _actions(any_site) if a[1] != "dashboard.signin" and a[0] == "UADMIN"] == []


async def test_teach_a_gap_on_the_page_and_the_next_question_is_answered(any_site: Site):
    w = any_site.world
    before = await w.member.say("/cos-service zorblax pipeline")
    assert not before.matched
    client = await signed_in(any_site, w.admin)
    async with client:
        page = await (await client.get(any_site.url("/dashboard/knowledge"))).text()
        assert "zorblax pipeline" in page and '<svg xmlns="http://www.w3.org/2000/svg"' in page
        assert "<title id=" in page and "<desc id=" in page and "Questions per day, answered and not" in page
        qid = re.search(r'name="id" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
        token = _csrf(page)
        bad = await client.post(
            any_site.url("/dashboard/knowledge/teach"), data={"csrf": token, "id": qid, "topic": "qqqq zzzz"}
        )
        assert bad.status == 400 and "Pick a topic" in await bad.text()
        ok = await client.post(
            any_site.url("/dashboard/knowledge/teach"),
            data={"csrf": token, "id": qid, "topic": "Comprehensive Legal Services"},
        )
        text = await ok.text()
        assert ok.status == 200 and "Taught: “zorblax pipeline” → Comprehensive Legal Services" in text
    after = await w.member.say("/cos-service zorblax pipeline")
    assert after.matched and after.title == "Comprehensive Legal Services"
    assert ("UADMIN", "knowledge.teach", "zorblax pipeline") in await _actions(any_site)
    chat = await w.admin.say("/cos-service teach list")
    assert "zorblax pipeline" in str(chat)


async def test_dismiss_a_gap_and_remove_a_taught_phrase(site: Site):
    w = site.world
    await w.member.say("/cos-service flurbo widgets")
    await w.admin.say("/cos-service teach quuxly thing -> legal")
    client = await signed_in(site, w.admin)
    async with client:
        page = await (await client.get(site.url("/dashboard/knowledge"))).text()
        qid = re.search(r'action="/dashboard/knowledge/dismiss".*?name="id" value="(\d+)"', page, re.S).group(1)  # type: ignore[union-attr]
        token = _csrf(page)
        r = await client.post(site.url("/dashboard/knowledge/dismiss"), data={"csrf": token, "id": qid})
        assert r.status == 200 and "Dismissed" in await r.text()
        r = await client.post(site.url("/dashboard/knowledge/remove"), data={"csrf": token, "phrase": "quuxly thing"})
        assert r.status == 200 and "Removed: “quuxly thing”" in await r.text()
        r = await client.post(site.url("/dashboard/knowledge/remove"), data={"csrf": token, "phrase": "quuxly thing"})
        assert r.status == 404
        r = await client.post(site.url("/dashboard/knowledge/remove"), data={"csrf": token, "phrase": ""})
        assert r.status == 400 and "Say which phrase" in await r.text()
        gaps = await (await client.get(site.url("/dashboard/knowledge"))).text()
        assert "flurbo widgets" not in gaps.split('id="gaps-h"')[1].split("</section>")[0]
    actions = await _actions(site)
    assert ("UADMIN", "knowledge.dismiss", "flurbo widgets") in actions
    assert ("UADMIN", "knowledge.unteach", "quuxly thing") in actions


async def test_pause_resume_delete_a_schedule_as_in_chat(any_site: Site):
    w = any_site.world
    sid = await _digest(any_site)
    scheduler = w.app.scheduler

    def due(occs: list) -> list:
        return [o for o in occs if o.schedule_id == sid]

    assert due(await scheduler.preview(days=14))
    client = await signed_in(any_site, w.admin)
    async with client:
        token = await _form_token(client, any_site, "/dashboard/schedules")
        r = await client.post(any_site.url("/dashboard/schedules/pause"), data={"csrf": token, "id": str(sid)})
        assert r.status == 200 and f"Schedule {sid} paused" in await r.text()
        assert due(await scheduler.preview(days=14)) == []
        overview = await (await client.get(any_site.url("/dashboard"))).text()
        assert "digest" not in overview.split('id="due-h"')[1]
        again = await client.post(any_site.url("/dashboard/schedules/pause"), data={"csrf": token, "id": str(sid)})
        assert again.status == 400 and "paused already" in await again.text()
        assert "paused (`resume" in str(await w.admin.say("/cos-service schedules"))
    w.clock.advance(timedelta(days=8))  # a Monday passes while paused: nothing is planned for it
    await w.tick()
    assert [s for s in w.transport.sent if s.key.startswith("digest")] == []
    client = await signed_in(any_site, w.admin)  # the first session has expired meanwhile
    async with client:
        token = await _form_token(client, any_site, "/dashboard/schedules")
        r = await client.post(any_site.url("/dashboard/schedules/resume"), data={"csrf": token, "id": str(sid)})
        assert r.status == 200 and f"Schedule {sid} resumed" in await r.text()
        assert due(await scheduler.preview(days=14))
        r = await client.post(any_site.url("/dashboard/schedules/delete"), data={"csrf": token, "id": str(sid)})
        assert r.status == 200 and f"Schedule {sid} removed" in await r.text()
        assert due(await scheduler.preview(days=14)) == []
        r = await client.post(any_site.url("/dashboard/schedules/delete"), data={"csrf": token, "id": str(sid)})
        assert r.status == 404
        audit_page = await (await client.get(any_site.url("/dashboard/audit?kind=schedule"))).text()
        for action in ("schedule.pause", "schedule.resume", "schedule.remove"):
            assert action in audit_page
        assert "dashboard.signin" not in audit_page
    targets = [(a, t) for _, a, t in await _actions(any_site) if a.startswith("schedule.") and t == f"schedule {sid}"]
    assert targets == [
        ("schedule.pause", f"schedule {sid}"),
        ("schedule.resume", f"schedule {sid}"),
        ("schedule.remove", f"schedule {sid}"),
    ]


async def test_pause_and_resume_in_chat_share_the_checks(site: Site):
    w = site.world
    sid = await _digest(site)
    refused = await w.member.say(f"/cos-service pause {sid}")
    assert refused.error and "Only admins can pause schedules" in str(refused)
    assert (await w.admin.say("/cos-service pause x")).error
    assert (await w.admin.say(f"/cos-service pause {sid}")).title == f"Schedule {sid} paused"
    assert (await w.admin.say(f"/cos-service resume {sid}")).title == f"Schedule {sid} resumed"
    assert (await w.admin.say(f"/cos-service resume {sid}")).error
    assert (await w.admin.say("/cos-service resume 999")).error


async def test_the_audit_page_filters_escapes_and_exports(site: Site):
    w = site.world
    await _digest(site)
    async with w.app.db.session() as session:
        await audit.record(
            session,
            _Who(),
            action="risk.owner",
            target="<script>alert(1)</script>",
            after="=HYPERLINK(1)",
            at=datetime(2026, 2, 1, tzinfo=UTC),
        )
    client = await signed_in(site, w.admin)
    async with client:
        page = await (await client.get(site.url("/dashboard/audit"))).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
        only = await (await client.get(site.url("/dashboard/audit?person=U1001"))).text()
        assert "risk.owner" in only and "digest.schedule" not in only
        kind = await (await client.get(site.url("/dashboard/audit?kind=digest&from=2026-03-01&to=2026-03-02"))).text()
        assert "digest.schedule" in kind and "risk.owner" not in kind
        early = await (await client.get(site.url("/dashboard/audit?to=2026-02-15"))).text()
        assert "risk.owner" in early and "digest.schedule" not in early
        csv = await client.get(site.url("/dashboard/audit.csv?person=U1001"))
        body = await csv.text()
        assert csv.headers["Content-Disposition"] == 'attachment; filename="audit.csv"'
        assert body.splitlines()[0] == "at,actor,action,target,before,after"
        assert '\'"=HYPERLINK(1)"' in body or "'=HYPERLINK" not in body
        assert "risk.owner" in body and "digest.schedule" not in body


class _Who:
    platform, workspace, user, role = "console", "T1", "U1001", "admin"


async def test_the_overview_shows_stage_register_and_the_next_deliveries(site: Site):
    w = site.world
    await w.admin.say("/cos-service stage early")
    await w.admin.say("/cos-risk register")
    await _digest(site)
    client = await signed_in(site, w.member)
    async with client:
        page = await (await client.get(site.url("/dashboard"))).text()
    assert "Early" in page and "Target date" in page
    assert "Risk register" in page and ("DUE in 7 days" in page or "OK" in page)
    assert "Mon 09 Mar 2026 08:00" in page  # 09:00 Europe/Berlin's digest in the viewer's zone (the default, UTC)


async def test_each_check_in_day_counts_answered_skipped_missed_and_away(site: Site):
    from datetime import date

    from bot.team.models import Absence

    w = site.world
    await w.admin.say("/cos-service checkin friday 16:00 @U1001 @U2002 @U3003 @U4004")
    async with w.app.db.session() as session:
        sid = (await session.execute(select(Schedule.id).where(Schedule.kind == "checkin"))).scalar_one()
        at = datetime(2026, 2, 27, 16, tzinfo=UTC)
        common = {"platform": "console", "workspace": "T1", "schedule_id": sid, "occurrence_at": at, "asked_at": at}
        session.add(CheckinAnswer(**common, user="U1001", questions='["Q?"]', answers='["done"]', answered_at=at))
        session.add(CheckinAnswer(**common, user="U2002", questions='["Q?"]', answers="[]", skipped_at=at))
        session.add(CheckinAnswer(**common, user="U3003", questions='["Q?"]', answers="[]"))
        session.add(
            Absence(
                platform="console",
                workspace="T1",
                user="U4004",
                start_on=date(2026, 2, 23),
                end_on=date(2026, 3, 1),
                set_by="U4004",
                created_at=at,
            )
        )
    client = await signed_in(site, w.admin)
    async with client:
        page = await (await client.get(site.url("/dashboard/checkins"))).text()
        days = page.split('id="days-h"')[1]
        assert f"<tr><td>2026-02-27</td><td>{sid}</td><td>1</td><td>1</td><td>1</td><td>1</td></tr>" in days
        weeks = page.split("Check-ins answered per week")[1]
        assert "<tr><td>2026-02-23</td><td>1</td><td>3</td></tr>" in weeks
        only = await (
            await client.get(site.url("/dashboard/checkins?person=U2002&from=2026-02-27&to=2026-02-27"))
        ).text()
        assert "<td>0</td><td>1</td><td>0</td>" in only.split('id="days-h"')[1]
        none = await (await client.get(site.url("/dashboard/checkins?from=2026-02-28"))).text()
        assert "No check-ins yet." in none
