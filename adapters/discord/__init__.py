"""Discord adapter: application commands, embeds, buttons and DMs on discord.py."""

from adapters.discord.platform import PLATFORM

__all__ = ["PLATFORM"]
