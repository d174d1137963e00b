"""The dashboard's routes: server-rendered pages (Jinja2 through aiohttp-jinja2), forms without JavaScript.

``mount(web_app, app)`` adds them to the server that already serves the probes (``bot.ops.web``).
Every page needs a session (else 401 with how to sign in from chat); admin pages answer members
403; every POST carries the session's CSRF token (else 403, nothing changes); an id from another
workspace is 404. Every response under ``/dashboard`` carries the security headers (``_headers``).
Changes go through the features' own functions, with their permission checks and audit entries.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.app import App
from bot.dashboard import SESSION_TTL, auth, data, lang
from bot.dashboard.charts import Series, bar_chart
from bot.kernel.errors import DatabaseUnavailable, NotFound, PermissionDenied, UserError
from bot.kernel.lang import _, use_lang
from bot.kernel.reply import Reply
from bot.team.audit import FORGOTTEN
from bot.team.base import Team

__all__ = ["mount", "PREFIX", "CSP"]

log = logging.getLogger("bot.dashboard")

PREFIX = "/dashboard"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HERE = Path(__file__).parent
_JINJA: web.AppKey[jinja2.Environment] = web.AppKey("cos_dashboard_jinja", jinja2.Environment)
_TEAM: web.AppKey[Team] = web.AppKey("cos_dashboard_team", Team)
# Link unfurlers fetch a posted URL; they must not use up a one-time link.
_UNFURLERS = ("slackbot", "discordbot", "slack-imgproxy", "facebookexternalhit", "twitterbot")

Handler = Callable[[web.Request, auth.Viewer], Awaitable[web.StreamResponse]]


def mount(web_app: web.Application, app: App) -> None:
    """Add the dashboard's routes, templates and headers to ``web_app``."""
    env = aiohttp_jinja2.setup(
        web_app,
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        app_key=_JINJA,
        undefined=jinja2.StrictUndefined,
    )
    lang.install(env)
    team = app.parts.get("team")
    web_app[_TEAM] = team if isinstance(team, Team) else Team(app)
    web_app.on_response_prepare.append(_headers)
    # The routes answer at /dashboard and, when COS_PUBLIC_URL has a path (https://example.com/cos), at
    # /cos/dashboard too: a reverse proxy may strip that path or pass it on. What the pages link to, redirect
    # to and scope the cookie to is always the public one (``auth.public_root``).
    for root in _roots(app):
        web_app.add_routes(
            [
                web.get(f"{root}/signin/{{token}}", _signin),
                web.get(root, _page(_overview)),
                web.get(f"{root}/checkins", _page(_checkins)),
                web.get(f"{root}/checkins.csv", _page(_checkins_csv)),
                web.get(f"{root}/knowledge", _page(_knowledge, admin=True)),
                web.post(f"{root}/knowledge/teach", _page(_teach, admin=True, form=True)),
                web.post(f"{root}/knowledge/dismiss", _page(_dismiss, admin=True, form=True)),
                web.post(f"{root}/knowledge/remove", _page(_unteach, admin=True, form=True)),
                web.get(f"{root}/audit", _page(_audit, admin=True)),
                web.get(f"{root}/audit.csv", _page(_audit_csv, admin=True)),
                web.get(f"{root}/schedules", _page(_schedules)),
                web.post(f"{root}/schedules/{{verb}}", _page(_schedule_change, form=True)),
                web.post(f"{root}/signout", _page(_signout, form=True)),
                web.static(f"{root}/static", _HERE / "static"),
            ]
        )


def _roots(app: App) -> tuple[str, ...]:
    public = auth.public_root(app)
    return (PREFIX,) if public == PREFIX else (PREFIX, public)


def _here(request: web.Request) -> str:
    """The request's path below the dashboard's root: ``""`` for the overview, ``/checkins``, ..."""
    path = request.path
    for root in sorted(_roots(_team(request).app), key=len, reverse=True):
        if path == root or path.startswith(root + "/"):
            return path[len(root) :]
    return path


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if _TEAM not in request.app:
        return
    here = _here(request)
    if here == request.path:  # not under the dashboard
        return
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if not here.startswith("/static/"):
        response.headers["Cache-Control"] = "no-store"


