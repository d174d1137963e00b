"""A Chinese question through the real discord.py client over the fake gateway, from a zh-CN client."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.discord.platform import PLATFORM, bot_for
from bot.app import build_app
from bot.kernel.settings import Settings
from knowledge.chinese import segment
from tests.adapters.discord.fake_discord import FakeDiscord, guild, slash
from tests.conftest import shared_knowledge

G1, C1 = "900000000000000001", "910000000000000001"


async def _ask(fake: FakeDiscord, command: str, query: str) -> dict[str, Any]:
    payload = slash(command, query, guild_id=G1, channel_id=C1)
    payload["locale"] = "zh-CN"  # the asker's Discord client language
    before = len(fake.callbacks())
    await fake.dispatch("INTERACTION_CREATE", payload)
    await fake.wait_for(lambda: len(fake.callbacks()) > before)
    return fake.callbacks()[before].body  # type: ignore[no-any-return]


async def test_chinese_question_from_a_zh_cn_client(dsettings: Settings, fake: FakeDiscord, clock: Any) -> None:
    fake.guilds = [guild(G1, "Acme", C1)]
    app = await build_app(dsettings, clock=clock, knowledge=shared_knowledge())
    task = asyncio.ensure_future(PLATFORM.run(app))
    try:
        await asyncio.wait_for(fake.identified.wait(), 10)
        segment("预热")  # jieba's dictionary built before the clock starts (a long-running bot pays it once)
        bot_for(app).defer_after = 30  # answered in the interaction's response, not a deferred follow-up
        body = await _ask(fake, "cos-service", "SOC2 认证找谁")
        embed = body["data"]["embeds"][0]
        entry = shared_knowledge()[0].get("service.security-certification-services")
        zh = entry.localized("zh") if entry is not None else None
        assert zh is not None and embed["title"] == zh.title  # the entry's Chinese title
        assert any(f["name"] == "类型" for f in embed.get("fields", [])), embed
        labels = [c.get("label") for row in body["data"]["components"] for c in row["components"]]
        assert "分享到频道" in labels
        off = await _ask(fake, "cos-service", "明天上海天气怎么样")
        text = str(off["data"])
        assert "我无法" in text and "示例" not in text  # the honest reply, not the help
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.close()
