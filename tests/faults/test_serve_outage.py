"""``cos-bot serve`` as a real process on PostgreSQL behind ``FaultProxy``, with the scheduler on.

While the database is refused or partitioned: Slack commands are answered (a team command with "try
again in a minute", a knowledge question with its answer), ``/readyz`` says 503 naming the database, and
the process stays up. After: ``/readyz`` is 200 again within 15 s, the log holds one line for the outage
and one for its end (with the failed ticks counted), and no traceback. ``/metrics`` has the rate-limit and
dead-letter series at 0 from the start.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.kernel.errors import DatabaseUnavailable
from bot.ops.metric_labels import KIND_LABELS, PLATFORM_LABELS
from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import FakeSlack, form_body, payload, sign
from tests.adapters.slack.test_serve_process import Served
from tests.adapters.slack.test_serve_process import serve as serve_process
from tests.faults.proxy import FaultProxy
from tests.faults.test_database_down import break_db, through, until

pytestmark = pytest.mark.postgres

GUARD = 10.0  # a hang guard: Slack itself gives up on an ack after 3 s


@asynccontextmanager
async def serve(slack: FakeSlack, tmp_path: Path, database_url: str) -> AsyncIterator[Served]:
    """``cos-bot serve`` with its scheduler polling every 0.5 s and short database limits."""
    async with serve_process(
        slack,
        tmp_path,
        scheduler=True,
        database_url=database_url,
        COS_POLL_SECONDS="0.5",
        COS_ADMINS="U2147483697",  # the asker of payloads/slash_command.json
        COS_DB_CONNECT_TIMEOUT="1",
        COS_DB_COMMAND_TIMEOUT="2",
        COS_DB_POOL_TIMEOUT="2",
    ) as served:
        yield served


async def command(http: aiohttp.ClientSession, base: str, slack: FakeSlack, text: str, name: str) -> str:
    """A signed ``/cos-service <text>``: the reply's text, from the ack or (when slow) from the response URL."""
    form = form_body({**payload("slash_command.json"), "text": text, "response_url": slack.response_url(name)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SIGNING_SECRET)}
    async with http.post(base + "/slack/events", data=form.encode(), headers=headers) as answer:
        assert answer.status == 200
        raw = await answer.text()
    body: dict[str, Any] = json.loads(raw) if raw.startswith("{") else {}
    if body.get("text") and not str(body["text"]).startswith("Looking that up"):
        return str(body["text"]) + json.dumps(body.get("blocks", []))
    for _ in range(int(GUARD * 10)):
        posted = [c for c in slack.calls_to("response_url") if c.params.get("name") == name]
        if posted:
            return str(posted[-1].params.get("text", "")) + json.dumps(posted[-1].params.get("blocks", []))
        await asyncio.sleep(0.1)
    raise AssertionError(f"no reply to {text!r}")


async def readiness(http: aiohttp.ClientSession, base: str) -> tuple[int, dict[str, Any]]:
    async with http.get(base + "/readyz") as ready:
        return ready.status, await ready.json()


@pytest.mark.parametrize("fault", ["refused", "partition"])
async def test_serve_rides_out_a_database_outage(
    fake: FakeSlack,
    proxy: FaultProxy,
    pg_url: str,
    tmp_path: Path,
    fault: str,
) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    async with serve(fake, tmp_path, through(proxy, pg_url)) as served:
        await served.read_until_listening()
        base = f"http://127.0.0.1:{served.port}"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GUARD)) as http:
            assert (await readiness(http, base))[0] == 200
            async with http.get(base + "/metrics") as scraped:
                exposition = await scraped.text()
            assert "Digest scheduled" in await command(http, base, fake, "digest daily 09:00 UTC", "setup")

            await break_db(proxy, fault)

            async def not_ready() -> bool:
                status, body = await readiness(http, base)
                return status == 503 and body["checks"]["database"] == "unreachable"

            await until(not_ready, GUARD, 0.25)
            team = await command(http, base, fake, "schedules", "team")
            assert DatabaseUnavailable.MESSAGE in team and "error id" not in team, team
            answer = await command(http, base, fake, "legal", "question")
            assert "Comprehensive Legal Services" in answer, answer
            await asyncio.sleep(3)  # several scheduler ticks fail
            assert served.proc.returncode is None  # the process stays up

            await proxy.set_mode("forward")

            async def ready() -> bool:
                return (await readiness(http, base))[0] == 200

            await until(ready, 15, 0.25)  # ready again within 15 s of the database's return
            assert "daily at 09:00 UTC" in await command(http, base, fake, "schedules", "after")
            await asyncio.sleep(1)  # a tick succeeds: the outage's end is logged
        served.proc.send_signal(signal.SIGTERM)
        code, stderr = await served.finish()

    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    down = [line for line in stderr.splitlines() if "database unavailable (" in line]
    back = [line for line in stderr.splitlines() if "database back after" in line]
    assert len(down) == 1 and len(back) == 1, stderr
    assert "scheduler tick" in back[0] and "request" in back[0], back
    assert BOT_TOKEN not in stderr

    found = {f.name: f for f in text_string_to_metric_families(exposition)}
    rate_limited = {
        s.labels["platform"]: s.value
        for s in found["cos_platform_rate_limited"].samples
        if s.name == "cos_platform_rate_limited_total"
    }
    dead = {s.labels["kind"]: s.value for s in found["cos_dead_letters"].samples if s.name == "cos_dead_letters_total"}
    assert rate_limited == dict.fromkeys(PLATFORM_LABELS, 0.0)
    assert dead == dict.fromkeys(KIND_LABELS, 0.0)
