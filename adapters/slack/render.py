"""Reply -> Block Kit, within Slack's limits.

Pure functions: no SDK, no I/O. Every string that reaches Slack passes
through ``mrkdwn`` (or ``plain``), which neutralises crowd pings and escapes
``&``, ``<`` and ``>`` so that no text can become a ``<!channel>``-style token.

Slack's limits (https://api.slack.com/reference/block-kit/blocks): 50 blocks
per message (100 in a Home tab), 3,000 characters per section text, 10 fields
of 2,000 characters, 150 characters of header, 75 characters of button text,
2,000 characters of button value, 25 elements per actions block. A reply that
does not fit is split into pages; :func:`render_pages` returns them all and
:func:`to_blocks` one of them, with "Previous"/"Next" buttons that carry the
state needed to rebuild it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from adapters.common import clip
from bot.kernel.lang import in_lang
from bot.kernel.reply import Button, Reply, Section, pack_lines, to_text
from bot.kernel.safety import neutralise_mentions

__all__ = [
    "MAX_BLOCKS",
    "MAX_HOME_BLOCKS",
    "MAX_SECTION_TEXT",
    "MAX_FIELDS",
    "MAX_BUTTON_TEXT",
    "MAX_BUTTON_VALUE",
    "ACTION_PREFIX",
    "to_blocks",
    "render_pages",
    "blocks_text",
    "fallback_text",
    "mrkdwn",
    "plain",
    "encode_value",
    "decode_value",
    "page_count",
]

MAX_BLOCKS = 50
MAX_HOME_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK = 3000
# A page also stays readable: about a screen and a half of text.
PAGE_TEXT_BUDGET = 9000
ACTION_PREFIX = "cos:"

# Single-user mentions and channel links the core may emit on purpose (check-ins, digests).
_KEEP = re.compile(r"<(@[UW][A-Z0-9]{2,30}|#[CG][A-Z0-9]{2,30})>")


def plain(text: str, limit: int | None = None) -> str:
    """Text for ``plain_text`` objects: no crowd pings, at most ``limit`` characters."""
    text = neutralise_mentions(text)
    return clip(text, limit) if limit else text


def mrkdwn(text: str) -> str:
    """Text for ``mrkdwn`` objects: crowd pings neutralised, ``& < >`` escaped.

    ``<@U123>`` user mentions and ``<#C123>`` channel links survive; nothing
    else can form a Slack control sequence.
    """
    text = neutralise_mentions(text)
    out: list[str] = []
    pos = 0
    for m in _KEEP.finditer(text):
        out.append(_escape(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut_mrkdwn(text: str, limit: int) -> str:
    """Shorten escaped text without splitting an ``&amp;`` entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def _split_lines(text: str, limit: int) -> list[str]:
    """Split escaped mrkdwn into chunks of at most ``limit`` characters, at line breaks when possible."""
    return pack_lines(text.split("\n"), limit, cut=_mrkdwn_cut)


