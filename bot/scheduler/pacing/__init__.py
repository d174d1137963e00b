"""Outbound pacing: spread a fan-out under the platforms' per-channel and per-workspace limits.

Each send reserves the next free slot of its channel and of its workspace
(reservation, not a bucket that refills: a burst of 2,000 sends becomes an
even stream at the allowed rate instead of a wall of 429s). A ``Retry-After``
from the platform pushes the workspace's next slot back. The workspace rate is
learned (``Adaptive``): Slack publishes none, so a fixed guess is either too
slow for a big workspace or too fast for a small one.

``Pacer`` keeps the slots in memory: right for SQLite, where one process
sends. On PostgreSQL several replicas drain one outbox, so ``SharedPacer``
keeps them in the ``send_pace`` table (one row per workspace and per channel)
and books each send with one atomic statement; a ``Retry-After`` seen by one
replica holds the workspace for all of them. ``pacer_for`` picks by dialect.

``rates`` holds the rules both follow, ``pacer`` the in-process one, ``shared`` the
table-backed one, and ``rate_limits`` how a transport reports a 429 its SDK met.
"""

from __future__ import annotations

from bot.scheduler.pacing.pacer import Pacer, PacerLike, pacer_for
from bot.scheduler.pacing.rates import (
    ADAPTIVE,
    AHEAD,
    Adaptive,
    Ahead,
    Limits,
    PlatformLimits,
    cut_rate,
    first_ceiling,
    limits_for,
    next_rate,
)
from bot.scheduler.pacing.shared import SharedPacer, prune

__all__ = [
    "Limits",
    "Adaptive",
    "ADAPTIVE",
    "AHEAD",
    "Ahead",
    "Pacer",
    "SharedPacer",
    "PacerLike",
    "pacer_for",
    "limits_for",
    "PlatformLimits",
    "next_rate",
    "cut_rate",
    "first_ceiling",
    "prune",
]
