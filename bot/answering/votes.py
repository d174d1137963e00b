"""The 👍/👎 on knowledge answers, as every platform shows it: buttons and the short 👎 form.

The core puts two ordinary buttons on each knowledge answer (actions ``feedback-up`` and
``feedback-down``, the answer id as value). A 👎 opens a form where the platform has one
(a Slack modal, a Discord modal) with the fields below; its submission comes back to the core
as the action ``feedback-reason`` whose value is :func:`reason_value`.
"""

from __future__ import annotations

import json

from bot.kernel.errors import UserError
from bot.kernel.reply import Button
from bot.kernel.safety import InputProblem, clean_input

__all__ = [
    "UP",
    "DOWN",
    "REASON",
    "REASONS",
    "COMMENT_LIMIT",
    "FORM_TITLE",
    "buttons",
    "reason_value",
    "read_reason_value",
    "clean_comment",
    "answer_id",
]

UP = "feedback-up"
DOWN = "feedback-down"
REASON = "feedback-reason"
# What was wrong with an answer (value, label), in the form's order.
REASONS: tuple[tuple[str, str], ...] = (
    ("wrong_topic", "Wrong topic"),
    ("out_of_date", "Out of date"),
    ("missing_provider", "Missing provider"),
    ("other", "Other"),
)
COMMENT_LIMIT = 300
FORM_TITLE = "What was wrong?"
COMMENT_LABEL = "Anything to add? (optional)"
REASON_LABEL = "The answer was"


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
        raise UserError("That form has expired. Press 👎 on the answer again.")
    reason = data.get("r")
    if reason not in {r for r, _ in REASONS}:
        raise UserError("Pick what was wrong: " + ", ".join(label.lower() for _, label in REASONS) + ".")
    comment = data.get("c")
    return int(data["a"]), str(reason), clean_comment(comment if isinstance(comment, str) else "")


def clean_comment(text: str) -> str | None:
    """A comment cleaned like any input (control characters, mentions); at most 300 characters; None if empty."""
    try:
        cleaned = clean_input(text)
    except InputProblem as exc:
        raise UserError(f"The comment is too long: at most {COMMENT_LIMIT} characters, please.") from exc
    if len(cleaned) > COMMENT_LIMIT:
        raise UserError(f"The comment is {len(cleaned)} characters long; at most {COMMENT_LIMIT}, please.")
    return cleaned or None
