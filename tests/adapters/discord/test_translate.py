"""Recorded Discord payloads -> discord.py models -> the core's Request / Action."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.discord.client import make_client
from adapters.discord.translate import command_request, component_action, dm_request, role_of
from bot.kernel.settings import Settings

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


@pytest.fixture
def state() -> Any:
    """A client's connection state as after login (the bot user known), without a network."""
    from tests.adapters.discord.fake_discord import BOT_ID, user

    conn = make_client(Settings())._connection
    conn.user = discord.ClientUser(state=conn, data={**user(BOT_ID, "cos-bot", bot=True)})  # type: ignore[typeddict-item]
    return conn


def interaction(state: Any, name: str) -> discord.Interaction:
    return discord.Interaction(data=load(name), state=state)  # type: ignore[arg-type]


def query_of(inter: discord.Interaction) -> str:
    options = (inter.data or {}).get("options", [])
    return next((o["value"] for o in options if o["name"] == "query"), "")  # type: ignore[index,union-attr]


async def test_guild_slash_command(state: Any) -> None:
    inter = interaction(state, "slash_service_guild")
    req = command_request(inter, command="cos-service", text=query_of(inter), admins=frozenset())
    assert (req.platform, req.workspace, req.channel, req.user) == (
        "discord",
        "900000000000000001",
        "910000000000000001",
        "1500000000000000005",
    )
    assert (req.command, req.text, req.role, req.is_dm) == ("cos-service", "legal", "member", False)
    assert req.request_id == "1700000000000000001" and req.user_name == "Ada"


async def test_manage_server_makes_an_admin(state: Any) -> None:
    inter = interaction(state, "slash_risk_manage_server")
    req = command_request(inter, command="cos-risk", text=query_of(inter), admins=frozenset())
    assert req.role == "admin" and req.text == "gdpr"


async def test_cos_admins_list_makes_an_admin(state: Any) -> None:
    inter = interaction(state, "slash_service_guild")
    req = command_request(inter, command="cos-service", text="", admins=frozenset({"1500000000000000005"}))
    assert req.role == "admin"
    assert role_of(None, admins=frozenset()) == "member"


async def test_dm_slash_command_uses_dm_workspace(state: Any) -> None:
    inter = interaction(state, "slash_service_dm")
    req = command_request(inter, command="cos-service", text=query_of(inter), admins=frozenset())
    assert (req.workspace, req.is_dm, req.role) == ("dm", True, "member")
    assert req.text == "who can run our SOC 2 audit" and req.channel == "1800000000000000001"


async def test_no_query_is_empty_text(state: Any) -> None:
    inter = interaction(state, "slash_service_no_query")
    assert query_of(inter) == ""


async def test_button_becomes_action(state: Any) -> None:
    inter = interaction(state, "button_providers")
    act = component_action(inter, admins=frozenset())
    assert act is not None
    assert (act.action, act.value, act.workspace, act.channel, act.user) == (
        "providers",
        "area.comprehensive-legal-services",
        "900000000000000001",
        "910000000000000001",
        "1500000000000000005",
    )


async def test_forged_button_is_rejected(state: Any) -> None:
    assert component_action(interaction(state, "button_forged"), admins=frozenset()) is None


async def test_dm_message_becomes_message_request(state: Any) -> None:
    data = load("message_dm")
    dm = discord.DMChannel(
        me=state.user,
        state=state,  # type: ignore[arg-type]
        data={"id": data["channel_id"], "type": 1, "recipients": [data["author"]]},
    )
    message = discord.Message(state=state, channel=dm, data=data)  # type: ignore[arg-type]
    req = dm_request(message, me=None, admins=frozenset())
    assert req is not None
    assert (req.command, req.is_dm, req.workspace, req.user, req.channel) == (
        "message",
        True,
        "dm",
        "1500000000000000007",
        "1800000000000000001",
    )
    assert req.text == "/cos-risk we might run out of cash"


async def test_bot_messages_are_ignored(state: Any) -> None:
    data = load("message_dm")
    data["author"]["bot"] = True
    dm = discord.DMChannel(
        me=state.user,
        state=state,  # type: ignore[arg-type]
        data={"id": data["channel_id"], "type": 1, "recipients": [data["author"]]},
    )
    assert dm_request(discord.Message(state=state, channel=dm, data=data), me=None, admins=frozenset()) is None  # type: ignore[arg-type]
