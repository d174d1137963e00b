"""How a question is put: who asks, and what kind of answer it wants.

A question often says who asks before what about: the document it asks ("according to the overview"), the
asker's kind of company ("what business risks should a commercial open source company manage"), their role ("As
CFO, ...", "vp sales here", "作为CFO，"). Those words say nothing of the topic and would rank the entries that
speak of them (Stage Characteristics, Executive Search) above it: ``without_asker`` leaves them out of what is
searched, unless nothing else is asked.

It also says what kind of answer it wants (``wanted``): who does it ("which law firm", "哪家猎头"), the kinds of
a thing ("what are the main categories of business risk", "哪些"), or the others beside the one it names ("we
only sell subscriptions, what other ways of making money are there"). ``knowledge.search`` ranks by it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from knowledge.lexicon import STOPWORDS
from knowledge.text import has_han
from knowledge.words import words_of

__all__ = ["Wanted", "wanted", "without_asker", "without_asker_zh"]

# The question speaking of the document it asks ("which firms does the overview recommend"): not its topic.
_DOC = r"(?:overview|document|doc|docs|guide|guidance)"
_DOCUMENT_MENTION = re.compile(
    r"\b(?:according to|in|from|per) (?:the|this|your) " + _DOC + r"\b"
    r"|\b(?:the|this|your) " + _DOC + r" (?:lists?|mentions?|says?|recommends?|suggests?|names?|describes?"
    r"|covers?|gives?|offers?|calls?)\b"
    r"|\b(?:does|do|did) (?:the|this|your) " + _DOC + r" (?:list|mention|say|recommend|suggest|name|describe"
    r"|cover|call)\b"
    # asking which of the overview's services a need is: "what service addresses that", "what does that fall under"
    r"|\b(?:what|which) (?:service|services|area|category|topic) (?:addresses|applies|covers|handles|fits) "
    r"(?:\w+ing )?(?:that|this|it)\b|\bwhat does (?:that|this|it) fall under\b"
    r"|\bwhat(?:'s| is) (?:that|this|it) (?:\w+ )?called\b",
    re.IGNORECASE,
)
# The same in Chinese: "文档里怎么说", "指南里有没有提到".
_DOCUMENT_MENTION_ZH = re.compile(
    r"(?:这份|这个|你们的)?(?:文档|指南|概述)(?:里面|里|中|上)?(?:是)?(?:怎么说|怎么讲|有没有提到|提到|说|讲|推荐|列了|列出)"
)


# The domain every question is in, named as the asker's kind of company ("what business risks should a commercial
# open source company manage"): it says who asks, not what about, and would rank the entries that speak of the domain
# itself (Stage Characteristics, Summary) above the topic. Left out when something else is asked.
_DOMAIN_MENTION = re.compile(
    r"\b(?:(?:a|an|the|our|my|your|any|every|for|of|as|at) )?(?:(?:successful|mature|typical|young|growing|small|large"
    r"|new) )?(?:commercial(?:ly)?|commercialized|commercializing) (?:open[- ]?source|oss) "
    r"(?:company|companies|vendor|vendors|business|businesses|firm|firms|startup|startups|organisation|organization"
    r"|organizations|organisations|player|players)\b"
    r"|\b(?:(?:a|an|the|our|my|your|any|every|for|of|as|at) )?(?:cos|oss|open[- ]?source) "
    r"(?:company|companies|vendor|vendors|startup|startups|firm|firms)\b",
    re.IGNORECASE,
)

_ABOUT_THE_DOMAIN = re.compile(
    r"\b(?:specific|particular|unique|special|peculiar|tailored|specialised|specialized) (?:to|for)\b"
)

# The question asks who does it ("which law firm is recommended", "who runs lobbying campaigns for us"): the
# providers the overview names rank above the service they provide.
_ASKS_WHO = re.compile(
    r"\b(?:which|what|any|some|name|recommended|listed|top|best|there)\s+(?:[\w&'-]+\s+){0,4}?(?:firms?|consultanc(?:y|ies)"
    r"|consultants?|agenc(?:y|ies)|vendors?|providers?|organi[sz]ations?|bodies|integrators?|recruiters?|lawyers?"
    r"|law firms?|advisors?|advisers?)\b"
    r"|\bwho(?:'s| is| are| can| could| should| helps?| runs?| do| does| would| will| to| offers?| provides?)\b",
    re.IGNORECASE,
)
# The same in Chinese: "哪家猎头比较专业", "找谁", "推荐几家律所".
_ASKS_WHO_ZH = re.compile(
    r"哪家|哪几家|哪些(?:公司|机构|律所|事务所)|谁家|找谁|什么(?:公司|机构)|哪个(?:公司|机构)"
    r"|推荐.{0,8}?(?:公司|机构|律所|事务所|咨询|猎头)"
)
# The question asks for a kind of things ("what are the main categories of business risk", "which talent services
# are there"): the entry that groups them ranks above one of its members.
_ASKS_GROUP = re.compile(
    r"\b(?:categor(?:y|ies)|kinds|types|areas|group|groups|main|different|various)\b"
    r"|\b(?:which|what)\s+(?:[\w-]+\s+){0,2}(?:services|risks|factors|models|streams|cases|strategies|needs)\b"
    r"|哪些|哪几(?:种|类)|几种|几类|分类|类型",
    re.IGNORECASE,
)
# "We only sell subscriptions. What other ways of making money are there?": the member named is what the asker has;
# the entry that groups it and its siblings is what is asked.
_ASKS_OTHER = re.compile(
    r"\b(?:what|which|any) other\b|\bbesides\b|还有哪些|有哪些(?:其他|别的)|其他(?:的)?(?:哪些|什么)|只靠.{0,12}多元",
    re.IGNORECASE,
)

# Who asks, named as their role ("As CFO, what are the main ways...", "community manager here!!", "as a board
# member I think..."): it says who asks, not what about, and would rank Executive Search (CFO, CEO) or Board
# Governance above the topic.
_ROLE = (
    r"(?:ceo|cfo|cto|coo|cmo|cro|cpo|ciso|founder|co-?founder|general counsel|gc|board member|board director|investor"
    r"|head of [a-z]+|vp (?:of )?[a-z]+|[a-z]+ lead|[a-z]+ manager|hr lead|lawyer|engineer|developer)"
)
_ROLE_MENTION = re.compile(
    r"(?:^|(?<=[.!?,;:]\s))as (?:a |an |the |our )?" + _ROLE + r"\b,?"
    r"|(?:^|(?<=[.!?,;:]\s))" + _ROLE + r" (?:here|question|asking)\b[!.,:]*",
    re.IGNORECASE,
)

# The same in Chinese: "作为CFO，", "我是董事，".
_ROLE_MENTION_ZH = re.compile(
    r"(?:作为|身为|我是)(?:一名|一个|公司的|我们的)?(?:CEO|CFO|CTO|COO|ceo|cfo|cto|coo|首席\w{2,3}官|董事|创始人|联合创始人|"
    r"法务|总监|负责人|投资人|经理|总经理|副总裁|销售VP|销售负责人)[，,、]?"
)


def _without_domain(text: str) -> str:
    """``text`` with the asker's kind of company left out, unless nothing else is asked."""
    text = _ROLE_MENTION.sub(" ", text)
    if _ABOUT_THE_DOMAIN.search(text):  # "services specific to commercial open source vendors"
        return text
    rest = _DOMAIN_MENTION.sub(" ", text)
    if rest == text or not any(w not in STOPWORDS for w in words_of(rest)):
        return text
    return rest


