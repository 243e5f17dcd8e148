"""Many hands on one bin: threads in one process, two processes with a writer
each on one file, and twenty HTTP clients against a real gunicorn server.

Every test takes from the same source bin, more than it holds, so the race
that matters (two takes of the last piece) happens for real. No timing is
asserted: only that the sums come out exact and nobody sees a 5xx or a
"database is locked".
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import uuid
from collections import Counter

import pytest
import requests

from conftest import PINS, ROOT, LiveServer, assert_verified, command, make_bin, make_item
from edge import auth
from edge import masterdata as md
from edge.commands import apply_batch
from edge.db import connect
from edge.models import BinIn, ItemIn, UserIn
from edge.writer import Writer

SUPERVISOR = {"id": 4, "role": "supervisor"}  # seed() creates users in PINS order


def seed(db_path: str, bins=("A", "B"), opening: float = 0) -> None:
    """Users (one per role), bins, the item EA and opening stock in bins[0]:
    straight into the file, before any server runs on it."""
    w = Writer(db_path)
    try:
        def job(conn):
            for role, pin in PINS.items():
                auth.create_user(conn, UserIn(name=role.title(), role=role, pin=pin))
            for code in bins:
                md.save_bin(conn, BinIn(code=code))
            md.save_item(conn, ItemIn(sku="EA"))
        w.run(job)
        if opening:
            opening_cmd = command("receive", {"sku": "EA", "qty": opening, "to_bin": bins[0]})
            [result] = w.run(lambda conn: apply_batch(conn, [opening_cmd], user=SUPERVISOR, device_id=None)).results
            assert result["status"] == "applied", result
    finally:
        w.close()


def stock_of(db_path: str) -> dict[str, float]:
    conn = connect(db_path, readonly=True)
    try:
        return {r["bin"]: r["qty"] for r in conn.execute("SELECT bin, qty FROM stock WHERE sku = 'EA'")}
    finally:
        conn.close()


def movements_per_command(db_path: str) -> Counter:
    conn = connect(db_path, readonly=True)
    try:
        return Counter(r[0] for r in conn.execute("SELECT command_id FROM movement"))
    finally:
        conn.close()


def take(i: int, source="A", to="B", qty=1) -> dict:
    """Every other take is a move, the rest are adjustments down (stock lost)."""
    if i % 2:
        return command("move", {"sku": "EA", "qty": qty, "from_bin": source, "to_bin": to})
    return command("adjust", {"sku": "EA", "bin": source, "delta": -qty, "reason": "lost"})


def effect(cmd: dict) -> dict[str, float]:
    p = cmd["payload"]
    if cmd["type"] == "receive":
        return {p["to_bin"]: p["qty"]}
    if cmd["type"] == "move":
        return {p["from_bin"]: -p["qty"], p["to_bin"]: p["qty"]}
    return {p["bin"]: p["delta"]}


def expected_stock(opening: dict, commands) -> dict[str, float]:
    out = dict(opening)
    for cmd in commands:
        for bin_code, delta in effect(cmd).items():
            out[bin_code] = out.get(bin_code, 0) + delta
    return {b: q for b, q in out.items() if q}


# -- (a) threads in one process, through the app ---------------------------------

def test_threads_taking_from_one_bin_lose_no_update(app, auth_for, db_path):
    make_bin(app, "A")
    make_bin(app, "B")
    make_item(app, "EA")
    headers = auth_for("supervisor")
    opening = command("receive", {"sku": "EA", "qty": 100, "to_bin": "A"})
    assert app.test_client().post("/api/v1/commands", json={"commands": [opening]},
                                  headers=headers).status_code == 200

    sent: dict[str, dict] = {}
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def worker(t: int):
        client = app.test_client()  # one per thread
        for i in range(12):
            # Batches of 1-3 takes of 1-3 pieces, plus now and then a top-up of A.
            batch = [take(t + i + k, qty=1 + (i + k) % 3) for k in range(1 + i % 3)]
            if i % 5 == 4:
                batch.append(command("adjust", {"sku": "EA", "bin": "A", "delta": 2, "reason": "found"}))
            r = client.post("/api/v1/commands", json={"commands": batch}, headers=headers)
            with lock:
                for cmd in batch:
                    sent[cmd["id"]] = cmd
                results.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [code for code, _ in results if code != 200] == []
    outcomes = [res for _, body in results for res in body["results"]]
    assert len(outcomes) == len(sent)
    statuses = Counter(res["status"] for res in outcomes)
    assert set(statuses) <= {"applied", "rejected"}
    rejected = [res["problem"]["type"] for res in outcomes if res["status"] == "rejected"]
    # Demand (8 x 12 batches, up to 9 pieces each) far exceeds 100 + top-ups: some takes must fail,
    # and only for lack of stock.
    assert rejected and set(rejected) == {"https://floorscan.dev/problems/insufficient-stock"}
    applied = [sent[res["id"]] for res in outcomes if res["status"] == "applied"]
    assert stock_of(db_path) == expected_stock({"A": 100}, applied)
    assert min(stock_of(db_path).values()) >= 0
    counts = movements_per_command(db_path)
    assert counts == Counter({opening["id"]: 1, **{cmd["id"]: 1 for cmd in applied}})
    assert_verified(db_path)


def test_threads_on_the_writer_directly_take_exactly_what_is_there(db_path):
    seed(db_path, opening=60)
    w = Writer(db_path)
    statuses: list[str] = []
    lock = threading.Lock()

    def worker(t):
        for i in range(20):
            cmd = take(t * 100 + i)
            [res] = w.run(lambda conn: apply_batch(conn, [cmd], user=SUPERVISOR, device_id=f"HH-{t}")).results
            with lock:
                statuses.append(res["status"])

    try:
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        w.close()
    assert Counter(statuses) == {"applied": 60, "rejected": 60}
    assert stock_of(db_path).get("A", 0) == 0
    assert_verified(db_path)


# -- (b) two processes, each with its own writer, one file ------------------------

WORKER = r'''
import json, sys, threading, uuid
from edge.commands import apply_batch
from edge.writer import Writer

db, name, threads, per_thread, shared_ns = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
shared = uuid.UUID(shared_ns)
user = {"id": 4, "role": "supervisor"}
writer = Writer(db)
outcomes, errors = [], []
lock = threading.Lock()

def command(cid, i, to):
    if i % 2:
        payload = {"sku": "EA", "qty": 1, "from_bin": "A", "to_bin": to}
        ctype = "move"
    else:
        payload = {"sku": "EA", "bin": "A", "delta": -1, "reason": "lost"}
        ctype = "adjust"
    return {"id": cid, "type": ctype, "at": "2026-11-27T08:00:00Z", "payload": payload}

def work(t):
    for i in range(per_thread):
        if i % 3 == 0:
            # Both processes send this very command: a retry that reached another worker.
            n = t * per_thread + i
            cmd = command(str(uuid.uuid5(shared, str(n))), n, "SH")
        else:
            cmd = command(str(uuid.uuid4()), i, name)
        try:
            [res] = writer.run(lambda conn: apply_batch(conn, [cmd], user=user, device_id=name)).results
        except Exception as exc:
            with lock:
                errors.append(repr(exc))
            continue
        with lock:
            outcomes.append({"id": cmd["id"], "status": res["status"],
                             "problem": (res.get("problem") or {}).get("type"), "command": cmd})

print("ready", flush=True)
sys.stdin.readline()  # start together
pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
for p in pool:
    p.start()
for p in pool:
    p.join()
writer.close()
print(json.dumps({"outcomes": outcomes, "errors": errors, "commits": writer.commits, "jobs": writer.jobs}))
'''


def test_two_processes_with_a_writer_each_share_one_bin(db_path, tmp_path):
    seed(db_path, bins=("A", "P1", "P2", "SH"), opening=150)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    shared_ns = str(uuid.uuid4())
    procs = [subprocess.Popen([sys.executable, str(script), db_path, name, "4", "30", shared_ns], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("P1", "P2")]
    for p in procs:
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err, err
        reports.append(json.loads(out.strip().splitlines()[-1]))

    for report in reports:
        assert report["errors"] == []
        assert len(report["outcomes"]) == 120
    outcomes = [o for r in reports for o in r["outcomes"]]
    bad = [o for o in outcomes if o["status"] == "rejected"
           and o["problem"] != "https://floorscan.dev/problems/insufficient-stock"]
    assert bad == []

    # A shared command is applied by one process and a duplicate for the other, or refused by both.
    by_id: dict[str, list[str]] = {}
    for o in outcomes:
        by_id.setdefault(o["id"], []).append(o["status"])
    for cid, seen in by_id.items():
        if len(seen) == 2:
            assert sorted(seen) in (["applied", "duplicate"], ["rejected", "rejected"]), (cid, seen)
        else:
            assert seen[0] in ("applied", "rejected"), (cid, seen)

    # 200 distinct takes of one piece each from 150: exactly 150 succeed, whoever wins each race.
    applied = {o["id"]: o["command"] for o in outcomes if o["status"] == "applied"}
    assert len(by_id) == 200
    assert len(applied) == 150
    assert stock_of(db_path) == expected_stock({"A": 150}, applied.values())
    assert stock_of(db_path).get("A", 0) == 0
    counts = movements_per_command(db_path)
    assert all(n == 1 for n in counts.values())
    assert set(applied) <= set(counts) and len(counts) == 151  # + the opening receipt
    assert_verified(db_path)


def test_a_writer_waits_out_another_process_holding_the_lock(db_path, tmp_path):
    """Another process sits in a write transaction for a while (a backup, a CLI
    import): the writer's BEGIN IMMEDIATE waits for it instead of failing."""
    seed(db_path, opening=5)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys\n"
         "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "c.execute('BEGIN IMMEDIATE')\n"
         "print('holding', flush=True)\n"
         "sys.stdin.readline()\n"
         "c.execute('COMMIT')\n", db_path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        w = Writer(db_path)
        try:
            future = w.submit(lambda conn: apply_batch(conn, [take(0)], user=SUPERVISOR, device_id=None))
            # Let the other process go only once the writer is queued behind it.
            assert not future.done()
            holder.stdin.write("\n")
            holder.stdin.flush()
            [res] = future.result(60).results
        finally:
            w.close()
        assert res["status"] == "applied"
    finally:
        holder.communicate(timeout=30)
    assert stock_of(db_path) == {"A": 4}


