"""Adaptive pacing: the workspace rate is learned (additive increase, multiplicative decrease on 429).

The fan-out tests run the real ``Pacer`` in fake time against a model of Slack's limits (a
sliding one-second window per workspace the pacer is not told, 1/s per channel, 429 with a
whole-second ``Retry-After``), with ``concurrency`` sends under way at once as in the scheduler.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from bot.kernel.errors import ConfigError
from bot.kernel.settings import Settings, load_settings
from bot.scheduler.pacing import (
    ADAPTIVE,
    Limits,
    Pacer,
    PlatformLimits,
    SharedPacer,
    first_ceiling,
    limits_for,
)
from bot.storage.db import Database, migrate

DEFAULTS = limits_for()  # what the installed platform plugins declare
SLACK = DEFAULTS["slack"]
CUT = ADAPTIVE.cut


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t


class SlackModel:
    """The stand-in's rules, in fake time: ``limit`` posts in any one second per workspace, 1/s per channel."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.window: deque[float] = deque()
        self.last: dict[str, float] = {}
        self.accepted: list[float] = []
        self.rejected = 0

    def post(self, now: float, channel: str) -> float | None:
        """None when accepted; else the Retry-After in whole seconds."""
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        wait = 0.0
        if len(self.window) >= self.limit:
            wait = self.window[0] + 1.0 - now
        if channel in self.last and now - self.last[channel] < 1.0:
            wait = max(wait, self.last[channel] + 1.0 - now)
        if wait > 0:
            self.rejected += 1
            return float(max(1, round(wait + 0.499)))
        self.window.append(now)
        self.last[channel] = now
        self.accepted.append(now)
        return None


def fan_out(
    limits: Limits, channels: int, limit: float, *, concurrency: int = 32, latency: float = 0.02
) -> tuple[SlackModel, Pacer]:
    """Send one message to each of ``channels`` channels through the pacer, retrying 429s; all in fake time."""
    ft = FakeTime()
    api = SlackModel(limit)
    pacer = Pacer({"slack": limits}, monotonic=ft.monotonic)
    queue: deque[str] = deque(f"C{i}" for i in range(channels))
    events: list[tuple[float, int, str, str, int | None]] = []  # (time, seq, what, channel, holds when booked)
    booked: dict[str, float | None] = {}  # channel -> the rate its send was booked at
    seq = 0

    def start(channel: str, *, again: bool = False) -> None:
        nonlocal seq
        hold = pacer._holds.get(("slack", "T1"), 0)
        booked[channel] = pacer.rate("slack", "T1")
        slot = pacer.reserve("slack", "T1", channel, grow=not again)
        seq += 1
        heapq.heappush(events, (max(slot, ft.t), seq, "send", channel, hold))

    for _ in range(min(concurrency, channels)):
        start(queue.popleft())
    while events:
        ft.t, _, what, channel, booked_hold = heapq.heappop(events)
        if what == "send" and pacer._holds.get(("slack", "T1"), 0) != booked_hold:
            start(channel, again=True)  # as ``Pacer.wait`` does: a 429 met while it slept books it again
            continue
        if what == "send":
            retry = api.post(ft.t, channel)
            if retry is not None:
                pacer.penalise("slack", "T1", retry, rate=booked[channel])
                seq += 1
                heapq.heappush(events, (ft.t + retry, seq, "retry", channel, None))
                continue
            if queue:
                seq += 1
                heapq.heappush(events, (ft.t + latency, seq, "next", queue.popleft(), None))
        else:
            start(channel)
    return api, pacer


def _ratio(api: SlackModel) -> float:
    span = api.accepted[-1] - api.accepted[0]
    return (len(api.accepted) - 1) / span / api.limit


@pytest.mark.parametrize(
    ("channels", "limit", "max_429_share"), [(300, 20.0, 0.05), (100, 5.0, 0.10), (2000, 50.0, 0.05)]
)
def test_the_rate_is_learned_from_a_limit_nobody_told_the_pacer(
    channels: int, limit: float, max_429_share: float
) -> None:
    api, pacer = fan_out(SLACK, channels, limit)
    assert len(api.accepted) == channels and len(set(api.last)) == channels
    assert _ratio(api) >= 0.8
    assert api.rejected / channels <= max_429_share
    assert api.rejected >= 1  # it did probe: a fixed guess would never meet the limit
    learned = pacer.rate("slack", "T1")
    assert learned is not None and 0.6 * limit <= learned <= 1.2 * limit


