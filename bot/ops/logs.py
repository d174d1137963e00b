"""Logging that never prints a secret."""

from __future__ import annotations

import json
import logging
import re
import sys

__all__ = ["configure_logging", "redact"]

_SECRET_PATTERNS = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),  # Slack tokens
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"[MN][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}"),  # Discord bot tokens
    re.compile(r"(?i)(authorization:\s*)(bot|bearer)\s+\S+"),
    re.compile(r"(?i)((?:password|secret|token)=)[^&\s]+"),
    re.compile(r"(postgres(?:ql)?(?:\+asyncpg)?://[^:/\s]+:)[^@\s]+@"),
)


def redact(text: str) -> str:
    """Mask anything that looks like a token, password or signing secret."""
    for pattern in _SECRET_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "***" + ("@" if m.group(0).endswith("@") else ""), text)
        else:
            text = pattern.sub("***", text)
    return text


class _RedactingFormatter(logging.Formatter):
    def __init__(self, *, as_json: bool, secrets: tuple[str, ...]) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.as_json = as_json
        self.secrets = tuple(s for s in secrets if s and len(s) >= 6)

    def format(self, record: logging.LogRecord) -> str:
        if self.as_json:
            payload = {
                "ts": self.formatTime(record),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            # Request and delivery lines (bot.ops.observe) carry their fields as keys.
            fields = getattr(record, "cos_fields", None)
            if isinstance(fields, dict):
                payload["message"] = getattr(record, "cos_event", payload["message"])
                payload.update({k: v for k, v in fields.items() if k not in payload})
            if record.exc_info:
                payload["exc"] = self.formatException(record.exc_info)
            text = json.dumps(payload, ensure_ascii=False)
        else:
            text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return redact(text)


def configure_logging(level: str = "INFO", *, as_json: bool = False, secrets: tuple[str, ...] = ()) -> None:
    """Send logs to stderr, redacted; idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_cos_bot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter(as_json=as_json, secrets=secrets))
    handler._cos_bot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("aiosqlite", "asyncio", "alembic.runtime.migration", "discord.gateway", "apscheduler"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
