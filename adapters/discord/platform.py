"""The Discord platform plugin: ``run`` (log in, answer), its transport, and ``cos-bot discord ...``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord.client import make_client, use_api_base
from adapters.discord.commands import build_tree, check_payload, command_payload
from adapters.discord.dedupe import housekeeping
from adapters.discord.handler import DiscordBot
from adapters.discord.translate import PLATFORM_NAME
from adapters.discord.transport import DiscordTransport
from bot.kernel.errors import ConfigError
from bot.kernel.settings import Settings
from bot.ops.readiness import readiness_for
from bot.plugins import Platform, command_group
from bot.scheduler.pacing import Limits

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["PLATFORM", "bot_for", "run", "commands_json", "sync_commands"]

log = logging.getLogger(__name__)


def bot_for(app: App) -> DiscordBot:
    """The one DiscordBot of ``app``, created on first use (transport first, or run first)."""
    bot = app.parts.get(PLATFORM_NAME)
    if not isinstance(bot, DiscordBot):
        bot = app.parts[PLATFORM_NAME] = DiscordBot(app)
        app.on_close(bot.close)
    return bot


def _is_configured(settings: Settings) -> bool:
    return settings.discord_enabled or bool(settings.discord_public_key)


def _http_routes(app: App) -> list[Any]:
    """``POST /discord/interactions`` when DISCORD_PUBLIC_KEY is set (the Interactions Endpoint URL)."""
    if not app.settings.discord_public_key:
        return []
    from adapters.discord.interactions_http import routes

    return routes(app)


async def run(app: App) -> None:
    """Log in and answer until cancelled; closes the client on the way out."""
    token = app.settings.discord_token
    if not token:
        if app.settings.discord_public_key:
            raise ConfigError(
                "DISCORD_PUBLIC_KEY is set but DISCORD_TOKEN is not; the bot token is needed "
                "to send follow-ups and scheduled messages."
            )
        raise ConfigError("DISCORD_TOKEN is not set.")
    bot = bot_for(app)
    readiness_for(app).add_check("discord", lambda: bot.client.is_ready() and _gateway_open(bot.client))
    use_api_base(app.settings)  # interaction callbacks of this task tree go to DISCORD_API_BASE
    try:
        if app.db.is_sqlite and app.settings.discord_shard_count == 1:
            # One process, one session: as simple as it gets. Interaction ids the HTTP endpoint saw are
            # pruned here (with replicas, the replicated gateway prunes them).
            pruning = asyncio.ensure_future(housekeeping(app)) if app.settings.discord_public_key else None
            try:
                await bot.client.start(token)
            finally:
                if pruning is not None:
                    pruning.cancel()
                    await asyncio.gather(pruning, return_exceptions=True)
        else:
            from adapters.discord.gateway_lease import run_replicated

            await run_replicated(app, bot, token)  # one session per shard across replicas
    except discord.LoginFailure as exc:
        raise ConfigError(
            "Discord refused DISCORD_TOKEN; copy the bot token from the Developer Portal "
            "(Bot → Reset Token) and set it again."
        ) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise ConfigError("Discord requires an intent that is not enabled for this bot.") from exc
    finally:
        await bot.close()
        app.parts.pop(PLATFORM_NAME, None)


def _gateway_open(client: discord.Client) -> bool:
    ws = client.ws
    return ws is not None and bool(ws.open) and not client.is_closed()


def _transport(app: App) -> DiscordTransport:
    return bot_for(app).transport


async def _noop_command(interaction: discord.Interaction, command: str, text: str) -> None:
    return None


def _tree_payload() -> list[dict[str, Any]]:
    client = make_client(Settings())
    tree = build_tree(client, _noop_command, lambda command, current: [])
    return command_payload(tree)


def commands_json() -> str:
    """The exact JSON that ``discord sync`` registers."""
    return json.dumps(_tree_payload(), indent=2, ensure_ascii=False, sort_keys=True)


async def sync_commands(settings: Settings, *, guild: str | None) -> list[dict[str, Any]]:
    """Register the commands in ``guild`` (instant, for development) or globally; returns what Discord stored."""
    if not settings.discord_token:
        raise ConfigError("DISCORD_TOKEN is not set; it is needed to register commands.")
    client = make_client(settings)
    tree = build_tree(client, _noop_command, lambda command, current: [])
    problems = check_payload(command_payload(tree))
    if problems:
        raise ConfigError("command definitions break Discord's limits: " + "; ".join(problems))
    try:
        async with client:
            try:
                await client.login(settings.discord_token)
            except discord.LoginFailure as exc:
                raise ConfigError(
                    "Discord refused DISCORD_TOKEN; copy the bot token from the Developer Portal "
                    "(Bot → Reset Token) and set it again."
                ) from exc
            target = discord.Object(id=int(guild)) if guild else None
            if target is not None:
                tree.copy_global_to(guild=target)
            synced = await tree.sync(guild=target)
            return [dict(c.to_dict()) for c in synced]
    finally:
        if not client.is_closed():
            await client.close()


def _cmd_commands(settings: Settings, args: argparse.Namespace) -> int:
    payload = _tree_payload()
    if args.json:
        print(commands_json())
    else:
        for cmd in payload:
            options = " ".join(f"[{o['name']}]" for o in cmd.get("options", []))
            print(f"/{cmd['name']} {options}  — {cmd['description']}")
    problems = check_payload(payload)
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    return 1 if problems else 0


def _cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    guild = None if args.global_ else (args.guild or settings.discord_guild_id)
    if guild is not None and not str(guild).isdigit():
        print(
            f"cos-bot: --guild {guild!r} is not a server id (enable Developer Mode, right-click the server, "
            "Copy Server ID)",
            file=sys.stderr,
        )
        return 2
    try:
        synced = asyncio.run(sync_commands(settings, guild=guild))
    except discord.Forbidden as exc:
        print(
            f"cos-bot: Discord refused the registration ({exc.status}, code {exc.code}). Invite the bot with "
            "the applications.commands scope (see docs/install-discord.md).",
            file=sys.stderr,
        )
        return 1
    except discord.HTTPException as exc:
        print(
            f"cos-bot: Discord refused the registration ({exc.status}, code {exc.code}): {exc.text[:200]}",
            file=sys.stderr,
        )
        return 1
    where = f"in server {guild} (available now)" if guild else "globally (every server the bot is in)"
    names = ", ".join("/" + c["name"] for c in synced)
    print(f"registered {len(synced)} command(s) {where}: {names}")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    actions = command_group(sub, "discord", help="Discord commands (show or register the slash commands)")
    show = actions.add_parser("commands", help="print the slash commands that `sync` registers")
    show.add_argument("--json", action="store_true", help="the exact registration payload")
    show.set_defaults(handler=_cmd_commands)
    sync = actions.add_parser(
        "sync", help="register the slash commands with Discord (run once after install and after upgrades)"
    )
    where = sync.add_mutually_exclusive_group()
    where.add_argument("--guild", metavar="ID", help="register in one server, instantly (default: DISCORD_GUILD_ID)")
    where.add_argument(
        "--global",
        dest="global_",
        action="store_true",
        help="register for every server, even when DISCORD_GUILD_ID is set",
    )
    sync.set_defaults(handler=_cmd_sync)


# Published: 5 messages per 5 s per channel, 50 requests per second per bot. Keep 40/s, learning
# only downwards after a global 429 (discord.py's own limiter handles the per-route buckets).
_LIMITS = Limits(channel_interval=1.0, workspace_rate=40.0, adaptive=True, max_rate=40.0)

PLATFORM = Platform(
    name=PLATFORM_NAME,
    is_configured=_is_configured,
    run=run,
    make_transport=_transport,
    register_cli=register_cli,
    limits=lambda settings: _LIMITS,
    http_routes=_http_routes,
)
