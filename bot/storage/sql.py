"""Small SQL helpers that work on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["affected", "insert_ignore"]


def affected(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (its result is a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def insert_ignore(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` for the session's dialect, ready for ``.on_conflict_do_nothing(...)``."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
