"""Signing in to the dashboard from chat: one-time links, sessions, signing out, the shared key."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.dashboard import auth
from bot.dashboard.models import DashboardKey, DashboardSession
from bot.kernel.reply import to_text
from bot.team.models import AuditEntry
from tests.dashboard.conftest import Site, link_path, signed_in
from tests.world import make_world

PAGES = ("/dashboard", "/dashboard/checkins", "/dashboard/knowledge", "/dashboard/audit", "/dashboard/schedules")


async def _actions(site: Site) -> list[tuple[str | None, str]]:
    async with site.world.app.db.session() as session:
        rows = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        return [(e.actor, e.action) for e in rows]


async def test_a_link_from_chat_signs_in_once(any_site: Site):
    w = any_site.world
    reply = await w.admin.say("/cos-service dashboard")
    assert reply.ephemeral and not reply.error
    assert not any(b.action == "share" for b in reply.buttons)
    path = link_path(to_text(reply))
    assert to_text(reply).startswith("Your dashboard sign-in link\n\nhttp://localhost:3000/dashboard/signin/")

    async with any_site.browser() as browser:
        first = await browser.get(any_site.url(path), allow_redirects=False)
        assert first.status == 303 and first.headers["Location"] == "/dashboard"
        cookie = first.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
        assert "Secure" not in cookie  # the public URL is http here
        assert "Max-Age=28800" in cookie
        page = await browser.get(any_site.url("/dashboard"))
        assert page.status == 200 and "UADMIN (admin)" in await page.text()

    async with any_site.browser() as other:  # the same link again, from anywhere
        again = await other.get(any_site.url(path), allow_redirects=False)
        assert again.status == 401 and "works once" in await again.text()
        assert (await other.get(any_site.url("/dashboard"))).status == 401
    assert (await _actions(any_site)).count(("UADMIN", "dashboard.signin")) == 1


async def test_a_link_expires_after_ten_minutes_and_a_session_after_eight_hours(site: Site):
    w = site.world
    late = await site.link(w.admin)
    w.clock.advance(timedelta(minutes=10, seconds=1))
    async with site.browser() as browser:
        assert (await browser.get(site.url(late), allow_redirects=False)).status == 401
    client = await signed_in(site, w.admin)
    async with client:
        w.clock.advance(timedelta(hours=7, minutes=59))
        assert (await client.get(site.url("/dashboard"))).status == 200
        w.clock.advance(timedelta(minutes=2))
        expired = await client.get(site.url("/dashboard"))
        assert expired.status == 401 and "/cos-service dashboard" in await expired.text()


async def test_without_a_session_every_page_says_how_to_sign_in(site: Site):
    async with site.browser() as browser:
        for path in PAGES:
            r = await browser.get(site.url(path))
            body = await r.text()
            assert r.status == 401, path
            assert "Sign in from chat" in body and "/cos-service dashboard" in body
        # A forged or tampered cookie is no session either.
        client = await signed_in(site, site.world.admin)
        async with client:
            good = next(c for c in client.cookie_jar if c.key == auth.COOKIE).value
            token, _, mac = good.rpartition(".")
            changed = ("y" if good[0] == "x" else "x") + good[1:]  # the token changed, its signature not
            for forged in (token + "." + "0" * len(mac), changed, "nonsense"):
                r = await browser.get(site.url("/dashboard"), headers={"Cookie": f"{auth.COOKIE}={forged}"})
                assert r.status == 401, forged
            ok = await browser.get(site.url("/dashboard"), headers={"Cookie": f"{auth.COOKIE}={good}"})
            assert ok.status == 200


async def test_signing_out_on_the_page_and_from_chat(any_site: Site):
    w = any_site.world
    client = await signed_in(any_site, w.member)
    async with client:
        page = await client.get(any_site.url("/dashboard"))
        csrf = _csrf(await page.text())
        # Without the form's token nothing happens.
        refused = await client.post(any_site.url("/dashboard/signout"), data={})
        assert refused.status == 403
        assert (await client.get(any_site.url("/dashboard"))).status == 200
        out = await client.post(any_site.url("/dashboard/signout"), data={"csrf": csrf})
        assert out.status == 200 and "Signed out" in await out.text()
        assert (await client.get(any_site.url("/dashboard"))).status == 401

    first, second = await signed_in(any_site, w.member), await signed_in(any_site, w.member)
    unused = await any_site.link(w.member)
    admins = await signed_in(any_site, w.admin)
    async with first, second, admins:
        reply = await w.member.say("/cos-service dashboard signout")
        assert reply.title == "Signed out of the dashboard" and "2 sessions ended" in to_text(reply)
        for client in (first, second):
            assert (await client.get(any_site.url("/dashboard"))).status == 401
        assert (await admins.get(any_site.url("/dashboard"))).status == 200  # someone else's session stays
        async with any_site.browser() as browser:
            assert (await browser.get(any_site.url(unused), allow_redirects=False)).status == 401
    assert (await w.member.say("/cos-service dashboard signout")).title.startswith("You are not signed in")
    actions = await _actions(any_site)
    assert actions.count(("U1001", "dashboard.signout")) == 2
    assert actions.count(("U1001", "dashboard.signin")) == 3


def _csrf(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert m is not None
    return m.group(1)


async def test_the_secure_flag_follows_the_public_url(sqlite_url, clock):
    from aiohttp.test_utils import TestServer

    from bot.ops.web import make_http_app

    w = await make_world(sqlite_url, clock, public_url="https://cos.example.com")
    server = TestServer(make_http_app(w.app), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        site = Site(w, server)
        text = to_text(await w.admin.say("/cos-service dashboard"))
        assert "https://cos.example.com/dashboard/signin/" in text
        async with site.browser() as browser:
            r = await browser.get(site.url(link_path(text)), allow_redirects=False)
            assert r.status == 303 and "Secure" in r.headers["Set-Cookie"]
    finally:
        await server.close()
        await w.app.close()


async def test_the_signing_key_is_made_once_and_shared_and_cos_secret_key_overrides(db_url, clock):
    one = await make_world(db_url, clock)
    two = await make_world(db_url, clock)
    try:
        k1, k2 = await auth.signing_key(one.app), await auth.signing_key(two.app)
        assert k1 == k2 and len(k1) == 64
        async with one.app.db.session() as session:
            assert len((await session.execute(select(DashboardKey))).scalars().all()) == 1
        # A cookie made by one replica is read by the other.
        url = await auth.make_link(one.app, platform="console", workspace="T1", user="U1", role="member")
        redeemed = await auth.redeem(one.app, url.rsplit("/", 1)[1])
        assert redeemed is not None
        viewer = await auth.viewer_of(two.app, redeemed[0])
        assert viewer is not None and viewer.user == "U1" and not viewer.admin
    finally:
        await one.app.close()
        await two.app.close()
    three = await make_world(db_url, clock, secret_key="configured-key")
    try:
        assert await auth.signing_key(three.app) == b"configured-key"
        assert await auth.viewer_of(three.app, redeemed[0]) is None  # signed with the other key
    finally:
        await three.app.close()


async def test_the_sign_in_token_never_reaches_the_logs(sqlite_url, clock, caplog: pytest.LogCaptureFixture):
    """Through the server ``cos-bot run`` starts on COS_HTTP_PORT (no access log), at DEBUG."""
    from aiohttp import ClientSession, CookieJar

    from bot.ops.serving import serving

    caplog.set_level(logging.DEBUG)
    w = await make_world(sqlite_url, clock, http_port=0)
    try:
        path = link_path(to_text(await w.admin.say("/cos-service dashboard")))
        async with serving(w.app, [], host="127.0.0.1") as port:
            base = f"http://127.0.0.1:{port}"
            async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as browser:
                assert (await browser.get(base + path, allow_redirects=False)).status == 303
                assert (await browser.get(base + path, allow_redirects=False)).status == 401  # refused, not logged
                assert (await browser.get(base + "/dashboard")).status == 200
        async with w.app.db.session() as session:
            stored = " ".join(s.token_hash for s in (await session.execute(select(DashboardSession))).scalars())
    finally:
        await w.app.close()
    token = path.rsplit("/", 1)[1]
    assert token not in caplog.text
    assert token not in stored


async def test_link_unfurlers_do_not_use_up_a_link(site: Site):
    path = await site.link(site.world.admin)
    async with site.browser() as bot:
        r = await bot.get(site.url(path), headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
        assert r.status == 200 and auth.COOKIE not in r.cookies
    async with site.browser() as browser:
        assert (await browser.get(site.url(path), allow_redirects=False)).status == 303


async def test_the_link_needs_a_workspace_and_no_arguments(site: Site):
    w = site.world
    dm = await w.member.say("/cos-service dashboard", in_workspace=False)  # type: ignore[arg-type]
    assert dm.error and "server channel" in to_text(dm)
    extra = await w.member.say("/cos-service dashboard @everyone")
    assert extra.error and "@everyone" not in to_text(extra)
    async with w.app.db.session() as session:
        from bot.dashboard.models import DashboardLink

        assert (await session.execute(select(DashboardLink))).scalars().all() == []


async def test_operators_print_a_link_with_the_command_line(site: Site, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", site.world.app.settings.database_url)

    def cli(*args: str) -> int:
        return main(["dashboard", "link", *args])

    assert await asyncio.to_thread(cli, "--workspace", "console:T1", "--user", "U7", "--role", "admin") == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("http://localhost:3000/dashboard/signin/")
    async with site.browser() as browser:
        r = await browser.get(site.url(link_path(out)), allow_redirects=False)
        assert r.status == 303
        page = await browser.get(site.url("/dashboard/knowledge"))
        assert page.status == 200 and "U7 (admin)" in await page.text()
    assert await asyncio.to_thread(cli, "--workspace", "T1", "--user", "U7") == 2
    assert await asyncio.to_thread(cli, "--workspace", "console:T1", "--user", "<!channel>") == 2
    assert "--user" in capsys.readouterr().err


async def test_forgetting_a_person_ends_their_sessions_and_the_export_keeps_no_token(site: Site):
    from bot import privacy

    w = site.world
    member = await signed_in(site, w.member)
    admin = await signed_in(site, w.admin)
    async with member, admin:
        counts = await privacy.forget_person(w.app.db, platform="console", workspace="T1", user="U1001")
        assert counts["dashboard_session"] == 1 and counts["dashboard_link"] == 1
        assert (await member.get(site.url("/dashboard"))).status == 401
        assert (await admin.get(site.url("/dashboard"))).status == 200
    exported = await privacy.export_workspace(w.app.db, platform="console", workspace="T1")
    sessions = exported["tables"]["dashboard_session"]
    assert [s["user"] for s in sessions] == ["UADMIN"] and all("token_hash" not in s for s in sessions)
    deleted = await privacy.delete_workspace(w.app.db, platform="console", workspace="T1")
    assert deleted["dashboard_session"] == 1 and deleted["dashboard_link"] == 1
