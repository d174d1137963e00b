"""Team features: stage and milestones, digests, check-ins and their answers, the risk register, schedules.

Each feature is one module with one class that registers its sub-commands, buttons and
DM handlers with the router (``features``), and the delivery kinds it owns with the
scheduler's registry (``bot.team.delivery``). Queries live in ``bot.team.store``;
deliveries go through the scheduler's outbox (``bot.scheduler``), which imports no feature.
Importing the package is cheap (the CLI registers ``checkin export`` from here); ``install``
loads the features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.kernel.commands import TEAM_WORDS

if TYPE_CHECKING:
    from bot.team.base import Team, TeamFeature

__all__ = ["features", "install"]


def features() -> tuple[type[TeamFeature], ...]:
    """Every team feature, in the order they register."""
    from bot.team.answers import AnswerCommands
    from bot.team.audit import AuditCommands
    from bot.team.availability import AvailabilityCommands
    from bot.team.checkins import CheckinCommands
    from bot.team.dashboard import DashboardCommands
    from bot.team.digests import DigestCommands
    from bot.team.forget import ForgetCommands
    from bot.team.language import LanguageCommands
    from bot.team.risks import RiskCommands
    from bot.team.schedules import ScheduleCommands
    from bot.team.snooze import SnoozeCommands
    from bot.team.stage import StageCommands
    from bot.team.stats import StatsCommands
    from bot.team.teach import TeachCommands

    # SnoozeCommands reads "skip"/"snooze 1h" in a DM before the check-in takes it as an answer.
    return (
        StageCommands,
        DigestCommands,
        SnoozeCommands,
        CheckinCommands,
        AnswerCommands,
        RiskCommands,
        ScheduleCommands,
        AvailabilityCommands,
        AuditCommands,
        ForgetCommands,
        TeachCommands,
        StatsCommands,
        DashboardCommands,
        LanguageCommands,
    )


def install(team: Team, *, defer: bool = False) -> list[TeamFeature]:
    """Register the team features with ``team.router`` (and their deliveries with ``team.deliveries``);
    returns those registered now.

    With ``defer`` they are imported and registered on the first request that needs one of them
    (``Router.defer``, routed by the first words in ``bot.kernel.commands.TEAM_WORDS``): a one-shot
    question never loads the team's tables or the schedules' code.
    """
    team.router.set_language_source(team.languages, default=team.settings.default_lang, known=team.languages.known)
    installed: list[TeamFeature] = []

    def load() -> None:
        for feature in features():
            loaded = feature(team)
            loaded.register(team.router)
            team.router.add_help(loaded.HELP)
            loaded.register_deliveries(team.deliveries)
            installed.append(loaded)

    if defer:
        team.router.defer([(command, word) for command, words in TEAM_WORDS.items() for word in words], load)
    else:
        load()
    return installed
