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


# Tolerant readers: a field of an unexpected type (a payload shaped by others) reads as absent.
def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


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
    team = _id(body.get("team_id")) or _id(_obj(body.get("team")).get("id"))
    enterprise = _id(body.get("enterprise_id")) or _id(_obj(body.get("enterprise")).get("id"))
    if team is None:
        team = _id(_obj(body.get("user")).get("team_id"))
    return team, enterprise


def command_to_request(body: dict[str, Any], *, role: str = "member", tz: str | None = None) -> Request:
    """A slash command (form fields) -> Request."""
    team, enterprise = _team(body)
    channel = _text(body.get("channel_id"))
    return Request(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=channel,
        user=_text(body.get("user_id")),
        command=command_name(_text(body.get("command"))),
        text=_text(body.get("text")),
        role=role,
        tz=tz,
        user_name=_id(body.get("user_name")),
        is_dm=channel.startswith("D") or body.get("channel_name") == "directmessage",
        request_id=_id(body.get("trigger_id")),
    )


def is_user_dm(event: dict[str, Any]) -> bool:
    """A person's own message in a DM with the bot (not an edit, a join, or a bot's message)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(_id(event.get("user")))
        and bool(_text(event.get("text")).strip())
    )


def dm_to_request(body: dict[str, Any], *, role: str = "member", tz: str | None = None) -> Request:
    """A ``message.im`` event envelope -> Request (``command="message"``, ``is_dm=True``)."""
    event = _obj(body.get("event"))
    team = _id(body.get("team_id")) or _id(event.get("team"))
    enterprise = _id(body.get("enterprise_id"))
    if not enterprise:
        authorizations = body.get("authorizations")
        for auth in authorizations if isinstance(authorizations, list) else ():
            enterprise = _id(_obj(auth).get("enterprise_id")) or enterprise
    return Request(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=_text(event.get("channel")),
        user=_text(event.get("user")),
        command="message",
        text=_text(event.get("text")),
        role=role,
        tz=tz,
        is_dm=True,
        request_id=_id(body.get("event_id")) or _id(event.get("client_msg_id")),
        message_id=_id(event.get("ts")),
    )


def dm_edit(body: dict[str, Any]) -> tuple[str, str, str] | None:
    """A person's edit of their own DM (``message_changed``) -> (user, message ts, new text); None otherwise."""
    event = _obj(body.get("event"))
    message = _obj(event.get("message"))
    user, ts, text = _id(message.get("user")), _id(message.get("ts")), _text(message.get("text"))
    if (
        event.get("type") != "message"
        or event.get("subtype") != "message_changed"
        or event.get("channel_type") != "im"
        or message.get("bot_id")
        or user is None
        or ts is None
        or not text.strip()
    ):
        return None
    return user, ts, text


def block_action_to_action(
    body: dict[str, Any], action: dict[str, Any], *, role: str = "member", tz: str | None = None
) -> Action:
    """One element of a ``block_actions`` payload -> Action.

    The action name comes from our ``action_id`` (``cos:<name>:<n>``); anything
    else gives the name ``unknown``, which the router answers politely.
    """
    team, enterprise = _team(body)
    action_id = _text(action.get("action_id"))
    parts = action_id.split(":")
    name = parts[1] if len(parts) >= 2 and parts[0] == "cos" and parts[1] else "unknown"
    channel = _text(_obj(body.get("channel")).get("id")) or _text(_obj(body.get("container")).get("channel_id"))
    return Action(
        platform=PLATFORM_NAME,
        workspace=workspace_key(team_id=team, enterprise_id=enterprise),
        channel=channel,
        user=_text(_obj(body.get("user")).get("id")),
        action=name[:40],
        value=_text(action.get("value"))[:2000],
        role=role,
        tz=tz,
    )
