"""The Web API client: base URL from settings, retries for 429, 5xx and dropped connections.

All SDK logging goes through two named loggers with a redacting filter, so
no token or signing secret reaches a log line, whatever the level.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientConnectionError, ServerDisconnectedError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.kernel.settings import Settings
from bot.ops.logs import redact
from bot.scheduler.pacing import rate_limits

__all__ = ["RetryPolicy", "make_client", "retry_handlers", "sdk_logger", "bolt_logger", "secrets_of", "DEFAULT_API_URL"]

DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the client tries. Tests shrink the waits; production keeps the defaults."""

    rate_limit_retries: int = 3
    server_error_retries: int = 2
    connection_retries: int = 2
    backoff: float = 0.5  # seconds, doubled per attempt
    jitter: float = 0.5  # at most this much extra after a Retry-After wait
    max_retry_after: float = 60.0  # a Retry-After longer than this is not waited for
    timeout: int = 10  # seconds per HTTP call


class _RateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """Honours ``Retry-After`` (with a little jitter), but never waits longer than ``max_wait``."""

    def __init__(self, *, max_retry_count: int, jitter: float, max_wait: float) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.jitter = jitter
        self.max_wait = max_wait

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429 and _paced(request):
            # Tell the scheduler's pacer (when a scheduled send is under way), retried here or not.
            await rate_limits.report(_retry_after(response))
        return await super().can_retry_async(state=state, request=request, response=response, error=error)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return _retry_after(response) <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        wait = _retry_after(response) if response is not None else 1.0
        # A scheduled send waits for its pacer's next slot (behind the hold the 429 put on the
        # workspace); anything else sleeps out the Retry-After.
        if not await rate_limits.wait_turn():
            await asyncio.sleep(wait + random.random() * self.jitter)
        state.increment_current_attempt()


# The methods whose 429s mean the workspace's message limit, the one the scheduler's pacer learns.
_PACED_METHODS = ("chat.postMessage", "chat.update")


def _paced(request: HttpRequest) -> bool:
    return str(getattr(request, "url", "")).rstrip("/").rsplit("/", 1)[-1] in _PACED_METHODS


def _retry_after(response: HttpResponse) -> float:
    for key, values in response.headers.items():
        if key.lower() == "retry-after":
            raw = values[0] if isinstance(values, list) else values
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return 1.0
    return 1.0


def retry_handlers(policy: RetryPolicy) -> list[AsyncRetryHandler]:
    """429 (Retry-After), 500/503 and connection errors, with exponential backoff."""
    backoff = BackoffRetryIntervalCalculator(backoff_factor=policy.backoff)
    return [
        _RateLimitHandler(
            max_retry_count=policy.rate_limit_retries, jitter=policy.jitter, max_wait=policy.max_retry_after
        ),
        AsyncServerErrorRetryHandler(max_retry_count=policy.server_error_retries, interval_calculator=backoff),
        AsyncConnectionErrorRetryHandler(
            max_retry_count=policy.connection_retries,
            interval_calculator=backoff,
            error_types=[ClientConnectionError, ServerDisconnectedError, asyncio.TimeoutError],
        ),
    ]


def secrets_of(settings: Settings) -> tuple[str, ...]:
    return tuple(
        s
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_secret,
        )
        if s
    )


class _Redact(logging.Filter):
    """Masks tokens and configured secrets in a record before any handler sees it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still logged, as text
            message = str(record.msg)
        for secret in self.secrets:
            if len(secret) >= 6:
                message = message.replace(secret, "***")
        record.msg = redact(message)
        record.args = ()
        return True


class _Expected(logging.Filter):
    """Bolt warns that it ignores ``SLACK_BOT_TOKEN`` from the environment when given a client. We give it
    our client (built from the same settings) on purpose, so that line is debug, not a warning."""

    _MESSAGES = ("As you gave `client` as well, `token` will be unused.",)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.getMessage() in self._MESSAGES:
            if not logging.getLogger(record.name).isEnabledFor(logging.DEBUG):
                return False
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_FILTER = _Redact()
sdk_logger = logging.getLogger("adapters.slack.sdk")
bolt_logger = logging.getLogger("adapters.slack.bolt")
for _logger in (sdk_logger, bolt_logger, logging.getLogger("adapters.slack")):
    _logger.addFilter(_FILTER)
bolt_logger.addFilter(_Expected())


def remember_secrets(settings: Settings) -> None:
    """Teach the log filter this process's secrets (signing secret, client secret...)."""
    _FILTER.secrets.update(secrets_of(settings))


def make_client(
    settings: Settings, *, token: str | None = None, policy: RetryPolicy | None = None, **kwargs: Any
) -> AsyncWebClient:
    """An ``AsyncWebClient`` pointed at ``SLACK_API_URL`` (Slack's by default), with retries."""
    policy = policy or RetryPolicy()
    remember_secrets(settings)
    base_url = settings.slack_api_url or DEFAULT_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=policy.timeout,
        logger=sdk_logger,
        retry_handlers=retry_handlers(policy),
        **kwargs,
    )
