"""👍/👎 on Slack answers, end to end: signed requests to our server, the 👎 modal through the fake Slack's
``views.open``, and its ``view_submission`` read back into the database."""

from __future__ import annotations

import copy
import json

from sqlalchemy import select

from adapters.slack.render import blocks_text
from adapters.slack.vote_form import CALLBACK_ID
from bot.answering.models import KnowledgeFeedback, KnowledgeQuestion
from tests.adapters.slack.conftest import Rig
from tests.adapters.slack.fake_slack import payload


def _buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"].split(":")[1]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def _press(
    button: dict, *, rig: Rig, name: str, user: str = "U2147483697", trigger: str = "trig-1", team: str = "T0001"
) -> dict:
    body = copy.deepcopy(payload("block_actions.json"))
    body["actions"][0].update(action_id=button["action_id"], value=button["value"], text=button["text"])
    body["response_url"] = rig.fake.response_url(name)
    body["trigger_id"] = trigger
    body["user"]["id"] = user
    body["team"]["id"] = body["user"]["team_id"] = team
    return body


def _submission(
    view: dict, *, reason: str | None, comment: str | None, user: str = "U2147483697", team: str = "T0001"
) -> dict:
    """A ``view_submission`` payload for the opened modal, as Slack sends it."""
    values: dict = {
        "reason": {"reason": {"type": "radio_buttons", "selected_option": None}},
        "comment": {"comment": {"type": "plain_text_input", "value": comment}},
    }
    if reason:
        values["reason"]["reason"]["selected_option"] = {
            "text": {"type": "plain_text", "text": reason},
            "value": reason,
        }
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "acme"},
        "user": {"id": user, "username": "ada", "name": "ada", "team_id": team},
        "api_app_id": "A123456",
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "trigger_id": "trig-submit",
        "view": {
            "id": "V0001",
            "team_id": team,
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "blocks": view["blocks"],
            "state": {"values": values},
            "hash": "156772938.1827394",
            "title": view["title"],
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


async def _votes(rig: Rig) -> list[KnowledgeFeedback]:
    async with rig.app.db.session() as session:
        return list((await session.execute(select(KnowledgeFeedback).order_by(KnowledgeFeedback.id))).scalars())


async def test_thumbs_up_and_down_with_the_reason_form(rig: Rig) -> None:
    status, body = await rig.command("who can run our SOC 2 audit")
    assert status == 200
    buttons = _buttons(body["blocks"])
    up, down = buttons["feedback-up"], buttons["feedback-down"]
    assert up["text"]["text"] == "👍" and down["text"]["text"] == "👎" and up["value"] == down["value"]
    await rig.app.answering.journal.flush()  # written behind the answer
    async with rig.app.db.session() as session:
        question = (await session.execute(select(KnowledgeQuestion))).scalar_one()
    assert str(question.id) == up["value"] and question.platform == "slack" and question.workspace == "T0001"
    assert question.text == "who can run our soc 2 audit" and question.matched and question.top_entry

    # 👍: acknowledged, then thanked through response_url; one vote.
    response = await rig.action(_press(up, rig=rig, name="up"))
    assert response.status == 200
    thanks = await rig.fake.wait_for("response_url")
    assert "Thanks for the 👍" in blocks_text(thanks[0].params["blocks"])
    assert thanks[0].params["replace_original"] is False
    assert [(v.vote, v.user) for v in await _votes(rig)] == [("up", "U2147483697")]

    # 👎 (a slow Slack): the click is acknowledged before the modal is even asked for.
    rig.fake.delays["views.open"] = 0.5
    response = await rig.action(_press(down, rig=rig, name="down", trigger="trig-2"))
    assert response.status == 200 and rig.fake.calls_to("views.open") == []
    opened = await rig.fake.wait_for("views.open")
    await rig.adapter.drain()
    assert opened[0].params["trigger_id"] == "trig-2"
    view = rig.fake.views[0]
    assert view["callback_id"] == CALLBACK_ID and view["type"] == "modal"
    options = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert options == ["wrong_topic", "out_of_date", "missing_provider", "other"]
    assert view["blocks"][1]["optional"] is True and view["blocks"][1]["element"]["max_length"] == 300
    # The vote changed (one per person per answer); no message was posted besides the modal.
    assert [(v.vote, v.reason) for v in await _votes(rig)] == [("down", None)]
    assert len(rig.fake.calls_to("response_url")) == 1

    # A comment over 300 characters keeps the form open with the reason, and changes nothing.
    response = await rig.action(_submission(view, reason="out_of_date", comment="x" * 301))
    answer = json.loads(await response.text())
    assert answer["response_action"] == "errors" and "300" in answer["errors"]["comment"]
    assert [(v.vote, v.reason, v.comment) for v in await _votes(rig)] == [("down", None, None)]

    # The submission: reason and a cleaned comment (no crowd ping survives).
    response = await rig.action(
        _submission(view, reason="out_of_date", comment="Prices changed <!channel>\x07 last year")
    )
    assert response.status == 200 and (await response.text()) == ""
    votes = await _votes(rig)
    assert [(v.vote, v.reason) for v in votes] == [("down", "out_of_date")]
    assert votes[0].comment == "Prices changed @channel last year"


async def test_expired_trigger_falls_back_to_reason_buttons_and_other_workspaces_cannot_vote(rig: Rig) -> None:
    _, body = await rig.command("legal")
    down = _buttons(body["blocks"])["feedback-down"]
    rig.fake.expired_triggers.add("old-trigger")
    await rig.action(_press(down, rig=rig, name="late", trigger="old-trigger"))
    replies = await rig.fake.wait_for("response_url")
    await rig.adapter.drain()
    assert rig.fake.views == []
    reasons = _buttons(replies[0].params["blocks"])
    assert "feedback-reason" in reasons and "What was wrong" in blocks_text(replies[0].params["blocks"])
    assert [v.vote for v in await _votes(rig)] == ["down"]

    # The same answer id pressed from another workspace finds nothing there: an expired button, no vote.
    up = _buttons(body["blocks"])["feedback-up"]
    await rig.action(_press(up, rig=rig, name="other", team="T0999", user="U0OTHER"))
    replies = await rig.fake.wait_for("response_url", 2)
    assert "expired" in blocks_text(replies[1].params["blocks"])
    assert [(v.vote, v.user) for v in await _votes(rig)] == [("down", "U2147483697")]


async def test_home_tab_shows_the_question_statistics_to_admins_only(rig: Rig) -> None:
    rig.fake.users["U2147483697"] = {"is_admin": True}
    await rig.command("zorblax pipeline")
    _, body = await rig.command("legal")
    await rig.action(_press(_buttons(body["blocks"])["feedback-up"], rig=rig, name="up"))
    await rig.fake.wait_for("response_url")
    await rig.event(payload("event_app_home_opened.json"))
    member = payload("event_app_home_opened.json")
    member.update(event_id="Ev08HOME02")
    member["event"]["user"] = "U0MEMBER"
    await rig.event(member)
    views = await rig.fake.wait_for("views.publish", 2)
    await rig.adapter.drain()
    texts = {
        v.params["user_id"]: blocks_text(
            (json.loads(v.params["view"]) if isinstance(v.params["view"], str) else v.params["view"])["blocks"]
        )
        for v in views
    }
    admin = texts["U2147483697"]
    assert "Questions: the last 30 days" in admin and "2 questions asked, 50% answered (1); 👍 1 · 👎 0." in admin
    assert "“zorblax pipeline” — asked 1×" in admin and "Recommended service portfolio" in admin
    assert "Questions: the last" not in texts["U0MEMBER"] and "Recommended service portfolio" in texts["U0MEMBER"]


async def test_sharing_a_taught_answer_shares_what_was_shown(rig: Rig) -> None:
    rig.fake.users["U2147483697"] = {"is_admin": True}
    await rig.command("teach zorblax pipeline -> legal")
    status, body = await rig.command("zorblax pipeline")
    assert status == 200 and "Comprehensive Legal Services" in body["text"]
    share = _buttons(body["blocks"])["share"]
    await rig.action(_press(share, rig=rig, name="share"))
    posts = await rig.fake.wait_for("chat.postMessage")
    assert "Comprehensive Legal Services" in posts[0].params["text"]
    # The shared message is everyone's: no 👍/👎 tied to one person's answer.
    blocks = posts[0].params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    assert not [k for k in _buttons(blocks) if k.startswith("feedback")]


async def test_a_chinese_workspace_gets_the_form_and_its_thanks_in_chinese(rig: Rig) -> None:
    await rig.set_language("zh")
    _, body = await rig.command("who can run our SOC 2 audit")
    down = _buttons(body["blocks"])["feedback-down"]
    await rig.action(_press(down, rig=rig, name="down-zh", trigger="trig-zh"))
    await rig.fake.wait_for("views.open")
    await rig.adapter.drain()
    view = rig.fake.views[0]
    assert (
        view["title"]["text"] == "哪里不对？" and view["submit"]["text"] == "发送" and view["close"]["text"] == "取消"
    )
    labels = [o["text"]["text"] for o in view["blocks"][0]["element"]["options"]]
    assert labels == ["主题不对", "内容过时", "缺少服务商", "其他"]
    # A comment over the limit is shown under the comment field, in Chinese.
    response = await rig.action(_submission(view, reason="other", comment="x" * 301))
    answer = json.loads(await response.text())
    assert "300" in answer["errors"]["comment"] and "补充说明" in answer["errors"]["comment"], answer
    response = await rig.action(_submission(view, reason="other", comment=None))
    assert response.status == 200
    assert [(v.vote, v.reason) for v in await _votes(rig)] == [("down", "other")]
