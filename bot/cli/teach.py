"""``cos-bot knowledge export-team --workspace W [--platform P] [--out FILE]``: a workspace's taught
phrases as a knowledge file that ``COS_KNOWLEDGE_DIR`` accepts.

Each taught entry is written as an override of its id with ``aliases``: the entry's own aliases
followed by the taught phrases (a team file's fields replace the shipped ones, so the shipped
aliases are repeated). Load it with ``cos-bot knowledge check DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import add_workspace_arguments, read_database, workspace_of
from bot.kernel.settings import Settings

if TYPE_CHECKING:
    from bot.answering.models import TaughtPhraseRow
    from bot.storage.db import Database

__all__ = ["register", "export_taught", "taught_yaml"]


async def export_taught(settings: Settings, *, workspace: str, platform: str | None) -> dict[str, list[str]]:
    """``{entry id: [taught phrases]}`` of one workspace (every platform's, unless ``platform`` is given)."""
    from sqlalchemy import select

    from bot.answering.models import TaughtPhraseRow

    async def read(db: Database) -> list[TaughtPhraseRow]:
        async with db.session() as session:
            query = select(TaughtPhraseRow).where(TaughtPhraseRow.workspace == workspace)
            if platform is not None:
                query = query.where(TaughtPhraseRow.platform == platform)
            return list(
                (await session.execute(query.order_by(TaughtPhraseRow.entry_id, TaughtPhraseRow.phrase))).scalars()
            )

    rows = await read_database(settings, read)
    taught: dict[str, list[str]] = {}
    for row in rows:
        phrases = taught.setdefault(row.entry_id, [])
        if row.phrase not in phrases:
            phrases.append(row.phrase)
    return taught


def taught_yaml(settings: Settings, taught: dict[str, list[str]], *, workspace: str) -> tuple[str, list[str]]:
    """The knowledge file for ``taught`` and the entry ids left out (no longer in the knowledge)."""
    from knowledge import load_knowledge

    kb = load_knowledge(settings.knowledge_dirs)
    entries = []
    missing = []
    for entry_id, phrases in taught.items():
        entry = kb.get(entry_id)
        if entry is None:
            missing.append(entry_id)
            continue
        aliases = list(entry.aliases) + [p for p in phrases if p not in entry.aliases]
        entries.append({"id": entry_id, "aliases": aliases})
    header = (
        f"# Phrases taught in workspace {workspace} (cos-bot knowledge export-team).\n"
        "# Put this file in a COS_KNOWLEDGE_DIR directory; check it with `cos-bot knowledge check DIR`.\n"
    )
    import yaml

    body = yaml.safe_dump({"entries": entries}, allow_unicode=True, sort_keys=False, width=100)
    return header + body, missing


def _handler(settings: Settings, args: argparse.Namespace) -> int:
    where = workspace_of(args.workspace, args.platform)
    if where is None:
        return 2
    platform, workspace = where
    taught = asyncio.run(export_taught(settings, workspace=workspace, platform=platform))
    text, missing = taught_yaml(settings, taught, workspace=workspace)
    for entry_id in missing:
        print(f"cos-bot: skipped phrases of {entry_id}: the entry is no longer in the knowledge", file=sys.stderr)
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"cos-bot: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    count = sum(len(p) for p in taught.values())
    print(f"{count} taught phrase(s) exported for {len(taught) - len(missing)} entries", file=sys.stderr)
    return 0


def register(knowledge_actions: argparse._SubParsersAction) -> None:
    """Add ``export-team`` under ``cos-bot knowledge``."""
    export = knowledge_actions.add_parser("export-team", help="a workspace's taught phrases as a knowledge YAML file")
    add_workspace_arguments(export, platform_help="only this platform's phrases (%(choices)s)")
    export.add_argument("--out", default=None, help="write to this file (default: standard output)")
    export.set_defaults(handler=_handler)
