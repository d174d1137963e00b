"""Slack adapter: slash commands, Block Kit, buttons, App Home, DMs, multi-workspace install."""

from adapters.slack.platform import PLATFORM

__all__ = ["PLATFORM"]
