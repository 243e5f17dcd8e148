"""Pull the plug: SIGKILL a real `floorscan serve` while handhelds stream
commands at it, start it again on the same file, repeat.

A command acknowledged as applied must survive every crash exactly once; a
command whose answer was lost may or may not have landed, and sending it
again must make it land exactly once. The stream is built so that no command
is ever refused (the source bin holds far more than is ever taken), so after
everything is re-sent the stock is known exactly.
"""
from __future__ import annotations

import queue
import random
import subprocess
import sys
import threading
from collections import Counter

import pytest
import requests

from conftest import PINS, ROOT, LiveServer, assert_verified, command
from edge.db import connect
from test_concurrency import expected_stock, seed

BINS = ("A", "B", "C", "D")
OPENING = 1_000_000
CLIENTS = 3


def new_command(rng: random.Random) -> dict:
    kind = rng.choice(["receive", "move", "move", "adjust"])
    qty = rng.randint(1, 5)
    if kind == "receive":
        return command("receive", {"sku": "EA", "qty": qty, "to_bin": rng.choice(BINS[1:])})
    if kind == "move":
        return command("move", {"sku": "EA", "qty": qty, "from_bin": "A", "to_bin": rng.choice(BINS[1:])})
    return command("adjust", {"sku": "EA", "bin": "A", "delta": rng.choice([-qty, qty]), "reason": "count"})


class Stream:
    """Client threads, each sending one command per POST until the server dies."""

    def __init__(self, url: str, headers: dict, commands: list[dict]):
        self.url = url + "/api/v1/commands"
        self.headers = headers
        self.todo: queue.SimpleQueue = queue.SimpleQueue()
        for cmd in commands:
            self.todo.put(cmd)
        self.acked: dict[str, str] = {}     # id -> applied | duplicate
        self.lost: list[dict] = []          # sent, answer never came: fate unknown
        self.unsent: list[dict] = []
        self.bad: list[tuple[int, str]] = []  # any answer other than 200 applied/duplicate
        self.lock = threading.Lock()
        self.acks = threading.Semaphore(0)
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def start(self) -> "Stream":
        for t in self.threads:
            t.start()
        return self

    def _run(self):
        with requests.Session() as s:
            while True:
                try:
                    cmd = self.todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    r = s.post(self.url, json={"commands": [cmd]}, headers=self.headers, timeout=60)
                except requests.RequestException:
                    with self.lock:
                        self.lost.append(cmd)
                    return
                with self.lock:
                    result = r.json()["results"][0] if r.status_code == 200 else None
                    if result and result["status"] in ("applied", "duplicate"):
                        self.acked[cmd["id"]] = result["status"]
                    else:
                        self.bad.append((r.status_code, r.text))
                self.acks.release()

    def join(self):
        for t in self.threads:
            t.join(60)
            assert not t.is_alive()
        while True:
            try:
                self.unsent.append(self.todo.get_nowait())
            except queue.Empty:
                break


def ledger_counts(db_path: str) -> Counter:
    conn = connect(db_path, readonly=True)
    try:
        return Counter(r[0] for r in conn.execute("SELECT command_id FROM movement"))
    finally:
        conn.close()


def stock_of(db_path: str) -> dict[str, float]:
    conn = connect(db_path, readonly=True)
    try:
        return {r["bin"]: r["qty"] for r in conn.execute("SELECT bin, qty FROM stock WHERE sku = 'EA'")}
    finally:
        conn.close()


def crash_loop(db_path: str, rounds: int, seed_value: int):
    print(f"crash loop: {rounds} rounds, seed {seed_value}")  # shown on failure, to replay it
    rng = random.Random(seed_value)
    seed(db_path, bins=BINS, opening=OPENING)
    headers = None
    every: dict[str, dict] = {}    # every command ever sent, by id
    acked: set[str] = set()        # ids that got a 200 applied (or duplicate of an applied one)
    carry: list[dict] = []         # lost or unsent last round: the device retries them first

    for n in range(rounds):
        server = LiveServer(db_path).start()
        try:
            if headers is None:
                # The token lives in the database, so it outlives every crash.
                r = requests.post(server.url + "/api/v1/session", json={"pin": PINS["supervisor"]}, timeout=30)
                assert r.status_code == 201, r.text
                headers = {"Authorization": f"Bearer {r.json()['token']}"}
            fresh = [new_command(rng) for _ in range(400)]
            every.update((c["id"], c) for c in fresh)
            stream = Stream(server.url, headers, carry + fresh).start()
            # Kill after a random number of acknowledgements: a random moment that
            # does not depend on how fast this machine is.
            for _ in range(rng.randint(5, 120)):
                if not stream.acks.acquire(timeout=60):
                    break
        finally:
            server.kill(9)
        stream.join()
        assert stream.bad == [], f"round {n}: {stream.bad[:3]}"
        acked |= set(stream.acked)
        carry = stream.lost + stream.unsent

        # Right after the restart's recovery: every acknowledged command is in the ledger, once.
        counts = ledger_counts(db_path)
        assert [cid for cid in acked if counts[cid] != 1] == [], f"round {n}"
        assert max(counts.values()) == 1
    return every, acked, headers


def resend_everything(db_path: str, every: dict, acked: set, headers: dict) -> None:
    server = LiveServer(db_path).start()
    try:
        ids = list(every)
        statuses: dict[str, str] = {}
        with requests.Session() as s:
            for i in range(0, len(ids), 200):
                batch = [every[cid] for cid in ids[i:i + 200]]
                r = s.post(server.url + "/api/v1/commands", json={"commands": batch}, headers=headers, timeout=60)
                assert r.status_code == 200, r.text
                statuses.update((res["id"], res["status"]) for res in r.json()["results"])
    finally:
        server.stop()
    assert {cid: statuses[cid] for cid in acked if statuses[cid] != "duplicate"} == {}
    assert set(statuses.values()) <= {"applied", "duplicate"}

    counts = ledger_counts(db_path)
    assert set(counts) - {None} >= set(every)
    assert max(counts.values()) == 1
    # Each command landed once, whatever the crashes did: the stock is exact.
    opening = [c for c in counts if c not in every]
    assert len(opening) == 1
    assert stock_of(db_path) == expected_stock({"A": OPENING}, every.values())


def check_database(db_path: str) -> None:
    conn = connect(db_path, readonly=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall()[0][0] == "ok"
    finally:
        conn.close()
    assert_verified(db_path)
    out = subprocess.run([sys.executable, "-m", "edge.cli", "verify", "--db", db_path], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "projection matches the ledger" in out.stdout


def test_sigkill_loses_no_acknowledged_command(db_path):
    every, acked, headers = crash_loop(db_path, rounds=5, seed_value=random.randrange(1 << 30))
    assert acked, "no command was ever acknowledged"
    resend_everything(db_path, every, acked, headers)
    check_database(db_path)


@pytest.mark.slow
def test_sigkill_loop_longer(db_path):
    every, acked, headers = crash_loop(db_path, rounds=12, seed_value=random.randrange(1 << 30))
    resend_everything(db_path, every, acked, headers)
    check_database(db_path)
