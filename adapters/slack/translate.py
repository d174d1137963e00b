"""Slack payloads -> the core's Request and Action (pure, tested with recorded payloads)."""

from __future__ import annotations

from typing import Any

from bot.kernel.request import Request
from bot.kernel.router import Action

__all__ = [
    "PLATFORM_NAME",
    "workspace_key",
    "command_name",
    "command_to_request",
    "dm_to_request",
    "is_user_dm",
    "block_action_to_action",
    "split_workspace",
]

PLATFORM_NAME = "slack"


def workspace_key(*, team_id: str | None, enterprise_id: str | None = None) -> str:
    """The core's workspace id: the team id, prefixed ``E…:`` inside an Enterprise Grid.

    An org-wide install without a team gives the enterprise id alone.
    """
    team = (team_id or "").strip()
    enterprise = (enterprise_id or "").strip()
    if enterprise and team:
        return f"{enterprise}:{team}"
    return team or enterprise or "unknown"


def split_workspace(workspace: str) -> tuple[str | None, str | None]:
    """``E1:T1`` -> (``E1``, ``T1``); ``T1`` -> (None, ``T1``); ``E1`` -> (``E1``, None)."""
    if ":" in workspace:
        enterprise, _, team = workspace.partition(":")
        return enterprise or None, team or None
    if workspace.startswith("E"):
        return workspace, None
    return None, workspace


def command_name(command: str) -> str:
    """``/cos-service`` -> ``cos-service``."""
    return command.strip().lstrip("/").lower()


def _team(body: dict[str, Any]) -> tuple[str | None, str | None]:
    team = body.get("team_id")
    if team is None and isinstance(body.get("team"), dict):
        team = body["team"].get("id")
    enterprise = body.get("enterprise_id")
    if enterprise is None and isinstance(body.get("enterprise"), dict):
        enterprise = body["enterprise"].get("id")
    if team is None and isinstance(body.get("user"), dict):
        team = body["user"].get("team_id")
    return team, enterprise


def command_to_request(body: dict[str, Any], *, role: str = "member", tz: str | None = None) -> Request:
    """A slash command (form fields) -> Request."""
    team, enterprise = _team(body)
    channel = str(body.get("channel_id") or "")
    return Request(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=channel,
        user=str(body.get("user_id") or ""),
        command=command_name(str(body.get("command") or "")),
        text=str(body.get("text") or ""),
        role=role,
        tz=tz,
        user_name=body.get("user_name") or None,
        is_dm=channel.startswith("D") or body.get("channel_name") == "directmessage",
        request_id=body.get("trigger_id") or None,
    )


def is_user_dm(event: dict[str, Any]) -> bool:
    """A person's own message in a DM with the bot (not an edit, a join, or a bot's message)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool((event.get("text") or "").strip())
    )


def dm_to_request(body: dict[str, Any], *, role: str = "member", tz: str | None = None) -> Request:
    """A ``message.im`` event envelope -> Request (``command="message"``, ``is_dm=True``)."""
    event = body.get("event") or {}
    team = body.get("team_id") or event.get("team")
    enterprise = body.get("enterprise_id")
    if not enterprise:
        for auth in body.get("authorizations") or ():
            enterprise = auth.get("enterprise_id") or enterprise
    return Request(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=str(event.get("channel") or ""),
        user=str(event.get("user") or ""),
        command="message",
        text=str(event.get("text") or ""),
        role=role,
        tz=tz,
        is_dm=True,
        request_id=body.get("event_id") or event.get("client_msg_id"),
        message_id=str(event.get("ts") or "") or None,
    )


def dm_edit(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """A person's edit of their own DM (``message_changed``) -> (user, message ts, new text); None otherwise."""
    event = body.get("event") or {}
    message = event.get("message") or {}
    if (
        event.get("type") != "message"
        or event.get("subtype") != "message_changed"
        or event.get("channel_type") != "im"
        or message.get("bot_id")
        or not message.get("user")
        or not message.get("ts")
        or not (message.get("text") or "").strip()
    ):
        return None
    return str(message["user"]), str(message["ts"]), str(message.get("text") or "")


def block_action_to_action(
    body: dict[str, Any], action: dict[str, Any], *, role: str = "member", tz: str | None = None
) -> Action:
    """One element of a ``block_actions`` payload -> Action.

    The action name comes from our ``action_id`` (``cos:<name>:<n>``); anything
    else gives the name ``unknown``, which the router answers politely.
    """
    team, enterprise = _team(body)
    action_id = str(action.get("action_id") or "")
    parts = action_id.split(":")
    name = parts[1] if len(parts) >= 2 and parts[0] == "cos" and parts[1] else "unknown"
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    return Action(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=str(channel),
        user=str((body.get("user") or {}).get("id") or ""),
        action=name[:40],
        value=str(action.get("value") or "")[:2000],
        role=role,
        tz=tz,
    )
