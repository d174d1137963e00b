"""Team features: stage and milestones, digests, check-ins and their answers, the risk register, schedules.

Each feature is one module with one class that registers its sub-commands, buttons and
DM handlers with the router (``features``). Queries live in ``bot.team.store``;
deliveries go through the scheduler's outbox (``bot.scheduler``). Importing the package
is cheap (the CLI registers ``checkin export`` from here); ``install`` loads the features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.team.base import Team, TeamFeature

__all__ = ["features", "install"]


def features() -> tuple[type[TeamFeature], ...]:
    """Every team feature, in the order they register."""
    from bot.team.answers import AnswerCommands
    from bot.team.audit import AuditCommands
    from bot.team.availability import AvailabilityCommands
    from bot.team.checkins import CheckinCommands
    from bot.team.digests import DigestCommands
    from bot.team.feedback import FeedbackCommands
    from bot.team.forget import ForgetCommands
    from bot.team.risks import RiskCommands
    from bot.team.schedules import ScheduleCommands
    from bot.team.snooze import SnoozeCommands
    from bot.team.stage import StageCommands
    from bot.team.teach import TeachCommands

    # SnoozeCommands reads "skip"/"snooze 1h" in a DM before the check-in takes it as an answer.
    return (StageCommands, DigestCommands, SnoozeCommands, CheckinCommands, AnswerCommands, RiskCommands,
            ScheduleCommands, AvailabilityCommands, AuditCommands, ForgetCommands, FeedbackCommands, TeachCommands)


def install(team: Team) -> list[TeamFeature]:
    """Register every team feature with ``team.router``; returns the features."""
    installed = [feature(team) for feature in features()]
    for feature in installed:
        feature.register(team.router)
    return installed