def test_the_fixed_guess_it_replaces_is_far_slower() -> None:
    """The control: pinned at the old 4/s, a 20/s workspace gets a fifth of its allowance."""
    api, _ = fan_out(Limits(channel_interval=1.0, workspace_rate=4.0), 300, 20.0)
    assert _ratio(api) < 0.25 and api.rejected == 0


def test_a_pinned_rate_is_kept_and_never_learned() -> None:
    pinned = limits_for(Settings(slack_workspace_rate=7.0))["slack"]
    assert (pinned.workspace_rate, pinned.adaptive) == (7.0, False)
    ft = FakeTime()
    p = Pacer({"slack": pinned}, monotonic=ft.monotonic)
    slots = [p.reserve("slack", "T1", f"C{i}") for i in range(50)]
    assert slots[-1] == pytest.approx(49 / 7.0)
    p.penalise("slack", "T1", 2.0)
    assert p.rate("slack", "T1") == 7.0  # Retry-After still holds it, but the rate stays pinned
    assert limits_for(Settings())["slack"].adaptive


def test_rises_additively_and_is_cut_once_per_hold() -> None:
    ft = FakeTime()
    p = Pacer({"slack": SLACK}, monotonic=ft.monotonic)
    assert p.rate("slack", "T1") == 4.0  # today's conservative start
    for i in range(10):
        p.reserve("slack", "T1", f"C{i}")
    assert p.rate("slack", "T1") == pytest.approx(14.0)  # +1 per send
    p.penalise("slack", "T1", 1.0)  # met by the send booked last, at 13/s
    first_cut = p.rate("slack", "T1")
    # The first climb overshoots: the ceiling is what was booked in the second before (12, 11 ... 6/s: 7 sends).
    assert first_ceiling(13.0) == 7.0
    assert first_cut == pytest.approx(7.0 * CUT)
    p.penalise("slack", "T1", 1.0)  # another send of the same overload, inside the hold
    assert p.rate("slack", "T1") == first_cut
    assert p.reserve("slack", "T2", "C1") == 0.0 and p.rate("slack", "T2") == 5.0  # workspaces are apart
    ft.t = 5.0
    p.penalise("slack", "T1", 1.0, rate=7.0)  # a new overload after the hold, met by a send booked at 7/s
    assert p.rate("slack", "T1") == pytest.approx(7.0 * CUT)


def test_the_rate_never_leaves_its_bounds() -> None:
    ft = FakeTime()
    p = Pacer({"discord": DEFAULTS["discord"], "slack": SLACK}, monotonic=ft.monotonic)
    for i in range(500):
        p.reserve("discord", "G1", f"C{i}")
        p.reserve("slack", "T1", f"C{i}")
    assert p.rate("discord", "G1") == 40.0  # Discord's published limit is never exceeded
    assert p.rate("slack", "T1") == 100.0
    for _ in range(100):
        ft.t += 10
        p.penalise("slack", "T1", 1.0, rate=p.rate("slack", "T1"))
    assert p.rate("slack", "T1") == SLACK.min_rate


def test_a_retry_after_during_the_wait_moves_a_sleeping_send_behind_the_hold() -> None:
    ft = FakeTime()
    p = Pacer({"slack": Limits(workspace_rate=1.0)}, monotonic=ft.monotonic)

    async def sleep(seconds: float) -> None:
        if ft.t == 0.0:
            p.penalise("slack", "T1", 10.0)  # another send met a 429 while this one slept
        ft.t += seconds

    p._sleep = sleep
    p.reserve("slack", "T1", "C1")
    waited = asyncio.run(p.wait("slack", "T1", "C2"))
    assert ft.t >= 10.0 and waited >= 10.0


@pytest.mark.parametrize("raw", ["0", "-3", "fast", "nan", "inf"])
def test_a_bad_pinned_rate_is_refused_at_start_up(raw: str) -> None:
    with pytest.raises(ConfigError, match="COS_SLACK_WORKSPACE_RATE"):
        load_settings({"COS_SLACK_WORKSPACE_RATE": raw}, dotenv=None)


@pytest.mark.parametrize("raw", ["0", "-1", "many"])
def test_a_bad_max_claims_is_refused_at_start_up(raw: str) -> None:
    with pytest.raises(ConfigError, match="COS_MAX_CLAIMS"):
        load_settings({"COS_MAX_CLAIMS": raw}, dotenv=None)


def test_settings_read_the_pinned_rate_and_max_claims() -> None:
    s = load_settings({"COS_SLACK_WORKSPACE_RATE": "12.5", "COS_MAX_CLAIMS": "3"}, dotenv=None)
    assert (s.slack_workspace_rate, s.max_claims) == (12.5, 3)
    d = load_settings({}, dotenv=None)
    assert (d.slack_workspace_rate, d.max_claims) == (None, 5)


