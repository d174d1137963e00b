"""One settings object, read from the environment (and ``.env``) once at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.kernel.clock import canonical_zone
from bot.kernel.errors import ConfigError

__all__ = ["Settings", "load_settings", "DEFAULT_DB_URL"]

DEFAULT_DB_URL = "sqlite+aiosqlite:///./data/cos-bot.db"
_PLACEHOLDERS = {"changeme", "change-me", "xxx", "todo", "your-token-here", "secret", "placeholder"}


def _read_dotenv(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def _secret(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if value.lower() in _PLACEHOLDERS:
        raise ConfigError(f"{name} is set to a placeholder value; set the real value or unset it.")
    return value


def _normalise_db_url(url: str) -> str:
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Secrets are never part of ``repr``."""

    database_url: str = DEFAULT_DB_URL
    knowledge_dirs: tuple[Path, ...] = ()
    admins: frozenset[str] = frozenset()
    default_tz: str = "UTC"
    log_level: str = "INFO"
    log_json: bool = False
    port: int = 3000
    # Slack
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_api_url: str | None = None
    # Discord
    discord_token: str | None = field(default=None, repr=False)
    discord_application_id: str | None = None
    discord_guild_id: str | None = None
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    discord_public_key: str | None = None  # hex Ed25519 key of the application (Interactions Endpoint URL)
    discord_shard_count: int = 1  # 0: ask Discord (GET /gateway/bot)
    discord_lease_seconds: float = 5.0  # how often replicas check and claim gateway shards (PostgreSQL)
    # Scheduler
    scheduler_enabled: bool = True
    poll_seconds: float = 5.0
    grace_minutes: int = 120
    dm_fallback: str = "channel"  # "channel" | "none"
    max_attempts: int = 6
    instance_id: str = ""
    # Days an uninstalled workspace's data is kept (a reinstall finds it); 0 deletes it at once.
    uninstall_retention_days: int = 30
    # Port of /healthz, /readyz and /metrics for ``cos-bot run`` when Slack's HTTP server is not running.
    http_port: int | None = None
    # Where the parsed knowledge is cached between runs (None: not cached).
    cache_dir: Path | None = None
    # Knowledge questions (and the votes on them) are kept this many days.
    question_retention_days: int = 90
    # Team rhythm: escalate overdue risk reviews after this many days; note deliveries this late.
    escalate_days: int = 7
    late_note_minutes: int = 10
    max_claims: int = 5  # COS_MAX_CLAIMS: lost leases before a row is dead-lettered as poison
    slack_workspace_rate: float | None = None  # COS_SLACK_WORKSPACE_RATE: pin it (messages/s); else learned
    # Database time limits in seconds (COS_DB_*_TIMEOUT): connect, one statement (SQLite: a locked file),
    # a free pool connection, and all the database waits of one chat request.
    db_connect_timeout: float = 5.0
    db_command_timeout: float = 10.0
    db_pool_timeout: float = 10.0
    db_request_timeout: float = 2.0

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token or self.slack_client_id or self.slack_app_token)

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _cache_dir(value: str, env: Mapping[str, str]) -> Path | None:
    if value.lower() in {"off", "none", "0", "false", "no"}:
        return None
    if value:
        return Path(value).expanduser()
    # The XDG base directory spec: $XDG_CACHE_HOME when absolute, else ~/.cache.
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "cos-bot"
    home = env.get("HOME", "").strip()
    return Path(home) / ".cache" / "cos-bot" if home else None


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")) -> Settings:
    """Build settings from ``env`` (default: the process environment plus ``.env``).

    Fails fast with ``ConfigError`` on values that cannot work.
    """
    merged: dict[str, str] = {}
    if dotenv is not None:
        merged.update(_read_dotenv(dotenv))
    merged.update(os.environ if env is None else env)

    def get(name: str, default: str = "") -> str:
        return merged.get(name, default).strip()

    raw_tz = get("COS_DEFAULT_TZ", "UTC") or "UTC"
    tz = canonical_zone(raw_tz)
    if tz is None:
        raise ConfigError(f"COS_DEFAULT_TZ={raw_tz!r} is not an IANA time zone (for example Europe/Berlin).")
    port_raw = get("PORT", "3000") or "3000"
    if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
        raise ConfigError(f"PORT={port_raw!r} must be a port number from 1 to 65535.")
    poll_seconds = _seconds("COS_POLL_SECONDS", get("COS_POLL_SECONDS", "5") or "5")
    grace = get("COS_GRACE_MINUTES", "120") or "120"
    if not grace.isdigit():
        raise ConfigError(f"COS_GRACE_MINUTES={grace!r} must be a whole number of minutes.")
    fallback = get("COS_DM_FALLBACK", "channel") or "channel"
    if fallback not in {"channel", "none"}:
        raise ConfigError("COS_DM_FALLBACK must be 'channel' or 'none'.")
    dirs = tuple(Path(p) for p in get("COS_KNOWLEDGE_DIR").split(os.pathsep) if p)
    admins = frozenset(a.strip() for a in get("COS_ADMINS").replace(";", ",").split(",") if a.strip())
    max_claims = get("COS_MAX_CLAIMS", "5") or "5"
    if not max_claims.isdigit() or int(max_claims) < 1:
        raise ConfigError(f"COS_MAX_CLAIMS={max_claims!r} must be a whole number of claims, 1 or more.")
    raw_rate = get("COS_SLACK_WORKSPACE_RATE")
    slack_rate: float | None = None
    if raw_rate:
        try:
            slack_rate = float(raw_rate)
        except ValueError:
            slack_rate = 0.0
        if not 0 < slack_rate <= 1000:
            raise ConfigError(
                f"COS_SLACK_WORKSPACE_RATE={raw_rate!r} must be messages per second, above 0 "
                "(for example 5), or unset to learn it."
            )
    level = (get("LOG_LEVEL", "INFO") or "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR.")
    retention = get("COS_QUESTION_RETENTION_DAYS", "90") or "90"
    if not retention.isdigit() or int(retention) < 1:
        raise ConfigError(f"COS_QUESTION_RETENTION_DAYS={retention!r} must be a whole number of days, at least 1.")
    public_key = get("DISCORD_PUBLIC_KEY") or None
    if public_key is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", public_key):
        raise ConfigError(
            "DISCORD_PUBLIC_KEY must be the application's public key: 64 hexadecimal characters "
            "(Developer Portal → General Information → Public Key)."
        )
    shards_raw = (get("DISCORD_SHARD_COUNT", "1") or "1").lower()
    if shards_raw != "auto" and not (shards_raw.isdigit() and 1 <= int(shards_raw) <= 1024):
        raise ConfigError(f"DISCORD_SHARD_COUNT={shards_raw!r} must be a number of shards from 1 to 1024, or 'auto'.")
    lease_seconds = _seconds("DISCORD_LEASE_SECONDS", get("DISCORD_LEASE_SECONDS", "5") or "5")
    return Settings(
        database_url=_normalise_db_url(get("DATABASE_URL") or DEFAULT_DB_URL),
        knowledge_dirs=dirs,
        admins=admins,
        default_tz=tz,
        log_level=level,
        log_json=_flag(merged.get("LOG_JSON"), False),
        port=int(port_raw),
        slack_bot_token=_secret(merged, "SLACK_BOT_TOKEN"),
        slack_signing_secret=_secret(merged, "SLACK_SIGNING_SECRET"),
        slack_app_token=_secret(merged, "SLACK_APP_TOKEN"),
        slack_client_id=get("SLACK_CLIENT_ID") or None,
        slack_client_secret=_secret(merged, "SLACK_CLIENT_SECRET"),
        slack_api_url=get("SLACK_API_URL") or None,
        discord_token=_secret(merged, "DISCORD_TOKEN"),
        discord_application_id=get("DISCORD_APPLICATION_ID") or None,
        discord_guild_id=get("DISCORD_GUILD_ID") or None,
        discord_api_base=get("DISCORD_API_BASE") or None,
        discord_gateway_url=get("DISCORD_GATEWAY_URL") or None,
        discord_public_key=public_key.lower() if public_key else None,
        discord_shard_count=0 if shards_raw == "auto" else int(shards_raw),
        discord_lease_seconds=min(60.0, max(0.2, lease_seconds)),
        scheduler_enabled=_flag(merged.get("COS_SCHEDULER"), True),
        poll_seconds=max(0.5, poll_seconds),
        grace_minutes=int(grace),
        dm_fallback=fallback,
        max_attempts=max(1, int(get("COS_MAX_ATTEMPTS", "6") or "6"))
        if (get("COS_MAX_ATTEMPTS", "6") or "6").isdigit()
        else 6,
        instance_id=get("COS_INSTANCE_ID"),
        uninstall_retention_days=_retention_days(get("COS_UNINSTALL_RETENTION_DAYS", "30") or "30"),
        http_port=_http_port(get("COS_HTTP_PORT")),
        cache_dir=_cache_dir(get("COS_CACHE_DIR"), merged),
        question_retention_days=int(retention),
        escalate_days=_whole(get("COS_ESCALATE_DAYS"), "COS_ESCALATE_DAYS", 7),
        late_note_minutes=_whole(get("COS_LATE_NOTE_MINUTES"), "COS_LATE_NOTE_MINUTES", 10),
        max_claims=int(max_claims),
        slack_workspace_rate=slack_rate,
        db_connect_timeout=_limit(get("COS_DB_CONNECT_TIMEOUT"), "COS_DB_CONNECT_TIMEOUT", 5.0),
        db_command_timeout=_limit(get("COS_DB_COMMAND_TIMEOUT"), "COS_DB_COMMAND_TIMEOUT", 10.0),
        db_pool_timeout=_limit(get("COS_DB_POOL_TIMEOUT"), "COS_DB_POOL_TIMEOUT", 10.0),
        db_request_timeout=_limit(get("COS_DB_REQUEST_TIMEOUT"), "COS_DB_REQUEST_TIMEOUT", 2.0),
    )


