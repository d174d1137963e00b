"""Fixed label vocabularies of the metrics, without the metrics stack (``bot.ops.metrics`` re-exports them).

``bot.ops.observe`` labels its log lines with these in every process; ``prometheus_client`` is imported only
by processes that serve ``/metrics`` (``bot.ops.web``).
"""

from __future__ import annotations

__all__ = [
    "OUTBOX_STATES",
    "PLATFORM_LABELS",
    "KIND_LABELS",
    "bounded",
    "platform_label",
    "kind_label",
]

OUTBOX_STATES = ("pending", "claimed", "sent", "skipped", "dead")

# Fixed vocabularies for labels that come from stored or external data.
_PLATFORMS = frozenset({"slack", "discord", "console"})
_KINDS = frozenset({"digest", "checkin", "nudge", "milestone", "risk_review", "reminder", "review"})
# Every value those labels can take (``other`` included), for series that start at 0 (``bot.ops.metrics``).
PLATFORM_LABELS = (*sorted(_PLATFORMS), "other")
KIND_LABELS = (*sorted(_KINDS), "other")


def bounded(value: str, allowed: frozenset[str]) -> str:
    """``value`` when it is one of ``allowed``, else ``"other"`` (a label never grows without bound)."""
    return value if value in allowed else "other"


def platform_label(platform: str) -> str:
    return bounded(platform, _PLATFORMS)


def kind_label(kind: str) -> str:
    return bounded(kind, _KINDS)
