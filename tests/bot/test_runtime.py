"""The long-running commands' event loop: uvloop where installed, asyncio's own when asked."""

from __future__ import annotations

import asyncio

import pytest

from bot.ops import runtime


async def _loop_module() -> str:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop()).__module__


def test_run_uses_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("uvloop", reason="uvloop is not installed on this platform (Windows)")
    monkeypatch.delenv("COS_EVENT_LOOP", raising=False)
    assert runtime.loop_name() == "uvloop"
    assert runtime.run(_loop_module()).startswith("uvloop")


@pytest.mark.parametrize("value", ["asyncio", " AsyncIO "])
def test_cos_event_loop_asyncio_chooses_asyncios_own_loop(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("COS_EVENT_LOOP", value)
    assert runtime.loop_name() == "asyncio"
    assert runtime.run(_loop_module()).startswith("asyncio")


def test_run_returns_the_result_and_raises_what_main_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COS_EVENT_LOOP", raising=False)

    async def answer() -> int:
        return 42

    async def fail() -> None:
        raise ValueError("from main")

    assert runtime.run(answer()) == 42
    with pytest.raises(ValueError, match="from main"):
        runtime.run(fail())
