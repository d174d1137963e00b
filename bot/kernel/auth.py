"""Who may change things: one admin rule for every platform, declared on handlers.

Admins are the people a platform marks as such (Slack workspace admins and owners,
Discord members with Manage Server: the adapter sets ``role="admin"``) and the user
ids listed in ``COS_ADMINS``, written bare (``U1001``), with their platform
(``slack:U1001``) or with their workspace (``T123:U1001``). Handlers declare what they need, the way discord.py declares
``has_permissions`` and ``guild_only``::

    @admin_only("turn digests off")
    async def digest_off(self, request: Request) -> Reply: ...
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection
from typing import Concatenate, Protocol, TypeVar

from bot.kernel.errors import PermissionDenied, UserError
from bot.kernel.lang import N_, _

__all__ = ["ADMIN_WHO", "Asker", "is_admin", "listed", "require_admin", "admin_only", "server_only", "HasAdmins"]

ADMIN_WHO = N_(
    "Slack workspace admins and owners, Discord members with Manage Server, and the user ids listed in COS_ADMINS"
)


class Asker(Protocol):
    """Who asks: a ``Request`` or a pressed button's ``Action``."""

    @property
    def platform(self) -> str: ...
    @property
    def workspace(self) -> str: ...
    @property
    def user(self) -> str: ...
    @property
    def role(self) -> str: ...


class HasAdmins(Protocol):
    """A handler object that knows the configured admin ids (``COS_ADMINS``)."""

    @property
    def admins(self) -> Collection[str]: ...


def listed(platform: str, user: str, admins: Collection[str], *, workspace: str | None = None) -> bool:
    """True when ``COS_ADMINS`` names the user: bare (``U1001``), with the platform (``slack:U1001``)
    or with the workspace (``T123:U1001``)."""
    if not user or not admins:
        return False
    return (
        user in admins or f"{platform}:{user}" in admins or (workspace is not None and f"{workspace}:{user}" in admins)
    )


def is_admin(asker: Asker, admins: Collection[str]) -> bool:
    """True for a platform admin and for a user listed in ``admins``."""
    return asker.role == "admin" or listed(asker.platform, asker.user, admins, workspace=asker.workspace)


def require_admin(asker: Asker, admins: Collection[str], what: str) -> None:
    """Raise ``PermissionDenied`` saying who can ``what`` unless the asker is an admin (``what`` is translated:
    Babel extracts the texts given to ``admin_only``)."""
    if not is_admin(asker, admins):
        raise PermissionDenied(
            _(
                "Only admins can {what}: {who}. You ({user}) are not one of them; ask an admin, or ask your operator "
                "to add your user id to COS_ADMINS. Anyone may read the schedules, milestones and register."
            ).format(what=_(what), who=_(ADMIN_WHO), user=asker.user)
        )


S = TypeVar("S", bound=HasAdmins)
A = TypeVar("A", bound=Asker)
R = TypeVar("R")


def admin_only(
    what: str,
) -> Callable[[Callable[Concatenate[S, A, ...], Awaitable[R]]], Callable[Concatenate[S, A, ...], Awaitable[R]]]:
    """Declare that only admins may run the handler; ``what`` completes "Only admins can …"."""

    def decorate(
        handler: Callable[Concatenate[S, A, ...], Awaitable[R]],
    ) -> Callable[Concatenate[S, A, ...], Awaitable[R]]:
        @functools.wraps(handler)
        async def checked(self: S, asker: A, /, *args: object, **kwargs: object) -> R:
            require_admin(asker, self.admins, what)
            return await handler(self, asker, *args, **kwargs)

        return checked

    return decorate


class _InWorkspace(Protocol):
    @property
    def in_workspace(self) -> bool: ...


W = TypeVar("W", bound=_InWorkspace)


def server_only(
    handler: Callable[Concatenate[S, W, ...], Awaitable[R]],
) -> Callable[Concatenate[S, W, ...], Awaitable[R]]:
    """Declare that the handler needs a workspace (a Slack workspace, a Discord server), not a bare DM."""

    @functools.wraps(handler)
    async def checked(self: S, request: W, /, *args: object, **kwargs: object) -> R:
        if not request.in_workspace:
            raise UserError(
                _(
                    "Team commands work in a server channel, not in a direct message: schedules, the stage and the "
                    "register belong to a server."
                )
            )
        return await handler(self, request, *args, **kwargs)

    return checked
