"""Multi-workspace OAuth install, per-workspace tokens, the transport, and de-duplication on both databases."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select, text

from adapters.slack.server import create_adapter
from adapters.slack.translate import command_to_request, dm_to_request, workspace_key
from adapters.slack.transport import SlackTransport, workspace_clients
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply, Section
from bot.storage.models import ProcessedEvent
from tests.adapters.slack.conftest import BOT_TOKEN, FAST, built_app, running, with_db
from tests.adapters.slack.fake_slack import payload

CLIENT_SECRET = "3c9d2a1f0e8b7c6d5e4f3a2b1c0d9e8f"


async def _install(rig, fake, code: str = "code-beta") -> None:  # type: ignore[no-untyped-def]
    fake.oauth_codes[code] = payload("oauth_v2_access.json")
    fake.tokens["xoxb-beta-0000000002-fake"] = "T0BETA"
    start = await rig.http.get(rig.url + "/slack/install", allow_redirects=False)
    assert start.status == 302
    location = urlparse(start.headers["Location"])
    query = parse_qs(location.query)
    assert location.path.endswith("/oauth/v2/authorize")
    assert query["client_id"] == ["111.222"] and "commands" in query["scope"][0]
    state = query["state"][0]
    cookie = start.headers["Set-Cookie"].split(";")[0]
    done = await rig.http.get(
        rig.url + f"/slack/oauth_redirect?code={code}&state={state}", headers={"Cookie": cookie}, allow_redirects=False
    )
    assert done.status == 200, await done.text()


async def test_oauth_install_then_commands_use_that_workspaces_token(fake, settings, clock, db_url):  # type: ignore[no-untyped-def]
    oauth = with_db(
        settings, db_url, slack_bot_token=None, slack_client_id="111.222", slack_client_secret=CLIENT_SECRET
    )
    async with built_app(oauth, clock) as app, running(app, fake) as rig:
        # Before installation, team T0BETA is not authorised: nothing is answered with anyone's token.
        status, body = await rig.command("legal", team_id="T0BETA")
        assert "Comprehensive Legal Services" not in str(body)

        await _install(rig, fake)
        exchange = fake.calls_to("oauth.v2.access")
        assert len(exchange) == 1 and exchange[0].params["code"] == "code-beta"
        async with app.db.engine.connect() as conn:
            teams = (await conn.execute(text("SELECT team_id, bot_token FROM slack_bots"))).all()
        assert teams == [("T0BETA", "xoxb-beta-0000000002-fake")]

        status, body = await rig.command("legal", team_id="T0BETA", user_id="U0BETA1")
        assert status == 200 and "Comprehensive Legal Services" in body["text"]
        # A team command needs the asker's role: looked up with that workspace's token.
        status, body = await rig.command("schedules", team_id="T0BETA", user_id="U0BETA1")
        assert status == 200
        lookups = [c for c in fake.calls_to("users.info") if c.params["user"] == "U0BETA1"]
        assert lookups and all(c.token == "xoxb-beta-0000000002-fake" for c in lookups)

        # A stale or replayed state is refused.
        replay = await rig.http.get(
            rig.url + "/slack/oauth_redirect?code=code-beta&state=forged", allow_redirects=False
        )
        assert replay.status >= 400


async def test_one_workspace_cannot_reach_another(fake, settings, clock):  # type: ignore[no-untyped-def]
    oauth = with_db(
        settings,
        settings.database_url,
        slack_bot_token=None,
        slack_client_id="111.222",
        slack_client_secret=CLIENT_SECRET,
    )
    async with built_app(oauth, clock) as app, running(app, fake) as rig:
        await _install(rig, fake)
        transport = rig.adapter.transport()
        sent = await transport.send_channel(workspace="T0BETA", channel="C0BETA", reply=Reply(title="hi"), key="k1")
        assert sent.channel == "C0BETA"
        assert fake.calls_to("chat.postMessage")[-1].token == "xoxb-beta-0000000002-fake"
        with pytest.raises(DeliveryError) as refused:
            await transport.send_channel(workspace="T0001", channel="C1", reply=Reply(title="hi"), key="k2")
        assert refused.value.permanent and refused.value.code == "no_installation"
        assert len(fake.calls_to("chat.postMessage")) == 1
        # The installation store answers only for the team asked about.
        client = await rig.adapter.client_for("E0001:T0BETA")
        assert client is None


async def test_transport_sends_and_maps_errors(app, fake):  # type: ignore[no-untyped-def]
    transport = SlackTransport(workspace_clients(app.settings, app.db.engine, policy=FAST))
    reply = Reply(title="Weekly digest <!channel>", sections=(Section(text="all good"),))
    sent = await transport.send_channel(workspace="T0001", channel="C1", reply=reply, key="digest:1")
    post = fake.calls_to("chat.postMessage")[-1]
    assert sent.message_id and post.token == BOT_TOKEN and post.params["channel"] == "C1"
    assert "<!channel>" not in str(post.params)
    dm = await transport.send_dm(workspace="T0001", user="U0042", reply=reply, key="checkin:1")
    assert fake.calls_to("conversations.open")[-1].params["users"] == "U0042"
    assert dm.channel == "D0042"

    for code in ("channel_not_found", "not_in_channel", "is_archived"):
        fake.script("chat.postMessage", (200, {"ok": False, "error": code}))
        with pytest.raises(DeliveryError) as err:
            await transport.send_channel(workspace="T0001", channel="C1", reply=reply, key="k")
        assert err.value.permanent and err.value.code == code
    for code in ("user_not_found", "cannot_dm_bot"):
        fake.script("conversations.open", (200, {"ok": False, "error": code}))
        with pytest.raises(DeliveryError) as err:
            await transport.send_dm(workspace="T0001", user="U0BAD", reply=reply, key="k")
        assert err.value.permanent
    fake.script("chat.postMessage", *[(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "120"})])
    with pytest.raises(DeliveryError) as err:
        await transport.send_channel(workspace="T0001", channel="C1", reply=reply, key="k")
    assert not err.value.permanent and err.value.retry_after == 120
    fake.script("chat.postMessage", *[(503, {"ok": False, "error": "service_unavailable"})] * 3)
    with pytest.raises(DeliveryError) as err:
        await transport.send_channel(workspace="T0001", channel="C1", reply=reply, key="k")
    assert not err.value.permanent


async def test_transport_when_slack_is_unreachable(app):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    settings = replace(app.settings, slack_api_url="http://127.0.0.1:9/api/")  # nothing listens on port 9
    transport = SlackTransport(workspace_clients(settings, app.db.engine, policy=FAST))
    with pytest.raises(DeliveryError) as err:
        await transport.send_channel(workspace="T0001", channel="C1", reply=Reply(title="x"), key="k")
    assert not err.value.permanent and err.value.code == "connection"


async def test_event_ids_are_claimed_once(db_url, settings, clock):  # type: ignore[no-untyped-def]
    async with built_app(with_db(settings, db_url), clock) as app:
        adapter = await create_adapter(app, policy=FAST)
        try:
            assert await adapter.events.first_time("Ev1") is True
            assert await adapter.events.first_time("Ev1") is False
            assert await adapter.events.first_time("Ev2") is True
            await adapter.events.forget("Ev1")
            assert await adapter.events.first_time("Ev1") is True
            async with app.db.session() as session:
                count = await session.scalar(select(func.count()).select_from(ProcessedEvent))
            assert count == 2
        finally:
            await adapter.close()


def test_payloads_translate_to_requests() -> None:
    request = command_to_request(payload("slash_command.json"), role="admin", tz="Europe/Berlin")
    assert (request.platform, request.workspace, request.channel, request.user) == (
        "slack",
        "T0001",
        "C2147483705",
        "U2147483697",
    )
    assert (request.command, request.text, request.role, request.is_dm) == ("cos-service", "legal", "admin", False)
    grid = command_to_request(payload("slash_command_enterprise.json"))
    assert grid.workspace == "E0001:T0002" and grid.command == "cos-risk" and grid.user == "W0123ABC"
    dm = dm_to_request(payload("event_message_im.json"))
    assert dm.is_dm and dm.command == "message" and dm.text == "/cos-risk gdpr" and dm.channel == "D024BE91L"
    assert workspace_key(team_id=None, enterprise_id="E1") == "E1"
