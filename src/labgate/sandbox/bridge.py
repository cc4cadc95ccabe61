"""The workspace's one way out: a unix socket in its runtime directory, forwarded by the
hub process to the hub's TCP address.

A workspace has no network (WS-2), yet its server must reach the hub API (OAuth token
checks, activity reports). The hub listens on TCP loopback, which a separate network
namespace cannot reach, so the hub process itself listens on `<runtime>/hub.sock` (owned
by the workspace uid, mode 0600: no other workspace can connect) and copies bytes to and
from the hub. An asyncio forwarder in the hub, rather than one socat per workspace, means
no extra process to supervise or to orphan: the bridge lives and dies with the hub, like
the sandboxes themselves (`--die-with-parent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

CHUNK = 64 * 1024


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()


class HubBridge:
    """Forward connections on a unix socket to (host, port)."""

    def __init__(self, socket_path: Path, host: str, port: int, uid: int, gid: int) -> None:
        self.socket_path = Path(socket_path)
        self.host = host
        self.port = port
        self.uid = uid
        self.gid = gid
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        # Created 0600 from the start (umask), so there is no moment at which another
        # uid could connect; then handed to the workspace uid.
        old = os.umask(0o177)
        try:
            self._server = await asyncio.start_unix_server(self._handle, path=self.socket_path)
        finally:
            os.umask(old)
        os.chown(self.socket_path, self.uid, self.gid)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                w.close()
            self._tasks.discard(task)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
