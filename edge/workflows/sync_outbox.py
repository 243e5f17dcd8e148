"""Documents the edge queued for central (sync_outbox) that central refused. No Flask.

The sync process (sync/up.py) sets a refused document aside with central's
answer and raises this exception; a supervisor fixes what central said and
sends it again from the exceptions queue.
"""
from __future__ import annotations

from edge.ledger import utcnow
from edge.workflows import exceptions

KIND = "sync_document_refused"
exceptions.kind(KIND, "A document central refused")


def set_aside(conn, outbox_id: int, kind: str, key: str, why: str) -> None:
    conn.execute("UPDATE sync_outbox SET refused_at = ?, refusal = ? WHERE id = ?", (utcnow(), why, outbox_id))
    exceptions.raise_(conn, KIND, f"central refused {kind} {key}; it is not sent again: {why}",
                      ref_type=kind, ref_id=str(key)[:64], data={"outbox_id": outbox_id})


@exceptions.action(KIND, "send_again", "Send the document to central again (once what central said is fixed)")
def _send_again(conn, exc, user, params, now):
    outbox_id = (exc["data"] or {}).get("outbox_id")
    conn.execute("UPDATE sync_outbox SET refused_at = NULL, refusal = NULL WHERE id = ?", (outbox_id,))
