"""The language of the reply being made, and the ``_`` / ``ngettext`` that speak it.

The router chooses a request's language (``bot.kernel.i18n.choose_lang``) and answers it inside
``use_lang(lang)``: every handler, and every ``UserError`` it raises, then words its text with
``_("...")`` and ``ngettext(singular, plural, n)`` without passing the language down. The language
lives in a context variable, so concurrent requests (each its own asyncio task) never see each
other's. Outside any request (a CLI, a test) the words are English.

Text defined at import time is marked with ``N_`` (so Babel extracts it) and translated with ``_``
where it is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from bot.kernel.i18n import LANGS, translator

__all__ = ["current_lang", "use_lang", "_", "ngettext", "N_", "in_lang", "month_year", "day_name"]

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
