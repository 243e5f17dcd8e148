"""The command lane's writer side: a handheld's raw ``POST /api/v1/commands``
request, applied inside the writer process's transaction.

Under ``floorscan serve`` with the writer process, a worker hands the request's
bearer token and body bytes over as they came (edge/command_lane.py) and sends
back the bytes this returns. Sign-in check, JSON parsing, the batch and the
answer's encoding all run here, in a process with no request threads, instead
of in a worker whose 64 threads take turns at one GIL: every blocking call a
request thread made (the token lookup, the reply) cost it a wait for its turn
(docs/performance.md, step 7).

Only the common case is handled: a signed-in user, a JSON object with one key
``commands`` holding 1..limit commands. Anything else returns None, and the
worker gives the request to the Flask view, which owns every error answer
(401, 400, 413, 415, 422 ...), so there is one place that words them.

No Flask here: the writer process does not import it.
"""
from __future__ import annotations

import json
import sqlite3

from edge.auth import authenticate
from edge.commands.apply import apply_batch


def encode_answer(obj) -> bytes:
    """The bytes Flask's ``jsonify`` would send for ``obj`` (compact, ASCII, keys
    in order, a newline at the end): both paths answer alike."""
    return (_encode(obj) + "\n").encode()


def _encode(obj) -> str:
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"))


UNKNOWN_TOKEN = "unknown-token"


def apply_request(conn: sqlite3.Connection, token: str, body: bytes, limit: int):
    """``(answer bytes, result statuses, posts)`` for a request the lane can
    take; :data:`UNKNOWN_TOKEN` or None for one the Flask view must answer
    (nothing is written then)."""
    user = authenticate(conn, token)
    if user is None:
        return UNKNOWN_TOKEN  # the worker sends it to the view from now on (edge/command_lane.py)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if type(data) is not dict or len(data) != 1:
        return None
    commands = data.get("commands")
    if type(commands) is not list or not 0 < len(commands) <= limit:
        return None
    outcome = apply_batch(conn, commands, user=user, device_id=user.get("device_id"))
    statuses = [r.get("status") for r in outcome.results]
    # An applied result was encoded once already, for the command record; JSON
    # composes, so its text goes into the answer as it is (same bytes as encode_answer).
    parts = [outcome.encoded.get(i) or _encode(r) for i, r in enumerate(outcome.results)]
    return ('{"results":[' + ",".join(parts) + "]}\n").encode(), statuses, outcome.posts
