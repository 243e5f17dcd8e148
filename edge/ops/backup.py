"""Online backups of the edge database, rotation, and restore with verification.

`backup` copies the live database with SQLite's online backup API in one step:
the copy is one read transaction, so it is a consistent snapshot, and in WAL
mode the writers (handhelds' commands) go on meanwhile. The copy is written
beside its final name, checked (`PRAGMA integrity_check`), fsynced and then
renamed, so a backup file that exists is a whole one.

`restore` never touches the live database until the backup has been checked:
it is copied, migrated to this release's schema, and `floorscan verify`'s
checks run on the copy; only then the old database is moved aside (kept as
``<db>.before-restore-<time>``) and the copy takes its place.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

PREFIX = "floorscan-"
SUFFIX = ".db"
NAME = re.compile(r"^floorscan-.*\d{8}T\d{6}(?:\d{6})?Z\.db$")
SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why and what to do."""


@dataclass
class Backup:
    path: Path
    size: int
    movements: int
    removed: list[Path]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _open_existing(path: Path, *, readonly: bool, at_rest: bool = False) -> sqlite3.Connection:
    # mode=ro / rw: never create an empty database where the user meant a file.
    mode = "ro" if readonly else "rw"
    # immutable: a backup file at rest can be read from a read-only mount (no
    # -shm to create). Not while a -wal beside it says someone may be writing.
    if at_rest and readonly and not Path(f"{path}-wal").exists():
        mode += "&immutable=1"
    return sqlite3.connect(f"file:{path}?mode={mode}", uri=True, isolation_level=None, timeout=30)


def check_file(path: str | Path) -> int:
    """Raise BackupError unless ``path`` is a whole floorscan database; returns its movement count."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with open(path, "rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            raise BackupError(f"{path} is not an SQLite database (damaged or not a backup)")
    try:
        conn = _open_existing(path, readonly=True, at_rest=True)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if result != ["ok"]:
                raise BackupError(f"{path} is damaged: {'; '.join(result[:5])}")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"movement", "stock", "_sqlite_migrations"} <= tables:
                raise BackupError(f"{path} is an SQLite database but not a floorscan edge database")
            return conn.execute("SELECT count(*) FROM movement").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a database ({exc})") from None


def backup_name(db_path: Path, when: dt.datetime) -> str:
    return f"{PREFIX}{db_path.stem}-{when.strftime('%Y%m%dT%H%M%S%fZ')}{SUFFIX}"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def take(db_path: str | Path, directory: str | Path, keep: int = 14) -> Backup:
    """Copy ``db_path`` into ``directory`` and keep the newest ``keep`` backups of it."""
    db_path, directory = Path(db_path), Path(directory)
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / backup_name(db_path, _now())
    partial = final.with_name(final.name + ".partial")
    try:
        source = _open_existing(db_path, readonly=True)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {db_path}: {exc}") from None
    try:
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            # pages=-1: the whole file in one step, one read snapshot. Smaller
            # steps restart whenever a writer commits, which under load never ends.
            source.backup(target, pages=-1)
        finally:
            target.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup of {db_path} failed: {exc}") from None
    finally:
        source.close()
    try:
        movements = check_file(partial)
        with open(partial, "rb") as fh:
            os.fsync(fh.fileno())
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, final)
    _fsync_dir(directory)
    removed = rotate(directory, db_path.stem, keep)
    return Backup(final, final.stat().st_size, movements, removed)


def backups(directory: str | Path, stem: str | None = None) -> list[Path]:
    """Backup files in ``directory``, oldest first (their names sort by time)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if p.is_file() and NAME.match(p.name)]
    if stem is not None:
        found = [p for p in found if p.name.startswith(f"{PREFIX}{stem}-")]
    return sorted(found, key=lambda p: p.name)


def rotate(directory: str | Path, stem: str, keep: int) -> list[Path]:
    old = backups(directory, stem)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    for stale in Path(directory).glob(f"{PREFIX}{stem}-*.partial"):
        stale.unlink(missing_ok=True)  # a backup that died half-way
    return old


def _in_use(db_path: Path) -> bool:
    """True while another connection (a running server) has the database open.

    Leaving WAL mode needs the database to itself; SQLite answers with the
    old mode instead of switching when anyone else is connected.
    """
    conn = _open_existing(db_path, readonly=False)
    try:
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            return False
        try:
            switched = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:
            return True
        if switched == "wal":
            return True
        conn.execute("PRAGMA journal_mode = WAL")
        return False
    finally:
        conn.close()


def prepare(backup_file: str | Path, db_path: str | Path) -> Path:
    """Copy the backup beside ``db_path`` and migrate it; returns the copy's path."""
    from edge.db import init_db
    backup_file, db_path = Path(backup_file), Path(db_path)
    check_file(backup_file)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    staged = db_path.with_name(f"{db_path.name}.restoring")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)
    source = _open_existing(backup_file, readonly=True, at_rest=True)
    try:
        target = sqlite3.connect(staged, isolation_level=None)
        try:
            source.backup(target, pages=-1)
        finally:
            target.close()
    finally:
        source.close()
    try:
        _check_migrations_known(staged)
        init_db(staged)  # a backup from an earlier release is upgraded like a database on start
    except BackupError:
        discard(staged)
        raise
    except sqlite3.Error as exc:
        discard(staged)
        raise BackupError(f"{backup_file} cannot be upgraded to this release's schema: {exc}") from None
    return staged


def _check_migrations_known(path: Path) -> None:
    from edge.migrations import migrations
    known = {m.name for m in migrations._migrations}
    conn = _open_existing(path, readonly=True)
    try:
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    finally:
        conn.close()
    newer = [n for n in applied if n not in known]
    if newer:
        raise BackupError(f"the backup comes from a newer floorscan (migrations {', '.join(newer)}); "
                          "restore it with that release")


def discard(staged: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)


def replace(staged: Path, db_path: str | Path) -> Path | None:
    """Move the live database aside and put ``staged`` in its place; returns where the old one went."""
    db_path = Path(db_path)
    kept = None
    if db_path.exists():
        if _in_use(db_path):
            raise BackupError(f"{db_path} is open in another process (is `floorscan serve` running?); "
                              "stop the edge server first")
        kept = db_path.with_name(f"{db_path.name}.before-restore-{_now().strftime('%Y%m%dT%H%M%SZ')}")
        os.replace(db_path, kept)
        for suffix in ("-wal", "-shm"):
            leftover = Path(f"{db_path}{suffix}")
            if leftover.exists():
                os.replace(leftover, Path(f"{kept}{suffix}"))
    for suffix in ("-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)
    os.replace(staged, db_path)
    _fsync_dir(db_path.parent)
    return kept
