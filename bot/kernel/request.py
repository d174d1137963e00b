"""The platform-neutral request an adapter builds from a platform payload."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Request", "Role"]

Role = str  # "admin" | "member"


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """Who asked what, where.

    ``command`` is the slash command without the slash (``cos-service``,
    ``cos-risk``) or ``message`` for free text in a DM. ``workspace`` is the
    Slack team id, the Discord guild id, or ``local`` for the console.
    """

    platform: str
    workspace: str
    channel: str
    user: str
    command: str
    text: str = ""
    role: Role = "member"
    tz: str | None = None
    user_name: str | None = None
    is_dm: bool = False
    # False for a direct message that belongs to no workspace (a Discord DM is outside any
    # server); team commands need a workspace. Set by the platform's translator.
    in_workspace: bool = True
    request_id: str | None = None
    # The platform's id of the message a DM request came in (Slack ``ts``, a Discord message id):
    # a check-in answer keeps it, so an edit of that message can update the answer.
    message_id: str | None = None
    # The person's language as the platform reports it (Discord's interaction ``locale`` such as ``zh-CN``,
    # Slack's ``users.info`` locale); ``bot.kernel.lang.choose_lang`` reads it.
    locale: str | None = None
