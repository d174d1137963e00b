"""The bot's own words: the Chinese catalog is complete and safe to format, plurals are right in both
languages, the language of a request is its own, and the help lists every team command."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot.app import App
from bot.kernel.lang import LOCALE_DIR, _, current_lang, month_year, ngettext, use_lang
from bot.kernel.reply import to_text
from tests.conftest import Harness

PO = LOCALE_DIR / "zh" / "LC_MESSAGES" / "cos-bot.po"
MO = PO.with_suffix(".mo")
POT = LOCALE_DIR / "cos-bot.pot"
_FIELD = re.compile(r"(?<!\{)\{([a-z_]*)\}(?!\})")


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def test_every_message_of_the_template_has_a_chinese_translation_with_the_same_fields() -> None:
    template = read_po(POT.open("rb"))
    catalog = read_po(PO.open("rb"), locale="zh")
    assert catalog.plural_forms == "nplurals=1; plural=0;"
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        assert translated is not None, f"not in the zh catalog (run make messages): {message.id!r}"
        assert not translated.fuzzy, message.id
        fields = {f for source in _strings(message.id) for f in _FIELD.findall(source)}
        for text in _strings(translated.string):
            assert text, f"untranslated: {message.id!r}"
            # A translation that drops or misspells a {field} would raise or lose data at .format time.
            assert set(_FIELD.findall(text)) == fields, (message.id, text)


def test_the_compiled_catalog_is_the_po_file() -> None:
    compiled = read_mo(MO.open("rb"))
    catalog = read_po(PO.open("rb"), locale="zh")

    def pairs(messages: object) -> dict[tuple[str, ...], tuple[str, ...]]:
        return {tuple(_strings(m.id)): tuple(_strings(m.string)) for m in messages if m.id}  # type: ignore[attr-defined]

    assert pairs(compiled) == pairs(catalog), "bot/locale/zh/LC_MESSAGES/cos-bot.mo is stale: run make messages"


@pytest.mark.parametrize(
    "lang,n,expected",
    [("en", 1, "1 question left: x"), ("en", 2, "2 questions left: x"), ("en", 0, "0 questions left: x")]
    + [("zh", 1, "还剩 1 个问题：x"), ("zh", 5, "还剩 5 个问题：x")],
)
def test_plural_forms_in_both_languages(lang: str, n: int, expected: str) -> None:
    with use_lang(lang):
        text = ngettext("{n} question left: {next}", "{n} questions left: {next}", n).format(n=n, next="x")
    assert text == expected


def test_words_outside_a_request_are_english_and_unknown_languages_fall_back() -> None:
    from datetime import date

    assert current_lang() == "en" and _("Team commands") == "Team commands"
    with use_lang("zh"):
        assert _("Team commands") == "团队命令" and month_year(date(2026, 3, 1)) == "2026年3月"
        assert _("a message nobody translated") == "a message nobody translated"
    with use_lang("fr"):
        assert current_lang() == "en" and month_year(date(2026, 3, 1)) == "March 2026"
    assert current_lang() == "en"


async def test_concurrent_requests_keep_their_own_language() -> None:
    seen: list[tuple[str, str]] = []

    async def speak(lang: str) -> None:
        with use_lang(lang):
            await asyncio.sleep(0.01)  # the other request runs meanwhile
            seen.append((lang, _("Team commands")))

    await asyncio.gather(speak("zh"), speak("en"))
    assert sorted(seen) == [("en", "Team commands"), ("zh", "团队命令")]


MEMBER_COMMANDS = (
    "stage",
    "milestones",
    "digest",
    "checkin",
    "checkin answers",
    "schedules",
    "unschedule",
    "timezone",
    "gaps",
    "teach",
    "stats",
    "holidays",
    "away",
    "skip",
    "snooze",
    "audit",
    "forget me",
    "language",
)


async def test_help_lists_every_team_command_in_english_and_in_chinese(app: App) -> None:
    harness = Harness(app)
    english = await harness.say("/cos-service help")
    [team] = [s for s in english.sections if s.heading == "Team commands"]
    for word in MEMBER_COMMANDS:
        assert any(b.startswith(f"/cos-service {word}") for b in team.bullets), word
    assert english.lang == "en" and not english.error and "(admins)" in to_text(english)
    risk = await harness.say("/cos-risk help")
    [risk_team] = [s for s in risk.sections if s.heading == "Team commands"]
    for word in ("register", "review", "schedule", "owner", "accept"):
        assert any(b.startswith(f"/cos-risk {word}") for b in risk_team.bullets), word

    chinese = await harness.say("/cos-service 帮助")
    assert chinese.lang == "zh"
    [zh_team] = [s for s in chinese.sections if s.heading == "团队命令"]
    assert [b.split(" — ")[0] for b in zh_team.bullets] == [b.split(" — ")[0] for b in team.bullets]
    assert "机器人在这里使用的语言" in to_text(chinese) and "（仅管理员）" in to_text(chinese)
    # "help me" reaches the same help through the knowledge answers.
    assert (await harness.say("/cos-service help me please")).sections == english.sections


def test_the_catalogs_are_shipped_with_the_package() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    data = pyproject["tool"]["setuptools"]["package-data"]["bot"]
    assert "locale/*/LC_MESSAGES/*.mo" in data


async def test_a_failed_read_of_the_workspace_language_costs_nothing_but_the_preference(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(platform: str, workspace: str) -> str | None:
        raise OSError("database went away")

    app.router.set_language_source(broken)
    caplog.set_level("INFO", logger="bot.kernel.router")
    reply = await Harness(app).say("/cos-service 帮助")
    assert reply.lang == "zh" and not reply.error  # the question's script still speaks
    english = await Harness(app).say("/cos-service schedules")
    assert english.title == "Schedules" and not english.error
    assert "language of workspace console:T1 not read (OSError)" in caplog.text
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback


def test_cos_default_lang_is_read_and_checked() -> None:
    from bot.kernel.errors import ConfigError
    from bot.kernel.settings import load_settings

    assert load_settings(env={}, dotenv=None).default_lang == "en"
    assert load_settings(env={"COS_DEFAULT_LANG": " ZH "}, dotenv=None).default_lang == "zh"
    with pytest.raises(ConfigError, match="COS_DEFAULT_LANG='klingon' must be en or zh"):
        load_settings(env={"COS_DEFAULT_LANG": "klingon"}, dotenv=None)


async def test_a_language_known_from_memory_is_used_without_reading_and_an_unknown_one_is_read(app: App) -> None:
    reads: list[tuple[str, str]] = []

    async def source(platform: str, workspace: str) -> str | None:
        reads.append((platform, workspace))
        return "zh"

    def known(platform: str, workspace: str) -> tuple[bool, str | None]:
        return (True, "en") if workspace == "T1" else (False, None)

    app.router.set_language_source(source, known=known)
    assert await app.router.lang_for("console", "T1", text="帮助") == "en"  # the setting, from memory
    assert reads == []
    assert await app.router.lang_for("console", "T2", text="help") == "zh"  # never seen: read
    assert reads == [("console", "T2")]


async def test_the_team_languages_answer_from_memory_once_read(app: App) -> None:
    languages = app.parts["team"].languages
    assert languages.known("console", "T9") == (False, None)
    assert await languages("console", "T9") is None
    assert languages.known("console", "T9") == (True, None)
    await Harness(app, role="admin", workspace="T9").say("/cos-service language zh")
    assert languages.known("console", "T9") == (True, "zh")


def test_the_database_outage_reply_is_worded_in_the_requests_language() -> None:
    from bot.kernel.errors import DatabaseUnavailable
    from bot.kernel.router import _unavailable

    with use_lang("zh"):
        reply = _unavailable(DatabaseUnavailable("TimeoutError"))
    assert reply.title == "请一分钟后再试" and reply.sections[0].text == "数据库暂时不可用；请一分钟后再试。"
    assert reply.error == DatabaseUnavailable.MESSAGE  # what the adapters test on stays the same
    assert _unavailable(DatabaseUnavailable()).title == "Please try again in a minute"
