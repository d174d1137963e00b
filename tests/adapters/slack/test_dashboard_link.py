"""``/cos-service dashboard`` through Slack's real HTTP path: the link is ephemeral, offers no "Share in
channel", and signs in the Slack person with the role Slack reports."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.dashboard import auth
from tests.adapters.slack.conftest import Rig, running
from tests.adapters.slack.fake_slack import FakeSlack

_LINK = re.compile(r"/dashboard/signin/([A-Za-z0-9_-]+)")


@pytest.fixture
async def rig(app: App, fake: FakeSlack) -> AsyncIterator[Rig]:
    fake.users["UADMIN"] = {"is_admin": True, "tz": "Europe/Berlin"}
    fake.users["U2000"] = {"is_admin": False, "tz": "Europe/Berlin"}
    async with running(app, fake) as r:
        yield r


@pytest.mark.parametrize(("user", "role"), [("UADMIN", "admin"), ("U2000", "member")])
async def test_the_dashboard_link_is_ephemeral_and_signs_in_the_slack_person(rig: Rig, app: App, user: str, role: str):
    status, body = await rig.command("dashboard", user_id=user, channel_id="C1", channel_name="team")
    assert status == 200, body
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body, ensure_ascii=False)
    assert "Share in channel" not in text and '"share"' not in text
    m = _LINK.search(text)
    assert m is not None, text
    redeemed = await auth.redeem(app, m.group(1))
    assert redeemed is not None
    viewer = redeemed[1]
    assert (viewer.platform, viewer.workspace, viewer.user, viewer.role) == ("slack", "T0001", user, role)
    assert await auth.redeem(app, m.group(1)) is None
