"""Which requests the loop front (edge/loop_front.py) may serve: one complete,
plain ``POST /api/v1/commands HTTP/1.1``, read conservatively. Anything gunicorn
might refuse or read differently is not plain and goes to a request thread."""
from __future__ import annotations

import os
import re

from edge.command_lane import PATH
from edge.ops.logs import SANE_ID

REQUEST_LINE = b"POST " + PATH.encode() + b" HTTP/1.1"
MAX_HEAD = 8190           # gunicorn's own limit for a header line: the whole head must fit in it
MAX_FIELDS = 100          # gunicorn's limit_request_fields default
MAX_BODY = 65536          # larger batches (a replay of hundreds) are read by a thread
TOKEN = re.compile(rb"[!#$%&'*+.^`|~0-9A-Za-z-]+")  # a header name (RFC 9110), no underscores
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")      # gunicorn refuses these in a value (bare LF too)
REFUSE = {b"transfer-encoding", b"expect", b"upgrade", b"te", b"http2-settings"}
ONCE = {b"content-length", b"content-type", b"authorization", b"x-request-id", b"connection", b"host"}


class Plain:
    """What the loop needs of a request it can serve."""
    __slots__ = ("token", "body", "request_id", "raw")

    def __init__(self, token, body, request_id, raw):
        self.token, self.body, self.request_id, self.raw = token, body, request_id, raw


def parse(data: bytes, max_bytes: int, max_fields: int = MAX_FIELDS):
    """A :class:`Plain` request, None when ``data`` is not all here yet, or
    False when it is not the loop's to serve. ``data`` must be exactly one
    request: bytes after it (pipelining) are a thread's job too. Whatever
    gunicorn might refuse or read differently is not plain."""
    max_bytes = min(max_bytes or MAX_BODY, MAX_BODY)
    end = data.find(b"\r\n\r\n", 0, MAX_HEAD + 4)
    if end < 0:
        # Not all here: worth waiting for only while it can still be ours.
        n = min(len(data), len(REQUEST_LINE))
        return None if len(data) <= MAX_HEAD and data[:n] == REQUEST_LINE[:n] else False
    lines = data[:end].split(b"\r\n")
    if lines[0] != REQUEST_LINE or len(lines) - 1 > max_fields:
        return False
    headers: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not TOKEN.fullmatch(name) or CONTROL.search(value):
            return False  # folded, malformed, underscored or with a control character: gunicorn decides
        name = name.lower()
        if name in REFUSE or (name in ONCE and name in headers):
            return False
        headers[name] = value.strip(b" \t")
    if headers.get(b"connection", b"keep-alive").lower() != b"keep-alive":
        return False
    length = headers.get(b"content-length", b"")
    if not length.isdigit() or len(length) > 9:
        return False
    length = int(length)
    if length <= 0 or (max_bytes and length > max_bytes):
        return False
    if headers.get(b"content-type", b"").partition(b";")[0].strip().lower() != b"application/json":
        return False
    scheme, _, token = headers.get(b"authorization", b"").partition(b" ")
    token = token.strip()
    if scheme.lower() != b"bearer" or not token:
        return False
    total = end + 4 + length
    if len(data) < total:
        return None
    if len(data) > total:
        return False
    try:
        token = token.decode("ascii")
        given = headers.get(b"x-request-id", b"").decode("ascii")
    except UnicodeDecodeError:
        return False
    rid = given if given and SANE_ID.fullmatch(given) else os.urandom(16).hex()
    return Plain(token, data[end + 4:], rid, data)
