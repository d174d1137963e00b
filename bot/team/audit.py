"""The audit log: who changed what in a workspace, and what it was before.

Every admin change calls ``record`` with the session it changes data in, so the entry
commits with the change, and a refused or failed change leaves none::

    await audit.record(session, request, action="digest.schedule", target=f"schedule {sched.id}",
                       after={"when": "daily 14:05 UTC"})

``/cos-service audit [n]`` shows the latest entries to admins; operators export them with
``cos-bot audit export --workspace W``. A person who asked to be forgotten no longer appears
(``bot.privacy.forget_person``): their entries say "a forgotten member".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.auth import Asker, admin_only, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.team.base import TeamFeature
from bot.team.models import AuditEntry

__all__ = ["record", "entries", "entry_record", "describe", "AuditCommands", "FORGOTTEN", "DEFAULT_SHOWN", "MAX_SHOWN"]

FORGOTTEN = "a forgotten member"
DEFAULT_SHOWN = 10
MAX_SHOWN = 50


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


async def record(
    session: AsyncSession,
    who: Asker | None,
    *,
    action: str,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
    platform: str | None = None,
    workspace: str | None = None,
) -> AuditEntry:
    """Add one entry to ``session`` (it commits with the change it describes).

    ``who`` is the Request (or Action) of the person making the change; None for the
    operator or the platform (an uninstall), then ``platform`` and ``workspace`` say where.
    ``before``/``after`` are anything JSON can hold: name people by their bare user id, so
    forgetting someone finds them.
    """
    entry = AuditEntry(
        platform=platform or (who.platform if who else ""),
        workspace=workspace or (who.workspace if who else ""),
        at=at or datetime.now(UTC),
        actor=who.user if who else None,
        action=action[:60],
        target=None if target is None else target[:300],
        before=_dump(before),
        after=_dump(after),
    )
    if not entry.platform or not entry.workspace:
        raise ValueError("an audit entry needs a platform and a workspace")
    session.add(entry)
    return entry


async def entries(
    session: AsyncSession, *, platform: str, workspace: str, limit: int | None = None
) -> list[AuditEntry]:
    """The workspace's entries, newest first (all of them without ``limit``)."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.platform == platform, AuditEntry.workspace == workspace)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return list((await session.execute(query)).scalars())


def entry_record(e: AuditEntry) -> dict[str, Any]:
    """One entry as plain JSON-friendly data."""
    return {
        "id": e.id,
        "platform": e.platform,
        "workspace": e.workspace,
        "at": e.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "actor": e.actor or FORGOTTEN,
        "action": e.action,
        "target": e.target,
        "before": json.loads(e.before) if e.before is not None else None,
        "after": json.loads(e.after) if e.after is not None else None,
    }


def _short(value: str | None) -> str:
    if value is None:
        return "—"
    data = json.loads(value)
    if isinstance(data, dict):
        text = ", ".join(f"{k} {_plain(v)}" for k, v in data.items())
    else:
        text = _plain(data)
    return text[:160]


def _plain(v: Any) -> str:
    if isinstance(v, list):
        return " ".join(_plain(x) for x in v) or "none"
    return "none" if v is None else str(v)


def describe(e: AuditEntry, *, with_mentions: bool = True) -> str:
    """``2026-03-02 08:00 UTC <@U1> digest.schedule schedule 3: — → when daily 14:05 UTC``."""
    who = (mention(e.actor) if with_mentions else e.actor) if e.actor else FORGOTTEN
    target = f" {e.target}" if e.target else ""
    change = ""
    if e.before is not None or e.after is not None:
        change = f": {_short(e.before)} → {_short(e.after)}"
    return f"{e.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC {who} {e.action}{target}{change}"


class AuditCommands(TeamFeature):
    """``/cos-service audit [n]``: the workspace's latest changes, for admins."""

    HELP = (
        HelpLine(
            command="cos-service", usage="/cos-service audit [n]", what=N_("the latest changes admins made"), admin=True
        ),
    )

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-service", "audit", self.audit)

    @server_only
    async def audit(self, request: Request, text: str) -> Reply:
        words = text.split()
        if len(words) > 1 or (words and (not words[0].isdigit() or len(words[0]) > 4)):
            raise UserError(
                _(
                    "Use `/cos-service audit` (the latest {shown} changes) or "
                    "`/cos-service audit <how many, up to {most}>`."
                ).format(shown=DEFAULT_SHOWN, most=MAX_SHOWN)
            )
        n = int(words[0]) if words else DEFAULT_SHOWN
        if not 1 <= n <= MAX_SHOWN:
            raise UserError(
                _(
                    "Ask for 1 to {most} entries, e.g. `/cos-service audit 20`; "
                    "your operator exports them all with `cos-bot audit export`."
                ).format(most=MAX_SHOWN)
            )
        return await self._show(request, n)

    @admin_only(N_("read the audit log"))
    async def _show(self, request: Request, n: int) -> Reply:
        async with self.team.db.session() as session:
            found = await entries(session, platform=request.platform, workspace=request.workspace, limit=n)
        return Reply(
            title=ngettext("Audit log: the latest {n} change", "Audit log: the latest {n} changes", len(found)).format(
                n=len(found)
            ),
            sections=(
                Section(bullets=tuple(describe(e) for e in found) or (_("No changes recorded yet."),)),
                Section(
                    text=_(
                        "Your operator exports the whole log with "
                        "`cos-bot audit export --workspace <platform>:<workspace>`."
                    )
                ),
            ),
        )
