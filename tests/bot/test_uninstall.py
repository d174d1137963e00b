"""Uninstall: schedules stop, queued deliveries go, the data stays for the retention period (a reinstall finds
it and its schedules restart), then the scheduler's housekeeping deletes it. Other workspaces are untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import privacy
from bot.kernel.clock import FakeClock
from bot.kernel.errors import ConfigError
from bot.kernel.settings import load_settings
from bot.scheduler.models import OUTBOX_PENDING, Outbox, Schedule
from bot.storage.models import Workspace
from tests.conftest import Harness
from tests.world import World, make_world


async def _setup(w: World, workspace: str) -> None:
    admin = Harness(w.app, role="admin", workspace=workspace, channel="C1", user="UADMIN")
    assert not (await admin.say("/cos-service stage early since 2026-03")).error
    assert not (await admin.say("/cos-service digest daily 14:05 UTC")).error
    assert not (await admin.say("/cos-service digest now")).error  # a queued delivery


async def _state(w: World, workspace: str) -> tuple[int, int, int]:
    """(schedules, active schedules, pending deliveries) of the console workspace."""
    async with w.app.db.session() as s:
        scheds = list((await s.execute(select(Schedule).where(Schedule.workspace == workspace))).scalars())
        pending = list(
            (
                await s.execute(select(Outbox).where(Outbox.workspace == workspace, Outbox.status == OUTBOX_PENDING))
            ).scalars()
        )
    return len(scheds), sum(s.active for s in scheds), len(pending)


async def test_uninstall_keeps_data_for_the_retention_period_then_housekeeping_deletes_it(w: World):
    await _setup(w, "T1")
    await _setup(w, "T2")
    assert await _state(w, "T1") == (2, 2, 1)
    await privacy.app_removed(w.app, platform="console", workspace="T1")
    assert await _state(w, "T1") == (2, 0, 0)
    assert await _state(w, "T2") == (2, 2, 1)
    assert [o for o in await w.scheduler.preview(days=30) if o.workspace == "T1"] == []
    await w.tick()
    assert {s.workspace for s in w.transport.sent} == {"T2"}  # T1's queued digest was dropped

    w.clock.advance(timedelta(days=29))
    await w.scheduler.housekeeping()
    assert (await _state(w, "T1"))[0] == 2  # still within the retention period
    w.clock.advance(timedelta(days=1, minutes=1))
    await w.scheduler.housekeeping()
    assert await _state(w, "T1") == (0, 0, 0)
    data = await privacy.export_workspace(w.app.db, platform="console", workspace="T1")
    assert all(rows == [] for rows in data["tables"].values())
    assert (await _state(w, "T2"))[:2] == (2, 2)


async def test_a_reinstall_within_the_period_finds_the_data_and_restarts_the_schedules(w: World):
    await _setup(w, "T1")
    admin = Harness(w.app, role="admin", workspace="T1", channel="C1", user="UADMIN")
    r = await admin.say("/cos-service checkin daily 09:00 @U1001")
    await admin.say(f"/cos-service unschedule {r.title.split('schedule ')[1].rstrip(')')}")  # removed before
    await privacy.app_removed(w.app, platform="console", workspace="T1")
    w.clock.advance(timedelta(days=10))
    assert await privacy.app_added(w.app, platform="console", workspace="T1")
    assert not await privacy.app_added(w.app, platform="console", workspace="T1")  # only once
    assert await _state(w, "T1") == (3, 2, 0)  # the removed check-in stays removed
    async with w.app.db.session() as s:
        ws = await s.get(Workspace, "console:T1")
        assert ws is not None and ws.uninstalled_at is None
        restarted = (await s.execute(select(Schedule).where(Schedule.active.is_(True)))).scalars().all()
        assert all(sched.planned_until == w.clock.now() for sched in restarted)  # nothing missed is sent
    w.clock.advance(timedelta(days=40))
    await w.scheduler.housekeeping()
    assert (await _state(w, "T1"))[0] == 3
    actions = [line for line in (await admin.text("/cos-service audit 20")).splitlines() if "workspace." in line]
    assert len(actions) == 2 and "workspace.reinstall" in actions[0] and "workspace.uninstall" in actions[1]


async def test_retention_zero_deletes_at_once(db_url: str, clock: FakeClock):
    w = await make_world(db_url, clock, uninstall_retention_days=0)
    try:
        await _setup(w, "T1")
        await _setup(w, "T2")
        await privacy.app_removed(w.app, platform="console", workspace="T1")
        assert await _state(w, "T1") == (0, 0, 0)
        data = await privacy.export_workspace(w.app.db, platform="console", workspace="T1")
        assert all(rows == [] for rows in data["tables"].values())
        assert await _state(w, "T2") == (2, 2, 1)
    finally:
        await w.app.close()


def test_retention_setting():
    assert load_settings({}, dotenv=None).uninstall_retention_days == 30
    assert load_settings({"COS_UNINSTALL_RETENTION_DAYS": "0"}, dotenv=None).uninstall_retention_days == 0
    for bad in ("-1", "thirty", "1.5", "99999"):
        with pytest.raises(ConfigError, match="COS_UNINSTALL_RETENTION_DAYS"):
            load_settings({"COS_UNINSTALL_RETENTION_DAYS": bad}, dotenv=None)
