"""A workspace that removes the app: its data is kept through the retention period, found again on a reinstall,
then deleted."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from bot.privacy.data import _delete_installation, _where, delete_workspace
from bot.scheduler.models import OUTBOX_PENDING, Outbox, Schedule
from bot.storage.models import Workspace
from bot.storage.sql import affected
from bot.team import audit
from bot.team.models import (
    AuditEntry,
)

if TYPE_CHECKING:
    from bot.app import App
    from bot.storage.db import Database

__all__ = ["mark_uninstalled", "reinstalled", "purge_uninstalled", "app_removed", "app_added"]

log = logging.getLogger(__name__)


async def mark_uninstalled(
    db: Database, *, platform: str, workspace: str, now: datetime, retention_days: int
) -> dict[str, int]:
    """The app was removed from a workspace: schedules stop, queued deliveries are dropped, the
    installation is removed, and the data is kept ``retention_days`` (0: deleted at once)."""
    counts: dict[str, int] = {}
    async with db.session() as session:
        ids = sorted(
            (
                await session.execute(
                    select(Schedule.id).where(_where(Schedule, platform, workspace), Schedule.active.is_(True))
                )
            ).scalars()
        )
        counts["schedule"] = (
            affected(await session.execute(update(Schedule).where(Schedule.id.in_(ids)).values(active=False)))
            if ids
            else 0
        )
        counts["outbox"] = affected(
            await session.execute(
                delete(Outbox).where(_where(Outbox, platform, workspace), Outbox.status == OUTBOX_PENDING)
            )
        )
        counts.update(await _delete_installation(session, platform=platform, workspace=workspace))
        ws = await session.get(Workspace, f"{platform}:{workspace}")
        if ws is None:
            session.add(
                Workspace(
                    id=f"{platform}:{workspace}", platform=platform, created_at=now, updated_at=now, uninstalled_at=now
                )
            )
        elif ws.uninstalled_at is None:
            ws.uninstalled_at, ws.updated_at = now, now
        await audit.record(
            session,
            None,
            platform=platform,
            workspace=workspace,
            action="workspace.uninstall",
            after={"stopped_schedules": ids, "retention_days": retention_days},
            at=now,
        )
    log.info(
        "workspace %s:%s uninstalled: %d schedule(s) stopped, %d queued deliveries dropped",
        platform,
        workspace,
        counts["schedule"],
        counts["outbox"],
    )
    if retention_days <= 0:
        counts.update(
            {
                f"deleted.{k}": v
                for k, v in (await delete_workspace(db, platform=platform, workspace=workspace, record=False)).items()
            }
        )
    return counts


async def reinstalled(db: Database, *, platform: str, workspace: str, now: datetime) -> bool:
    """The app came back to a workspace within the retention period: keep its data and restart the
    schedules the uninstall stopped (from now on; nothing missed is sent). False when it was not uninstalled."""
    async with db.session() as session:
        ws = await session.get(Workspace, f"{platform}:{workspace}")
        if ws is None or ws.uninstalled_at is None:
            return False
        last = (
            await session.execute(
                select(AuditEntry)
                .where(_where(AuditEntry, platform, workspace), AuditEntry.action == "workspace.uninstall")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        ids = [int(i) for i in (json.loads(last.after or "{}").get("stopped_schedules") or [])] if last else []
        if ids:
            await session.execute(
                update(Schedule)
                .where(_where(Schedule, platform, workspace), Schedule.id.in_(ids))
                .values(active=True, planned_until=now)
            )
        ws.uninstalled_at, ws.updated_at = None, now
        await audit.record(
            session,
            None,
            platform=platform,
            workspace=workspace,
            action="workspace.reinstall",
            after={"restarted_schedules": ids},
            at=now,
        )
    log.info("workspace %s:%s reinstalled; %d schedule(s) restarted", platform, workspace, len(ids))
    return True


async def purge_uninstalled(db: Database, *, now: datetime, retention_days: int) -> list[str]:
    """Delete the data of every workspace uninstalled more than ``retention_days`` ago; returns their ids."""
    cutoff = now - timedelta(days=max(0, retention_days))
    async with db.session() as session:
        gone = list(
            (
                await session.execute(
                    select(Workspace.platform, Workspace.id).where(
                        Workspace.uninstalled_at.is_not(None), Workspace.uninstalled_at <= cutoff
                    )
                )
            ).all()
        )
    purged = []
    for platform, ws_id in gone:
        workspace = ws_id.removeprefix(f"{platform}:")
        await delete_workspace(db, platform=platform, workspace=workspace, record=False)
        purged.append(ws_id)
    return purged


async def app_removed(app: App, *, platform: str, workspace: str) -> dict[str, int]:
    """A platform says the app was removed from ``workspace`` (Slack ``app_uninstalled``, Discord guild removal)."""
    await app.answering.journal.flush_quietly()  # a deletion at once (retention 0) takes the queued questions too
    return await mark_uninstalled(
        app.db,
        platform=platform,
        workspace=workspace,
        now=app.clock.now(),
        retention_days=app.settings.uninstall_retention_days,
    )


async def app_added(app: App, *, platform: str, workspace: str) -> bool:
    """A platform says the app was (re)installed in ``workspace``: data kept through the retention period is
    found again and the stopped schedules restart. False when it had not been uninstalled."""
    return await reinstalled(app.db, platform=platform, workspace=workspace, now=app.clock.now())
