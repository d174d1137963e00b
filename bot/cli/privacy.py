"""Operators' data commands: ``cos-bot workspace export W --json``, ``cos-bot workspace delete W --yes``,
``cos-bot audit export --workspace W [--json]``. ``W`` is ``<platform>:<id>`` as ``schedule preview`` shows it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TypeVar

from bot.cli.common import usage_error, with_database
from bot.kernel.settings import Settings
from bot.plugins import command_group, platform_names

__all__ = ["register"]

T = TypeVar("T")


def _workspace(text: str) -> tuple[str, str] | None:
    from bot.privacy import parse_workspace

    try:
        return parse_workspace(text, platform_names())
    except ValueError as exc:
        usage_error(exc)
        return None


def _export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.privacy import export_workspace

    where = _workspace(args.workspace)
    if where is None:
        return 2
    data = with_database(settings, lambda db: export_workspace(db, platform=where[0], workspace=where[1]))
    print(json.dumps(data, indent=1, ensure_ascii=False))
    print(f"{sum(len(rows) for rows in data['tables'].values())} row(s) exported", file=sys.stderr)
    return 0


def _delete(settings: Settings, args: argparse.Namespace) -> int:
    from bot.privacy import delete_workspace

    where = _workspace(args.workspace)
    if where is None:
        return 2
    if not args.yes:
        print(
            f"cos-bot: this deletes everything stored about {args.workspace.strip()} and cannot be undone; "
            "add --yes to go ahead",
            file=sys.stderr,
        )
        return 2
    counts = with_database(settings, lambda db: delete_workspace(db, platform=where[0], workspace=where[1]))
    removed = {k: v for k, v in counts.items() if v}
    print(json.dumps({"workspace": args.workspace.strip(), "removed": removed}))
    print(f"{sum(removed.values())} row(s) deleted", file=sys.stderr)
    return 0


def _audit_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.team.audit import describe, entries, entry_record

    where = _workspace(args.workspace)
    if where is None:
        return 2

    async def read(db: Any) -> list[Any]:
        async with db.session() as session:
            return list(reversed(await entries(session, platform=where[0], workspace=where[1])))

    found = with_database(settings, read)
    if args.json:
        print(json.dumps([entry_record(e) for e in found], indent=1, ensure_ascii=False))
    else:
        print("\n".join(describe(e, with_mentions=False) for e in found) or "no changes recorded")
    print(f"{len(found)} audit entr{'y' if len(found) == 1 else 'ies'}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    ws = command_group(sub, "workspace", help="a workspace's stored data (export, delete)")
    export = ws.add_parser("export", help="everything stored about one workspace, as JSON")
    export.add_argument("workspace", help="<platform>:<id>, e.g. slack:T123 or console:T1")
    export.add_argument("--json", action="store_true", help="JSON (the only format; accepted for clarity)")
    export.set_defaults(handler=_export)
    delete = ws.add_parser("delete", help="delete everything stored about one workspace")
    delete.add_argument("workspace", help="<platform>:<id>, e.g. slack:T123 or console:T1")
    delete.add_argument("--yes", action="store_true", help="really delete (required)")
    delete.set_defaults(handler=_delete)

    audit = command_group(sub, "audit", help="the audit log of admin changes")
    aexport = audit.add_parser("export", help="a workspace's audit log, oldest first (text, or JSON with --json)")
    aexport.add_argument("--workspace", required=True, help="<platform>:<id>, e.g. slack:T123 or console:T1")
    aexport.add_argument("--json", action="store_true", help="a JSON array instead of lines of text")
    aexport.set_defaults(handler=_audit_export)
