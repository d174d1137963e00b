"""How the core delivers proactive messages (reminders, digests, check-ins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.kernel.reply import Reply

__all__ = ["SendResult", "Transport", "Preparing"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """Where a message landed: the platform's channel and message ids."""

    channel: str
    message_id: str | None = None


@runtime_checkable
class Transport(Protocol):
    """A platform's delivery side. Implementations raise ``DeliveryError`` on failure.

    ``key`` is a deterministic idempotency key for the message (the outbox row's
    key); platforms that support it (Discord's ``nonce``) use it to drop repeats.
    """

    platform: str

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        """Post ``reply`` publicly in ``channel`` of ``workspace``."""
        ...

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        """Send ``reply`` to ``user`` privately; ``DeliveryError(permanent=True)`` when DMs are closed."""
        ...

    async def send_thread(self, *, workspace: str, channel: str, parent: str, reply: Reply, key: str) -> SendResult:
        """Reply under message ``parent`` of ``channel`` (Slack: ``thread_ts``; Discord: a thread on it).

        The result's ``channel`` is where the reply lives (a Discord thread is a channel of its own),
        which is what ``update`` needs to edit it later.
        """
        ...

    async def update(self, *, workspace: str, channel: str, message_id: str, reply: Reply) -> SendResult:
        """Replace the content of a message this bot posted (Slack ``chat.update``, a Discord message edit)."""
        ...


@runtime_checkable
class Preparing(Protocol):
    """A transport with work to do for a send before it goes (Slack records the key's first attempt).

    The scheduler calls ``prepare(key)`` shortly before the send's paced slot, so that a database
    write does not sit between the slot and the post; a send that was not prepared does the work
    itself, as before.
    """

    async def prepare(self, key: str) -> None: ...
