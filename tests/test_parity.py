"""One transcript through the Slack and the Discord renderers: both carry the same content.

Every command is answered once by the core; the Reply is rendered as Block Kit
(adapters.slack.render) and as Discord embeds (adapters.discord.render), and the
visible text of both is compared line by line after removing each platform's
formatting. The Slack renderer is required: if it is missing, this test fails
rather than skipping.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from adapters.discord.render import pages_text, to_pages
from adapters.slack.render import blocks_text, render_pages
from bot.kernel.reply import Reply, to_text
from tests.conftest import Harness

TRANSCRIPT = (
    "/cos-service legal",
    "/cos-service who can run our SOC 2 audit",
    "/cos-service providers training",
    "/cos-service milestones growth",
    "/cos-service cases",
    "/cos-service overview",
    "/cos-service Korn Ferry",
    "/cos-service help",
    "/cos-service zzqqxx @everyone",
    "/cos-risk gdpr",
    "/cos-risk we might run out of cash",
    "/cos-risk transfer pricing",
    "/cos-risk overview",
    "/cos-risk help",
)

_BULLET = re.compile(r"^\s*(?:[•◦▪‣\-*]|\d+\.)\s+")


def _norm(text: str) -> list[str]:
    """Visible lines without markup differences: bullets, bold/italic markers, code ticks, spacing."""
    out = []
    for line in text.split("\n"):
        line = unicodedata.normalize("NFC", line).replace("\u2060", "").replace("\u200b", "")
        line = _BULLET.sub("", line)
        line = re.sub(r"[*_`]", "", line)
        line = re.sub(r"\s+", " ", line).strip()
        if line:
            out.append(line)
    return out


def slack_text(reply: Reply) -> str:
    return "\n".join(blocks_text(page) for page in render_pages(reply))


def discord_text(reply: Reply) -> str:
    return pages_text(to_pages(reply, page_token="t"))


@pytest.mark.parametrize("line", TRANSCRIPT)
async def test_slack_and_discord_carry_the_same_content(harness: Harness, line: str) -> None:
    slack = await harness.say(line, platform="slack", workspace="T1", channel="C1")
    discord = await harness.say(line, platform="discord", workspace="900000000000000001", channel="910000000000000001")
    # The core answers both platforms alike ...
    assert to_text(slack) == to_text(discord)
    # ... and each adapter shows every line of it.
    core = _norm(to_text(discord))
    slack_lines, discord_lines = _norm(slack_text(slack)), _norm(discord_text(discord))
    missing_in_slack = [c for c in core if not any(c in s for s in slack_lines)]
    missing_in_discord = [c for c in core if not any(c in d for d in discord_lines)]
    assert not missing_in_discord, missing_in_discord
    assert not missing_in_slack, missing_in_slack
    # Same buttons (labels), except Share which each shows on ephemeral replies only.
    assert [b.label for b in slack.buttons] == [b.label for b in discord.buttons]
    for text in (slack_text(slack), discord_text(discord)):
        assert "@everyone" not in text and "@here" not in text
