"""Discord interaction / message -> the core's Request and Action.

Pure: they read discord.py's model objects (built by discord.py from the
gateway payload) and return neutral values. Tested with recorded payloads.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import discord

from adapters.discord.render import parse_custom_id
from bot.kernel.auth import listed
from bot.kernel.request import Request
from bot.kernel.router import Action

__all__ = ["PLATFORM_NAME", "workspace_of", "role_of", "command_request", "component_action", "dm_request", "dm_edit"]

PLATFORM_NAME = "discord"
DM_WORKSPACE = "dm"


def workspace_of(guild_id: int | None) -> str:
    """Guild data is keyed by guild id; everything in DMs shares the ``dm`` workspace."""
    return str(guild_id) if guild_id else DM_WORKSPACE


def role_of(
    user: discord.abc.User | None, *, admins: Collection[str], permissions: discord.Permissions | None = None
) -> str:
    """``admin`` for members who can manage the server (or are listed in COS_ADMINS), else ``member``."""
    if user is None:
        return "member"
    if listed(PLATFORM_NAME, str(user.id), admins):
        return "admin"
    if permissions is not None and (permissions.manage_guild or permissions.administrator):
        return "admin"
    if isinstance(user, discord.Member):
        resolved = user.resolved_permissions
        if resolved is not None and (resolved.manage_guild or resolved.administrator):
            return "admin"
        if user.guild.owner_id == user.id or user.guild_permissions.manage_guild:
            return "admin"
    return "member"


def _user_name(user: discord.abc.User | None) -> str | None:
    if user is None:
        return None
    return getattr(user, "display_name", None) or user.name


def command_request(interaction: discord.Interaction, *, command: str, text: str, admins: Collection[str]) -> Request:
    """A slash command (``/cos-service query:legal``) as a Request."""
    user = interaction.user
    in_guild = interaction.guild_id is not None
    return Request(
        platform=PLATFORM_NAME,
        workspace=workspace_of(interaction.guild_id),
        channel=str(interaction.channel_id or ""),
        user=str(user.id) if user else "",
        command=command,
        text=text or "",
        role=role_of(user, admins=admins, permissions=interaction.permissions if in_guild else None),
        user_name=_user_name(user),
        is_dm=not in_guild,
        in_workspace=in_guild,
        request_id=str(interaction.id),
    )


def component_action(interaction: discord.Interaction, *, admins: Collection[str]) -> Action | None:
    """A pressed button as an Action; None for a custom id we never made (forged or from elsewhere)."""
    data: dict[str, object] = dict(interaction.data or {})
    parsed = parse_custom_id(str(data.get("custom_id", "")))
    if parsed is None:
        return None
    action, value = parsed
    user = interaction.user
    return Action(
        platform=PLATFORM_NAME,
        workspace=workspace_of(interaction.guild_id),
        channel=str(interaction.channel_id or ""),
        user=str(user.id) if user else "",
        action=action,
        value=value,
        role=role_of(user, admins=admins, permissions=interaction.permissions if interaction.guild_id else None),
        in_workspace=interaction.guild_id is not None,
    )


def dm_request(message: discord.Message, *, me: discord.abc.User | None, admins: Collection[str]) -> Request | None:
    """Free text sent to the bot in a DM; None for anything that is not a person's DM."""
    if message.guild is not None or message.author.bot:
        return None
    if me is not None and message.author.id == me.id:
        return None
    if not message.content.strip():
        return None
    return Request(
        platform=PLATFORM_NAME,
        workspace=DM_WORKSPACE,
        channel=str(message.channel.id),
        user=str(message.author.id),
        command="message",
        text=message.content,
        role=role_of(message.author, admins=admins),
        user_name=_user_name(message.author),
        is_dm=True,
        in_workspace=False,
        request_id=str(message.id),
        message_id=str(message.id),
    )


def dm_edit(data: dict[str, Any], *, guild_id: int | None, me_id: int | None) -> tuple[str, str, str] | None:
    """A ``MESSAGE_UPDATE`` of a person's own DM -> (user, message id, new text); None for anything else."""
    raw_author, raw_content = data.get("author"), data.get("content")
    author: dict[str, Any] = raw_author if isinstance(raw_author, dict) else {}
    content = raw_content if isinstance(raw_content, str) else ""
    if guild_id is not None or not author.get("id") or author.get("bot") or not content.strip():
        return None
    if me_id is not None and str(author["id"]) == str(me_id):
        return None
    return str(author["id"]), str(data.get("id") or ""), content
