"""A tolerant reader for interaction payloads written by others.

discord.py's ``Interaction`` constructor reads some fields with ``data[...]`` that Discord's
own documentation examples, discord-interactions-js and older recordings leave out
(``version``, ``attachment_size_limit``, a member's ``flags`` and ``roles``, a user's
``discriminator`` or ``avatar``, a message's ``content``). A missing field there must not turn
a person's command into "This interaction failed": ``with_defaults`` fills each with the value
Discord documents as its default, and leaves everything present untouched.

What is there must have the type Discord documents, though: a command's options with a value
of another type (a list where a string goes) are refused as not an interaction (``options_fit``)
rather than handed to discord.py and the core, which trust Discord's validation.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

__all__ = ["ATTACHMENT_SIZE_LIMIT", "options_fit", "with_defaults", "read_interaction"]

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


# Application command option types (Discord): sub-command, sub-command group, then the valued ones.
_SUBCOMMAND, _GROUP = 1, 2
_STRING, _INTEGER, _BOOLEAN, _NUMBER = 3, 4, 5, 10
_SNOWFLAKES = (6, 7, 8, 9, 11)  # user, channel, role, mentionable, attachment: an id as a string
_COMMAND_KINDS = (2, 4)  # application command, autocomplete


def _value_fits(kind: int, value: Any, *, focused: bool) -> bool:
    if focused and isinstance(value, str):  # what someone is typing, before Discord checks it
        return True
    if kind == _STRING:
        return isinstance(value, str)
    if kind == _INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _BOOLEAN:
        return isinstance(value, bool)
    if kind == _NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in _SNOWFLAKES:
        return isinstance(value, str) and value.isdigit()
    return False


def options_fit(options: Any, *, depth: int = 0) -> bool:
    """Whether a command's ``options`` are as Discord documents them: a list of objects, each with a
    string ``name``, an integer ``type`` and a value of that type (sub-commands nest up to two levels)."""
    if not isinstance(options, list) or depth > 2:
        return False
    for option in options:
        if not isinstance(option, dict) or not isinstance(option.get("name"), str):
            return False
        kind, focused = option.get("type"), option.get("focused", False)
        if not isinstance(focused, bool) or not isinstance(kind, int) or isinstance(kind, bool):
            return False
        if kind in (_SUBCOMMAND, _GROUP):
            if "options" in option and not options_fit(option["options"], depth=depth + 1):
                return False
        elif "value" not in option or not _value_fits(kind, option["value"], focused=focused):
            return False
    return True


def _command_fits(data: dict[str, Any]) -> bool:
    """A command's ``data``: a string name, an integer command type (1 when left out), options that fit."""
    kind = data.get("type", 1)
    return (
        isinstance(data.get("name"), str)
        and isinstance(kind, int)
        and not isinstance(kind, bool)
        and ("options" not in data or options_fit(data["options"]))
    )


def with_defaults(payload: dict[str, Any], *, application_id: str | None = None) -> dict[str, Any]:
    """A copy of ``payload`` with every field discord.py requires and Discord may omit filled in
    (``application_id``: this bot's, for a payload that lacks its own)."""
    filled: dict[str, Any] = {**_INTERACTION, **payload}
    data = filled.get("data")
    if isinstance(data, dict) and "options" in data and data["options"] is None:  # null: none given
        filled["data"] = {k: v for k, v in data.items() if k != "options"}
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
    data = payload.get("data", {})
    if not isinstance(data, dict):
        log.warning("discord: an interaction's data is not an object")
        return None
    filled = with_defaults(payload, application_id=application_id)
    if payload.get("type") in _COMMAND_KINDS and not _command_fits(filled.get("data", {})):
        log.warning("discord: a command's name, type or options are not as Discord sends them")
        return None
    try:
        interaction = discord.Interaction(data=filled, state=state)  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        log.warning("discord: an interaction could not be read (%s)", type(exc).__name__)
        return None
    if interaction.user is discord.utils.MISSING:  # no member, no user: nobody to answer
        log.warning("discord: an interaction names no user")
        return None
    return interaction
