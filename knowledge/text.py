"""Text clean-up shared by the loader and the search index."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fix_mojibake", "has_mojibake", "fold", "has_han"]

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Sequences that only appear when UTF-8 bytes were decoded as Mac Roman.
_MOJIBAKE_MARKERS = ("√ó", "‚≠ê", "\uf8ff", "‚öñ", "Ô∏è", "üè", "üë", "üì", "üõ", "üå", "üé", "üí")


def _repair_run(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return run.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return run


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was read as Mac Roman (``24√ó7`` -> ``24×7``).

    Runs of non-ASCII characters that do not round-trip are left alone, so
    clean text passes through unchanged.
    """
    if not has_mojibake(text):
        return text
    return _NON_ASCII_RUN.sub(_repair_run, text)


def has_mojibake(text: str) -> bool:
    """True when the text still holds a mis-decoded sequence."""
    return any(marker in text for marker in _MOJIBAKE_MARKERS)


def fold(text: str) -> str:
    """Lower-case, strip accents and normalise the multiplication sign (24×7 -> 24x7)."""
    text = unicodedata.normalize("NFKD", text.replace("×", "x"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def has_han(text: str) -> bool:
    """True when ``text`` holds a Chinese (Han) character."""
    return _HAN.search(text) is not None
