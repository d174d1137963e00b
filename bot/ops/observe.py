"""One place that turns a finished request or delivery into metrics and one log line.

The router calls ``request_done`` for every request; the scheduler calls
``delivery_done`` for every delivery outcome. A log line carries ids, names and
numbers only: never the question text, never a token (the log formatter
redacts those anyway).

With ``LOG_JSON=true`` the fields become keys of the JSON object::

    {"message": "request", "request_id": "...", "platform": "slack", "workspace": "T1",
     "command": "cos-service digest", "matched": true, "latency_ms": 12.3, "outcome": "ok", ...}
    {"message": "delivery", "key": "...", "kind": "digest", "lag_s": 1.5, "attempt": 1,
     "outcome": "sent", ...}
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from datetime import datetime
from typing import Any, Protocol

from bot.kernel.reply import Reply
from bot.kernel.request import Request
from bot.ops.metric_labels import kind_label, platform_label

__all__ = ["request_done", "delivery_done", "FIELDS_ATTR", "EVENT_ATTR"]

request_log = logging.getLogger("cos.request")
delivery_log = logging.getLogger("cos.delivery")

# LogRecord attributes read by the JSON formatter (bot.ops.logs).
FIELDS_ATTR = "cos_fields"
EVENT_ATTR = "cos_event"


class _DeliveryRow(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def platform(self) -> str: ...
    @property
    def workspace(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def attempts(self) -> int: ...


def served_metrics() -> Any:
    """``bot.ops.metrics`` when this process serves ``/metrics`` (``bot.ops.web`` imports it), else None.

    One-shot commands (``ask``, ``console``) have nobody to scrape their counters, so they neither
    count nor import prometheus_client (part of their start-up budget, ``bench/cold_start.py``).
    """
    return sys.modules.get("bot.ops.metrics")


def _outcome(reply: Reply) -> str:
    if reply.error is None:
        return "ok"
    if reply.error.startswith("internal error"):
        return "error"
    if reply.title == "Sorry, I can't do that":
        return "refused"
    return "rejected"


def request_done(label: str, request: Request, reply: Reply, started: float) -> None:
    """Count and time one answered request (``label``: its command, ``Parsed.label``), and log one line about it.
    Never raises."""
    try:
        seconds = max(0.0, time.perf_counter() - started)
        command = label
        matched = bool(getattr(reply, "matched", True))
        platform = platform_label(request.platform)
        metrics = served_metrics()
        if metrics is not None:
            metrics.COMMANDS.labels(platform=platform, command=command, matched=str(matched).lower()).inc()
            metrics.ANSWER_SECONDS.observe(seconds)
        fields: dict[str, Any] = {
            "request_id": request.request_id or uuid.uuid4().hex[:12],
            "platform": request.platform,
            "workspace": request.workspace,
            "command": command,
            "matched": matched,
            "latency_ms": round(seconds * 1000, 1),
            "outcome": _outcome(reply),
        }
        _emit(request_log, "request", fields)
    except Exception:  # noqa: BLE001 - observing must never cost the person their answer
        request_log.debug("request metrics failed", exc_info=True)


def delivery_done(row: _DeliveryRow, *, outcome: str, at: datetime) -> None:
    """Count one delivery outcome (``sent``, ``fallback``, ``skipped``, ``retry``, ``rate_limited``,
    ``dead``, ``lost_lease``) and log one line about it. Never raises."""
    try:
        lag = (at - row.due_at).total_seconds()
        kind = kind_label(row.kind)
        metrics = served_metrics()
        if metrics is not None:
            metrics.DELIVERIES.labels(kind=kind, outcome=outcome).inc()
            if outcome in ("sent", "fallback"):
                metrics.DELIVERY_LAG.observe(max(0.0, lag))
            elif outcome == "rate_limited":
                metrics.RATE_LIMITED.labels(platform=platform_label(row.platform)).inc()
            elif outcome == "dead":
                metrics.DEAD_LETTERS.labels(kind=kind).inc()
            elif outcome == "lost_lease":
                metrics.LEASE_LOSSES.inc()
        fields: dict[str, Any] = {
            "key": row.key,
            "platform": row.platform,
            "workspace": row.workspace,
            "kind": row.kind,
            "lag_s": round(lag, 3),
            "attempt": row.attempts,
            "outcome": outcome,
        }
        _emit(delivery_log, "delivery", fields)
    except Exception:  # noqa: BLE001
        delivery_log.debug("delivery metrics failed", exc_info=True)


def _emit(logger: logging.Logger, event: str, fields: dict[str, Any]) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    text = " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in fields.items())
    logger.info("%s %s", event, text, extra={FIELDS_ATTR: fields, EVENT_ATTR: event})
