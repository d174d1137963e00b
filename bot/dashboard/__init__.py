"""The team's web dashboard: server-rendered pages beside the bot's HTTP endpoints, signed in from chat.

* ``auth``: the signing key (made once, kept in the database), one-time sign-in links, sessions, CSRF tokens.
* ``data``: what the pages show, read from the team's tables (no second copy of a feature's logic).
* ``charts``: SVG charts with a title, a description and the data as a table beside them.
* ``views``: the aiohttp routes (``mount``), the security headers and the forms' handlers; every change a
  page makes calls the same core function as the chat command.
"""

from __future__ import annotations

__all__ = ["LINK_TTL", "SESSION_TTL"]

from datetime import timedelta

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
