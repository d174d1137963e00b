"""One error hierarchy for the whole bot."""

from __future__ import annotations

from bot.kernel.lang import N_

__all__ = [
    "CosBotError",
    "UserError",
    "PermissionDenied",
    "NotFound",
    "ConfigError",
    "DeliveryError",
    "DatabaseUnavailable",
]


class CosBotError(Exception):
    """Root of every error the bot raises on purpose."""


class UserError(CosBotError):
    """Bad input from a person; ``str(err)`` is a message they can act on."""


class PermissionDenied(UserError):
    """The person may not do this; the message says why and who can."""


class NotFound(UserError):
    """What the person named does not exist in their workspace (a web page answers it with 404)."""


class ConfigError(CosBotError):
    """Settings are missing or invalid; raised at start-up, never in a chat."""


class DeliveryError(CosBotError):
    """A platform refused or failed a send.

    ``permanent`` means retrying cannot help (closed DM, unknown channel);
    ``retry_after`` is the platform's own wait hint in seconds, when given.
    """

    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.code = code


class DatabaseUnavailable(CosBotError):
    """The database refused, reset, timed out, is locked or read-only: nothing the person did wrong.

    ``str(err)`` is the reply a person reads; ``cause`` names the driver's error class (for the log).
    """

    MESSAGE = N_("The database is unavailable right now; try again in a minute.")

    def __init__(self, cause: str = "") -> None:
        super().__init__(self.MESSAGE)
        self.cause = cause
