"""The delivery registry: what each kind of outbox row says, what each kind of schedule plans, what runs on a tick.

The scheduler knows no feature, the way APScheduler never knows what a job does: a feature
registers the kinds it owns (as it registers its commands), and the scheduler calls through
``Deliveries``. Importing this module is cheap: every ``App`` has one, one-shot commands included.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar, cast

from bot.kernel.lang import use_lang

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.app import App
    from bot.kernel.reply import Reply
    from bot.scheduler.models import Schedule
    from bot.scheduler.occurrences import Context, Occurrence
    from bot.scheduler.outbox import OutboxRow

__all__ = [
    "Batch",
    "DeliveryKind",
    "ScheduleKind",
    "TickHook",
    "Deliveries",
    "Renderer",
    "Prefetcher",
    "SentHook",
    "Planner",
    "Opener",
    "ContextLoader",
    "PreviewSource",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Batch:
    """What the renderers of one claimed batch share: each part is made once per batch, by key.

    A feature keeps its batch caches here (``batch.part("risk.registers", dict)``), so the rows of
    one claim read what they have in common with one query instead of one per row.
    """

    __slots__ = ("rows", "_parts")

    def __init__(self, rows: Iterable[OutboxRow] = ()) -> None:
        self.rows: tuple[OutboxRow, ...] = tuple(rows)
        self._parts: dict[str, object] = {}

    def part(self, key: str, make: Callable[[], T]) -> T:
        """The batch's ``key`` part, made with ``make()`` the first time it is asked for."""
        if key not in self._parts:
            self._parts[key] = make()
        return cast(T, self._parts[key])


# The message of one row (None: nothing to say any more). ``batch`` is the row's claimed batch (or one of its own).
Renderer = Callable[["App", "AsyncSession", "OutboxRow", datetime, Batch], Awaitable["Reply | None"]]
# Loads what a batch's rows of the kinds that share this function read, into ``batch``, in as few queries as it can.
Prefetcher = Callable[["AsyncSession", Batch, list["OutboxRow"]], Awaitable[None]]
# Runs after a row was sent (``sent_at``).
SentHook = Callable[["App", "OutboxRow", datetime], Awaitable[None]]
# A schedule's occurrences in ``(after, until]``, sorted by time.
Planner = Callable[["Schedule", "Context", datetime, datetime], list["Occurrence"]]
# Runs in the planning transaction before a schedule's chosen occurrences are queued; returns those to queue.
Opener = Callable[["AsyncSession", "Schedule", list["Occurrence"]], Awaitable[list["Occurrence"]]]
# Adds what a feature's planners read to a workspace's planning context.
ContextLoader = Callable[["AsyncSession", "Context"], Awaitable[None]]
# Deliveries queued outside planning that ``cos-bot schedule preview`` lists, in ``(after, until]``.
PreviewSource = Callable[["AsyncSession", datetime, datetime], Awaitable[list["Occurrence"]]]
# Keeps the previewed occurrences that will be sent (drops, say, the nudge of a check-in that was skipped).
PreviewFilter = Callable[["AsyncSession", list["Occurrence"]], Awaitable[list["Occurrence"]]]


@dataclass(frozen=True, slots=True)
class DeliveryKind:
    """A kind of outbox row (``row.kind``) and how it becomes a message.

    ``prefetch`` is called once per claimed batch for every distinct function, with the batch's rows
    of all the kinds that name it. ``on_sent`` runs once the row was sent. ``dm_closed``, when set,
    skips a DM that cannot be delivered (with that reason) instead of posting it in the channel.
    ``expires``: past the grace window the row is not sent any more; it is recorded as missed.
    ``render_ahead``: a row claimed before its due instant is rendered then, with its batch; False renders it
    at its due instant (a message that what people do meanwhile may cancel: a skipped or answered check-in).
    """

    name: str
    render: Renderer
    prefetch: Prefetcher | None = None
    on_sent: SentHook | None = None
    dm_closed: str | None = None
    expires: bool = False
    render_ahead: bool = True


@dataclass(frozen=True, slots=True)
class ScheduleKind:
    """A kind of schedule (``schedule.kind``) and what it plans.

    ``catch_up``: after downtime, the occurrences missed become one, whose payload says
    ``catch_up`` and how many were ``missed``. ``before_enqueue`` may drop occurrences and
    write what they need (in the planning transaction) before they are queued.
    """

    name: str
    occurrences: Planner
    catch_up: bool = False
    before_enqueue: Opener | None = None


@dataclass(frozen=True, slots=True)
class TickHook:
    """Work a feature does on every tick, before or after the outbox is drained.

    A failure is logged with ``failure`` and does not stop the tick (the next one tries again).
    """

    name: str
    run: Callable[[App, datetime], Awaitable[object]]
    after_drain: bool = False
    failure: str = ""


