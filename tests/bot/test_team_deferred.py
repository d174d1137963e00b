"""Team features are loaded on first use: a knowledge question never imports them, and the first request that
needs one (a sub-command, a DM, a button) loads them all and is answered as if they had always been there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.commands import TEAM_WORDS
from bot.kernel.request import Request
from bot.kernel.router import Action, Router
from bot.kernel.settings import Settings
from bot.team import features, install
from bot.team.base import Team
from tests.conftest import Harness, shared_knowledge


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    """As ``cos-bot ask`` builds it: the team features deferred."""
    application = await build_app(settings, clock=clock, knowledge=shared_knowledge(), defer_team=True)
    try:
        yield application
    finally:
        await application.close()


def _registered(app: App) -> dict[str, set[str]]:
    """The first words the deferred features register, installed into a router of their own."""
    router = Router(app.answering)
    previous, app.router = app.router, router  # a feature registers with its App's router
    try:
        for feature in features():
            feature(Team(app)).register(router)
    finally:
        app.router = previous
    words: dict[str, set[str]] = {}
    for command, sub in router._subcommands:
        words.setdefault(command, set()).add(sub.split()[0])
    return words


async def test_the_deferred_words_are_the_words_the_features_register(app: App) -> None:
    assert {command: set(words) for command, words in TEAM_WORDS.items()} == _registered(app)


async def test_a_knowledge_question_loads_no_team_feature(app: App, harness: Harness) -> None:
    reply = await harness.say("/cos-service legal")
    assert reply.title == "Comprehensive Legal Services"
    assert app.router._loader is not None  # still deferred
    asked = Request(
        platform="console", workspace="T1", channel="C1", user="U1", command="cos-service", text="digest off"
    )
    assert app.router.parse(asked).is_team  # known without loading
    assert app.router._loader is not None


async def test_the_first_sub_command_loads_them_and_is_answered(app: App, admin: Harness) -> None:
    text = await admin.text("/cos-service digest off")  # two words: found once the features are loaded
    assert app.router._loader is None
    assert "digest" in text.lower() and "I only know" not in text
    assert (await admin.say("/cos-service stage")).title == "No stage set yet"


async def test_a_dm_loads_them_so_a_check_in_answer_is_heard(app: App, harness: Harness) -> None:
    assert app.router._loader is not None
    await harness.say("skip", channel="D1")
    assert app.router._loader is None
    assert len(app.router._dm_handlers) == 2  # snooze's, then the check-in's


async def test_a_button_of_a_deferred_feature_loads_them(app: App) -> None:
    reply = await app.router.handle_action(
        Action(
            platform="console",
            workspace="T1",
            channel="C1",
            user="U1",
            action="milestone.done",
            value="999",
            role="admin",
        )
    )
    assert app.router._loader is None
    assert reply is not None and "went wrong" not in (reply.title or "").lower()


async def test_a_long_running_bot_loads_them_at_start(settings: Settings, clock: FakeClock) -> None:
    eager = await build_app(settings, clock=clock, knowledge=shared_knowledge())
    try:
        assert eager.router._loader is None and len(eager.router._dm_handlers) == 2
    finally:
        await eager.close()


async def test_installing_without_deferral_registers_everything_at_once(app: App) -> None:
    router = Router(app.answering)
    previous, app.router = app.router, router
    try:
        installed = install(Team(app), defer=False)
    finally:
        app.router = previous
    assert len(installed) == len(features()) and router._loader is None


async def test_the_scheduler_of_a_deferred_app_loads_the_features_whose_kinds_it_delivers(app: App) -> None:
    assert app.deliveries.kinds == ()  # a one-shot question registers no delivery
    scheduler = app.scheduler
    assert app.router._loader is None
    assert {"digest", "checkin", "milestone"} <= set(scheduler.app.deliveries.kinds)
