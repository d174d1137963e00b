"""The running Discord bot: interactions and DMs in, the core's replies out.

Slash commands are answered ephemerally first, with "Share in channel".
Anything not answered within ``defer_after`` seconds is deferred (Discord
allows 3 s for the first response). Buttons carry ``cos:<action>:<value>``
custom ids and are handled statelessly, so they keep working after a
restart; a forged or stale id gets a polite reply. The pages behind Prev/Next
live in the database (``interaction_state``), keyed by the id the buttons carry,
so paging works on every replica and after a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import discord
from discord import app_commands

from adapters.common import ReplyStore, answer_within
from adapters.discord import vote_form
from adapters.discord.client import make_client
from adapters.discord.commands import build_tree, completes, suggestions
from adapters.discord.render import Page, parse_custom_id, to_pages
from adapters.discord.translate import (
    PLATFORM_NAME,
    command_request,
    component_action,
    dm_edit,
    dm_request,
    locale_of,
    workspace_of,
)
from adapters.discord.transport import DiscordTransport
from bot.answering import votes
from bot.app import App
from bot.kernel.canned import expired, list_expired, polite, went_wrong
from bot.kernel.lang import _, use_lang
from bot.kernel.reply import Reply
from bot.kernel.router import Action
from bot.privacy import app_added, app_removed
from bot.team.edits import record_edit

__all__ = ["DiscordBot", "command_unknown", "to_embed_objects", "to_view"]

log = logging.getLogger(__name__)

DEFER_AFTER = 2.0  # seconds; Discord's deadline for the first response is 3 s


def command_unknown() -> Reply:
    """A command this bot does not have (any more): Discord showed an older list of its commands."""
    return polite(
        _("That command is not available"),
        _("Your Discord app may be showing an older list of commands. Ask with `/cos-service` or `/cos-risk`."),
        error="unknown command",
    )


def to_embed_objects(page: Page) -> list[discord.Embed]:
    return [discord.Embed.from_dict(e) for e in page.embeds]


def to_view(page: Page) -> discord.ui.View | None:
    """A View for the page's buttons. It is stopped at once: our buttons are handled by
    custom id in ``on_interaction`` (stateless), so discord.py must not keep the view."""
    if not page.components:
        return None
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(page.components):
        for c in row["components"]:
            view.add_item(
                discord.ui.Button(
                    style=discord.ButtonStyle(c.get("style", 2)),
                    label=c.get("label"),
                    custom_id=c.get("custom_id"),
                    disabled=bool(c.get("disabled", False)),
                    row=row_index,
                )
            )
    view.stop()
    return view


class DiscordBot:
    """One discord.py client wired to one App."""

    def __init__(self, app: App, *, defer_after: float = DEFER_AFTER, client: discord.Client | None = None) -> None:
        self.app = app
        self.settings = app.settings
        self.defer_after = defer_after
        self.client = client or make_client(app.settings)
        self.tree = build_tree(self.client, self.on_command, self.complete)
        self.tree.error(self._tree_error)
        self.tree.interaction_check = self._tree_check  # type: ignore[method-assign]
        self.replies = ReplyStore(app, platform=PLATFORM_NAME)
        self.ready = asyncio.Event()
        self.transport = DiscordTransport(self.client, ready=self._wait_ready)
        self.errors: list[str] = []  # send failures seen while answering (for tests and logs)
        client = self.client

        @client.event
        async def on_ready() -> None:
            log.info("Discord: connected as %s to %d guild(s)", client.user, len(client.guilds))
            self.ready.set()

        @client.event
        async def on_interaction(interaction: discord.Interaction) -> None:
            if interaction.type is discord.InteractionType.component:
                await self.on_component(interaction)
            elif interaction.type is discord.InteractionType.modal_submit:
                await self.on_modal(interaction)

        @client.event
        async def on_message(message: discord.Message) -> None:
            await self.on_dm(message)

        @client.event
        async def on_guild_remove(guild: discord.Guild) -> None:
            await app_removed(self.app, platform=PLATFORM_NAME, workspace=workspace_of(guild.id))

        @client.event
        async def on_guild_join(guild: discord.Guild) -> None:
            await app_added(self.app, platform=PLATFORM_NAME, workspace=workspace_of(guild.id))

        @client.event
        async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
            await self.on_dm_edit(payload)

    async def _wait_ready(self) -> None:
        await self.ready.wait()

    # -- commands -------------------------------------------------------------
    def complete(self, command: str, current: str) -> list[tuple[str, str]]:
        return suggestions(self.app.kb, command, current)

    async def on_command(self, interaction: discord.Interaction, command: str, text: str) -> None:
        request = command_request(interaction, command=command, text=text, admins=self.settings.admins)
        await self._answer(interaction, self.app.router.handle(request), ephemeral=True)

    async def _answer(
        self, interaction: discord.Interaction, work: Awaitable[Reply | None], *, ephemeral: bool
    ) -> None:
        """Respond within Discord's 3 s: answer directly, or defer and follow up."""

        async def defer() -> None:
            try:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            except discord.HTTPException as exc:
                self._failed("defer", exc)

        task, _slow = await answer_within(self.defer_after, work, defer)
        try:
            reply = await task or await self._canned(interaction, expired)
        except Exception:
            log.exception("Discord: answering failed")
            reply = await self._canned(interaction, went_wrong)
        await self._send(interaction, reply, ephemeral=ephemeral)

    async def _send(self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool) -> None:
        pages = to_pages(reply, ephemeral=ephemeral)
        if len(pages) > 1:
            pages = await self._store_pages(interaction, reply, ephemeral=ephemeral) or pages
        page = pages[0]
        kwargs: dict[str, Any] = {
            "embeds": to_embed_objects(page),
            "ephemeral": ephemeral,
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        view = to_view(page)
        if view is not None:
            kwargs["view"] = view
        try:
            if interaction.response.is_done():
                await interaction.followup.send(**kwargs)
            else:
                await interaction.response.send_message(**kwargs)
        except discord.HTTPException as exc:
            self._failed("reply", exc)

    async def _store_pages(
        self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool
    ) -> list[Page] | None:
        """Keep the reply for its Prev/Next buttons and render it with them; None if it cannot be kept
        (the first page then goes out without paging rather than not at all)."""
        key = await self.replies.save(workspace_of(interaction.guild_id), replace(reply, ephemeral=ephemeral))
        return to_pages(reply, ephemeral=ephemeral, page_token=key) if key is not None else None

    async def _load_pages(self, interaction: discord.Interaction, key: str) -> list[Page] | None:
        reply = await self.replies.load(workspace_of(interaction.guild_id), key)
        return to_pages(reply, page_token=key) if reply is not None else None

    async def _lang_of(self, interaction: discord.Interaction) -> str:
        """The language the router would answer this person in (the server's setting, else their locale)."""
        return await self.app.router.lang_for(
            PLATFORM_NAME, workspace_of(interaction.guild_id), locale=locale_of(interaction)
        )

    async def _canned(self, interaction: discord.Interaction, make: Callable[[], Reply]) -> Reply:
        """A canned reply (expired, went wrong) in the language the router would answer this person in."""
        lang = await self._lang_of(interaction)
        with use_lang(lang):
            return replace(make(), lang=lang)

    def _failed(self, what: str, exc: discord.HTTPException) -> None:
        self.errors.append(f"{what}: {exc.status} {getattr(exc, 'code', 0)}")
        log.warning("Discord: %s failed (%s, code %s)", what, exc.status, getattr(exc, "code", 0))

    async def _tree_check(self, interaction: discord.Interaction) -> bool:
        """Whether the tree runs ``interaction``: an autocomplete focused on anything but the query gets no
        suggestions at once."""
        if interaction.type is discord.InteractionType.autocomplete and not completes(dict(interaction.data or {})):
            try:
                await interaction.response.autocomplete([])
            except discord.HTTPException as exc:
                self._failed("autocomplete", exc)
            return False
        return True

    async def _tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """A command discord.py could not run. One it does not know (a name or kind we never registered, or no
        longer do) is answered politely and logged without a traceback. Anything else is a bug, logged with its
        traceback as discord.py would; nothing more is sent (the answer itself may be what failed, half-way)."""
        if not isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            log.error("Discord: a command failed", exc_info=error)
            return
        log.warning("Discord: a command we cannot run (%s: %s)", type(error).__name__, str(error)[:200])
        if interaction.type is discord.InteractionType.autocomplete:
            try:
                await interaction.response.autocomplete([])
            except discord.HTTPException as exc:
                self._failed("autocomplete", exc)
            return
        await self._send(interaction, await self._canned(interaction, command_unknown), ephemeral=True)

    # -- buttons --------------------------------------------------------------
    async def on_component(self, interaction: discord.Interaction) -> None:
        data: dict[str, Any] = dict(interaction.data or {})
        parsed = parse_custom_id(str(data.get("custom_id", "")))
        if parsed is None:
            await self._send(interaction, await self._canned(interaction, expired), ephemeral=True)
            return
        action, value = parsed
        if action == "share":
            await self._share(interaction)
            return
        if action == "page":
            await self._page(interaction, value)
            return
        act = component_action(interaction, admins=self.settings.admins)
        assert act is not None  # parsed above
        if action == votes.DOWN and await self._open_feedback_form(interaction, act):
            return
        await self._answer(interaction, self._handle_action(act), ephemeral=True)

    async def _open_feedback_form(self, interaction: discord.Interaction, act: Action) -> bool:
        """Answer a 👎 with the form (the modal is the response), then record the vote; False if not sent."""
        answer = votes.answer_id(act.value)
        if answer is None:
            return False
        try:
            lang = await self.app.router.lang_of(act)
            await interaction.response.send_modal(vote_form.feedback_modal(answer, lang))
        except discord.HTTPException as exc:
            self._failed("feedback form", exc)
            return False
        await self._handle_action(act)
        return True

    async def on_modal(self, interaction: discord.Interaction) -> None:
        """A submitted form: the 👎 reason and comment."""
        act = component_action(interaction, admins=self.settings.admins)
        if act is None or act.action != votes.REASON:
            await self._send(interaction, await self._canned(interaction, expired), ephemeral=True)
            return
        act = vote_form.with_form_values(act, dict(interaction.data or {}))
        await self._answer(interaction, self._handle_action(act), ephemeral=True)

    async def _handle_action(self, action: Action) -> Reply | None:
        return await self.app.router.handle_action(action)

    async def _share(self, interaction: discord.Interaction) -> None:
        """Post the ephemeral answer the button sits on for everyone in the channel."""
        message = interaction.message
        embeds = list(message.embeds) if message is not None else []
        if not embeds:
            await self._send(interaction, await self._canned(interaction, expired), ephemeral=True)
            return
        lang = await self._lang_of(interaction)
        with use_lang(lang):
            who = interaction.user.mention if interaction.user else _("Someone")
            content = _("{who} shared an answer:").format(who=who)
        try:
            await interaction.response.send_message(
                content=content,
                embeds=embeds[:10],
                ephemeral=False,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as exc:
            self._failed("share", exc)

    async def _page(self, interaction: discord.Interaction, value: str) -> None:
        token, _sep, number = value.rpartition(":")
        pages = await self._load_pages(interaction, token) if token and number.isdigit() else None
        if pages is None:
            await self._send(interaction, await self._canned(interaction, list_expired), ephemeral=True)
            return
        n = min(int(number), len(pages) - 1)
        view = to_view(pages[n])
        try:
            await interaction.response.edit_message(
                embeds=to_embed_objects(pages[n]), view=view, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException as exc:
            self._failed("page", exc)

    # -- DMs --------------------------------------------------------------------
    async def on_dm(self, message: discord.Message) -> None:
        request = dm_request(message, me=self.client.user, admins=self.settings.admins)
        if request is None:
            return
        reply = await self.app.router.handle(request)
        page = to_pages(reply, ephemeral=False)[0]
        view = to_view(page)
        kwargs: dict[str, Any] = {"embeds": to_embed_objects(page), "allowed_mentions": discord.AllowedMentions.none()}
        if view is not None:
            kwargs["view"] = view
        try:
            await message.channel.send(**kwargs)
        except discord.HTTPException as exc:
            self._failed("dm reply", exc)

    async def on_dm_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A person edited a DM: a check-in answer it held follows (the report reply on the next tick)."""
        me = self.client.user
        edited = dm_edit(dict(payload.data), guild_id=payload.guild_id, me_id=me.id if me else None)
        if edited is None or not edited[1]:
            return
        user, message_id, text = edited
        await record_edit(self.app, platform=PLATFORM_NAME, user=user, message_id=message_id, text=text)

    # -- life cycle -----------------------------------------------------------
    async def close(self) -> None:
        # discord.py's "wait for guilds, then dispatch ready" task outlives close() if we stop
        # within its 2 s window; cancel it so it cannot dispatch into a closed client.
        ready_task = getattr(self.client._connection, "_ready_task", None)
        if ready_task is not None and not ready_task.done():
            ready_task.cancel()
        if not self.client.is_closed():
            await self.client.close()
