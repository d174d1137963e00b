"""The platform-neutral reply, and its plain-text rendering.

Handlers return Replies and never send. Each adapter renders a Reply
natively (Block Kit, embeds, console text) and falls back to ``to_text``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.kernel.safety import neutralise_mentions

__all__ = [
    "Button",
    "Field",
    "Reply",
    "Section",
    "to_text",
    "to_dict",
    "to_state",
    "from_state",
    "pack_lines",
    "mention",
    "MENTION_MARKUP",
]

# A person named in a reply is written ``<@id>``; each adapter renders it natively
# (Slack and Discord read the same markup; the console shows ``@id``).
MENTION_MARKUP = re.compile(r"<@([A-Za-z0-9._-]+)>")


def mention(user: str) -> str:
    """The neutral markup for naming one person (never a mass mention)."""
    return f"<@{user}>"


@dataclass(frozen=True, slots=True)
class Field:
    """A short label/value pair (shown side by side where the platform can)."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Section:
    """A block of text with an optional heading and bullet list."""

    text: str = ""
    heading: str | None = None
    bullets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Button:
    """An action. ``action`` names the handler; ``value`` is what it needs.

    The value is re-validated when pressed: a stale or forged value gets a
    polite reply, never an exception.
    """

    label: str
    action: str
    value: str = ""
    style: str | None = None  # "primary" | "danger" | None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says. ``results`` are the knowledge entry ids it is built on, best first."""

    title: str = ""
    sections: tuple[Section, ...] = ()
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str | None = None
    ephemeral: bool = True
    results: tuple[str, ...] = ()
    error: str | None = None
    # User ids this message is meant to notify (a channel fallback for a closed DM). Only
    # these may ping; adapters allow no other mention.
    notify: tuple[str, ...] = ()
    # False when the bot could not answer from its knowledge (an honest "I don't know";
    # ``results`` then lists the nearest topics). Help, overviews and team commands are True.
    matched: bool = True
    # The language the reply is worded in (``en``, ``zh``); set by the router, read by adapters for their own labels.
    lang: str | None = None

    def public(self) -> Reply:
        """The same reply, to be posted for everyone."""
        return replace(self, ephemeral=False)

    def safe(self) -> Reply:
        """A copy in which no text can ping a crowd (``@everyone``, ``<!channel>``...)."""
        n = neutralise_mentions
        return replace(
            self,
            title=n(self.title),
            sections=tuple(
                Section(
                    text=n(s.text), heading=n(s.heading) if s.heading else None, bullets=tuple(n(b) for b in s.bullets)
                )
                for s in self.sections
            ),
            fields=tuple(Field(n(f.label), n(f.value)) for f in self.fields),
            buttons=tuple(replace(b, label=n(b.label)) for b in self.buttons),
            footer=n(self.footer) if self.footer else None,
            error=n(self.error) if self.error else None,
        )


def to_text(reply: Reply, *, bullet: str = "•", plain_mentions: bool = False) -> str:
    """The whole reply as readable plain text (console, fallbacks, ``--json``).

    ``plain_mentions`` writes people as ``@id`` instead of the ``<@id>`` markup (for a terminal).
    """
    lines: list[str] = []
    if reply.title:
        lines.append(reply.title)
    if reply.fields:
        lines.extend(f"{f.label}: {f.value}" for f in reply.fields)
    for section in reply.sections:
        if lines:
            lines.append("")
        if section.heading:
            lines.append(section.heading)
        if section.text:
            lines.append(section.text)
        lines.extend(f"{bullet} {b}" for b in section.bullets)
    if reply.footer:
        lines.append("")
        lines.append(reply.footer)
    text = "\n".join(lines).strip()
    return MENTION_MARKUP.sub(r"@\1", text) if plain_mentions else text


def to_dict(reply: Reply) -> dict[str, object]:
    """A JSON-friendly view of a reply (recorded transcripts, parity tests)."""
    return {
        "title": reply.title,
        "sections": [{"heading": s.heading, "text": s.text, "bullets": list(s.bullets)} for s in reply.sections],
        "fields": [{"label": f.label, "value": f.value} for f in reply.fields],
        "buttons": [{"label": b.label, "action": b.action, "value": b.value} for b in reply.buttons],
        "footer": reply.footer,
        "ephemeral": reply.ephemeral,
        "results": list(reply.results),
    }


def to_state(reply: Reply) -> dict[str, Any]:
    """Everything in a reply as JSON-friendly data, for keeping it (``from_state`` reads it back)."""
    return {
        "title": reply.title,
        "sections": [[s.text, s.heading, list(s.bullets)] for s in reply.sections],
        "fields": [[f.label, f.value] for f in reply.fields],
        "buttons": [[b.label, b.action, b.value, b.style] for b in reply.buttons],
        "footer": reply.footer,
        "ephemeral": reply.ephemeral,
        "results": list(reply.results),
        "error": reply.error,
        "notify": list(reply.notify),
        "matched": reply.matched,
        "lang": reply.lang,
    }


def from_state(data: Any) -> Reply | None:
    """The reply ``to_state`` kept, or None when ``data`` is not one (damaged or from elsewhere)."""
    try:
        return Reply(
            title=str(data["title"]),
            sections=tuple(
                Section(text=str(t), heading=None if h is None else str(h), bullets=tuple(str(b) for b in bs))
                for t, h, bs in data["sections"]
            ),
            fields=tuple(Field(str(label), str(value)) for label, value in data["fields"]),
            buttons=tuple(
                Button(str(label), str(action), str(value), None if style is None else str(style))
                for label, action, value, style in data["buttons"]
            ),
            footer=None if data["footer"] is None else str(data["footer"]),
            ephemeral=bool(data["ephemeral"]),
            results=tuple(str(r) for r in data["results"]),
            error=None if data["error"] is None else str(data["error"]),
            notify=tuple(str(u) for u in data["notify"]),
            matched=bool(data.get("matched", True)),
            lang=None if data.get("lang") is None else str(data["lang"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def pack_lines(lines: Iterable[str], size: int, *, cut: Callable[[str, int], int] | None = None) -> list[str]:
    """Join lines into chunks of at most ``size`` characters, for platforms' length limits.

    Lines stay whole where they fit; a line longer than ``size`` is split where
    ``cut(line, size)`` says (default: at ``size``), and the rest continues on.
    """
    chunks: list[str] = []
    current = ""
    for line in lines:
        while len(line) > size:
            at = max(1, min(size, cut(line, size) if cut is not None else size))
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:at])
            line = line[at:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > size:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        chunks.append(current)
    return [c.strip("\n") for c in chunks if c.strip()]
