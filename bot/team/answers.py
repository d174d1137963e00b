"""Check-in answers: list, export (JSON/CSV) and forget — one's own, or anyone's for admins.

``answer_record`` and ``format_records`` also serve the operators' ``cos-bot checkin export``.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from itertools import zip_longest
from typing import Any

from bot.kernel.auth import require_admin, server_only
from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, ngettext
from bot.kernel.reply import Reply, Section, mention
from bot.kernel.request import Request
from bot.kernel.router import HelpLine, Router
from bot.scheduler.recurrence import zone
from bot.team import audit, store
from bot.team.base import TeamFeature, is_mention, parse_mentions
from bot.team.models import CheckinAnswer

__all__ = ["AnswerCommands", "answer_record", "format_records", "CSV_COLUMNS"]

_ANSWERS_SHOWN = 20
_EXPORT_CHARS = 2800  # fits a Slack section and one Discord embed, with the fences and a note
CSV_COLUMNS = (
    "platform",
    "workspace",
    "user",
    "occurrence_at",
    "answered_at",
    "schedule_id",
    "number",
    "question",
    "answer",
)


class AnswerCommands(TeamFeature):
    """``checkin answers|export|forget [@user|all] [since YYYY-MM-DD] [json|csv]``."""

    HELP = (
        HelpLine(
            command="cos-service",
            usage="/cos-service checkin answers|export [json|csv]|forget",
            what=N_("your check-in answers: list, export, delete"),
        ),
    )

    def register(self, router: Router) -> None:
        for word in ("checkin", "check-in"):
            self.add_subcommand(router, "cos-service", f"{word} answers", self.answers)
            self.add_subcommand(router, "cos-service", f"{word} export", self.export)
            self.add_subcommand(router, "cos-service", f"{word} forget", self.forget)

    @server_only
    async def answers(self, request: Request, text: str) -> Reply:
        usage = _("Use `/cos-service checkin answers [@user|all] [since YYYY-MM-DD]`.")
        user, since, _fmt = _scope(request, text.split(), usage=usage)
        self._require_scope(request, user, N_("read other people's check-in answers"))
        async with self.team.db.session() as session:
            rows = await self._rows(request, user, since)
            tz = await self.team.zone_for(session, request)
        shown = rows[-_ANSWERS_SHOWN:][::-1]  # the most recent first
        bullets = []
        for a in shown:
            pairs = [f"{q} → {ans}" if q else ans for q, ans in _pairs(a) if ans is not None]
            bullets.append(
                f"{a.occurrence_at.astimezone(zone(tz)):%a %d %b %Y} "
                + (f"{mention(a.user)}: " if user != request.user else "")
                + " / ".join(pairs)[:400]
            )
        if len(rows) > len(shown):
            bullets.append(
                _("... and {n} older; `/cos-service checkin export` has them all.").format(n=len(rows) - len(shown))
            )
        return Reply(
            title=_("Check-in answers ({whose}): {n}").format(whose=_whose(request, user), n=len(rows))
            + (_(" since {date}").format(date=f"{since:%Y-%m-%d}") if since else ""),
            sections=(
                Section(bullets=tuple(bullets) or (_("No check-in answers recorded."),)),
                Section(
                    text=_(
                        "Export with `/cos-service checkin export json|csv`; delete yours with "
                        "`/cos-service checkin forget`."
                    )
                ),
            ),
        )

    @server_only
    async def export(self, request: Request, text: str) -> Reply:
        usage = _("Use `/cos-service checkin export [json|csv] [@user|all] [since YYYY-MM-DD]`.")
        user, since, fmt = _scope(request, text.split(), usage=usage, allow_format=True)
        fmt = fmt or "json"
        self._require_scope(request, user, N_("export other people's check-in answers"))
        records = [answer_record(a) for a in await self._rows(request, user, since)]
        # Keep the newest records that fit one message; the operator CLI exports everything.
        kept = list(records)
        data = format_records(kept, fmt)
        while kept and len(data) > _EXPORT_CHARS:
            kept = kept[max(1, len(kept) // 10) :] if len(data) > 2 * _EXPORT_CHARS else kept[1:]
            data = format_records(kept, fmt)
        note = (
            ngettext("All {n} answer.", "All {n} answers.", len(records)).format(n=len(records))
            if len(kept) == len(records)
            else ngettext(
                "The newest {kept} of {n} answer fit in one message; older ones: add "
                "`since YYYY-MM-DD`, or ask your operator for `cos-bot checkin export`.",
                "The newest {kept} of {n} answers fit in one message; older ones: add "
                "`since YYYY-MM-DD`, or ask your operator for `cos-bot checkin export`.",
                len(records),
            ).format(kept=len(kept), n=len(records))
        )
        return Reply(
            title=ngettext(
                "Check-in export ({whose}, {format}): {n} answer",
                "Check-in export ({whose}, {format}): {n} answers",
                len(kept),
            ).format(whose=_whose(request, user), format=fmt, n=len(kept)),
            sections=(Section(text=note), Section(text="```\n" + data.replace("```", "`\u200b`\u200b`") + "\n```")),
        )

    @server_only
    async def forget(self, request: Request, text: str) -> Reply:
        usage = _(
            "Use `/cos-service checkin forget` (your answers), or, for admins, "
            "`/cos-service checkin forget @user` or `checkin forget all`."
        )
        user, _since, _fmt = _scope(request, text.split(), usage=usage, allow_since=False)
        self._require_scope(request, user, N_("delete other people's check-in answers"))
        async with self.team.db.session() as session:
            deleted = await store.forget_answers(
                session, platform=request.platform, workspace=request.workspace, user=user
            )
            if user != request.user:
                await audit.record(
                    session,
                    request,
                    action="answers.forget",
                    target=user or "everyone",
                    after={"deleted": deleted},
                    at=self.team.now(),
                )
        whose = _("your") if user == request.user else (_("every") if user is None else _whose(request, user))
        return Reply(
            title=ngettext("Deleted {n} check-in answer", "Deleted {n} check-in answers", deleted).format(n=deleted)
            + ("" if user is None else f" ({whose})"),
            sections=(
                Section(
                    text=ngettext(
                        "{n} recorded answer of {whose} check-ins in this workspace is "
                        "gone; it no longer shows up in digests or exports.",
                        "{n} recorded answers of {whose} check-ins in this workspace are "
                        "gone; they no longer show up in digests or exports.",
                        deleted,
                    ).format(n=deleted, whose=whose)
                    if deleted
                    else _("There was nothing to delete.")
                ),
            ),
        )

    def _require_scope(self, request: Request, user: str | None, what: str) -> None:
        """Anyone may name themselves; another person or everyone needs an admin."""
        if user != request.user:
            require_admin(request, self.admins, what)

    async def _rows(self, request: Request, user: str | None, since: date | None) -> list[CheckinAnswer]:
        async with self.team.db.session() as session:
            start = None
            if since is not None:
                tz = await self.team.zone_for(session, request)
                start = datetime.combine(since, datetime.min.time(), zone(tz))
            return await store.answer_rows(
                session, platform=request.platform, workspace=request.workspace, user=user, since=start
            )


def _scope(
    request: Request, words: list[str], *, usage: str, allow_since: bool = True, allow_format: bool = False
) -> tuple[str | None, date | None, str | None]:
    """``[@user|all] [since YYYY-MM-DD] [json|csv]`` -> (user or None for everyone, since, format)."""
    user: str | None = request.user
    since: date | None = None
    fmt: str | None = None
    named = False
    i = 0
    while i < len(words):
        w, low = words[i], words[i].lower()
        if low == "since" and allow_since:
            try:
                since = date.fromisoformat(words[i + 1]) if i + 1 < len(words) else None
            except ValueError:
                since = None
            if since is None:
                raise UserError(_("Write the start as `since YYYY-MM-DD`. {usage}").format(usage=usage))
            i += 2
            continue
        if low in ("json", "csv") and allow_format and fmt is None:
            fmt = low
        elif low in ("all", "everyone") and not named:
            user, named = None, True
        elif not named and is_mention(w):
            user, named = parse_mentions([w])[0], True
        else:
            raise UserError(_("I did not understand “{word}”. {usage}").format(word=w[:40], usage=usage))
        i += 1
    return user, since, fmt


def _whose(request: Request, user: str | None) -> str:
    if user == request.user:
        return _("yours")
    return _("everyone's") if user is None else _("{person}'s").format(person=mention(user))


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if t is not None else None


def _pairs(a: CheckinAnswer) -> list[tuple[str, str | None]]:
    return [(q or "", ans) for q, ans in zip_longest(store.loads(a.questions), store.loads(a.answers))]


def answer_record(a: CheckinAnswer) -> dict[str, Any]:
    """One answered check-in as plain JSON-friendly data."""
    return {
        "platform": a.platform,
        "workspace": a.workspace,
        "user": a.user,
        "occurrence_at": _iso(a.occurrence_at),
        "answered_at": _iso(a.answered_at),
        "schedule_id": a.schedule_id,
        "answers": [{"question": q, "answer": ans} for q, ans in _pairs(a)],
    }


def format_records(records: list[dict[str, Any]], fmt: str) -> str:
    """``json``: an indented array; ``csv``: one row per question and answer, with a header."""
    if fmt == "json":
        return json.dumps(records, indent=1, ensure_ascii=False)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        for n, qa in enumerate(r["answers"], 1):
            writer.writerow(
                (
                    r["platform"],
                    r["workspace"],
                    r["user"],
                    r["occurrence_at"],
                    r["answered_at"],
                    r["schedule_id"],
                    n,
                    qa["question"],
                    "" if qa["answer"] is None else qa["answer"],
                )
            )
    return buf.getvalue().rstrip("\n")
