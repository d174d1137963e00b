"""``cos-bot schedule preview --days N [--json]``: every delivery due in the next N days."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from typing import Any

from bot.kernel.settings import Settings
from bot.plugins import command_group

__all__ = ["preview_lines", "register"]


async def _preview(settings: Settings, days: float, start: datetime | None = None) -> list[dict[str, Any]]:
    from bot.app import build_app

    app = await build_app(settings)
    try:
        return [o.as_preview() for o in await app.scheduler.preview(days=days, now=start)]
    finally:
        await app.close()


def preview_lines(items: list[dict[str, Any]]) -> list[str]:
    if not items:
        return ["nothing scheduled in that period"]
    return [
        f"{i['local']:<25} {i['tz']:<20} {i['kind']:<11} {i['workspace']:<20} {i['target']}  (UTC {i['at']})"
        + ("  snoozed" if i.get("snoozed") else "")
        for i in items
    ]


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
            print("cos-bot: --from must be an ISO 8601 time with an offset, e.g. 2027-03-20T00:00:00Z", file=sys.stderr)
            return 2
    items = asyncio.run(_preview(settings, args.days, start))
    if args.json:
        print(json.dumps(items, indent=None))
    else:
        print("\n".join(preview_lines(items)))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sched_sub = command_group(sub, "schedule", help="scheduler commands")
    preview = sched_sub.add_parser("preview", help="every delivery due in the next N days")
    preview.add_argument("--days", type=int, default=7, help="how many days ahead (1 to 3660)")
    preview.add_argument(
        "--from", dest="start", default=None, help="start of the period (ISO 8601 with offset; default now)"
    )
    preview.add_argument(
        "--json", action="store_true", help="a JSON array of {at, local, tz, kind, workspace, target, snoozed}"
    )
    preview.set_defaults(handler=_handler)
