"""COS_PUBLIC_URL with a path (``http://host/cos``): behind a reverse proxy on 127.0.0.1 that strips ``/cos``
before passing a request on, and behind one that passes the path unchanged, sign-in links, redirects, the
cookie's path, form actions and static files all carry the prefix, and every page works through it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from bot.kernel.clock import FakeClock
from bot.kernel.reply import to_text
from bot.ops.web import make_http_app
from tests.world import make_world

_HOP = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


def _proxy(upstream: list[str], *, strip: bool) -> web.Application:
    """A reverse proxy for ``/cos/…``: strips ``/cos`` (``strip``) or passes the path on as it is."""

    async def forward(request: web.Request) -> web.StreamResponse:
        path = request.rel_url.raw_path_qs
        if strip:
            path = path[len("/cos") :] or "/"
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with ClientSession(auto_decompress=False) as client:
            async with client.request(
                request.method, upstream[0] + path, headers=headers, data=await request.read(), allow_redirects=False
            ) as r:
                body = await r.read()
                out = web.Response(status=r.status, body=body)
                for k, v in r.headers.items():
                    if k.lower() not in _HOP:
                        out.headers.add(k, v)
                return out

    app = web.Application()
    app.router.add_route("*", "/cos/{tail:.*}", forward)
    return app


@pytest.fixture(params=["strips", "passes"])
async def proxied(request: pytest.FixtureRequest, sqlite_url: str, clock: FakeClock) -> AsyncIterator[tuple]:
    upstream: list[str] = []
    proxy = TestServer(_proxy(upstream, strip=request.param == "strips"), host="127.0.0.1", port=0)
    await proxy.start_server()
    public = f"http://127.0.0.1:{proxy.port}/cos/"  # a trailing slash, as people write it
    world = await make_world(sqlite_url, clock, public_url=public)
    bot = TestServer(make_http_app(world.app), host="127.0.0.1", port=0)
    await bot.start_server()
    upstream.append(f"http://127.0.0.1:{bot.port}")
    try:
        yield world, f"http://127.0.0.1:{proxy.port}"
    finally:
        await bot.close()
        await proxy.close()
        await world.app.close()


async def test_every_link_carries_the_prefix_and_works_through_the_proxy(proxied: tuple):
    world, origin = proxied
    await world.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    await world.member.say("/cos-service zorblax pipeline")
    text = to_text(await world.admin.say("/cos-service dashboard"))
    link = re.search(r"http://\S+/dashboard/signin/\S+", text)
    assert link is not None and link.group(0).startswith(f"{origin}/cos/dashboard/signin/"), text
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as browser:
        r = await browser.get(link.group(0), allow_redirects=False)
        assert r.status == 303 and r.headers["Location"] == "/cos/dashboard"
        cookie = r.cookies["cos_dashboard"]
        assert cookie["path"] == "/cos/dashboard" and cookie["httponly"]
        for path in ("", "/checkins", "/knowledge", "/audit", "/schedules"):
            r = await browser.get(f"{origin}/cos/dashboard{path}")
            html = await r.text()
            assert r.status == 200, (path, html[:300])
            links = re.findall(r'(?:href|action|src)="([^"#]+)"', html)
            assert links and all(u.startswith("/cos/dashboard") for u in links), (path, links)
        # static files, forms and redirects through the prefix
        for asset in re.findall(r'(?:href|src)="(/cos/dashboard/static/[^"]+)"', html):
            assert (await browser.get(origin + asset)).status == 200, asset
        csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
        assert csrf is not None
        sid = re.search(r'name="id" value="(\d+)"', html)
        assert sid is not None
        r = await browser.post(
            f"{origin}/cos/dashboard/schedules/pause", data={"csrf": csrf.group(1), "id": sid.group(1)}
        )
        assert r.status == 200 and "paused" in await r.text()
        r = await browser.post(f"{origin}/cos/dashboard/signout", data={"csrf": csrf.group(1)})
        assert r.status == 200 and "Signed out" in await r.text()
        set_cookie = r.headers.get("Set-Cookie", "")
        assert "cos_dashboard=" in set_cookie and "Path=/cos/dashboard" in set_cookie
        assert (await browser.get(f"{origin}/cos/dashboard")).status == 401
