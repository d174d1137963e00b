"""The scheduler: stage and milestones, risk register, digests and DM check-ins, delivered once.

Importing this package registers an App extension that adds the team
commands to the router and, when ``COS_SCHEDULER`` is on, the polling loop
to ``app.background``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.app import register_extension
from bot.scheduler.service import DrainStats, Scheduler

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["Scheduler", "DrainStats", "scheduler_for", "install"]

_SCHEDULERS: dict[int, Scheduler] = {}


def scheduler_for(app: App) -> Scheduler:
    """The scheduler wired into ``app``."""
    return _SCHEDULERS[id(app)]


def install(app: App) -> None:
    """Wire the scheduler into a built App (runs once per App)."""
    from bot.scheduler.commands import TeamCommands

    if id(app) in _SCHEDULERS:
        return
    scheduler = Scheduler(app)
    _SCHEDULERS[id(app)] = scheduler

    async def forget() -> None:
        _SCHEDULERS.pop(id(app), None)

    app.closers.append(forget)
    TeamCommands(app, scheduler).register()
    if app.settings.scheduler_enabled:
        async def loop(_app: App) -> None:
            await scheduler.run()

        app.background.append(loop)


register_extension(install)
