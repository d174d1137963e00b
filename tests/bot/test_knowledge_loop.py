"""The knowledge loop through the real router and database: the question log, 👍/👎, gaps, teaching, stats,
retention, and a workspace never seeing another's log, votes or phrases. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.answering import votes
from bot.answering.answer import VERSION_CHECK_SECONDS
from bot.answering.models import KnowledgeFeedback, KnowledgeQuestion, TaughtPhraseRow
from bot.app import App, build_app
from bot.kernel.clock import FakeClock
from bot.kernel.reply import Reply, to_text
from bot.kernel.router import Action
from bot.kernel.settings import Settings
from tests.conftest import Harness, shared_knowledge

LEGAL = "area.comprehensive-legal-services"


@pytest.fixture
async def app(db_url: str, clock: FakeClock) -> AsyncIterator[App]:
    application = await build_app(
        Settings(database_url=db_url, scheduler_enabled=False), clock=clock, knowledge=shared_knowledge()
    )
    try:
        yield application
    finally:
        await application.close()


def people(app: App, workspace: str = "T1") -> tuple[Harness, Harness]:
    return (
        Harness(app, workspace=workspace, user="U1", role="member"),
        Harness(app, workspace=workspace, user="UA", role="admin"),
    )


def press(
    app: App, button_action: str, value: str, *, workspace: str = "T1", user: str = "U1", role: str = "member"
) -> Action:
    return Action(
        platform="console", workspace=workspace, channel="C1", user=user, action=button_action, value=value, role=role
    )


def answer_id(reply: Reply) -> str:
    [up] = [b for b in reply.buttons if b.action == votes.UP]
    [down] = [b for b in reply.buttons if b.action == votes.DOWN]
    assert up.value == down.value and up.label == "👍" and down.label == "👎"
    return up.value


async def questions(app: App) -> list[KnowledgeQuestion]:
    """The question log as written (the journal writes it behind the answers: flush what is queued)."""
    await app.answering.journal.flush()
    async with app.db.session() as session:
        return list((await session.execute(select(KnowledgeQuestion).order_by(KnowledgeQuestion.id))).scalars())


async def stored_votes(app: App) -> list[KnowledgeFeedback]:
    async with app.db.session() as session:
        return list((await session.execute(select(KnowledgeFeedback).order_by(KnowledgeFeedback.id))).scalars())


# -- the log and the votes ------------------------------------------------------------------------
async def test_every_knowledge_answer_is_logged_and_carries_thumbs(app: App) -> None:
    member, _ = people(app)
    answered = await member.say("/cos-service Who can run our SOC 2 audit? <@U0BOSS>")
    unanswered = await member.say("/cos-risk what's the weather in Paris tomorrow")
    helped = await member.say("/cos-service help")
    assert answered.matched and not unanswered.matched
    answer_id(answered)
    # "I can't answer" has nothing to vote on (it is already a gap): only its "did you mean" buttons.
    assert all(b.action == "open" for b in unanswered.buttons)
    assert not [b for b in helped.buttons if b.action.startswith("feedback")]  # help is not an answer
    logged = await questions(app)
    assert [(q.text, q.command, q.matched) for q in logged] == [
        ("who can run our soc 2 audit", "cos-service", True),  # normalised, the mention left out
        ("what s the weather in paris tomorrow", "cos-risk", False),
    ]
    first = logged[0]
    assert (first.platform, first.workspace, first.user) == ("console", "T1", "U1")
    assert first.top_entry == answered.results[0] and first.score is not None and first.score > 0
    assert json.loads(first.shown) == list(answered.results[:10])
    assert first.asked_at == app.clock.now()
    # The shared answer cache is not spoiled by per-answer buttons.
    again = await member.say("/cos-service Who can run our SOC 2 audit? <@U0BOSS>")
    assert answer_id(again) != answer_id(answered) and again.results == answered.results


async def test_one_vote_per_person_per_answer_and_pressing_again_changes_it(app: App) -> None:
    member, _ = people(app)
    reply = await member.say("/cos-service legal")
    answer = answer_id(reply)
    router = app.router
    first = await router.handle_action(press(app, votes.UP, answer))
    assert first is not None and first.title == "Thanks for the 👍"
    same = await router.handle_action(press(app, votes.UP, answer))
    assert same is not None and same.title == "Your 👍 is already recorded"
    changed = await router.handle_action(press(app, votes.DOWN, answer))
    assert changed is not None and changed.title == "Changed your vote to 👎"
    # Without a platform form, the reasons come as buttons.
    reasons = [b for b in changed.buttons if b.action == votes.REASON]
    assert [json.loads(b.value)["r"] for b in reasons] == ["wrong_topic", "out_of_date", "missing_provider", "other"]
    await router.handle_action(press(app, votes.UP, answer, user="U2"))
    assert sorted((v.user, v.vote) for v in await stored_votes(app)) == [("U1", "down"), ("U2", "up")]

    noted = await router.handle_action(press(app, votes.REASON, reasons[2].value))
    assert noted is not None and noted.title == "Thanks, noted"
    comment = votes.reason_value(int(answer), "other", "Old <!here>\u202e list\x1b")
    await router.handle_action(press(app, votes.REASON, comment))
    mine = [v for v in await stored_votes(app) if v.user == "U1"]
    assert [(v.vote, v.reason, v.comment) for v in mine] == [("down", "other", "Old @here list")]
    # Back to 👍 clears the reason.
    await router.handle_action(press(app, votes.UP, answer))
    mine = [v for v in await stored_votes(app) if v.user == "U1"]
    assert [(v.vote, v.reason, v.comment) for v in mine] == [("up", None, None)]


async def test_a_thumbs_down_and_its_form_arriving_together_both_land(app: App) -> None:
    """Slack opens the 👎 form before the press is recorded, so the form can race the press; so can a double click."""
    member, _ = people(app)
    answer = answer_id(await member.say("/cos-service legal"))
    await app.answering.journal.flush()
    form = votes.reason_value(int(answer), "out_of_date", "soak")
    replies = await asyncio.gather(
        app.router.handle_action(press(app, votes.DOWN, answer)),
        app.router.handle_action(press(app, votes.REASON, form)),
        app.router.handle_action(press(app, votes.UP, answer, user="U2")),
        app.router.handle_action(press(app, votes.UP, answer, user="U2")),
    )
    assert all(r is not None and not r.error for r in replies), [r and r.title for r in replies]
    assert sorted((v.user, v.vote) for v in await stored_votes(app)) == [("U1", "down"), ("U2", "up")]
    [mine] = [v for v in await stored_votes(app) if v.user == "U1"]
    assert (mine.reason, mine.comment) == ("out_of_date", "soak")


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999999", "1; drop table", "12 "])
async def test_forged_vote_values_are_expired_buttons(app: App, value: str) -> None:
    reply = await app.router.handle_action(press(app, votes.UP, value))
    assert reply is not None and reply.title == "That button has expired"
    assert await stored_votes(app) == []


async def test_bad_reason_forms_change_nothing(app: App) -> None:
    member, _ = people(app)
    answer = int(answer_id(await member.say("/cos-service legal")))
    for value, says in (
        (votes.reason_value(answer, "because", None), "Pick what was wrong"),
        (votes.reason_value(answer, "other", "x" * 301), "301 characters"),
        (votes.reason_value(answer, "other", "x" * 3000), "too long"),
        ("{not json", "expired"),
    ):
        reply = await app.router.handle_action(press(app, votes.REASON, value))
        assert reply is not None and reply.error and says in to_text(reply)
    assert await stored_votes(app) == []


async def test_a_workspace_never_sees_another_workspaces_log_votes_or_phrases(app: App) -> None:
    member1, admin1 = people(app, "T1")
    member2, admin2 = people(app, "T2")
    await member1.say("/cos-service zorblax pipeline")
    answer = answer_id(await member1.say("/cos-service legal"))
    # T2 cannot vote on, comment on, teach from or dismiss T1's answers.
    for action_name, value in (
        (votes.UP, answer),
        (votes.DOWN, answer),
        (votes.REASON, votes.reason_value(int(answer), "other", "hi")),
        ("teach-gap", answer),
        ("gap-dismiss", answer),
    ):
        reply = await app.router.handle_action(press(app, action_name, value, workspace="T2", user="UA", role="admin"))
        assert reply is not None and reply.title == "That button has expired", action_name
    assert await stored_votes(app) == []
    assert "“zorblax pipeline” — asked" not in await admin2.text("/cos-service gaps")
    assert "“zorblax pipeline” — asked 1×" in await admin1.text("/cos-service gaps")
    assert "0 questions asked" in await admin2.text("/cos-service stats")
    await admin1.say("/cos-service teach zorblax pipeline -> legal")
    assert "No taught phrases" in await admin2.text("/cos-service teach list")
    assert not (await member2.say("/cos-service zorblax pipeline")).matched
    assert (await member1.say("/cos-service zorblax pipeline")).matched
    removed = await admin2.say("/cos-service teach remove zorblax pipeline")
    assert removed.error and "No taught phrase" in removed.error
    assert (await member1.say("/cos-service zorblax pipeline")).matched


# -- gaps -----------------------------------------------------------------------------------------
async def test_gaps_group_rank_and_offer_teach_and_dismiss(app: App) -> None:
    member, admin = people(app)
    for _ in range(3):
        await member.say("/cos-service zorblax pipeline")
    await member.say("/cos-service Zorblax   pipeline!")  # the same, normalised
    await member.say("/cos-service how do I cook pasta")
    downvoted = answer_id(await member.say("/cos-service legal"))
    await app.router.handle_action(press(app, votes.DOWN, downvoted))
    await app.router.handle_action(press(app, votes.REASON, votes.reason_value(int(downvoted), "out_of_date", None)))
    await member.say("/cos-service training")  # answered, no 👎: not a gap

    gaps = await admin.say("/cos-service gaps")
    shown = to_text(gaps)
    assert shown.index("“zorblax pipeline” — asked 4×") < shown.index("“how do i cook pasta” — asked 1×")
    assert "“legal” — asked 1×" in shown and "1 👎 (out of date)" in shown and "training" not in shown
    teach = [b for b in gaps.buttons if b.action == "teach-gap"]
    dismiss = [b for b in gaps.buttons if b.action == "gap-dismiss"]
    assert teach and teach[0].label.startswith("1. Teach → ") and dismiss[0].label == "1. Dismiss"

    # Dismiss pasta: it leaves the list until someone asks it again.
    number = next(line for line in shown.splitlines() if "pasta" in line).split(".")[0]
    pasta = next(b for b in dismiss if b.label.startswith(f"{number}."))
    dismissed = await app.router.handle_action(press(app, "gap-dismiss", pasta.value, user="UA", role="admin"))
    assert dismissed is not None and dismissed.title == "Dismissed"
    assert "pasta" not in await admin.text("/cos-service gaps")
    app.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await member.say("/cos-service how do I cook pasta")
    assert "pasta" in await admin.text("/cos-service gaps")

    # Teach → the nearest topic, from the button: taught and out of the list.
    refused = await app.router.handle_action(press(app, "teach-gap", teach[0].value))
    assert refused is not None and "Only admins can teach" in to_text(refused)
    taught = await app.router.handle_action(press(app, "teach-gap", teach[0].value, user="UA", role="admin"))
    assert taught is not None and taught.title.startswith("Taught: “zorblax pipeline” → ")
    assert "“zorblax pipeline” — asked" not in await admin.text("/cos-service gaps")
    assert (await member.say("/cos-service zorblax pipeline")).matched


async def test_gaps_and_stats_are_for_admins_and_read_their_days(app: App) -> None:
    member, admin = people(app)
    refused = await member.say("/cos-service gaps")
    assert refused.error and "Only admins can see what people asked" in refused.error
    refused = await member.say("/cos-service stats")
    assert refused.error and "Only admins" in refused.error
    for bad in ("gaps abc", "gaps 0", "gaps 9999", "stats -3"):
        reply = await member.say(f"/cos-service {bad}")  # usage first, even for members
        assert reply.error and "number of days" in reply.error, bad
    await member.say("/cos-service zorblax pipeline")
    app.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    assert "No gaps in the last 7 days" in await admin.text("/cos-service gaps 7")
    assert "zorblax" in await admin.text("/cos-service gaps")


async def test_stats(app: App) -> None:
    member, admin = people(app)
    up = answer_id(await member.say("/cos-service legal"))
    await member.say("/cos-service lawyers")
    await member.say("/cos-service zorblax pipeline")
    down = answer_id(await member.say("/cos-service training"))
    await app.router.handle_action(press(app, votes.UP, up))
    await app.router.handle_action(press(app, votes.DOWN, down))
    shown = await admin.text("/cos-service stats")
    assert "4 questions asked, 75% answered (3); 👍 1 · 👎 1." in shown
    assert "Comprehensive Legal Services — 2×" in shown
    assert "“zorblax pipeline” — asked 1×" in shown and "“training” — asked 1×" in shown


# -- teaching -------------------------------------------------------------------------------------
async def test_teach_list_remove_and_arrows(app: App) -> None:
    member, admin = people(app)
    assert not (await member.say("/cos-service zorblax pipeline")).matched
    refused = await member.say("/cos-service teach quuxbarnacle -> legal")
    assert refused.error and "Only admins can teach the bot a phrase" in refused.error
    taught = await admin.say("/cos-service teach Zorblax Pipeline → legal")
    assert taught.title == "Taught: “zorblax pipeline” → Comprehensive Legal Services"
    answer = await member.say("/cos-service how do we fix the zorblax pipeline?")
    assert answer.matched and answer.results[0] == LEGAL
    by_id = await admin.say("/cos-service teach quux audit -> area.comprehensive-legal-services")
    assert by_id.title.endswith("→ Comprehensive Legal Services")
    listed = await member.text("/cos-service teach list")  # anyone may read the list
    assert "“quux audit” → Comprehensive Legal Services" in listed and "“zorblax pipeline”" in listed
    assert (await member.say("/cos-service teach remove zorblax pipeline")).error
    removed = await admin.say("/cos-service teach remove Zorblax pipeline")
    assert removed.title == "Removed: “zorblax pipeline”"
    assert not (await member.say("/cos-service zorblax pipeline")).matched
    async with app.db.session() as session:
        rows = list((await session.execute(select(TaughtPhraseRow))).scalars())
    assert [(r.phrase, r.entry_id, r.created_by) for r in rows] == [("quux audit", LEGAL, "UA")]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("teach", "Write the phrase, an arrow and the topic"),
        ("teach zorblax pipeline legal", "Write the phrase, an arrow and the topic"),
        ("teach -> legal", "Write the phrase, an arrow and the topic"),
        ("teach zorblax ->", "Write the phrase, an arrow and the topic"),
        ("teach a -> b -> c", "Use one arrow"),
        ("teach digest pipeline -> legal", "starts with “digest”, a command word"),
        ("teach stage -> legal", "starts with “stage”, a command word"),
        ("teach help me -> legal", "starts with “help”, a command word"),
        ("teach providers of zorblax -> legal", "a command word"),
        ("teach the what -> legal", "only common words"),
        ("teach @everyone ping -> legal", "cannot contain a mention"),
        ("teach <!channel> ping -> legal", "cannot contain a mention"),
        ("teach " + "word " * 11 + "-> legal", "too long"),
        ("teach zorblax -> qwxzptv", "I can't find a topic"),
        ("teach gdpr -> legal", "already names"),
    ],
)
async def test_bad_teaching_is_refused_with_the_reason_and_changes_nothing(app: App, line: str, says: str) -> None:
    _, admin = people(app)
    reply = await admin.say(f"/cos-service {line}")
    assert reply.error and says in reply.error, reply.error
    assert "@everyone" not in to_text(reply) and "<!channel>" not in to_text(reply)
    async with app.db.session() as session:
        assert list((await session.execute(select(TaughtPhraseRow))).scalars()) == []


async def test_an_ambiguous_topic_offers_the_candidates(app: App) -> None:
    member, admin = people(app)
    reply = await admin.say("/cos-service teach zorblax pipeline -> cloud")
    assert reply.title == "Which topic should “zorblax pipeline” answer with?" and not reply.error
    picks = [b for b in reply.buttons if b.action == "teach-pick"]
    assert 2 <= len(picks) <= 3
    refused = await app.router.handle_action(press(app, "teach-pick", picks[1].value))
    assert refused is not None and "Only admins" in to_text(refused)
    elsewhere = await app.router.handle_action(
        press(app, "teach-pick", picks[1].value, workspace="T2", user="UA", role="admin")
    )
    assert elsewhere is not None and elsewhere.title == "That button has expired"
    chosen = await app.router.handle_action(press(app, "teach-pick", picks[1].value, user="UA", role="admin"))
    assert chosen is not None and chosen.title == f"Taught: “zorblax pipeline” → {picks[1].label}"
    assert (await member.say("/cos-service zorblax pipeline")).title == picks[1].label


async def test_a_teach_reaches_every_replica_without_a_restart(app: App, db_url: str) -> None:
    other = await build_app(replace(app.settings), clock=app.clock, knowledge=shared_knowledge(), migrate_db=False)

    async def there_after_a_check(question: str) -> bool:
        """The other replica's answer once the version check this question started has come back."""
        await there.say(question)  # answered from what it knows; a stale overlay is refreshed behind it
        await other.answering.overlays.settled()
        return (await there.say(question)).matched

    try:
        here, there = Harness(app, workspace="T1"), Harness(other, workspace="T1")
        assert not await there_after_a_check("/cos-service zorblax pipeline")  # the other replica caches "nothing"
        await Harness(app, workspace="T1", role="admin").say("/cos-service teach zorblax pipeline -> legal")
        assert (await here.say("/cos-service zorblax pipeline")).matched  # at once where it was taught
        assert not (await there.say("/cos-service zorblax pipeline")).matched  # not checked again yet
        app.clock.advance(timedelta(seconds=VERSION_CHECK_SECONDS))  # type: ignore[attr-defined]
        assert await there_after_a_check("/cos-service zorblax pipeline")  # within a version check elsewhere
        await Harness(app, workspace="T1", role="admin").say("/cos-service teach remove zorblax pipeline")
        app.clock.advance(timedelta(seconds=VERSION_CHECK_SECONDS))  # type: ignore[attr-defined]
        assert not await there_after_a_check("/cos-service zorblax pipeline")
    finally:
        await other.close()


