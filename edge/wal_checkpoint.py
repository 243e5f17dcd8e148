"""Copying the WAL back into the database file on the answering thread, not
inside the writer's commits.

In WAL mode every commit appends pages to the ``-wal`` file, and a checkpoint
copies them back into the database file so the WAL can start over. SQLite
runs it inside the COMMIT that crosses ``wal_autocheckpoint`` pages (1,000 by
default): under the scan load that was every ~6 commits of the writer
process, and each time its one thread stood still for the copy and two fsyncs
(~8-18 ms) while the next batch of handhelds queued behind it and then ran as
one large batch (docs/performance.md, step 12).

So the writer process's answering thread (edge/wal_sync.py), which already
fsyncs the WAL between the commits, also runs a PASSIVE checkpoint every
:data:`EVERY_S` on a connection of its own, right after it has sent the
answers it was holding. PASSIVE never blocks the writer: SQLite lets one
connection append frames while another copies committed ones, and Python's
sqlite3 lets go of the GIL while SQLite works. It copies only committed
frames and syncs the database file before marking them copied, as the
writer's own checkpoint does, so a crash at any moment loses nothing. Being
on the answering thread, its fsyncs never run at the same time as the WAL's:
a checkpointing thread of its own did that, and this VM's disk answered
with WAL fsyncs of 50-200 ms.

The WAL can only start over when a transaction begins with every frame
copied, which a writer that never pauses rarely sees. So the writer keeps
SQLite's own checkpoint, at :data:`RESTART_PAGES`: when the WAL reaches that
size the commit checkpoints inline, which now only copies what came since the
answering thread's last pass, and the next transaction starts the WAL over.
"""
from __future__ import annotations

import logging
import sqlite3
import time

log = logging.getLogger(__name__)

# The writer's own checkpoint, now only where the WAL starts over (~16 MB of 4 KiB pages).
RESTART_PAGES = 4000
SQLITE_IOERR = 10  # the primary result code of every SQLITE_IOERR_* extended code

# How often the answering thread checkpoints. Each pass costs ~7-8 ms here whatever it
# copies (mostly the database file's fsync); 20-100 ms measured alike (step 12).
EVERY_S = 0.05


class Checkpoints:
    """PASSIVE checkpoints of one database, run by whoever calls :meth:`maybe` (one thread)."""

    def __init__(self, db_path: str, every: float = EVERY_S):
        self.db_path, self.every = db_path, every
        self.conn: sqlite3.Connection | None = None
        self.last = time.monotonic()
        self.passes = self.failures = 0
        self.result: tuple[int, int, int] | None = None  # (busy, WAL frames, frames copied) of the last pass

    def maybe(self) -> None:
        """A PASSIVE checkpoint if the last one is EVERY_S old. A failure is logged:
        the writer's own checkpoint at RESTART_PAGES still runs. Only an I/O error
        raises (the answering thread then stops the writer process, as for a failed
        fsync of its own: the checkpoint fsyncs the WAL too, and after a failed fsync
        nothing on that disk can be trusted)."""
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        try:
            if self.conn is None:
                from edge.db import connect
                # NORMAL: the checkpoint syncs the WAL before copying and the database file after.
                self.conn = connect(self.db_path, synchronous="NORMAL")
                self.conn.execute("PRAGMA busy_timeout = 0")  # never wait: the next pass tries again
            self.result = tuple(self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
            # A busy result (the writer's own checkpoint was running) is no pass: the next one copies it.
            if not self.result[0]:
                self.passes += 1
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF == SQLITE_IOERR:
                raise
            self.failures += 1
            if self.failures in (1, 10, 100) or self.failures % 1000 == 0:
                log.warning("checkpoint on the answering thread failed (%s); %d failures so far; "
                            "the writer's commits still checkpoint", exc, self.failures)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
