"""Metrics and log lines for requests and deliveries: counted where they happen, with bounded labels."""

from __future__ import annotations

import io
import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot.app import App
from bot.kernel.commands import TEAM_WORDS
from bot.kernel.reply import Reply, Section
from bot.ops import metrics
from bot.ops.logs import configure_logging
from tests.conftest import Harness


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def command_series() -> dict[tuple[str, str, str], float]:
    """Every ``cos_commands_total`` series: (platform, command, matched) -> count."""
    out: dict[tuple[str, str, str], float] = {}
    for family in metrics.REGISTRY.collect():
        if family.name == "cos_commands":
            for s in family.samples:
                if s.name == "cos_commands_total":
                    out[(s.labels["platform"], s.labels["command"], s.labels["matched"])] = s.value
    return out


@dataclass(frozen=True, slots=True)
class _Unmatched(Reply):
    """What the honest-answers work adds to Reply: ``matched``."""

    matched: bool = False


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Logs as ``LOG_JSON=true`` writes them, captured; the test's own handlers are restored after."""
    import sys

    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    saved, sys.stderr = sys.stderr, stream
    try:
        configure_logging("INFO", as_json=True, secrets=("s3cr3t-signing-value",))
    finally:
        sys.stderr = saved
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_cos_bot", False):
                root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO, message: str) -> list[dict[str, object]]:
    out = []
    for raw in stream.getvalue().splitlines():
        obj = json.loads(raw)
        if obj["message"] == message:
            out.append(obj)
    return out


async def test_three_commands_are_counted_and_timed(app: App, admin: Harness) -> None:
    before, timed = sum(command_series().values()), value("cos_answer_seconds_count")
    await admin.say("/cos-service legal")
    await admin.say("/cos-risk gdpr")
    await admin.say("/cos-service digest daily 14:05 UTC")
    series = command_series()
    assert sum(series.values()) - before == 3
    assert value("cos_answer_seconds_count") - timed == 3
    assert series[("console", "cos-service digest", "true")] >= 1  # a team sub-command keeps its word
    assert series[("console", "cos-risk", "true")] >= 1  # a question does not


async def test_an_unmatched_reply_is_counted_as_matched_false(app: App, harness: Harness) -> None:
    async def unanswerable(request, rest):  # type: ignore[no-untyped-def]
        return _Unmatched(title="I don't know that one", sections=(Section(text="Try /cos-service help"),))

    app.router.add_subcommand("cos-service", "zzq", unanswerable)
    before = value("cos_commands_total", platform="console", command="cos-service zzq", matched="false")
    reply = await harness.say("/cos-service zzq what is this")
    assert reply.title == "I don't know that one"
    assert value("cos_commands_total", platform="console", command="cos-service zzq", matched="false") == before + 1


async def test_label_cardinality_stays_bounded_whatever_people_ask(app: App, harness: Harness) -> None:
    before = command_series()
    rng = random.Random(11)
    words = [
        "how",
        "do",
        "we",
        "hire",
        "gdpr",
        "audit",
        "x" * 60,
        "🙂",
        "<!channel>",
        "digest",
        "schedules",
        "overview",
        "Korn",
        "Ferry",
        "SOC",
        "2",
        "@everyone",
        "payroll",
        "tax",
    ]
    for _ in range(120):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        await harness.say(f"/{rng.choice(['cos-service', 'cos-risk'])} {text}")
        await harness.say(text)  # free text in a DM
    await harness.say("y" * 300, command="cos-nonsense-" + "y" * 100)  # a command we do not have
    labels = {key[1] for key, count in command_series().items() if count > before.get(key, 0)}
    assert "cos-service" in labels and "message" in labels and "other" in labels
    # The command and at most one word from a fixed vocabulary (registered sub-commands, a few knowledge words).
    assert len(labels) < 60, labels
    for label in labels:
        head, _, word = label.partition(" ")
        assert head in {"cos-service", "cos-risk", "message", "other"}, label
        assert not word or word in metrics.KNOWLEDGE_WORDS or word in TEAM_WORDS.get(head, ()), label
    for free in ("hire", "gdpr", "payroll", "x" * 60, "🙂", "korn"):
        assert not any(free in label for label in labels)


async def test_request_log_line_has_the_fields_and_never_the_question(
    app: App, harness: Harness, json_logs: io.StringIO
) -> None:
    secret_question = "legal help for our s3cr3t-signing-value and xoxb-1234-5678-abcdefgh merger"
    await harness.say(f"/cos-service {secret_question}", request_id="req-42")
    await harness.say("/cos-service digest off")  # a member: refused
    (first, refused) = lines(json_logs, "request")[-2:]
    assert first["request_id"] == "req-42"
    assert {k: first[k] for k in ("platform", "workspace", "command", "outcome")} == {
        "platform": "console",
        "workspace": "T1",
        "command": "cos-service",
        "outcome": "ok",
    }
    assert isinstance(first["matched"], bool)  # this question is not covered by the overview: an honest "no"
    assert isinstance(first["latency_ms"], float) and first["level"] == "INFO"
    assert refused["command"] == "cos-service digest" and refused["outcome"] == "refused"
    logged = json_logs.getvalue()
    assert "merger" not in logged and "legal help" not in logged  # never the question text at INFO
    assert "s3cr3t-signing-value" not in logged and "xoxb-1234" not in logged


async def test_probe_request_id_is_made_up_when_the_platform_gives_none(
    app: App, harness: Harness, json_logs: io.StringIO
) -> None:
    await harness.say("/cos-service overview")
    (line,) = lines(json_logs, "request")[-1:]
    assert isinstance(line["request_id"], str) and len(line["request_id"]) == 12
    assert line["command"] == "cos-service overview"


def test_json_fields_are_redacted_like_every_other_line(json_logs: io.StringIO) -> None:
    from bot.ops.observe import EVENT_ATTR, FIELDS_ATTR

    fields = {
        "workspace": "T1",
        "key": "digest:xoxb-1111-2222-abcdef",
        "note": "password=hunter22&x=1",
        "db": "postgresql+asyncpg://cos:pa55word@db/cos",
        "sig": "s3cr3t-signing-value",
    }
    logging.getLogger("cos.request").info("request", extra={FIELDS_ATTR: fields, EVENT_ATTR: "request"})
    (line,) = lines(json_logs, "request")
    assert line["workspace"] == "T1"
    text = json_logs.getvalue()
    for secret in ("xoxb-1111", "hunter22", "pa55word", "s3cr3t-signing-value"):
        assert secret not in text
