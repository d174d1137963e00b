"""Replies that are not answers from the overview: the honest "I can't answer that", and small talk."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.render import DOCUMENT, N_, title_in, words
from bot.kernel.reply import Button, Reply, Section
from knowledge import Entry

__all__ = ["cannot_answer", "small_talk", "SCOPE"]

# What each command does answer, said whenever it cannot.
SCOPE = {
    "cos-service": N_(
        "`/cos-service` answers questions about business services, service areas and recommended "
        "providers for a commercial open source company: legal, talent, enterprise technology, "
        "training, policy, business models, the development path and success cases."
    ),
    "cos-risk": N_(
        "`/cos-risk` answers questions about business risks, corporate governance and international "
        "compliance (data protection, export control, antitrust, tax): what helps and who can help."
    ),
}


def cannot_answer(
    quoted: str,
    command: str,
    *,
    nearest: Sequence[Entry] = (),
    did_you_mean: Sequence[str] = (),
    examples: Sequence[str] = (),
    lang: str = "en",
) -> Reply:
    """No answer for ``quoted`` (already made safe to show): what the command answers, the nearest topics.

    ``nearest`` entries become "Did you mean" buttons (and the reply's results);
    ``did_you_mean`` are titles found from spelling alone, listed when nothing is near.
    """
    _ = words(lang)
    sections = [
        Section(
            text=_("I can't answer “{question}” from the *{document}*.").format(question=quoted, document=DOCUMENT)
        ),
        Section(text=_(SCOPE.get(command, SCOPE["cos-service"]))),
    ]
    if nearest:
        sections.append(Section(heading=_("Did you mean"), bullets=tuple(title_in(e, lang) for e in nearest)))
    elif did_you_mean:
        sections.append(Section(heading=_("Did you mean"), bullets=tuple(did_you_mean)))
    if examples:
        sections.append(Section(heading=_("Try"), bullets=tuple(examples[:4])))
    return Reply(
        title=_("No match"),
        sections=tuple(sections),
        buttons=tuple(Button(title_in(e, lang)[:70], "open", e.id) for e in nearest[:3]),
        footer=_("`/{command} overview` lists every topic. Source searched: {document}.").format(
            command=command, document=DOCUMENT
        ),
        results=tuple(e.id for e in nearest[:3]),
        matched=False,
        lang=lang,
    )


# -- small talk -------------------------------------------------------------------------------------------
# Phrases of small talk, by what they are: a message made of these (and of the filler words below) and nothing
# else is small talk; "thanks, and what about gdpr" is a question.
_TALK = {
    "hello": (
        r"hi+|hello+|hey+|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|morning|"
        r"你好|您好|嗨|哈喽|哈啰|早上好|下午好|晚上好|早安|大家好"
    ),
    "thanks": (
        r"thanks?(?: you)?(?: so much| a lot| very much)?|thx|ty|tysm|cheers|much appreciated|appreciate it|"
        r"谢谢(?:你|您)?|多谢|感谢|谢了|辛苦了"
    ),
    "who": (
        r"who (?:are|r) (?:you|u)|what (?:are|r) (?:you|u)|"
        r"who (?:built|made|created|wrote|programmed) (?:you|u|this bot)|"
        r"what can (?:you|u) do|what do (?:you|u) do|are (?:you|u) (?:a bot|a human|human|real|an ai)|"
        r"what(?:'s| is) your name|"
        r"你是谁|你是什么|你是機器人嗎|你是机器人吗|你能做什么|你会什么|你可以做什么|谁(?:开发|做|写)了你|谁(?:开发|做|写)的你|你叫什么"
    ),
    "how": r"how are (?:you|u)|how(?:'s| is) it going|what'?s up|sup|你好吗|最近怎么样",
    "bye": r"bye+|goodbye|good bye|see (?:you|ya)|later|good night|再见|拜拜|晚安",
}
_TALK_RE = {kind: re.compile(rf"(?<![a-z'])(?:{pattern})(?![a-z'])", re.I) for kind, pattern in _TALK.items()}
_FILLER = frozenset(
    """
    that was this is it so very really super helpful great nice cool awesome perfect good ok okay
    bot cos there all folks team everyone again for the help answer info a lot much you u man buddy
    friend lol haha oh ah well just and there
    """.split()
)
_FILLER_ZH = re.compile(r"[啊呀啦哦吧呢吗嘛哈了的很非常太好棒有帮助你您机器人]+")
_REPLIES = {
    "hello": N_("Hello!"),
    "thanks": N_("You're welcome!"),
    "who": N_("I'm cos-bot."),
    "how": N_("All good here, thanks!"),
    "bye": N_("Bye for now!"),
}


def _kind_of_talk(text: str) -> str | None:
    rest = text.casefold()
    found: str | None = None
    for kind, pattern in _TALK_RE.items():
        rest, n = pattern.subn(" ", rest)
        if n and found is None:
            found = kind
    if found is None:
        return None
    rest = _FILLER_ZH.sub(" ", re.sub(r"[^\w\s']+", " ", rest))
    return found if all(w in _FILLER for w in rest.split()) else None


def small_talk(text: str, lang: str = "en") -> Reply | None:
    """A short friendly reply to a greeting, thanks, "who are you" or goodbye; None for anything else."""
    kind = _kind_of_talk(text)
    if kind is None:
        return None
    _ = words(lang)
    return Reply(
        title=_(_REPLIES[kind]),
        sections=(
            Section(
                text=_(
                    "I answer questions about business services, providers, risks and compliance for commercial open "
                    "source companies, from the {document}. Try `/cos-service legal` or `/cos-risk gdpr`, or "
                    "`/cos-service help` for everything I can do."
                ).format(document=DOCUMENT)
            ),
        ),
        matched=False,
        lang=lang,
    )
