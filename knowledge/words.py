"""Words of a question and of the content: folding, stemming, tokens, year mentions, edit distance."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer
from breame.data.spelling_constants import BRITISH_ENGLISH_SPELLINGS

from knowledge.lexicon import ABBREVIATIONS, STOPWORDS, SYNONYMS
from knowledge.text import fold

__all__ = [
    "tokenize",
    "normalise_query",
    "year_values",
    "stem_word",
    "words_of",
    "MAX_YEAR",
    "entry_years",
    "is_stopword",
    "is_opaque",
    "raw_words",
    "ngrams",
    "synonyms_of",
    "example_stems",
]


_STEMMER = snowballstemmer.stemmer("english")
# Stems that the Snowball stemmer merges but that mean different things here.
_STEM_EXCEPTIONS = {
    "customer": "customer",
    "customers": "customer",
    "customer's": "customer",
    "customise": "custom",
    "customize": "custom",
    "customised": "custom",
    "customized": "custom",
    "customization": "custom",
    "customisation": "custom",
    "general": "general",
    "generally": "general",
    "organic": "organic",
    "universal": "universal",
    "university": "university",
    "news": "news",
    "data": "data",
    "sales": "sale",
    "ops": "ops",
    "saas": "saas",
    "paas": "paas",
    "ceos": "ceo",
    "ctos": "cto",
}
_WORD = re.compile(r"[a-z0-9]+(?:['&][a-z0-9]+)*")
# Spellings joined before tokenising so that "SOC 2" and "soc2" are one word.
_JOINS = (
    (re.compile(r"\b24\s*(?:x|/|\*|by)\s*7\b"), "24x7"),
    (re.compile(r"\bsoc\s*-?\s*(\d)\b"), r"soc\1"),
    (re.compile(r"\biso\s*-?\s*(\d{4,5})\b"), r"iso\1"),
    (re.compile(r"\bm\s*&\s*a\b"), "m_and_a"),
    (re.compile(r"\bmergers?\s+(?:and|&)\s+acquisitions?\b"), "m_and_a"),
    (re.compile(r"\bc\s*-\s*(level|suite)\b"), r"c\1"),
    (re.compile(r"\be-?mail\b"), "email"),
    (re.compile(r"\bon-?prem(?:ise|ises)?\b"), "onprem"),
    (re.compile(r"\bmulti-(\w)"), r"multi\1"),
    (re.compile(r"\bco-(\w)"), r"co\1"),
    (re.compile(r"\bpre-(\w)"), r"pre\1"),
    (re.compile(r"\bin-house\b"), "inhouse"),
    (re.compile(r"[\s-]+as[\s-]+an?[\s-]+service\b"), " asaservice"),
    (re.compile(r"\bcross-border\b"), "crossborder"),
)


@lru_cache(maxsize=65536)
def stem_word(word: str) -> str:
    if word in _STEM_EXCEPTIONS:
        return _STEM_EXCEPTIONS[word]
    if word.isdigit() or len(word) <= 3:
        return word
    return str(_STEMMER.stemWord(word))


@lru_cache(maxsize=4096)
def normalise_query(text: str) -> str:
    """Fold case and accents and join spellings that belong together."""
    text = fold(text).replace("_", " ")
    for pattern, repl in _JOINS:
        text = pattern.sub(repl, text)
    return text


def words_of(text: str) -> list[str]:
    """The words of ``text``, case and accents folded, shorthand spelled out, a possessive's "'s" dropped."""
    return list(_words_of(text))


# Shorthand that means something else after a number: "a 6 hr drive" is hours, not human resources.
_AFTER_NUMBER: dict[str, tuple[str, ...]] = {
    "hr": ("hours",),
    "hrs": ("hours",),
    "h": ("hours",),
    "mo": ("months",),
    "mos": ("months",),
}


@lru_cache(maxsize=4096)
def _words_of(text: str) -> tuple[str, ...]:
    # A question's words are read by search, the decision and the form checks alike: read once per text.
    words: list[str] = []
    before = ""
    for raw in _WORD.findall(normalise_query(text)):
        if not raw:
            continue
        expanded = _AFTER_NUMBER.get(raw) if before.isdigit() else None
        expanded = expanded or ABBREVIATIONS.get(raw)
        before = raw
        if expanded:
            words.extend(expanded)
            continue
        if raw.endswith("'s") and len(raw) > 4 and raw[:-2] not in STOPWORDS:
            word = raw[:-2].replace("'", "")  # a possessive: "elastic's market cap" is about Elastic
        else:
            word = raw.replace("'", "")
        # one spelling for the index and the question alike: "programme", "organisation" read as "program",
        # "organization" (breame's list of British spellings)
        words.append(BRITISH_ENGLISH_SPELLINGS.get(word, word))
    return tuple(words)


