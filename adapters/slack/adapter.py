"""The Slack side of the bot: a Bolt ``AsyncApp`` wired to the core's router.

Request -> middleware -> listener, as Bolt does it, with these choices:

* ``process_before_response=True``: every listener returns quickly (it acks,
  and anything slow runs in a tracked background task), so the HTTP response
  leaves as soon as the ack is ready instead of on Bolt's 10 ms ack poll.
* Slash commands are answered *in the ack* when the core is done within
  ``ack_budget`` seconds (it nearly always is); otherwise the ack says "looking"
  and the answer follows through ``response_url``.
* Events are de-duplicated by ``event_id`` in the ``processed_event`` table
  (Slack retries, replicas, Socket Mode reconnects).
* Buttons carry their state in their value (``render.encode_value``); a value
  that does not decode, or an entry that no longer exists, gets a polite reply.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.common import ReplyStore, answer_within
from adapters.slack import events, lifecycle, vote_form
from adapters.slack import share as sharing
from adapters.slack.client import RetryPolicy, bolt_logger, make_client, retry_handlers, sdk_logger
from adapters.slack.identity import Identities
from adapters.slack.render import (
    ACTION_PREFIX,
    decode_value,
    fallback_text,
    page_count,
    to_blocks,
)
from adapters.slack.translate import (
    PLATFORM_NAME,
    block_action_to_action,
    command_to_request,
    workspace_key,
)
from adapters.slack.transport import SlackTransport, workspace_clients
from bot.app import App
from bot.kernel.canned import expired, went_wrong
from bot.kernel.commands import COMMANDS
from bot.kernel.errors import UserError
from bot.kernel.lang import in_lang, use_lang
from bot.kernel.reply import Button, Reply
from bot.kernel.request import Request
from bot.kernel.router import Action, Parsed
from bot.kernel.safety import InputProblem, clean_input
from bot.storage.processed_event import EventLog

__all__ = ["SlackAdapter", "BOT_SCOPES", "REBUILDABLE_ACTIONS", "EVENT_RETENTION", "PRUNE_INTERVAL"]

log = logging.getLogger("adapters.slack")

# The *:history scopes let a re-sent scheduled message check it was not posted already (SlackTransport).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "channels:history",
    "groups:history",
    "mpim:history",
)
# Button actions whose reply can be rebuilt from the button's value without side effects.
REBUILDABLE_ACTIONS = ("open", "providers", "related")

# Slack retries an event for about an hour and Socket Mode redelivers on reconnect;
# a day of event ids is plenty to recognise a duplicate.
EVENT_RETENTION = timedelta(hours=24)
PRUNE_INTERVAL = 3600.0  # seconds between clean-ups
# Rendered messages kept for identical replies (the same answer asked again renders once).
_MESSAGE_CACHE = 256


_SLOW = "Looking that up…"


class SlackAdapter:
    """Everything Slack: the Bolt app, identity look-ups, de-duplication, background sends."""

    def __init__(
        self,
        app: App,
        *,
        session: aiohttp.ClientSession,
        policy: RetryPolicy | None = None,
        ack_budget: float = 2.0,
        identity_timeout: float = 1.0,
        identity_ttl: float = 600.0,
        authorization_url: str | None = None,
    ) -> None:
        self.app = app
        self.settings = settings = app.settings
        self.events = EventLog(app.db, app.clock, platform=PLATFORM_NAME)
        self.replies = ReplyStore(app, platform=PLATFORM_NAME)
        self.session = session
        self.policy = policy or RetryPolicy()
        self.ack_budget = ack_budget
        self.people = Identities(settings.admins, timeout=identity_timeout, ttl=identity_ttl)
        self._messages: OrderedDict[Any, dict[str, Any]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self.oauth = bool(settings.slack_client_id and settings.slack_client_secret)
        self.client = make_client(
            settings, token=None if self.oauth else settings.slack_bot_token, policy=self.policy, session=session
        )
        self.installation_store: AsyncSQLAlchemyInstallationStore | None = None
        oauth_settings: AsyncOAuthSettings | None = None
        if self.oauth:
            # The tables come from our Alembic migration 0002; never create_tables() here.
            self.installation_store = lifecycle.ReinstallAwareStore(
                app, client_id=settings.slack_client_id or "", engine=app.db.engine, logger=bolt_logger
            )
            state_store = AsyncSQLAlchemyOAuthStateStore(
                expiration_seconds=600, engine=app.db.engine, logger=bolt_logger
            )
            oauth_settings = AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=settings.slack_client_secret,
                scopes=list(BOT_SCOPES),
                user_scopes=[],
                installation_store=self.installation_store,
                installation_store_bot_only=True,
                state_store=state_store,
                install_page_rendering_enabled=False,
                authorization_url=authorization_url,
                logger=bolt_logger,
            )
        self.bolt = AsyncApp(
            name="cos-bot",
            signing_secret=settings.slack_signing_secret or "",
            client=self.client,
            oauth_settings=oauth_settings,
            installation_store_bot_only=True if self.oauth else None,
            process_before_response=True,
            request_verification_enabled=True,
            logger=bolt_logger,
        )
        self._client_for = workspace_clients(settings, app.db.engine, policy=self.policy, session=session)
        self._register()

    # -- wiring ---------------------------------------------------------------
    def _register(self) -> None:
        bolt = self.bolt
        bolt.command(re.compile(r"^/.+"))(self._on_command)
        bolt.action(re.compile("^" + re.escape(ACTION_PREFIX)))(self._on_action)
        vote_form.register(self)
        events.register(self)
        lifecycle.register(self)
        bolt.error(self._on_error)

    async def _on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack listener failed: %s: %s", type(error).__name__, error)

    def spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        """Run ``coro`` in the background; a failure is logged, never raised."""

        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("slack background task failed (%s)", what)

        task = asyncio.ensure_future(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait for background sends (tests, shutdown)."""
        pending = [t for t in self._tasks if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def close(self) -> None:
        await self.drain()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if not self.session.closed:
            await self.session.close()

    # -- identity, tokens ------------------------------------------------------
    async def identity(self, client: AsyncWebClient, workspace: str, user: str) -> tuple[str, str | None]:
        """(role, tz) of ``user`` (see ``Identities``)."""
        return await self.people.lookup(client, workspace, user)

    async def client_for(self, workspace: str) -> AsyncWebClient | None:
        """A client with the bot token of ``workspace`` (None when not installed there)."""
        return await self._client_for(workspace)

    def transport(self) -> SlackTransport:
        return SlackTransport(self.client_for, db=self.app.db, clock=self.app.clock)

    # -- de-duplication --------------------------------------------------------
    async def housekeeping(self, *, interval: float = PRUNE_INTERVAL, older_than: timedelta = EVENT_RETENTION) -> None:
        """Prune old event ids now and every ``interval`` seconds until cancelled (a failure waits a round)."""
        await self.events.keep_pruned(older_than=older_than, interval=interval)

    # -- rendering -------------------------------------------------------------
    def message(self, reply: Reply, *, state: dict[str, Any] | None, page: int = 0) -> dict[str, Any]:
        """A message payload (``text`` + ``blocks``) for ``reply``; ephemeral unless the reply is public.

        Rendering neutralises crowd pings itself, so ``reply`` need not be ``safe()`` again.
        Rendering is pure, so an equal (reply, state, page) is rendered once and served from a
        small LRU cache; callers get their own top-level dict and must not change ``blocks``.
        """
        try:
            key: Any = (reply, tuple(sorted(state.items())) if state else None, page)
            cached = self._messages.get(key)
        except TypeError:  # something unhashable in the state: render every time
            key, cached = None, None
        if cached is not None:
            self._messages.move_to_end(key)
            return dict(cached)
        payload = self._render(reply, state=state, page=page)
        if key is not None:
            self._messages[key] = payload
            if len(self._messages) > _MESSAGE_CACHE:
                self._messages.popitem(last=False)
        return dict(payload)

    def _render(self, reply: Reply, *, state: dict[str, Any] | None, page: int) -> dict[str, Any]:
        if state and reply.ephemeral and not reply.error and not any(b.action == "share" for b in reply.buttons):
            share = Button(in_lang(reply.lang or "en", "Share in channel"), "share", "")
            reply = dataclasses.replace(reply, buttons=(share, *reply.buttons))
        return {
            "response_type": "ephemeral" if reply.ephemeral else "in_channel",
            "text": fallback_text(reply),
            "blocks": to_blocks(reply, page=page, state=state),
        }

    # -- rebuilding a reply from a button's state --------------------------------
    async def rebuild(self, state: dict[str, Any], *, workspace: str | None = None) -> Reply | None:
        """The reply a button's state stands for, without side effects; None when it is stale or forged.

        Knowledge answers are answered again from the state (``c``/``t`` or ``a``/``v``), with the
        workspace's taught phrases; any other reply long enough to need pages was kept in the
        database under ``k`` (``ReplyStore``).
        """
        if isinstance(key := state.get("k"), str):
            kept = await self.replies.load(workspace, key) if workspace is not None else None
            return kept.safe() if kept is not None else None
        knowledge = (
            await self.app.router.knowledge_for(PLATFORM_NAME, workspace)
            if workspace is not None
            else self.app.router.knowledge
        )
        command, text = state.get("c"), state.get("t")
        if isinstance(command, str) and isinstance(text, str):
            if command not in COMMANDS:
                return None
            try:
                return knowledge.reply(command, clean_input(text)).safe()
            except InputProblem:
                return None
        action, value = state.get("a"), state.get("v")
        if isinstance(action, str) and isinstance(value, str) and action in REBUILDABLE_ACTIONS:
            found = {"open": knowledge.open, "providers": knowledge.providers_of, "related": knowledge.related_of}[
                action
            ](value[:200])
            return found.safe() if found else None
        return None

    async def state_for(self, workspace: str, reply: Reply, state: dict[str, Any] | None) -> dict[str, Any] | None:
        """``state`` when the reply can be answered again from it; else, for a reply that needs pages,
        the key it is kept under (so Prev/Next and Share work on every replica)."""
        if state is not None or reply.error or page_count(reply) < 2:
            return state
        key = await self.replies.save(workspace, reply)
        return {"k": key} if key is not None else None

    # -- slash commands --------------------------------------------------------
    async def _on_command(
        self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        async def looking_it_up() -> None:
            await ack(response_type="ephemeral", text=_SLOW)

        work, slow = await answer_within(self.ack_budget, self._answer_command(body, client), looking_it_up)
        if not slow:
            if work.exception() is None:
                await ack(**work.result())
                return
            await looking_it_up()  # it failed fast: the apology follows through response_url
        response_url = body.get("response_url")
        self.spawn(self._answer_later(work, response_url), "slash command via response_url")

    async def _answer_command(self, body: dict[str, Any], client: AsyncWebClient) -> dict[str, Any]:
        team = body.get("team_id")
        workspace = workspace_key(team_id=team, enterprise_id=body.get("enterprise_id"))
        user = str(body.get("user_id") or "")
        # Knowledge answers depend on neither role nor time zone: no users.info on their path. The person's
        # locale counts once a team command, a button or a DM has cached it; until then the question's script.
        role, tz = self.people.known(workspace, user) or (self.people.role(workspace, user, "member"), None)
        request = command_to_request(body, role=role, tz=tz)
        try:
            parsed: Parsed | None = self.app.router.parse(request)
        except (InputProblem, UserError):
            parsed = None  # the router answers it with the problem
        if parsed is not None and parsed.is_team:
            role, tz = await self.identity(client, workspace, user)
            request = dataclasses.replace(request, role=role, tz=tz)
        request = dataclasses.replace(request, locale=self.people.locale(workspace, user))
        reply = await self.app.router.handle(request, parsed)
        return self.message(reply, state=await self.state_for(workspace, reply, _command_state(request, reply)))

    async def _answer_later(self, work: asyncio.Future[dict[str, Any]], response_url: str | None) -> None:
        try:
            payload = await work
        except Exception:
            log.exception("slash command failed")
            payload = self.message(went_wrong(), state=None)
        if response_url:
            await self.respond(response_url, {**payload, "replace_original": True})

    async def respond(self, response_url: str, payload: dict[str, Any]) -> bool:
        """POST to a ``response_url`` with the client's retries; False when Slack did not take it."""
        webhook = AsyncWebhookClient(
            response_url,
            session=self.session,
            logger=sdk_logger,
            timeout=self.policy.timeout,
            retry_handlers=retry_handlers(self.policy),
        )
        try:
            response = await webhook.send_dict(payload)
        except (SlackClientError, OSError, TimeoutError, aiohttp.ClientError) as exc:
            log.warning("response_url post failed: %s", type(exc).__name__)
            return False
        if response.status_code != 200:
            log.warning("response_url answered %s", response.status_code)
            return False
        return True

    # -- buttons ---------------------------------------------------------------
    async def _on_action(
        self, ack: Callable[..., Awaitable[Any]], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        for element in (body.get("actions") or [])[:1]:
            if vote_form.opens_form(element) and body.get("trigger_id"):
                self.spawn(vote_form.open_form(self, body, element, client), "feedback form")
                continue
            self.spawn(self.handle_action(body, element, client), f"button {element.get('action_id')}")

    async def handle_action(self, body: dict[str, Any], element: dict[str, Any], client: AsyncWebClient) -> None:
        user = str((body.get("user") or {}).get("id") or "")
        action = block_action_to_action(body, element)
        role, tz = await self.identity(client, action.workspace, user)
        action = dataclasses.replace(action, role=role, tz=tz, locale=self.people.locale(action.workspace, user))
        container = body.get("container") or {}
        response_url = body.get("response_url")
        if container.get("type") == "view" or not response_url:
            await self._answer_in_dm(client, action)
            return
        if action.action == "share":
            await sharing.share(self, body, action, client, response_url)
            return
        if action.action == "page":
            state = decode_value(action.value)
            reply = await self.rebuild(state, workspace=action.workspace) if state else None
            page = state.get("p") if state else None
            if reply is None or state is None or not isinstance(page, int):
                await self.respond(
                    response_url,
                    {**self.message(await self._canned(action, expired), state=None), "replace_original": False},
                )
                return
            base = {k: v for k, v in state.items() if k != "p"}
            payload = self.message(reply, state=base, page=page)
            # Paging an ephemeral answer turns its page; paging a shared one shows the page to the presser only.
            replace = bool(container.get("is_ephemeral"))
            await self.respond(response_url, {**payload, "response_type": "ephemeral", "replace_original": replace})
            return
        reply = await self.app.router.handle_action(action)
        if reply is None:
            return
        state = (
            {"a": action.action, "v": action.value[:200]}
            if action.action in REBUILDABLE_ACTIONS and not reply.error
            else None
        )
        payload = self.message(reply, state=await self.state_for(action.workspace, reply, state))
        await self.respond(response_url, {**payload, "response_type": "ephemeral", "replace_original": False})

    async def _canned(self, action: Action, make: Callable[[], Reply]) -> Reply:
        """A canned reply (expired, share refused) in the language the router would answer the presser in."""
        lang = await self.app.router.lang_of(action)
        with use_lang(lang):
            return dataclasses.replace(make(), lang=lang)

    async def _answer_in_dm(self, client: AsyncWebClient, action: Action) -> None:
        """Buttons on the Home tab have no response_url: answer in the app's DM."""
        if action.action == "share":
            return
        reply = await self.app.router.handle_action(action)
        if reply is None:
            return
        state = {"a": action.action, "v": action.value[:200]} if action.action in REBUILDABLE_ACTIONS else None
        payload = self.message(reply.public(), state=await self.state_for(action.workspace, reply.public(), state))
        opened = await client.conversations_open(users=action.user)
        channel = (opened.get("channel") or {}).get("id") or action.user
        await client.chat_postMessage(
            channel=channel, text=payload["text"], blocks=payload["blocks"], unfurl_links=False, unfurl_media=False
        )


def _command_state(request: Request, reply: Reply) -> dict[str, Any] | None:
    """How to rebuild a command's reply for Share and paging: only knowledge answers qualify."""
    if request.command not in COMMANDS or reply.error or not reply.results:
        return None
    return {"c": request.command, "t": request.text[:500]}
