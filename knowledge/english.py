"""Is a word ordinary English? Tells a typo ("excutive") from a real word ("bread").

Typo repair maps a word the knowledge does not use to the closest word it does.
That is right for "excutive" -> "executive" and wrong for "bread" -> "break":
the second was a real word about something else. The word list comes from the
``pyspellchecker`` package (an English frequency list shipped inside the wheel,
nothing downloaded); without it the answer is "don't know" (None).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["is_english_word"]


@lru_cache(maxsize=1)
def _dictionary() -> Any | None:
    try:
        from spellchecker import SpellChecker
    except ImportError:  # pragma: no cover - the package is a dependency
        return None
    return SpellChecker(language="en", distance=1)


def is_english_word(word: str) -> bool | None:
    """True for a word in the English word list, False for one that is not, None without the list."""
    checker = _dictionary()
    if checker is None:
        return None
    return word.lower() in checker
