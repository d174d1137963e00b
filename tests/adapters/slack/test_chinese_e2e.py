"""A Chinese question through the signed Slack slash-command path."""

from __future__ import annotations

import json

from adapters.slack.render import blocks_text
from tests.adapters.slack.conftest import Rig
from tests.adapters.slack.fake_slack import payload


async def test_chinese_question_answered_in_chinese(rig: Rig) -> None:
    status, body = await rig.command("员工股权激励和期权计划怎么设计")
    assert status == 200
    text = blocks_text(body["blocks"])
    entry = rig.app.kb.get("service.equity-incentive-design")
    zh = entry.localized("zh") if entry is not None else None
    assert zh is not None and zh.title in text and zh.text in text  # the entry's Chinese title and text
    assert "类型" in text and "来源" in text and "Commercial Open Source Stage Service Overview" in text
    _, off = await rig.command("明天上海天气怎么样")
    off_text = blocks_text(off["blocks"])
    assert "我无法" in off_text and "示例" not in off_text
    _, hello = await rig.command("你好")
    assert "cos-service" in blocks_text(hello["blocks"]) and zh.title not in blocks_text(hello["blocks"])


async def test_the_home_tab_of_a_chinese_workspace_is_in_chinese(rig: Rig) -> None:
    set_lang = await rig.set_language("zh")
    assert set_lang.error is None and set_lang.lang == "zh"
    await rig.event(payload("event_app_home_opened.json"))
    calls = await rig.fake.wait_for("views.publish")
    view = calls[0].params["view"]
    text = blocks_text((json.loads(view) if isinstance(view, str) else view)["blocks"])
    assert "你的团队" in text and "发展路径" in text and "在任意频道" in text, text
    assert "Your team" not in text and "Development path" not in text and "Recommended service portfolio" not in text
