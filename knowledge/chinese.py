"""Chinese questions: cut into words with jieba, then read in the words the knowledge uses.

Why jieba: it is the maintained, widely used segmenter for Chinese in Python (MIT, pure Python, no model
download: its dictionary ships in the wheel), it takes our own terms as whole words (``add_word``), and it
segments unseen words with its HMM. Its prefix dictionary costs about half a second to build, so it is built only
when a question holds Chinese characters: an English ``cos-bot ask`` and ``cos-bot health`` never import it.

A Chinese question becomes an English one for the index: each word found in the Chinese lexicon (or among the
entries' own Chinese titles and aliases) is replaced by its English words; function words and chatter are dropped;
any other Chinese word becomes an opaque token that no entry uses, so it counts against the answer exactly as an
unknown English word does ("天气" is as foreign to the overview as "weather").

Function words are our stop-word list and, beyond it, every word jieba's dictionary tags as an adverb, pronoun,
preposition, conjunction, particle, numeral, measure word, time or place word ("通过", "快速", "不要", "一支",
"第七年", "明天"): like English stop words they say how a question is asked, never what it is about, and a
short list could not name them all.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from knowledge.lexicon_zh import PROVIDER_NAMES, STOPWORDS, TERMS

__all__ = [
    "UNKNOWN_PREFIX",
    "everyday_share",
    "function_words",
    "has_chinese",
    "is_unknown_token",
    "segment",
    "to_index_words",
    "warm_in_background",
]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
# Opaque tokens for Chinese words the overview does not use: "zhq" + the characters' code points in hex.
UNKNOWN_PREFIX = "zhq"
_UNKNOWN = re.compile(r"^zhq[0-9a-f]+$")
_lock = threading.Lock()
_tokenizer: Any = None
_added: set[str] = set()
# Every term ever offered to ``_add_words``, kept whole or not.
_seen: set[str] = set()
_function: frozenset[str] | None = None
_content: frozenset[str] | None = None
# Tags of single characters that are words of their own: nouns, verbs, adjectives; the count bound leaves out the
# ubiquitous ones that mostly serve grammar ("人", "出", "好", "大").
_CONTENT_TAGS = "n|v|a"
_CONTENT_CHARACTER_MAX = 40000
# jieba's part-of-speech tags of words that say how a question is asked, not what about: adverbs (d), prepositions
# (p), conjunctions (c), particles (u), modal particles (y), interjections (e), onomatopoeia (o), numerals (m),
# measure words (q), pronouns (r), time (t), direction (f) and state (z) words.
_FUNCTION_TAGS = "d|df|dg|ad|p|c|u|uj|ul|uv|uz|ud|ug|y|e|o|m|mq|mg|q|r|rr|rz|rg|t|tg|f|z"


def has_chinese(text: str) -> bool:
    """True when ``text`` holds at least one Chinese character."""
    return _HAN.search(text) is not None


def is_unknown_token(word: str) -> bool:
    """True for the opaque token of a Chinese word the lexicon does not know."""
    return word.startswith(UNKNOWN_PREFIX) and _UNKNOWN.match(word) is not None


def _unknown(word: str) -> str:
    return UNKNOWN_PREFIX + "".join(f"{ord(c):04x}" for c in word)


# log10 of a word's count in jieba's dictionary (68 million words counted): at or above _EVERYDAY an everyday word
# ("一直", "晚上"), at or below _SPECIALIST a term ("增值税", "红烧肉"). The same relative frequencies as the
# English word list's bounds in ``knowledge.english`` (its corpus is 24 times larger).
_EVERYDAY = 4.6
_SPECIALIST = 2.6


def everyday_share(token: str) -> float:
    """How much the Chinese word behind an opaque token is everyday language: 0.0 (a term) to 1.0 (very common)."""
    if not is_unknown_token(token):
        return 0.0
    hexes = token[len(UNKNOWN_PREFIX) :]
    word = "".join(chr(int(hexes[i : i + 4], 16)) for i in range(0, len(hexes), 4))
    count = _jieba().FREQ.get(word, 0)
    level = math.log10(count + 1)
    return min(1.0, max(0.0, (level - _SPECIALIST) / (_EVERYDAY - _SPECIALIST)))


def _jieba() -> Any:
    """jieba's tokenizer with our terms added, built on first use (thread-safe)."""
    global _tokenizer, _function, _content
    with _lock:
        if _tokenizer is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _function, _content = _read_tags(tokenizer)
            _tokenizer = tokenizer
            _add_words(_tokenizer, (*TERMS, *PROVIDER_NAMES))
        return _tokenizer


def warm_in_background(*first: Callable[[], object]) -> threading.Thread:
    """Build the tokenizer on a thread of its own, for a long-running bot, after the ``first`` warm-ups (the
    searcher's): its first questions then wait for no dictionary (about a second of CPU, once per process).
    One-shot commands never call this."""

    def warm() -> None:
        for step in first:
            step()
        _jieba()

    thread = threading.Thread(target=warm, name="jieba-warm", daemon=True)
    thread.start()
    return thread


