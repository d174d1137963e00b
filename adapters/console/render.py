"""Reply -> terminal text."""

from __future__ import annotations

from bot.kernel.reply import Reply, to_text

__all__ = ["to_console"]


def to_console(reply: Reply) -> str:
    """Plain text with the buttons listed as hints (the console has no buttons)."""
    text = to_text(reply, plain_mentions=True)
    hints = [b.label for b in reply.buttons if b.action not in ("share",)]
    if hints:
        text += "\n\n(options: " + " | ".join(hints) + ")"
    return text
