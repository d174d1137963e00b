"""Who is asking on Slack: role (admin or member), time zone and locale from ``users.info``, cached."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Collection
from typing import NamedTuple

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.translate import PLATFORM_NAME
from bot.kernel.auth import listed

__all__ = ["Identities", "Person"]

log = logging.getLogger("adapters.slack")


class Person(NamedTuple):
    """What ``users.info`` told about someone, and until when it is trusted (``time.monotonic``)."""

    expires: float
    role: str
    tz: str | None
    locale: str | None


class Identities:
    """(role, tz, locale) per (workspace, user): admin when Slack says admin/owner or ``COS_ADMINS`` lists them.

    At most ``size`` people are kept (the least recently looked up go first), each for ``ttl`` seconds.
    The locale (``zh-CN``, ``en-US``) comes from ``users.info`` with ``include_locale``.
    """

    def __init__(
        self, admins: Collection[str], *, timeout: float = 1.0, ttl: float = 600.0, size: int = 10_000
    ) -> None:
        self.admins, self.timeout, self.ttl, self.size = admins, timeout, ttl, size
        self._cache: OrderedDict[tuple[str, str], Person] = OrderedDict()

    async def lookup(self, client: AsyncWebClient, workspace: str, user: str) -> tuple[str, str | None]:
        """Asks Slack unless a recent answer is cached; a failed look-up means member, zone unknown."""
        known = self.known(workspace, user)
        if known is not None:
            return known
        role, tz, locale, ttl = "member", None, None, 30.0  # a failed look-up is retried after 30 s
        try:
            info = await asyncio.wait_for(client.users_info(user=user, include_locale=True), timeout=self.timeout)
            profile = info.get("user") or {}
            if profile.get("is_admin") or profile.get("is_owner") or profile.get("is_primary_owner"):
                role = "admin"
            tz = profile.get("tz") or None
            locale = profile.get("locale") or None
            ttl = self.ttl
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            log.warning("users.info for %s failed (%s); treating as member", user, type(exc).__name__)
        self._keep((workspace, user), Person(time.monotonic() + ttl, role, tz, locale))
        return self.role(workspace, user, role), tz

    def known(self, workspace: str, user: str) -> tuple[str, str | None] | None:
        """(role, tz) when a recent look-up is cached, without asking Slack; None otherwise."""
        person = self._fresh((workspace, user))
        if person is None:
            return None
        return self.role(workspace, user, person.role), person.tz

    def locale(self, workspace: str, user: str) -> str | None:
        """The person's Slack locale when a recent look-up is cached (never asks Slack)."""
        person = self._fresh((workspace, user))
        return person.locale if person is not None else None

    def role(self, workspace: str, user: str, role: str) -> str:
        """``role``, raised to admin when ``COS_ADMINS`` lists the user."""
        return "admin" if listed(PLATFORM_NAME, user, self.admins, workspace=workspace) else role

    def _fresh(self, key: tuple[str, str]) -> Person | None:
        person = self._cache.get(key)
        if person is None or person.expires <= time.monotonic():
            return None
        return person

    def _keep(self, key: tuple[str, str], person: Person) -> None:
        self._cache[key] = person
        self._cache.move_to_end(key)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
