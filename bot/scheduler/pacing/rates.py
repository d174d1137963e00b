"""The rules every pacer follows: each platform's limits, and how a workspace's rate is learned.

A send books its channel's and its workspace's next slot; the workspace rate rises while sends
succeed and is cut on a 429 (``Adaptive``). ``Pacer`` applies these rules in memory,
``SharedPacer`` in one SQL statement; both share the arithmetic below.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass

__all__ = [
    "Limits",
    "Adaptive",
    "ADAPTIVE",
    "AHEAD",
    "Ahead",
    "PlatformLimits",
    "limits_for",
    "next_rate",
    "cut_rate",
    "first_ceiling",
    "BOOKED_AT",
    "booked_at",
]


@dataclass(frozen=True, slots=True)
class Limits:
    """Seconds between two messages to one channel; messages per second to one workspace.

    With ``adaptive`` the workspace rate is where sending starts, and the pacer learns the real
    one (``Adaptive``) between ``min_rate`` and ``max_rate``; without, it is a fixed rate (still
    held back by any ``Retry-After``).
    """

    channel_interval: float = 0.0
    workspace_rate: float | None = None
    adaptive: bool = False
    max_rate: float | None = None
    min_rate: float = 0.5


@dataclass(frozen=True, slots=True)
class Adaptive:
    """How a workspace's rate is learned: additive increase per send, multiplicative decrease on a 429.

    Until the first 429 the rate rises by ``step`` per send (so it reaches a big workspace's
    limit within a couple of seconds). A 429 sets the ceiling to the rate the refused send was
    booked at (the first time, to the sends booked in the second before it, ``first_ceiling()``:
    the fast climb overshoots by up to a second of sends before the platform's window fills)
    and cuts the rate to ``cut`` times that; one cut per ``Retry-After`` hold, since the sends
    already under way report the same overload. Every send booked before a 429 is booked again
    behind the hold at the cut rate. Below ``cruise`` of the ceiling the rate climbs back by
    ``step`` per send; above, it probes upwards by ``probe`` of the ceiling per second of sending
    (0.3 %: from the cut to the ceiling in about 25 s), so a 429, and the hold it costs,
    stays rare. The values were tuned in fake time against a stand-in with a one-second window
    (``tests/scheduler/test_pacing_adaptive.py``).
    """

    step: float = 1.0
    probe: float = 0.003
    cut: float = 0.93
    cruise: float = 0.9
    first_ceiling: float = 0.8


ADAPTIVE = Adaptive()

# Seconds before its slot that a send does what must happen before it goes but need not happen at
# the slot: the transport's preparation (``ahead``) and, shared, the check for a new Retry-After
# hold. Its round trips then do not make the send late: a late send bunches up with the next
# ones, and a platform that counts posts per second refuses the bunch.
AHEAD = 0.1

Ahead = Callable[[], Awaitable[None]]


class PlatformLimits(Mapping[str, Limits]):
    """Each platform's limits, as its plugin declares them (``Platform.limits``), asked for on first use.

    The core knows no platform's numbers: a platform is loaded only when something is paced for
    it, so a process that never sends (``cos-bot ask``) loads no platform at all.
    """

    def __init__(
        self, settings: object | None = None, *, lookup: Callable[[str, object | None], Limits | None] | None = None
    ) -> None:
        self._settings = settings
        self._lookup = lookup or _plugin_limits
        self._known: dict[str, Limits | None] = {}

    def __getitem__(self, platform: str) -> Limits:
        if platform not in self._known:
            self._known[platform] = self._lookup(platform, self._settings)
        found = self._known[platform]
        if found is None:
            raise KeyError(platform)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, found in self._known.items() if found is not None])

    def __len__(self) -> int:
        return sum(found is not None for found in self._known.values())


def _plugin_limits(platform: str, settings: object | None) -> Limits | None:
    from bot.plugins import platform_limits

    return platform_limits(platform, settings)


def limits_for(settings: object | None = None) -> PlatformLimits:
    """The installed platforms' limits under these settings (``COS_SLACK_WORKSPACE_RATE`` pins Slack's)."""
    return PlatformLimits(settings)


def next_rate(rate: float, ceiling: float | None, limits: Limits, tune: Adaptive = ADAPTIVE, sent: int = 1) -> float:
    """The rate after ``sent`` more sends were booked."""
    if not limits.adaptive or sent <= 0:
        return rate
    if ceiling is None or rate < tune.cruise * ceiling:
        rate += tune.step * sent
    else:
        rate += tune.probe * ceiling * sent / max(rate, 1e-6)
    return min(rate, limits.max_rate) if limits.max_rate else rate


def first_ceiling(rate: float, tune: Adaptive = ADAPTIVE) -> float:
    """The sends of the second before a send booked at ``rate`` during the first climb.

    The climb adds ``step`` per send, so the sends before it were booked at ``rate - step``,
    ``rate - 2 * step`` ...; as many fit in one second as the platform's window let through.
    Without a step (or with too few sends to fill a second) it is ``first_ceiling`` of the rate.
    """
    if tune.step <= 0:
        return rate * tune.first_ceiling
    elapsed, count, r = 0.0, 0, rate - tune.step
    while r > 0 and count < 10_000:
        elapsed += 1.0 / r
        if elapsed >= 1.0:
            return max(float(count), rate * 0.5)
        count += 1
        r -= tune.step
    return rate * tune.first_ceiling


def cut_rate(rate: float, ceiling: float | None, limits: Limits, tune: Adaptive = ADAPTIVE) -> tuple[float, float]:
    """(new rate, new ceiling) after a 429 met by a send booked at ``rate``."""
    new_ceiling = first_ceiling(rate, tune) if ceiling is None else rate
    return max(limits.min_rate, new_ceiling * tune.cut), max(limits.min_rate, new_ceiling)


# The rate this task's last send was booked at: a 429 it meets is pinned on that rate, not on the
# rate booked last (sends are booked ahead, up to ``concurrency`` of them, at rising rates).
BOOKED_AT: contextvars.ContextVar[tuple[str, str, float] | None] = contextvars.ContextVar(
    "cos_booked_rate", default=None
)


def booked_at(platform: str, workspace: str) -> float | None:
    booked = BOOKED_AT.get()
    return booked[2] if booked is not None and booked[:2] == (platform, workspace) else None
