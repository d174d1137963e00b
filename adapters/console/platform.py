"""The console: read lines, send them through the core, print the replies."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import TextIO

from adapters.console.render import to_console
from bot.app import App
from bot.kernel.reply import Reply
from bot.kernel.request import Request
from bot.kernel.router import parse_line
from bot.kernel.transport import SendResult
from bot.plugins import Platform

__all__ = ["PLATFORM", "ConsoleTransport", "console_loop", "CLEAR_SCREEN"]

BANNER = (
    "cos-bot console. Type a command such as `/cos-service legal` or `/cos-risk gdpr`,\n"
    "`help` for examples, `clear` to clear the screen, `quit` to leave."
)
# ANSI: cursor home, erase the screen and the scrollback (what `clear` does in a terminal).
CLEAR_SCREEN = "\x1b[H\x1b[2J\x1b[3J"


class ConsoleTransport:
    """Scheduled messages printed to the terminal."""

    platform = "console"

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    async def send_channel(self, *, workspace: str, channel: str, reply: Reply, key: str) -> SendResult:
        print(f"\n[#{channel}] " + to_console(reply), file=self.out, flush=True)
        return SendResult(channel=channel, message_id=key)

    async def send_dm(self, *, workspace: str, user: str, reply: Reply, key: str) -> SendResult:
        print(f"\n[DM to {user}] " + to_console(reply), file=self.out, flush=True)
        return SendResult(channel=f"dm:{user}", message_id=key)

    async def send_thread(self, *, workspace: str, channel: str, parent: str, reply: Reply, key: str) -> SendResult:
        print(f"\n[#{channel}, thread {parent}] " + to_console(reply), file=self.out, flush=True)
        return SendResult(channel=channel, message_id=key)

    async def update(self, *, workspace: str, channel: str, message_id: str, reply: Reply) -> SendResult:
        print(f"\n[#{channel}, {message_id} now reads] " + to_console(reply), file=self.out, flush=True)
        return SendResult(channel=channel, message_id=message_id)


async def answer_line(app: App, line: str, *, user: str = "console-user", workspace: str = "local") -> str | None:
    """One console line -> printable answer; None means quit."""
    stripped = line.strip()
    if stripped.lower() in ("quit", "exit", ":q"):
        return None
    if not stripped:
        return ""
    if stripped.lower() in ("clear", "cls"):
        return CLEAR_SCREEN  # a terminal command, not a question ("Clear Value Proposition")
    if stripped.lower() in ("help", "?", "帮助", "幫助"):
        stripped = "/cos-service " + ("help" if stripped.isascii() else stripped)
    parsed = parse_line(stripped)
    if parsed is None:
        # In the console, plain text is a DM to the bot (check-in answers, questions).
        command, text = "message", stripped
    else:
        command, text = parsed
    request = Request(
        platform="console",
        workspace=workspace,
        channel="console",
        user=user,
        command=command,
        text=text,
        role="admin",
        is_dm=parsed is None,
        tz=app.settings.default_tz,
    )
    return to_console(await app.router.handle(request))


async def _read_line(read: Callable[[str], str], prompt: str) -> str | None:
    """One line from ``read`` without blocking the loop; None at end of input.

    The read runs in a daemon thread, so a process stopping mid-prompt (SIGTERM,
    another platform failing) is not held up by a terminal waiting for a line.
    """
    loop = asyncio.get_running_loop()
    result: asyncio.Future[str | None] = loop.create_future()

    def deliver(value: str | None, error: BaseException | None) -> None:
        if result.done():
            return
        if error is not None:
            result.set_exception(error)
        else:
            result.set_result(value)

    def work() -> None:
        try:
            value: str | None = read(prompt)
        except EOFError:
            value = None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(deliver, None, exc)
            return
        loop.call_soon_threadsafe(deliver, value, None)

    threading.Thread(target=work, name="console-input", daemon=True).start()
    return await result


async def console_loop(app: App, *, read: Callable[[str], str] | None = None, out: TextIO | None = None) -> None:
    """Prompt until ``quit`` or end of input."""
    out = out or sys.stdout
    if read is None:
        try:
            import readline  # noqa: F401 - line editing and history for input()
        except ImportError:
            pass
        read = input
    print(BANNER, file=out, flush=True)
    while True:
        line = await _read_line(read, "cos> ")
        if line is None:
            break
        answer = await answer_line(app, line)
        if answer is None:
            break
        if answer == CLEAR_SCREEN:
            print(answer, end="", file=out, flush=True)
        elif answer:
            print(answer + "\n", file=out, flush=True)


async def _run(app: App) -> None:
    # Leaving the console returns, which ends the process and stops the other tasks too.
    await console_loop(app)


PLATFORM = Platform(
    name="console",
    is_configured=lambda settings: True,
    run=_run,
    make_transport=lambda app: ConsoleTransport(),
    fallback=True,
)
