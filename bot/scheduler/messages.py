"""What a delivery says: milestone and risk-review reminders, digests, check-ins, nudges."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.scheduler.lateness import missed_section
from bot.scheduler.models import OUTBOX_DEAD, OUTBOX_SENT, Outbox
from bot.scheduler.outbox import OutboxRow
from bot.scheduler.recurrence import zone
from bot.team.calendar import away_section
from bot.team.models import CheckinAnswer, Milestone, RiskItem, TeamStage
from bot.team.reports import report_lines
from bot.team.snooze import occurrence_of, snooze_buttons

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["render", "prefetch", "Prefetched", "review_due", "CADENCE_DAYS", "digest_reply"]

CADENCE_DAYS = {"monthly": 31, "quarterly": 92, "yearly": 366}


def review_due(item: RiskItem, now: datetime) -> bool:
    if item.accepted_until is not None and item.accepted_until >= now.date():
        return False  # an accepted risk: reminders pause until then
    if item.last_review_at is None:
        return True
    return item.last_review_at + timedelta(days=CADENCE_DAYS.get(item.cadence, 92)) <= now


@dataclass(frozen=True, slots=True)
class Prefetched:
    """What a claimed batch's messages read, loaded with one query per kind instead of one per row.

    ``risk_items`` is loaded by ``prefetch``; ``digest_parts`` and ``tips`` fill in as the batch's
    digests render: the digests of one workspace share what does not depend on their channel, and
    a service tip is looked up once per batch for each milestone it is about.
    """

    risk_items: dict[tuple[str, str], list[RiskItem]] = field(default_factory=dict)
    digest_parts: dict[tuple[str, str, datetime], _WorkspaceParts] = field(default_factory=dict)
    tips: dict[tuple[str, date], Section | None] = field(default_factory=dict)


async def prefetch(session: AsyncSession, rows: list[OutboxRow]) -> Prefetched:
    """Load the risk registers of every workspace with a risk review or a digest in ``rows``, in one query."""
    return Prefetched(
        risk_items=await _risk_items(
            session, {(r.platform, r.workspace) for r in rows if r.kind in ("risk_review", "digest")}
        )
    )


async def _risk_items(session: AsyncSession, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], list[RiskItem]]:
    """Each (platform, workspace)'s risk register, ordered by kind and title."""
    if not wanted:
        return {}
    items: dict[tuple[str, str], list[RiskItem]] = {key: [] for key in wanted}
    found = (
        await session.execute(
            select(RiskItem)
            .where(
                RiskItem.platform.in_(sorted({p for p, _ in wanted})),
                RiskItem.workspace.in_(sorted({w for _, w in wanted})),
            )
            .order_by(RiskItem.kind, RiskItem.title)
        )
    ).scalars()
    for item in found:
        bucket = items.get((item.platform, item.workspace))
        if bucket is not None:
            bucket.append(item)
    return items


async def _register(session: AsyncSession, prefetched: Prefetched, key: tuple[str, str]) -> list[RiskItem]:
    """``key``'s risk register: the batch's, or loaded now (and kept with the batch's)."""
    if key not in prefetched.risk_items:
        prefetched.risk_items.update(await _risk_items(session, {key}))
    return prefetched.risk_items[key]


