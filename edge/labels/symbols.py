"""Barcode symbols as module matrices, and the GS1 data they carry.

Every renderer that draws bars itself (PDF, SVG and PNG previews) starts from
the same `Symbol`: a grid of dark/light modules. ZPL does not: the printer
draws its own bars from ^BC / ^BX / ^BQ, which keeps jobs small and sharp.

Encoders: zxing-cpp's writer for Code 128 / GS1-128 and (GS1) DataMatrix (the
same library the tests and the edge's image decoder read with), segno for QR
(its `make_qr` never produces a Micro QR, which phone cameras do not read).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

from edge.labels.errors import NotEncodable

# GS1 AI encodable character set 82 (what AI (10) may hold: no space, no ^ ~ @ #),
# less the parentheses, which would be read as the start of another AI in HRI text.
CSET82 = re.compile(r"[!\"%&'*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")

LINEAR = ("code128", "gs1-128")
MATRIX = ("datamatrix", "gs1-datamatrix", "qr")
KINDS = LINEAR + MATRIX


@dataclass(frozen=True)
class Symbol:
    """A barcode as modules: ``rows[y][x]`` is True for a dark module.
    A linear symbol has one row; its bar height is the renderer's choice."""

    kind: str
    data: str                      # what a scanner reads back (GS1: HRI text)
    rows: tuple[tuple[bool, ...], ...]
    quiet: int                     # modules of quiet zone each side the symbology needs

    @property
    def linear(self) -> bool:
        return self.kind in LINEAR

    @property
    def width(self) -> int:
        return len(self.rows[0])

    @property
    def height(self) -> int:
        return len(self.rows)


def encode(kind: str, data: str) -> Symbol:
    """The symbol for ``data``; GS1 kinds take HRI text like ``(01)...(10)...``."""
    if kind not in KINDS:
        raise NotEncodable(f"unknown symbology {kind!r}; use one of {', '.join(KINDS)}", field="symbology")
    if not data:
        raise NotEncodable("nothing to encode", field="data")
    if kind == "qr":
        return _qr(data)
    if kind in LINEAR and not all(32 <= ord(c) < 127 for c in data):
        raise NotEncodable(f"{data!r} has characters Code 128 cannot carry (printable ASCII only); "
                           "use a QR or DataMatrix label", field="data")
    import numpy as np
    import zxingcpp
    fmt = zxingcpp.BarcodeFormat.Code128 if kind in LINEAR else zxingcpp.BarcodeFormat.DataMatrix
    try:
        # Square DataMatrix only: ^BX with rows/columns 0 picks a square size, and the
        # preview and PDF must be the symbol the printer draws.
        extra = {"force_square": True} if kind in MATRIX else {}
        made = zxingcpp.create_barcode(data, fmt, gs1=kind.startswith("gs1"), **extra)
        pixels = np.array(made.to_image(scale=1, add_quiet_zones=False))
    except Exception as exc:  # zxing-cpp raises plain errors for data it cannot encode
        raise NotEncodable(f"cannot encode {data!r} as {kind}: {exc}", field="data") from None
    dark = pixels < 128
    rows = (tuple(bool(v) for v in dark[0]),) if kind in LINEAR else tuple(tuple(bool(v) for v in r) for r in dark)
    return Symbol(kind, data, rows, quiet=10 if kind in LINEAR else 1)


def _qr(data: str) -> Symbol:
    import segno
    qr = segno.make_qr(data, error="m")
    rows = tuple(tuple(bool(v) for v in row) for row in qr.matrix)
    return Symbol("qr", data, rows, quiet=4)


# -- GS1 data -------------------------------------------------------------------------------

def gtin14(code: str) -> str | None:
    """The GTIN-14 of an EAN-8/UPC-A/EAN-13/GTIN-14 barcode with a valid check digit, else None."""
    if not (code.isascii() and code.isdigit() and len(code) in (8, 12, 13, 14)):
        return None
    from biip.gtin import Gtin
    try:
        return Gtin.parse(code).as_gtin_14()
    except Exception:  # noqa: BLE001 - biip.ParseError: an internal code that only looks like a GTIN
        return None


def gs1_hri(gtin: str, *, expiry: date | str | None = None, lot: str | None = None) -> str:
    """HRI text ``(01)gtin(17)yymmdd(10)lot``, checked by the edge's own scan parser.

    Fixed-length AIs first and the variable-length lot last, so no FNC1
    separator is ever needed inside the symbol (which keeps the ZPL simple)."""
    from edge.scans.gs1 import GS1Error, parse_hri
    hri = f"(01){gtin}"
    if expiry:
        try:
            day = date.fromisoformat(str(expiry)[:10])
        except ValueError:
            raise NotEncodable(f"expiry {expiry!r} is not a date (YYYY-MM-DD)", field="expiry") from None
        hri += f"(17){day:%y%m%d}"
    if lot:
        if not CSET82.fullmatch(lot):
            raise NotEncodable(f"lot {lot!r} cannot go into GS1 AI (10): 1 to 20 characters of letters, digits "
                               "and !\"%&'*+,-./:;<=>?_ (no spaces)", field="lot")
        hri += f"(10){lot}"
    try:
        parse_hri(hri)
    except GS1Error as exc:
        raise NotEncodable(f"not valid GS1 data {hri!r}: {exc}", field="lot" if lot else "gtin") from None
    return hri


def element_string(hri: str) -> str:
    """``(01)123(10)AB`` -> ``0112310AB``: the data as encoded (no separators needed, see gs1_hri)."""
    return hri.replace("(", "").replace(")", "")


# -- rendering the symbol alone (label previews draw it inside the label) -------------------

def to_svg(symbol: Symbol, module: int = 4, bar_height: int = 60) -> str:
    """A standalone SVG of the symbol with its quiet zone."""
    q = symbol.quiet
    h_modules = symbol.height if not symbol.linear else max(1, bar_height // module)
    w, h = (symbol.width + 2 * q) * module, (h_modules + (0 if symbol.linear else 2 * q)) * module
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'shape-rendering="crispEdges"><rect width="{w}" height="{h}" fill="#fff"/>']
    parts += [f'<rect x="{x}" y="{y}" width="{ww}" height="{hh}"/>'
              for x, y, ww, hh in rects(symbol, q * module, 0 if symbol.linear else q * module, module,
                                        bar_height)]
    parts.append("</svg>")
    return "".join(parts)


def rects(symbol: Symbol, x0: float, y0: float, module: float, bar_height: float):
    """Dark rectangles (x, y, w, h) of a symbol placed at (x0, y0), top-left origin.
    Runs of dark modules in a row are merged, so a bar is one rectangle."""
    rows = symbol.rows
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            height = bar_height if symbol.linear else module
            yield (x0 + start * module, y0 + y * module, (x - start) * module, height)


def to_png(symbol: Symbol, module: int = 4, bar_height: int = 60) -> bytes:
    """A PNG of the symbol with its quiet zone (what the tests decode)."""
    from PIL import Image, ImageDraw
    q = symbol.quiet * module
    w = symbol.width * module + 2 * q
    h = bar_height + 2 * module if symbol.linear else symbol.height * module + 2 * q
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    for x, y, ww, hh in rects(symbol, q, module if symbol.linear else q, module, bar_height):
        draw.rectangle([x, y, x + ww - 1, y + hh - 1], fill=0)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
