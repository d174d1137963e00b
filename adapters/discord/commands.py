"""The application commands: ``/cos-service`` and ``/cos-risk``, each with a ``query`` option.

The command plumbing (``CommandTree``) only forwards to a handler; the
answer is the core's. Autocomplete suggests knowledge titles and aliases,
at most 25, each checked against Discord's limits before it is sent.

Names and descriptions carry ``name_localizations`` / ``description_localizations`` for Chinese clients
(``zh-CN`` from the bot's gettext catalog, ``zh-TW`` from ``ZH_TW``), through discord.py's ``Translator``.
Where a command may be used is declared with ``contexts`` (servers and DMs with the bot) and
``integration_types`` (installed to a server), the successors of the deprecated ``dm_permission``, which
the payload no longer carries.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from bot.kernel.commands import RISK, SERVICE
from bot.kernel.lang import N_, in_lang
from knowledge import KnowledgeBase
from knowledge.model import RISK_KINDS, SERVICE_KINDS

__all__ = [
    "COMMANDS",
    "QUERY_MAX",
    "build_tree",
    "completes",
    "command_payload",
    "check_payload",
    "suggestions",
    "to_choices",
    "CatalogTranslator",
    "NAME_LOCALIZATIONS",
    "ZH_TW",
]

# The commands are the core's (``bot.kernel.commands``); Discord shows each with a description.
COMMANDS: dict[str, str] = {
    SERVICE: N_("Business services and providers for a commercial open source company"),
    RISK: N_("Business risks, governance and international compliance topics"),
}
QUERY_DESCRIPTIONS = {
    SERVICE: N_("A service area, need, provider, phase or case, e.g. legal"),
    RISK: N_("A risk or compliance topic, e.g. gdpr"),
}
# Command and option names as Chinese clients show them (lowercase letters, digits, ``-``, ``_``; 1-32).
NAME_LOCALIZATIONS: dict[str, dict[str, str]] = {
    SERVICE: {"zh-CN": "cos-服务", "zh-TW": "cos-服務"},
    RISK: {"zh-CN": "cos-风险", "zh-TW": "cos-風險"},
    "query": {"zh-CN": "问题", "zh-TW": "問題"},
}
# Traditional Chinese for the descriptions (the bot's replies are in Simplified Chinese).
ZH_TW: dict[str, str] = {
    COMMANDS[SERVICE]: "商業開源公司的商業服務與服務商",
    COMMANDS[RISK]: "商業風險、公司治理與國際合規主題",
    QUERY_DESCRIPTIONS[SERVICE]: "服務領域、需求、服務商、階段或案例，例如 法律",
    QUERY_DESCRIPTIONS[RISK]: "風險或合規主題，例如 gdpr",
}
# Where the commands work: in servers (0) and in DMs with the bot (1); installed to a server (0).
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
QUERY_MAX = 500  # the core reads at most this many characters
MAX_CHOICES = 25
CHOICE_MAX = 100
_NAME_RE = re.compile(r"^[-_\w]{1,32}$")
# Kinds worth suggesting first when nothing has been typed yet.
_TOP_KINDS = {
    "cos-service": ("service_area", "specialised_group", "phase", "section"),
    "cos-risk": ("risk_group", "business_risk", "governance", "compliance"),
}

CommandHandler = Callable[[discord.Interaction, str, str], Awaitable[None]]
Completer = Callable[[str, str], list[tuple[str, str]]]


def _fit(text: str, limit: int = CHOICE_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Validated choices: 1-100 character names and values, no duplicates, at most 25."""
    seen: set[str] = set()
    choices: list[app_commands.Choice[str]] = []
    for name, value in pairs:
        name, value = _fit(name), _fit(value)
        if not name or not value or value.lower() in seen:
            continue
        seen.add(value.lower())
        choices.append(app_commands.Choice(name=name, value=value))
        if len(choices) == MAX_CHOICES:
            break
    return choices


def suggestions(kb: KnowledgeBase, command: str, current: str) -> list[tuple[str, str]]:
    """``(name, value)`` suggestions for what has been typed so far, best first, at most 25.

    Titles that start with the text come first, then titles containing it,
    then aliases (shown as "alias → title"). The value sent back is the
    title, which the search finds best.
    """
    kinds = RISK_KINDS if command == "cos-risk" else SERVICE_KINDS
    entries = [e for e in kb.entries.values() if e.kind in kinds]
    typed = " ".join(current.lower().split())[:CHOICE_MAX]
    if not typed:
        top = [e for kind in _TOP_KINDS.get(command, ()) for e in entries if e.kind == kind]
        return [(e.title, e.title) for e in top][:MAX_CHOICES]
    starts: list[tuple[str, str]] = []
    contains: list[tuple[str, str]] = []
    via_alias: list[tuple[str, str]] = []
    for e in entries:
        title = e.title.lower()
        if title.startswith(typed):
            starts.append((e.title, e.title))
        elif typed in title:
            contains.append((e.title, e.title))
        else:
            alias = next((a for a in e.aliases if typed in a.lower()), None)
            if alias is not None:
                via_alias.append((f"{alias} → {e.title}", e.title))
    ranked = sorted(starts, key=lambda p: len(p[0])) + sorted(contains, key=lambda p: len(p[0])) + via_alias
    # Always offer what was typed itself, so free text is one tap away.
    typed_raw = " ".join(current.split())
    if typed_raw and not any(v.lower() == typed for _, v in ranked):
        ranked.insert(0, (typed_raw, typed_raw))
    return [(n, v) for n, v in ranked][: MAX_CHOICES * 2]