async def render(
    app: App, session: AsyncSession, row: OutboxRow, now: datetime, prefetched: Prefetched | None = None
) -> Reply | None:
    """The message for ``row``; None when there is nothing to say any more.

    ``prefetched`` (``prefetch`` of the row's batch) saves the per-row queries it covers.
    """
    if row.kind == "digest":
        return await digest_reply(
            app,
            session,
            platform=row.platform,
            workspace=row.workspace,
            channel=row.channel,
            now=now,
            catch_up=bool(row.payload.get("catch_up")),
            missed=int(row.payload.get("missed", 0)),
            prefetched=prefetched,
        )
    if row.kind == "escalation":
        from bot.team.ladder import escalation_reply

        return await escalation_reply(app, session, row, now)
    if row.kind == "risk_review":
        register = await _register(session, prefetched or Prefetched(), (row.platform, row.workspace))
        return _risk_review_reply(register, row, now)
    if row.kind == "milestone":
        m = await session.get(Milestone, int(row.payload.get("milestone_id", 0)))
        if m is None or m.status == "done":
            return None
        when = "today" if m.due_on <= row.due_at.astimezone(zone(row.tz)).date() else f"on {m.due_on:%a %d %b %Y}"
        return Reply(
            title=f"Milestone due {when}: {m.title}",
            fields=(
                Field("Owner", mention(m.owner) if m.owner else "nobody yet"),
                Field("Target date", m.due_on.isoformat()),
            ),
            sections=(
                *_owner_away(row),
                Section(
                    text="Mark it done, or move the date, with the buttons or "
                    f"`/cos-service milestone done {m.position}`."
                ),
            ),
            buttons=(
                Button("Mark done", "milestone.done", str(m.id), style="primary"),
                *snooze_buttons(row.id, row.kind),
            ),
            ephemeral=False,
        )
    if row.kind in ("checkin", "nudge"):
        occurrence = occurrence_of(row.kind, row.due_at, row.payload)
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
            return None
        if (row.kind == "nudge" or "snoozed_from" in row.payload) and answer.answered_at is not None:
            return None
        if answer.skipped_at is not None:
            return None
        questions = json.loads(answer.questions)
        title = "Check-in" if row.kind == "checkin" else "A gentle nudge: your check-in is still open"
        return Reply(
            title=title,
            sections=(
                Section(
                    text="Reply here in this DM, one message per answer (or all in one).",
                    bullets=tuple(f"{i}. {q}" for i, q in enumerate(questions, 1)),
                ),
            ),
            footer="Your answers go into the team digest. Mention a blocker and it is added to the risk register.",
            buttons=snooze_buttons(row.id, row.kind),
            ephemeral=False,
        )
    return None


def _risk_review_reply(items: list[RiskItem], row: OutboxRow, now: datetime) -> Reply:
    due = [i for i in items if review_due(i, now)]
    bullets = tuple(
        f"{i.title}" + (f" (last {i.last_review_at:%d %b %Y}, {i.rating})" if i.last_review_at else " (never reviewed)")
        for i in due
    )
    return Reply(
        title=f"Risk review due: {len(due)} of {len(items)} register items",
        sections=(
            Section(heading="To review", bullets=bullets or ("Nothing is overdue.",)),
            Section(text="Record a review with `/cos-risk review <topic> <low|medium|high> [note]` or the buttons."),
        ),
        buttons=tuple(Button(f"Review {i.title}"[:70], "risk.review", i.topic_id) for i in due[:5])
        + snooze_buttons(row.id, row.kind),
        ephemeral=False,
    )


@dataclass(frozen=True, slots=True)
class _WorkspaceParts:
    """The sections of a digest that depend on its workspace, not on its channel."""

    milestones: Section | None
    risks: Section | None
    dead: Section | None
    away: Section | None
    tip: Section | None


