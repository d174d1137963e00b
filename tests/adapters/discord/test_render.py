"""Reply -> embeds and buttons within Discord's limits; nothing that can ping a crowd."""

from __future__ import annotations

import json

from adapters.discord.render import (
    LIMITS,
    check_message,
    custom_id,
    embeds_total,
    parse_custom_id,
    to_pages,
)
from bot.kernel.reply import Button, Field, Reply, Section


def huge_reply() -> Reply:
    return Reply(
        title="T" * 400,
        sections=tuple(
            Section(
                heading=f"Heading {i} " + "h" * 300, text="word " * 900, bullets=tuple("b" * 1500 for _ in range(3))
            )
            for i in range(12)
        ),
        fields=tuple(Field(f"label {i}", "v" * (50 if i % 3 else 1500)) for i in range(40)),
        buttons=tuple(Button("x" * 120, "open", f"entry.{i}") for i in range(30))
        + (Button("Share in channel", "share"),),
        footer="Source: " + "f" * 3000,
    )


def test_huge_reply_is_split_into_pages_each_within_every_limit() -> None:
    reply = huge_reply()
    pages = to_pages(reply, page_token="tok")
    assert len(pages) > 1
    for page in pages:
        body = page.payload(ephemeral=True)
        assert check_message(body) == []
        assert embeds_total(body["embeds"]) <= LIMITS["total"]
        assert len(body["embeds"]) <= LIMITS["embeds"]
    everything = json.dumps([p.payload() for p in pages])
    # Nothing is lost: every section heading and every field label appears on some page.
    for i in range(12):
        assert f"Heading {i} " in everything
    for i in range(40):
        assert f"label {i}" in everything
    # Paging buttons: first page has Prev disabled, last has Next disabled.
    first_nav = pages[0].components[-1]["components"]
    last_nav = pages[-1].components[-1]["components"]
    assert first_nav[0]["disabled"] and not first_nav[1]["disabled"]
    assert last_nav[1]["disabled"] and first_nav[1]["custom_id"] == "cos:page:tok:1"
    assert pages[0].embeds[0]["title"].endswith("…") and len(pages[0].embeds[0]["title"]) == LIMITS["title"]


def test_small_reply_is_one_embed_with_buttons() -> None:
    reply = Reply(
        title="Legal",
        sections=(Section(heading="Providers", bullets=("Skadden, Arps",)),),
        fields=(Field("Importance", "★★★★★"),),
        buttons=(Button("Share in channel", "share", "", style="primary"), Button("Providers", "providers", "a.b")),
        footer="Source: x",
    )
    [page] = to_pages(reply)
    body = page.payload(ephemeral=True)
    assert body["flags"] == 64 and body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed["title"] == "Legal" and "• Skadden, Arps" in embed["description"]
    assert embed["fields"] == [{"name": "Importance", "value": "★★★★★", "inline": True}]
    assert embed["footer"]["text"] == "Source: x"
    ids = [c["custom_id"] for c in body["components"][0]["components"]]
    assert ids == ["cos:share:", "cos:providers:a.b"]
    assert body["components"][0]["components"][0]["style"] == 1
    # A public copy offers no Share button.
    [public] = to_pages(reply, ephemeral=False)
    assert all(c["custom_id"] != "cos:share:" for row in public.components for c in row["components"])


def test_mass_mentions_are_neutralised_even_if_the_core_forgot() -> None:
    reply = Reply(
        title="@everyone look",
        sections=(Section(text="hi @here and <@&123>", bullets=("@everyone",)),),
        fields=(Field("@here", "@everyone"),),
        footer="@here",
    )
    text = json.dumps([p.payload() for p in to_pages(reply)], ensure_ascii=False)
    assert "@everyone" not in text and "@here" not in text and "<@&123>" not in text


def test_custom_ids_round_trip_and_reject_forgeries() -> None:
    cid = custom_id("providers", "area.comprehensive-legal-services")
    assert cid is not None and parse_custom_id(cid) == ("providers", "area.comprehensive-legal-services")
    assert custom_id("open", "x" * 100) is None  # would not fit in 100 characters
    assert custom_id("Bad Action", "") is None
    for forged in ("", "admin:grant", "cos:", "cos::x", "cos:UPPER:x", "cos:open:\x00", "cos:open:" + "x" * 200, None):
        assert parse_custom_id(forged) is None  # type: ignore[arg-type]


def test_empty_reply_still_has_text() -> None:
    [page] = to_pages(Reply(title="", sections=()))
    assert page.embeds[0].get("description")
