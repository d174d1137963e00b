"""A tolerant reader for interaction payloads written by others.

discord.py's ``Interaction`` constructor reads some fields with ``data[...]`` that Discord's
own documentation examples, discord-interactions-js and older recordings leave out
(``version``, ``attachment_size_limit``, a member's ``flags`` and ``roles``, a user's
``discriminator`` or ``avatar``, a message's ``content``). A missing field there must not turn
a person's command into "This interaction failed": ``with_defaults`` fills each with the value
Discord documents as its default, and leaves everything present untouched.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

__all__ = ["ATTACHMENT_SIZE_LIMIT", "with_defaults", "read_interaction"]

log = logging.getLogger("adapters.discord")

# Discord: the attachment size limit is 10 MiB unless Nitro or a boosted server raises it.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
_INTERACTION = {"version": 1, "attachment_size_limit": ATTACHMENT_SIZE_LIMIT, "entitlements": []}
# A user without a discriminator is on the new username system ("0"); no avatar is null.
_USER = {"discriminator": "0", "avatar": None}
# A member's flags default to none (0) and roles to none beyond @everyone.
_MEMBER = {"flags": 0, "roles": []}
_MESSAGE = {"type": 0, "content": ""}


def _filled(obj: Any, defaults: dict[str, Any]) -> Any:
    if not isinstance(obj, dict):
        return obj
    return {**defaults, **obj}


def _user(obj: Any) -> Any:
    user = _filled(obj, _USER)
    if isinstance(user, dict) and "username" not in user:
        user["username"] = str(user.get("global_name") or "unknown")
    return user


def with_defaults(payload: dict[str, Any], *, application_id: str | None = None) -> dict[str, Any]:
    """A copy of ``payload`` with every field discord.py requires and Discord may omit filled in
    (``application_id``: this bot's, for a payload that lacks its own)."""
    filled: dict[str, Any] = {**_INTERACTION, **payload}
    if not filled.get("application_id") and application_id:
        filled["application_id"] = application_id
    if "user" in filled:
        filled["user"] = _user(filled["user"])
    member = filled.get("member")
    if isinstance(member, dict):
        member = _filled(member, _MEMBER)
        if "user" in member:
            member["user"] = _user(member["user"])
        filled["member"] = member
    message = filled.get("message")
    if isinstance(message, dict):
        message = _filled(message, _MESSAGE)
        if "author" in message:
            message["author"] = _user(message["author"])
        filled["message"] = message
    return filled


def read_interaction(
    payload: dict[str, Any], state: Any, *, application_id: str | None = None
) -> discord.Interaction | None:
    """The ``discord.Interaction`` of ``payload`` (missing fields filled in); None when even so it is not one."""
    if not isinstance(payload.get("data", {}), dict):
        log.warning("discord: an interaction's data is not an object")
        return None
    try:
        interaction = discord.Interaction(data=with_defaults(payload, application_id=application_id), state=state)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        log.warning("discord: an interaction could not be read (%s)", type(exc).__name__)
        return None
    if interaction.user is discord.utils.MISSING:  # no member, no user: nobody to answer
        log.warning("discord: an interaction names no user")
        return None
    return interaction
