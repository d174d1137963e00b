"""A throw-away PostgreSQL database for a benchmark run: made empty, dropped afterwards."""

from __future__ import annotations

import uuid

__all__ = ["fresh_database", "drop_database"]


async def fresh_database(base_url: str, *, prefix: str = "cos_bench_") -> str:
    """Create an empty database next to ``base_url``'s and return its URL."""
    import asyncpg  # type: ignore[import-untyped]

    name = prefix + uuid.uuid4().hex[:10]
    conn = await asyncpg.connect(base_url.replace("+asyncpg", ""))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return base_url.rsplit("/", 1)[0] + "/" + name


async def drop_database(base_url: str, url: str) -> None:
    """Drop the database ``fresh_database`` made (connections still open are closed)."""
    import asyncpg

    conn = await asyncpg.connect(base_url.replace("+asyncpg", ""))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()
