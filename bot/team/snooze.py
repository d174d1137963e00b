"""Skip and snooze: "Skip today" and "Snooze 1 h" on check-ins, "Snooze 1 day/1 week" on reminders.

A snooze queues exactly one new outbox row, keyed ``snooze:<row id>``, so it survives
restarts, shows in ``cos-bot schedule preview``, and a second press (on any replica)
finds the first. Text forms: ``skip`` and ``snooze 1h`` in a DM, or
``/cos-service skip`` and ``/cos-service snooze 1h|1d|1w``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, day_name
from bot.kernel.reply import Button, Reply, Section
from bot.kernel.request import Request
from bot.kernel.router import Action, HelpLine, Router
from bot.scheduler.models import OUTBOX_PENDING, OUTBOX_SENT, Outbox
from bot.scheduler.occurrences import Occurrence
from bot.scheduler.registry import Deliveries
from bot.storage.sql import insert_ignore
from bot.team.base import TeamFeature
from bot.team.models import CheckinAnswer
from bot.team.schedules import kind_name

__all__ = ["SnoozeCommands", "SPANS", "snooze_buttons", "pending_snoozes", "occurrence_of", "snooze"]

SPANS = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "1w": timedelta(weeks=1)}
_SPAN_WORDS = {"1h": N_("1 hour"), "1d": N_("1 day"), "1w": N_("1 week")}
# The snooze buttons' labels.
_SPAN_LABELS = {"1h": N_("Snooze 1 h"), "1d": N_("Snooze 1 day"), "1w": N_("Snooze 1 week")}
# Which deliveries can be snoozed, and for how long.
SNOOZABLE = {"checkin": ("1h",), "nudge": ("1h",), "milestone": ("1d", "1w"), "risk_review": ("1d", "1w")}
_SPAN = re.compile(r"^(\d)\s*(h|hr|hrs|hour|hours|d|day|days|w|wk|week|weeks)$")
_USAGE = N_("Use `snooze 1h` for a check-in, `snooze 1d` or `snooze 1w` for a reminder.")


def parse_span(text: str) -> str:
    m = _SPAN.match(text.strip().lower().replace(" ", ""))
    if m is None or m.group(1) != "1":
        raise UserError(_("I can snooze for 1 hour, 1 day or 1 week. {usage}").format(usage=_(_USAGE)))
    return "1" + m.group(2)[0]


def snooze_buttons(row_id: int, kind: str) -> tuple[Button, ...]:
    """The buttons a delivery of ``kind`` carries (row ``row_id``)."""
    out = []
    if kind in ("checkin", "nudge"):
        out.append(Button(_("Skip today"), "checkin.skip", str(row_id)))
    out += [Button(_(_SPAN_LABELS[s]), "delivery.snooze", f"{row_id}|{s}") for s in SNOOZABLE.get(kind, ())]
    return tuple(out)


def occurrence_of(kind: str, due_at: datetime, payload: dict[str, Any]) -> datetime:
    """The check-in occurrence a check-in, nudge or snoozed check-in row is about."""
    if "occurrence" in payload:
        return datetime.fromisoformat(payload["occurrence"])
    return due_at


async def snooze(session: AsyncSession, *, row: Outbox, span: str, now: datetime) -> tuple[bool, datetime]:
    """Queue the one snoozed copy of ``row``; (False, its time) when it was snoozed already."""
    key = f"snooze:{row.id}"
    payload = json.loads(row.payload or "{}")
    if row.kind in ("checkin", "nudge"):
        payload["occurrence"] = occurrence_of(row.kind, row.due_at, payload).isoformat()
    payload["snoozed_from"] = row.id
    due = now + SPANS[span]
    result = await session.execute(
        insert_ignore(session, Outbox)
        .values(
            key=key,
            platform=row.platform,
            workspace=row.workspace,
            schedule_id=row.schedule_id,
            kind=row.kind,
            target_type=row.target_type,
            target=row.target,
            channel=row.channel,
            due_at=due,
            tz=row.tz,
            payload=json.dumps(payload),
            status=OUTBOX_PENDING,
            attempts=0,
            next_attempt_at=due,
            fallback=False,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    if int(getattr(result, "rowcount", 0) or 0):
        return True, due
    existing = (await session.execute(select(Outbox.due_at).where(Outbox.key == key))).scalar_one()
    return False, existing


async def pending_snoozes(session: AsyncSession, after: datetime, until: datetime) -> list[Occurrence]:
    """Snoozed deliveries still to go out in ``(after, until]``, as the preview lists them."""
    rows = (
        await session.execute(
            select(Outbox).where(
                Outbox.key.like("snooze:%"),
                Outbox.status == OUTBOX_PENDING,
                Outbox.due_at > after,
                Outbox.due_at <= until,
            )
        )
    ).scalars()
    return [
        Occurrence(
            at=r.due_at,
            tz=r.tz,
            kind=r.kind,
            platform=r.platform,
            workspace=r.workspace,
            target_type=r.target_type,
            target=r.target,
            channel=r.channel,
            schedule_id=r.schedule_id or 0,
            extra=_snoozed_extra(r),
        )
        for r in rows
    ]


def _snoozed_extra(row: Outbox) -> tuple[tuple[str, Any], ...]:
    payload = json.loads(row.payload or "{}")
    extra: list[tuple[str, Any]] = [("snoozed_from", payload.get("snoozed_from"))]
    if "occurrence" in payload:
        extra.append(("occurrence", payload["occurrence"]))
    return tuple(extra)


class SnoozeCommands(TeamFeature):
    """The skip and snooze buttons, and their text forms."""

    HELP = (
        HelpLine(command="cos-service", usage="/cos-service skip", what=N_("skip today's check-in")),
        HelpLine(
            command="cos-service", usage="/cos-service snooze 1h|1d|1w", what=N_("snooze a check-in or a reminder")
        ),
    )

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_preview_source(pending_snoozes)

    def register(self, router: Router) -> None:
        router.add_action("checkin.skip", self.action_skip)
        router.add_action("delivery.snooze", self.action_snooze)
        self.add_subcommand(router, "cos-service", "skip", self.skip_text)
        self.add_subcommand(router, "cos-service", "snooze", self.snooze_text)
        router.add_dm_handler(self.dm)

    async def _row(self, session: AsyncSession, asker: Action | Request, row_id: str) -> Outbox | None:
        """The delivery a button names, when the presser may act on it (its DM's person, or its workspace)."""
        if not row_id.isdigit() or len(row_id) > 12:
            return None
        row = await session.get(Outbox, int(row_id))
        if row is None or row.platform != asker.platform or row.kind not in SNOOZABLE:
            return None
        if row.target_type == "dm":
            return row if row.target == asker.user else None
        return row if row.workspace == asker.workspace else None

    async def _latest(self, session: AsyncSession, asker: Action | Request, kinds: tuple[str, ...]) -> Outbox | None:
        """The asker's most recent DM of ``kinds`` sent in the last week."""
        return (
            await session.execute(
                select(Outbox)
                .where(
                    Outbox.platform == asker.platform,
                    Outbox.target_type == "dm",
                    Outbox.target == asker.user,
                    Outbox.kind.in_(kinds),
                    Outbox.status == OUTBOX_SENT,
                    Outbox.sent_at > self.team.now() - timedelta(days=7),
                )
                .order_by(Outbox.sent_at.desc(), Outbox.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    # -- skip -------------------------------------------------------------------------------
    async def _skip(self, session: AsyncSession, row: Outbox) -> Reply:
        occurrence = occurrence_of(row.kind, row.due_at, json.loads(row.payload or "{}"))
        answer = (
            await session.execute(
                select(CheckinAnswer).where(
                    CheckinAnswer.schedule_id == row.schedule_id,
                    CheckinAnswer.occurrence_at == occurrence,
                    CheckinAnswer.user == row.target,
                )
            )
        ).scalar_one_or_none()
        if answer is None:
            raise UserError(_("That check-in is gone (it was removed); nothing to skip."))
        if answer.answered_at is not None:
            raise UserError(
                _(
                    "You already answered this check-in; it stays in the digest. "
                    "`/cos-service checkin forget` deletes your answers."
                )
            )
        if answer.skipped_at is None:
            await session.execute(
                update(CheckinAnswer).where(CheckinAnswer.id == answer.id).values(skipped_at=self.team.now())
            )
        return Reply(
            title=_("Skipped today's check-in"), sections=(Section(text=_("No nudge will follow. See you next time.")),)
        )

    async def action_skip(self, action: Action) -> Reply | None:
        async with self.team.db.session() as session:
            row = await self._row(session, action, action.value)
            if row is None or row.kind not in ("checkin", "nudge"):
                return None
            return await self._skip(session, row)

    async def skip_text(self, request: Request, text: str) -> Reply:
        if text.strip():
            raise UserError(_("Just `skip`: it skips your latest check-in."))
        async with self.team.db.session() as session:
            row = await self._latest(session, request, ("checkin", "nudge"))
            if row is None:
                raise UserError(_("You have no check-in from the last week to skip."))
            return await self._skip(session, row)

    # -- snooze ----------------------------------------------------------------------------
    async def _snooze(self, session: AsyncSession, row: Outbox, span: str) -> Reply:
        if span not in SNOOZABLE[row.kind]:
            allowed = _(" or ").join(_(_SPAN_WORDS[s]) for s in SNOOZABLE[row.kind])
            raise UserError(
                _("This {kind} can be snoozed for {allowed}.").format(kind=kind_name(row.kind), allowed=allowed)
            )
        if row.kind in ("checkin", "nudge"):
            occurrence = occurrence_of(row.kind, row.due_at, json.loads(row.payload or "{}"))
            answer = (
                await session.execute(
                    select(CheckinAnswer).where(
                        CheckinAnswer.schedule_id == row.schedule_id,
                        CheckinAnswer.occurrence_at == occurrence,
                        CheckinAnswer.user == row.target,
                    )
                )
            ).scalar_one_or_none()
            if answer is not None and (answer.answered_at is not None or answer.skipped_at is not None):
                raise UserError(_("This check-in is already answered or skipped; nothing to snooze."))
        fresh, due = await snooze(session, row=row, span=span, now=self.team.now())
        when = f"{day_name(due.date(), year=False)} {due:%H:%M} UTC"
        if not fresh:
            return Reply(
                title=_("Already snoozed until {when}").format(when=when),
                sections=(Section(text=_("It comes back once.")),),
            )
        return Reply(
            title=_("Snoozed until {when}").format(when=when),
            sections=(Section(text=_("I will send it again in {span}.").format(span=_(_SPAN_WORDS[span]))),),
        )

    async def action_snooze(self, action: Action) -> Reply | None:
        row_id, _sep, span = action.value.partition("|")
        if span not in SPANS:
            return None
        async with self.team.db.session() as session:
            row = await self._row(session, action, row_id)
            if row is None:
                return None
            return await self._snooze(session, row, span)

    async def snooze_text(self, request: Request, text: str) -> Reply:
        span = parse_span(text or "")
        kinds = ("checkin", "nudge") if span == "1h" else ("milestone", "risk_review")
        async with self.team.db.session() as session:
            row = await self._latest(session, request, kinds)
            if row is None:
                raise UserError(_("You have nothing from the last week to snooze for that long. ") + _(_USAGE))
            return await self._snooze(session, row, span)

    async def dm(self, request: Request) -> Reply | None:
        """``skip`` and ``snooze 1h`` typed in a DM (before the check-in handler reads it as an answer)."""
        if not request.is_dm:
            return None
        words = request.text.strip().lower().rstrip(".!").split()
        if not words or words[0] not in ("skip", "snooze") or len(words) > 3:
            return None
        try:
            if words[0] == "skip":
                return await self.skip_text(request, " ".join(words[1:]))
            return await self.snooze_text(request, " ".join(words[1:]))
        except UserError as exc:
            return Reply(title=_("I couldn't do that"), sections=(Section(text=str(exc)),), error=str(exc))
