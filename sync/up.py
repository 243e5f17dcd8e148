"""Up: the edge's ledger and outbox to central (docs/sync.md). No Flask.

The ledger is read on a read-only connection in seq order from the cursor
central last confirmed; WAL readers never block the edge's writer. A batch
is JSON, gzipped, and prepared on a helper thread while the previous one is
on the wire, so reading and compressing overlap with central's insert.
Only central's answer moves the cursor.
"""
from __future__ import annotations

import gzip
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

from edge.ledger import utcnow
from edge.wal_sync import database_file, make_durable
from edge.workflows import sync_outbox
from sync import status
from sync.client import BadAnswer, CentralClient, Gap, Refused

COLUMNS = ("seq", "id", "kind", "sku", "lot", "serial", "qty", "from_bin", "to_bin", "ref_type", "ref_id",
           "reason", "user_id", "device_id", "command_id", "replayed", "scanned_at", "recorded_at")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM movement WHERE seq > ? ORDER BY seq LIMIT ?"
# Store the confirmed cursor at most this often while catching up: it only
# saves resending after a restart (central's GET /sync/cursor is the truth),
# and every store takes the edge's write lock for a moment.
STORE_EVERY_S = 1.0
GZIP_LEVEL = 1  # level 1 is ~4x faster than 6 and only ~15% bigger on movement JSON


class LocalGap(Exception):
    """The edge's own ledger skips a seq; central would refuse it for ever."""


class Batch:
    __slots__ = ("first", "last", "count", "payload")

    def __init__(self, first: int, last: int, count: int, payload: bytes):
        self.first, self.last, self.count, self.payload = first, last, count, payload


def edge_seq(read: sqlite3.Connection) -> int:
    row = read.execute("SELECT seq FROM sqlite_sequence WHERE name = 'movement'").fetchone()
    return row[0] if row else 0


def prepare(read: sqlite3.Connection, warehouse: str, after: int, size: int) -> Batch | None:
    """The next batch after seq ``after``, ready to POST; None when nothing waits."""
    cur = read.cursor()
    cur.row_factory = None  # plain tuples: a Row per movement costs more than the JSON
    rows = cur.execute(SELECT, (after, size)).fetchall()
    if not rows:
        return None
    first, last = rows[0][0], rows[-1][0]
    if first != after + 1 or last - first + 1 != len(rows):
        seqs = [r[0] for r in rows]
        missing = next((after + 1 + i for i, s in enumerate(seqs) if s != after + 1 + i), last)
        raise LocalGap(f"the edge ledger has no seq {missing}; `floorscan verify` and docs/sync-edge.md")
    # The writer process answers only after its fsync, but a reader can see a
    # commit just before it: make what was read durable before central holds it.
    make_durable(database_file(read))
    movements = [dict(zip(COLUMNS, r), warehouse=warehouse) for r in rows]
    raw = json.dumps({"warehouse": warehouse, "movements": movements}, separators=(",", ":")).encode()
    return Batch(first, last, len(rows), gzip.compress(raw, GZIP_LEVEL, mtime=0))


def push_movements(read, prep, write, client: CentralClient, warehouse: str, cursor: int, size: int,
                   stop=None) -> tuple[int, int]:
    """Send every movement after ``cursor``; (final cursor, movements sent).

    ``read`` and ``prep`` are two read-only connections (``prep`` is used only
    by the helper thread that prepares batches); ``write(job)`` runs
    ``job(conn)`` in a write transaction of the edge database.
    """
    sent, stored, stored_at = 0, cursor, time.monotonic()
    pool = ThreadPoolExecutor(1, thread_name_prefix="floorscan-sync-prepare")
    try:
        nxt = pool.submit(prepare, prep, warehouse, cursor, size)
        while True:
            batch = nxt.result()
            if batch is None:
                break
            # Prepare the one after while this one is on the wire (it only reads).
            nxt = pool.submit(prepare, prep, warehouse, batch.last, size)
            try:
                answered = client.post_movements(warehouse, batch.payload, batch.first, batch.last)
            except Gap as gap:
                nxt.cancel()
                cursor = gap.cursor
                write(lambda conn, c=cursor: status.record_up_cursor(conn, c, 0))
                stored = cursor
                nxt = pool.submit(prepare, prep, warehouse, cursor, size)
                continue
            if answered > edge_seq(read):
                raise BadAnswer(f"central answered cursor {answered}, beyond this edge's last seq")
            sent += batch.count
            if answered != batch.last:
                # Central holds more than we sent (a retry after a lost answer): go on from there.
                nxt.cancel()
                nxt = pool.submit(prepare, prep, warehouse, answered, size)
            cursor = answered
            if time.monotonic() - stored_at >= STORE_EVERY_S:
                write(lambda conn, c=cursor: status.record_up_cursor(conn, c, 0))
                stored, stored_at = cursor, time.monotonic()
            if stop is not None and stop.is_set():
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if cursor != stored or sent:
            write(lambda conn, c=cursor, n=sent: status.record_up_cursor(conn, c, n))
    return cursor, sent


OUTBOX_BATCH = 100


# What central says of the documents themselves: sending them again changes nothing.
# (401 is this edge's token and 429 a pause: those stop the round, as any error does.)
DOCUMENT_REFUSALS = frozenset({400, 403, 404, 409, 413, 422})


def push_outbox(read, write, client: CentralClient, warehouse: str) -> int:
    """Send unsent outbox rows in id order, 100 at a time; how many were sent.

    A batch central refuses is sent again one document at a time, and a document
    it refuses alone is set aside with central's answer for a supervisor: one bad
    document must not hold up the others, or the movements sent after them."""
    total = 0
    while True:
        rows = read.execute("SELECT id, kind, key, body FROM sync_outbox WHERE sent_at IS NULL "
                            "AND refused_at IS NULL ORDER BY id LIMIT ?", (OUTBOX_BATCH,)).fetchall()
        if not rows:
            return total
        make_durable(database_file(read))  # as prepare() says
        total += _send(write, client, warehouse, rows)


def _send(write, client: CentralClient, warehouse: str, rows: list) -> int:
    """Post ``rows`` and stamp them sent; on central's refusal, each alone (see push_outbox)."""
    documents = [{"kind": r["kind"], "key": r["key"], "data": json.loads(r["body"])} for r in rows]
    try:
        client.post_documents(warehouse, documents)
    except Refused as exc:
        if not _about_the_documents(exc):
            raise
        if len(rows) > 1:
            return sum(_send(write, client, warehouse, [row]) for row in rows)
        row = rows[0]
        write(lambda conn: sync_outbox.set_aside(conn, row["id"], row["kind"], row["key"], str(exc)))
        return 0

    def mark(conn):
        now = utcnow()
        conn.executemany("UPDATE sync_outbox SET sent_at = ? WHERE id = ?", [(now, r["id"]) for r in rows])
        conn.execute("UPDATE sync_state SET documents_sent = documents_sent + ? WHERE id = 1", (len(rows),))
    write(mark)
    return len(rows)


def _about_the_documents(exc: Refused) -> bool:
    # Central's own problem+json (it has a type), not a proxy's or a firewall's page:
    # those say nothing about the documents, and the round waits as for any error.
    return exc.status in DOCUMENT_REFUSALS and bool(exc.problem.get("type"))
