"""Is a word ordinary English? Tells a typo ("excutive") from a real word ("bread").

Typo repair maps a word the knowledge does not use to the closest word it does.
That is right for "excutive" -> "executive" and wrong for "bread" -> "break":
the second was a real word about something else. The word list comes from the
``pyspellchecker`` package (an English frequency list shipped inside the wheel,
nothing downloaded); without it the answer is "don't know" (None).

How everyday a word is (``everyday_share``) is asked of every word of every question, and loading the whole list
costs 0.15 s, most of a one-shot ``cos-bot ask``. Only words counted at least 10,000 times have a share above 0,
so those (about 5,000) ship as ``knowledge/data/everyday_en.txt``, made from the same list by
``python -m knowledge.english`` (a test checks it still matches the installed list); the whole list is loaded only
when a typo repair needs to know whether a word is English.
"""

from __future__ import annotations

import math
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["is_english_word", "everyday_share", "everyday_counts", "EVERYDAY_FILE"]

EVERYDAY_FILE = Path(__file__).with_name("data") / "everyday_en.txt"


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


# The smallest count whose share is above 0: log10(count + 1) > _SPECIALIST.
_MIN_COUNT = 10**_SPECIALIST


def everyday_counts() -> dict[str, int]:
    """The counts in the installed word list that give a share above 0 (what ``EVERYDAY_FILE`` holds)."""
    checker = _dictionary()
    if checker is None:
        return {}
    return {w: int(n) for w, n in checker.word_frequency.dictionary.items() if n >= _MIN_COUNT}


@lru_cache(maxsize=1)
def _everyday() -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in EVERYDAY_FILE.read_text(encoding="utf-8").splitlines():
        word, _, count = line.partition("\t")
        counts[word] = int(count)
    return counts


@lru_cache(maxsize=65536)
def everyday_share(word: str) -> float:
    """How much ``word`` is everyday English rather than a term: 0.0 (rare or unknown) to 1.0 (very common)."""
    count = _everyday().get(word.lower(), 0)
    level = math.log10(count + 1)
    return min(1.0, max(0.0, (level - _SPECIALIST) / (_EVERYDAY - _SPECIALIST)))


if __name__ == "__main__":  # python -m knowledge.english: write EVERYDAY_FILE from the installed word list
    table = everyday_counts()
    EVERYDAY_FILE.write_text("".join(f"{w}\t{n}\n" for w, n in sorted(table.items())), encoding="utf-8")
    sys.stderr.write(f"{len(table)} words written to {EVERYDAY_FILE}\n")
