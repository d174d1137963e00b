"""The slash-command path stays cheap: no users.info for knowledge answers, identical replies render once,
nothing logged at WARNING on the happy path."""

from __future__ import annotations

import logging

import pytest

import adapters.slack.adapter as adapter_module
from adapters.slack.render import blocks_text, decode_value
from bot.kernel.reply import Reply, Section
from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET, Rig, running


async def test_knowledge_answers_do_not_look_up_the_asker(rig: Rig) -> None:
    for text in ("legal", "who can run our SOC 2 audit", "legal"):
        status, body = await rig.command(text)
        assert status == 200 and body["blocks"]
    _, risk = await rig.command("gdpr", command="/cos-risk")
    assert "GDPR" in blocks_text(risk["blocks"])
    assert rig.fake.calls_to("users.info") == []


async def test_team_commands_still_get_role_and_time_zone(app, fake) -> None:  # type: ignore[no-untyped-def]
    async def whoami(request, rest):  # type: ignore[no-untyped-def]
        return Reply(title=f"role={request.role} tz={request.tz}")

    app.router.add_subcommand("cos-service", "whoami", whoami)
    fake.users["U2147483697"] = {"is_admin": True, "tz": "America/New_York"}
    async with running(app, fake) as rig:
        _, knowledge = await rig.command("legal")  # no look-up ...
        assert fake.calls_to("users.info") == []
        _, team = await rig.command("WHOAMI")  # ... but a team command (any case) gets one
        _, again = await rig.command("whoami")
    assert "Comprehensive Legal Services" in knowledge["text"]
    assert team["text"] == again["text"] == "role=admin tz=America/New_York"
    assert len(fake.calls_to("users.info")) == 1


async def test_listed_admins_are_admins_without_a_look_up(app, fake) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    app.settings = replace(app.settings, admins=frozenset({"slack:U2147483697"}))
    async with running(app, fake) as rig:
        assert rig.adapter.people.known("T0001", "U2147483697") is None
        assert rig.adapter.people.role("T0001", "U2147483697", "member") == "admin"
        assert rig.adapter.people.role("T0001", "U0OTHER", "member") == "member"


async def test_identical_replies_render_once_and_callers_cannot_spoil_the_cache(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[int] = []
    real = adapter_module.to_blocks

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        renders.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(adapter_module, "to_blocks", counting)
    _, first = await rig.command("legal")
    _, second = await rig.command("legal")
    # Each answer carries its own 👍/👎 (the logged answer's id): the same question renders per answer.
    assert _without_feedback(first) == _without_feedback(second) and first != second and len(renders) == 2
    answer = Reply(title="Legal", sections=(Section(text="the same reply"),))
    assert rig.adapter.message(answer, state=None) == rig.adapter.message(answer, state=None)
    assert len(renders) == 3

    # Another question, another render; a state or page change is never served from the cache.
    _, other = await rig.command("gdpr", command="/cos-risk")
    assert len(renders) == 4 and other != first
    reply = Reply(title="Long", sections=tuple(Section(text=f"part {i} " + "x" * 2900) for i in range(8)))
    page0 = rig.adapter.message(reply, state={"c": "cos-service", "t": "a"})
    page1 = rig.adapter.message(reply, state={"c": "cos-service", "t": "a"}, page=1)
    other_state = rig.adapter.message(reply, state={"c": "cos-service", "t": "b"})
    assert page0["blocks"] != page1["blocks"]
    shares = [
        decode_value(e["value"])
        for p in (page0, other_state)
        for b in p["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("cos:share")
    ]
    assert shares == [{"c": "cos-service", "t": "a"}, {"c": "cos-service", "t": "b"}]

    # A caller changing its copy does not change what the next asker gets.
    mine = rig.adapter.message(reply, state={"c": "cos-service", "t": "a"})
    mine["response_type"] = "in_channel"
    mine["replace_original"] = True
    fresh = rig.adapter.message(reply, state={"c": "cos-service", "t": "a"})
    assert fresh["response_type"] == "ephemeral" and "replace_original" not in fresh
    # An unhashable state still renders (uncached).
    assert rig.adapter.message(reply, state={"c": "cos-service", "t": "a", "x": ["list"]})["blocks"]


async def test_slash_command_happy_path_logs_nothing_at_warning(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for text in ("legal", "schedules", "help"):
        status, body = await rig.command(text)
        assert status == 200 and body["blocks"]
    await rig.adapter.drain()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]
    assert BOT_TOKEN not in caplog.text and SIGNING_SECRET not in caplog.text


def _without_feedback(message: dict) -> dict:  # type: ignore[type-arg]
    """A message with the 👍/👎 buttons left out."""
    blocks = []
    for block in message["blocks"]:
        if block["type"] == "actions":
            block = {**block, "elements": [e for e in block["elements"] if ":feedback-" not in e["action_id"]]}
        blocks.append(block)
    return {**message, "blocks": blocks}