# What the asker sets aside at the end of a clause ("a head of product and senior AEs, not c-level", "hiring sales
# ppl, not execs"): the thing not wanted is no part of what is asked. A state denied ("9 months runway, not
# profitable") is.
_SET_ASIDE = re.compile(
    r"[,;(]\s*(?:but |and )?not (?!(?:just|only|sure|yet|even|really|that|too|much|many|enough|always|ever|very|so"
    r"|profitable|ready|working|great|good|ideal|ok|okay|possible|clear|happy|able|allowed|interested|convinced"
    r"|growing|paying|selling|making|getting|going|doing)\b)(?:a |an |the )?(?:[\w/&+'-]+ ?){1,3}(?=[.,;!?)]|$)"
)


@lru_cache(maxsize=4096)
def without_asker(text: str) -> str:
    """An English question without the words that say who asks (the document, the asker's role and kind of
    company) and without what the asker sets aside ("…, not c-level")."""
    return _without_domain(_DOCUMENT_MENTION.sub(" ", _SET_ASIDE.sub(" ", text)))


def without_asker_zh(text: str) -> str:
    """The same for a Chinese question ("文档里怎么说", "作为CFO，")."""
    return _ROLE_MENTION_ZH.sub(" ", _DOCUMENT_MENTION_ZH.sub(" ", text))


@dataclass(frozen=True, slots=True)
class Wanted:
    """The kind of answer a question asks for."""

    # who does it: a provider rather than the service it provides
    who: bool
    # kinds of a thing: the entry grouping them rather than one member
    kinds: bool
    # the others beside the one named: the entry grouping them first
    others: bool


def wanted(text: str, read: str) -> Wanted:
    """What ``text`` (as typed) asks for; ``read`` is its English reading (``Searcher.readable``)."""
    han = has_han(text)
    return Wanted(
        who=(han and _ASKS_WHO_ZH.search(text) is not None) or _ASKS_WHO.search(read) is not None,
        kinds=(han and _ASKS_GROUP.search(text) is not None) or _ASKS_GROUP.search(read) is not None,
        others=_ASKS_OTHER.search(text) is not None,
    )
