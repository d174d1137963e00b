"""The bot's own words in the asker's language: gettext catalogs, and the choice of language.

Catalogs live in ``bot/locale/<lang>/LC_MESSAGES/cos-bot.po`` (Babel extracts them from the code with
``make messages`` and compiles the ``.mo`` files next to them; both are in the repository so an install needs
no build step). English is the source language: its translator is gettext's ``NullTranslations``.

The language of a reply is chosen, in order, by the workspace's setting (``/cos-service language zh|en|auto``),
the platform's locale of the person (Discord's interaction ``locale``, Slack's ``users.info`` locale), the
script of the question, and ``COS_DEFAULT_LANG``.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

__all__ = ["LANGS", "DOMAIN", "LOCALE_DIR", "translator", "lang_of_locale", "lang_of_text", "choose_lang"]

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
