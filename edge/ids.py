"""Time-ordered ids (UUID version 7, RFC 9562) for commands.

Every command id is an index key twice on the edge: ``movement.id`` (of a
command's first movement) and ``command.id`` are both UNIQUE. A random
(version 4) id lands on a random leaf page of each index, so a commit of 17
scans dirtied ~17 pages of each, and every dirtied page is a 4 KiB frame
written to the WAL and fsynced. Version 7 ids start with the millisecond they
were minted, so new keys go to the end of the index, onto one or two pages:
144 -> 108 WAL frames per commit of 17 scans in bench/writer_path.py, and
~+10% commands/s under bench/scan_load.py (docs/performance.md, step 13).
That holds while the devices' clocks agree to within the time one leaf page
of keys spans (~80 keys: 40 ms at the bench's 2,000 commands/s, seconds at a
real floor's tens); ``--clock-skew-ms`` on both benches shows the rest.

The PWA mints the same way (``makeUuid7`` in pwa/js/outbox.js); the edge
accepts any UUID, so version 4 ids from older handhelds and tools stay valid.
No Flask here: the camera station (edge/decode/) and the benches import it.
"""
from __future__ import annotations

import os
import threading
import time
import uuid


class Minter:
    """Mints version 7 UUIDs that sort in the order they were minted. The
    process mints with :data:`uuid7`; tests make their own, with their own clock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last_ms = 0
        self._counter = 0

    def __call__(self, now_ms: int | None = None) -> uuid.UUID:
        """A version 7 UUID: 48 bits of Unix milliseconds, then a 12-bit counter,
        then 62 random bits.

        Within one millisecond the counter counts up from a random start below
        2**11 (RFC 9562, section 6.2, method 1); when it runs out, or the clock
        steps back, the timestamp is carried forward from the last id instead of
        going back.
        """
        ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        rand = int.from_bytes(os.urandom(10), "big")
        with self._lock:
            if ms > self._last_ms:
                self._last_ms, self._counter = ms, (rand >> 64) & 0x7FF
            else:
                self._counter += 1
                if self._counter > 0xFFF:
                    self._last_ms, self._counter = self._last_ms + 1, 0
            ms, counter = self._last_ms, self._counter
        value = (((ms & 0xFFFF_FFFF_FFFF) << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62)
                 | (rand & ((1 << 62) - 1)))
        return uuid.UUID(int=value)


uuid7 = Minter()  # the process's minter


def _after_fork() -> None:
    # A fork while another thread held the lock would leave the child's copy held forever.
    uuid7._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def new_id() -> str:
    """A fresh command or movement id as text."""
    return str(uuid7())
