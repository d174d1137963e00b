"""Signing in without passwords: one-time links from chat, signed session cookies, CSRF tokens.

The chat platform already knows who a person is and whether they are an admin, so
``/cos-service dashboard`` (or ``cos-bot dashboard link``) makes a link bound to the platform,
workspace, person and role, valid ``LINK_TTL`` and usable once. Opening it starts a session of
``SESSION_TTL``; its cookie is ``<token>.<HMAC of the token>``. Only SHA-256 hashes of link and
session tokens are stored.

The HMAC key is ``COS_SECRET_KEY`` when set, else a random key made once and kept in the
database (``dashboard_key``): every replica reads the same one, nothing to configure.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from sqlalchemy import select, update

from bot.dashboard import LINK_TTL, SESSION_TTL
from bot.dashboard.models import DashboardKey, DashboardLink, DashboardSession
from bot.kernel.auth import is_admin
from bot.kernel.request import Request
from bot.storage.sql import affected, insert_ignore
from bot.team import audit

if TYPE_CHECKING:
    from bot.kernel.clock import Clock
    from bot.kernel.settings import Settings
    from bot.storage.db import Database

__all__ = [
    "Viewer",
    "COOKIE",
    "SIGNIN_PATH",
    "signing_key",
    "make_link",
    "link_url",
    "redeem",
    "viewer_of",
    "sign_out",
    "sign_out_person",
    "csrf_token",
    "csrf_ok",
    "public_base",
    "public_root",
    "ROOT",
]

COOKIE = "cos_dashboard"
ROOT = "/dashboard"
SIGNIN_PATH = f"{ROOT}/signin"
ROLES = ("admin", "member")


# The key read from each database (one per process and database, never re-read).
class App(Protocol):
    """What signing in needs of the running bot (``bot.app.App``, or the CLI's database and settings)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def db(self) -> Database: ...
    @property
    def clock(self) -> Clock: ...


_KEYS: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewer:
    """Who is looking: a signed-in session's person, in one workspace."""

    platform: str
    workspace: str
    user: str
    role: str
    session_hash: str
    admin: bool = False
    # The person's language from the platform when the link was made (``en``, ``zh``); None: unknown.
    lang: str | None = None

    def request(self, *, tz: str | None = None) -> Request:
        """The same person as a chat request, for the core functions a page calls."""
        return Request(
            platform=self.platform,
            workspace=self.workspace,
            channel="dashboard",
            user=self.user,
            command="cos-service",
            role=self.role,
            tz=tz,
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _sign(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def public_base(app: App) -> str:
    """``COS_PUBLIC_URL`` (without a trailing slash), else the local address of ``cos-bot serve``."""
    return (app.settings.public_url or f"http://localhost:{app.settings.port}").rstrip("/")


def public_root(app: App) -> str:
    """The dashboard's path as people's browsers see it: ``/dashboard`` after ``COS_PUBLIC_URL``'s path
    (``https://example.com/cos`` → ``/cos/dashboard``). Links, redirects, the cookie and forms use it."""
    return urlsplit(public_base(app)).path.rstrip("/") + ROOT


async def signing_key(app: App) -> bytes:
    """``COS_SECRET_KEY``, else the database's key (made by the first replica that asks)."""
    if app.settings.secret_key:
        return app.settings.secret_key.encode()
    found = _KEYS.get(app.db)
    if found is not None:
        return found
    async with app.db.session() as session:
        await session.execute(
            insert_ignore(session, DashboardKey)
            .values(id=1, secret=secrets.token_hex(32), created_at=app.clock.now())
            .on_conflict_do_nothing(index_elements=["id"])
        )
    async with app.db.session() as session:
        key = (await session.execute(select(DashboardKey.secret).where(DashboardKey.id == 1))).scalar_one().encode()
    _KEYS[app.db] = key
    return key


async def make_link(app: App, *, platform: str, workspace: str, user: str, role: str, lang: str | None = None) -> str:
    """A one-time sign-in URL for this person and role, valid ``LINK_TTL``; ``lang``: the person's language as
    their platform reported it (the dashboard's language when the workspace's is ``auto``)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    now = app.clock.now()
    async with app.db.session() as session:
        session.add(
            DashboardLink(
                platform=platform,
                workspace=workspace,
                user=user,
                role=role,
                token_hash=_hash(token),
                created_at=now,
                expires_at=now + LINK_TTL,
                lang=lang,
            )
        )
    return link_url(app, token)


def link_url(app: App, token: str) -> str:
    return f"{public_base(app)}{SIGNIN_PATH}/{token}"


async def redeem(app: App, token: str) -> tuple[str, Viewer] | None:
    """Use a link once: the session cookie's value and its viewer, or None (unknown, used or expired)."""
    if not token or len(token) > 100:
        return None
    now = app.clock.now()
    digest = _hash(token)
    async with app.db.session() as session:
        # One conditional update: of two browsers opening the same link at once, one wins.
        taken = affected(
            await session.execute(
                update(DashboardLink)
                .where(
                    DashboardLink.token_hash == digest,
                    DashboardLink.used_at.is_(None),
                    DashboardLink.expires_at > now,
                )
                .values(used_at=now)
            )
        )
        if not taken:
            return None
        link = (await session.execute(select(DashboardLink).where(DashboardLink.token_hash == digest))).scalar_one()
        session_token = secrets.token_urlsafe(32)
        row = DashboardSession(
            platform=link.platform,
            workspace=link.workspace,
            user=link.user,
            role=link.role,
            token_hash=_hash(session_token),
            created_at=now,
            expires_at=now + SESSION_TTL,
            lang=link.lang,
        )
        session.add(row)
        viewer = _viewer(app, row)
        await audit.record(session, viewer, action="dashboard.signin", after={"role": link.role}, at=now)
    key = await signing_key(app)
    return f"{session_token}.{_sign(key, session_token)}", viewer


def _viewer(app: App, row: DashboardSession) -> Viewer:
    viewer = Viewer(
        platform=row.platform,
        workspace=row.workspace,
        user=row.user,
        role=row.role,
        session_hash=row.token_hash,
        lang=row.lang,
    )
    return replace(viewer, admin=is_admin(viewer, app.settings.admins))


async def viewer_of(app: App, cookie: str | None) -> Viewer | None:
    """The signed-in viewer of a session cookie, or None (missing, forged, expired or signed out)."""
    if not cookie or len(cookie) > 200 or "." not in cookie:
        return None
    token, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(mac, _sign(await signing_key(app), token)):
        return None
    now = app.clock.now()
    async with app.db.session() as session:
        row = (
            await session.execute(
                select(DashboardSession).where(
                    DashboardSession.token_hash == _hash(token),
                    DashboardSession.ended_at.is_(None),
                    DashboardSession.expires_at > now,
                )
            )
        ).scalar_one_or_none()
    return _viewer(app, row) if row is not None else None


async def sign_out(app: App, viewer: Viewer) -> bool:
    """End this viewer's session (recorded in the audit log)."""
    now = app.clock.now()
    async with app.db.session() as session:
        ended = affected(
            await session.execute(
                update(DashboardSession)
                .where(DashboardSession.token_hash == viewer.session_hash, DashboardSession.ended_at.is_(None))
                .values(ended_at=now)
            )
        )
        if ended:
            await audit.record(session, viewer, action="dashboard.signout", at=now)
    return bool(ended)


async def sign_out_person(app: App, request: Request) -> int:
    """End every dashboard session of the asker in this workspace (``/cos-service dashboard signout``)."""
    now = app.clock.now()
    async with app.db.session() as session:
        ended = affected(
            await session.execute(
                update(DashboardSession)
                .where(
                    DashboardSession.platform == request.platform,
                    DashboardSession.workspace == request.workspace,
                    DashboardSession.user == request.user,
                    DashboardSession.ended_at.is_(None),
                    DashboardSession.expires_at > now,
                )
                .values(ended_at=now)
            )
        )
        await session.execute(
            update(DashboardLink)
            .where(
                DashboardLink.platform == request.platform,
                DashboardLink.workspace == request.workspace,
                DashboardLink.user == request.user,
                DashboardLink.used_at.is_(None),
            )
            .values(used_at=now)
        )
        if ended:
            await audit.record(session, request, action="dashboard.signout", after={"sessions": ended}, at=now)
    return ended


def csrf_token(key: bytes, viewer: Viewer) -> str:
    """The form token of a session: derived from it, so nothing more is stored."""
    return _sign(key, "csrf:" + viewer.session_hash)


def csrf_ok(key: bytes, viewer: Viewer, token: object) -> bool:
    return isinstance(token, str) and hmac.compare_digest(token, csrf_token(key, viewer))
