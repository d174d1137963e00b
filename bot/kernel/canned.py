"""The replies every platform gives when a button is stale or something failed: worded once."""

from __future__ import annotations

from bot.kernel.lang import _
from bot.kernel.reply import Reply, Section

__all__ = ["polite", "expired", "went_wrong", "list_expired"]


def polite(title: str, text: str, *, error: str | None = None) -> Reply:
    """A one-paragraph reply that says what happened and what to do; ``error`` marks it as a failure."""
    return Reply(title=title, sections=(Section(text=text),), error=error or title)


def expired() -> Reply:
    """A button whose answer or topic is gone (too old, forged, or from an older version)."""
    return polite(
        _("That button has expired"),
        _(
            "The answer behind it is no longer available. Ask again with `/cos-service` or `/cos-risk` to get a "
            "fresh one."
        ),
        error="stale action",
    )


def list_expired() -> Reply:
    """Prev/Next of a paged answer whose pages are gone."""
    return polite(_("That list has expired"), _("Ask again to see the other pages."), error="stale action")


def went_wrong(error_id: str | None = None, *, what: str | None = None) -> Reply:
    """An unexpected failure; with ``error_id``, the id an admin finds in the logs. ``what`` (already in the
    reply's language) is what could not be done: "answer that" by default."""
    what = what or _("answer that")
    if error_id is None:
        return polite(
            _("Something went wrong"),
            _("I could not {what} just now. Please try again.").format(what=what),
            error="internal",
        )
    return polite(
        _("Something went wrong"),
        _(
            "I could not {what} just now. Please try again; if it keeps happening, tell your admin the error id "
            "`{error_id}`."
        ).format(what=what, error_id=error_id),
        error=f"internal error {error_id}",
    )
