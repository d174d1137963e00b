"""Input clean-up and mention neutralising, applied at the core's edges."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_INPUT", "clean_input", "neutralise_mentions", "InputProblem"]

MAX_INPUT = 500  # characters of a command's text that the core will read

# Bidi overrides/isolates and zero-width characters that can disguise text.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u2060"),
    None,
)
_MASS_MENTIONS = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<!subteam\^[^>]*>|@(?=(?:everyone|here|channel)\b)",
    re.IGNORECASE,
)
_USER_MENTION = re.compile(r"<@[!&]?([A-Za-z0-9]+)(?:\|[^>]*)?>")
_SLACK_SPECIAL = re.compile(r"<!([A-Za-z]+(?:\^[A-Za-z0-9]+)?)(?:\|[^>]*)?>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class InputProblem(ValueError):
    """The text cannot be read as a command; the message says why."""


def clean_input(text: str) -> str:
    """Normalise what a person typed: NFC, no control or invisible characters, one-line spacing.

    Raises ``InputProblem`` when the text is too long to be a question.
    """
    if len(text) > MAX_INPUT * 4:
        raise InputProblem(
            f"That message is {len(text):,} characters long; questions are at most {MAX_INPUT} characters. "
            "Try a few key words, for example `/cos-service legal`."
        )
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = re.sub(r"\s+", " ", text).strip()
    # Mentions the platform encoded (<@U123|ann>, <@!123>, <@&role>, <!channel>) become plain
    # words, so nothing a person typed can ping anyone when it is stored and shown again.
    text = plain_mentions(text)
    text = _SLACK_SPECIAL.sub(lambda m: "@" + m.group(1).split("^", 1)[0], text)
    if len(text) > MAX_INPUT:
        raise InputProblem(
            f"That question is {len(text):,} characters long; the limit is {MAX_INPUT}. "
            "Try a few key words, for example `/cos-service legal`."
        )
    return text


def neutralise_mentions(text: str) -> str:
    """Make mass mentions inert on every platform.

    ``@everyone``/``@here``/``@channel`` get a zero-width joiner after the
    ``@``; Slack's ``<!channel>``-style tokens and user-group mentions are
    shown as plain words; Discord role mentions lose their brackets.
    """

    def _slack(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "@":
            return "@\u2060"
        word = token[2:-1].split("|", 1)[0].split("^", 1)[0]
        return f"@\u2060{word}"

    text = _MASS_MENTIONS.sub(_slack, text)
    text = _ROLE_MENTION.sub(lambda m: f"@\u2060role-{m.group(1)}", text)
    return text


def plain_mentions(text: str) -> str:
    """Show ``<@U123>`` user mentions as ``@U123`` (for echoing a question back)."""
    return _USER_MENTION.sub(lambda m: f"@{m.group(1)}", text)
