"""The honest "I can't answer that from the overview" reply."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answering.render import DOCUMENT
from bot.kernel.reply import Button, Reply, Section
from knowledge import Entry

__all__ = ["cannot_answer", "SCOPE"]

# What each command does answer, said whenever it cannot.
SCOPE = {
    "cos-service": "`/cos-service` answers questions about business services, service areas and recommended "
    "providers for a commercial open source company: legal, talent, enterprise technology, "
    "training, policy, business models, the development path and success cases.",
    "cos-risk": "`/cos-risk` answers questions about business risks, corporate governance and international "
    "compliance (data protection, export control, antitrust, tax): what helps and who can help.",
}


def cannot_answer(
    quoted: str,
    command: str,
    *,
    nearest: Sequence[Entry] = (),
    did_you_mean: Sequence[str] = (),
    examples: Sequence[str] = (),
) -> Reply:
    """No answer for ``quoted`` (already made safe to show): what the command answers, the nearest topics.

    ``nearest`` entries become "Did you mean" buttons (and the reply's results);
    ``did_you_mean`` are titles found from spelling alone, listed when nothing is near.
    """
    sections = [
        Section(text=f"I can't answer “{quoted}” from the *{DOCUMENT}*."),
        Section(text=SCOPE.get(command, SCOPE["cos-service"])),
    ]
    if nearest:
        sections.append(Section(heading="Did you mean", bullets=tuple(e.title for e in nearest)))
    elif did_you_mean:
        sections.append(Section(heading="Did you mean", bullets=tuple(did_you_mean)))
    if examples:
        sections.append(Section(heading="Try", bullets=tuple(examples[:4])))
    return Reply(
        title="No match",
        sections=tuple(sections),
        buttons=tuple(Button(e.title[:70], "open", e.id) for e in nearest[:3]),
        footer=f"`/{command} overview` lists every topic. Source searched: {DOCUMENT}.",
        results=tuple(e.id for e in nearest[:3]),
        matched=False,
    )
