"""The dashboard in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium).

Sign in from a chat link, visit every page (axe-core finds no serious or critical violation on any),
teach a gap and see the next ``cos-bot ask`` answer it, pause a schedule and see the overview's
preview drop it, find both in the audit page, reuse the link (refused), a member on an admin page
(refused). With ``COS_DASHBOARD_SCREENSHOTS=docs/img`` the pages' screenshots are saved as
``dashboard-*.png`` there (docs/dashboard.md shows them).

Skipped, saying why, when the browser or its driver is not installed; ``.ci/run`` installs both.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from bot.kernel.reply import to_text
from bot.scheduler.models import Schedule
from bot.team.models import CheckinAnswer
from tests.dashboard.conftest import Site, link_path

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
# Where screenshots go: COS_DASHBOARD_SCREENSHOTS=docs/img refreshes the documentation's; unset, none are kept.
SHOTS = Path(os.environ["COS_DASHBOARD_SCREENSHOTS"]) if os.environ.get("COS_DASHBOARD_SCREENSHOTS") else None
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
except ImportError:  # pragma: no cover - selenium is a dev dependency
    webdriver = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    webdriver is None or CHROMIUM is None or DRIVER is None,
    reason="browser tests need Chromium and its driver: apt-get install chromium chromium-driver "
    f"(found chromium={CHROMIUM}, chromedriver={DRIVER}, selenium={'yes' if webdriver else 'no'})",
)

T = TypeVar("T")


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # type: ignore[assignment]
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=en"):
        options.add_argument(arg)
    chrome = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


async def run(fn: Callable[..., T], *args: Any) -> T:
    """Selenium blocks: run it in a thread so the server in this loop can answer."""
    return await asyncio.to_thread(fn, *args)


async def axe_serious(driver: Any) -> list[str]:
    """axe-core's serious and critical violations on the current page."""
    await run(driver.execute_script, AXE.read_text(encoding="utf-8"))
    found = await run(
        driver.execute_async_script,
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
        ".map(v => v.id + ': ' + v.help + ' ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
        ".catch(e => done(['axe failed: ' + e]));",
    )
    return list(found)


async def shown(driver: Any, selector: str, expected: str) -> str:
    """The text of ``selector`` once it holds ``expected`` (a form post navigates after ``click()`` returns)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def text() -> str:
        try:
            return str(driver.find_element(By.CSS_SELECTOR, selector).text)
        except (NoSuchElementException, StaleElementReferenceException):
            return ""

    def wait() -> str:
        WebDriverWait(driver, 30).until(lambda _: expected in text())
        return text()

    return await run(wait)


async def visit(driver: Any, site: Site, path: str, shot: str | None = None) -> str:
    await run(driver.get, site.url(path))
    problems = await axe_serious(driver)
    assert problems == [], f"{path}: {problems}"
    if shot and SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        await run(driver.save_screenshot, str(SHOTS / f"dashboard-{shot}.png"))
    return str(await run(lambda: driver.find_element(By.TAG_NAME, "main").text))


async def _team_data(site: Site) -> int:
    """A stage, a register, a digest, a check-in with answers, an unanswered question. Returns the digest's id."""
    w = site.world
    await w.admin.say("/cos-service stage early")
    await w.admin.say("/cos-service milestone owner 1 @U1001")
    await w.admin.say("/cos-risk register")
    await w.admin.say("/cos-risk review gdpr low all good")
    digest = await w.admin.say("/cos-service digest weekly monday 09:00 Europe/Berlin")
    await w.admin.say("/cos-service checkin friday 16:00 @U1001 @U2002")
    await w.member.say("/cos-service zorblax pipeline")
    await w.member.say("/cos-service what is the best pizza in town")
    async with w.app.db.session() as session:
        sid = (await session.execute(select(Schedule.id).where(Schedule.kind == "checkin"))).scalar_one()
        for weeks in range(1, 9):
            at = datetime(2026, 2, 27, 16, tzinfo=UTC) - timedelta(weeks=weeks - 1)
            for n, user in enumerate(("U1001", "U2002")):
                answered = (weeks + n) % 3 != 0
                session.add(
                    CheckinAnswer(
                        platform="console",
                        workspace="T1",
                        schedule_id=sid,
                        occurrence_at=at,
                        user=user,
                        questions='["What did you finish?", "Anything blocking?"]',
                        answers=json.dumps([f"release notes, week {weeks}", "no"]) if answered else "[]",
                        asked_at=at,
                        answered_at=at + timedelta(hours=2) if answered else None,
                    )
                )
    return int(digest.title.rsplit(" ", 1)[1].rstrip(")"))


