"""One Discord gateway session per shard across replicas, elected through the database.

Discord sends every event to every open gateway session of a bot, so two replicas that both
connect answer everything twice. On PostgreSQL each replica keeps one dedicated connection
and, on it, session-level advisory locks:

* a *member* lock (a random key) that says "this replica is alive"; the number of member
  locks in ``pg_locks`` is the number of live replicas;
* one *shard* lock per shard it serves. Only the holder opens that shard's gateway session.

Every ``DISCORD_LEASE_SECONDS`` a replica pings its connection, counts the live replicas and
claims shards up to its fair share (``ceil(shards / replicas)``), or gives back one above it.
The locks belong to the connection, so a replica that dies (SIGKILL) or loses its connection
loses them with it: PostgreSQL ends the session when the socket closes (keepalives are set
short, so a vanished host is noticed within about 20 s), and a standby takes the shard on its
next check. A holder that cannot reach its connection closes its gateway sessions first, so a
hand-over never leaves two sessions open for long; DMs and clicks are de-duplicated anyway
(``adapters.discord.dedupe``). On SQLite one process serves every shard.

The lease connection has the database's time limits (``COS_DB_CONNECT_TIMEOUT``,
``COS_DB_COMMAND_TIMEOUT``), so a partition is noticed within them too. While the database is away
the loop goes on trying to rejoin every round; it says so through the database's ``Outage`` (one
line when it goes, one when it is back, the failed lease checks counted), not once per round.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

import discord
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.discord.client import make_client
from adapters.discord.dedupe import first_time, housekeeping, interaction_key, message_key
from adapters.discord.handler import DiscordBot
from bot.app import App
from bot.kernel.errors import ConfigError
from bot.storage.db import Limits
from bot.storage.outage import unavailable_cause

__all__ = [
    "GatewayShards",
    "LocalLease",
    "PostgresLease",
    "ShardBot",
    "fair_share",
    "resolve_shard_count",
    "run_replicated",
    "shard_of",
]

log = logging.getLogger("adapters.discord")

# Advisory lock namespaces (first key of the two-key form): "cosd" for shards, "cosm" for members.
SHARD_CLASS = 0x636F7364
MEMBER_CLASS = 0x636F736D

try:  # the metrics endpoint is optional; each replica reports the shards it holds
    from prometheus_client import Gauge

    _SHARDS_HELD: Any = Gauge("cos_discord_shards_held", "Discord gateway shards this replica holds")
except Exception:  # noqa: BLE001 - no prometheus_client installed (or already registered)
    _SHARDS_HELD = None


def fair_share(shards: int, replicas: int) -> int:
    """How many shards one of ``replicas`` live replicas may hold so that all are served."""
    return math.ceil(shards / max(1, replicas))


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """Discord's rule: ``(guild_id >> 22) % shard_count``; DMs go to shard 0."""
    return 0 if not guild_id else (guild_id >> 22) % shard_count


def _shard_key(shard: int, count: int) -> int:
    # The shard count is part of the key: replicas configured with different counts never share a lock.
    return (count << 16) | shard


class ShardBot(DiscordBot):
    """A DiscordBot whose client opens the gateway session of one shard and handles each event once."""

    def __init__(self, app: App, *, shard: tuple[int, int], client: discord.Client | None = None) -> None:
        super().__init__(app, client=client or make_client(app.settings, shard=shard))
        self.shard = shard

    async def _tree_check(self, interaction: discord.Interaction) -> bool:
        # Commands and autocomplete pass the tree's global check only the first time they are seen.
        return await self._first_time(interaction) and await super()._tree_check(interaction)

    async def _first_time(self, interaction: discord.Interaction) -> bool:
        return await first_time(self.app, interaction_key(interaction.id))

    async def on_component(self, interaction: discord.Interaction) -> None:
        if await self._first_time(interaction):
            await super().on_component(interaction)

    async def on_dm(self, message: discord.Message) -> None:
        if message.guild is not None or message.author.bot:
            return  # not a person's DM: nothing to record
        if await first_time(self.app, message_key(message.id)):
            await super().on_dm(message)


class Lease(Protocol):
    """Who may open which shard's gateway session."""

    # Whether the lease lives in the database, so that a lease check going through proves it is back.
    uses_database: bool

    async def open(self) -> None:
        """Join: from now on this replica counts as live."""

    async def live_replicas(self) -> int:
        """Replicas live now (raises when this replica's own lease connection is gone)."""

    async def try_claim(self, shard: int, count: int) -> bool:
        """Take ``shard`` unless another replica holds it."""

    async def release(self, shard: int, count: int) -> None:
        """Give ``shard`` back."""

    async def close(self) -> None:
        """Leave: release everything."""


