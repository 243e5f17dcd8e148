"""Apply a batch of commands exactly once, in order, each on its own."""
from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, Field, ValidationError

from edge.commands.registry import COMMAND_TYPES, ensure_loaded
from edge.ledger import IdConflict, LedgerError, PostResult, utcnow
from edge.problems import forbidden, problem as problem_body, validation_problem

MAX_BATCH = 500
log = logging.getLogger(__name__)


class CommandEnvelope(BaseModel):
    id: uuid.UUID = Field(description="Minted on the device; the idempotency key")
    type: str = Field(min_length=1, max_length=32)
    at: datetime = Field(description="When the person acted, device clock, ISO-8601")
    replay: bool = Field(False, description="True when the device recorded this while offline")
    payload: dict


@dataclass
class CommandContext:
    command_id: str
    user_id: int | None
    device_id: str | None
    at: str
    replay: bool
    role: str


@dataclass
class BatchOutcome:
    results: list[dict] = field(default_factory=list)
    posts: list[PostResult] = field(default_factory=list)  # for live events after commit
    encoded: dict[int, str] = field(default_factory=dict)  # index -> the applied result as stored (JSON)

    def __getstate__(self):
        # The encoded texts serve the command lane inside the writer process; a
        # batch the Flask view sent over (edge/writer_process.py) goes back without them.
        return dict(vars(self), encoded={})


def canonical_payload(payload: dict) -> str:
    """The payload as stored in the command record: sorted keys, compact."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def payload_hash(ctype: str, canonical: str) -> str:
    """SHA-256 of ``{"payload": ..., "type": ...}`` with sorted keys, compact: the
    digest every stored command was checked against since the first release, so
    it must never change. Built around the payload's :func:`canonical_payload`,
    which the record stores too, so the payload is encoded once."""
    envelope = '{"payload":' + canonical + ',"type":' + json.dumps(ctype) + "}"
    return hashlib.sha256(envelope.encode()).hexdigest()


def apply_batch(conn: sqlite3.Connection, raw_commands: list, *, user: dict, device_id: str | None) -> BatchOutcome:
    """Run inside the writer. A rejected command never stops the ones after it."""
    ensure_loaded()
    out = BatchOutcome()
    for index, raw in enumerate(raw_commands):
        out.results.append(_apply_one(conn, index, raw, user, device_id, out))
    return out


def _apply_one(conn, index: int, raw, user: dict, device_id, out: BatchOutcome) -> dict:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        env = CommandEnvelope.model_validate(raw)
    except ValidationError as exc:
        return _rejected(raw_id, validation_problem(exc, prefix=f"commands[{index}]"))
    cid = str(env.id)
    ctype = COMMAND_TYPES.get(env.type)
    if ctype is None:
        known = ", ".join(sorted(COMMAND_TYPES))
        return _rejected(cid, LedgerError(f"unknown command type {env.type!r}; known: {known}",
                                          field=f"commands[{index}].type").problem())
    stored_payload = canonical_payload(env.payload)
    digest = payload_hash(env.type, stored_payload)
    stored = conn.execute("SELECT payload_hash, result FROM command WHERE id = ?", (cid,)).fetchone()
    if stored is not None:
        if stored["payload_hash"] != digest:
            return _rejected(cid, IdConflict(
                f"command {cid} was already applied with a different type or payload; "
                "mint a new id for a new action", field=f"commands[{index}].id").problem())
        result = json.loads(stored["result"])
        result["status"] = "duplicate"
        return result
    if user["role"] not in ctype.roles:
        return _rejected(cid, forbidden(f"a {user['role']} may not send {env.type} commands "
                                        f"(allowed: {', '.join(sorted(ctype.roles))})"))
    try:
        payload = ctype.payload.model_validate(env.payload)
    except ValidationError as exc:
        return _rejected(cid, validation_problem(exc, prefix=f"commands[{index}].payload"))
    ctx = CommandContext(command_id=cid, user_id=user["id"], device_id=device_id or user.get("device_id"),
                         at=env.at.isoformat(), replay=env.replay, role=user["role"])
    conn.execute("SAVEPOINT command")
    try:
        posted = ctype.handler(conn, ctx, payload)
        result = {"id": cid, "status": "applied", "movements": posted.movements}
        if posted.exceptions:
            result["exceptions"] = posted.exceptions
        # Compact and ASCII, as Flask's jsonify writes it: the command lane puts
        # these very bytes in its answer instead of encoding the result again.
        encoded = json.dumps(result, separators=(",", ":"))
        conn.execute(
            "INSERT INTO command (id, type, payload_hash, payload, result, user_id, device_id, at, received_at) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (cid, env.type, digest, stored_payload, encoded, ctx.user_id, ctx.device_id, ctx.at, utcnow()))
    except LedgerError as exc:
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        problem = exc.problem()
        if "errors" in problem:
            problem["errors"] = [dict(e, field=f"commands[{index}].payload.{e['field']}") for e in problem["errors"]]
        return _rejected(cid, problem)
    except sqlite3.DatabaseError:
        # The database itself failed (disk full, I/O error): the whole batch
        # must fail so that nobody is told "applied".
        raise
    except Exception:  # noqa: BLE001 - a bug in one handler must not sink the batch
        log.exception("command %s (%s) failed unexpectedly", cid, env.type)
        conn.execute("ROLLBACK TO command")
        conn.execute("RELEASE command")
        return _rejected(cid, problem_body(500, "the server could not apply this command; it has been logged "
                                               "and the command can be sent again"))
    conn.execute("RELEASE command")
    out.posts.append(posted)
    out.encoded[index] = encoded
    return result


def _rejected(cid, problem: dict) -> dict:
    return {"id": cid, "status": "rejected", "problem": problem, "movements": []}
