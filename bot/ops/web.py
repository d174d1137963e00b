"""The platform-neutral HTTP endpoints: ``/healthz``, ``/readyz``, ``/metrics`` (aiohttp).

``cos-bot serve`` mounts them beside ``/slack/events`` (``add_routes``); ``cos-bot run``
serves them on ``COS_HTTP_PORT`` when no platform serves HTTP itself (``serving``), so
container probes work with Discord only, or with the scheduler alone.

* ``GET /healthz``: liveness. 200 while the process answers; the database is not asked
  (a database outage must not make Kubernetes restart every replica).
* ``GET /readyz``: readiness (bot.ops.readiness). 200 when the database answers, the schema is
  at head and the platform connections are up; 503 otherwise and from the moment shutdown
  begins.
* ``GET /metrics``: Prometheus text from ``prometheus-client`` (bot.ops.metrics). The outbox
  gauge is read from the database at most every ``outbox_every`` seconds.

A platform adds its own routes (Discord interactions, say) through the optional
``Platform.http_routes`` hook: a function of the App returning aiohttp ``RouteDef``s, e.g.
``lambda app: [web.post("/discord/interactions", handler)]``. They are mounted on whichever
server runs here: Slack's ``serve`` app or the neutral one. None of these requests is logged
as a request.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import event

from bot.app import App
from bot.ops import metrics
from bot.ops.readiness import readiness_for
from bot.plugins import Platform, load_platforms
from bot.storage.db import Database

__all__ = [
    "PROBE_PATHS",
    "SHUTDOWN_DRAIN_SECONDS",
    "add_routes",
    "make_http_app",
    "count_database_errors",
    "read_pool",
]

log = logging.getLogger("bot.ops.web")

PROBE_PATHS = {"liveness": "/healthz", "readiness": "/readyz", "metrics": "/metrics"}
OUTBOX_EVERY = 5.0  # seconds between outbox counts; every replica scrapes the same table
# The longest a SIGTERM'd process takes to stop: answers under way (5 s), a scheduler tick under
# way (30 s, Scheduler.run), then this listener (5 s). Container stop grace periods allow this much.
SHUTDOWN_DRAIN_SECONDS = 40

_APP: web.AppKey[App] = web.AppKey("cos_app", App)


class _OutboxGauge:
    """``cos_outbox_rows{state}``, counted at most every ``every`` seconds (one cheap GROUP BY)."""

    def __init__(self, every: float) -> None:
        self.every = every
        self.read_at = -math.inf
        self.reads = 0
        self._lock = asyncio.Lock()

    async def refresh(self, db: Database) -> None:
        if time.monotonic() - self.read_at < self.every:
            return
        async with self._lock:
            if time.monotonic() - self.read_at < self.every:
                return  # another scrape counted while this one waited
            from bot.scheduler import outbox

            self.read_at = time.monotonic()  # a failed count is not retried on every scrape either
            try:
                counts = await asyncio.wait_for(outbox.counts(db), 2.0)
            except Exception:
                log.debug("outbox count failed", exc_info=True)
                return
            self.reads += 1
            for state in metrics.OUTBOX_STATES:
                metrics.OUTBOX_ROWS.labels(state=state).set(counts.get(state, 0))


_GAUGE: web.AppKey[_OutboxGauge] = web.AppKey("cos_outbox_gauge", _OutboxGauge)


def count_database_errors(db: Database) -> None:
    """Count every driver error of ``db``'s engine in ``cos_database_errors_total`` (once per engine)."""
    engine = db.engine.sync_engine
    if not event.contains(engine, "handle_error", _on_database_error):
        event.listen(engine, "handle_error", _on_database_error)


def _on_database_error(context: Any) -> None:
    metrics.DATABASE_ERRORS.inc()


def add_routes(
    web_app: web.Application, app: App, *, host: str | None = None, outbox_every: float = OUTBOX_EVERY
) -> None:
    """Mount the probes, the metrics and every configured platform's own routes (but ``host``'s,
    the platform whose server this is) on ``web_app``."""
    web_app[_APP] = app
    web_app[_GAUGE] = _OutboxGauge(outbox_every)
    count_database_errors(app.db)
    web_app.add_routes(
        [
            web.get(PROBE_PATHS["liveness"], _healthz),
            web.get(PROBE_PATHS["readiness"], _readyz),
            web.get(PROBE_PATHS["metrics"], _metrics),
        ]
    )
    for platform in _route_platforms(app, host):
        assert platform.http_routes is not None
        web_app.add_routes(list(platform.http_routes(app)))
    from bot.dashboard.views import mount  # the team's dashboard (/dashboard), signed in from chat

    mount(web_app, app)


def _route_platforms(app: App, host: str | None) -> Iterable[Platform]:
    for platform in load_platforms().values():
        if platform.name != host and platform.http_routes is not None and platform.is_configured(app.settings):
            yield platform


def make_http_app(app: App, *, outbox_every: float = OUTBOX_EVERY) -> web.Application:
    """The neutral HTTP app (``cos-bot run`` without Slack's HTTP server)."""
    web_app = web.Application(client_max_size=1024 * 1024)
    add_routes(web_app, app, outbox_every=outbox_every)
    return web_app


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _readyz(request: web.Request) -> web.Response:
    app = request.app[_APP]
    report = await readiness_for(app).check(app.db)
    return web.json_response({"ready": report.ready, "checks": report.checks}, status=200 if report.ready else 503)


def read_pool(db: Database) -> None:
    """``cos_db_pool_connections{state}`` from ``db``'s pool: a leak shows as "in_use" that never falls back,
    a pool filling up to its busiest moment as "idle" that grows up to the pool's size and stays."""
    pool = db.engine.pool
    in_use, idle = getattr(pool, "checkedout", None), getattr(pool, "checkedin", None)
    if callable(in_use) and callable(idle):  # a queue pool (not NullPool)
        metrics.DB_POOL.labels(state="in_use").set(in_use())
        metrics.DB_POOL.labels(state="idle").set(idle())


async def _metrics(request: web.Request) -> web.Response:
    app = request.app[_APP]
    await request.app[_GAUGE].refresh(app.db)
    read_pool(app.db)
    body = generate_latest(metrics.REGISTRY)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
