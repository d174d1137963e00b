"""``cos-bot checkin export --workspace W [--platform P] [--user U] [--json]``: a workspace's check-in
answers (CSV by default), for operators.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from bot.cli.common import add_workspace_arguments, read_database, usage_error, workspace_of
from bot.kernel.settings import Settings
from bot.plugins import command_group

if TYPE_CHECKING:
    from bot.storage.db import Database

__all__ = ["register", "export_answers"]


async def export_answers(
    settings: Settings, *, workspace: str, platform: str | None, user: str | None
) -> list[dict[str, object]]:
    """Every answered check-in of one (platform, workspace), oldest first.

    Without ``platform``, the workspace id must belong to one platform only.
    """
    from sqlalchemy import select

    from bot.team.answers import answer_record
    from bot.team.models import CheckinAnswer
    from bot.team.store import answer_rows

    async def read(db: Database) -> list[dict[str, object]]:
        nonlocal platform
        async with db.session() as session:
            if platform is None:
                found = sorted(
                    (
                        await session.execute(
                            select(CheckinAnswer.platform).where(CheckinAnswer.workspace == workspace).distinct()
                        )
                    ).scalars()
                )
                if len(found) > 1:
                    raise ValueError(f"workspace {workspace!r} exists on {', '.join(found)}; say which with --platform")
                if not found:
                    return []
                platform = found[0]
            return [
                answer_record(a) for a in await answer_rows(session, platform=platform, workspace=workspace, user=user)
            ]

    return await read_database(settings, read)


def _export_handler(settings: Settings, args: argparse.Namespace) -> int:
    from bot.team.answers import format_records

    where = workspace_of(args.workspace, args.platform)
    if where is None:
        return 2
    platform, workspace = where
    try:
        records = asyncio.run(export_answers(settings, workspace=workspace, platform=platform, user=args.user))
    except ValueError as exc:
        return usage_error(exc)
    out = format_records(records, "json" if args.json else "csv")
    print(out)
    print(f"{len(records)} check-in answer(s) exported", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    checkin_sub = command_group(sub, "checkin", help="check-in answers (export)")
    export = checkin_sub.add_parser("export", help="a workspace's check-in answers (CSV, or JSON with --json)")
    add_workspace_arguments(export, platform_help="needed only when the workspace id exists on more than one platform")
    export.add_argument("--user", default=None, help="one person's answers only")
    export.add_argument("--json", action="store_true", help="a JSON array instead of CSV")
    export.set_defaults(handler=_export_handler)
