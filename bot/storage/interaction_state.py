"""Short-lived interaction state (e.g. the pages behind Prev/Next buttons), in the database.

Every replica reads the same rows, so a button made by one process works when
another process (or the same one after a restart) receives the press. Keys are
random and unguessable; a row is also bound to its (platform, workspace), so a
key replayed elsewhere finds nothing.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import InteractionState

__all__ = ["new_key", "put", "get", "purge_expired"]


def new_key() -> str:
    """A fresh, URL-safe key of 16 characters (fits in a Discord custom id with room to spare)."""
    return secrets.token_urlsafe(12)


async def put(
    *, session: AsyncSession, key: str, platform: str, workspace: str, payload: Any, now: datetime, ttl: timedelta
) -> None:
    """Store ``payload`` (JSON-serialisable) under ``key`` until ``now + ttl``."""
    session.add(
        InteractionState(
            key=key,
            platform=platform,
            workspace=workspace,
            payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()


async def get(*, session: AsyncSession, key: str, platform: str, workspace: str, now: datetime) -> Any | None:
    """The payload under ``key`` for this (platform, workspace), or None when unknown, elsewhere or expired."""
    row = (
        await session.execute(
            select(InteractionState).where(
                InteractionState.key == key,
                InteractionState.platform == platform,
                InteractionState.workspace == workspace,
                InteractionState.expires_at > now,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    try:
        return json.loads(row.payload)
    except ValueError:
        return None


async def purge_expired(*, session: AsyncSession, now: datetime) -> int:
    """Delete every row that expired at or before ``now``; returns how many."""
    result = await session.execute(delete(InteractionState).where(InteractionState.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
