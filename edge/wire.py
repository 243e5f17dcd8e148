"""Messages between the workers and the writer process (edge/writer_process.py)
over a Unix socket: a 4-byte big-endian length, then a pickle. Both ends are
this program on one box, so pickle is safe here and cheap."""
from __future__ import annotations

import pickle
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")


def encode(obj: Any) -> bytes:
    """One message on the socket: a 4-byte length, then the pickle."""
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def split(buffer: bytearray) -> list[bytes]:
    """Take every complete message off the front of ``buffer``."""
    messages, pos = [], 0
    while len(buffer) - pos >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer, pos)
        if len(buffer) - pos - _HEADER.size < size:
            break
        messages.append(bytes(buffer[pos + _HEADER.size:pos + _HEADER.size + size]))
        pos += _HEADER.size + size
    del buffer[:pos]
    return messages


def read_message(sock: socket.socket) -> Any:
    """The next message from a blocking socket (EOFError when the other side hung up)."""
    (size,) = _HEADER.unpack(_recv_exactly(sock, _HEADER.size))
    return pickle.loads(_recv_exactly(sock, size))


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    parts, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the writer process closed the connection")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts) if len(parts) != 1 else parts[0]