class LocalLease:
    """SQLite (one process): every shard is ours."""

    uses_database = False

    async def open(self) -> None:
        return None

    async def live_replicas(self) -> int:
        return 1

    async def try_claim(self, shard: int, count: int) -> bool:
        return True

    async def release(self, shard: int, count: int) -> None:
        return None

    async def close(self) -> None:
        return None


class PostgresLease:
    """Session-level advisory locks on one dedicated connection (see the module docstring)."""

    uses_database = True

    def __init__(self, url: str, *, name: str = "", limits: Limits | None = None) -> None:
        self.url = url
        self.name = name
        self.limits = limits or Limits()
        self.member = 0
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None

    async def open(self) -> None:
        await self.close()
        self._engine = create_async_engine(
            self.url,
            poolclass=NullPool,
            connect_args={"timeout": self.limits.connect, "command_timeout": self.limits.command},
        )
        conn = await self._engine.connect()
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        self._conn = conn
        # A host that vanishes without closing its socket is noticed by the server in ~5 + 3 x 5 s.
        for name, value in (
            ("tcp_keepalives_idle", "5"),
            ("tcp_keepalives_interval", "5"),
            ("tcp_keepalives_count", "3"),
        ):
            await conn.execute(text(f"SET {name} = {value}"))
        await conn.execute(
            text("SELECT set_config('application_name', :n, false)"), {"n": f"cos-bot discord lease {self.name}"[:63]}
        )
        while True:
            self.member = random.randrange(1, 2**31 - 1)
            got = await conn.scalar(text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": MEMBER_CLASS, "k": self.member})
            if got:
                return

    def _connection(self) -> AsyncConnection:
        if self._conn is None:
            raise ConnectionError("the lease connection is not open")
        return self._conn

    async def live_replicas(self) -> int:
        count = await self._connection().scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2"
                " AND classid::bigint = :c"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"c": MEMBER_CLASS},
        )
        return int(count or 1)

    async def try_claim(self, shard: int, count: int) -> bool:
        got = await self._connection().scalar(
            text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": SHARD_CLASS, "k": _shard_key(shard, count)}
        )
        return bool(got)

    async def release(self, shard: int, count: int) -> None:
        await self._connection().execute(
            text("SELECT pg_advisory_unlock(:c, :k)"), {"c": SHARD_CLASS, "k": _shard_key(shard, count)}
        )

    async def close(self) -> None:
        conn, engine = self._conn, self._engine
        self._conn = self._engine = None
        if conn is not None:
            try:
                await conn.close()  # the session ends: every lock it held is released
            except Exception:  # noqa: BLE001 - already gone
                await conn.invalidate()
        if engine is not None:
            await engine.dispose()


@dataclass
class _Held:
    bot: DiscordBot
    task: asyncio.Task[None]


