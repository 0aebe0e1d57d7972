"""Messages between Almanac's processes: pickled objects, each framed by its length.

One framing serves every pipe and socket between a process and the helpers it
starts (the chart worker, the preview's build server and its build processes).
Both ends are the same Almanac installation, so pickle is safe here: nothing
else writes to these pipes.
"""

from __future__ import annotations

import pickle
import socket
import struct
from collections.abc import Callable
from typing import Any

_HEADER = struct.Struct("!Q")


def frame(message: Any) -> bytes:
    """``message`` as bytes: an 8-byte length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def read(read_bytes: Callable[[int], bytes]) -> Any:
    """One framed message; ``read_bytes(n)`` returns up to n bytes, or none at the
    end. :class:`EOFError` when the other end is gone before a whole message."""
    header = _exactly(read_bytes, _HEADER.size)
    return pickle.loads(_exactly(read_bytes, _HEADER.unpack(header)[0]))


def send(connection: socket.socket, message: Any) -> None:
    """Send one message on a socket."""
    connection.sendall(frame(message))


def receive(connection: socket.socket) -> Any:
    """Receive one message from a socket; EOFError when it is closed."""
    return read(connection.recv)


def _exactly(read_bytes: Callable[[int], bytes], size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = read_bytes(min(left, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
