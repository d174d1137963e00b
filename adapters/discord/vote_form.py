"""The 👎 form on Discord: a modal sent as the button's response (callback type 9), read back
from the MODAL_SUBMIT interaction (type 5).

The modal's custom id is ``cos:feedback-reason:<answer id>``; it is handled by custom id in
``on_interaction`` like our buttons (stateless: any replica, after a restart), so discord.py
is not asked to keep the Modal object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import discord

from adapters.discord.render import custom_id
from bot.answering import votes
from bot.kernel.router import Action

__all__ = ["feedback_modal", "form_values", "with_form_values"]

_REASON = "reason"
_COMMENT = "comment"


def feedback_modal(answer: int, lang: str = "en") -> discord.ui.Modal:
    """What was wrong (a select of four) and an optional comment (at most 300 characters), worded in ``lang``."""
    words = votes.form(lang)
    modal = discord.ui.Modal(
        title=words.title, timeout=None, custom_id=custom_id(votes.REASON, str(answer)) or "cos:expired:"
    )
    modal.add_item(
        discord.ui.Label(
            text=words.reason_label,
            component=discord.ui.Select(
                custom_id=_REASON,
                min_values=1,
                max_values=1,
                options=[discord.SelectOption(label=label, value=value) for value, label in words.reasons],
            ),
        )
    )
    modal.add_item(
        discord.ui.Label(
            text=words.comment_label,
            component=discord.ui.TextInput(
                custom_id=_COMMENT, style=discord.TextStyle.paragraph, required=False, max_length=votes.COMMENT_LIMIT
            ),
        )
    )
    # Handled by custom id when submitted (on any replica): discord.py must not keep it.
    modal.stop()
    return modal


def _walk(components: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for c in components:
        if not isinstance(c, dict):
            continue
        yield c
        if isinstance(c.get("component"), dict):
            yield from _walk([c["component"]])
        if isinstance(c.get("components"), list):
            yield from _walk(c["components"])


def form_values(data: dict[str, Any]) -> tuple[str, str]:
    """(reason, comment) from a MODAL_SUBMIT's ``data`` (labels, or the older action rows)."""
    reason, comment = "", ""
    for c in _walk(data.get("components") or ()):
        if c.get("custom_id") == _REASON:
            values = c.get("values") or ([c["value"]] if c.get("value") else [])
            reason = str(values[0]) if values else ""
        elif c.get("custom_id") == _COMMENT:
            comment = str(c.get("value") or "")
    return reason, comment


def with_form_values(action: Action, data: dict[str, Any]) -> Action:
    """The modal's action (value: the answer id) carrying what the form said."""
    answer = votes.answer_id(action.value)
    reason, comment = form_values(data)
    value = votes.reason_value(answer, reason, comment[:2000]) if answer is not None else ""
    return replace(action, value=value)