def function_words() -> frozenset[str]:
    """The words jieba's dictionary tags as function words (``_FUNCTION_TAGS``), read with jieba's dictionary."""
    _jieba()
    assert _function is not None
    return _function


def content_characters() -> frozenset[str]:
    """Single characters jieba's dictionary tags as a noun, verb or adjective and counts fewer than
    ``_CONTENT_CHARACTER_MAX`` times: words of their own ("猫" cat, "吃" eat, "饿" hungry), not grammar. The
    lexicon reads the business ones first ("招" hire, "搭" build, "签" sign)."""
    _jieba()
    assert _content is not None
    return _content


def _read_tags(tokenizer: Any) -> tuple[frozenset[str], frozenset[str]]:
    """The function words and the content characters, from one pass over jieba's dictionary (about 0.1 s, part of
    building the tokenizer)."""
    with tokenizer.get_dict_file() as f:
        data = f.read().decode("utf-8")
    function = frozenset(re.findall(rf"^(\S+) \d+ (?:{_FUNCTION_TAGS})\r?$", data, re.M))
    content = frozenset(
        char
        for char, count in re.findall(rf"^(\S) (\d+) (?:{_CONTENT_TAGS})\r?$", data, re.M)
        if int(count) < _CONTENT_CHARACTER_MAX
    )
    return function, content


def _add_words(tokenizer: Any, words: Any) -> None:
    for word in words:
        _seen.add(word)
        if word not in _added and has_chinese(word) and " " not in word:
            # A frequency that keeps the word whole whatever jieba's dictionary says of its parts.
            tokenizer.add_word(word, freq=max(tokenizer.FREQ.get(word, 0), 20000))
            _added.add(word)


def segment(text: str, *, extra: Mapping[str, tuple[str, ...]] | None = None) -> list[str]:
    """jieba's words of ``text`` (spaces dropped); ``extra`` terms are kept whole too."""
    tokenizer = _jieba()
    if extra and not _seen.issuperset(extra):  # the entries' terms, added once (a set test per question)
        with _lock:
            _add_words(tokenizer, extra)
    return [w for w in tokenizer.cut(text, HMM=True) if w.strip()]


def _split_known(word: str, terms: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """A word jieba kept whole, read as known terms and stop words from left to right, or None."""
    parts: list[str] = []
    i = 0
    while i < len(word):
        for j in range(len(word), i, -1):
            piece = word[i:j]
            if piece in terms or (j - i > 1 and (piece in STOPWORDS or piece in function_words())):
                parts.append(piece)
                i = j
                break
        else:
            return None
    return parts


# "会不会", "要不要", "能不能": a verb, 不, the verb again asks yes or no; jieba cuts it apart ("会", "不会").
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMBER = r"(\d{1,2}|十[一二三四五六七八九]?|[一二两三四五六七八九]十?)"
# "第七年", "前三年", "成立五年", "第 6-8 年": years of a company's life, read as the English "year 7" that search
# matches against the development path's phases.
_ZH_YEARS = re.compile(
    r"(?<![\d.])(第|前|头)?\s*" + _ZH_NUMBER + r"\s*(?:(?:-|–|~|到|至)\s*" + _ZH_NUMBER + r"\s*)?个?年(?![级代纪龄])"
)


def _zh_number(word: str) -> int:
    if word.isdigit():
        return int(word)
    if word.startswith("十"):
        return 10 + _ZH_DIGITS.get(word[1:], 0)
    return _ZH_DIGITS[word[0]] * (10 if word.endswith("十") else 1)


def _years_in_english(m: re.Match[str]) -> str:
    first = _zh_number(m.group(2))
    if m.group(3):
        return f" years {first} to {_zh_number(m.group(3))} "
    if m.group(1) == "第":
        return f" year {first} "
    if m.group(1):
        return f" first {first} years "
    return f" {first} years "


def to_index_words(text: str, *, extra: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """``text`` with its Chinese read as the English words the index uses (Latin words kept as typed)."""
    # The lexicon's general reading wins over an entry's alias ("商业化" is commercialization, not one entry).
    terms: Mapping[str, tuple[str, ...]] = {**(extra or {}), **TERMS, **PROVIDER_NAMES}
    out: list[str] = []
    text = _ZH_YEARS.sub(_years_in_english, text)
    text = _A_NOT_A.sub(" ", text)
    for word in segment(text, extra=extra):
        if not has_chinese(word):
            if _LATIN_OR_DIGIT.search(word):
                out.append(word)
            continue
        if word in STOPWORDS:
            continue
        english = terms.get(word)
        if english is not None:
            out.extend(english)
            continue
        if word in function_words():
            continue
        parts = _split_known(word, terms)
        if parts is None:
            # A lone unknown character is grammar more often than a topic ("出", "完", "高"), unless jieba's
            # dictionary has it as a less than ubiquitous noun, verb or adjective ("猫", "吃", "饿").
            if len(word) > 1 or word in content_characters():
                out.append(_unknown(word))
            continue
        for part in parts:
            out.extend(terms.get(part, ()))
    return " ".join(out)
