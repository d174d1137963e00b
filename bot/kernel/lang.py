"""The bot's own words in the asker's language: gettext catalogs, the choice of language, and the ``_`` /
``ngettext`` that speak the language of the reply being made.

Catalogs live in ``bot/locale/<lang>/LC_MESSAGES/cos-bot.po`` (Babel extracts them from the code with
``make messages`` and compiles the ``.mo`` files next to them; both are in the repository so an install needs
no build step). English is the source language: its translator is gettext's ``NullTranslations``.

The language of a reply is chosen (``choose_lang``), in order, by the workspace's setting
(``/cos-service language zh|en|auto``), the platform's locale of the person (Discord's interaction ``locale``,
Slack's ``users.info`` locale), the script of the question, and ``COS_DEFAULT_LANG``. The router answers a
request inside ``use_lang(lang)``: every handler, and every ``UserError`` it raises, then words its text with
``_("...")`` and ``ngettext(singular, plural, n)`` without passing the language down. The language lives in a
context variable, so concurrent requests (each its own asyncio task) never see each other's. Outside any
request (a CLI, a test) the words are English.

Text defined at import time is marked with ``N_`` (so Babel extracts it) and translated with ``_`` where it is
used.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path

__all__ = [
    "LANGS",
    "DOMAIN",
    "LOCALE_DIR",
    "translator",
    "lang_of_locale",
    "lang_of_text",
    "choose_lang",
    "current_lang",
    "use_lang",
    "_",
    "ngettext",
    "N_",
    "in_lang",
    "month_year",
    "day_name",
]

LANGS = ("en", "zh")
DOMAIN = "cos-bot"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


@cache
def translator(lang: str) -> gettext.NullTranslations:
    """The catalog of ``lang`` (``gettext``, ``ngettext``); English and unknown languages say the source words."""
    if lang not in LANGS or lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang], fallback=True)


def lang_of_locale(locale: str | None) -> str | None:
    """``zh-CN``, ``zh_TW``, ``zh`` → ``zh``; ``en-US`` → ``en``; anything else → None (no opinion)."""
    if not locale:
        return None
    base = locale.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGS else None


def _is_han(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def lang_of_text(text: str) -> str | None:
    """``zh`` when the text holds Chinese characters, ``en`` when it holds Latin letters only, else None."""
    if any(_is_han(c) for c in text):
        return "zh"
    if any("a" <= c.lower() <= "z" for c in text):
        return "en"
    return None


def choose_lang(*, setting: str | None = None, locale: str | None = None, text: str = "", default: str = "en") -> str:
    """The reply's language: the workspace's setting (unless ``auto``), the person's locale, the text's script,
    then ``default``."""
    if setting in LANGS:
        return setting
    return lang_of_locale(locale) or lang_of_text(text) or (default if default in LANGS else "en")


_LANG: ContextVar[str] = ContextVar("cos_bot_lang", default="en")


def current_lang() -> str:
    """The language the reply being made is worded in (``en`` outside a request)."""
    return _LANG.get()


@contextmanager
def use_lang(lang: str) -> Iterator[str]:
    """Word everything inside in ``lang`` (an unknown language is English)."""
    token = _LANG.set(lang if lang in LANGS else "en")
    try:
        yield _LANG.get()
    finally:
        _LANG.reset(token)


def _(message: str) -> str:
    """``message`` in the current language."""
    return translator(_LANG.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that suits ``n`` in the current language (format ``n`` in yourself)."""
    return translator(_LANG.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # the name Babel and xgettext know
    """Mark ``message`` for translation without translating it (for text defined at import time)."""
    return message


def in_lang(lang: str, message: str) -> str:
    """``message`` in ``lang``, whatever the current language (help in Chinese for ``帮助``)."""
    return translator(lang).gettext(message)


def month_year(day: date) -> str:
    """``March 2026`` in English, ``2026年3月`` in Chinese."""
    if _LANG.get() == "zh":
        return f"{day.year}年{day.month}月"
    return f"{day:%B %Y}"


def day_name(day: date, *, year: bool = True) -> str:
    """``Thu 24 Dec 2026`` in English, ``2026-12-24（周四）`` in Chinese; ``year=False`` leaves the year out."""
    if _LANG.get() == "zh":
        weekday = "一二三四五六日"[day.weekday()]
        return f"{day:%Y-%m-%d}（周{weekday}）" if year else f"{day:%m-%d}（周{weekday}）"
    return f"{day:%a %d %b %Y}" if year else f"{day:%a %d %b}"