async def _workspace_parts(
    app: App, session: AsyncSession, *, platform: str, workspace: str, now: datetime, prefetched: Prefetched
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
                bullets.append(f"OVERDUE since {m.due_on}: {m.title}" + _owner(platform, m.owner))
            elif m.due_on <= today + timedelta(days=30):
                bullets.append(f"Due {m.due_on}: {m.title}" + _owner(platform, m.owner))
        if bullets:
            milestones = Section(heading="Milestones due and overdue", bullets=tuple(bullets))
        if open_ms:
            tip_query = open_ms[0].title
    due = [i for i in await _register(session, prefetched, (platform, workspace)) if review_due(i, now)]
    risks = None
    if due:
        risks = Section(
            heading=f"Risk reviews due ({len(due)})",
            bullets=tuple(i.title for i in due[:8]) + ((f"... and {len(due) - 8} more",) if len(due) > 8 else ()),
        )
    dead = (
        await session.execute(
            select(func.count())
            .select_from(Outbox)
            .where(Outbox.platform == platform, Outbox.workspace == workspace, Outbox.status == OUTBOX_DEAD)
        )
    ).scalar_one()
    tip_key = (tip_query, date.fromtimestamp(now.timestamp()))
    if tip_key not in prefetched.tips:
        prefetched.tips[tip_key] = _tip(app, tip_query, now)
    return _WorkspaceParts(
        milestones=milestones,
        risks=risks,
        dead=Section(
            text=f"{dead} scheduled message(s) could not be delivered; admins see them with `/cos-service schedules`."
        )
        if dead
        else None,
        away=await away_section(session, platform=platform, workspace=workspace, today=now.astimezone(UTC).date()),
        tip=prefetched.tips[tip_key],
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
    prefetched: Prefetched | None = None,
) -> Reply:
    """The channel digest: milestones due, risk reviews due, check-in answers and silences, undelivered DMs, a tip.

    With ``prefetched`` (a claimed batch's), digests of one workspace rendered at the same ``now``
    read the workspace's milestones, risks, dead letters, absences and tip once.
    """
    prefetched = prefetched if prefetched is not None else Prefetched()
    parts_key = (platform, workspace, now)
    parts = prefetched.digest_parts.get(parts_key)
    if parts is None:
        parts = prefetched.digest_parts[parts_key] = await _workspace_parts(
            app, session, platform=platform, workspace=workspace, now=now, prefetched=prefetched
        )
    since = (
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
    sections: list[Section] = [s for s in (parts.milestones, parts.risks) if s is not None]
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
    reported = [a for a in answered if a.report_message_id]
    if reported:
        # The answers are in the report's thread: point there rather than repeat them.
        answered = [a for a in answered if not a.report_message_id]
        sections.append(
            Section(
                heading="Check-in reports",
                bullets=await report_lines(session, platform=platform, workspace=workspace, answers=reported),
            )
        )
    if answered:
        sections.append(
            Section(
                heading="Check-in answers",
                bullets=tuple(f"{mention(a.user)}: " + " / ".join(json.loads(a.answers))[:300] for a in answered),
            )
        )
    if silent:
        sections.append(Section(heading="Not answered yet", bullets=tuple(mention(u) for u in silent)))
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
    if fallbacks:
        sections.append(
            Section(
                heading="DMs that could not be delivered (posted in the channel instead)",
                bullets=tuple(f"{mention(t)} ({k})" for t, k in fallbacks),
            )
        )
    if parts.dead is not None:
        sections.append(parts.dead)
    missed_checkins = await missed_section(session, platform=platform, workspace=workspace, since=since)
    if missed_checkins is not None:
        sections.append(missed_checkins)
    if parts.away is not None:
        sections.append(parts.away)
    if not sections:
        sections.append(Section(text="Nothing due, nothing overdue, no new check-in answers."))
    if parts.tip is not None:
        sections.append(parts.tip)
    title = "Team digest"
    if catch_up:
        title = "Catch-up digest" + (f" (replaces {missed + 1} missed digests)" if missed else " (sent late)")
    return Reply(
        title=title,
        sections=tuple(sections),
        ephemeral=False,
        footer=f"Covers what happened since {since.astimezone(UTC):%Y-%m-%d %H:%M} UTC. Service tip from "
        "the Commercial Open Source Stage Service Overview.",
    )


def _owner_away(row: OutboxRow) -> tuple[Section, ...]:
    away = row.payload.get("owner_away")
    return (
        (Section(text=f"The owner, {mention(str(away))}, is away, so this reminder is posted here."),) if away else ()
    )


def _owner(platform: str, owner: str | None) -> str:
    return f" (owner {mention(owner)})" if owner else " (no owner)"


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
    text = entry.text if len(entry.text) <= 240 else entry.text[:237] + "..."
    area = entry if entry.kind == "service_area" else app.kb.parent_of(entry)
    providers = [p.title for p in app.kb.children(area.id, "provider")][:3] if area is not None else []
    if providers:
        text += f" Providers to consider: {', '.join(providers)}."
    return Section(heading=f"Service tip: {entry.title}", text=text)
