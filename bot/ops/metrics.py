"""The Prometheus families (``prometheus-client``), and the label rules that keep them small.

Every replica exposes its own registry on ``GET /metrics``; Prometheus adds the
instance label. Labels only ever take values from small fixed sets (platforms,
command names, outbox states, delivery kinds): never question text or user ids,
so a chatty team cannot grow the number of series.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

# The label vocabularies (re-exported) live in ``bot.ops.metric_labels``, without prometheus_client, so one-shot
# commands can label their log lines without importing the metrics stack.
from bot.kernel.commands import KNOWLEDGE_WORDS
from bot.ops.metric_labels import KIND_LABELS, OUTBOX_STATES, PLATFORM_LABELS, bounded

__all__ = [
    "REGISTRY",
    "COMMANDS",
    "ANSWER_SECONDS",
    "OUTBOX_ROWS",
    "DELIVERY_LAG",
    "RATE_LIMITED",
    "DEAD_LETTERS",
    "QUESTIONS_DROPPED",
    "DELIVERIES",
    "LEASE_LOSSES",
    "DATABASE_ERRORS",
    "DB_POOL",
    "KNOWLEDGE_WORDS",
    "OUTBOX_STATES",
    "bounded",
]

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

COMMANDS = Counter(
    "cos_commands_total",
    "Commands answered, by platform, command (with its sub-command) and whether it matched.",
    ("platform", "command", "matched"),
    registry=REGISTRY,
)
ANSWER_SECONDS = Histogram(
    "cos_answer_seconds",
    "Seconds from a request reaching the core to its reply being ready.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
OUTBOX_ROWS = Gauge(
    "cos_outbox_rows",
    "Outbox rows by state, read from the database (shared by every replica).",
    ("state",),
    registry=REGISTRY,
)
DELIVERY_LAG = Histogram(
    "cos_delivery_lag_seconds",
    "Seconds from a delivery's due time to its send.",
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0),
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "cos_platform_rate_limited_total",
    "Sends a platform refused with a rate limit (429, Retry-After).",
    ("platform",),
    registry=REGISTRY,
)
DEAD_LETTERS = Counter(
    "cos_dead_letters_total",
    "Deliveries given up (permanent error or attempts used up), by kind.",
    ("kind",),
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "cos_deliveries_total",
    "Delivery tries by kind and outcome (sent, fallback, skipped, retry, rate_limited, dead).",
    ("kind", "outcome"),
    registry=REGISTRY,
)
LEASE_LOSSES = Counter(
    "cos_lease_losses_total", "Outbox rows this replica claimed but lost to another before sending.", registry=REGISTRY
)
DATABASE_ERRORS = Counter("cos_database_errors_total", "Errors raised by the database driver.", registry=REGISTRY)
DB_POOL = Gauge(
    "cos_db_pool_connections",
    "Connections of this replica's database pool at the scrape: in use (checked out) and idle (kept open).",
    ("state",),
    registry=REGISTRY,
)
QUESTIONS_DROPPED = Counter(
    "cos_questions_dropped_total",
    "Knowledge questions answered but never written to the question log (queue full while the database was away, "
    "or not written at shutdown).",
    registry=REGISTRY,
)

# Every known label value starts at 0, so ``increase()`` sees the first rate limit or dead letter
# (a series born at 1 has no earlier sample to increase from; Prometheus' own advice).
for _platform in PLATFORM_LABELS:
    RATE_LIMITED.labels(platform=_platform)
for _kind in KIND_LABELS:
    DEAD_LETTERS.labels(kind=_kind)
