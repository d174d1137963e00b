"""``cos-bot serve`` as a real process: answers a signed command, logs nothing loud, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import FakeSlack, form_body, payload, sign

ROOT = Path(__file__).resolve().parents[3]
_LISTENING = re.compile(r"slack: listening on http://[^:]+:(\d+)/slack/events")
_LOUD = re.compile(r" (WARNING|ERROR|CRITICAL) ")


class Served:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.port = 0

    async def read_until_listening(self, timeout: float = 60.0) -> None:
        async def read() -> None:
            assert self.proc.stderr is not None
            while True:
                raw = await self.proc.stderr.readline()
                if not raw:
                    raise AssertionError("cos-bot serve exited early:\n" + "".join(self.lines))
                line = raw.decode(errors="replace")
                self.lines.append(line)
                if m := _LISTENING.search(line):
                    self.port = int(m.group(1))
                    return

        await asyncio.wait_for(read(), timeout)

    async def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        """Wait for the exit; (exit code, everything written to stderr)."""
        assert self.proc.stderr is not None
        rest = await asyncio.wait_for(self.proc.stderr.read(), timeout)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        return code, "".join(self.lines) + rest.decode(errors="replace")


@asynccontextmanager
async def serve(
    fake: FakeSlack, tmp_path: Path, *, scheduler: bool, database_url: str | None = None, **extra_env: str
) -> AsyncIterator[Served]:
    """``cos-bot serve`` as its own process against ``fake``, on a SQLite file unless ``database_url`` is given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DISCORD_", "COS_", "DATABASE_", "PORT", "LOG_"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        DATABASE_URL=database_url or f"sqlite:///{tmp_path / 'serve.db'}",
        COS_SCHEDULER="1" if scheduler else "0",
        LOG_LEVEL="INFO",
        PYTHONPATH=str(ROOT),
        **extra_env,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        "--port",
        "0",
        cwd=str(tmp_path),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    served = Served(proc)
    try:
        yield served
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.parametrize("scheduler", [False, True], ids=["scheduler-off", "scheduler-on"])
async def test_serve_answers_then_stops_cleanly_on_sigterm(fake: FakeSlack, tmp_path: Path, scheduler: bool) -> None:
    async with serve(fake, tmp_path, scheduler=scheduler) as served:
        await served.read_until_listening()
        base = f"http://127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/healthz") as health:
                assert health.status == 200 and (await health.json())["ok"] is True
            form = form_body({**payload("slash_command.json"), "response_url": fake.response_url("serve")})
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SIGNING_SECRET)}
            async with http.post(base + "/slack/events", data=form.encode(), headers=headers) as answer:
                assert answer.status == 200
                body = await answer.json()
        assert "Comprehensive Legal Services" in body["text"]

        served.proc.send_signal(signal.SIGTERM)
        code, stderr = await served.finish()

    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    loud = [line for line in stderr.splitlines() if _LOUD.search(line)]
    assert loud == [], stderr  # the happy path (start, answer, stop) logs nothing at WARNING or above
    assert BOT_TOKEN not in stderr and SIGNING_SECRET not in stderr


async def test_sigterm_lets_an_in_flight_slack_call_finish(fake: FakeSlack, tmp_path: Path) -> None:
    """A DM answer is still being posted (Slack is slow) when SIGTERM arrives: it is delivered, then exit 0."""
    fake.delays["chat.postMessage"] = 0.5
    async with serve(fake, tmp_path, scheduler=False) as served:
        await served.read_until_listening()
        envelope = json.dumps(payload("event_message_im.json"))
        headers = {"Content-Type": "application/json", **sign(envelope, SIGNING_SECRET)}
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"http://127.0.0.1:{served.port}/slack/events", data=envelope.encode(), headers=headers
            ) as acked:
                assert acked.status == 200
        await fake.wait_for("users.info")
        served.proc.send_signal(signal.SIGTERM)
        code, stderr = await served.finish()

    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    posts = fake.calls_to("chat.postMessage")
    assert len(posts) == 1 and posts[0].params["channel"] == "D024BE91L"


async def test_serve_answers_probes_and_metrics_and_logs_json_requests(fake: FakeSlack, tmp_path: Path) -> None:
    """``cos-bot serve``: /healthz, /readyz and /metrics beside /slack/events; one JSON line per request."""
    from prometheus_client.parser import text_string_to_metric_families

    async with serve(fake, tmp_path, scheduler=False, LOG_JSON="true") as served:
        await served.read_until_listening()
        base = f"http://127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            for n, text in enumerate(("legal", "zzkq frobnicate the quux", "digest off")):
                form = form_body(
                    {**payload("slash_command.json"), "text": text, "response_url": fake.response_url(f"m{n}")}
                )
                headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(form, SIGNING_SECRET)}
                async with http.post(base + "/slack/events", data=form.encode(), headers=headers) as answer:
                    assert answer.status == 200
            async with http.get(base + "/healthz") as health:
                assert health.status == 200
            async with http.get(base + "/readyz") as ready:
                assert ready.status == 200, await ready.text()
                assert (await ready.json())["checks"]["slack"] == "up"
            async with http.get(base + "/metrics") as scraped:
                assert scraped.status == 200
                exposition = await scraped.text()
        served.proc.send_signal(signal.SIGTERM)
        code, stderr = await served.finish()

    assert code == 0, stderr
    found = {f.name: f for f in text_string_to_metric_families(exposition)}
    for name in (
        "cos_commands",
        "cos_answer_seconds",
        "cos_outbox_rows",
        "cos_delivery_lag_seconds",
        "cos_platform_rate_limited",
        "cos_dead_letters",
    ):
        assert name in found, name
    commands = [s for s in found["cos_commands"].samples if s.name == "cos_commands_total"]
    assert sum(s.value for s in commands) >= 3
    assert {s.labels["command"] for s in commands} >= {"cos-service", "cos-service digest"}
    assert {s.labels["platform"] for s in commands} == {"slack"}
    requests = [
        json.loads(line)
        for line in stderr.splitlines()
        if line.startswith("{") and json.loads(line)["message"] == "request"
    ]
    assert len(requests) == 3, stderr  # probes and the scrape are not requests
    assert all(r["platform"] == "slack" and r["workspace"] and isinstance(r["latency_ms"], float) for r in requests)
    assert "frobnicate" not in stderr and BOT_TOKEN not in stderr and SIGNING_SECRET not in stderr
