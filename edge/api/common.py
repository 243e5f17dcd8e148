"""Helpers shared by the blueprints: writes with Idempotency-Key, paging."""
from __future__ import annotations

import hashlib
import json

from flask import current_app, g, jsonify, request

from edge.api.errors import ApiProblem
from edge.ledger import utcnow


def edge():
    return current_app.extensions["floorscan"]


def read():
    return edge().read()


def write(job, *, status: int = 200):
    """Run ``job(conn) -> dict`` in the writer and answer with its result.

    With an ``Idempotency-Key`` header the first answer is stored in the same
    transaction and replayed for a retry of the same request, so a handheld
    that lost the response can safely send again.
    """
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return jsonify(edge().write(job)), status
    if len(key) > 128:
        raise ApiProblem(400, "Idempotency-Key is longer than 128 characters")
    user_id = g.user["id"] if getattr(g, "user", None) else 0
    digest = hashlib.sha256(request.method.encode() + request.path.encode() + b"\0" + request.get_data()).hexdigest()

    def idempotent(conn):
        row = conn.execute("SELECT request_hash, status, response FROM idempotency_key WHERE key = ? AND user_id = ?",
                           (key, user_id)).fetchone()
        if row is not None:
            if row["request_hash"] != digest:
                raise ApiProblem(409, "this Idempotency-Key was used for a different request")
            return row["status"], json.loads(row["response"]), True
        body = job(conn)
        conn.execute("INSERT INTO idempotency_key (key, user_id, request_hash, status, response, created_at) "
                     "VALUES (?,?,?,?,?,?)", (key, user_id, digest, status, json.dumps(body), utcnow()))
        return status, body, False

    code, body, replayed = edge().write(idempotent)
    resp = jsonify(body)
    resp.status_code = code
    if replayed:
        resp.headers["Idempotent-Replayed"] = "true"
    return resp
