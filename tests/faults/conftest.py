"""Fixtures of the fault tests: the TCP proxy in front of PostgreSQL, and the fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.adapters.slack.conftest import fake  # noqa: F401 - the fake Slack fixture, for the serve tests
from tests.faults.proxy import FaultProxy


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    p = FaultProxy()
    await p.start()
    try:
        yield p
    finally:
        await p.close()