# -- shared by replicas (PostgreSQL) ---------------------------------------------------------------------

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.mark.postgres
async def test_replicas_share_the_learned_rate_and_one_cut(pg_url: str) -> None:
    db = Database(pg_url)
    now = [START]
    try:
        await migrate(db)
        a = SharedPacer(db, {"slack": SLACK}, now=lambda: now[0])
        b = SharedPacer(db, {"slack": SLACK}, now=lambda: now[0])  # another replica
        delays = [await (a if i % 2 else b).reserve("slack", "T1", f"C{i}") for i in range(10)]
        # Each booking raised the shared rate by 1/s, so the gaps shrink: 1/4, 1/5, 1/6 ...
        gaps = [y - x for x, y in zip(delays, delays[1:], strict=False)]
        assert gaps == pytest.approx([1 / (4.0 + i) for i in range(9)], abs=1e-6)
        assert await a.rate("slack", "T1") == pytest.approx(14.0) == await b.rate("slack", "T1")
        await a.penalise("slack", "T1", 2.0, rate=13.0)  # met by the send booked last
        await b.penalise("slack", "T1", 2.0, rate=12.0)  # the same overload, seen by the other replica: no second cut
        cut = await b.rate("slack", "T1")
        assert cut == pytest.approx(first_ceiling(13.0) * CUT)
        held = await b.reserve("slack", "T1", "C99")
        assert held == pytest.approx(2.0)  # nobody sends before the Retry-After has passed
        now[0] = START + timedelta(seconds=10)
        await a.penalise("slack", "T1", 1.0, rate=7.0)
        assert await b.rate("slack", "T1") == pytest.approx(7.0 * CUT)  # a new overload: cut again
        assert await a.rate("slack", "T2") == 4.0  # an unknown workspace starts at the default
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_pinned_rate_is_not_learned_by_the_shared_pacer(pg_url: str) -> None:
    db = Database(pg_url)
    try:
        await migrate(db)
        p = SharedPacer(db, limits_for(Settings(slack_workspace_rate=5.0)), now=lambda: START)
        delays = [await p.reserve("slack", "T1", f"C{i}") for i in range(6)]
        assert delays == pytest.approx([i / 5.0 for i in range(6)], abs=1e-6)
        await p.penalise("slack", "T1", 1.0)
        assert await p.rate("slack", "T1") == 5.0
    finally:
        await db.dispose()


@pytest.mark.postgres
async def test_a_send_sleeping_for_its_slot_books_again_when_another_replica_meets_a_429(pg_url: str) -> None:
    db = Database(pg_url)
    now = [START]
    try:
        await migrate(db)
        other = SharedPacer(db, {"slack": SLACK}, now=lambda: now[0])

        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            if not sleeps:
                await other.penalise("slack", "T1", 3.0, rate=4.0)  # meanwhile, on another replica
            sleeps.append(seconds)
            now[0] += timedelta(seconds=seconds)

        mine = SharedPacer(db, {"slack": SLACK}, now=lambda: now[0], sleep=sleep)
        assert await mine.wait("slack", "T1", "C1") == 0.0
        prepared: list[float] = []

        async def ahead() -> None:
            prepared.append((now[0] - START).total_seconds())

        # Booked for +0.25, then held until +3: booked again.
        waited = await mine.wait("slack", "T1", "C2", ahead=ahead)
        # Each sleep stops AHEAD (0.1 s) short of its slot to look for a new hold: found after the first.
        assert sleeps[:2] == pytest.approx([0.15, 2.75], abs=1e-3)
        assert len(sleeps) == 3 and 0.0 < sleeps[2] <= 0.1
        assert waited == pytest.approx(3.0, abs=1e-3)
        # The transport's preparation ran once, before the slot it was finally sent in (not at +0.15).
        assert prepared == pytest.approx([2.9], abs=1e-3)
    finally:
        await db.dispose()


def test_limits_come_from_the_platform_plugins_and_unknown_platforms_are_unpaced() -> None:
    limits = limits_for()
    assert limits["slack"].adaptive and limits["slack"].workspace_rate == 4.0
    assert limits["discord"].workspace_rate == 40.0
    assert limits.get("console") is None and limits.get("nowhere") is None
    assert "slack" in limits and "nowhere" not in limits
    asked: list[str] = []
    lazy = PlatformLimits(lookup=lambda name, settings: asked.append(name) or None)
    assert asked == []  # nothing is loaded before a platform is paced
    assert lazy.get("slack") is None and asked == ["slack"]
