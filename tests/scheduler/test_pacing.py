"""Pacing: a fan-out becomes an even stream within per-channel and per-workspace limits."""

from __future__ import annotations

import asyncio

from bot.scheduler.pacing import AHEAD, Limits, Pacer


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_one_message_per_second_per_channel() -> None:
    ft = FakeTime()
    p = Pacer({"slack": Limits(channel_interval=1.0)}, monotonic=ft.monotonic, sleep=ft.sleep)
    assert [p.reserve("slack", "T1", "C1") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert p.reserve("slack", "T1", "C2") == 0.0  # other channels are not held up
    assert p.reserve("console", "T1", "C1") == 0.0  # unlimited platform


def test_workspace_rate_spreads_a_fan_out_evenly() -> None:
    ft = FakeTime()
    p = Pacer({"slack": Limits(channel_interval=1.0, workspace_rate=50.0)}, monotonic=ft.monotonic, sleep=ft.sleep)
    slots = [p.reserve("slack", "T1", f"C{i}") for i in range(2000)]
    assert slots[-1] == pytest_approx(1999 / 50)
    # never more than 50 sends in any one-second window
    j = 0
    for i, s in enumerate(slots):
        while slots[j] <= s - 1.0 + 1e-9:
            j += 1
        assert i - j + 1 <= 50
    assert p.reserve("slack", "T2", "C1") == 0.0  # another workspace has its own allowance


def test_retry_after_holds_the_workspace() -> None:
    ft = FakeTime()
    p = Pacer({"slack": Limits(workspace_rate=10.0)}, monotonic=ft.monotonic, sleep=ft.sleep)
    p.reserve("slack", "T1", "C1")
    p.penalise("slack", "T1", 30.0)
    assert p.reserve("slack", "T1", "C2") == 30.0
    waited = asyncio.run(p.wait("slack", "T1", "C3"))
    assert waited == pytest_approx(30.1) and ft.t == pytest_approx(30.1)


def test_ahead_runs_once_shortly_before_the_slot_and_before_the_send() -> None:
    """The transport's preparation (Slack's first-attempt marker) is done before the slot, not after it."""
    ft = FakeTime()
    p = Pacer({"slack": Limits(workspace_rate=2.0)}, monotonic=ft.monotonic, sleep=ft.sleep)
    ran: list[float] = []

    async def ahead() -> None:
        ran.append(ft.t)

    assert asyncio.run(p.wait("slack", "T1", "C1", ahead=ahead)) == 0.0
    assert ran == [0.0]  # due now: prepared at once
    waited = asyncio.run(p.wait("slack", "T1", "C2", ahead=ahead))
    assert waited == pytest_approx(0.5) and ft.t == pytest_approx(0.5)
    assert ran[1] == pytest_approx(0.5 - AHEAD)


def test_ahead_is_not_repeated_when_a_hold_books_the_send_again() -> None:
    ft = FakeTime()
    p = Pacer({"slack": Limits(workspace_rate=2.0)}, monotonic=ft.monotonic, sleep=ft.sleep)
    p.reserve("slack", "T1", "C0")
    ran: list[float] = []

    async def ahead() -> None:
        ran.append(ft.t)
        p.penalise("slack", "T1", 5.0)  # a 429 elsewhere while this send waits: booked again behind the hold

    waited = asyncio.run(p.wait("slack", "T1", "C1", ahead=ahead))
    assert ran == [pytest_approx(0.5 - AHEAD)]
    assert waited == pytest_approx(0.4 + 5.0) and ft.t == pytest_approx(5.4)


def pytest_approx(x: float):
    import pytest

    return pytest.approx(x, abs=1e-6)
