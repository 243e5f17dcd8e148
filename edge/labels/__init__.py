"""Bin, item and case labels: ZPL for Zebra printers, PDF sheets for office
printers, SVG/PNG previews for the browser. Imports no Flask.

    source.py   what goes on the labels (master data reads, limits, 404s)
    layout.py   where it goes, in printer dots: one layout for every output
    symbols.py  barcodes as module matrices (zxing-cpp, segno) and GS1 data
    zpl.py / pdf.py / preview.py   the outputs;  printer.py  raw TCP 9100
"""
from __future__ import annotations

from dataclasses import dataclass

from edge.labels.errors import NotEncodable

FORMATS = ("zpl", "pdf")
MAX_COPIES = 100


@dataclass
class Job:
    body: str | bytes
    count: int
    mimetype: str
    labels: list


def make_labels(conn, kind: str, *, size: str = "4x2", **which) -> list:
    from edge.labels import source
    if kind == "bins":
        return source.bin_labels(conn, size=size, **which)
    if kind == "items":
        return source.item_labels(conn, which.pop("skus"), size=size, **which)
    raise NotEncodable(f"unknown label kind {kind!r}; use bins or items", field="kind")


def make_job(conn, kind: str, *, fmt: str = "zpl", sheet: str = "a4", copies: int = 1, **options) -> Job:
    """The whole print job for ``kind`` (bins / items) as ZPL text or PDF bytes."""
    if fmt not in FORMATS:
        raise NotEncodable(f"unknown format {fmt!r}; use zpl or pdf", field="format")
    if not 1 <= copies <= MAX_COPIES:
        raise NotEncodable(f"copies must be 1 to {MAX_COPIES}", field="copies")
    labels = make_labels(conn, kind, **options)
    if fmt == "zpl":
        from edge.labels import zpl
        return Job(zpl.render_all(labels, copies), len(labels), "application/zpl", labels)
    from edge.labels import pdf
    return Job(pdf.render(labels * copies if copies > 1 else labels, sheet), len(labels), "application/pdf", labels)
