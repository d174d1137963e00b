"""Delivery: planning occurrences, the outbox, pacing, and the polling service.

The engine knows no feature: what a delivery says, what a schedule plans and what runs
on a tick are registered by the features (``registry.Deliveries``, one per App), and
this package delivers them once. ``bot.app.build_app`` wires it. Importing the package
is cheap (the CLI registers ``schedule`` from here); ``Scheduler`` loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.scheduler.service import DrainStats, Scheduler

__all__ = ["Scheduler", "DrainStats"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bot.scheduler import service

        return getattr(service, name)
    raise AttributeError(name)
