"""The ``cos-bot`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from pathlib import Path

from bot.kernel.clock import canonical_zone
from bot.kernel.errors import ConfigError
from bot.kernel.settings import Settings, load_settings
from bot.ops.logs import configure_logging

__all__ = ["main"]

log = logging.getLogger("cos-bot")

# Commands defined here: parsing them needs no plugin's sub-commands, so none is loaded (no SDK,
# and for `health` not even the scheduler). Anything else (`schedule`, `discord`, --help) loads them all.
_OWN_COMMANDS = frozenset({"run", "serve", "console", "ask", "health", "db", "knowledge"})


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line on stderr."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"cos-bot: {message} (see cos-bot --help)\n")


def _secrets(settings: Settings) -> tuple[str, ...]:
    return tuple(
        s
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.slack_client_secret,
            settings.discord_token,
        )
        if s
    )


def _first_command(argv: list[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def build_parser(*, plugin_commands: bool = True) -> argparse.ArgumentParser:
    parser = _Parser(prog="cos-bot", description="Service, risk and schedule assistant for Slack and Discord.")
    sub = parser.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser("run", help="start every configured platform (the console when none is)")
    sub.add_parser("console", help="an interactive prompt that talks to the bot")
    serve = sub.add_parser(
        "serve",
        help="serve over HTTP: every configured platform's routes (Slack: POST /slack/events, Discord: "
        "POST /discord/interactions) beside GET /healthz, /readyz, /metrics",
    )
    serve.add_argument(
        "--port", type=int, default=None, help="port to listen on (default: PORT, else 3000; 0 picks a free one)"
    )

    ask = sub.add_parser("ask", help="answer one command (or one per line from stdin with '-') and exit")
    ask.add_argument("text", help='the command, e.g. "/cos-service legal", or - to read lines from stdin')
    ask.add_argument("--json", action="store_true", help="one JSON object per command")
    ask.add_argument("--user", default="console-user")
    ask.add_argument("--workspace", default="local")
    ask.add_argument("--channel", default="console")
    ask.add_argument("--role", choices=("admin", "member"), default="admin")
    ask.add_argument("--tz", default=None, help="the asker's IANA time zone")
    ask.add_argument(
        "--lang",
        choices=("auto", "en", "zh"),
        default="auto",
        help="the reply's language; auto: by the question's script (default)",
    )

    sub.add_parser("health", help="exit 0 when the database answers at the current schema (for HEALTHCHECK)")

    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_cmd", metavar="ACTION", parser_class=_Parser)
    db_sub.required = True
    db_sub.add_parser("upgrade", help="migrate the database to the newest schema")

    kn = sub.add_parser("knowledge", help="knowledge commands")
    kn_sub = kn.add_subparsers(dest="kn_cmd", metavar="ACTION", parser_class=_Parser)
    kn_sub.required = True
    check = kn_sub.add_parser("check", help="validate content files; exit 1 on errors")
    check.add_argument("dir", nargs="?", type=Path, help="a team knowledge directory (default: COS_KNOWLEDGE_DIR)")
    from bot.cli import teach as teach_cli

    teach_cli.register(kn_sub)

    if not plugin_commands:
        return parser
    from bot.cli import checkin as team_cli
    from bot.cli import privacy as privacy_cli
    from bot.cli import schedule as scheduler_cli
    from bot.plugins import load_platforms

    for platform in load_platforms().values():
        if platform.register_cli is not None:
            platform.register_cli(sub)
    scheduler_cli.register(sub)
    team_cli.register(sub)
    privacy_cli.register(sub)
    return parser


def _ask_requests(args: argparse.Namespace) -> list[str]:
    if args.text == "-":
        return [line.rstrip("\n") for line in sys.stdin]
    return [args.text]


def _result_objects(app, reply) -> list[dict[str, str]]:
    from bot.answering.render import result_text

    objs = []
    for rid in reply.results:
        entry = app.kb.get(rid)
        if entry is not None:
            objs.append({"id": entry.id, "title": entry.title, "kind": entry.kind, "text": result_text(app.kb, entry)})
    return objs


async def _ask(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import build_app
    from bot.kernel.reply import to_text
    from bot.kernel.request import Request
    from bot.kernel.router import parse_line

    if args.tz:
        tz = canonical_zone(args.tz)
        if tz is None:
            print(f"cos-bot: --tz {args.tz!r} is not an IANA time zone (for example Europe/Berlin)", file=sys.stderr)
            return 2
        args.tz = tz
    lines = _ask_requests(args)
    app = await build_app(settings, defer_team=True)
    try:
        await app.answering.overlays.load("console", args.workspace)  # its taught phrases, read once
        for line in lines:
            parsed = parse_line(line)
            if parsed is None:
                message = (
                    "Empty line: write a command such as /cos-service legal"
                    if not line.strip()
                    else "Start with /cos-service or /cos-risk, for example: /cos-service legal"
                )
                if args.json:
                    print(
                        json.dumps(
                            {"query": line[:500], "text": message, "results": [], "matched": False, "error": message},
                            ensure_ascii=False,
                        ),
                        flush=True,
                    )
                else:
                    print(message, flush=True)
                continue
            command, text = parsed
            request = Request(
                platform="console",
                workspace=args.workspace,
                channel=args.channel,
                user=args.user,
                command=command,
                text=text,
                role=args.role,
                tz=args.tz,
                # --lang en|zh speaks as a person whose platform locale is that language; auto leaves it open.
                locale=None if args.lang == "auto" else args.lang,
            )
            reply = await app.router.handle(request)
            if args.json:
                obj: dict[str, object] = {
                    "query": line[:500],
                    "title": reply.title,
                    "text": to_text(reply, plain_mentions=True),
                    "results": _result_objects(app, reply),
                    "matched": reply.matched,
                    "lang": reply.lang or "en",
                }
                if reply.error:
                    obj["error"] = reply.error
                print(json.dumps(obj, ensure_ascii=False), flush=True)
            else:
                print(to_text(reply, plain_mentions=True), flush=True)
                if args.text == "-":
                    print("", flush=True)
    finally:
        await app.close()
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    """``cos-bot serve``: ``run`` with HTTP always on (``--port``, else PORT): a platform that serves HTTP
    itself (Slack's HTTP mode) mounts the others' routes, otherwise the neutral server mounts them all."""
    from dataclasses import replace

    from bot.ops import runtime
    from bot.plugins import load_platforms

    if args.port is not None and not 0 <= args.port <= 65535:
        print(f"cos-bot: --port {args.port} must be from 0 to 65535 (0 picks a free one)", file=sys.stderr)
        return 2
    if not any(not p.fallback and p.is_configured(settings) for p in load_platforms().values()):
        print(
            "cos-bot: Slack is not configured; set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
            "(or SLACK_APP_TOKEN for Socket Mode), or DISCORD_PUBLIC_KEY for Discord's Interactions "
            "Endpoint URL. See docs/install-slack.md and docs/install-discord.md.",
            file=sys.stderr,
        )
        return 2
    port = settings.port if args.port is None else args.port
    return runtime.run(_run(replace(settings, port=port, http_port=port), platforms_only=True))


async def _run(settings: Settings, *, console_only: bool = False, platforms_only: bool = False) -> int:
    from bot.app import build_app, run_tasks
    from bot.ops.serving import serving, stopping
    from bot.plugins import load_platforms

    # The console alone needs no other plugin loaded (nor their SDKs imported).
    platforms = load_platforms(only={"console"} if console_only else None)
    app = await build_app(settings)
    try:
        chosen = [] if console_only else [p for p in platforms.values() if not p.fallback and p.is_configured(settings)]
        if not chosen and not platforms_only:
            chosen = [p for p in platforms.values() if p.fallback]
        if not chosen:
            print("cos-bot: no platform is installed", file=sys.stderr)
            return 1
        for p in chosen:
            if p.make_transport is not None:
                app.transports[p.name] = p.make_transport(app)
        log.info("starting: %s", ", ".join(p.name for p in chosen))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping(app, stop))  # /readyz says 503 from here on
        async with serving(app, chosen):  # /healthz, /readyz, /metrics on COS_HTTP_PORT, unless Slack serves
            await run_tasks([*(p.run(app) for p in chosen), *app.background()], stop=stop)
        if stop.is_set():
            log.info("stopped by signal")
    finally:
        await app.close()
    return 0


def _knowledge_check(settings: Settings, directory: Path | None) -> int:
    from knowledge.loader import check_directory

    target = directory or (settings.knowledge_dirs[0] if settings.knowledge_dirs else None)
    problems = check_directory(target)
    for problem in problems:
        print(f"error: {problem}")
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    from knowledge import load_knowledge

    kb = load_knowledge([target] if target else [])
    print(f"ok: {len(kb)} entries" + (f" (including {target})" if target else ""))
    return 0


def _health(settings: Settings) -> int:
    from bot.ops.health import check_health

    result = check_health(settings.database_url)
    print(result.message)
    return 0 if result.ok else 1


def main(argv: list[str] | None = None) -> int:
    command = _first_command(sys.argv[1:] if argv is None else argv)
    parser = build_parser(plugin_commands=command not in _OWN_COMMANDS)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"cos-bot: {exc}", file=sys.stderr)
        return 2
    console = args.cmd == "console" or (args.cmd == "run" and not (settings.slack_enabled or settings.discord_enabled))
    # Commands that talk to a person on the terminal keep routine logs out of the way.
    quiet = console or args.cmd in (
        "ask",
        "knowledge",
        "health",
        "schedule",
        "checkin",
        "discord",
        "workspace",
        "audit",
    )
    configure_logging(
        "WARNING" if quiet and settings.log_level == "INFO" else settings.log_level,
        as_json=settings.log_json,
        secrets=_secrets(settings),
    )
    try:
        if args.cmd == "ask":
            return asyncio.run(_ask(settings, args))
        if args.cmd == "run":
            from bot.ops import runtime

            return runtime.run(_run(settings))
        if args.cmd == "serve":
            return _serve(settings, args)
        if args.cmd == "console":
            return asyncio.run(_run(settings, console_only=True))
        if args.cmd == "db":
            from bot.storage.db import migrate_sync

            migrate_sync(settings.database_url)
            print("database is up to date")
            return 0
        if args.cmd == "knowledge" and args.kn_cmd == "check":
            return _knowledge_check(settings, args.dir)
        if args.cmd == "health":
            return _health(settings)
        handler = getattr(args, "handler", None)
        if handler is not None:
            return int(handler(settings, args) or 0)
        parser.error(f"unknown command {args.cmd}")
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`cos-bot ask ... | head`): stop quietly.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")
        return 0
    except ConfigError as exc:
        print(f"cos-bot: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
