"""The dashboard served by the real HTTP app on 127.0.0.1, over a world (app, fake clock) per database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from bot.kernel.clock import FakeClock
from bot.kernel.reply import to_text
from bot.ops.web import make_http_app
from tests.conftest import Harness
from tests.world import World, clock, make_world

__all__ = ["Site", "site", "any_site", "clock", "link_path", "signed_in"]

_LINK = re.compile(r"https?://\S+(/dashboard/signin/[A-Za-z0-9_-]+)")


def link_path(text: str) -> str:
    """The path of the sign-in link in a chat reply's text."""
    m = _LINK.search(text)
    assert m is not None, text
    return m.group(1)


@dataclass
class Site:
    world: World
    server: TestServer

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def link(self, harness: Harness) -> str:
        return link_path(to_text(await harness.say("/cos-service dashboard")))

    def browser(self) -> ClientSession:
        """A client with its own cookie jar (a browser); follows no redirects unless asked."""
        return ClientSession(cookie_jar=CookieJar(unsafe=True))


async def signed_in(site: Site, harness: Harness) -> ClientSession:
    client = site.browser()
    response = await client.get(site.url(await site.link(harness)), allow_redirects=False)
    assert response.status == 303, await response.text()
    return client


async def _site(url: str, clock: FakeClock) -> AsyncIterator[Site]:
    world = await make_world(url, clock)
    server = TestServer(make_http_app(world.app), host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield Site(world, server)
    finally:
        await server.close()
        await world.app.close()


@pytest.fixture
async def site(sqlite_url: str, clock: FakeClock) -> AsyncIterator[Site]:
    async for s in _site(sqlite_url, clock):
        yield s


@pytest.fixture
async def any_site(db_url: str, clock: FakeClock) -> AsyncIterator[Site]:
    """The same site on SQLite and on PostgreSQL."""
    async for s in _site(db_url, clock):
        yield s
