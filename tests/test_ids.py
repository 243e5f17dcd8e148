"""Time-ordered command ids (edge/ids.py): the edge's own minting and the
bench's simulated handhelds use them, as the PWA does (pwa/js/outbox.js)."""
from __future__ import annotations

import threading
import time
import uuid

from edge import ids

MS = 1_795_766_400_123  # 2026-11-27T08:00:00.123Z


def stamp(u: uuid.UUID) -> int:
    return u.int >> 80


def test_a_uuid7_is_version_7_rfc_variant_and_starts_with_its_millisecond():
    u = ids.Minter()(MS)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert stamp(u) == MS
    now = ids.Minter()()
    assert now.version == 7 and abs(stamp(now) - time.time_ns() // 1_000_000) < 60_000
    assert uuid.UUID(ids.new_id()).version == 7


def test_ids_sort_in_minting_order_within_and_across_milliseconds():
    mint = ids.Minter()
    minted = [mint(MS + i // 1000) for i in range(3000)]
    assert len(set(minted)) == 3000
    assert sorted(minted) == minted
    assert sorted(str(u) for u in minted) == [str(u) for u in minted]  # as text too: the index compares text


def test_a_clock_step_back_or_a_full_counter_carries_the_time_forward():
    mint = ids.Minter()
    first = mint(MS)
    back = mint(MS - 60_000)
    assert back > first and stamp(back) == MS
    burst = [mint(MS) for _ in range(5000)]  # more than the 12-bit counter holds
    assert sorted(burst) == burst and len(set(burst)) == 5000
    assert stamp(burst[-1]) > MS


def test_threads_minting_at_once_keep_one_order_and_one_clock():
    """The lock is what keeps (milliseconds, counter) unique and rising across
    threads: without it two threads could read the same counter."""
    mint, barrier = ids.Minter(), threading.Barrier(4)
    out: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def run(k):
        barrier.wait()
        out[k].extend(mint(MS) for _ in range(3000))  # one millisecond: only the counter tells them apart

    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    clock_parts = [u.int >> 64 for part in out for u in part]
    assert len(set(clock_parts)) == len(clock_parts) == 12000
    assert all(part == sorted(part) for part in out)


def test_two_minters_at_the_same_moment_differ_in_their_random_bits():
    a, b = ids.Minter()(MS), ids.Minter()(MS)
    assert a != b
    assert a.int & ((1 << 62) - 1) != b.int & ((1 << 62) - 1)


def test_the_edge_takes_version_7_and_version_4_ids_alike(app, client, auth_for):
    from conftest import command, make_bin, make_item, post_commands
    make_bin(app, "ID-01")
    make_item(app, "ID-SKU")
    v7, v4 = ids.new_id(), str(uuid.uuid4())
    results = post_commands(client, auth_for("receiver"),
                            command("receive", {"sku": "ID-SKU", "qty": 1, "to_bin": "ID-01"}, cid=v7),
                            command("receive", {"sku": "ID-SKU", "qty": 1, "to_bin": "ID-01"}, cid=v4))
    assert [(x["id"], x["status"]) for x in results] == [(v7, "applied"), (v4, "applied")]
