"""``/cos-risk accept <topic> until YYYY-MM-DD because <reason>``: reading it, and showing it in the register."""

from __future__ import annotations

import re
from datetime import date

from bot.kernel.errors import UserError
from bot.kernel.lang import N_, _
from bot.kernel.reply import mention
from bot.team.availability import clean_note, parse_day
from bot.team.models import RiskItem

__all__ = ["parse_accept", "accepted_note", "MAX_ACCEPT_DAYS"]

MAX_ACCEPT_DAYS = 2 * 366
_USAGE = N_("`/cos-risk accept transfer pricing until 2027-06-30 because we only sell domestically this year`")
_FORM = re.compile(r"^(?P<topic>.+?)\s+until\s+(?P<until>\S+)\s+because\s+(?P<reason>.+)$", re.I | re.S)


def parse_accept(text: str, *, today: date) -> tuple[str, date, str]:
    """Topic, last day of the acceptance, reason; ``UserError`` for anything else."""
    m = _FORM.match(text.strip())
    if m is None:
        raise UserError(_("Say what, until when and why, e.g. {usage}.").format(usage=_(_USAGE)))
    until = parse_day(m.group("until"), _(_USAGE))
    if until < today:
        raise UserError(_("{until} is in the past; accept a risk until a future date.").format(until=until))
    if (until - today).days > MAX_ACCEPT_DAYS:
        raise UserError(_("Accept a risk for at most two years, then look at it again."))
    reason = clean_note(m.group("reason").strip(), 300)
    if len(reason) < 3:
        raise UserError(_("Give a reason others can read, e.g. {usage}.").format(usage=_(_USAGE)))
    return m.group("topic").strip(), until, reason


def accepted_note(item: RiskItem, today: date) -> str:
    """`` — accepted until …`` for the register, while the acceptance holds."""
    if item.accepted_until is None or item.accepted_until < today:
        return ""
    who = mention(item.accepted_by) if item.accepted_by else "an admin"
    return f" — accepted by {who} until {item.accepted_until}: {item.accepted_reason or ''}"
