"""CSV import and export of master data and opening stock. No Flask.

An import is all or nothing: the whole file is read and checked first, then
one writer job checks what needs the database and writes everything in one
transaction, or raises :class:`ImportFailed` naming every bad line and writes
nothing. ``stock`` is the opening inventory count: it posts movements through
the ledger like any scan; it never touches the stock projection itself.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable

from edge.csvio import export as _export
from edge.csvio.export import EXPORT_KINDS
from edge.csvio.kinds import KINDS, OpeningStockIn, validate
from edge.csvio.load import Batch, job_for, opening_id
from edge.csvio.parse import Unreadable, decode, read_rows
from edge.csvio.report import ImportFailed, Report, RowError

__all__ = ["EXPORT_KINDS", "IMPORT_KINDS", "ImportFailed", "OpeningStockIn", "Report", "RowError",
           "UnknownKind", "export_chunks", "export_file", "import_bytes", "import_file", "opening_id"]

from edge.csvio import purchase_orders as _purchase_orders  # noqa: E402

KINDS[_purchase_orders.KIND.name] = _purchase_orders.KIND
from edge.csvio import sales_orders as _sales_orders  # noqa: E402

KINDS[_sales_orders.KIND.name] = _sales_orders.KIND
IMPORT_KINDS = tuple(KINDS)
# Below this a file is done before a bar would be worth drawing.
PROGRESS_MIN_LINES = 5_000


class UnknownKind(ValueError):
    """Not a kind of file floorscan imports or exports."""


def import_bytes(data: bytes, kind: str, *, name: str, run: Callable[[Callable], Any],
                 progress: bool = False, user_id: int | None = None) -> Report:
    """Import a CSV file's bytes; ``run(job)`` executes the write job in the writer."""
    if kind not in KINDS:
        raise UnknownKind(f"cannot import {kind!r}; choose one of {', '.join(IMPORT_KINDS)}")
    spec = KINDS[kind]
    started = time.perf_counter()
    try:
        text = decode(data)
        lines = text.count("\n") + 1
        show = progress and lines >= PROGRESS_MIN_LINES and sys.stderr.isatty()
        with _bar(show, lines, "checking", " lines") as advance:
            done = 0

            def seen(row):
                nonlocal done
                advance(row.end - done)
                done = row.end
            rows = read_rows(text, columns=spec.columns, required=spec.required, kind=kind)
            good, errors, count = validate(spec, rows, seen)
    except Unreadable as exc:
        raise ImportFailed(kind, name, exc.errors) from None
    report = Report(kind, name, rows=count)
    with _bar(show, len(good), "writing", " rows") as advance:
        batch = Batch(spec, name, data, good, errors, report, user_id=user_id, progress=advance)
        run(spec.load(batch) if spec.load else job_for(batch))
    report.seconds = time.perf_counter() - started
    return report


def import_file(db_path: str, kind: str, path_or_dash: str, *, progress: bool = True,
                user_id: int | None = None) -> Report:
    """Import a file (``-`` for standard input) into the database at ``db_path``."""
    from edge.writer import Writer
    name = "stdin" if path_or_dash == "-" else os.path.basename(path_or_dash)
    try:
        if path_or_dash == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path_or_dash, "rb") as fh:
                data = fh.read()
    except OSError as exc:
        raise ImportFailed(kind, name, [RowError(0, None, f"cannot read {path_or_dash}: {exc.strerror}")]) from None
    writer = Writer(db_path)
    try:
        # No timeout: a big file may hold the writer for a while, and the
        # command line has nobody else waiting on it.
        return import_bytes(data, kind, name=name, run=lambda job: writer.run(job, timeout=None),
                            progress=progress, user_id=user_id)
    finally:
        writer.close()


def export_file(db_path: str, kind: str, path_or_dash: str, *, after_seq: int | None = None) -> int:
    """Write ``kind`` as CSV to a file (``-`` for standard output); the number of rows."""
    from edge.db import connect
    if kind not in EXPORT_KINDS:
        raise UnknownKind(f"cannot export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    conn = connect(db_path, readonly=True)
    try:
        if path_or_dash == "-":
            count = _export.write(conn, kind, sys.stdout, after_seq=after_seq)
            sys.stdout.flush()
            return count
        # Written beside the target and renamed, so a half-written export
        # never sits where a complete one is expected.
        tmp = f"{path_or_dash}.partial"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            count = _export.write(conn, kind, fh, after_seq=after_seq)
        os.replace(tmp, path_or_dash)
        return count
    finally:
        conn.close()


def export_chunks(db_path: str, kind: str, *, after_seq: int | None = None):
    """CSV text in pieces, on a connection of its own that closes when the
    consumer finishes or abandons the stream."""
    from edge.db import connect
    if kind not in EXPORT_KINDS:
        raise UnknownKind(f"cannot export {kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    conn = connect(db_path, readonly=True)
    try:
        yield from _export.chunks(conn, kind, after_seq=after_seq)
    finally:
        conn.close()


@contextmanager
def _bar(show: bool, total: int, what: str, unit: str):
    if not show:
        yield lambda n: None
        return
    from tqdm import tqdm
    step = max(1, total // 500)  # an update costs more than a row: bunch them
    pending = 0

    def advance(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= step:
            bar.update(pending)
            pending = 0

    with tqdm(total=total, desc=what, unit=unit, unit_scale=True, file=sys.stderr, leave=False) as bar:
        yield advance
