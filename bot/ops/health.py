"""``cos-bot health``: does the database answer, and is its schema the one this version expects?

The container runs it every 30 seconds, so it starts light: no platform SDK, no
knowledge, no SQLAlchemy or Alembic for the usual URLs. SQLite is read with the
standard library, PostgreSQL with asyncpg directly; any other URL (another
driver, query options) goes through SQLAlchemy as the bot itself would.

The expected schema is read from the migration files' ``revision`` and
``down_revision`` lines (their heads), so Alembic need not be imported either;
a test holds this reading to Alembic's own.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HealthResult", "MIGRATIONS_DIR", "check_health", "database_revisions", "migration_heads"]

# The same place bot.storage.db runs the migrations from.
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
_ASSIGN = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)
_TIMEOUT = 4.0  # under the HEALTHCHECK timeout (5 s), so the verdict is ours


class DatabaseDown(Exception):
    """The database could not be reached or read."""


@dataclass(frozen=True, slots=True)
class HealthResult:
    ok: bool
    message: str


def _revisions_of(path: Path) -> tuple[str | None, tuple[str, ...]]:
    found: dict[str, object] = {}
    for name, value in _ASSIGN.findall(path.read_text(encoding="utf-8")):
        try:
            found.setdefault(name, ast.literal_eval(value))
        except (ValueError, SyntaxError):
            continue
    revision = found.get("revision")
    down = found.get("down_revision")
    downs: Iterable[object] = down if isinstance(down, tuple | list) else (down,)
    return (revision if isinstance(revision, str) else None, tuple(d for d in downs if isinstance(d, str)))


def _graph(versions_dir: Path) -> tuple[frozenset[str], frozenset[str]]:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions_dir.glob("*.py"):
        revision, downs = _revisions_of(path)
        if revision is not None:
            revisions.add(revision)
            parents.update(downs)
    return frozenset(revisions), frozenset(revisions - parents)


def migration_heads(versions_dir: Path = MIGRATIONS_DIR / "versions") -> frozenset[str]:
    """The revisions no other migration builds on: what ``alembic upgrade head`` ends at."""
    return _graph(versions_dir)[1]


def _sqlite_path(url: str) -> str | None:
    """The file of a plain ``sqlite[+driver]:///path`` URL; None for anything else."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme not in ("sqlite", "sqlite+aiosqlite", "sqlite+pysqlite"):
        return None
    if not rest or rest == ":memory:" or any(c in rest for c in "?%"):
        return None
    return rest


def _sqlite_revisions(path: str) -> frozenset[str] | None:
    import sqlite3

    if not Path(path).expanduser().is_file():
        raise DatabaseDown(f"database file {path} does not exist")
    try:
        conn = sqlite3.connect(str(Path(path).expanduser()), timeout=_TIMEOUT)
    except sqlite3.Error as exc:
        raise DatabaseDown(type(exc).__name__) from exc
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise DatabaseDown(type(exc).__name__) from exc
    except sqlite3.Error as exc:
        raise DatabaseDown(type(exc).__name__) from exc
    finally:
        conn.close()
    return frozenset(str(r[0]) for r in rows)


async def _asyncpg_revisions(url: str) -> frozenset[str] | None:
    import asyncpg

    dsn = "postgresql://" + url.split("://", 1)[1]
    try:
        conn = await asyncpg.connect(dsn, timeout=_TIMEOUT)
    except Exception as exc:
        raise DatabaseDown(type(exc).__name__) from exc
    try:
        rows = await conn.fetch("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:
        return None
    except Exception as exc:
        raise DatabaseDown(type(exc).__name__) from exc
    finally:
        await conn.close(timeout=_TIMEOUT)
    return frozenset(str(r[0]) for r in rows)


async def _sqlalchemy_revisions(url: str) -> frozenset[str] | None:
    from sqlalchemy import inspect, text

    from bot.storage.db import Database

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            has = await conn.run_sync(lambda c: inspect(c).has_table("alembic_version"))
            if not has:
                return None
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        return frozenset(str(r[0]) for r in rows)
    except Exception as exc:
        raise DatabaseDown(type(exc).__name__) from exc
    finally:
        await db.dispose()


def database_revisions(url: str) -> frozenset[str] | None:
    """The schema revisions recorded in the database (None: never migrated); raises ``DatabaseDown``."""
    path = _sqlite_path(url)
    if path is not None:
        return _sqlite_revisions(path)
    import asyncio

    if url.startswith("postgresql+asyncpg://") and "?" not in url:
        return asyncio.run(_asyncpg_revisions(url))
    return asyncio.run(_sqlalchemy_revisions(url))


def check_health(database_url: str) -> HealthResult:
    """Healthy when the database answers and its schema is at this version's migration head."""
    try:
        current = database_revisions(database_url)
    except DatabaseDown as exc:
        return HealthResult(False, f"database does not answer ({exc})")
    if not current:
        return HealthResult(False, "database answers but has no schema yet (cos-bot db upgrade, or start the bot)")
    known, heads = _graph(MIGRATIONS_DIR / "versions")
    if current != heads:
        at, expected = ", ".join(sorted(current)), ", ".join(sorted(heads))
        if current - known:
            return HealthResult(
                False,
                f"database answers but its schema is at {at}, which this version does not "
                f"know (a newer version migrated it?); this version expects {expected}",
            )
        return HealthResult(
            False, f"database answers but its schema is at {at}; this version expects {expected} (cos-bot db upgrade)"
        )
    return HealthResult(True, f"ok: database answers, schema at {', '.join(sorted(heads))}")
