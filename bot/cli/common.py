"""What the operators' commands share: open the database (migrated), run one piece of work, close it; read a
``--workspace`` argument; say a usage error on one line of stderr and exit 2."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from bot.kernel.settings import Settings

if TYPE_CHECKING:
    from bot.storage.db import Database

__all__ = ["read_database", "with_database", "usage_error", "workspace_of", "add_workspace_arguments"]

T = TypeVar("T")


async def read_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """``work(db)`` on the configured database, migrated first and disposed after."""
    from bot.storage.db import Database, db_limits, migrate

    db = Database(settings.database_url, limits=db_limits(settings))
    try:
        await migrate(db)
        return await work(db)
    finally:
        await db.dispose()


def with_database(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """:func:`read_database` run to completion (a command's handler is synchronous)."""
    return asyncio.run(read_database(settings, work))


def usage_error(message: object) -> int:
    """Say what was wrong with the command line (one line on stderr); the exit status of a usage error."""
    print(f"cos-bot: {message}", file=sys.stderr)
    return 2


def workspace_of(text: str, platform: str | None) -> tuple[str | None, str] | None:
    """``(platform, workspace)`` from ``--workspace`` (``slack:T123`` or a bare id) and ``--platform``; None after
    saying why it cannot be read."""
    from bot.plugins import split_workspace

    try:
        return split_workspace(text, platform)
    except ValueError as exc:
        usage_error(exc)
        return None


def add_workspace_arguments(parser: argparse.ArgumentParser, *, platform_help: str) -> None:
    """``--workspace W`` (required) and ``--platform P`` (one of the installed platforms), as ``workspace_of`` reads
    them."""
    from bot.plugins import PlatformChoices

    parser.add_argument(
        "--workspace",
        required=True,
        help="Slack team id, Discord guild id or 'local'; 'slack:T123' also names the platform",
    )
    parser.add_argument("--platform", choices=PlatformChoices(), metavar="PLATFORM", default=None, help=platform_help)
