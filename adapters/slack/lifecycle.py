"""Slack tells us when the app leaves or comes back: ``app_uninstalled``, ``tokens_revoked``, a new installation.

Leaving (the workspace uninstalled the app, or its bot token was revoked): schedules stop,
queued deliveries are dropped, the installation rows go, and the workspace's data is deleted
after ``COS_UNINSTALL_RETENTION_DAYS`` (``bot.privacy.app_removed``). An OAuth installation of
that workspace within the period finds its data and restarts its schedules (``app_added``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from adapters.slack.translate import PLATFORM_NAME, workspace_key
from bot.privacy import app_added, app_removed

if TYPE_CHECKING:
    from adapters.slack.adapter import SlackAdapter
    from bot.app import App

__all__ = ["register", "ReinstallAwareStore"]

log = logging.getLogger("adapters.slack")


class ReinstallAwareStore(AsyncSQLAlchemyInstallationStore):
    """The SDK's installation store; saving an installation also tells the core the workspace is back."""

    def __init__(self, app: App, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(installation)
        workspace = workspace_key(team_id=installation.team_id, enterprise_id=installation.enterprise_id)
        if await app_added(self.app, platform=PLATFORM_NAME, workspace=workspace):
            log.info("slack workspace %s installed the app again; its data is kept", workspace)


def _workspace(body: dict[str, Any], context: Any) -> str:
    return workspace_key(
        team_id=body.get("team_id") or context.team_id, enterprise_id=body.get("enterprise_id") or context.enterprise_id
    )


def register(adapter: SlackAdapter) -> None:
    """Listen for ``app_uninstalled`` and ``tokens_revoked`` (in place of Bolt's built-in listeners, which
    only delete the installation)."""

    async def removed(body: dict[str, Any], context: Any) -> None:
        event_id = str(body.get("event_id") or "")
        if event_id and not await adapter.events.first_time(event_id):
            return
        workspace = _workspace(body, context)
        counts = await app_removed(adapter.app, platform=PLATFORM_NAME, workspace=workspace)
        log.info(
            "slack workspace %s removed the app (%s)",
            workspace,
            ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "nothing stored",
        )

    async def on_app_uninstalled(body: dict[str, Any], context: Any) -> None:
        await removed(body, context)

    async def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        tokens = event.get("tokens") or {}
        if tokens.get("bot"):
            await removed(body, context)  # without its bot token the app can do nothing there
            return
        store = adapter.installation_store
        for user in tokens.get("oauth") or []:
            if store is not None:
                await store.async_delete_installation(
                    enterprise_id=context.enterprise_id, team_id=context.team_id, user_id=str(user)
                )

    adapter.bolt.event("app_uninstalled")(on_app_uninstalled)
    adapter.bolt.event("tokens_revoked")(on_tokens_revoked)
