"""Through the real HTTP server: signed commands, buttons, events, against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time

from adapters.slack.render import blocks_text, decode_value
from bot.kernel.reply import Reply, Section
from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET, Rig, running
from tests.adapters.slack.fake_slack import form_body, payload


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"].split(":")[1]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def _press(button: dict, *, ephemeral: bool = True, channel: str = "C2147483705", response_url: str) -> dict:
    body = copy.deepcopy(payload("block_actions.json"))
    body["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    body["container"]["is_ephemeral"] = ephemeral
    body["channel"]["id"] = body["container"]["channel_id"] = channel
    body["response_url"] = response_url
    return body


async def test_legal_is_answered_in_the_ack_with_a_share_button(rig: Rig) -> None:
    status, body = await rig.command("legal")
    assert status == 200
    assert body["response_type"] == "ephemeral"
    text = blocks_text(body["blocks"])
    assert "Comprehensive Legal Services" in text
    assert "Skadden, Arps" in text and "Latham & Watkins" in text
    assert "Comprehensive Legal Services" in body["text"]
    share = _buttons(body["blocks"])["share"]
    assert decode_value(share["value"]) == {"c": "cos-service", "t": "legal"}
    # Nothing went to response_url: the answer was in the ack.
    assert rig.fake.calls_to("response_url") == []


async def test_forged_and_stale_signatures_get_401_and_nothing_runs(rig: Rig) -> None:
    form = form_body({**payload("slash_command.json"), "response_url": rig.fake.response_url()})
    forged = await rig.post(form, "application/x-www-form-urlencoded", secret="not-the-secret")
    stale = await rig.post(form, "application/x-www-form-urlencoded", timestamp=int(time.time()) - 600)
    tampered_headers = {"X-Slack-Signature": "v0=" + "0" * 64}
    tampered = await rig.post(form, "application/x-www-form-urlencoded", headers=tampered_headers)
    assert (forged.status, stale.status, tampered.status) == (401, 401, 401)
    await rig.adapter.drain()
    assert rig.fake.calls == []  # no users.info, no auth.test, no post


async def test_slow_answer_is_acked_then_delivered_through_response_url(app, fake) -> None:  # type: ignore[no-untyped-def]
    release = asyncio.Event()

    async def slow(request, rest):  # type: ignore[no-untyped-def]
        await release.wait()
        return Reply(title="Slow answer", sections=(Section(text=f"about {rest}"),))

    app.router.add_subcommand("cos-service", "slow", slow)
    async with running(app, fake, ack_budget=0.05) as rig:
        status, body = await rig.command("slow legal")
        assert status == 200 and body["text"] == "Looking that up…"
        release.set()
        calls = await fake.wait_for("response_url")
        assert len(calls) == 1
        assert "Slow answer" in blocks_text(calls[0].params["blocks"])
        assert calls[0].params["response_type"] == "ephemeral"


async def test_share_posts_publicly_and_removes_the_ephemeral(rig: Rig) -> None:
    _, body = await rig.command("legal")
    response = await rig.action(_press(_buttons(body["blocks"])["share"], response_url=rig.fake.response_url("a")))
    assert response.status == 200
    posts = await rig.fake.wait_for("chat.postMessage")
    assert len(posts) == 1
    post = posts[0]
    assert post.params["channel"] == "C2147483705"
    assert post.token == BOT_TOKEN
    blocks = json.loads(post.params["blocks"]) if isinstance(post.params["blocks"], str) else post.params["blocks"]
    text = blocks_text(blocks)
    assert "Comprehensive Legal Services" in text
    assert "shared the answer to" in text and "/cos-service legal" in text
    assert "share" not in _buttons(blocks)  # already public
    cleanup = await rig.fake.wait_for("response_url")
    assert cleanup[-1].params == {"name": "a", "delete_original": True}


async def test_share_where_the_bot_is_not_a_member_explains_politely(rig: Rig) -> None:
    rig.fake.script("chat.postMessage", (200, {"ok": False, "error": "not_in_channel"}))
    _, body = await rig.command("legal")
    await rig.action(_press(_buttons(body["blocks"])["share"], response_url=rig.fake.response_url("a")))
    replies = await rig.fake.wait_for("response_url")
    text = blocks_text(replies[0].params["blocks"])
    assert "not a member" in text and "/invite" in text
    assert replies[0].params["response_type"] == "ephemeral"
    rig.fake.script("chat.postMessage", (200, {"ok": False, "error": "channel_not_found"}))
    await rig.action(
        _press(_buttons(body["blocks"])["share"], channel="D0PRIVATE", response_url=rig.fake.response_url("b"))
    )
    replies = await rig.fake.wait_for("response_url", 2)
    assert "I can't post here" in blocks_text(replies[1].params["blocks"])


async def test_rate_limited_share_is_retried_and_delivered_once(rig: Rig) -> None:
    rig.fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    _, body = await rig.command("legal")
    await rig.action(_press(_buttons(body["blocks"])["share"], response_url=rig.fake.response_url("a")))
    await rig.fake.wait_for("response_url")
    await rig.adapter.drain()
    posts = rig.fake.calls_to("chat.postMessage")
    assert len(posts) == 2  # the 429, then the one that landed
    assert [c.params for c in rig.fake.calls_to("response_url")] == [{"name": "a", "delete_original": True}]


async def test_server_errors_are_retried_then_reported_without_crashing(rig: Rig) -> None:
    rig.fake.script("chat.postMessage", (500, {"ok": False, "error": "fatal_error"}))
    _, body = await rig.command("legal")
    await rig.action(_press(_buttons(body["blocks"])["share"], response_url=rig.fake.response_url("a")))
    await rig.fake.wait_for("response_url")
    assert len(rig.fake.calls_to("chat.postMessage")) == 2  # 500, then success
    # Slack down for good: the presser is told, the server keeps serving.
    rig.fake.script("chat.postMessage", *[(500, {"ok": False, "error": "fatal_error"})] * 5)
    await rig.action(_press(_buttons(body["blocks"])["share"], response_url=rig.fake.response_url("b")))
    replies = await rig.fake.wait_for("response_url", 2)
    assert "did not work" in blocks_text(replies[1].params["blocks"])
    health = await rig.http.get(rig.url + "/healthz")
    assert health.status == 200 and (await health.json())["ok"] is True
    status, again = await rig.command("legal")
    assert status == 200 and "Comprehensive Legal Services" in again["text"]


async def test_forged_button_values_get_a_polite_reply(rig: Rig) -> None:
    for n, value in enumerate(
        [
            '{"c":"cos-service"',
            "area.legal",
            '{"a":"delete_everything","v":"x"}',
            '{"c":"cos-service","t":"legal","p":"x"}',
        ]
    ):
        button = {
            "action_id": "cos:share:0" if n < 3 else "cos:page:1",
            "value": value,
            "text": {"type": "plain_text", "text": "x"},
        }
        response = await rig.action(_press(button, response_url=rig.fake.response_url(f"f{n}")))
        assert response.status == 200
    replies = await rig.fake.wait_for("response_url", 4)
    assert len(replies) == 4
    for reply in replies:
        assert "expired" in blocks_text(reply.params["blocks"])
    assert rig.fake.calls_to("chat.postMessage") == []


async def test_knowledge_buttons_answer_ephemerally(rig: Rig) -> None:
    _, body = await rig.command("legal")
    buttons = _buttons(body["blocks"])
    await rig.action(_press(buttons["providers"], response_url=rig.fake.response_url("p")))
    await rig.action(_press(buttons["related"], response_url=rig.fake.response_url("r")))
    replies = {c.params["name"]: c.params for c in await rig.fake.wait_for("response_url", 2)}
    assert "Wilson Sonsini" in blocks_text(replies["p"]["blocks"])
    assert "Related to Comprehensive Legal Services" in blocks_text(replies["r"]["blocks"])
    assert replies["p"]["replace_original"] is False and replies["p"]["response_type"] == "ephemeral"
    # A button whose entry no longer exists.
    stale = {**buttons["providers"], "value": "area.gone-since-last-week"}
    await rig.action(_press(stale, response_url=rig.fake.response_url("s")))
    calls = await rig.fake.wait_for("response_url", 3)
    assert "expired" in blocks_text(calls[-1].params["blocks"])


async def test_paging_button_turns_the_page_in_place(rig: Rig) -> None:
    button = {
        "action_id": "cos:page:0",
        "value": '{"c":"cos-risk","t":"overview","p":0}',
        "text": {"type": "plain_text", "text": "‹ Previous"},
    }
    await rig.action(_press(button, response_url=rig.fake.response_url("pg")))
    replies = await rig.fake.wait_for("response_url")
    assert replies[0].params["replace_original"] is True
    assert "Risk management and compliance" in blocks_text(replies[0].params["blocks"])


async def test_admins_come_from_slack_or_settings_and_are_cached(app, fake) -> None:  # type: ignore[no-untyped-def]
    async def whoami(request, rest):  # type: ignore[no-untyped-def]
        return Reply(title=f"role={request.role} tz={request.tz} ws={request.workspace}")

    app.router.add_subcommand("cos-service", "whoami", whoami)
    fake.users["U2147483697"] = {"is_admin": True, "tz": "America/New_York"}
    async with running(app, fake) as rig:
        _, first = await rig.command("whoami")
        _, second = await rig.command("whoami")
        _, other = await rig.command("whoami", user_id="U0MEMBER")
    assert first["text"] == "role=admin tz=America/New_York ws=T0001" == second["text"]
    assert other["text"].startswith("role=member")
    assert len([c for c in fake.calls_to("users.info") if c.params["user"] == "U2147483697"]) == 1


async def test_users_info_failure_means_member_not_an_error(app, fake) -> None:  # type: ignore[no-untyped-def]
    async def whoami(request, rest):  # type: ignore[no-untyped-def]
        return Reply(title=f"role={request.role}")

    app.router.add_subcommand("cos-service", "whoami", whoami)
    fake.script("users.info", *[(500, {"ok": False, "error": "fatal_error"})] * 5)
    async with running(app, fake) as rig:
        status, body = await rig.command("whoami")
    assert status == 200 and body["text"] == "role=member"


async def test_home_tab_is_published(rig: Rig) -> None:
    response = await rig.event(payload("event_app_home_opened.json"))
    assert response.status == 200
    calls = await rig.fake.wait_for("views.publish")
    assert len(calls) == 1
    view = calls[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert calls[0].params["user_id"] == "U2147483697"
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    text = blocks_text(view["blocks"])
    assert "Recommended service portfolio" in text and "Development path" in text


async def test_dm_goes_to_the_core_and_retries_are_answered_once(rig: Rig) -> None:
    envelope = payload("event_message_im.json")
    first = await rig.event(envelope)
    retry = await rig.event(envelope, retry=1)
    again = await rig.event(envelope, retry=2)
    assert (first.status, retry.status, again.status) == (200, 200, 200)
    posts = await rig.fake.wait_for("chat.postMessage")
    await rig.adapter.drain()
    posts = rig.fake.calls_to("chat.postMessage")
    assert len(posts) == 1
    assert posts[0].params["channel"] == "D024BE91L"
    blocks = posts[0].params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert "GDPR" in blocks_text(blocks).upper()


async def test_edits_and_bot_messages_in_dms_are_ignored(rig: Rig) -> None:
    await rig.event(payload("event_message_changed.json"))
    bot_message = payload("event_message_im.json")
    bot_message["event_id"] = "Ev0BOTMSG"
    bot_message["event"]["bot_id"] = "B0OTHER"
    await rig.event(bot_message)
    await rig.adapter.drain()
    assert rig.fake.calls_to("chat.postMessage") == []


async def test_dm_check_in_handlers_see_the_dm(app, fake) -> None:  # type: ignore[no-untyped-def]
    seen = []

    async def checkin(request):  # type: ignore[no-untyped-def]
        seen.append(request)
        return Reply(title="Thanks, noted")

    app.router.add_dm_handler(checkin)
    envelope = payload("event_message_im.json")
    envelope["event"]["text"] = "shipped the billing page"
    async with running(app, fake) as rig:
        await rig.event(envelope)
        await fake.wait_for("chat.postMessage")
        await rig.adapter.drain()
    assert seen and seen[0].is_dm and seen[0].command == "message" and seen[0].workspace == "T0001"
    assert seen[0].text == "shipped the billing page" and seen[0].platform == "slack"


async def test_url_verification_and_health(rig: Rig) -> None:
    response = await rig.post(
        json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}), "application/json"
    )
    assert response.status == 200 and (await response.json())["challenge"] == "abc123"
    health = await rig.http.get(rig.url + "/healthz")
    assert health.status == 200


async def test_logs_never_hold_the_token_or_signing_secret(rig: Rig, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    rig.fake.script("chat.postMessage", (429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}))
    _, body = await rig.command("legal")
    await rig.action(_press(_buttons(body["blocks"])["share"], response_url=rig.fake.response_url("a")))
    await rig.fake.wait_for("response_url")
    await rig.adapter.drain()
    await rig.post("x=1", "application/x-www-form-urlencoded", secret="wrong")
    assert "chat.postMessage" in caplog.text  # the SDK did log its requests
    assert BOT_TOKEN not in caplog.text
    assert SIGNING_SECRET not in caplog.text
    assert "xoxb-" not in caplog.text
    # Nor do the probes and the metrics beside /slack/events.
    for path in ("/healthz", "/readyz", "/metrics"):
        response = await rig.http.get(rig.url + path)
        text = await response.text()
        assert response.status == 200 and BOT_TOKEN not in text and SIGNING_SECRET not in text, path
        assert "sqlite" not in text and "xoxb-" not in text, path


async def test_team_data_is_kept_per_workspace(app, fake) -> None:  # type: ignore[no-untyped-def]
    fake.users["U2147483697"] = {"is_admin": True}
    async with running(app, fake) as rig:
        status, body = await rig.command("stage growth")
        assert status == 200 and not body["text"].startswith("Sorry")
        _, here = await rig.command("stage")
        _, elsewhere = await rig.command("stage", team_id="T0OTHER")
        _, grid = await rig.command("stage", team_id="T0001", enterprise_id="E0001")
        assert here["text"].startswith("Stage:")
        assert elsewhere["text"].startswith("No stage set yet")
        assert grid["text"].startswith("No stage set yet")  # E0001:T0001 is another workspace key
        # The Home tab shows the team's own stage, and nobody else's.
        await rig.event(payload("event_app_home_opened.json"))
        other = payload("event_app_home_opened.json")
        other.update(team_id="T0OTHER", event_id="Ev08HOME02")
        other["event"]["user"] = "U0OTHER"
        await rig.event(other)
        views = await fake.wait_for("views.publish", 2)
        texts = {
            v.params["user_id"]: blocks_text(
                (json.loads(v.params["view"]) if isinstance(v.params["view"], str) else v.params["view"])["blocks"]
            )
            for v in views
        }
        assert "Stage:" in texts["U2147483697"] and "Schedules" in texts["U2147483697"]
        assert "Stage:" not in texts["U0OTHER"] and "No stage set yet" in texts["U0OTHER"]


async def test_a_long_team_reply_pages_through_the_database(rig: Rig) -> None:
    """A reply that cannot be answered again from a button (not a knowledge answer) is kept under a key:
    Prev/Next work from the database, on any replica; a forged key gets the expired reply."""

    async def long_list(request, text):  # type: ignore[no-untyped-def]
        return Reply(
            title="Everything",
            sections=tuple(Section(heading=f"Group {n}", text=f"Item {n}: " + "words " * 120) for n in range(40)),
        )

    rig.app.router.add_subcommand("cos-service", "everything", long_list)
    _, body = await rig.command("everything")
    state = decode_value(_buttons(body["blocks"])["page"]["value"])
    assert state is not None and set(state) == {"k", "p"} and state["p"] == 1
    await rig.action(_press(_buttons(body["blocks"])["page"], response_url=rig.fake.response_url("next")))
    (turned,) = await rig.fake.wait_for("response_url")
    text = blocks_text(turned.params["blocks"])
    assert "Item 0:" not in text and "Group" in text and turned.params["replace_original"] is True
    forged = {**_buttons(body["blocks"])["page"], "value": json.dumps({"k": "not-a-key", "p": 1})}
    await rig.action(_press(forged, response_url=rig.fake.response_url("forged")))
    calls = await rig.fake.wait_for("response_url", 2)
    assert "expired" in blocks_text(calls[-1].params["blocks"])
