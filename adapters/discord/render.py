"""Reply -> Discord message payloads (embeds + components), within Discord's limits.

Pure functions over plain dicts in Discord's wire format, so they are tested
without a client. A reply longer than one message allows is split into
several embeds, and into pages when even ten embeds / 6,000 characters are
not enough; the adapter shows one page at a time with Prev/Next buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from adapters.common import clip
from bot.kernel.lang import in_lang
from bot.kernel.reply import Button, Reply, pack_lines, to_text
from bot.kernel.safety import neutralise_mentions

__all__ = [
    "LIMITS",
    "Page",
    "to_pages",
    "to_embeds",
    "embed_text",
    "embeds_total",
    "check_message",
    "pages_text",
    "custom_id",
    "parse_custom_id",
    "ALLOWED_MENTIONS_NONE",
]

# Discord's documented message limits.
LIMITS = {
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "total": 6000,
    "embeds": 10,
    "button_label": 80,
    "custom_id": 100,
    "buttons_per_row": 5,
    "rows": 5,
    "content": 2000,
}
ALLOWED_MENTIONS_NONE: dict[str, Any] = {"parse": []}

COLOUR = 0x2B6CB0
ERROR_COLOUR = 0xC53030
_STYLES = {"primary": 1, "secondary": 2, "success": 3, "danger": 4}
_ACTION_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")  # team actions are dotted: milestone.done
# Room kept free per message so a footer and a page marker always fit.
_DESCRIPTION_CHUNK = 3800


@dataclass(frozen=True, slots=True)
class Page:
    """One message: its embeds (wire dicts) and its action rows (wire dicts)."""

    embeds: tuple[dict[str, Any], ...]
    components: tuple[dict[str, Any], ...] = ()

    def payload(self, *, ephemeral: bool = False) -> dict[str, Any]:
        """The message body Discord expects (``POST /channels/{id}/messages`` or a callback's ``data``)."""
        body: dict[str, Any] = {
            "embeds": list(self.embeds),
            "components": list(self.components),
            "allowed_mentions": dict(ALLOWED_MENTIONS_NONE),
        }
        if ephemeral:
            body["flags"] = 64
        return body


def _safe(text: str) -> str:
    # Reply.safe() already ran in the router; this is the adapter's own guard.
    return neutralise_mentions(text)


def custom_id(action: str, value: str = "") -> str | None:
    """``cos:<action>:<value>``, or None when it would not fit Discord's 100 characters."""
    cid = f"cos:{action}:{value}"
    return cid if len(cid) <= LIMITS["custom_id"] and _ACTION_RE.match(action) else None


def parse_custom_id(cid: str) -> tuple[str, str] | None:
    """``(action, value)`` from a button's custom id; None for anything we did not make."""
    if not isinstance(cid, str) or len(cid) > LIMITS["custom_id"] or not cid.startswith("cos:"):
        return None
    action, sep, value = cid[4:].partition(":")
    if not sep or not _ACTION_RE.match(action):
        return None
    if any(not ch.isprintable() for ch in value):
        return None
    return action, value


def _lines(reply: Reply) -> list[str]:
    """The reply's sections as Discord markdown lines."""
    lines: list[str] = []
    for section in reply.sections:
        if lines:
            lines.append("")
        if section.heading:
            lines.append(f"**{_safe(section.heading)}**")
        if section.text:
            lines.extend(_safe(section.text).split("\n"))
        lines.extend(f"• {_safe(b)}" for b in section.bullets)
    return lines


def _chunks(lines: list[str], size: int) -> list[str]:
    """Join lines into chunks of at most ``size`` characters, splitting only overlong lines."""
    return pack_lines(lines, size)


def embed_text(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 total for one embed."""
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += len(embed.get("footer", {}).get("text", "")) + len(embed.get("author", {}).get("name", ""))
    n += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", ()))
    return n


def embeds_total(embeds: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> int:
    return sum(embed_text(e) for e in embeds)


def to_embeds(reply: Reply) -> list[dict[str, Any]]:
    """Every embed the reply needs, each within the per-embed limits (not yet grouped into messages)."""
    colour = ERROR_COLOUR if reply.error else COLOUR
    lines = _lines(reply)
    fields: list[dict[str, Any]] = []
    for f in reply.fields:
        label, value = _safe(f.label).strip() or "\u200b", _safe(f.value).strip() or "\u200b"
        if len(label) <= LIMITS["field_name"] and len(value) <= LIMITS["field_value"]:
            fields.append({"name": label, "value": value, "inline": len(value) <= 60})
        else:  # too long for a field: it goes in the text instead
            lines.insert(0, f"**{label}**: {value}")
    chunks = _chunks(lines, _DESCRIPTION_CHUNK) or [""]
    embeds: list[dict[str, Any]] = []
    for i, chunk in enumerate(chunks):
        embed: dict[str, Any] = {"type": "rich", "color": colour}
        if i == 0 and reply.title:
            embed["title"] = clip(_safe(reply.title), LIMITS["title"])
        if chunk:
            embed["description"] = chunk
        embeds.append(embed)
    # Fields: 25 per embed; overflow goes into extra embeds.
    for start in range(0, len(fields), LIMITS["fields"]):
        batch = fields[start : start + LIMITS["fields"]]
        target = (
            embeds[0]
            if start == 0
            and embed_text(embeds[0]) + sum(len(f["name"]) + len(f["value"]) for f in batch) <= LIMITS["total"] - 300
            else None
        )
        if target is None:
            target = {"type": "rich", "color": colour}
            embeds.append(target)
        target["fields"] = batch
    if reply.footer:
        embeds[-1]["footer"] = {"text": clip(_safe(reply.footer), LIMITS["footer"])}
    if not any(embed_text(e) for e in embeds):
        embeds[0]["description"] = _safe(to_text(reply)) or "\u200b"
    return embeds


def _group(embeds: list[dict[str, Any]], room: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    size = 0
    for embed in embeds:
        n = embed_text(embed)
        if current and (size + n > room or len(current) >= LIMITS["embeds"]):
            pages.append(current)
            current, size = [], 0
        current.append(embed)
        size += n
    if current:
        pages.append(current)
    return pages


def _button(b: Button) -> dict[str, Any] | None:
    cid = custom_id(b.action, b.value)
    if cid is None:
        return None
    return {
        "type": 2,
        "style": _STYLES.get(b.style or "secondary", 2),
        "label": clip(_safe(b.label), LIMITS["button_label"]),
        "custom_id": cid,
    }


def _rows(buttons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    per = LIMITS["buttons_per_row"]
    return [{"type": 1, "components": buttons[i : i + per]} for i in range(0, len(buttons), per)]


def to_pages(reply: Reply, *, ephemeral: bool | None = None, page_token: str | None = None) -> list[Page]:
    """The reply as one or more messages.

    ``ephemeral`` (default: the reply's own flag) decides whether "Share in
    channel" is offered: a public message has nothing left to share.
    ``page_token`` names the cached pages for the Prev/Next buttons.
    """
    private = reply.ephemeral if ephemeral is None else ephemeral
    groups = _group(to_embeds(reply), LIMITS["total"] - 100)
    buttons: list[dict[str, Any]] = []
    for b in reply.buttons:
        d = _button(b) if (private or b.action != "share") else None
        # Discord rejects a message with two components sharing a custom id.
        if d is not None and all(d["custom_id"] != o["custom_id"] for o in buttons):
            buttons.append(d)
    # Four rows of reply buttons at most; the fifth is kept for paging.
    buttons = buttons[: LIMITS["buttons_per_row"] * (LIMITS["rows"] - 1)]
    pages: list[Page] = []
    total = len(groups)
    for n, group in enumerate(groups):
        rows = _rows(buttons)
        if total > 1:
            marker = in_lang(reply.lang or "en", "Page {number} of {total}").format(number=n + 1, total=total)
            last = group[-1]
            footer = last.get("footer", {}).get("text")
            last["footer"] = {"text": clip(f"{footer} · {marker}" if footer else marker, LIMITS["footer"])}
            if page_token:
                rows.append(
                    {
                        "type": 1,
                        "components": [
                            {
                                "type": 2,
                                "style": 2,
                                "label": in_lang(reply.lang or "en", "◀ Prev"),
                                "custom_id": f"cos:page:{page_token}:{n - 1}",
                                "disabled": n == 0,
                            },
                            {
                                "type": 2,
                                "style": 2,
                                "label": in_lang(reply.lang or "en", "Next ▶"),
                                "custom_id": f"cos:page:{page_token}:{n + 1}",
                                "disabled": n == total - 1,
                            },
                        ],
                    }
                )
        pages.append(Page(embeds=tuple(group), components=tuple(rows)))
    return pages


def check_message(body: dict[str, Any]) -> list[str]:
    """Every Discord limit a message body breaks (empty when it is fine)."""
    problems: list[str] = []
    embeds = body.get("embeds", [])
    if len(embeds) > LIMITS["embeds"]:
        problems.append(f"{len(embeds)} embeds > {LIMITS['embeds']}")
    if embeds_total(embeds) > LIMITS["total"]:
        problems.append(f"embeds total {embeds_total(embeds)} > {LIMITS['total']}")
    for e in embeds:
        if len(e.get("title", "")) > LIMITS["title"]:
            problems.append("title too long")
        if len(e.get("description", "")) > LIMITS["description"]:
            problems.append("description too long")
        if len(e.get("footer", {}).get("text", "")) > LIMITS["footer"]:
            problems.append("footer too long")
        fields = e.get("fields", [])
        if len(fields) > LIMITS["fields"]:
            problems.append(f"{len(fields)} fields > {LIMITS['fields']}")
        for f in fields:
            if len(f["name"]) > LIMITS["field_name"] or len(f["value"]) > LIMITS["field_value"]:
                problems.append("field too long")
            if not f["name"] or not f["value"]:
                problems.append("empty field")
    rows = body.get("components", [])
    if len(rows) > LIMITS["rows"]:
        problems.append(f"{len(rows)} rows > {LIMITS['rows']}")
    for row in rows:
        if len(row.get("components", [])) > LIMITS["buttons_per_row"]:
            problems.append("too many buttons in a row")
        for c in row.get("components", []):
            if len(c.get("label", "")) > LIMITS["button_label"]:
                problems.append("button label too long")
            if "custom_id" in c and len(c["custom_id"]) > LIMITS["custom_id"]:
                problems.append("custom_id too long")
    if len(body.get("content") or "") > LIMITS["content"]:
        problems.append("content too long")
    return problems


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def pages_text(pages: list[Page] | tuple[Page, ...], *, buttons: bool = True) -> str:
    """All visible text of the messages, one line per line, without markdown bold or page markers.

    Parity tests compare it with other platforms' renderings of the same Reply.
    """
    lines: list[str] = []
    for page in pages:
        for e in page.embeds:
            if e.get("title"):
                lines.append(e["title"])
            lines.extend(e.get("description", "").split("\n"))
            lines.extend(f"{f['name']}: {f['value']}" for f in e.get("fields", ()))
            footer = e.get("footer", {}).get("text", "")
            footer = re.sub(r"(?: · )?Page \d+ of \d+$", "", footer)
            if footer:
                lines.append(footer)
        if buttons:
            lines.extend(
                c["label"]
                for row in page.components
                for c in row["components"]
                if not c.get("custom_id", "").startswith("cos:page:")
            )
    return "\n".join(_BOLD.sub(r"\1", line) for line in lines)
