"""The risk ladder: each register item's next review, its state (OK, Due, Overdue, Accepted), and escalation.

An item's next review is one cadence after its last review (a first review is due a
week after it joined the register). Within 7 days it is Due; past the date it is Overdue. ``COS_ESCALATE_DAYS``
after it became overdue, one DM goes to its owner and one post to the register's
channel naming the admins: two outbox rows whose keys carry the item and the overdue
date, so every replica may look and only one delivery per overdue period exists.
An accepted risk (``/cos-risk accept``) pauses reminders and escalation until its date.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.lang import _, ngettext
from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.scheduler.models import OUTBOX_PENDING, Outbox, Schedule
from bot.scheduler.recurrence import zone
from bot.storage.sql import insert_ignore
from bot.team.models import RiskItem, TeamStage

if TYPE_CHECKING:
    from bot.app import App
    from bot.scheduler.outbox import OutboxRow

__all__ = [
    "DUE_WITHIN",
    "CADENCE_DAYS",
    "Rung",
    "rung",
    "next_review",
    "review_due",
    "escalate",
    "escalation_reply",
    "admin_ids",
    "escalates",
]

log = logging.getLogger(__name__)

DUE_WITHIN = timedelta(days=7)
CADENCE_DAYS = {"monthly": 31, "quarterly": 92, "yearly": 366}


@dataclass(frozen=True, slots=True)
class Rung:
    """Where an item stands: ``state`` is ok | due | overdue | accepted; ``days`` until (or since) its review."""

    state: str
    next_on: date
    days: int

    @property
    def label(self) -> str:
        if self.state == "accepted":
            return _("ACCEPTED")
        if self.state == "overdue":
            return ngettext("OVERDUE {n} day", "OVERDUE {n} days", self.days).format(n=self.days)
        if self.state == "due":
            if self.days == 0:
                return _("DUE today")
            return ngettext("DUE in {n} day", "DUE in {n} days", self.days).format(n=self.days)
        return ngettext("OK, next review in {n} day", "OK, next review in {n} days", self.days).format(n=self.days)


def next_review(item: RiskItem) -> date:
    """One cadence after the last review; a week after joining the register for a first review."""
    if item.last_review_at is None:
        return (item.raised_at or item.updated_at).date() + DUE_WITHIN
    return item.last_review_at.date() + timedelta(days=CADENCE_DAYS.get(item.cadence, 92))


def review_due(item: RiskItem, now: datetime) -> bool:
    """True when the item's review reminder should list it: not accepted, and never or not recently reviewed."""
    if item.accepted_until is not None and item.accepted_until >= now.date():
        return False  # an accepted risk: reminders pause until then
    if item.last_review_at is None:
        return True
    return item.last_review_at + timedelta(days=CADENCE_DAYS.get(item.cadence, 92)) <= now


def rung(item: RiskItem, today: date) -> Rung:
    nxt = next_review(item)
    if item.accepted_until is not None and item.accepted_until >= today:
        return Rung("accepted", nxt, (item.accepted_until - today).days)
    if nxt < today:
        return Rung("overdue", nxt, (today - nxt).days)
    if nxt <= today + DUE_WITHIN:
        return Rung("due", nxt, (nxt - today).days)
    return Rung("ok", nxt, (nxt - today).days)


def escalates(item: RiskItem) -> bool:
    """Only items the team has taken on escalate: owned, reviewed before, or raised in a check-in.

    The overview's topics join every register unasked; a never-reviewed, ownerless one shows as
    Overdue in the register and the digest but does not page anyone.
    """
    return bool(item.owner or item.last_review_at or item.raised_at)


def admin_ids(admins: frozenset[str] | set[str], platform: str, workspace: str) -> list[str]:
    """The ``COS_ADMINS`` ids that apply to this workspace, bare."""
    out: list[str] = []
    for a in sorted(admins):
        scope, _sep, user = a.rpartition(":")
        if scope in ("", platform, workspace) and user and user not in out:
            out.append(user)
    return out


