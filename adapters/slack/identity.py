"""Who is asking on Slack: role (admin or member) and time zone from ``users.info``, cached."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import PLATFORM_NAME
from bot.kernel.auth import listed

__all__ = ["Identities"]

log = logging.getLogger("adapters.slack")


class Identities:
    """(role, tz) per (workspace, user): admin when Slack says admin/owner or ``COS_ADMINS`` lists them."""

    def __init__(self, admins: Collection[str], *, timeout: float = 1.0, ttl: float = 600.0) -> None:
        self.admins, self.timeout, self.ttl = admins, timeout, ttl
        self._cache: dict[tuple[str, str], tuple[float, str, str | None]] = {}

    async def lookup(self, client: AsyncWebClient, workspace: str, user: str) -> tuple[str, str | None]:
        """Asks Slack unless a recent answer is cached; a failed look-up means member, zone unknown."""
        known = self.known(workspace, user)
        if known is not None:
            return known
        role, tz, ttl = "member", None, 30.0  # a failed look-up is retried after 30 s
        try:
            info = await asyncio.wait_for(client.users_info(user=user), timeout=self.timeout)
            profile = info.get("user") or {}
            if profile.get("is_admin") or profile.get("is_owner") or profile.get("is_primary_owner"):
                role = "admin"
            tz = profile.get("tz") or None
            ttl = self.ttl
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            log.warning("users.info for %s failed (%s); treating as member", user, type(exc).__name__)
        self._cache[(workspace, user)] = (time.monotonic() + ttl, role, tz)
        return self.role(workspace, user, role), tz

    def known(self, workspace: str, user: str) -> tuple[str, str | None] | None:
        """(role, tz) when a recent look-up is cached, without asking Slack; None otherwise."""
        cached = self._cache.get((workspace, user))
        if cached is None or cached[0] <= time.monotonic():
            return None
        return self.role(workspace, user, cached[1]), cached[2]

    def role(self, workspace: str, user: str, role: str) -> str:
        """``role``, raised to admin when ``COS_ADMINS`` lists the user."""
        return "admin" if listed(PLATFORM_NAME, user, self.admins, workspace=workspace) else role