def _seconds(name: str, raw: str) -> float:
    """A number of seconds; ``ConfigError`` naming the setting when it is not one."""
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} must be a number of seconds.") from exc


def _retention_days(raw: str) -> int:
    if not raw.strip().isdigit() or int(raw) > 3650:
        raise ConfigError(
            f"COS_UNINSTALL_RETENTION_DAYS={raw[:20]!r} must be a whole number of days from 0 (delete at once) to 3650."
        )
    return int(raw)


def _http_port(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) < 65536:
        raise ConfigError(f"COS_HTTP_PORT={raw!r} must be a port number from 1 to 65535 (0 picks a free one).")
    return int(raw)


def _whole(value: str, name: str, default: int) -> int:
    """A whole number setting (0 or more); ``ConfigError`` when it is not one."""
    if not value:
        return default
    if not value.isdigit():
        raise ConfigError(f"{name}={value!r} must be a whole number (0 or more).")
    return int(value)


def _limit(value: str, name: str, default: float) -> float:
    """A time limit in seconds, above 0 and at most an hour; ``ConfigError`` naming the setting otherwise."""
    if not value:
        return default
    seconds = _seconds(name, value)
    if not 0 < seconds <= 3600:
        raise ConfigError(f"{name}={value!r} must be a number of seconds above 0 and at most 3600 (for example 5).")
    return seconds