async def _register_channel(session: AsyncSession, platform: str, workspace: str) -> tuple[str, str] | None:
    """The channel (and zone) the register talks in: its review schedule's, else the stage's."""
    sched = (
        await session.execute(
            select(Schedule)
            .where(
                Schedule.platform == platform,
                Schedule.workspace == workspace,
                Schedule.kind == "risk_review",
                Schedule.active.is_(True),
            )
            .order_by(Schedule.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if sched is not None:
        return sched.channel, sched.tz
    stage = (
        await session.execute(select(TeamStage).where(TeamStage.platform == platform, TeamStage.workspace == workspace))
    ).scalar_one_or_none()
    if stage is not None:
        return stage.channel, stage.tz
    return None


async def escalate(app: App, now: datetime) -> int:
    """Queue the escalations that are due (each at most once per item and overdue period). Returns rows queued."""
    days = app.settings.escalate_days
    queued = 0
    async with app.db.session() as session:
        items = list(
            (
                await session.execute(
                    select(RiskItem)
                    .where(or_(RiskItem.accepted_until.is_(None), RiskItem.accepted_until < now.date()))
                    .order_by(RiskItem.platform, RiskItem.workspace, RiskItem.id)
                )
            ).scalars()
        )
        where: dict[tuple[str, str], tuple[str, str] | None] = {}
        for item in items:
            ws = (item.platform, item.workspace)
            if ws not in where:
                where[ws] = await _register_channel(session, *ws)
            place = where[ws]
            if place is None:
                continue  # nobody set up reminders or a stage here: nowhere to escalate to
            channel, tz = place
            today = now.astimezone(zone(tz)).date()
            r = rung(item, today)
            if r.state != "overdue" or r.days < days or not escalates(item):
                continue
            period = f"{r.next_on:%Y%m%d}"
            payload = json.dumps({"risk_item": item.id, "overdue_since": r.next_on.isoformat()})
            targets = [("channel", channel)] + ([("dm", item.owner)] if item.owner else [])
            for target_type, target in targets:
                key = f"escalation:{item.platform}:{item.workspace}:{item.id}:{period}:{target_type}:{target}"
                result = await session.execute(
                    insert_ignore(session, Outbox)
                    .values(
                        key=key,
                        platform=item.platform,
                        workspace=item.workspace,
                        schedule_id=None,
                        kind="escalation",
                        target_type=target_type,
                        target=target,
                        channel=channel,
                        due_at=now,
                        tz=tz,
                        payload=payload,
                        status=OUTBOX_PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        fallback=False,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["key"])
                )
                queued += int(getattr(result, "rowcount", 0) or 0)
    if queued:
        log.info("risk ladder: %d escalation(s) queued", queued)
    return queued


async def escalation_reply(app: App, session: AsyncSession, row: OutboxRow, now: datetime) -> Reply | None:
    """The owner's DM or the channel post; None once the item was reviewed or accepted meanwhile."""
    item = await session.get(RiskItem, int(row.payload.get("risk_item", 0)))
    if item is None:
        return None
    r = rung(item, now.astimezone(zone(row.tz)).date())
    if r.state != "overdue" or r.next_on.isoformat() != row.payload.get("overdue_since"):
        return None
    review = Button(_("Review now"), "risk.review", item.topic_id, style="primary")
    if row.target_type == "dm":
        return Reply(
            title=_("Overdue risk review: {title}").format(title=item.title),
            fields=(
                Field(_("Review was due"), r.next_on.isoformat()),
                Field(_("Overdue"), ngettext("{count} day", "{count} days", r.days).format(count=r.days)),
            ),
            sections=(
                Section(
                    text=_(
                        "You own this register item. Record a review with "
                        "`/cos-risk review {topic} <low|medium|high> [note]`, "
                        "or ask an admin to accept the risk for now."
                    ).format(topic=item.title.lower())
                ),
            ),
            buttons=(review,),
            ephemeral=False,
        )
    admins = admin_ids(app.settings.admins, row.platform, row.workspace)
    who = " ".join(mention(a) for a in admins) if admins else _("Admins")
    owner = mention(item.owner) if item.owner else _("nobody (set one with `/cos-risk owner <topic> @user`)")
    return Reply(
        title=ngettext(
            "Escalation: {title} is {count} day overdue for review",
            "Escalation: {title} is {count} days overdue for review",
            r.days,
        ).format(title=item.title, count=r.days),
        fields=(Field(_("Owner"), owner), Field(_("Review was due"), r.next_on.isoformat())),
        sections=(
            Section(
                text=_(
                    "{who}: please review it, or accept it for now with "
                    "`/cos-risk accept {topic} until YYYY-MM-DD because …`."
                ).format(who=who, topic=item.title.lower())
            ),
        ),
        buttons=(review,),
        ephemeral=False,
        notify=tuple(admins),
    )