# -- retention and failures -----------------------------------------------------------------------
async def test_housekeeping_forgets_old_questions_and_their_votes(app: App) -> None:
    member, _ = people(app)
    old = answer_id(await member.say("/cos-service legal"))
    await app.router.handle_action(press(app, votes.UP, old))
    app.clock.advance(timedelta(days=app.settings.question_retention_days - 1))  # type: ignore[attr-defined]
    await member.say("/cos-service training")
    app.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    await app.scheduler.housekeeping()
    assert [q.text for q in await questions(app)] == ["training"]
    assert await stored_votes(app) == []


async def test_settings_read_the_retention() -> None:
    from bot.kernel.errors import ConfigError
    from bot.kernel.settings import load_settings

    assert load_settings({}, dotenv=None).question_retention_days == 90
    assert load_settings({"COS_QUESTION_RETENTION_DAYS": "30"}, dotenv=None).question_retention_days == 30
    for bad in ("0", "-5", "soon"):
        with pytest.raises(ConfigError, match="COS_QUESTION_RETENTION_DAYS"):
            load_settings({"COS_QUESTION_RETENTION_DAYS": bad}, dotenv=None)


async def test_an_answer_survives_a_log_that_cannot_be_written(app: App) -> None:
    member, _ = people(app)
    async with app.db.session() as session:
        await session.execute(text("DROP TABLE knowledge_feedback"))
        await session.execute(text("DROP TABLE knowledge_question"))
    reply = await member.say("/cos-service legal")
    assert reply.title == "Comprehensive Legal Services" and not reply.error  # the log is written behind it
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver says; the row stays queued
        await app.answering.journal.flush()
    assert len(app.answering.journal) == 1
    vote = await app.router.handle_action(press(app, votes.UP, answer_id(reply)))
    assert vote is not None and vote.error and "can't be recorded right now" in vote.error  # clear, no error id