class Deliveries:
    """The kinds the installed features deliver, filled as the features register (``TeamFeature``).

    Registering the same thing twice is harmless; two different things under one name is a
    programming error and raises ``ValueError``.
    """

    def __init__(self) -> None:
        self._kinds: dict[str, DeliveryKind] = {}
        self._schedules: dict[str, ScheduleKind] = {}
        self._contexts: list[ContextLoader] = []
        self._hooks: list[TickHook] = []
        self._previews: list[PreviewSource] = []
        self._preview_filters: list[PreviewFilter] = []
        self._unknown: set[str] = set()

    # -- registering ------------------------------------------------------------------------
    def add_kind(self, kind: DeliveryKind) -> None:
        """Own the outbox rows of ``kind.name``: their rendering and what happens around their send."""
        _put(self._kinds, kind.name, kind, "delivery kind")

    def add_schedule_kind(self, kind: ScheduleKind) -> None:
        """Own the schedules of ``kind.name``: their occurrences."""
        _put(self._schedules, kind.name, kind, "schedule kind")

    def add_planner_context(self, load: ContextLoader) -> None:
        """Load what planners read (people's zones, milestones, time off) into each workspace's context."""
        if load not in self._contexts:
            self._contexts.append(load)

    def add_tick_hook(self, hook: TickHook) -> None:
        """Run ``hook`` on every tick (before the drain, or after it with ``after_drain``)."""
        if any(h.name == hook.name and h != hook for h in self._hooks):
            raise ValueError(f"two different tick hooks are named {hook.name!r}")
        if hook not in self._hooks:
            self._hooks.append(hook)

    def add_preview_source(self, source: PreviewSource) -> None:
        """List deliveries queued outside planning (a snoozed reminder) in the preview."""
        if source not in self._previews:
            self._previews.append(source)

    def add_preview_filter(self, keep: PreviewFilter) -> None:
        """Leave out of the preview what will not be sent after all (a skipped check-in's nudge)."""
        if keep not in self._preview_filters:
            self._preview_filters.append(keep)

    # -- reading ----------------------------------------------------------------------------
    def kind(self, name: str) -> DeliveryKind | None:
        """The delivery kind named ``name``; None (logged once per name and registry) when nobody registered it."""
        found = self._kinds.get(name)
        if found is None and name not in self._unknown:
            self._unknown.add(name)
            log.warning("no feature delivers %r rows (is the feature that queued them installed?)", name)
        return found

    def schedule_kind(self, name: str) -> ScheduleKind | None:
        """The schedule kind named ``name``; None (logged once per name and registry) when nobody registered it."""
        found = self._schedules.get(name)
        if found is None and f"schedule:{name}" not in self._unknown:
            self._unknown.add(f"schedule:{name}")
            log.warning("no feature plans %r schedules (is the feature that made them installed?)", name)
        return found

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    @property
    def schedule_kinds(self) -> tuple[str, ...]:
        return tuple(self._schedules)

    @property
    def planner_contexts(self) -> tuple[ContextLoader, ...]:
        return tuple(self._contexts)

    @property
    def preview_sources(self) -> tuple[PreviewSource, ...]:
        return tuple(self._previews)

    @property
    def preview_filters(self) -> tuple[PreviewFilter, ...]:
        return tuple(self._preview_filters)

    def tick_hooks(self, *, after_drain: bool) -> tuple[TickHook, ...]:
        return tuple(h for h in self._hooks if h.after_drain == after_drain)

    # -- rendering --------------------------------------------------------------------------
    async def prefetch(self, session: AsyncSession, rows: list[OutboxRow]) -> Batch:
        """A batch for ``rows``, with what their kinds prefetch loaded (one call per distinct prefetcher)."""
        batch = Batch(rows)
        wanted: dict[Prefetcher, list[OutboxRow]] = {}
        for r in rows:
            kind = self._kinds.get(r.kind)
            if kind is not None and kind.prefetch is not None:
                wanted.setdefault(kind.prefetch, []).append(r)
        for prefetch, mine in wanted.items():
            await prefetch(session, batch, mine)
        return batch

    async def render(
        self, app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch | None = None
    ) -> Reply | None:
        """The message for ``row`` in its workspace's language; None when there is nothing to say any more,
        or nobody renders its kind."""
        kind = self.kind(row.kind)
        if kind is None:
            return None
        router = getattr(app, "router", None)  # a renderer tried on its own (no app) speaks English
        lang = await router.lang_for(row.platform, row.workspace) if router is not None else "en"
        with use_lang(lang):
            return await kind.render(app, session, row, now, batch if batch is not None else Batch((row,)))


def _put(table: dict[str, T], name: str, value: T, what: str) -> None:
    if table.get(name, value) != value:
        raise ValueError(f"two different {what}s are named {name!r}")
    table[name] = value
