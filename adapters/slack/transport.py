"""SlackTransport: scheduled messages (reminders, digests, check-ins) through the Web API."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientConnectorError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from adapters.slack.client import RetryPolicy, bolt_logger, make_client
from adapters.slack.render import fallback_text, render_pages
from adapters.slack.translate import PLATFORM_NAME, split_workspace
from bot.kernel.clock import Clock
from bot.kernel.errors import DeliveryError
from bot.kernel.reply import Reply
from bot.kernel.settings import Settings
from bot.kernel.transport import SendResult
from bot.storage.db import Database
from bot.storage.models import ProcessedEvent

__all__ = [
    "SlackTransport",
    "PERMANENT_ERRORS",
    "DELIVERY_EVENT_TYPE",
    "HISTORY_MARGIN",
    "delivery_error",
    "workspace_clients",
]

log = logging.getLogger("adapters.slack")

# Errors that no retry can fix: the outbox gives up (and may fall back).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "user_not_found",
        "cannot_dm_bot",
        "is_archived",
        "user_disabled",
        "account_inactive",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "restricted_action",
        "msg_too_long",
        "invalid_blocks",
        "no_installation",
        "channel_is_archived",
        "users_not_found",
        "team_access_not_granted",
    }
)

# The metadata event type on every scheduled message; its payload carries the outbox key.
DELIVERY_EVENT_TYPE = "cos_bot_delivery"
# How far before the first attempt the history check looks (clock skew between us and Slack).
HISTORY_MARGIN = timedelta(minutes=5)
_MEMORY_ATTEMPTS = 10_000  # keys remembered when there is no database

# workspace -> a client holding that workspace's bot token (None when not installed there)
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


def workspace_clients(
    settings: Settings, engine: Any, *, policy: RetryPolicy | None = None, session: Any = None
) -> ClientFor:
    """Workspace -> client with its bot token: the installation store with OAuth, else ``SLACK_BOT_TOKEN``."""
    if settings.slack_client_id and settings.slack_client_secret:
        from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

        store = AsyncSQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine, logger=bolt_logger)

        async def from_store(workspace: str) -> AsyncWebClient | None:
            enterprise, team = split_workspace(workspace)
            bot = await store.async_find_bot(enterprise_id=enterprise, team_id=team, is_enterprise_install=team is None)
            if bot is None or not bot.bot_token:
                return None
            return make_client(settings, token=bot.bot_token, policy=policy, session=session)

        return from_store
    single = (
        make_client(settings, token=settings.slack_bot_token, policy=policy, session=session)
        if settings.slack_bot_token
        else None
    )

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
            return DeliveryError(
                f"Slack rate limit ({code or status})", retry_after=retry_after, code=code or "ratelimited"
            )
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

    Slack has no idempotency key, so a re-send must not post twice by itself:

    * ``chat.postMessage`` is tried once per outbox attempt for anything that may have reached Slack
      (a 5xx, a timeout, a dropped connection): the SDK's own retries would post again blindly. A 429
      or a connection that never opened is certain to have posted nothing and is retried as before.
    * Every message carries ``key`` in its metadata, and the first attempt of a key leaves a marker
      (a ``processed_event`` row ``send:<key>``, pruned after a day with the event ids). When a key
      is sent again and its marker exists, ``conversations.history`` (since the first attempt, 100
      messages, with metadata) is read first; a message with this key means it was delivered, and
      its ``ts`` is returned without posting.

    Trade-off: checking history on every send would be one more call per message, and Slack limits
    ``conversations.history`` hard (about one call a minute, 15 messages, for apps not in the Slack
    Marketplace), so only re-sends pay for it. A definite refusal (``ok: false``, 429) on a first
    attempt removes the marker, so rate-limited retries skip the check. Known gaps: a channel with
    more messages since the first attempt than one history page may hide the earlier post (then it
    is sent again); a history check Slack refuses (``missing_scope`` on an old install, say) is
    logged and the message is posted. A reply longer than one message is posted as its first page
    with the rest in the thread; once the first page is in, a failed thread page is logged, not
    retried (retrying would repeat the first page).
    """

    platform = "slack"

    def __init__(self, client_for: ClientFor, *, db: Database | None = None, clock: Clock | None = None) -> None:
        self._client_for = client_for
        self._db = db
        self._clock = clock
        self._attempted: OrderedDict[str, datetime] = OrderedDict()  # without a database: this process only
        # Keys whose first attempt ``prepare`` recorded ahead of the send: what ``_begin`` found for each.
        self._prepared: OrderedDict[str, datetime | None] = OrderedDict()

    async def _client(self, workspace: str) -> AsyncWebClient:
        client = await self._client_for(workspace)
        if client is None:
            raise DeliveryError(
                f"the bot is not installed in Slack workspace {workspace}", permanent=True, code="no_installation"
            )
        return client

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    # -- attempts of a key --------------------------------------------------------
    async def _begin(self, key: str) -> datetime | None:
        """Record the first attempt of ``key``; None when this is it, else when the first attempt began."""
        now = self._now()
        if self._db is None:
            first = self._attempted.get(key)
            if first is None:
                self._attempted[key] = now
                if len(self._attempted) > _MEMORY_ATTEMPTS:
                    self._attempted.popitem(last=False)
            return first
        marker = _marker(key)
        try:
            async with self._db.session() as session:
                session.add(ProcessedEvent(platform=PLATFORM_NAME, event_id=marker, received_at=now))
            return None
        except IntegrityError:
            async with self._db.session() as session:
                found = (
                    await session.execute(
                        select(ProcessedEvent.received_at).where(
                            ProcessedEvent.platform == PLATFORM_NAME, ProcessedEvent.event_id == marker
                        )
                    )
                ).scalar()
            if found is None:  # pruned in between: look back as far as we keep markers
                return now - timedelta(days=1)
            return found if found.tzinfo else found.replace(tzinfo=UTC)

    async def prepare(self, key: str) -> None:
        """Record the first attempt of ``key`` now, ahead of its paced slot (``bot.kernel.transport.Preparing``):
        the marker's write is then not between the slot and the post."""
        self._prepared[key] = await self._begin(key)
        while len(self._prepared) > _MEMORY_ATTEMPTS:  # prepared, never sent (a lease lost in between)
            self._prepared.popitem(last=False)

    async def _first_attempt(self, key: str) -> datetime | None:
        if key in self._prepared:
            return self._prepared.pop(key)
        return await self._begin(key)

    async def _forget(self, key: str) -> None:
        """Slack certainly posted nothing for the first attempt of ``key``: a re-send needs no check."""
        if self._db is None:
            self._attempted.pop(key, None)
            return
        try:
            async with self._db.session() as session:
                await session.execute(
                    delete(ProcessedEvent).where(
                        ProcessedEvent.platform == PLATFORM_NAME, ProcessedEvent.event_id == _marker(key)
                    )
                )
        except Exception:
            log.warning("could not clear the delivery marker of %s", key, exc_info=True)

    async def _posted_before(self, client: AsyncWebClient, channel: str, key: str, since: datetime) -> str | None:
        """The ``ts`` of a message in ``channel`` carrying ``key`` since ``since``; None when there is none."""
        oldest = (since - HISTORY_MARGIN).timestamp()
        try:
            history = await client.conversations_history(
                channel=channel, oldest=f"{max(oldest, 0):.6f}", limit=100, include_all_metadata=True
            )
        except SlackApiError as exc:
            status = getattr(exc.response, "status_code", 0) or 0
            error = delivery_error(exc)
            if error.retry_after is not None or status >= 500:
                log.warning("slack history of %s for %s failed: %s; retrying later", channel, key, error)
                raise error from None
            log.warning(
                "slack history of %s unreadable (%s); posting %s without the duplicate check", channel, error.code, key
            )
            return None
        except (SlackClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            log.warning("slack history of %s for %s failed: %s", channel, key, error)
            raise error from None
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == DELIVERY_EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("key") == key[:200]
            ):
                return str(message.get("ts") or "") or None
        return None

    # -- posting ------------------------------------------------------------------
    async def _post(self, client: AsyncWebClient, channel: str, reply: Reply, key: str) -> SendResult:
        first_attempt = await self._first_attempt(key)
        if first_attempt is not None:
            ts = await self._posted_before(client, channel, key, first_attempt)
            if ts is not None:
                log.info("slack delivery %s was already posted in %s (%s); not posting again", key, channel, ts)
                return SendResult(channel=channel, message_id=ts)
        pages = render_pages(reply.safe().public())
        text = fallback_text(reply.safe())
        metadata = {"event_type": DELIVERY_EVENT_TYPE, "event_payload": {"key": key[:200]}}
        try:
            first = await _single_shot(client).chat_postMessage(
                channel=channel, text=text, blocks=pages[0], unfurl_links=False, unfurl_media=False, metadata=metadata
            )
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            error = delivery_error(exc)
            log.warning("slack delivery to %s failed: %s", channel, error)
            if first_attempt is None and _certainly_not_posted(exc):
                await self._forget(key)
            raise error from None
        ts = first.get("ts")
        posted_channel = first.get("channel") or channel
        try:
            for page in pages[1:]:
                await client.chat_postMessage(
                    channel=posted_channel, text=text, blocks=page, thread_ts=ts, unfurl_links=False, unfurl_media=False
                )
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            log.warning("slack delivery %s: a continuation page in the thread failed: %s", key, delivery_error(exc))
        return SendResult(channel=str(posted_channel), message_id=str(ts) if ts else None)

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        """Post ``reply`` publicly in ``channel`` (a re-send of ``key`` checks it was not posted already)."""
        client = await self._client(workspace)
        return await self._post(client, channel, reply, key)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        """Open (or reuse) the DM with ``user`` and post ``reply`` there (a re-send checks the DM first)."""
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

    async def send_thread(self, *, workspace: str, channel: str, parent: str, reply: Reply, key: str) -> SendResult:
        """Post ``reply`` under ``parent`` (``thread_ts``), without broadcasting it to the channel."""
        client = await self._client(workspace)
        page = render_pages(reply.safe().public())[0]
        try:
            posted = await _single_shot(client).chat_postMessage(
                channel=channel,
                thread_ts=parent,
                text=fallback_text(reply.safe()),
                blocks=page,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": DELIVERY_EVENT_TYPE, "event_payload": {"key": key[:200]}},
            )
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise delivery_error(exc) from None
        ts = posted.get("ts")
        return SendResult(channel=str(posted.get("channel") or channel), message_id=str(ts) if ts else None)

    async def update(self, *, workspace: str, channel: str, message_id: str, reply: Reply) -> SendResult:
        """``chat.update`` the message ``message_id`` (its ``ts``) with ``reply``'s first page."""
        client = await self._client(workspace)
        page = render_pages(reply.safe().public())[0]
        try:
            await client.chat_update(channel=channel, ts=message_id, text=fallback_text(reply.safe()), blocks=page)
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as exc:
            raise delivery_error(exc) from None
        return SendResult(channel=channel, message_id=message_id)


def _marker(key: str) -> str:
    """The ``processed_event`` id of a delivery key (hashed when it would not fit)."""
    if len(key) <= 190:
        return "send:" + key
    return "send:#" + hashlib.sha256(key.encode()).hexdigest()


def _certainly_not_posted(exc: Exception) -> bool:
    """Slack answered and refused (``ok: false``, 4xx, 429), or the connection never opened."""
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 0) or 0
        return 0 < status < 500
    return isinstance(exc, ClientConnectorError)


def _single_shot(client: AsyncWebClient) -> AsyncWebClient:
    """``client`` without retries that could post twice: only 429s and connections that never opened."""
    handlers: list[AsyncRetryHandler] = [
        h for h in client.retry_handlers if isinstance(h, AsyncRateLimitErrorRetryHandler)
    ]
    handlers.append(AsyncConnectionErrorRetryHandler(max_retry_count=2, error_types=[ClientConnectorError]))
    return AsyncWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        session=client.session,
        headers=dict(client.headers),
        logger=client.logger,
        retry_handlers=handlers,
    )