def _mrkdwn_cut(line: str, limit: int) -> int:
    """Where to split an overlong line: at a space in its second half, never inside an ``&amp;`` entity."""
    head = line[:limit]
    cut = head.rfind(" ", limit // 2)
    cut = cut if cut > 0 else limit
    amp = head.rfind("&", 0, cut)
    if amp > 0 and ";" not in head[amp:cut]:
        cut = amp
    return cut


def encode_value(state: dict[str, Any]) -> str | None:
    """A button value carrying ``state``; None when it would not fit Slack's 2,000 characters."""
    value = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
    return value if len(value) <= MAX_BUTTON_VALUE else None


def decode_value(value: str) -> dict[str, Any] | None:
    """The state in a button value, or None when it is not ours (stale, forged, truncated)."""
    if not value or len(value) > MAX_BUTTON_VALUE or not value.startswith("{"):
        return None
    try:
        state = json.loads(value)
    except ValueError:
        return None
    return state if isinstance(state, dict) else None


def _section_text(section: Section) -> str:
    lines: list[str] = []
    if section.heading:
        lines.append(f"*{mrkdwn(section.heading)}*")
    if section.text:
        lines.append(mrkdwn(section.text))
    lines.extend(f"• {mrkdwn(b)}" for b in section.bullets)
    return "\n".join(lines)


def _content_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Fields and sections as blocks, each within the per-block limits."""
    blocks: list[dict[str, Any]] = []
    fields = [
        {"type": "mrkdwn", "text": _cut_mrkdwn(f"*{mrkdwn(f.label)}*\n{mrkdwn(f.value)}", MAX_FIELD_TEXT)}
        for f in reply.fields
    ]
    blocks.extend({"type": "section", "fields": fields[i : i + MAX_FIELDS]} for i in range(0, len(fields), MAX_FIELDS))
    if len(reply.title) > MAX_HEADER:
        # The header shows a shortened title; the whole title stays readable here.
        whole = _cut_mrkdwn(mrkdwn(reply.title), MAX_SECTION_TEXT - 2)
        blocks.insert(0, {"type": "section", "text": {"type": "mrkdwn", "text": f"*{whole}*"}})
    for section in reply.sections:
        text = _section_text(section)
        blocks.extend(
            {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
            for chunk in _split_lines(text, MAX_SECTION_TEXT)
        )
    return blocks


def _block_size(block: dict[str, Any]) -> int:
    if "text" in block:
        return len(block["text"]["text"])
    return sum(len(f["text"]) for f in block.get("fields", ()))


def _button(button: Button, index: int, value: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "action_id": f"{ACTION_PREFIX}{button.action}:{index}"[:255],
        "text": {"type": "plain_text", "text": plain(button.label, MAX_BUTTON_TEXT) or button.action, "emoji": True},
        "value": value,
    }
    if button.style in ("primary", "danger"):
        element["style"] = button.style
    return element


def _buttons(reply: Reply, state: dict[str, Any] | None) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    for i, b in enumerate(reply.buttons):
        if b.action == "share":
            if not reply.ephemeral:
                continue  # already public
            value = encode_value(state) if state else None
            if value is None:
                continue  # nothing to rebuild the answer from
        else:
            value = b.value if len(b.value) <= MAX_BUTTON_VALUE else None
            if value is None:
                continue
        elements.append(_button(b, i, value))
    return elements[:MAX_ACTIONS]


def _paginate(blocks: list[dict[str, Any]], per_page: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = [[]]
    size = 0
    for block in blocks:
        n = _block_size(block)
        if pages[-1] and (len(pages[-1]) >= per_page or size + n > PAGE_TEXT_BUDGET):
            pages.append([])
            size = 0
        pages[-1].append(block)
        size += n
    return pages


def page_count(reply: Reply, *, max_blocks: int = MAX_BLOCKS) -> int:
    """How many pages ``reply`` needs."""
    return len(_paginate(_content_blocks(reply), max_blocks - 4))


def render_pages(
    reply: Reply, *, state: dict[str, Any] | None = None, max_blocks: int = MAX_BLOCKS
) -> list[list[dict[str, Any]]]:
    """Every page of ``reply`` as Block Kit blocks.

    ``state`` says how to rebuild the reply (``{"c": command, "t": text}`` or
    ``{"a": action, "v": value}``); it goes into the Share and paging buttons.
    Without it those buttons are left out.
    """
    content = _content_blocks(reply)
    # Room for the header, the reply's buttons, the page buttons and the footer.
    pages = _paginate(content, max_blocks - 4)
    total = len(pages)
    rendered: list[list[dict[str, Any]]] = []
    for number, page in enumerate(pages):
        blocks: list[dict[str, Any]] = []
        title = reply.title or ("Something went wrong" if reply.error else "")
        if title:
            shown = plain(title)
            if total > 1:
                suffix = f" ({number + 1}/{total})"
                shown = clip(shown, MAX_HEADER - len(suffix)) + suffix
            blocks.append(
                {"type": "header", "text": {"type": "plain_text", "text": clip(shown, MAX_HEADER), "emoji": True}}
            )
        blocks.extend(page)
        buttons = _buttons(reply, state)
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
        if total > 1:
            nav = _nav(state, number, total, lang=reply.lang or "en")
            if nav:
                blocks.append({"type": "actions", "elements": nav})
        context = []
        if reply.footer:
            context.append({"type": "mrkdwn", "text": _cut_mrkdwn(mrkdwn(reply.footer), MAX_CONTEXT_TEXT)})
        if total > 1:
            hint = in_lang(reply.lang or "en", "Page {number} of {total}").format(number=number + 1, total=total)
            if not state:
                hint += in_lang(reply.lang or "en", " (ask a narrower question to see the rest here)")
            context.append({"type": "mrkdwn", "text": hint})
        if context:
            blocks.append({"type": "context", "elements": context})
        if not blocks:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(to_text(reply)) or " "}})
        rendered.append(blocks[:max_blocks])
    return rendered


def _nav(state: dict[str, Any] | None, number: int, total: int, *, lang: str = "en") -> list[dict[str, Any]]:
    if not state:
        return []
    elements = []
    for label, target in ((in_lang(lang, "‹ Previous"), number - 1), (in_lang(lang, "Next ›"), number + 1)):
        if 0 <= target < total:
            value = encode_value({**state, "p": target})
            if value is not None:
                elements.append(
                    {
                        "type": "button",
                        "action_id": f"{ACTION_PREFIX}page:{target}",
                        "text": {"type": "plain_text", "text": label, "emoji": True},
                        "value": value,
                    }
                )
    return elements


def to_blocks(
    reply: Reply, *, page: int = 0, state: dict[str, Any] | None = None, max_blocks: int = MAX_BLOCKS
) -> list[dict[str, Any]]:
    """One page of ``reply`` as Block Kit blocks (the first by default); the page number is clamped."""
    pages = render_pages(reply, state=state, max_blocks=max_blocks)
    return pages[max(0, min(page, len(pages) - 1))]


def fallback_text(reply: Reply) -> str:
    """The top-level ``text`` of a message: notifications and clients without blocks."""
    return _cut_mrkdwn(mrkdwn(to_text(reply)), MAX_FALLBACK) or "cos-bot"


def _texts(blocks: Iterable[dict[str, Any]], *, buttons: bool) -> Iterable[str]:
    for block in blocks:
        kind = block.get("type")
        if kind in ("header", "section") and isinstance(block.get("text"), dict):
            yield block["text"]["text"]
        for f in block.get("fields", ()) or ():
            # "*Label*\nvalue" is shown as a bold label over its value; as text it reads "Label: value".
            label, sep, value = f["text"].partition("\n")
            yield f"{label}: {value}" if sep and _BOLD_LINE.match(label) else f["text"]
        if kind == "context":
            for element in block.get("elements", ()):
                if "text" in element:
                    yield element["text"]
        if kind == "actions" and buttons:
            labels = [e["text"]["text"] for e in block.get("elements", ()) if "text" in e]
            if labels:
                yield " | ".join(labels)


_BOLD_LINE = re.compile(r"^\*(.+)\*$")


def blocks_text(blocks: Sequence[dict[str, Any]], *, buttons: bool = True) -> str:
    """All visible text of ``blocks``: unescaped, without our bold markers, one line per line.

    Parity tests compare it with other platforms' renderings of the same Reply.
    """
    text = "\n".join(_texts(blocks, buttons=buttons))
    lines = [_BOLD_LINE.sub(r"\1", line) for line in text.split("\n")]
    lines = [re.sub(r"^\*(.+?)\*:", r"\1:", line) for line in lines]
    return html.unescape("\n".join(lines))
