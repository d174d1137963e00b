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
    from bot.answering.answer import FeedbackCommands
    from bot.team.answers import AnswerCommands
    from bot.team.audit import AuditCommands
    from bot.team.availability import AvailabilityCommands
    from bot.team.checkins import CheckinCommands
    from bot.team.digests import DigestCommands
    from bot.team.forget import ForgetCommands
    from bot.team.language import LanguageCommands
    from bot.team.risks import RiskCommands
    from bot.team.schedules import ScheduleCommands
    from bot.team.snooze import SnoozeCommands
    from bot.team.stage import StageCommands
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
        FeedbackCommands,
        TeachCommands,
        LanguageCommands,
    )


# The first word of every sub-command of the features ``install`` defers, by command: the router
# routes them before those features are imported. tests/bot/test_team_deferred.py keeps this list
# in step with what the features register.
DEFERRED_WORDS: dict[str, tuple[str, ...]] = {
    "cos-service": (
        "audit",
        "away",
        "back",
        "check-in",
        "checkin",
        "digest",
        "forget",
        "gaps",
        "holiday",
        "holidays",
        "language",
        "milestone",
        "milestones",
        "schedules",
        "skip",
        "snooze",
        "stage",
        "stats",
        "teach",
        "timezone",
        "unschedule",
        "语言",
    ),
    "cos-risk": ("accept", "owner", "register", "review", "schedule"),
}


def install(team: Team, *, defer: bool = False) -> list[TeamFeature]:
    """Register the team features with ``team.router``; returns those registered now.

    The one that answers knowledge questions (logged, with 👍/👎) is registered at once. With
    ``defer`` the others are imported and registered on the first request that needs one of them
    (``Router.defer``): a one-shot question never loads the team's tables or the schedules' code.
    """
    from bot.answering.answer import FeedbackCommands

    team.router.set_language_source(team.languages, default=team.settings.default_lang)
    answering = FeedbackCommands(team)
    answering.register(team.router)
    team.router.add_help(answering.HELP)
    installed: list[TeamFeature] = [answering]

    def load() -> None:
        for feature in features():
            if feature is not FeedbackCommands:
                loaded = feature(team)
                loaded.register(team.router)
                team.router.add_help(loaded.HELP)
                installed.append(loaded)

    if defer:
        team.router.defer([(command, word) for command, words in DEFERRED_WORDS.items() for word in words], load)
    else:
        load()
    return installed