def _ask(database_url: str, line: str) -> dict[str, Any]:
    """``cos-bot ask`` in its own process, as an operator (or a script) runs it."""
    env = {**os.environ, "DATABASE_URL": database_url, "COS_CACHE_DIR": "off"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", line, "--json", "--workspace", "T1", "--user", "U1001"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.splitlines()[-1]))


async def test_the_dashboard_in_a_real_browser(site: Site, driver: Any):
    w = site.world
    digest = await _team_data(site)
    assert not (await run(_ask, w.app.settings.database_url, "/cos-service zorblax pipeline"))["matched"]

    link = site.url(link_path(to_text(await w.admin.say("/cos-service dashboard"))))
    await run(driver.delete_all_cookies)
    await run(driver.get, link)
    assert (await run(lambda: driver.current_url)).endswith("/dashboard")
    overview = await visit(driver, site, "/dashboard", "overview")
    assert "Early" in overview and "Risk register" in overview and "digest" in overview.split("Due in the next")[1]

    # Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    body = await run(driver.find_element, By.TAG_NAME, "body")
    await run(body.send_keys, Keys.TAB)
    active = await run(lambda: driver.switch_to.active_element)
    assert (await run(lambda: active.text)) == "Skip to the content"

    checkins = await visit(driver, site, "/dashboard/checkins", "checkins")
    assert "release notes, week 1" in checkins and "Participation" in checkins
    await visit(driver, site, "/dashboard/schedules", "schedules")
    await visit(driver, site, "/dashboard/audit")

    # Teach the gap: pick the topic with the search field, press Teach.
    knowledge = await visit(driver, site, "/dashboard/knowledge", "knowledge")
    assert "zorblax pipeline" in knowledge
    field = await run(driver.find_element, By.CSS_SELECTOR, "input[list=topics]")
    label = await run(driver.find_element, By.CSS_SELECTOR, f"label[for='{await run(field.get_attribute, 'id')}']")
    assert "zorblax" in await run(lambda: label.text) or "pizza" in await run(lambda: label.text)
    forms = await run(driver.find_elements, By.CSS_SELECTOR, "form[action='/dashboard/knowledge/teach']")
    target = None
    for form in forms:
        if "zorblax" in await run(lambda f=form: f.find_element(By.TAG_NAME, "label").text):
            target = form
    assert target is not None
    topic = await run(target.find_element, By.CSS_SELECTOR, "input[list=topics]")
    await run(topic.clear)
    await run(topic.send_keys, "Comprehensive Legal Services")
    await run(lambda: target.find_element(By.TAG_NAME, "button").click())
    status = await shown(driver, "[role=status]", "Taught")
    assert status == "Taught: “zorblax pipeline” → Comprehensive Legal Services"
    answered = await run(_ask, w.app.settings.database_url, "/cos-service zorblax pipeline")
    assert answered["matched"] and answered["title"] == "Comprehensive Legal Services"

    # Pause the digest: the overview's preview drops it.
    await visit(driver, site, "/dashboard/schedules")
    await run(lambda: driver.find_element(By.CSS_SELECTOR, f"button[aria-label='Pause schedule {digest}']").click())
    status = await shown(driver, "[role=status]", "paused")
    assert status == f"Schedule {digest} paused"
    overview = await visit(driver, site, "/dashboard")
    assert "digest" not in overview.split("Due in the next")[1]

    audit = await visit(driver, site, "/dashboard/audit", "audit")
    assert "knowledge.teach" in audit and "schedule.pause" in audit and "dashboard.signin" in audit

    # The link again, in a browser without the session: refused.
    await run(driver.delete_all_cookies)
    await run(driver.get, link)
    assert "This sign-in link cannot be used" in await shown(driver, "h1", "cannot be used")

    # A member: the overview is theirs, the admin pages are not.
    member_link = site.url(link_path(to_text(await w.member.say("/cos-service dashboard"))))
    await run(driver.get, member_link)
    await visit(driver, site, "/dashboard")
    refused = await visit(driver, site, "/dashboard/knowledge")
    assert "Admins only" in refused
    nav = await run(lambda: driver.find_element(By.TAG_NAME, "nav").text)
    assert "Knowledge" not in nav and "Audit" not in nav
    await run(lambda: driver.find_element(By.CSS_SELECTOR, ".signout button").click())
    assert "Signed out" in await shown(driver, "h1", "Signed out")
    await visit(driver, site, "/dashboard")  # the 401 page is accessible too


async def test_the_dashboard_in_chinese_in_a_real_browser(site: Site, driver: Any):
    """A workspace switched to Chinese: every page in Chinese, ``<html lang="zh-CN">``, and axe-core finds no
    serious or critical violation on any of them."""
    w = site.world
    await _team_data(site)
    await w.admin.say("/cos-service language zh")
    await run(driver.delete_all_cookies)
    await run(driver.get, site.url(link_path(to_text(await w.admin.say("/cos-service dashboard")))))
    for path, words in (
        ("/dashboard", "阶段与里程碑"),
        ("/dashboard/checkins", "参与情况"),
        ("/dashboard/knowledge", "知识缺口"),
        ("/dashboard/audit", "审计日志"),
        ("/dashboard/schedules", "所有计划及其下次运行时间"),
    ):
        main = await visit(driver, site, path)
        assert words in main, path
        assert await run(driver.execute_script, "return document.documentElement.lang") == "zh-CN"
    body = await run(driver.find_element, By.TAG_NAME, "body")
    await run(body.send_keys, Keys.TAB)
    active = await run(lambda: driver.switch_to.active_element)
    assert (await run(lambda: active.text)) == "跳到正文"
