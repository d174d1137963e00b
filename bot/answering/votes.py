"""The 👍/👎 on knowledge answers, as every platform shows it: buttons and the short 👎 form.

The core puts two ordinary buttons on each knowledge answer (actions ``feedback-up`` and
``feedback-down``, the answer id as value). A 👎 opens a form where the platform has one
(a Slack modal, a Discord modal) with the fields below; its submission comes back to the core
as the action ``feedback-reason`` whose value is :func:`reason_value`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _, in_lang
from bot.kernel.reply import Button
from bot.kernel.safety import InputProblem, clean_input

__all__ = [
    "UP",
    "DOWN",
    "REASON",
    "REASONS",
    "COMMENT_LIMIT",
    "FORM_TITLE",
    "Form",
    "form",
    "buttons",
    "reason_value",
    "read_reason_value",
    "clean_comment",
    "answer_id",
]

UP = "feedback-up"
DOWN = "feedback-down"
REASON = "feedback-reason"
# What was wrong with an answer (value, label), in the form's order; the labels are translated by ``form``.
REASONS: tuple[tuple[str, str], ...] = (
    ("wrong_topic", N_("Wrong topic")),
    ("out_of_date", N_("Out of date")),
    ("missing_provider", N_("Missing provider")),
    ("other", N_("Other")),
)
COMMENT_LIMIT = 300
FORM_TITLE = N_("What was wrong?")
COMMENT_LABEL = N_("Anything to add? (optional)")
REASON_LABEL = N_("The answer was")
SEND = N_("Send")
CANCEL = N_("Cancel")


@dataclass(frozen=True, slots=True)
class Form:
    """The 👎 form's words in one language."""

    title: str
    reason_label: str
    comment_label: str
    reasons: tuple[tuple[str, str], ...]  # (value, label)
    send: str
    cancel: str


def form(lang: str) -> Form:
    """The form worded in ``lang`` (the language the person's replies take)."""
    return Form(
        title=in_lang(lang, FORM_TITLE),
        reason_label=in_lang(lang, REASON_LABEL),
        comment_label=in_lang(lang, COMMENT_LABEL),
        reasons=tuple((value, in_lang(lang, label)) for value, label in REASONS),
        send=in_lang(lang, SEND),
        cancel=in_lang(lang, CANCEL),
    )


def buttons(answer: int) -> tuple[Button, Button]:
    """👍 and 👎 for the answer logged as ``answer``."""
    return (Button("👍", UP, str(answer)), Button("👎", DOWN, str(answer)))


def answer_id(value: str) -> int | None:
    """The answer id a feedback button carries, or None when it is not one."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 19 and int(value) < 2**63 else None


def reason_value(answer: int, reason: str, comment: str | None) -> str:
    """The value of a ``feedback-reason`` action: what the form said about ``answer``."""
    return json.dumps({"a": answer, "r": reason, "c": comment or ""}, ensure_ascii=False, separators=(",", ":"))


def read_reason_value(value: str) -> tuple[int, str, str | None]:
    """(answer id, reason, cleaned comment or None) from a form submission; ``UserError`` when it is bad."""
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        raise UserError(_("That form has expired. Press 👎 on the answer again."))
    reason = data.get("r")
    if reason not in {r for r, _label in REASONS}:
        raise UserError(
            _("Pick what was wrong: {reasons}.").format(reasons=", ".join(_(label).lower() for _v, label in REASONS))
        )
    comment = data.get("c")
    return int(data["a"]), str(reason), clean_comment(comment if isinstance(comment, str) else "")


def clean_comment(text: str) -> str | None:
    """A comment cleaned like any input (control characters, mentions); at most 300 characters; None if empty."""
    try:
        cleaned = clean_input(text)
    except InputProblem as exc:
        raise UserError(
            _("The comment is too long: at most {limit} characters, please.").format(limit=COMMENT_LIMIT)
        ) from exc
    if len(cleaned) > COMMENT_LIMIT:
        raise UserError(
            _("The comment is {length} characters long; at most {limit}, please.").format(
                length=len(cleaned), limit=COMMENT_LIMIT
            )
        )
    return cleaned or None