class CatalogTranslator(app_commands.Translator):
    """Chinese names and descriptions for Discord's ``*_localizations`` (other locales see the English)."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        message = string.message
        if message in NAME_LOCALIZATIONS:
            return NAME_LOCALIZATIONS[message].get(locale.value)
        if locale is discord.Locale.taiwan_chinese:
            return ZH_TW.get(message)
        if locale is discord.Locale.chinese:
            translated = in_lang("zh", message)
            return translated if translated != message else None
        return None


class _Command(app_commands.Command[Any, Any, None]):
    """A slash command whose payload says where it works with ``contexts`` only (no ``dm_permission``)."""

    def to_dict(self, tree: app_commands.CommandTree[Any]) -> dict[str, Any]:
        payload = super().to_dict(tree)
        payload.pop("dm_permission", None)
        return payload


def _make_command(
    name: str, description: str, handler: CommandHandler, complete: Completer
) -> app_commands.Command[Any, Any, None]:
    @app_commands.describe(query=app_commands.locale_str(QUERY_DESCRIPTIONS[name]))
    @app_commands.rename(query=app_commands.locale_str("query"))
    async def callback(
        interaction: discord.Interaction, query: app_commands.Range[str, 1, QUERY_MAX] | None = None
    ) -> None:
        await handler(interaction, name, query or "")

    async def autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return to_choices(complete(name, current))

    command: app_commands.Command[Any, Any, None] = _Command(
        name=app_commands.locale_str(name),
        description=app_commands.locale_str(description),
        callback=callback,
        allowed_contexts=CONTEXTS,
        allowed_installs=INSTALLS,
    )
    command.autocomplete("query")(autocomplete)
    return command


def completes(data: dict[str, Any]) -> bool:
    """Whether an autocomplete's ``data`` is one our commands answer: exactly one focused option, the query,
    a string (discord.py logs a traceback for any other, and there is nothing to suggest for it)."""
    options = data.get("options") or []
    focused = [o for o in options if isinstance(o, dict) and o.get("focused")] if isinstance(options, list) else []
    return len(focused) == 1 and focused[0].get("name") == "query" and isinstance(focused[0].get("value"), str)


def build_tree(client: discord.Client, handler: CommandHandler, complete: Completer) -> app_commands.CommandTree[Any]:
    """A CommandTree holding our two commands, both forwarding to ``handler(interaction, command, text)``.

    ``tree.sync`` localizes them once the translator is set: ``await tree.set_translator(CatalogTranslator())``.
    """
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    for name, description in COMMANDS.items():
        tree.add_command(_make_command(name, description, handler, complete))
    return tree


async def command_payload(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """Exactly what registration sends (``PUT /applications/{id}/commands``), localizations included."""
    translator = CatalogTranslator()
    return [await command.get_translated_payload(tree, translator) for command in tree.get_commands()]


def check_payload(payload: list[dict[str, Any]]) -> list[str]:
    """Discord's limits on command definitions; empty when the payload is fine."""
    problems: list[str] = []
    for cmd in payload:
        name = cmd.get("name", "")
        if not _NAME_RE.match(name) or name != name.lower():
            problems.append(f"bad command name {name!r}")
        if not 1 <= len(cmd.get("description", "")) <= 100:
            problems.append(f"{name}: description must be 1-100 characters")
        options = cmd.get("options", [])
        if len(options) > 25:
            problems.append(f"{name}: more than 25 options")
        for opt in options:
            if not _NAME_RE.match(opt.get("name", "")):
                problems.append(f"{name}: bad option name {opt.get('name')!r}")
            if not 1 <= len(opt.get("description", "")) <= 100:
                problems.append(f"{name}.{opt.get('name')}: description must be 1-100 characters")
            if opt.get("autocomplete") and opt.get("choices"):
                problems.append(f"{name}.{opt.get('name')}: autocomplete and choices are exclusive")
            if opt.get("max_length", 0) > 6000:
                problems.append(f"{name}.{opt.get('name')}: max_length over 6000")
    return problems
