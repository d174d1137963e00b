"""The dashboard speaks the workspace's language: every page in Chinese once an admin chose ``zh``, with Chinese
dates and ``<html lang="zh-CN">``; with ``auto``, the signed-in person's platform language, else
``COS_DEFAULT_LANG``; an English workspace sees the pages as they always were."""

from __future__ import annotations

import re

from bot.kernel.clock import FakeClock
from bot.kernel.lang import translator
from bot.ops.web import make_http_app
from tests.dashboard.conftest import Site, link_path, signed_in
from tests.world import make_world

PAGES = ("/dashboard", "/dashboard/checkins", "/dashboard/knowledge", "/dashboard/audit", "/dashboard/schedules")
_LATIN_WORDS = re.compile(r">\s*([A-Z][a-z]+(?: [a-z]+)+)[.:]?\s*<")


async def _data(site: Site) -> None:
    w = site.world
    await w.admin.say("/cos-service stage early")
    await w.admin.say("/cos-risk register")
    await w.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    await w.member.say("/cos-service zorblax pipeline")


def _visible(html: str) -> str:
    """The page's own words: without the chat commands (``<code>``) people type as they are, and without the
    table cells, which hold the team's data (the knowledge's milestone titles are English, as in chat)."""
    return re.sub(r"<code>.*?</code>|<script.*?</script>|<svg.*?</svg>|<td>.*?</td>", "", html, flags=re.S)


async def test_a_workspace_in_chinese_sees_every_page_in_chinese(any_site: Site):
    w = any_site.world
    await _data(any_site)
    assert "中文" in (await w.admin.say("/cos-service language zh")).title
    client = await signed_in(any_site, w.admin)
    async with client:
        for path in PAGES:
            r = await client.get(any_site.url(path))
            html = await r.text()
            assert r.status == 200, path
            assert '<html lang="zh-CN">' in html, path
            assert "概览" in html and "退出登录" in html and "跳到正文" in html, path
            # no English sentence left in the page's own words (names, ids and commands aside)
            assert _LATIN_WORDS.findall(_visible(html)) == [], (path, _LATIN_WORDS.findall(_visible(html)))
        overview = await (await client.get(any_site.url("/dashboard"))).text()
        assert "阶段与里程碑" in overview and "风险登记册" in overview and "未来 14 天内到期" in overview
        assert "<td>未设置</td>" in overview and "<td>摘要</td>" in overview  # owner not set; the digest
        # 09:00 in Berlin is 08:00 UTC (the viewer's zone), worded as a Chinese date
        assert "2026年3月9日周一 08:00" in overview and "Mon 09 Mar" not in overview
        knowledge = await (await client.get(any_site.url("/dashboard/knowledge"))).text()
        assert "<title id=" in knowledge and "每日提问，最近 30 天" in knowledge  # the chart's title
        assert '<th scope="col">已回答</th>' in knowledge  # its table's headers
        assert "zorblax pipeline" in knowledge
        # a refused page and a form error speak it too
        r = await client.post(any_site.url("/dashboard/schedules/pause"), data={"id": "1"})
        assert r.status == 403 and "表单已过期" in await r.text()
    async with any_site.browser() as anonymous:
        r = await anonymous.get(any_site.url("/dashboard"))
        # no session: no workspace to ask, so COS_DEFAULT_LANG (English here)
        assert r.status == 401 and '<html lang="en">' in await r.text()


async def test_an_english_workspace_sees_english_pages(any_site: Site):
    w = any_site.world
    await _data(any_site)
    await w.admin.say("/cos-service language en")
    client = await signed_in(any_site, w.admin)
    async with client:
        for path in PAGES:
            html = await (await client.get(any_site.url(path))).text()
            assert '<html lang="en">' in html and "Overview" in html and "Sign out" in html, path
            assert not re.search(r"[\u4e00-\u9fff]", _visible(html)), path
        overview = await (await client.get(any_site.url("/dashboard"))).text()
        assert "Mon 09 Mar 2026 08:00" in overview and "Due in the next 14 days" in overview


async def test_auto_follows_the_persons_platform_language_else_the_default(site: Site, sqlite_url: str):
    w = site.world  # the workspace's language is ``auto`` (never chosen)
    zh = site.browser()
    r = await zh.get(site.url(link_path(str(await w.member.say("/cos-service dashboard", locale="zh-CN")))))
    assert r.status == 200 and '<html lang="zh-CN">' in await r.text()
    en = site.browser()
    r = await en.get(site.url(link_path(str(await w.member.say("/cos-service dashboard")))))
    assert '<html lang="en">' in await r.text()
    # the workspace's choice wins over the person's
    await w.admin.say("/cos-service language en")
    assert '<html lang="en">' in await (await zh.get(site.url("/dashboard"))).text()
    await zh.close()
    await en.close()


async def test_auto_without_a_known_language_is_cos_default_lang(sqlite_url: str, clock: FakeClock):
    from aiohttp.test_utils import TestServer

    world = await make_world(sqlite_url, clock, default_lang="zh")
    server = TestServer(make_http_app(world.app), host="127.0.0.1", port=0)
    await server.start_server()
    site = Site(world, server)
    try:
        async with site.browser() as anonymous:
            assert '<html lang="zh-CN">' in await (await anonymous.get(site.url("/dashboard"))).text()
        client = await signed_in(site, world.member)
        async with client:
            html = await (await client.get(site.url("/dashboard/checkins"))).text()
            assert '<html lang="zh-CN">' in html and "签到参与情况" in html
    finally:
        await server.close()
        await world.app.close()


def test_every_template_word_has_its_chinese():
    zh = translator("zh")
    for word in ("Overview", "Check-ins", "Sign out", "Risk register", "Questions per day"):
        assert zh.gettext(word) != word
