"""The dashboard's language: which one a page speaks, its words (gettext in the templates), its dates and numbers.

A page speaks the workspace's language (``/cos-service language zh|en``). With ``auto`` (the default) it speaks
the signed-in person's: the platform locale their chat request carried when the sign-in link was made (Discord's
interaction locale, Slack's user locale), kept with the session; when that is unknown, ``COS_DEFAULT_LANG``
(English unless an operator chose otherwise). A page without a session (sign in, signed out) speaks
``COS_DEFAULT_LANG``.

The templates' words go through the bot's own catalogs (``bot/locale``), with Jinja2's ``i18n`` extension
calling ``bot.kernel.lang._``/``ngettext``: the language is the request's context variable, so concurrent
requests in different languages never mix. Dates and numbers are formatted by Babel for the language; the
English forms are those the pages always had.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import jinja2
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_decimal

from bot.kernel import lang as words
from bot.kernel.lang import LANGS

if TYPE_CHECKING:
    from bot.dashboard.auth import Viewer
    from bot.team.base import Team

__all__ = ["page_lang", "install", "BABEL_LOCALES", "HTML_LANG"]

# Babel's locale and the page's <html lang> for each language the bot speaks.
BABEL_LOCALES = {"en": "en", "zh": "zh_Hans_CN"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}


async def page_lang(team: Team, viewer: Viewer | None) -> str:
    """The language of a page for ``viewer``: the workspace's, else the person's, else ``COS_DEFAULT_LANG``."""
    default = team.settings.default_lang if team.settings.default_lang in LANGS else "en"
    if viewer is None:
        return default
    chosen = await team.languages(viewer.platform, viewer.workspace)
    if chosen in LANGS:
        return chosen
    return viewer.lang if viewer.lang in LANGS else default


def _locale() -> str:
    return BABEL_LOCALES.get(words.current_lang(), "en")


def _zh_skeletons(value: datetime, *skeletons: str) -> str:
    """``value`` in Chinese, one Babel skeleton after another (``yMMMEd``, ``Hm``), in its own zone."""
    return " ".join(format_skeleton(s, value, tzinfo=value.tzinfo, locale=_locale()) for s in skeletons)


def when(value: datetime) -> str:
    """``Mon 09 Mar 2026 08:00``; ``2026年3月9日周一 08:00`` (in the datetime's own zone)."""
    if words.current_lang() == "zh":
        return _zh_skeletons(value, "yMMMEd", "Hm")
    return format_datetime(value, "EEE dd MMM yyyy HH:mm", tzinfo=value.tzinfo, locale="en")


def weekday_time(value: datetime) -> str:
    """``Mon 08:00``; ``周一 08:00``."""
    if words.current_lang() == "zh":
        return _zh_skeletons(value, "E", "Hm")
    return format_datetime(value, "EEE HH:mm", tzinfo=value.tzinfo, locale="en")


def day(value: date | str | None) -> str:
    """``2026-03-09``; ``2026年3月9日``. A week's or a day's ISO label (the charts' tables) is a date too."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if words.current_lang() == "zh":
        return format_date(value, "long", locale=_locale())
    return value.isoformat()


def number(value: int | float) -> str:
    """``1,234`` in either language."""
    return format_decimal(value, locale=_locale())


def html_lang() -> str:
    return HTML_LANG.get(words.current_lang(), "en")


def install(env: jinja2.Environment) -> None:
    """Give the templates ``_``/``gettext``/``ngettext`` (new style: ``_("%(n)s asked", n=3)``, escaped) and the
    filters ``when``, ``weekday_time``, ``day`` and ``number``, all in the current language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=words._, ngettext=words.ngettext, newstyle=True
    )
    env.filters.update(when=when, weekday_time=weekday_time, day=day, number=number)
    env.globals["html_lang"] = html_lang
