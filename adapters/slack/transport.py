"""SlackTransport: scheduled messages (reminders, digests, check-ins) through the Web API."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.client import RetryPolicy, bolt_logger, make_client
from adapters.slack.render import fallback_text, render_pages
from adapters.slack.translate import split_workspace
from bot.errors import DeliveryError
from bot.reply import Reply
from bot.settings import Settings
from bot.transport import SendResult

__all__ = ["SlackTransport", "PERMANENT_ERRORS", "delivery_error", "workspace_clients"]

log = logging.getLogger("adapters.slack")

# Errors that no retry can fix: the outbox gives up (and may fall back).
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "user_not_found", "cannot_dm_bot", "is_archived",
    "user_disabled", "account_inactive", "invalid_auth", "not_authed", "token_revoked",
    "missing_scope", "restricted_action", "msg_too_long", "invalid_blocks", "no_installation",
    "channel_is_archived", "users_not_found", "team_access_not_granted",
})

# workspace -> a client holding that workspace's bot token (None when not installed there)
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


def workspace_clients(settings: Settings, engine: Any, *, policy: RetryPolicy | None = None,
                      session: Any = None) -> ClientFor:
    """Workspace -> client with its bot token: the installation store with OAuth, else ``SLACK_BOT_TOKEN``."""
    if settings.slack_client_id and settings.slack_client_secret:
        from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

        store = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine,
                                                 logger=bolt_logger)

        async def from_store(workspace: str) -> AsyncWebClient | None:
            enterprise, team = split_workspace(workspace)
            bot = await store.async_find_bot(enterprise_id=enterprise, team_id=team,
                                             is_enterprise_install=team is None)
            if bot is None or not bot.bot_token:
                return None
            return make_client(settings, token=bot.bot_token, policy=policy, session=session)

        return from_store
    single = make_client(settings, token=settings.slack_bot_token, policy=policy, session=session) \
        if settings.slack_bot_token else None

    async def from_settings(workspace: str) -> AsyncWebClient | None:
        return single

    return from_settings


def delivery_error(exc: Exception) -> DeliveryError:
    """Map an SDK failure to ``DeliveryError`` (permanent or with Slack's Retry-After)."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = str(response.get("error") or "") if response is not None else ""
        status = getattr(response, "status_code", 0) or 0
        if status == 429 or code == "ratelimited":
            retry_after = _header(response, "Retry-After")
            return DeliveryError(f"Slack rate limit ({code or status})", retry_after=retry_after,
                                 code=code or "ratelimited")
        if code in PERMANENT_ERRORS:
            return DeliveryError(f"Slack refused the message: {code}", permanent=True, code=code)
        return DeliveryError(f"Slack error: {code or status}", code=code or str(status))
    return DeliveryError(f"Slack unreachable: {type(exc).__name__}", code="connection")


def _header(response: Any, name: str) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for key, value in headers.items():
        if key.lower() == name.lower():
            raw = value[0] if isinstance(value, list) else value
            try:
                return float(raw)
            except (TypeError, ValueError):
                return None
    return None


class SlackTransport:
    """Posts Replies with ``chat.postMessage``; DMs go through ``conversations.open`` first.

    Slack has no idempotency key, so ``key`` goes into message metadata (for
    audits); keeping the window between send and commit small is the
    outbox's job. A reply longer than one message is posted as its first
    page with the rest in the thread.
    """

    platform = "slack"

    def __init__(self, client_for: ClientFor) -> None:
        self._client_for = client_for

    async def _client(self, workspace: str) -> AsyncWebClient:
        client = await self._client_for(workspace)
        if client is None:
            raise DeliveryError(f"the bot is not installed in Slack workspace {workspace}", permanent=True,
                                code="no_installation")
        return client

    async def _post(self, client: AsyncWebClient, channel: str, reply: Reply, key: str) -> SendResult:
        pages = render_pages(reply.safe().public())
        text = fallback_text(reply.safe())
        metadata = {"event_type": "cos_bot_delivery", "event_payload": {"key": key[:200]}}
        try:
            first = await client.chat_postMessage(channel=channel, text=text, blocks=pages[0],
                                                  unfurl_links=False, unfurl_media=False, metadata=metadata)
            ts = first.get("ts")
            posted_channel = first.get("channel") or channel
            for page in pages[1:]:
                await client.chat_postMessage(channel=posted_channel, text=text, blocks=page, thread_ts=ts,
                                              unfurl_links=False, unfurl_media=False)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            log.warning("slack delivery to %s failed: %s", channel, error)
            raise error from None
        return SendResult(channel=str(posted_channel), message_id=str(ts) if ts else None)

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        """Post ``reply`` publicly in ``channel``."""
        client = await self._client(workspace)
        return await self._post(client, channel, reply, key)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        """Open (or reuse) the DM with ``user`` and post ``reply`` there."""
        client = await self._client(workspace)
        try:
            opened = await client.conversations_open(users=user)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            log.warning("slack DM to %s could not be opened: %s", user, error)
            raise error from None
        channel = (opened.get("channel") or {}).get("id")
        if not channel:
            raise DeliveryError("Slack opened no DM channel", code="no_channel")
        return await self._post(client, channel, reply, key)
