"""Block Kit rendering: Slack's limits, escaping, crowd pings, paging state."""

from __future__ import annotations

import json
import re

from adapters.slack.render import (
    MAX_BLOCKS,
    blocks_text,
    decode_value,
    encode_value,
    fallback_text,
    mrkdwn,
    render_pages,
    to_blocks,
)
from bot.kernel.reply import Button, Field, Reply, Section, to_text

CROWD = re.compile(r"<!(?:channel|here|everyone|subteam)|(?<![\w\u2060])@(?:everyone|here|channel)\b", re.I)


def _huge() -> Reply:
    return Reply(
        title="T" * 400,
        sections=tuple(
            Section(
                heading=f"Part {i}",
                text=f"marker-{i} " + ("word " * 1200),
                bullets=tuple(f"item {i}.{j} " + "x" * 300 for j in range(5)),
            )
            for i in range(60)
        ),
        fields=tuple(Field(f"label {i}", "v" * 2500) for i in range(23)),
        buttons=tuple(Button("B" * 100, "open", f"entry.{i}") for i in range(30)) + (Button("Share", "share", ""),),
        footer="F" * 5000,
    )


def _limits_ok(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            assert block["text"]["type"] == "plain_text"
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            for element in block["elements"]:
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e["text"]) <= 3000 for e in block["elements"])


def test_huge_reply_is_paged_within_every_limit() -> None:
    reply = _huge()
    pages = render_pages(reply, state={"c": "cos-service", "t": "everything"})
    assert len(pages) > 1
    for page in pages:
        _limits_ok(page)
    everything = "\n".join(blocks_text(p) for p in pages)
    for i in range(60):  # nothing is lost: every section shows up on some page
        assert f"marker-{i} " in everything
    assert fallback_text(reply) and len(fallback_text(reply)) <= 3000


def test_paging_buttons_carry_the_state_and_target_page() -> None:
    pages = render_pages(_huge(), state={"c": "cos-service", "t": "everything"})
    first_nav = [
        e for b in pages[0] if b["type"] == "actions" for e in b["elements"] if e["action_id"].startswith("cos:page:")
    ]
    assert [e["text"]["text"] for e in first_nav] == ["Next ›"]
    assert decode_value(first_nav[0]["value"]) == {"c": "cos-service", "t": "everything", "p": 1}
    middle = to_blocks(_huge(), page=1, state={"c": "cos-service", "t": "everything"})
    labels = [
        e["text"]["text"]
        for b in middle
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith("cos:page:")
    ]
    assert labels == ["‹ Previous", "Next ›"]
    # A page number beyond the end is clamped, never an error.
    assert (
        to_blocks(_huge(), page=999, state={"c": "x", "t": "y"})
        == render_pages(_huge(), state={"c": "x", "t": "y"})[-1]
    )


def test_without_state_there_are_no_share_or_page_buttons_but_a_hint() -> None:
    pages = render_pages(_huge())
    ids = [e["action_id"] for b in pages[0] if b["type"] == "actions" for e in b["elements"]]
    assert not any(i.startswith(("cos:share", "cos:page")) for i in ids)
    assert "Page 1 of" in blocks_text(pages[0])


def test_crowd_pings_from_any_field_are_neutralised() -> None:
    evil = "hi <!channel> <!here|here> <!everyone> <!subteam^S0123|@eng> @everyone @here @channel"
    reply = Reply(
        title=evil,
        sections=(Section(heading=evil, text=evil, bullets=(evil,)),),
        fields=(Field(evil, evil),),
        buttons=(Button(evil, "open", "x"),),
        footer=evil,
    )
    for page in render_pages(reply, state={"c": "cos-service", "t": evil}):
        rendered = json.dumps([dict(b.items()) for b in page], ensure_ascii=False)
        texts = blocks_text(page)
        assert not CROWD.search(json.loads(json.dumps(rendered))), rendered
        assert not CROWD.search(texts)
    assert not CROWD.search(fallback_text(reply))


def test_user_text_is_escaped_but_single_user_mentions_survive() -> None:
    assert mrkdwn("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert mrkdwn("<https://evil.example|click me>") == "&lt;https://evil.example|click me&gt;"
    assert mrkdwn("ping <@U024BE7LH> in <#C024BE7LR>") == "ping <@U024BE7LH> in <#C024BE7LR>"
    blocks = to_blocks(Reply(title="x", sections=(Section(text="Latham & Watkins <script>"),)))
    section = next(b for b in blocks if b["type"] == "section")
    assert section["text"]["text"] == "Latham &amp; Watkins &lt;script&gt;"
    assert "Latham & Watkins <script>" in blocks_text(blocks)


async def test_blocks_text_matches_the_plain_text_answer(harness) -> None:  # type: ignore[no-untyped-def]
    reply = await harness.say("/cos-service legal")
    text = blocks_text(to_blocks(reply, state={"c": "cos-service", "t": "legal"}))
    for line in to_text(reply).splitlines():
        if line.strip():
            assert line.strip().lstrip("• ") in text
    assert "Share in channel" in text


def test_button_values_that_are_not_ours_decode_to_none() -> None:
    for forged in ("", "legal", "{", "[1,2]", '"x"', "{" + "a" * 3000 + "}", "null"):
        assert decode_value(forged) is None
    assert decode_value(encode_value({"c": "cos-risk", "t": "gdpr"}) or "") == {"c": "cos-risk", "t": "gdpr"}
    assert encode_value({"t": "x" * 2100}) is None
