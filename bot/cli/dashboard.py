"""``cos-bot dashboard link --workspace W --user U [--role admin|member]``: a one-time sign-in link for an
operator, printed alone on stdout (the same link ``/cos-service dashboard`` gives in chat)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bot.cli.common import usage_error, with_database
from bot.kernel.settings import Settings
from bot.plugins import command_group, platform_names

__all__ = ["register"]


def _link(settings: Settings, args: argparse.Namespace) -> int:
    from bot.dashboard.auth import make_link
    from bot.kernel.clock import Clock, SystemClock
    from bot.privacy import parse_workspace
    from bot.storage.db import Database

    try:
        platform, workspace = parse_workspace(args.workspace, platform_names())
    except ValueError as exc:
        return usage_error(exc)
    user = args.user.strip()
    if not user or len(user) > 120 or any(c.isspace() or c in "<>@" for c in user):
        return usage_error("--user is the person's platform user id, e.g. U1001")

    @dataclass(frozen=True)
    class Parts:
        settings: Settings
        db: Database
        clock: Clock

    async def link(db: Database) -> str:
        parts = Parts(settings, db, SystemClock())
        return await make_link(parts, platform=platform, workspace=workspace, user=user, role=args.role)

    print(with_database(settings, link))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = command_group(sub, "dashboard", help="the web dashboard (sign-in links)")
    link = group.add_parser("link", help="print a one-time sign-in link (valid 10 minutes) for one person")
    link.add_argument("--workspace", required=True, help="<platform>:<id>, e.g. slack:T123 or discord:1234")
    link.add_argument("--user", required=True, help="the person's platform user id, e.g. U1001")
    link.add_argument("--role", choices=("admin", "member"), default="member")
    link.set_defaults(handler=_link)
