"""The command names in one table: the router, the metrics, the adapters and the deferred loading read it.

``/cos-service`` and ``/cos-risk`` are the commands (``service``, ``risks`` ... are accepted as typed in a DM
or the console); ``message`` is free text in a DM. ``TEAM_WORDS`` are the first words of the team's
sub-commands: the router routes them before their features are imported (``Router.defer``), and
tests/bot/test_team_deferred.py keeps the list in step with what the features register.
``KNOWLEDGE_WORDS`` are knowledge sub-commands of their own (``/cos-service overview``): a metric label keeps
them, never the free text of a question.
"""

from __future__ import annotations

__all__ = ["SERVICE", "RISK", "COMMANDS", "DM", "ALIASES", "TEAM_WORDS", "KNOWLEDGE_WORDS", "canonical", "parse_line"]

SERVICE, RISK = "cos-service", "cos-risk"
COMMANDS = (SERVICE, RISK)
DM = "message"
ALIASES: dict[str, str] = {
    SERVICE: SERVICE,
    "service": SERVICE,
    "services": SERVICE,
    RISK: RISK,
    "risk": RISK,
    "risks": RISK,
}
TEAM_WORDS: dict[str, tuple[str, ...]] = {
    SERVICE: (
        "audit",
        "away",
        "back",
        "check-in",
        "checkin",
        "dashboard",
        "digest",
        "forget",
        "gaps",
        "holiday",
        "holidays",
        "language",
        "milestone",
        "milestones",
        "pause",
        "resume",
        "schedules",
        "skip",
        "snooze",
        "stage",
        "stats",
        "teach",
        "timezone",
        "unschedule",
        "语言",
    ),
    RISK: ("accept", "owner", "register", "review", "schedule"),
}
KNOWLEDGE_WORDS = frozenset({"help", "overview", "providers", "milestones", "cases", "register"})


def canonical(name: str) -> str | None:
    """``/cos-service``, ``Service``, ``risks`` → the command's name; anything else → None."""
    return ALIASES.get(name.strip().lstrip("/").lower())


def parse_line(line: str) -> tuple[str, str] | None:
    """Split ``/cos-service legal`` (or ``service legal``) into command and text; None when it names none."""
    stripped = line.strip()
    if not stripped:
        return None
    head, _, rest = stripped.partition(" ")
    command = canonical(head)
    if command is None:
        return None
    return command, rest.strip()
