"""Check-in reports in threads: one channel message per check-in day, each person's answers as a thread reply.

``sync_reports`` runs with every scheduler tick. For each check-in day with an answer
(in the schedule's zone) it posts the report ("Friday check-in: 3 of 5 answered") once,
edits its count in place when it changes, posts each person's answers under it, and
edits that reply when the answers change (a late answer, an edited DM). The report row
is claimed while it is synced (a conditional update with a short expiry; no database
transaction stays open across a platform call), so replicas do not post it twice. Nobody is @-mentioned:
people are named as plain ``@id`` text.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.errors import DeliveryError
from bot.kernel.lang import _, current_lang, day_name, use_lang
from bot.kernel.reply import Reply, Section
from bot.scheduler.models import Schedule
from bot.scheduler.recurrence import zone
from bot.storage.sql import insert_ignore
from bot.team.models import CheckinAnswer, CheckinReport

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["sync_reports", "report_reply", "answer_reply", "report_day", "report_lines"]

log = logging.getLogger(__name__)

# Answers this old no longer change their report.
WINDOW = timedelta(days=8)
# How long one replica may hold a report while it posts and edits.
CLAIM = timedelta(minutes=2)


def report_day(answer: CheckinAnswer, schedule: Schedule) -> date:
    return answer.occurrence_at.astimezone(zone(schedule.tz)).date()


def _counts(rows: list[CheckinAnswer]) -> tuple[int, int, int]:
    asked = [r for r in rows if r.asked_at is not None]
    answered = sum(1 for r in asked if r.answered_at is not None)
    skipped = sum(1 for r in asked if r.answered_at is None and r.skipped_at is not None)
    return answered, len(asked), skipped


def report_reply(day: date, rows: list[CheckinAnswer]) -> Reply:
    answered, asked, skipped = _counts(rows)
    weekday = f"周{'一二三四五六日'[day.weekday()]}" if current_lang() == "zh" else f"{day:%A}"
    title = _("{weekday} check-in: {answered} of {asked} answered").format(
        weekday=weekday, answered=answered, asked=asked
    ) + (_(", {count} skipped").format(count=skipped) if skipped else "")
    return Reply(
        title=title,
        sections=(Section(text=_("{day}. Answers are in the thread.").format(day=day_name(day))),),
        ephemeral=False,
    )


def answer_reply(row: CheckinAnswer) -> Reply:
    questions, answers = json.loads(row.questions or "[]"), json.loads(row.answers or "[]")
    bullets = []
    for n, a in enumerate(answers):
        q = questions[n] if n < len(questions) else _("More")
        bullets.append(f"{q} — {a}")
    return Reply(
        title=_("Answers from @{user}").format(user=row.user),
        sections=(Section(bullets=tuple(bullets)),),
        ephemeral=False,
    )


async def sync_reports(app: App, now: datetime) -> int:
    """Post and update the reports of recent check-in days; returns platform calls made."""
    async with app.db.session() as session:
        rows = list(
            (
                await session.execute(
                    select(CheckinAnswer.schedule_id, CheckinAnswer.occurrence_at)
                    .where(CheckinAnswer.answered_at.is_not(None), CheckinAnswer.occurrence_at > now - WINDOW)
                    .where((CheckinAnswer.reported.is_(None)) | (CheckinAnswer.reported != CheckinAnswer.answers))
                )
            ).all()
        )
        stale_counts = list(
            (
                await session.execute(
                    select(CheckinReport.schedule_id, CheckinReport.day).where(CheckinReport.created_at > now - WINDOW)
                )
            ).all()
        )
        schedules = {
            s.id: s
            for s in (
                await session.execute(
                    select(Schedule).where(Schedule.id.in_({sid for sid, _ in rows} | {sid for sid, _ in stale_counts}))
                )
            ).scalars()
        }
    days: set[tuple[int, date]] = set(stale_counts)
    for sid, at in rows:
        if sid in schedules:
            days.add((sid, at.astimezone(zone(schedules[sid].tz)).date()))
    calls = 0
    for sid, day in sorted(days):
        if sid not in schedules:
            continue
        try:
            schedule = schedules[sid]
            with use_lang(await app.router.lang_for(schedule.platform, schedule.workspace)):
                calls += await _sync_day(app, schedule, day, now)
        except DeliveryError as exc:
            log.warning("check-in report %s/%s: %s; retrying on the next tick", sid, day, exc)
        except Exception:
            log.exception("check-in report %s/%s failed", sid, day)
    return calls


async def _day_rows(session: AsyncSession, schedule: Schedule, day: date) -> list[CheckinAnswer]:
    z = zone(schedule.tz)
    start = datetime(day.year, day.month, day.day, tzinfo=z)
    rows = (
        await session.execute(
            select(CheckinAnswer)
            .where(
                CheckinAnswer.schedule_id == schedule.id,
                CheckinAnswer.occurrence_at >= start - timedelta(hours=2),
                CheckinAnswer.occurrence_at < start + timedelta(hours=26),
            )
            .order_by(CheckinAnswer.user)
        )
    ).scalars()
    return [r for r in rows if r.occurrence_at.astimezone(z).date() == day]


async def _claim(app: App, report_id: int, token: str, now: datetime) -> bool:
    """Take the report for ``CLAIM`` (a conditional update: one replica wins)."""
    async with app.db.session() as session:
        result = await session.execute(
            update(CheckinReport)
            .where(
                CheckinReport.id == report_id,
                (CheckinReport.claimed_until.is_(None)) | (CheckinReport.claimed_until < now),
            )
            .values(claimed_by=token, claimed_until=now + CLAIM)
        )
        return bool(getattr(result, "rowcount", 0))


async def _save(app: App, report_id: int, **values: object) -> None:
    async with app.db.session() as session:
        await session.execute(update(CheckinReport).where(CheckinReport.id == report_id).values(**values))


async def _sync_day(app: App, schedule: Schedule, day: date, now: datetime) -> int:
    transport = app.transports.get(schedule.platform)
    if transport is None or not hasattr(transport, "send_thread"):
        return 0
    async with app.db.session() as session:
        rows = await _day_rows(session, schedule, day)
        if not any(r.answered_at is not None for r in rows):
            return 0  # a report starts with its first answer
        await session.execute(
            insert_ignore(session, CheckinReport)
            .values(
                platform=schedule.platform,
                workspace=schedule.workspace,
                schedule_id=schedule.id,
                day=day,
                channel=schedule.channel,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["schedule_id", "day"])
        )
        report = (
            await session.execute(
                select(CheckinReport).where(CheckinReport.schedule_id == schedule.id, CheckinReport.day == day)
            )
        ).scalar_one()
    summary = report_reply(day, rows)
    pending = [r for r in rows if r.answered_at is not None and r.reported != r.answers]
    if report.message_id is not None and report.posted == summary.title and not pending:
        return 0
    token = f"{app.settings.instance_id or 'reports'}:{uuid.uuid4().hex[:10]}"
    if not await _claim(app, report.id, token, now):
        return 0  # another replica is syncing it right now
    calls = 0
    try:
        # 1. the report itself: posted once, its count edited in place
        if report.message_id is None:
            result = await transport.send_channel(
                workspace=schedule.workspace,
                channel=report.channel,
                reply=summary,
                key=f"report:{schedule.id}:{day:%Y%m%d}",
            )
            report.message_id, report.channel = result.message_id, result.channel
            await _save(app, report.id, message_id=result.message_id, channel=result.channel, posted=summary.title)
            calls += 1
        elif report.posted != summary.title:
            await transport.update(
                workspace=schedule.workspace, channel=report.channel, message_id=report.message_id, reply=summary
            )
            await _save(app, report.id, posted=summary.title)
            calls += 1
        if report.message_id is None:
            return calls
        # 2. each person's answers: one thread reply each, edited when the answers change
        for row in pending:
            reply = answer_reply(row)
            values: dict[str, object] = {"reported": row.answers}
            if row.report_message_id is None:
                result = await transport.send_thread(
                    workspace=schedule.workspace,
                    channel=report.channel,
                    parent=report.message_id,
                    reply=reply,
                    key=f"report-answer:{row.id}",
                )
                report.thread = result.channel
                await _save(app, report.id, thread=result.channel)
                values["report_message_id"] = result.message_id
            else:
                await transport.update(
                    workspace=schedule.workspace,
                    channel=report.thread or report.channel,
                    message_id=row.report_message_id,
                    reply=reply,
                )
            async with app.db.session() as session:
                await session.execute(update(CheckinAnswer).where(CheckinAnswer.id == row.id).values(**values))
            calls += 1
    finally:
        async with app.db.session() as session:
            await session.execute(
                update(CheckinReport)
                .where(CheckinReport.id == report.id, CheckinReport.claimed_by == token)
                .values(claimed_by=None, claimed_until=None)
            )
    return calls


async def report_lines(
    session: AsyncSession, *, platform: str, workspace: str, answers: list[CheckinAnswer]
) -> tuple[str, ...]:
    """The digest's pointers to the reports that hold these answers."""
    ids = {a.schedule_id for a in answers}
    first = min(a.occurrence_at for a in answers).date() - timedelta(days=1) if answers else date.max
    reports = list(
        (
            await session.execute(
                select(CheckinReport)
                .where(
                    CheckinReport.platform == platform,
                    CheckinReport.workspace == workspace,
                    CheckinReport.schedule_id.in_(ids),
                    CheckinReport.message_id.is_not(None),
                    CheckinReport.day >= first,
                )
                .order_by(CheckinReport.day)
            )
        ).scalars()
    )
    return tuple(
        _("{report}: the answers are in its thread in {channel}").format(
            report=r.posted or _("Check-in report"), channel=f"<#{r.channel}>"
        )
        for r in reports
    )
