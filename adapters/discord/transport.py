"""Proactive sends (reminders, digests, check-ins) through discord.py's HTTP client.

Each message carries a ``nonce`` derived from the outbox key with
``enforce_nonce``, so Discord drops a repeat sent after a crash or retry.
429s are waited out by discord.py's limiter up to ``max_ratelimit_timeout``;
longer ones, 5xx and network errors become a temporary ``DeliveryError``;
closed DMs (403, code 50007) and unknown channels become a permanent one
and are remembered, never retried here.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import discord
from discord.http import Route

from adapters.discord.render import to_pages
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply
from bot.kernel.transport import SendResult

__all__ = ["DiscordTransport", "nonce_for", "CLOSED_DM_CODE"]

log = logging.getLogger(__name__)

CLOSED_DM_CODE = 50007  # "Cannot send messages to this user"
_PERMANENT_CODES = {
    50007,  # DMs closed / no shared server
    10003,  # unknown channel
    10013,  # unknown user
    50001,  # missing access
    50013,  # missing permissions
    10004,  # unknown guild
}
NONCE_MAX = 25
# Seconds one HTTP call to Discord may take. discord.py sets none (aiohttp's default is 5 minutes), so a
# hung call would hold a delivery that long; cut short, the retry's nonce keeps it from posting twice.
REQUEST_TIMEOUT = 10.0
# The name of the thread started on a check-in report.
THREAD_NAME = "Check-in answers"


def nonce_for(key: str, part: int = 0) -> str:
    """A deterministic nonce (at most 25 characters) for the ``part``-th message of ``key``."""
    digest = hashlib.sha256(f"{key}#{part}".encode()).hexdigest()
    return digest[:NONCE_MAX]


class DiscordTransport:
    """``Transport`` for Discord: channel posts and DMs, idempotent by nonce."""

    platform = "discord"

    def __init__(
        self,
        client: discord.Client,
        *,
        ready: Callable[[], Awaitable[None]] | None = None,
        ready_timeout: float = 15.0,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.client = client
        self.request_timeout = request_timeout
        self._ready = ready
        self._ready_timeout = ready_timeout
        self._dm_channels: dict[str, str] = {}
        # user id -> (error code, when): who could not be reached, for reporting.
        self.undeliverable: dict[str, tuple[str, datetime]] = {}

    async def _wait_ready(self) -> None:
        if self._ready is None:
            return
        try:
            await asyncio.wait_for(self._ready(), timeout=self._ready_timeout)
        except TimeoutError as exc:
            raise DeliveryError("Discord is not connected yet", retry_after=5.0, code="not_ready") from exc

    async def _call(self, route: Route, **kwargs: Any) -> Any:
        try:
            # Per HTTP call: discord.py's own 5xx retries and rate-limit waits stay as they are.
            timeout = aiohttp.ClientTimeout(total=self.request_timeout)
            return await self.client.http.request(route, timeout=timeout, **kwargs)
        except discord.RateLimited as exc:
            raise DeliveryError(
                f"Discord rate limit ({exc.retry_after:.0f}s)", retry_after=exc.retry_after, code="429"
            ) from exc
        except discord.HTTPException as exc:
            code = int(getattr(exc, "code", 0) or 0)
            permanent = code in _PERMANENT_CODES or exc.status in (400, 403, 404)
            retry_after = None
            if exc.status == 429:
                permanent = False
            # An outage page (Cloudflare's HTML) says nothing a log reader needs: its status does.
            text = "" if exc.text.lstrip().startswith("<") else exc.text[:200]
            raise DeliveryError(
                f"Discord refused the message ({exc.status}, code {code}): {text}".rstrip(": "),
                permanent=permanent,
                retry_after=retry_after,
                code=str(code or exc.status),
            ) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(f"Discord could not be reached: {type(exc).__name__}", code="network") from exc

    async def _post(self, channel: str, reply: Reply, key: str) -> SendResult:
        first: str | None = None
        for part, page in enumerate(to_pages(reply, ephemeral=False)):
            body = page.payload()
            if part == 0 and reply.notify:
                # The one mention this message exists for (a closed DM moved to the channel):
                # in the content, and allowed for exactly those users.
                users = [u for u in reply.notify if u.isdigit()][:10]
                if users:
                    body["content"] = " ".join(f"<@{u}>" for u in users)
                    body["allowed_mentions"] = {"parse": [], "users": users}
            body["nonce"] = nonce_for(key, part)
            body["enforce_nonce"] = True
            data = await self._call(Route("POST", "/channels/{channel_id}/messages", channel_id=channel), json=body)
            if first is None and isinstance(data, dict):
                first = str(data.get("id")) if data.get("id") else None
        return SendResult(channel=channel, message_id=first)

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        """Post ``reply`` in ``channel`` (a channel id of guild ``workspace``)."""
        await self._wait_ready()
        return await self._post(channel, reply, key)

    async def open_dm(self, user: str) -> str:
        """The DM channel id with ``user`` (created once, then cached)."""
        channel = self._dm_channels.get(user)
        if channel is None:
            data = await self._call(Route("POST", "/users/@me/channels"), json={"recipient_id": user})
            channel = str(data["id"])
            self._dm_channels[user] = channel
        return channel

    async def send_thread(self, *, workspace: str, channel: str, parent: str, reply: Reply, key: str) -> SendResult:
        """Post ``reply`` in the thread on message ``parent`` (started on first use; its id is the message's).

        Without the Create Public Threads permission the reply goes in the channel, referencing the parent.
        """
        await self._wait_ready()
        route = Route(
            "POST", "/channels/{channel_id}/messages/{message_id}/threads", channel_id=channel, message_id=parent
        )
        try:
            data = await self._call(route, json={"name": THREAD_NAME, "auto_archive_duration": 10080})
            thread = str(data.get("id") or parent) if isinstance(data, dict) else parent
        except DeliveryError as exc:
            if exc.code == "160004":  # a thread was started on this message already: it has the message's id
                thread = parent
            elif exc.code in ("50013", "50001", "403"):
                log.info("no thread on %s in %s (%s); replying with a reference instead", parent, channel, exc.code)
                body = to_pages(reply, ephemeral=False)[0].payload()
                body["message_reference"] = {"message_id": parent, "fail_if_not_exists": False}
                body["nonce"], body["enforce_nonce"] = nonce_for(key), True
                data = await self._call(Route("POST", "/channels/{channel_id}/messages", channel_id=channel), json=body)
                return SendResult(channel=channel, message_id=str(data.get("id")) if isinstance(data, dict) else None)
            else:
                raise
        return await self._post(thread, reply, key)

    async def update(self, *, workspace: str, channel: str, message_id: str, reply: Reply) -> SendResult:
        """Edit message ``message_id`` in ``channel`` (a thread is a channel) to show ``reply``'s first page."""
        await self._wait_ready()
        body = to_pages(reply, ephemeral=False)[0].payload()
        await self._call(
            Route("PATCH", "/channels/{channel_id}/messages/{message_id}", channel_id=channel, message_id=message_id),
            json=body,
        )
        return SendResult(channel=channel, message_id=message_id)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        """DM ``reply`` to ``user``; ``DeliveryError(permanent=True, code="50007")`` when their DMs are closed."""
        await self._wait_ready()
        try:
            channel = await self.open_dm(user)
            return await self._post(channel, reply, key)
        except DeliveryError as exc:
            if exc.permanent:
                self.undeliverable[user] = (exc.code or "", datetime.now(UTC))
                log.warning("Discord user %s cannot be sent a DM (code %s); not retrying", user, exc.code)
            raise
