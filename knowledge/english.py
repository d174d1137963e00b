"""Is a word ordinary English? Tells a typo ("excutive") from a real word ("bread").

Typo repair maps a word the knowledge does not use to the closest word it does.
That is right for "excutive" -> "executive" and wrong for "bread" -> "break":
the second was a real word about something else. The word list comes from the
``pyspellchecker`` package (an English frequency list shipped inside the wheel,
nothing downloaded); without it the answer is "don't know" (None).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

__all__ = ["is_english_word", "everyday_share"]


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


# log10 of a word's count in the list's corpus: at or above _EVERYDAY a word is everyday English ("keep", "months",
# "late"), at or below _SPECIALIST it is a specialist's word ("antitrust", "runway", "soc2").
_EVERYDAY = 6.0
_SPECIALIST = 4.0


@lru_cache(maxsize=65536)
def everyday_share(word: str) -> float:
    """How much ``word`` is everyday English rather than a term: 0.0 (rare or unknown) to 1.0 (very common)."""
    checker = _dictionary()
    if checker is None:
        return 0.0
    count = checker.word_frequency[word.lower()]
    level = math.log10(count + 1)
    return min(1.0, max(0.0, (level - _SPECIALIST) / (_EVERYDAY - _SPECIALIST)))
