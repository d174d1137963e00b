"""The risk register: ``/cos-risk register``, ``review``, ``owner``, ``schedule``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.auth import admin_only, require_admin, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Button, Field, Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import Action, HelpLine, Router
from bot.scheduler.registry import Deliveries
from bot.team import audit, store
from bot.team.base import TeamFeature, parse_mentions, parse_when, trailing_zone
from bot.team.delivery.reminders import ESCALATE, ESCALATION, RISK_REVIEW, RISK_REVIEW_SCHEDULE
from bot.team.ladder import CADENCE_DAYS, review_due, rung
from bot.team.models import RiskItem
from bot.team.risk_accept import accepted_note, parse_accept
from bot.team.schedules import add_schedule, scheduled_reply

__all__ = ["RiskCommands", "REGISTER_KINDS", "RATINGS"]

REGISTER_KINDS = ("business_risk", "governance", "compliance")
RATINGS = ("low", "medium", "high")
# Words people use for a rating that the register does not keep (answered with the three it does).
_RATING_LIKE = frozenset(
    {
        "critical",
        "severe",
        "urgent",
        "minor",
        "moderate",
        "med",
        "hi",
        "lo",
        "red",
        "amber",
        "green",
        "yellow",
        "none",
        "major",
        "serious",
        "negligible",
    }
)
_RATING_NAMES = {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High")}
_HEADINGS = {
    "business_risk": N_("Business risks"),
    "governance": N_("Governance"),
    "compliance": N_("International compliance"),
    "blocker": N_("Raised from check-ins"),
}


class RiskCommands(TeamFeature):
    """The register's items, reviews, owners and review reminders."""

    HELP = (
        HelpLine(command="cos-risk", usage="/cos-risk register", what=N_("the risk register and what is overdue")),
        HelpLine(
            command="cos-risk", usage="/cos-risk review <topic> [low|medium|high] [note]", what=N_("record a review")
        ),
        HelpLine(
            command="cos-risk",
            usage="/cos-risk schedule <monthly|quarterly|yearly> [HH:MM] [zone]",
            what=N_("review reminders here"),
            admin=True,
        ),
        HelpLine(command="cos-risk", usage="/cos-risk owner <topic> @user", what=N_("who reviews a topic"), admin=True),
        HelpLine(
            command="cos-risk",
            usage="/cos-risk accept <topic> until YYYY-MM-DD because <reason>",
            what=N_("accept a risk for a while"),
            admin=True,
        ),
    )

    def register_deliveries(self, deliveries: Deliveries) -> None:
        deliveries.add_kind(RISK_REVIEW)
        deliveries.add_schedule_kind(RISK_REVIEW_SCHEDULE)
        deliveries.add_kind(ESCALATION)
        deliveries.add_tick_hook(ESCALATE)

    def register(self, router: Router) -> None:
        self.add_subcommand(router, "cos-risk", "schedule", self.schedule)
        self.add_subcommand(router, "cos-risk", "review", self.review)
        self.add_subcommand(router, "cos-risk", "register", self.register_list)
        self.add_subcommand(router, "cos-risk", "owner", self.owner)
        self.add_subcommand(router, "cos-risk", "accept", self.accept)
        router.add_action("risk.review", self.action_review)
        router.add_action("risk.rate", self.action_rate)

    async def _items(self, session: AsyncSession, request: Request | Action) -> list[RiskItem]:
        """The workspace's register, with any item of the overview it lacks added."""
        items = {
            i.topic_id: i
            for i in await store.risk_items(session, platform=request.platform, workspace=request.workspace)
        }
        now = self.team.now()
        for entry in self.team.kb.of_kind(*REGISTER_KINDS):
            if entry.id not in items:
                item = RiskItem(
                    platform=request.platform,
                    workspace=request.workspace,
                    topic_id=entry.id,
                    title=entry.title,
                    kind=entry.kind,
                    owner=None,
                    cadence="quarterly",
                    updated_at=now,
                )
                session.add(item)
                items[entry.id] = item
        await session.flush()
        order = {k: n for n, k in enumerate(REGISTER_KINDS)}
        return sorted(items.values(), key=lambda i: (order.get(i.kind, 9), i.title))

    @server_only
    async def schedule(self, request: Request, text: str) -> Reply:
        words = text.split()
        if not words or words[0].lower() not in ("monthly", "quarterly", "yearly"):
            raise UserError(
                _(
                    "Use `/cos-risk schedule <monthly|quarterly|yearly> [HH:MM] [zone]`, e.g. "
                    "`/cos-risk schedule quarterly` or `/cos-risk schedule monthly 10:00 Europe/Berlin`."
                )
            )
        fields, rest = parse_when(
            words,
            allow=("monthly", "quarterly", "yearly"),
            example="`/cos-risk schedule quarterly 09:00 Europe/Berlin`",
        )
        return await self._schedule(request, fields, trailing_zone(rest))

    @admin_only(N_("schedule risk reviews"))
    async def _schedule(self, request: Request, fields: dict[str, Any], tz_word: str | None) -> Reply:
        async with self.team.db.session() as session:
            for item in await self._items(session, request):
                item.cadence = fields["cadence"]
        sched, replaced, existed = await add_schedule(
            self.team,
            request,
            kind="risk_review",
            fields=fields,
            tz_word=tz_word,
            replace_in_workspace=True,
            audit_action="risk.schedule",
        )
        return await scheduled_reply(self.team, sched, _("Risk reviews scheduled"), replaced=replaced, existed=existed)

    @server_only
    async def register_list(self, request: Request, text: str) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            items = await self._items(session, request)
        groups: dict[str, list[str]] = {}
        today = now.date()
        for i in items:
            last = (
                _("reviewed {date}").format(date=f"{i.last_review_at:%Y-%m-%d}")
                if i.last_review_at
                else _("never reviewed")
            )
            groups.setdefault(i.kind, []).append(
                _("{title} — {rating}, {last}, owner {owner}, {cadence} — {state}").format(
                    title=i.title,
                    rating=i.rating or _("unrated"),
                    last=last,
                    owner=mention(i.owner) if i.owner else _("not set"),
                    cadence=i.cadence,
                    state=rung(i, today).label,
                )
                + accepted_note(i, today)
                + (f" — {i.note[:80]}" if i.note else "")
            )
        due = [i for i in items if review_due(i, now)]
        return Reply(
            title=ngettext(
                "Risk register: {n} item, {due} due for review",
                "Risk register: {n} items, {due} due for review",
                len(items),
            ).format(n=len(items), due=len(due)),
            sections=tuple(
                Section(heading=_(_HEADINGS[k]) if k in _HEADINGS else k, bullets=tuple(v)) for k, v in groups.items()
            )
            + (Section(text=_("Record a review with `/cos-risk review <topic> <low|medium|high> [note]`.")),),
            buttons=tuple(
                Button(_("Review {title}").format(title=i.title)[:70], "risk.review", i.topic_id) for i in due
            )[:5],
        )

    def _find(self, items: list[RiskItem], topic: str) -> RiskItem:
        t = topic.lower().strip()
        for i in items:
            if t in (i.topic_id.lower(), i.title.lower()):
                return i
        prefix = [i for i in items if i.title.lower().startswith(t)]
        if len(prefix) == 1:
            return prefix[0]
        by_id = {i.topic_id: i for i in items}
        for hit in self.team.searcher.search(topic, limit=10, command="risk"):
            if hit.entry.id in by_id:
                return by_id[hit.entry.id]
        raise UserError(
            _("I could not match “{topic}” to a register item. Try one of: {titles}.").format(
                topic=topic[:60], titles=", ".join(i.title for i in items[:12])
            )
        )

    @server_only
    async def review(self, request: Request, text: str) -> Reply:
        words = text.split()
        idx = next((n for n, w in enumerate(words) if w.lower() in RATINGS), None)
        if idx is None and (odd := next((w for w in words if w.lower().strip(",.!") in _RATING_LIKE), None)):
            raise UserError(
                _(
                    "“{word}” is not a rating I keep: use low, medium or high, e.g. "
                    "`/cos-risk review gdpr high DPA signed with all vendors`."
                ).format(word=odd[:20])
            )
        topic = " ".join(words if idx is None else words[:idx]).strip()
        rating = words[idx].lower() if idx is not None else None
        note = " ".join(words[idx + 1 :]).strip() if idx is not None else ""
        if not topic:
            if rating:
                raise UserError(_("Say which topic you reviewed, e.g. `/cos-risk review gdpr medium new DPA signed`."))
            return await self._due_list(request)
        async with self.team.db.session() as session:
            item = self._find(await self._items(session, request), topic)
        require_admin(request, self.admins, N_("record risk reviews"))
        if rating is None:
            return _rate_prompt(item)
        if len(note) > 300:
            raise UserError(_("Keep the note under {limit} characters.").format(limit=300))
        return await self._record(request, item.topic_id, rating, note)

    async def _due_list(self, request: Request) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            due = [i for i in await self._items(session, request) if review_due(i, now)]
        return Reply(
            title=ngettext(
                "Which risk did you review? {n} is due", "Which risk did you review? {n} are due", len(due)
            ).format(n=len(due)),
            sections=(
                Section(bullets=tuple(i.title for i in due) or (_("Nothing is due."),)),
                Section(text=_("Type `/cos-risk review <topic> <low|medium|high> [note]`.")),
            ),
            buttons=tuple(Button(i.title[:70], "risk.review", i.topic_id) for i in due[:5]),
        )

    async def _record(self, request: Request, topic_id: str, rating: str, note: str) -> Reply:
        now = self.team.now()
        async with self.team.db.session() as session:
            item = await store.risk_item(
                session, platform=request.platform, workspace=request.workspace, topic_id=topic_id
            )
            assert item is not None  # found in this request's register a moment ago
            await audit.record(
                session,
                request,
                action="risk.review",
                target=item.title[:300],
                at=now,
                before={"rating": item.rating},
                after={"rating": rating, "note": note or None},
            )
            item.last_review_at, item.reviewed_by, item.rating = now, request.user, rating
            item.note = note or item.note
            item.updated_at = now
            title, nxt = item.title, now + timedelta(days=CADENCE_DAYS.get(item.cadence, 92))
        return Reply(
            title=_("Review recorded: {title} — {rating}").format(title=title, rating=rating),
            fields=(Field(_("Reviewed by"), mention(request.user)), Field(_("Next review due"), f"{nxt:%Y-%m-%d}")),
            sections=(Section(text=note),) if note else (),
        )

    @server_only
    async def accept(self, request: Request, text: str) -> Reply:
        topic, until, reason = parse_accept(text, today=self.team.now().date())
        return await self._accept(request, topic, until, reason)

    @admin_only(N_("accept risks"))
    async def _accept(self, request: Request, topic: str, until: Any, reason: str) -> Reply:
        async with self.team.db.session() as session:
            item = self._find(await self._items(session, request), topic)
            before = {
                "until": str(item.accepted_until) if item.accepted_until else None,
                "by": item.accepted_by,
                "because": item.accepted_reason,
            }
            item.accepted_until, item.accepted_by, item.accepted_reason = until, request.user, reason
            item.updated_at = self.team.now()
            title = item.title
            await audit.record(
                session,
                request,
                action="risk.accept",
                target=item.topic_id,
                before=before,
                after={"until": str(until), "by": request.user, "because": reason},
                at=self.team.now(),
            )
        return Reply(
            title=_("Risk accepted until {until}: {title}").format(until=until, title=title),
            fields=(Field(_("Accepted by"), mention(request.user)), Field(_("Because"), reason)),
            sections=(Section(text=_("Review reminders and escalation pause until then.")),),
        )

    @server_only
    async def owner(self, request: Request, text: str) -> Reply:
        words = text.split()
        if len(words) < 2:
            raise UserError(_("Use `/cos-risk owner <topic> @user`, e.g. `/cos-risk owner gdpr @U1001`."))
        return await self._set_owner(request, " ".join(words[:-1]), parse_mentions(words[-1:])[0])

    @admin_only(N_("change the risk register"))
    async def _set_owner(self, request: Request, topic: str, owner: str) -> Reply:
        async with self.team.db.session() as session:
            item = self._find(await self._items(session, request), topic)
            await audit.record(
                session,
                request,
                action="risk.owner",
                target=item.title[:300],
                before={"owner": item.owner},
                after={"owner": owner},
                at=self.team.now(),
            )
            item.owner, item.updated_at = owner, self.team.now()
            title = item.title
        return Reply(title=_("{title}: owner {owner}").format(title=title, owner=mention(owner)))

    async def action_review(self, action: Action) -> Reply | None:
        async with self.team.db.session() as session:
            item = await store.risk_item(
                session, platform=action.platform, workspace=action.workspace, topic_id=action.value[:160]
            )
        if item is None:
            return None
        require_admin(action, self.admins, N_("record risk reviews"))
        return _rate_prompt(item)

    async def action_rate(self, action: Action) -> Reply | None:
        topic, _sep, rating = action.value.rpartition("|")
        if rating not in RATINGS or not topic:
            return None
        async with self.team.db.session() as session:
            item = await store.risk_item(session, platform=action.platform, workspace=action.workspace, topic_id=topic)
        if item is None:
            return None
        return await self.review(action.as_request("cos-risk"), f"{topic} {rating}")


def _rate_prompt(item: RiskItem) -> Reply:
    return Reply(
        title=_("Review: {title}").format(title=item.title),
        fields=(
            Field(_("Current rating"), item.rating or _("unrated")),
            Field(_("Last review"), f"{item.last_review_at:%Y-%m-%d}" if item.last_review_at else _("never")),
        ),
        sections=(
            Section(
                text=_("How do you rate it now? Or type `/cos-risk review {topic} <low|medium|high> [note]`.").format(
                    topic=item.title.lower()
                )
            ),
        ),
        buttons=tuple(
            Button(_(_RATING_NAMES[r]), "risk.rate", f"{item.topic_id}|{r}", style="danger" if r == "high" else None)
            for r in RATINGS
        ),
    )
