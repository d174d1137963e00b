"""A Chinese question through the signed Slack slash-command path."""

from __future__ import annotations

from adapters.slack.render import blocks_text
from tests.adapters.slack.conftest import Rig


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
