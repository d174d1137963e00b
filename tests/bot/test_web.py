"""The neutral HTTP app over real HTTP on 127.0.0.1: liveness, readiness, metrics, platform routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.app import App, build_app
from bot.kernel.settings import Settings
from bot.ops import web as bot_web
from bot.ops.readiness import Readiness, readiness_for, schema_at_head
from bot.ops.serving import serving, stopping
from bot.plugins import Platform
from bot.storage.db import Database, migrate
from tests.conftest import Harness, shared_knowledge

FAMILIES = (
    "cos_commands",
    "cos_answer_seconds",
    "cos_outbox_rows",
    "cos_delivery_lag_seconds",
    "cos_platform_rate_limited",
    "cos_dead_letters",
    "cos_deliveries",
    "cos_lease_losses",
    "cos_database_errors",
    "cos_db_pool_connections",
)


@asynccontextmanager
async def served(web_app: web.Application) -> AsyncIterator[str]:
    server = TestServer(web_app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


async def get(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


def families(text: str) -> dict[str, list]:  # type: ignore[type-arg]
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


async def test_healthz_readyz_and_metrics_with_every_family(app: App) -> None:
    await Harness(app, role="admin").say("/cos-service legal")
    async with served(bot_web.make_http_app(app)) as base:
        status, _, body = await get(base + "/healthz")
        assert status == 200 and '"ok": true' in body
        status, _, body = await get(base + "/readyz")
        assert status == 200, body
        assert '"database": "ok"' in body and '"migrations": "at head"' in body
        status, content_type, body = await get(base + "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    found = families(body)
    for name in FAMILIES:
        assert name in found, name
    assert {s.labels["state"] for s in found["cos_outbox_rows"]} == {"pending", "claimed", "sent", "skipped", "dead"}
    assert "process_cpu_seconds" in found  # the process collector comes with it


async def test_pool_gauge_counts_connections_in_use_and_idle(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    """A session held open is "in use" at the scrape; once it is back the connection is "idle" (kept)."""
    app = await build_app(
        Settings(database_url=db_url, scheduler_enabled=False), clock=clock, knowledge=shared_knowledge()
    )
    try:
        await _pool_gauge(app)
    finally:
        await app.close()


async def _pool_gauge(app: App) -> None:

    async def scrape(base: str) -> dict[str, float]:
        _, _, body = await get(base + "/metrics")
        return {s.labels["state"]: s.value for s in families(body)["cos_db_pool_connections"]}

    async with served(bot_web.make_http_app(app)) as base:
        async with app.db.session() as session:
            await session.execute(text("SELECT 1"))
            held = await scrape(base)
        after = await scrape(base)
    assert held["in_use"] == 1, held
    assert after["in_use"] == 0 and after["idle"] >= 1, after
    assert after["in_use"] + after["idle"] == held["in_use"] + held["idle"]  # the same connection, returned


async def test_readyz_waits_for_expected_platforms_and_drops_at_shutdown(app: App) -> None:
    readiness = readiness_for(app)
    readiness.expect("discord")
    async with served(bot_web.make_http_app(app)) as base:
        status, _, body = await get(base + "/readyz")
        assert status == 503 and '"discord": "down"' in body
        readiness.report("discord", True)
        assert (await get(base + "/readyz"))[0] == 200
        readiness.add_check("slack", lambda: False)
        assert (await get(base + "/readyz"))[0] == 503
        readiness.add_check("slack", _async_true)
        assert (await get(base + "/readyz"))[0] == 200
        readiness.begin_shutdown()
        status, _, body = await get(base + "/readyz")
        assert status == 503 and "shutdown" in body
        assert (await get(base + "/healthz"))[0] == 200  # still alive while it drains


async def _async_true() -> bool:
    return True


async def test_unreachable_database_is_not_ready_and_counted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.ops import metrics

    errors = metrics.REGISTRY.get_sample_value("cos_database_errors_total") or 0.0
    db = Database("postgresql+asyncpg://nobody:pw@127.0.0.1:1/none")
    bot_web.count_database_errors(db)
    try:
        report = await Readiness().check(db)
    finally:
        await db.dispose()
    assert report.ready is False
    assert report.checks == {"database": "unreachable", "migrations": "unknown"}
    assert (metrics.REGISTRY.get_sample_value("cos_database_errors_total") or 0.0) > errors


async def test_schema_behind_head_is_not_ready(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        assert await schema_at_head(db) is False  # no schema at all
        await migrate(db, "0004")
        report = await Readiness().check(db)
        assert report.ready is False and report.checks["migrations"] == "behind"
        await migrate(db)
        assert (await Readiness().check(db)).ready is True
    finally:
        await db.dispose()


async def test_outbox_gauge_is_read_from_the_database_at_most_every_few_seconds(app: App) -> None:
    admin = Harness(app, role="admin")
    cached = bot_web.make_http_app(app, outbox_every=3600)
    async with served(cached) as base:
        first = families((await get(base + "/metrics"))[2])
        pending = {s.labels["state"]: s.value for s in first["cos_outbox_rows"]}["pending"]
        await admin.say("/cos-service digest daily 14:05 UTC")
        await admin.say("/cos-service digest now")
        again = families((await get(base + "/metrics"))[2])
        assert {s.labels["state"]: s.value for s in again["cos_outbox_rows"]}["pending"] == pending  # cached
        assert cached[bot_web._GAUGE].reads == 1
    async with served(bot_web.make_http_app(app, outbox_every=0)) as base:
        fresh = families((await get(base + "/metrics"))[2])
    assert {s.labels["state"]: s.value for s in fresh["cos_outbox_rows"]}["pending"] > pending


async def test_probes_and_scrapes_are_not_logged_as_requests(
    settings: Settings,
    clock,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = await build_app(replace(settings, http_port=0), clock=clock, knowledge=shared_knowledge())
    try:
        async with serving(app, [], host="127.0.0.1") as port:
            for path in ("/healthz", "/readyz", "/metrics", "/healthz"):
                assert (await get(f"http://127.0.0.1:{port}{path}"))[0] == 200
    finally:
        await app.close()
    assert [r for r in caplog.records if r.name in ("cos.request", "aiohttp.access")] == []


async def _hello(request: web.Request) -> web.Response:
    return web.json_response({"hello": "from a platform"})


def _platform(name: str, **extra: object) -> Platform:
    async def run(app: App) -> None:
        await asyncio.Event().wait()

    return Platform(name=name, is_configured=lambda s: True, run=run, **extra)  # type: ignore[arg-type]


async def test_a_platform_adds_its_own_routes(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = _platform("fakeplat", http_routes=lambda a: [web.post("/fakeplat/interactions", _hello)])
    monkeypatch.setattr(bot_web, "load_platforms", lambda: {"fakeplat": plugin})
    async with served(bot_web.make_http_app(app)) as base:
        async with aiohttp.ClientSession() as http, http.post(base + "/fakeplat/interactions") as response:
            assert response.status == 200 and (await response.json()) == {"hello": "from a platform"}
    # The host platform's own server does not mount its routes twice.
    hosted = web.Application()
    bot_web.add_routes(hosted, app, host="fakeplat")
    assert "/fakeplat/interactions" not in {r.resource.canonical for r in hosted.router.routes() if r.resource}


async def test_run_serves_probes_on_cos_http_port_until_shutdown(settings: Settings, clock) -> None:  # type: ignore[no-untyped-def]
    app = await build_app(replace(settings, http_port=0), clock=clock, knowledge=shared_knowledge())
    plugin = _platform("fakeplat")
    try:
        stop = asyncio.Event()
        async with serving(app, [plugin], host="127.0.0.1") as port:
            assert port
            base = f"http://127.0.0.1:{port}"
            status, _, body = await get(base + "/readyz")
            assert status == 503 and '"fakeplat": "down"' in body  # started, not yet connected
            readiness_for(app).report("fakeplat", True)
            assert (await get(base + "/readyz"))[0] == 200
            stopping(app, stop)()  # what SIGTERM calls
            assert stop.is_set()
            assert (await get(base + "/readyz"))[0] == 503  # while the work drains, the server still answers
            assert (await get(base + "/metrics"))[0] == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await get(base + "/healthz")
    finally:
        await app.close()


async def test_run_leaves_http_to_a_platform_that_serves_it(settings: Settings, clock) -> None:  # type: ignore[no-untyped-def]
    app = await build_app(replace(settings, http_port=0), clock=clock, knowledge=shared_knowledge())
    try:
        async with serving(app, [_platform("fakeplat", serves_http=lambda s: True)]) as port:
            assert port is None
        async with serving(replace_settings(app, http_port=None), []) as port:
            assert port is None  # no COS_HTTP_PORT: no listener
    finally:
        await app.close()


def replace_settings(app: App, **changes: object) -> App:
    app.settings = replace(app.settings, **changes)  # type: ignore[arg-type]
    return app


def test_cos_http_port_is_validated() -> None:
    from bot.kernel.errors import ConfigError
    from bot.kernel.settings import load_settings

    assert load_settings({"COS_HTTP_PORT": "8081"}, dotenv=None).http_port == 8081
    assert load_settings({}, dotenv=None).http_port is None
    for bad in ("http", "70000", "-1"):
        with pytest.raises(ConfigError, match="COS_HTTP_PORT"):
            load_settings({"COS_HTTP_PORT": bad}, dotenv=None)
