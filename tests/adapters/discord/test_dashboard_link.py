"""``/cos-service dashboard`` through Discord's Interactions Endpoint: the link is ephemeral, offers no
"Share in channel", and signs in the Discord member of that server."""

from __future__ import annotations

import json
import re

from bot.dashboard import auth
from tests.adapters.discord.test_interactions_http import G1, Endpoint, _slash, endpoint

__all__ = ["endpoint"]


async def test_the_dashboard_link_is_ephemeral_and_signs_in_the_discord_member(endpoint: Endpoint) -> None:
    payload = _slash("dashboard")
    status, body = await endpoint.signed(payload)
    assert status == 200 and body["type"] == 4
    data = body["data"]
    assert data["flags"] & 64  # ephemeral: only the asker sees it
    text = json.dumps(data, ensure_ascii=False)
    assert "Share in channel" not in text
    m = re.search(r"/dashboard/signin/([A-Za-z0-9_-]+)", text)
    assert m is not None, text
    redeemed = await auth.redeem(endpoint.app, m.group(1))
    assert redeemed is not None
    viewer = redeemed[1]
    assert viewer.platform == "discord" and viewer.workspace == G1
    assert viewer.user == str(payload["member"]["user"]["id"])
