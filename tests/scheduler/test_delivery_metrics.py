"""Delivery outcomes become metrics (lag, rate limits, dead letters) and one log line each."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from bot.kernel.errors import DeliveryError
from tests.bot.test_metrics import json_logs, lines, value
from tests.world import World, sticky

_ = json_logs  # the fixture


def _utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


async def test_sent_delivery_observes_lag_and_logs_one_line(world: World, json_logs: io.StringIO) -> None:
    lag_count, lag_sum = value("cos_delivery_lag_seconds_count"), value("cos_delivery_lag_seconds_sum")
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.clock.set(_utc(2026, 3, 2, 14, 5, 30))  # 30 s late
    await world.tick()
    assert len(world.transport.sent) == 1
    assert value("cos_delivery_lag_seconds_count") == lag_count + 1
    assert value("cos_delivery_lag_seconds_sum") - lag_sum == pytest.approx(30.0)
    (line,) = lines(json_logs, "delivery")
    assert {k: line[k] for k in ("kind", "lag_s", "attempt", "outcome", "platform", "workspace")} == {
        "kind": "digest",
        "lag_s": 30.0,
        "attempt": 1,
        "outcome": "sent",
        "platform": "console",
        "workspace": "T1",
    }
    assert isinstance(line["key"], str) and line["key"]


async def test_rate_limits_and_dead_letters_are_counted(world: World, json_logs: io.StringIO) -> None:
    limited = value("cos_platform_rate_limited_total", platform="console")
    dead = value("cos_dead_letters_total", kind="digest")
    await world.admin.say("/cos-service digest daily 14:05 UTC")
    world.transport.fail["C1"] = [DeliveryError("rate limited", retry_after=1)]
    world.clock.set(_utc(2026, 3, 2, 14, 5))
    await world.tick()
    assert value("cos_platform_rate_limited_total", platform="console") == limited + 1
    world.transport.fail["C1"] = [sticky(DeliveryError("channel_not_found", permanent=True))]
    world.clock.set(_utc(2026, 3, 2, 14, 6))
    await world.tick()
    assert value("cos_dead_letters_total", kind="digest") == dead + 1
    assert [line["outcome"] for line in lines(json_logs, "delivery")] == ["rate_limited", "dead"]
    assert world.transport.sent == []