def tokenize(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Stemmed tokens of ``text`` (stop words dropped unless asked)."""
    return [stem_word(w) for w in words_of(text) if keep_stopwords or w not in STOPWORDS]


_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "6th": 6,
    "7th": 7,
    "8th": 8,
    "9th": 9,
    "10th": 10,
    "a": 1,
    "couple": 2,
    "few": 3,
    "several": 4,
    "half": 5,
}
_NUM = r"(\d{1,2}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + ")"
_YEAR_RANGE = re.compile(r"\byears?\s+" + _NUM + r"(?:\s*(?:-|to|through|thru|and|or)\s*" + _NUM + r")?\b")
_FIRST_N_YEARS = re.compile(r"\bfirst\s+" + _NUM + r"\s+years?\b")
_N_YEARS = re.compile(r"\b" + _NUM + r"\s*(?:\+\s*|or\s+(?:so|more)\s+)?(?:-\s*)?years?\b")
_BEYOND = re.compile(
    r"\b(?:more\s+than|over|beyond|after|past|longer\s+than)\s+(?:the\s+)?(?:years?\s+)?"
    + _NUM
    + r"(?:\s+years?)?\b|\b"
    + _NUM
    + r"\s*\+\s*years?\b"
)
_DECADE = re.compile(r"\bdecades?\b")
MAX_YEAR = 10


def _num(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBER_WORDS.get(word)


def year_values(text: str) -> set[int]:
    """Years of a company's life that ``text`` talks about ("year four", "first 2 years", "a decade")."""
    text = normalise_query(text)
    found: set[int] = set()
    spans: list[tuple[int, int]] = []
    for m in _BEYOND.finditer(text):
        n = _num(m.group(1) or m.group(2))
        if n is not None and ("year" in m.group(0) or "+" in m.group(0)) and n <= 40:
            spans.append(m.span())
            found.update(range(min(n + 1, MAX_YEAR), MAX_YEAR + 1))
    for pattern in (_FIRST_N_YEARS, _YEAR_RANGE, _N_YEARS):
        for m in pattern.finditer(text):
            if any(a <= m.start() < b for a, b in spans):
                continue
            spans.append(m.span())
            nums = [n for n in (_num(g) for g in m.groups() if g) if n is not None]
            if not nums or any(n > 40 for n in nums):
                continue
            lo, hi = (1, nums[0]) if pattern is _FIRST_N_YEARS else (min(nums), max(nums))
            if lo == 0:
                lo = 1
            found.update(range(min(lo, MAX_YEAR), min(hi, MAX_YEAR) + 1))
    if _DECADE.search(text):
        found.add(MAX_YEAR)
    return found


def entry_years(years: str | None) -> frozenset[int]:
    """The years of a company's life an entry's ``years`` ("Years 1-2", "Years 5+") covers."""
    if not years:
        return frozenset()
    values = year_values(years)
    if "+" in years or "more" in years:
        nums = [int(n) for n in re.findall(r"\d+", years)]
        if nums:
            values = set(range(min(nums[0], MAX_YEAR), MAX_YEAR + 1))
    return frozenset(values)


# "what's" reaches the index as "whats": a stop word either way.
_STOPWORDS_UNQUOTED = frozenset(w.replace("'", "") for w in STOPWORDS)


def is_stopword(word: str) -> bool:
    return word in STOPWORDS or word in _STOPWORDS_UNQUOTED


def is_opaque(word: str) -> bool:
    """A token standing for a Chinese word the lexicon does not know ("zhq" + code points): never repaired."""
    return word.startswith("zhq") and word[3:].isalnum() and any(c.isdigit() for c in word)


def raw_words(text: str) -> str:
    """The text's letters and digits as typed (folded, unstemmed)."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def ngrams(tokens: list[str], longest: int) -> frozenset[tuple[str, ...]]:
    """Every run of 1 to ``longest`` consecutive tokens: a phrase of at most ``longest`` words is in ``tokens``
    exactly when it is in this set (built once per question instead of scanning the tokens per phrase)."""
    return frozenset(tuple(tokens[i : i + n]) for n in range(1, longest + 1) for i in range(len(tokens) - n + 1))


def synonyms_of(gram: str) -> tuple[str, ...]:
    """The lexicon's synonyms of a word or phrase; a plural's last word falls back on its singular
    ("auditors" -> "auditor", "agencies" -> "agency")."""
    found = SYNONYMS.get(gram)
    if found is not None:
        return found
    if gram.endswith("ies") and len(gram) > 4:
        return SYNONYMS.get(gram[:-3] + "y", ())
    if gram.endswith("s") and not gram.endswith("ss") and len(gram) > 3:
        return SYNONYMS.get(gram[:-1], ())
    return ()


# "like Accenture", "such as Kafka, Pulsar": what follows names examples of the topic, not the topic.
# "we'd like to sell" and "would like" are wishes, not examples.
_EXAMPLES = re.compile(
    r"(?<!would )(?<!'d )(?<!d )\b(?:like|such as|e\.g\.?|for example|including)\s+(?!to\b)([^,.;!?]+)"
)


def example_stems(text: str) -> frozenset[str]:
    """Stems of the words a question names as examples ("database-as-a-service like Atlas" -> {"atlas"})."""
    found: set[str] = set()
    for m in _EXAMPLES.finditer(normalise_query(text)):
        words = m.group(1).split(" and ")[0].split()[:3]
        found.update(tokenize(" ".join(words)))
    return frozenset(found)
