"""m010 rebuilds the idempotency record (the command table) as a rowid table:
commands applied before the upgrade still answer "duplicate" with their stored
result, a reused id with another payload is still a conflict, and the id stays
unique."""
from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from conftest import PINS, command, post_commands, sign_in
from edge.app import create_app
from edge.commands.apply import canonical_payload, payload_hash
from edge.db import connect, init_db, pending_migrations
from edge.migrations import migrations


def test_commands_applied_before_m010_are_still_known_after_it(tmp_path):
    path = str(tmp_path / "edge.db")
    conn = connect(path)
    migrations.apply(sqlite_utils.Database(conn), stop_before="m010_command_rowid")
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('pin_salt', 'cafe')")
    conn.close()
    assert pending_migrations(path)[0] == "m010_command_rowid"  # later ones pending too
    assert _columns(path)[0] == "id"  # the old layout: keyed by the id itself

    # Commands applied on the old table, through the writer as the server would.
    from edge import auth, masterdata as md
    from edge.commands.apply import apply_batch
    from edge.models import BinIn, ItemIn, UserIn
    from edge.writer import Writer
    first = command("receive", {"sku": "SKU-1", "qty": 5, "to_bin": "A-01"})
    second = command("move", {"sku": "SKU-1", "qty": 2, "from_bin": "A-01", "to_bin": "A-02"})

    def setup(conn):
        md.save_bin(conn, BinIn(code="A-01"))
        md.save_bin(conn, BinIn(code="A-02"))
        md.save_item(conn, ItemIn(sku="SKU-1", description="bolt"))
        for role, pin in PINS.items():
            auth.create_user(conn, UserIn(name=role.title(), role=role, pin=pin))

    def apply(conn):
        user = dict(conn.execute("SELECT id, name, role FROM user WHERE role = 'supervisor'").fetchone())
        return apply_batch(conn, [first, second], user=user, device_id="dev-1").results

    w = Writer(path)
    try:
        w.run(setup)
        before = w.run(apply)
    finally:
        w.close()
    assert [r["status"] for r in before] == ["applied", "applied"]

    # One more row as the first releases wrote it (spaced JSON, the payload in the device's key order).
    conn = sqlite3.connect(path)
    old_style = command("adjust", {"sku": "SKU-1", "bin": "A-02", "delta": -1, "reason": "damaged"})
    conn.execute(
        "INSERT INTO command (id, type, payload_hash, payload, result, user_id, device_id, at, received_at) "
        "VALUES (?,?,?,?,?,?,?,?,?)",
        (old_style["id"], "adjust", payload_hash("adjust", canonical_payload(old_style["payload"])),
         json.dumps(old_style["payload"]),
         json.dumps({"id": old_style["id"], "status": "applied", "movements": []}), 7, "dev-old",
         "2026-01-02T03:04:05+00:00", "2026-01-02T03:04:06.000Z"))
    conn.commit()
    conn.close()
    everything = "SELECT id, type, payload_hash, payload, result, user_id, device_id, at, received_at FROM command"
    rows_before = sorted(_rows(path, everything))

    init_db(path)
    assert pending_migrations(path) == []
    assert sorted(_rows(path, everything)) == rows_before  # every column of every row, as it was
    assert _columns(path)[:2] == ["seq", "id"]
    # The old table kept no arrival order finer than received_at (first and second came in one batch).
    assert sorted(r[0] for r in _rows(path, "SELECT id FROM command")) == sorted(
        [first["id"], second["id"], old_style["id"]])
    # Rows take their seq in the order they were received.
    assert _rows(path, "SELECT id FROM command ORDER BY seq")[0] == (old_style["id"],)

    app = create_app({"DATABASE": path, "TESTING": True})
    try:
        client = app.test_client()
        headers = sign_in(client, PINS["supervisor"])
        again = post_commands(client, headers, first, second, old_style)
        assert [r["status"] for r in again] == ["duplicate", "duplicate", "duplicate"]
        assert again[2] == {"id": old_style["id"], "status": "duplicate", "movements": []}
        again = again[:2]
        assert [r["movements"] for r in again] == [r["movements"] for r in before]

        changed = dict(second, payload=dict(second["payload"], qty=3))
        (result,) = post_commands(client, headers, changed)
        assert result["status"] == "rejected" and result["problem"]["status"] == 409
        assert result["problem"]["errors"][0]["field"] == "commands[0].id"

        (new,) = post_commands(client, headers, command("move", {"sku": "SKU-1", "qty": 1, "from_bin": "A-02",
                                                                 "to_bin": "A-01"}))
        assert new["status"] == "applied"
        r = client.get("/api/v1/stock?sku=SKU-1", headers=headers)
        assert {i["bin"]: i["qty"] for i in r.get_json()["items"]} == {"A-01": 4, "A-02": 1}
    finally:
        app.extensions["floorscan"].close()

    # The id is still the idempotency key: the database itself refuses a second row.
    conn = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute("INSERT INTO command (id, type, payload_hash, payload, result, received_at) "
                         "VALUES (?, 'move', 'x', '{}', '{}', 'now')", (first["id"],))
    finally:
        conn.close()
    assert _rows(path, "SELECT count(*) FROM command") == [(4,)]


def _columns(path) -> list[str]:
    return [r[1] for r in _rows(path, "PRAGMA table_info(command)")]


def _rows(path, sql) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
