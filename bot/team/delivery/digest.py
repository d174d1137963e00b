"""The channel digest: milestones due, risk reviews due, check-in answers and silences, undelivered DMs, a tip.

The digests of one claimed batch share what does not depend on their channel (``Batch``): the
workspace's stage and milestones, its risk register, dead letters, absences and the service tip.
After downtime the missed digests of a schedule become one catch-up digest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.answering.render import text_in, title_in
from bot.kernel.lang import _, current_lang, ngettext
from bot.kernel.reply import Reply, Section, mention
from bot.scheduler.models import OUTBOX_DEAD, OUTBOX_SENT, Outbox
from bot.scheduler.occurrences import in_channel
from bot.scheduler.recurrence import zone
from bot.scheduler.registry import Batch, DeliveryKind, ScheduleKind
from bot.team.calendar import away_section
from bot.team.delivery.checkin import missed_section
from bot.team.delivery.reminders import prefetch_registers, register_of
from bot.team.ladder import review_due
from bot.team.models import CheckinAnswer, Milestone, TeamStage
from bot.team.reports import report_lines

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduler.outbox import OutboxRow

__all__ = ["digest_reply", "DIGEST", "DIGEST_SCHEDULE"]

_PARTS = "team.digest_parts"
_TIPS = "team.digest_tips"


@dataclass(frozen=True, slots=True)
class _WorkspaceParts:
    """The sections of a digest that depend on its workspace, not on its channel."""

    milestones: Section | None
    risks: Section | None
    dead: Section | None
    away: Section | None
    tip: Section | None


async def _workspace_parts(
    app: App, session: AsyncSession, *, platform: str, workspace: str, now: datetime, batch: Batch
) -> _WorkspaceParts:
    stage = (
        await session.execute(select(TeamStage).where(TeamStage.platform == platform, TeamStage.workspace == workspace))
    ).scalar_one_or_none()
    tip_query = ""
    milestones = None
    if stage is not None:
        today = now.astimezone(zone(stage.tz)).date()
        open_ms = list(
            (
                await session.execute(
                    select(Milestone)
                    .where(
                        Milestone.platform == platform,
                        Milestone.workspace == workspace,
                        Milestone.phase_id == stage.phase_id,
                        Milestone.status == "open",
                    )
                    .order_by(Milestone.due_on, Milestone.position)
                )
            ).scalars()
        )
        bullets = []
        for m in open_ms:
            if m.due_on < today:
                bullets.append(
                    _("OVERDUE since {day}: {title}").format(day=m.due_on, title=m.title) + _owner(platform, m.owner)
                )
            elif m.due_on <= today + timedelta(days=30):
                bullets.append(_("Due {day}: {title}").format(day=m.due_on, title=m.title) + _owner(platform, m.owner))
        if bullets:
            milestones = Section(heading=_("Milestones due and overdue"), bullets=tuple(bullets))
        if open_ms:
            tip_query = open_ms[0].title
    due = [i for i in await register_of(session, batch, (platform, workspace)) if review_due(i, now)]
    risks = None
    if due:
        risks = Section(
            heading=_("Risk reviews due ({count})").format(count=len(due)),
            bullets=tuple(i.title for i in due[:8])
            + ((_("... and {count} more").format(count=len(due) - 8),) if len(due) > 8 else ()),
        )
    dead = (
        await session.execute(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.platform == platform, Outbox.workspace == workspace, Outbox.status == OUTBOX_DEAD)
        )
    ).scalar_one()
    # The tip is worded: workspaces of one batch that speak different languages each get their own.
    tip_key = (tip_query, date.fromtimestamp(now.timestamp()), current_lang())
    tips = batch.part(_TIPS, dict[tuple[str, date, str], Section | None])
    if tip_key not in tips:
        tips[tip_key] = _tip(app, tip_query, now)
    return _WorkspaceParts(
        milestones=milestones,
        risks=risks,
        dead=Section(
            text=ngettext(
                "{count} scheduled message could not be delivered; admins see it with `/cos-service schedules`.",
                "{count} scheduled messages could not be delivered; admins see them with `/cos-service schedules`.",
                dead,
            ).format(count=dead)
        )
        if dead
        else None,
        away=await away_section(session, platform=platform, workspace=workspace, today=now.astimezone(UTC).date()),
        tip=tips[tip_key],
    )


async def digest_reply(
    app: App,
    session: AsyncSession,
    *,
    platform: str,
    workspace: str,
    channel: str,
    now: datetime,
    catch_up: bool = False,
    missed: int = 0,
    batch: Batch | None = None,
) -> Reply:
    """The channel digest: milestones due, risk reviews due, check-in answers and silences, undelivered DMs, a tip.

    With ``batch`` (a claimed batch's), digests of one workspace rendered at the same ``now``
    read the workspace's milestones, risks, dead letters, absences and tip once.
    """
    batch = batch if batch is not None else Batch()
    parts = await _shared_parts(app, session, platform=platform, workspace=workspace, now=now, batch=batch)
    since = await _since(session, platform=platform, workspace=workspace, channel=channel, now=now)
    sections: list[Section] = [s for s in (parts.milestones, parts.risks) if s is not None]
    sections += await _checkin_sections(session, platform=platform, workspace=workspace, since=since, now=now)
    fallbacks = await _fallbacks_section(session, platform=platform, workspace=workspace, since=since)
    missed_checkins = await missed_section(session, platform=platform, workspace=workspace, since=since)
    sections += [s for s in (fallbacks, parts.dead, missed_checkins, parts.away) if s is not None]
    if not sections:
        sections.append(Section(text=_("Nothing due, nothing overdue, no new check-in answers.")))
    if parts.tip is not None:
        sections.append(parts.tip)
    return Reply(
        title=_digest_title(catch_up=catch_up, missed=missed),
        sections=tuple(sections),
        ephemeral=False,
        footer=_footer(since),
    )


async def _shared_parts(
    app: App, session: AsyncSession, *, platform: str, workspace: str, now: datetime, batch: Batch
) -> _WorkspaceParts:
    """The workspace's sections, read once per batch for one ``now``."""
    shared = batch.part(_PARTS, dict[tuple[str, str, datetime], _WorkspaceParts])
    parts_key = (platform, workspace, now)
    parts = shared.get(parts_key)
    if parts is None:
        parts = shared[parts_key] = await _workspace_parts(
            app, session, platform=platform, workspace=workspace, now=now, batch=batch
        )
    return parts


async def _since(session: AsyncSession, *, platform: str, workspace: str, channel: str, now: datetime) -> datetime:
    """When the channel's last digest was sent; a week ago if none was."""
    return (
        await session.execute(
            select(func.max(Outbox.sent_at)).where(
                Outbox.platform == platform,
                Outbox.workspace == workspace,
                Outbox.channel == channel,
                Outbox.kind == "digest",
                Outbox.status == OUTBOX_SENT,
            )
        )
    ).scalar_one_or_none() or (now - timedelta(days=7))


async def _checkin_sections(
    session: AsyncSession, *, platform: str, workspace: str, since: datetime, now: datetime
) -> list[Section]:
    """Check-in reports, answers not in a report, and who has not answered yet (each when there is any)."""
    answers = list(
        (
            await session.execute(
                select(CheckinAnswer)
                .where(
                    CheckinAnswer.platform == platform,
                    CheckinAnswer.workspace == workspace,
                    CheckinAnswer.asked_at.is_not(None),
                    CheckinAnswer.asked_at > since - timedelta(days=7),
                )
                .order_by(CheckinAnswer.occurrence_at, CheckinAnswer.user)
            )
        ).scalars()
    )
    answered = [a for a in answers if a.answered_at is not None and a.answered_at > since]
    silent = sorted({a.user for a in answers if a.answered_at is None and a.asked_at and a.asked_at <= now})
    sections: list[Section] = []
    reported = [a for a in answered if a.report_message_id]
    if reported:
        # The answers are in the report's thread: point there rather than repeat them.
        answered = [a for a in answered if not a.report_message_id]
        sections.append(await _reports_section(session, platform=platform, workspace=workspace, reported=reported))
    if answered:
        sections.append(_answers_section(answered))
    if silent:
        sections.append(_silent_section(silent))
    return sections


async def _reports_section(
    session: AsyncSession, *, platform: str, workspace: str, reported: list[CheckinAnswer]
) -> Section:
    return Section(
        heading=_("Check-in reports"),
        bullets=await report_lines(session, platform=platform, workspace=workspace, answers=reported),
    )


def _answers_section(answered: list[CheckinAnswer]) -> Section:
    return Section(
        heading=_("Check-in answers"),
        bullets=tuple(f"{mention(a.user)}: " + " / ".join(json.loads(a.answers))[:300] for a in answered),
    )


def _silent_section(silent: list[str]) -> Section:
    return Section(heading=_("Not answered yet"), bullets=tuple(mention(u) for u in silent))


async def _fallbacks_section(
    session: AsyncSession, *, platform: str, workspace: str, since: datetime
) -> Section | None:
    """The DMs since the last digest that were posted in the channel instead."""
    fallbacks = list(
        (
            await session.execute(
                select(Outbox.target, Outbox.kind).where(
                    Outbox.platform == platform,
                    Outbox.workspace == workspace,
                    Outbox.fallback.is_(True),
                    Outbox.sent_at > since,
                )
            )
        ).all()
    )
    if not fallbacks:
        return None
    return Section(
        heading=_("DMs that could not be delivered (posted in the channel instead)"),
        bullets=tuple(f"{mention(t)} ({k})" for t, k in fallbacks),
    )


def _digest_title(*, catch_up: bool, missed: int) -> str:
    if not catch_up:
        return _("Team digest")
    if missed:
        return _("Catch-up digest (replaces {count} missed digests)").format(count=missed + 1)
    return _("Catch-up digest (sent late)")


def _footer(since: datetime) -> str:
    return _(
        "Covers what happened since {since} UTC. Service tip from the Commercial Open Source Stage Service Overview."
    ).format(since=f"{since.astimezone(UTC):%Y-%m-%d %H:%M}")


def _owner(platform: str, owner: str | None) -> str:
    return _(" (owner {who})").format(who=mention(owner)) if owner else _(" (no owner)")


_TIP_KINDS = frozenset({"service", "specialised_service", "service_area"})


def _tip(app: App, query: str, now: datetime) -> Section | None:
    entry = None
    if query:
        # A tip is a service to consider, so only services and service areas qualify.
        hits = [h for h in app.searcher.search(query, limit=8, command="service") if h.entry.kind in _TIP_KINDS]
        if hits:
            entry = hits[0].entry
    if entry is None:
        pool = app.kb.of_kind("service") or app.kb.of_kind("service_area")
        if not pool:
            return None
        entry = pool[date.fromtimestamp(now.timestamp()).toordinal() % len(pool)]
    # The tip speaks the workspace's language (the entry's own translation); provider names stay as they are.
    lang = current_lang()
    text = text_in(entry, lang)
    text = text if len(text) <= 240 else text[:239] + "…"
    area = entry if entry.kind == "service_area" else app.kb.parent_of(entry)
    providers = [title_in(p, lang) for p in app.kb.children(area.id, "provider")][:3] if area is not None else []
    if providers:
        text += _(" Providers to consider: {providers}.").format(providers=", ".join(providers))
    return Section(heading=_("Service tip: {title}").format(title=title_in(entry, lang)), text=text)


async def render_digest(app: App, session: AsyncSession, row: OutboxRow, now: datetime, batch: Batch) -> Reply | None:
    return await digest_reply(
        app,
        session,
        platform=row.platform,
        workspace=row.workspace,
        channel=row.channel,
        now=now,
        catch_up=bool(row.payload.get("catch_up")),
        missed=int(row.payload.get("missed", 0)),
        batch=batch,
    )


DIGEST = DeliveryKind("digest", render_digest, prefetch=prefetch_registers)
DIGEST_SCHEDULE = ScheduleKind("digest", in_channel, catch_up=True)