# -- (c) twenty HTTP clients against gunicorn --------------------------------------

@pytest.mark.parametrize("workers", ["1", "2"])
def test_twenty_http_clients_against_gunicorn_see_no_5xx(db_path, workers):
    """One worker (the default), and two: two processes, each with its own writer."""
    seed(db_path, bins=("A", "B", "C"), opening=200)
    server = LiveServer(db_path, env={"FLOORSCAN_WORKERS": workers}).start()
    try:
        tokens = {}
        for role in ("supervisor", "counter"):
            r = requests.post(server.url + "/api/v1/session", json={"pin": PINS[role]}, timeout=30)
            assert r.status_code == 201, r.text
            tokens[role] = {"Authorization": f"Bearer {r.json()['token']}"}

        sent: dict[str, dict] = {}
        replies: list[tuple[int, dict | None]] = []
        repeated: list[list[dict]] = []
        lock = threading.Lock()

        def client(t: int):
            headers = tokens["supervisor" if t % 2 else "counter"]
            with requests.Session() as s:
                for i in range(8):
                    batch = [take(t + i + k, to="B" if k % 2 else "C") for k in range(1 + (t + i) % 3)]
                    if i == 3:
                        batch.append(batch[0])  # the same command twice in one batch
                    r = s.post(server.url + "/api/v1/commands", json={"commands": batch}, headers=headers,
                               timeout=60)
                    got = s.get(server.url + "/api/v1/stock", params={"bin": "A"}, headers=headers, timeout=60)
                    with lock:
                        for cmd in batch:
                            sent[cmd["id"]] = cmd
                        replies.append((r.status_code, r.json() if r.ok else r.text))
                        replies.append((got.status_code, None))
                        if i == 3 and r.ok:
                            repeated.append(r.json()["results"])

        threads = [threading.Thread(target=client, args=(t,)) for t in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.stop()

    assert [(code, body) for code, body in replies if code != 200] == []
    outcomes = [res for _, body in replies if body for res in body["results"]]
    # The command sent twice in one batch: a duplicate the second time if applied the first, else refused again.
    assert len(repeated) == 20
    for results in repeated:
        first, again = results[0], results[-1]
        assert first["id"] == again["id"]
        assert (first["status"], again["status"]) in (("applied", "duplicate"), ("rejected", "rejected"))
    assert Counter(res["status"] for res in outcomes)["duplicate"] == sum(
        results[0]["status"] == "applied" for results in repeated)
    applied = {res["id"]: sent[res["id"]] for res in outcomes if res["status"] == "applied"}
    rejected = {res["problem"]["type"] for res in outcomes if res["status"] == "rejected"}
    assert rejected <= {"https://floorscan.dev/problems/insufficient-stock"}
    assert stock_of(db_path) == expected_stock({"A": 200}, applied.values())
    assert min(stock_of(db_path).values()) >= 0
    assert all(n == 1 for n in movements_per_command(db_path).values())
    assert_verified(db_path)
