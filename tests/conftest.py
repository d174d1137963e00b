"""Shared fixtures: settings, a migrated database per test (SQLite file or PostgreSQL), the app, a harness.

The PostgreSQL suite runs when a server answers at ``COS_TEST_POSTGRES_URL``
(default: the local ``test`` database). Set ``COS_REQUIRE_POSTGRES=1`` (CI does)
to make a missing server a failure instead of a skip.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply, to_text
from bot.kernel.request import Request
from bot.kernel.router import parse_line
from bot.kernel.settings import Settings
from knowledge import KnowledgeBase, Searcher, load_knowledge

# Property tests: a few hundred examples per target in CI ("ci", the default); `make fuzz` runs "fuzz".
# One app per test, shared by its examples: the function-scoped fixture is meant.
hypothesis_settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
hypothesis_settings.register_profile(
    "fuzz", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PG_URL = os.environ.get("COS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("COS_REQUIRE_POSTGRES", "") == "1"


def _pg_answers(url: str) -> bool:
    parsed = urlparse(url.replace("+asyncpg", ""))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), timeout=1):
            return True
    except OSError:
        return False


PG_AVAILABLE = _pg_answers(PG_URL)


def pytest_report_header(config: pytest.Config) -> str:
    if PG_AVAILABLE:
        return f"PostgreSQL suite: on ({PG_URL.split('@')[-1]})"
    if REQUIRE_PG:
        return "PostgreSQL suite: REQUIRED but no server answers"
    return (
        "PostgreSQL suite: SKIPPED (no server at "
        + PG_URL.split("@")[-1]
        + "; set COS_REQUIRE_POSTGRES=1 to require it)"
    )


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    """Say at the end of every run (also with -q) whether the PostgreSQL suite ran."""
    terminalreporter.write_line(pytest_report_header(config))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_AVAILABLE:
        return
    for item in items:
        if "postgres" in item.keywords:
            if REQUIRE_PG:
                item.add_marker(
                    pytest.mark.xfail(reason="PostgreSQL required but not answering", run=False, strict=True)
                )
            else:
                item.add_marker(pytest.mark.skip(reason="no PostgreSQL server answers; PostgreSQL suite skipped"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_PG and not PG_AVAILABLE:
        session.exitstatus = 1


_KB: tuple[KnowledgeBase, Searcher] | None = None


def shared_knowledge() -> tuple[KnowledgeBase, Searcher]:
    """The shipped knowledge, loaded once per test run (it is read-only)."""
    global _KB
    if _KB is None:
        kb = load_knowledge()
        _KB = (kb, Searcher(kb))
    return _KB


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return shared_knowledge()[0]


@pytest.fixture(scope="session")
def searcher() -> Searcher:
    return shared_knowledge()[1]


async def _fresh_pg_database() -> str:
    """Create an empty database for one test and return its URL."""
    import asyncpg  # type: ignore[import-untyped]

    name = "cos_test_" + uuid.uuid4().hex[:12]
    base = PG_URL.replace("+asyncpg", "")
    conn = await asyncpg.connect(base)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


async def _drop_pg_database(url: str) -> None:
    import asyncpg

    name = url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_URL.replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database URL: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'cos-bot.db'}"
        return
    url = await _fresh_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'cos-bot.db'}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database (use with ``@pytest.mark.postgres``)."""
    url = await _fresh_pg_database()
    try:
        yield url
    finally:
        await _drop_pg_database(url)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return Settings(database_url=sqlite_url, scheduler_enabled=False)


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    try:
        yield application
    finally:
        await application.close()


class Harness:
    """A whole conversation in one line: ``await harness.say("/cos-service legal")``."""

    def __init__(
        self,
        app: App,
        *,
        platform: str = "console",
        workspace: str = "T1",
        channel: str = "C1",
        user: str = "U1",
        role: str = "member",
        tz: str | None = None,
    ) -> None:
        self.app = app
        self.platform, self.workspace, self.channel = platform, workspace, channel
        self.user, self.role, self.tz = user, role, tz

    async def say(self, line: str, **overrides: str) -> Reply:
        parsed = parse_line(line)
        command, text = parsed if parsed else ("message", line)
        fields: dict[str, object] = dict(
            platform=self.platform,
            workspace=self.workspace,
            channel=self.channel,
            user=self.user,
            role=self.role,
            tz=self.tz,
            is_dm=parsed is None,
            command=command,
            text=text,
        )
        fields.update(overrides)
        return await self.app.router.handle(Request(**fields))  # type: ignore[arg-type]

    async def text(self, line: str, **overrides: str) -> str:
        return to_text(await self.say(line, **overrides), plain_mentions=True)  # as the console shows it


@pytest.fixture
def harness(app: App) -> Harness:
    return Harness(app)


@pytest.fixture
def admin(app: App) -> Harness:
    return Harness(app, role="admin")
