"""A database made by the first schema (tests/data/edge_m001.sql) is upgraded by
today's `floorscan init`, `floorscan serve` and `floorscan restore`, and verifies."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import requests

from _ops_support import floorscan, movement_count
from conftest import ROOT, LiveServer
from edge.db import pending_migrations
from edge.migrations import migrations

FIXTURE = ROOT / "tests" / "data" / "edge_m001.sql"


@pytest.fixture
def old_db(tmp_path) -> Path:
    path = tmp_path / "old" / "edge.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text())
    conn.close()
    assert pending_migrations(path) == [m.name for m in migrations._migrations][1:]
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_init_upgrades_an_old_database_and_verify_passes(old_db):
    r = floorscan("init", "--db", str(old_db))
    assert r.returncode == 0 and "migrated" in r.stdout
    assert pending_migrations(old_db) == []
    r = floorscan("verify", "--db", str(old_db))
    assert r.returncode == 0, r.stdout
    assert "checked 4 movements; integrity ok" in r.stdout
    assert _rows(old_db, "SELECT bin, sku, lot, qty FROM stock ORDER BY bin") == [
        ("A-01-01", "SKU-1", "", 17.0), ("B-02-03", "SKU-L", "L2026-01", 6.0), ("DOCK-1", "SKU-1", "", 4.0)]
    assert _rows(old_db, "SELECT count(*) FROM exception WHERE status = 'open'") == [(1,)]


def test_serve_upgrades_an_old_database_and_its_users_sign_in(old_db):
    server = LiveServer(str(old_db)).start()
    try:
        assert requests.get(server.url + "/healthz", timeout=30).json()["status"] == "ok"
        r = requests.post(server.url + "/api/v1/session", json={"pin": "2222"}, timeout=30)
        assert r.status_code == 201, r.text  # the old receiver's PIN still works
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = requests.post(server.url + "/api/v1/commands", headers=headers, timeout=30, json={"commands": [
            {"id": "22222222-2222-4222-8222-000000000001", "type": "receive", "at": "2026-11-27T08:00:00Z",
             "payload": {"sku": "SKU-1", "qty": 2, "to_bin": "DOCK-1"}}]})
        assert r.json()["results"][0]["status"] == "applied", r.text
    finally:
        server.stop()
    assert pending_migrations(old_db) == []
    assert movement_count(old_db) == 5
    assert floorscan("verify", "--db", str(old_db)).returncode == 0


def test_restore_of_a_backup_from_the_first_release_upgrades_it(old_db, tmp_path):
    target = tmp_path / "site" / "edge.db"
    assert floorscan("init", "--db", str(target)).returncode == 0
    r = floorscan("restore", str(old_db), "--db", str(target))
    assert r.returncode == 0, r.stderr
    assert pending_migrations(target) == []
    assert movement_count(target) == 4
    assert pending_migrations(old_db) != []  # the backup file itself is left as it was