def _team(request: web.Request) -> Team:
    return request.app[_TEAM]


def _render(request: web.Request, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, context, status=status, app_key=_JINJA)


async def _context(request: web.Request, viewer: auth.Viewer | None, **extra: Any) -> dict[str, Any]:
    key = await auth.signing_key(_team(request).app)
    return {
        "viewer": viewer,
        "csrf": auth.csrf_token(key, viewer) if viewer is not None else "",
        "root": auth.public_root(_team(request).app),
        "here": _here(request),
        "notice": None,
        "error": None,
        **extra,
    }


async def _problem(
    request: web.Request, status: int, title: str, text: str, viewer: auth.Viewer | None
) -> web.Response:
    return _render(request, "problem.html", await _context(request, viewer, title=title, text=text), status=status)


def _page(handler: Handler, *, admin: bool = False, form: bool = False) -> Callable[[web.Request], Awaitable[Any]]:
    """A page: a session is needed (401), admins only when ``admin`` (403), a CSRF token on forms (403).

    Everything it says is in the page's language (``lang.page_lang``)."""

    async def page(request: web.Request) -> web.StreamResponse:
        team = _team(request)
        try:
            viewer = await auth.viewer_of(team.app, request.cookies.get(auth.COOKIE))
            with use_lang(await lang.page_lang(team, viewer)):
                return await checked(request, viewer)
        except DatabaseUnavailable as exc:
            with use_lang(await lang.page_lang(team, None)):
                return await _problem(request, 503, _("Try again in a minute"), str(exc), None)

    async def checked(request: web.Request, viewer: auth.Viewer | None) -> web.StreamResponse:
        app = _team(request).app
        if viewer is None:
            return await _problem(
                request,
                401,
                _("Sign in from chat"),
                _(
                    "Type /cos-service dashboard in your Slack workspace or Discord server: the bot answers "
                    "you alone with a sign-in link, valid for 10 minutes."
                ),
                None,
            )
        if admin and not viewer.admin:
            return await _problem(
                request,
                403,
                _("Admins only"),
                _("This page is for admins. The overview, your check-ins and the schedules are yours to read."),
                viewer,
            )
        if form:
            posted = await request.post()
            if not auth.csrf_ok(await auth.signing_key(app), viewer, posted.get("csrf")):
                return await _problem(
                    request,
                    403,
                    _("The form has expired"),
                    _("Nothing was changed. Reload the page and try again."),
                    viewer,
                )
        try:
            return await handler(request, viewer)
        except NotFound as exc:
            return await _problem(request, 404, _("Not found"), str(exc), viewer)
        except PermissionDenied as exc:
            return await _problem(request, 403, _("Not allowed"), str(exc), viewer)

    return page


# -- sign-in and sign-out ------------------------------------------------------------------------
async def _signin(request: web.Request) -> web.StreamResponse:
    with use_lang(await lang.page_lang(_team(request), None)):
        return await _signed_in(request)


async def _signed_in(request: web.Request) -> web.StreamResponse:
    agent = request.headers.get("User-Agent", "").lower()
    if any(bot in agent for bot in _UNFURLERS):
        return await _problem(
            request, 200, _("cos-bot dashboard"), _("Open this link in your browser to sign in."), None
        )
    app = _team(request).app
    redeemed = await auth.redeem(app, request.match_info["token"])
    if redeemed is None:
        return await _problem(
            request,
            401,
            _("This sign-in link cannot be used"),
            _("A link works once and for 10 minutes. Type /cos-service dashboard in chat for a new one."),
            None,
        )
    cookie = redeemed[0]
    root = auth.public_root(app)
    response = web.Response(status=303, headers={"Location": root})
    response.set_cookie(
        auth.COOKIE,
        cookie,
        max_age=int(SESSION_TTL.total_seconds()),
        path=root,
        httponly=True,
        samesite="Lax",
        secure=auth.public_base(app).startswith("https://"),
    )
    return response


