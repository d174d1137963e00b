"""Slack's ``app_uninstalled`` and ``tokens_revoked`` through our signed HTTP endpoint: the workspace's schedules
stop, queued deliveries and the installation go, the data waits out the retention period; an OAuth reinstall
within it finds the data again."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text

from bot.kernel.clock import FakeClock
from bot.kernel.settings import Settings
from bot.privacy import export_workspace
from bot.scheduler.models import OUTBOX_PENDING, Outbox, Schedule
from bot.storage.models import Workspace
from tests.adapters.slack.conftest import built_app, running, with_db
from tests.adapters.slack.test_workspaces import CLIENT_SECRET, _install
from tests.conftest import Harness


def _event(team: str, event: dict[str, Any], event_id: str) -> dict[str, Any]:
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": team,
        "api_app_id": "A123456",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1767340800,
        "authorizations": [
            {"enterprise_id": None, "team_id": team, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}
        ],
    }


async def _setup(app, team: str) -> None:  # type: ignore[no-untyped-def]
    admin = Harness(app, platform="slack", role="admin", workspace=team, channel="C1", user="UADMIN")
    assert not (await admin.say("/cos-service digest daily 14:05 UTC")).error
    assert not (await admin.say("/cos-service digest now")).error


async def _state(app, team: str) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    async with app.db.session() as s:
        scheds = list(
            (
                await s.execute(select(Schedule).where(Schedule.platform == "slack", Schedule.workspace == team))
            ).scalars()
        )
        pending = (
            (await s.execute(select(Outbox).where(Outbox.workspace == team, Outbox.status == OUTBOX_PENDING)))
            .scalars()
            .all()
        )
    return len(scheds), sum(x.active for x in scheds), len(pending)


async def test_app_uninstalled_stops_the_workspace_and_retries_are_harmless(
    fake, settings: Settings, clock: FakeClock, db_url: str
):  # type: ignore[no-untyped-def]
    async with built_app(with_db(settings, db_url), clock) as app, running(app, fake) as rig:
        await _setup(app, "T0001")
        await _setup(app, "T0OTHER")
        envelope = _event("T0001", {"type": "app_uninstalled", "event_ts": "1767340800.000100"}, "EvUNINST1")
        response = await rig.event(envelope)
        assert response.status == 200
        assert await _state(app, "T0001") == (1, 0, 0)
        assert await _state(app, "T0OTHER") == (1, 1, 1)
        again = await rig.event(envelope, retry=1)
        assert again.status == 200
        async with app.db.session() as s:
            ws = await s.get(Workspace, "slack:T0001")
            assert ws is not None and ws.uninstalled_at == clock.now()
            uninstalls = (
                await s.execute(text("SELECT count(*) FROM audit_entry WHERE action = 'workspace.uninstall'"))
            ).scalar_one()
        assert uninstalls == 1  # Slack's retry is recognised
        clock.advance(timedelta(days=31))
        await app.scheduler.housekeeping()
        assert await _state(app, "T0001") == (0, 0, 0)
        assert await _state(app, "T0OTHER") == (1, 1, 1)


async def test_tokens_revoked_for_the_bot_with_zero_retention_deletes_at_once(
    fake, settings: Settings, clock: FakeClock
):  # type: ignore[no-untyped-def]
    async with (
        built_app(with_db(settings, settings.database_url, uninstall_retention_days=0), clock) as app,
        running(app, fake) as rig,
    ):
        await _setup(app, "T0001")
        # A user token alone being revoked does not remove the app.
        users_only = _event("T0001", {"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": []}}, "EvTOK0")
        assert (await rig.event(users_only)).status == 200
        assert await _state(app, "T0001") == (1, 1, 1)
        bot = _event("T0001", {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}, "EvTOK1")
        assert (await rig.event(bot)).status == 200
        assert await _state(app, "T0001") == (0, 0, 0)
        async with app.db.session() as s:
            assert await s.get(Workspace, "slack:T0001") is None


async def test_oauth_uninstall_removes_the_installation_and_a_reinstall_finds_the_data(
    fake, settings: Settings, clock: FakeClock, db_url: str
):  # type: ignore[no-untyped-def]
    oauth = with_db(
        settings, db_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret=CLIENT_SECRET
    )
    async with built_app(oauth, clock) as app, running(app, fake) as rig:
        await _install(rig, fake)
        await _setup(app, "T0BETA")
        response = await rig.event(_event("T0BETA", {"type": "app_uninstalled"}, "EvUNINST2"))
        assert response.status == 200
        async with app.db.engine.connect() as conn:
            bots = (await conn.execute(text("SELECT count(*) FROM slack_bots"))).scalar_one()
            installs = (await conn.execute(text("SELECT count(*) FROM slack_installations"))).scalar_one()
        assert (bots, installs) == (0, 0)
        assert await rig.adapter.client_for("T0BETA") is None
        assert await _state(app, "T0BETA") == (1, 0, 0)

        clock.advance(timedelta(days=5))
        await _install(rig, fake, code="code-beta-2")
        assert await _state(app, "T0BETA") == (1, 1, 0)
        async with app.db.session() as s:
            ws = await s.get(Workspace, "slack:T0BETA")
            assert ws is not None and ws.uninstalled_at is None
        clock.advance(timedelta(days=60))
        await app.scheduler.housekeeping()
        assert await _state(app, "T0BETA") == (1, 1, 0)
        export = json.dumps(await export_workspace(app.db, platform="slack", workspace="T0BETA"))
        assert "xoxb" not in export and "T0BETA" in export
