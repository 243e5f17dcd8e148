"""`floorscan backup` and `floorscan restore`: a consistent online copy under load,
rotation, and a restore that checks the backup before it touches anything."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from _ops_support import Load, digest, floorscan, movement_count, seed
from conftest import LiveServer
from edge.ops import backup


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if ".restoring" in p.name or "before-restore" in p.name)


@pytest.fixture
def seeded(db_path):
    seed(db_path)
    return db_path


@pytest.mark.slow
def test_backup_under_load_restores_and_verifies(seeded, tmp_path):
    backups = tmp_path / "backups"
    server = LiveServer(seeded, env={"FLOORSCAN_WORKERS": "2"}).start()
    load = Load(server.url, threads=4, per_post=5).start()
    try:
        load.wait_for(100)
        taken = []
        for _ in range(3):  # three copies while commands keep committing
            r = floorscan("backup", "--db", seeded, "--dir", str(backups), "--keep", "2")
            assert r.returncode == 0, r.stderr
            taken.append(Path(r.stdout.splitlines()[0].split(" to ")[-1]))
            load.wait_for(load.applied + 20)
        assert "removed old backup" in r.stdout
        # A restore while the server runs is refused and changes nothing.
        r = floorscan("restore", str(taken[-1]), "--db", seeded)
        assert r.returncode == 1 and "is open in another process" in r.stderr
        assert _leftovers(Path(seeded).parent) == []
    finally:
        applied = load.stop()
        server.stop()
    assert not load.errors, load.errors[:3]
    kept = backup.backups(backups)
    assert kept == taken[1:]  # rotation kept the newest two
    in_backup = movement_count(kept[-1])
    assert 100 <= in_backup <= applied == movement_count(seeded)

    r = floorscan("restore", str(kept[-1]), "--db", seeded)
    assert r.returncode == 0, r.stderr
    assert "projection matches the ledger" in r.stdout
    assert movement_count(seeded) == in_backup
    [old] = [p for p in Path(seeded).parent.iterdir() if ".before-restore-" in p.name and p.suffix != ".db-wal"]
    assert movement_count(old) == applied  # the database it replaced is kept
    r = floorscan("verify", "--db", seeded)
    assert r.returncode == 0, r.stdout + r.stderr


def test_rotation_keeps_the_newest_and_clears_half_made_copies(seeded, tmp_path):
    (tmp_path / "b").mkdir()
    stale = tmp_path / "b" / "floorscan-edge-20260101T000000000000Z.db.partial"
    stale.write_bytes(b"half")
    made = [backup.take(seeded, tmp_path / "b", keep=2).path for _ in range(4)]
    assert backup.backups(tmp_path / "b") == made[2:]
    assert not stale.exists()
    assert backup.check_file(made[-1]) == 0


def test_backup_of_a_missing_database_fails_clearly(tmp_path):
    r = floorscan("backup", "--db", str(tmp_path / "nope.db"), "--dir", str(tmp_path / "b"))
    assert r.returncode == 1
    assert r.stderr.strip() == f"floorscan: no database at {tmp_path / 'nope.db'}"
    assert not (tmp_path / "b").exists() and not (tmp_path / "nope.db").exists()


def test_backup_keep_must_be_positive(seeded, tmp_path):
    r = floorscan("backup", "--db", seeded, "--dir", str(tmp_path / "b"), "--keep", "0")
    assert r.returncode == 1 and "--keep must be at least 1" in r.stderr


def _damage_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:12288] = b"\xa5" * 8192  # pages 2-3: table b-tree pages of the schema
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database at all\n" * 100)


@pytest.mark.parametrize("damage, message", [
    (_damage_middle, "damaged|cannot be read|malformed"),
    (_truncate, "damaged|cannot be read|malformed"),
    (_garbage, "is not an SQLite database"),
])
def test_a_damaged_backup_is_refused_and_nothing_is_overwritten(seeded, tmp_path, damage, message):
    import re
    made = backup.take(seeded, tmp_path / "b").path
    damage(made)
    before = digest(seeded)
    r = floorscan("restore", str(made), "--db", seeded)
    assert r.returncode == 1
    assert re.search(message, r.stderr), r.stderr
    assert "nothing was changed" in r.stderr
    assert digest(seeded) == before
    assert _leftovers(Path(seeded).parent) == []


def test_restore_of_a_missing_file_fails_clearly(seeded, tmp_path):
    before = digest(seeded)
    r = floorscan("restore", str(tmp_path / "missing.db"), "--db", seeded)
    assert r.returncode == 1
    assert f"no backup file at {tmp_path / 'missing.db'}" in r.stderr
    assert digest(seeded) == before


def test_restore_of_some_other_sqlite_file_is_refused(seeded, tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    before = digest(seeded)
    r = floorscan("restore", str(other), "--db", seeded)
    assert r.returncode == 1 and "not a floorscan edge database" in r.stderr
    assert digest(seeded) == before


@pytest.mark.corrupts_projection
def test_a_backup_whose_stock_disagrees_with_its_ledger_is_refused(seeded, tmp_path, client):
    from conftest import PINS, command, post_commands, sign_in
    post_commands(client, sign_in(client, PINS["receiver"]), command("receive", {"sku": "SKU-1", "qty": 5, "to_bin": "DOCK"}))
    made = backup.take(seeded, tmp_path / "b").path
    conn = sqlite3.connect(made)
    conn.execute("UPDATE stock SET qty = qty + 1")
    conn.commit()
    conn.close()
    before = digest(seeded)
    r = floorscan("restore", str(made), "--db", seeded)
    assert r.returncode == 1
    assert "DIFF bin DOCK sku SKU-1" in r.stdout
    assert "does not pass `floorscan verify`; nothing was changed" in r.stderr
    assert digest(seeded) == before
    assert _leftovers(Path(seeded).parent) == []


def test_a_backup_from_a_newer_release_is_refused(seeded, tmp_path):
    made = backup.take(seeded, tmp_path / "b").path
    conn = sqlite3.connect(made)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('floorscan', 'm999_future', '2030-01-01')")
    conn.commit()
    conn.close()
    before = digest(seeded)
    r = floorscan("restore", str(made), "--db", seeded)
    assert r.returncode == 1 and "newer floorscan (migrations m999_future)" in r.stderr
    assert digest(seeded) == before
    assert _leftovers(Path(seeded).parent) == []


def test_restore_into_a_new_place_needs_no_old_database(seeded, tmp_path):
    made = backup.take(seeded, tmp_path / "b").path
    target = tmp_path / "fresh" / "edge.db"
    r = floorscan("restore", str(made), "--db", str(target))
    assert r.returncode == 0, r.stderr
    assert "kept at" not in r.stdout
    assert floorscan("verify", "--db", str(target)).returncode == 0