async def _signout(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    await auth.sign_out(_team(request).app, viewer)
    response = await _problem(
        request, 200, _("Signed out"), _("Type /cos-service dashboard in chat to sign in again."), None
    )
    response.del_cookie(auth.COOKIE, path=auth.public_root(_team(request).app))
    return response


# -- pages ----------------------------------------------------------------------------------------
def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _text(value: Any, limit: int = 120) -> str:
    return str(value or "").strip()[:limit]


async def _overview(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    page = await data.overview(_team(request), viewer)
    return _render(request, "overview.html", await _context(request, viewer, page=page, days=data.PREVIEW_DAYS))


async def _checkins(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    q = request.query
    person, start, end = _text(q.get("person")), _day(q.get("from")), _day(q.get("to"))
    page = await data.checkins(_team(request), viewer, person=person or None, start=start, end=end)
    weeks = page.weeks
    chart = bar_chart(
        title=_("Check-in participation, last {n} weeks").format(n=data.WEEKS),
        description=_("Answered and not answered check-ins per week (the table beside it has the numbers)."),
        labels=[w for w, _a, _n in weeks],
        series=[
            Series(_("answered"), [a for _w, a, _n in weeks], "#1a7f37"),
            Series(_("not answered"), [n - a for _w, a, n in weeks], "#9a6700"),
        ],
    )
    filters = {"person": person, "from": start.isoformat() if start else "", "to": end.isoformat() if end else ""}
    return _render(request, "checkins.html", await _context(request, viewer, page=page, chart=chart, f=filters))


async def _checkins_csv(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    q = request.query
    team = _team(request)
    tz = await data.viewer_zone(team, viewer)
    rows = await data.checkin_rows(
        team, viewer, person=_text(q.get("person")) or None, start=_day(q.get("from")), end=_day(q.get("to")), tz=tz
    )
    from bot.team.answers import answer_record, format_records

    body = format_records([answer_record(r) for r in reversed(rows) if r.answered_at is not None], "csv")
    return _download(body, "checkins.csv")


def _download(body: str, name: str) -> web.Response:
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _knowledge(
    request: web.Request, viewer: auth.Viewer, *, notice: Reply | None = None, error: str | None = None
) -> web.Response:
    team = _team(request)
    page = await data.knowledge(team, viewer)
    chart = bar_chart(
        title=_("Questions per day, last {n} days").format(n=page.days),
        description=_(
            "Questions the bot answered and could not answer, per day (the table beside it has the numbers)."
        ),
        labels=[d for d, _a, _n in page.per_day],
        series=[
            Series(_("answered"), [a for _d, a, _n in page.per_day], "#1a7f37"),
            Series(_("not answered"), [n for _d, _a, n in page.per_day], "#cf222e"),
        ],
    )
    topics = sorted({e.title for e in team.kb.entries.values()})
    return _render(
        request,
        "knowledge.html",
        await _context(
            request,
            viewer,
            page=page,
            chart=chart,
            topics=topics,
            notice=notice.title if notice else None,
            error=error,
        ),
        status=400 if error else 200,
    )


async def _form_id(request: web.Request, name: str = "id") -> int:
    value = _text((await request.post()).get(name), 20)
    # Ids are database ids or, for logged questions, 63-bit ids made in-process (bot.answering.votes).
    if not (value.isascii() and value.isdigit() and len(value) <= 19 and int(value) < 2**63):
        raise NotFound(_("Nothing here has that id."))
    return int(value)


async def _teach(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    from bot.team.teach import gap_question, resolve_topic, teach_phrase

    team = _team(request)
    qid = await _form_id(request)
    topic = _text((await request.post()).get("topic"), 200)
    question = await gap_question(team, viewer, qid)
    entry, candidates = resolve_topic(team, topic) if topic else (None, [])
    if entry is None:
        hint = (
            " " + _("Did you mean: {topics}?").format(topics=", ".join(c.title for c in candidates))
            if candidates
            else ""
        )
        error = _("Pick a topic from the list for “{question}”.").format(question=question.text[:80])
        return await _knowledge(request, viewer, error=error + hint)
    try:
        reply = await teach_phrase(team, viewer, question.text, entry)
    except PermissionDenied:
        raise
    except UserError as exc:
        return await _knowledge(request, viewer, error=str(exc))
    return await _knowledge(request, viewer, notice=reply)


async def _dismiss(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    from bot.team.teach import dismiss_gap

    reply = await dismiss_gap(_team(request), viewer, await _form_id(request))
    return await _knowledge(request, viewer, notice=reply)


async def _unteach(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    from bot.team.teach import remove_phrase

    phrase = _text((await request.post()).get("phrase"), 200)
    try:
        reply = await remove_phrase(_team(request), viewer, phrase)
    except (NotFound, PermissionDenied):
        raise
    except UserError as exc:
        return await _knowledge(request, viewer, error=str(exc))
    return await _knowledge(request, viewer, notice=reply)


def _audit_filters(request: web.Request) -> dict[str, Any]:
    q = request.query
    return {
        "person": _text(q.get("person")),
        "kind": _text(q.get("kind"), 60),
        "start": _day(q.get("from")),
        "end": _day(q.get("to")),
    }


async def _audit(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    team = _team(request)
    f = _audit_filters(request)
    number = _page_number(request.query.get("page"))
    rows = await data.audit_entries(
        team,
        viewer,
        person=f["person"] or None,
        kind=f["kind"] or None,
        start=f["start"],
        end=f["end"],
        limit=data.SHOWN_ROWS + 1,
        offset=(number - 1) * data.SHOWN_ROWS,
    )
    older = len(rows) > data.SHOWN_ROWS
    rows = rows[: data.SHOWN_ROWS]
    shown = {
        "person": f["person"],
        "kind": f["kind"],
        "from": f["start"].isoformat() if f["start"] else "",
        "to": f["end"].isoformat() if f["end"] else "",
    }
    kinds = await data.audit_kinds(team, viewer)
    pages = {"number": number, "newer": number - 1 if number > 1 else None, "older": number + 1 if older else None}
    return _render(
        request,
        "audit.html",
        await _context(request, viewer, rows=rows, f=shown, kinds=kinds, forgotten=FORGOTTEN, pages=pages),
    )


def _page_number(value: str | None) -> int:
    """``?page=N`` (1 to 10,000); anything else is the first page."""
    text = (value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 1 <= int(text) <= 10_000 else 1


async def _audit_csv(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    f = _audit_filters(request)
    rows = await data.audit_entries(
        _team(request),
        viewer,
        person=f["person"] or None,
        kind=f["kind"] or None,
        start=f["start"],
        end=f["end"],
        limit=None,
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("at", "actor", "action", "target", "before", "after"))
    for r in rows:
        writer.writerow((r["at"], r["actor"], r["action"], r["target"] or "", _cell(r["before"]), _cell(r["after"])))
    return _download(buf.getvalue(), "audit.csv")


def _cell(value: Any) -> str:
    import json

    text = "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    # A spreadsheet runs a cell that starts with = + - @ as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


async def _schedules(
    request: web.Request, viewer: auth.Viewer, *, notice: Reply | None = None, error: str | None = None
) -> web.Response:
    rows = await data.schedules(_team(request), viewer)
    return _render(
        request,
        "schedules.html",
        await _context(request, viewer, rows=rows, notice=notice.title if notice else None, error=error),
        status=400 if error else 200,
    )


async def _schedule_change(request: web.Request, viewer: auth.Viewer) -> web.StreamResponse:
    from bot.team.schedules import pause_schedule, remove_schedule, resume_schedule

    change = {"pause": pause_schedule, "resume": resume_schedule, "delete": remove_schedule}.get(
        request.match_info["verb"]
    )
    if change is None:
        raise NotFound(_("There is no such change."))
    sid = await _form_id(request)
    try:
        reply = await change(_team(request), viewer, sid)
    except (NotFound, PermissionDenied):
        raise
    except UserError as exc:
        return await _schedules(request, viewer, error=str(exc))
    return await _schedules(request, viewer, notice=reply)
