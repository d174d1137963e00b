"""Handle each Discord interaction and DM once, across gateway sessions, replicas and the HTTP endpoint.

Discord sends an event to every open gateway session of a bot, and during a hand-over two
replicas may briefly both hold one. The first to record the id in ``processed_event`` (the
table Slack's ``event_id`` de-duplication uses, under platform ``discord``) handles it; the
unique constraint decides, so this holds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.storage.processed_event import EventLog

__all__ = ["PLATFORM", "RETENTION", "first_time", "housekeeping", "interaction_key", "message_key", "prune"]

PLATFORM = "discord"
RETENTION = timedelta(days=1)  # interaction tokens live 15 minutes; a day is plenty


def interaction_key(interaction_id: int | str) -> str:
    return f"interaction:{interaction_id}"


def message_key(message_id: int | str) -> str:
    return f"message:{message_id}"


async def first_time(app: App, key: str) -> bool:
    """Record ``key``; False when another session or replica already took it (``EventLog``'s policy)."""
    return await EventLog(app.db, app.clock, platform=PLATFORM).first_time(key)


async def prune(app: App, *, older_than: timedelta = RETENTION) -> int:
    """Delete Discord's ``processed_event`` rows older than ``older_than``; how many."""
    return await EventLog(app.db, app.clock, platform=PLATFORM).prune(older_than=older_than)


async def housekeeping(app: App, *, interval: float = 3600.0, older_than: timedelta = RETENTION) -> None:
    """Prune old ids now and every ``interval`` seconds until cancelled; a failure waits for the next round."""
    await EventLog(app.db, app.clock, platform=PLATFORM).keep_pruned(older_than=older_than, interval=interval)
