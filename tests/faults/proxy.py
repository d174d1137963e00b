"""A TCP proxy on 127.0.0.1 in front of PostgreSQL that fails the way networks and restarts do.

Modes (``await proxy.set_mode(...)``):

* ``forward``: bytes pass both ways (the listener is reopened on the same port if it was closed).
* ``refuse``: the listener is closed, so a new connection is refused (``ConnectionRefusedError``), as
  while PostgreSQL restarts. Live connections are left alone: ``cut()`` resets them.
* ``blackhole``: a network partition. New connections are accepted and never answered; live ones
  stop carrying bytes (held, and delivered if the mode returns to ``forward``).

``cut()`` resets every live connection (RST), as a server restart or a firewall does.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Literal

__all__ = ["FaultProxy", "Mode"]

Mode = Literal["forward", "refuse", "blackhole"]


class FaultProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "forward"
        self.port = 0
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        await self._listen()
        return self.port

    async def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self._server = await asyncio.start_server(self._accept, sock=sock)
        self.port = sock.getsockname()[1]

    async def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode == "refuse" and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        elif mode != "refuse" and self._server is None:
            await self._listen()

    def cut(self) -> None:
        """Reset every live connection (both sides see a reset, not a clean close)."""
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    @property
    def live(self) -> int:
        return len(self._writers) // 2

    async def close(self) -> None:
        self._flowing.set()
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self._writers.add(client_writer)
        try:
            await self._flowing.wait()  # partitioned: accepted, never answered
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except (OSError, asyncio.CancelledError):
            _reset(client_writer)
            self._writers.discard(client_writer)
            return
        if client_writer not in self._writers:  # cut while connecting upstream
            _reset(up_writer)
            return
        self._writers.add(up_writer)
        for reader, writer, peer in ((client_reader, up_writer, client_writer), (up_reader, client_writer, up_writer)):
            task = asyncio.ensure_future(self._pump(reader, writer, peer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()
                if writer not in self._writers:
                    break
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, peer):
                if w in self._writers:
                    self._writers.discard(w)
                    w.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:  # linger 0: close() sends RST
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()