@dataclass
class GatewayShards:
    """Claims this replica's share of the shards and runs one gateway session for each."""

    app: App
    lease: Lease
    shard_count: int
    token: str
    check_seconds: float = 5.0
    make_bot: Any = None  # (app, (shard, count)) -> DiscordBot; ShardBot by default
    held: dict[int, _Held] = field(default_factory=dict)
    changes: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)  # (loop time, shards held)
    saw_outage: bool = False  # a lease check found the database unavailable since the last that went through

    async def run(self) -> None:
        """Claim, serve and rebalance until cancelled; then close the sessions and release the shards."""
        opened = False
        try:
            while True:
                try:
                    if not opened:
                        await self.lease.open()
                        opened = True
                    await self.check()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - _lost() logs a bug's traceback
                    await self._lost(exc)
                    opened = False
                else:
                    if self.saw_outage:  # only a loop that found the database away may say it is back
                        self.saw_outage = False
                        self.app.db.outage.recovered()
                await asyncio.sleep(self.check_seconds)
        finally:
            await self._stop_all()
            await self.lease.close()
            self._report()

    async def _lost(self, exc: BaseException) -> None:
        """A round failed: stand down (close the gateway sessions, leave the lease), to rejoin next round.

        The database being unavailable is the outage's to log (its one warning each way; the lease
        checks that failed meanwhile are counted in the second); that this replica stood down is said
        once, at info, when it held shards. Anything else is a bug, logged with its traceback.
        """
        cause = unavailable_cause(exc)
        if cause is None:
            log.error("discord: the shard lease check failed; closing gateway sessions and rejoining", exc_info=exc)
        elif self.lease.uses_database:
            self.app.db.outage.failed("discord lease check", cause)
            self.saw_outage = True
        had = tuple(sorted(self.held))
        await self._stop_all()
        await self.lease.close()
        if had:
            log.info(
                "discord: lost the shard lease (%s); closed the gateway session(s) of shard(s) %s, rejoining",
                cause or type(exc).__name__,
                ", ".join(map(str, had)),
            )
            self._report()

    async def check(self) -> None:
        """One round: reap ended sessions, then claim up to the fair share or give one back."""
        before = tuple(sorted(self.held))
        for shard, held in list(self.held.items()):
            if held.task.done():
                reason = "stopped" if held.task.cancelled() else repr(held.task.exception())
                log.warning("discord: the gateway session of shard %d ended (%s); giving it back", shard, reason)
                await self._release(shard)
        live = await self.lease.live_replicas()
        share = fair_share(self.shard_count, live)
        if len(self.held) > share:
            await self._release(max(self.held))
        elif len(self.held) < share:
            start = random.randrange(self.shard_count)
            for i in range(self.shard_count):
                shard = (start + i) % self.shard_count
                if len(self.held) >= share:
                    break
                if shard not in self.held and await self.lease.try_claim(shard, self.shard_count):
                    self._start(shard)
        after = tuple(sorted(self.held))
        if after != before or not self.changes:
            self._report(live=live)

    def _start(self, shard: int) -> None:
        factory = self.make_bot or (lambda app, s: ShardBot(app, shard=s))
        bot: DiscordBot = factory(self.app, (shard, self.shard_count))
        task = asyncio.ensure_future(bot.client.start(self.token))
        self.held[shard] = _Held(bot, task)

    async def _stop(self, shard: int) -> None:
        held = self.held.pop(shard, None)
        if held is None:
            return
        try:
            await held.bot.close()
        except Exception:
            log.exception("discord: closing the gateway session of shard %d failed", shard)
        held.task.cancel()
        await asyncio.gather(held.task, return_exceptions=True)

    async def _release(self, shard: int) -> None:
        # The session closes before the lock goes, so another replica never opens it alongside ours.
        await self._stop(shard)
        try:
            await self.lease.release(shard, self.shard_count)
        except Exception:  # noqa: BLE001 - the connection is gone, and the lock with it
            pass

    async def _stop_all(self) -> None:
        for shard in list(self.held):
            await self._stop(shard)

    def _report(self, *, live: int | None = None) -> None:
        shards = tuple(sorted(self.held))
        self.changes.append((asyncio.get_running_loop().time(), shards))
        if _SHARDS_HELD is not None:
            _SHARDS_HELD.set(len(shards))
        if shards:
            log.info(
                "discord: this replica holds gateway shard(s) %s of %d%s",
                ", ".join(map(str, shards)),
                self.shard_count,
                f" ({live} replica(s) live)" if live else "",
            )
        else:
            log.info(
                "discord: this replica holds no gateway shard of %d (standing by%s)",
                self.shard_count,
                f"; {live} replica(s) live" if live else "",
            )


async def resolve_shard_count(client: discord.Client, configured: int) -> int:
    """DISCORD_SHARD_COUNT, or Discord's recommendation (``GET /gateway/bot``) when it is 0 (``auto``)."""
    if configured > 0:
        return configured
    try:
        shards, _, _ = await client.http.get_bot_gateway()
    except discord.GatewayNotFound as exc:
        raise ConfigError(
            "DISCORD_SHARD_COUNT=auto, but Discord did not say how many shards to use; set a number instead."
        ) from exc
    return max(1, int(shards))


async def run_replicated(app: App, bot: DiscordBot, token: str) -> None:
    """Log ``bot`` in over REST (sends, follow-ups) and serve this replica's share of the gateway shards.

    The REST client is ready at once on every replica, so the scheduler delivers from standbys too.
    """
    settings = app.settings
    await bot.client.login(token)
    bot.ready.set()
    count = await resolve_shard_count(bot.client, settings.discord_shard_count)
    lease: Lease = (
        LocalLease() if app.db.is_sqlite else PostgresLease(app.db.url, name=settings.instance_id, limits=app.db.limits)
    )
    shards = GatewayShards(
        app, lease=lease, shard_count=count, token=token, check_seconds=settings.discord_lease_seconds
    )
    pruning = asyncio.ensure_future(housekeeping(app))
    try:
        await shards.run()
    finally:
        pruning.cancel()
        await asyncio.gather(pruning, return_exceptions=True)
