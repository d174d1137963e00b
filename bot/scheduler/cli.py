"""``cos-bot schedule preview --days N [--json]``: every delivery due in the next N days.

``cos-bot checkin export --workspace W [--platform P] [--user U] [--json]``: a workspace's check-in answers
(CSV by default), for operators.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime

from bot.cli_extra import REGISTRARS
from bot.settings import Settings

__all__ = ["preview_lines", "register", "export_answers"]


async def _preview(settings: Settings, days: float, start: datetime | None = None) -> list[dict[str, str]]:
    from bot.app import build_app
    from bot.scheduler import scheduler_for

    app = await build_app(settings)
    try:
        return [o.as_preview() for o in await scheduler_for(app).preview(days=days, now=start)]
    finally:
        await app.close()


def preview_lines(items: list[dict[str, str]]) -> list[str]:
    if not items:
        return ["nothing scheduled in that period"]
    return [f"{i['local']:<25} {i['tz']:<20} {i['kind']:<11} {i['workspace']:<20} {i['target']}  (UTC {i['at']})"
            for i in items]


def _handler(settings: Settings, args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 3660:
        print("cos-bot: --days must be a whole number from 1 to 3660", file=sys.stderr)
        return 2
    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
        except ValueError:
            start = None
        if start is None or start.tzinfo is None:
            print("cos-bot: --from must be an ISO 8601 time with an offset, e.g. 2027-03-20T00:00:00Z",
                  file=sys.stderr)
            return 2
    items = asyncio.run(_preview(settings, args.days, start))
    if args.json:
        print(json.dumps(items, indent=None))
    else:
        print("\n".join(preview_lines(items)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sched = sub.add_parser("schedule", help="scheduler commands")
    sched_sub = sched.add_subparsers(dest="schedule_cmd", metavar="ACTION", parser_class=type(sched))
    sched_sub.required = True
    preview = sched_sub.add_parser("preview", help="every delivery due in the next N days")
    preview.add_argument("--days", type=int, default=7, help="how many days ahead (1 to 3660)")
    preview.add_argument("--from", dest="start", default=None,
                         help="start of the period (ISO 8601 with offset; default now)")
    preview.add_argument("--json", action="store_true", help="a JSON array of {at, local, tz, kind, workspace, target}")
    preview.set_defaults(handler=_handler)


_PLATFORMS = ("slack", "discord", "console")


async def export_answers(settings: Settings, *, workspace: str, platform: str | None,
                         user: str | None) -> list[dict[str, object]]:
    """Every answered check-in of one (platform, workspace), oldest first.

    Without ``platform``, the workspace id must belong to one platform only.
    """
    from sqlalchemy import select

    from bot.scheduler.commands import answer_record, answer_rows
    from bot.scheduler.models import CheckinAnswer
    from bot.storage.db import Database, migrate

    db = Database(settings.database_url)
    try:
        await migrate(db)
        async with db.session() as session:
            if platform is None:
                found = sorted((await session.execute(select(CheckinAnswer.platform).where(
                    CheckinAnswer.workspace == workspace).distinct())).scalars())
                if len(found) > 1:
                    raise ValueError(f"workspace {workspace!r} exists on {', '.join(found)}; "
                                     "say which with --platform")
                if not found:
                    return []
                platform = found[0]
            return [answer_record(a) for a in await answer_rows(session, platform=platform, workspace=workspace,
                                                                user=user)]
    finally:
        await db.dispose()


def _export_handler(settings: Settings, args: argparse.Namespace) -> int:
    from bot.scheduler.commands import format_records

    workspace, platform = args.workspace.strip(), args.platform
    prefix, sep, rest = workspace.partition(":")
    if sep and prefix in _PLATFORMS and platform is None:
        platform, workspace = prefix, rest
    if not workspace:
        print("cos-bot: --workspace is empty", file=sys.stderr)
        return 2
    try:
        records = asyncio.run(export_answers(settings, workspace=workspace, platform=platform, user=args.user))
    except ValueError as exc:
        print(f"cos-bot: {exc}", file=sys.stderr)
        return 2
    out = format_records(records, "json" if args.json else "csv")
    print(out)
    print(f"{len(records)} check-in answer(s) exported", file=sys.stderr)
    return 0


def register_checkin(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    checkin = sub.add_parser("checkin", help="check-in answers (export)")
    checkin_sub = checkin.add_subparsers(dest="checkin_cmd", metavar="ACTION", parser_class=type(checkin))
    checkin_sub.required = True
    export = checkin_sub.add_parser("export", help="a workspace's check-in answers (CSV, or JSON with --json)")
    export.add_argument("--workspace", required=True,
                        help="Slack team id, Discord guild id or 'local'; 'slack:T123' also names the platform")
    export.add_argument("--platform", choices=_PLATFORMS, default=None,
                        help="needed only when the workspace id exists on more than one platform")
    export.add_argument("--user", default=None, help="one person's answers only")
    export.add_argument("--json", action="store_true", help="a JSON array instead of CSV")
    export.set_defaults(handler=_export_handler)


REGISTRARS.append(register)
REGISTRARS.append(register_checkin)
