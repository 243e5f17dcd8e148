"""Decoding engines behind one interface: a grayscale image in, codes out.

Each engine answers with `Code`s that carry the text exactly as the symbol
holds it (FNC1 as ASCII 29), the AIM symbology identifier (ISO/IEC 15424) and
the corner points, so that edge.scans reads GS1 data the same way it reads a
handheld scanner's ]C1 / ]d2 / ]Q3 prefix.
"""
from __future__ import annotations

from ctypes import POINTER, c_uint, c_void_p, cast, string_at
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Code:
    text: str                      # as encoded; FNC1 separators are "\x1d"
    symbology: str                 # a name people know: "GS1-128", "EAN-13", "GS1 DataMatrix"
    aim: str | None                # "]C1", "]E0", "]d2" ... when the engine can tell
    engine: str                    # "zxing-cpp" or "pyzbar"
    position: list[list[int]] = field(default_factory=list)  # corners, clockwise from top-left

    @property
    def scan(self) -> str:
        """What a scanner with AIM prefixes switched on would have sent."""
        return (self.aim or "") + self.text

    def key(self) -> tuple[str, str]:
        """Same symbol, whichever engine read it."""
        return (self.aim or self.symbology, self.text)

    def scaled(self, factor: float, dx: int = 0, dy: int = 0) -> "Code":
        points = [[int(round(x * factor)) + dx, int(round(y * factor)) + dy] for x, y in self.position]
        return Code(self.text, self.symbology, self.aim, self.engine, points)


def _upc_a(text: str, aim: str | None, name: str) -> tuple[str, str]:
    # Both engines report UPC-A as EAN-13 with a leading 0; the label prints
    # 12 digits and catalogs store them that way.
    if aim == "]E0" and name in ("EAN-13", "UPC-A") and len(text) == 13 and text.startswith("0"):
        return text[1:], "UPC-A"
    return text, name


def _plausible(code: Code) -> bool:
    """ITF has no strong check of its own and partial reads of it are common; in a
    warehouse it is printed as ITF-14 (a case GTIN), so only that is believed."""
    if code.symbology in ("ITF", "ITF-14"):
        return len(code.text) == 14 and _mod10_ok(code.text)
    return True


def _mod10_ok(digits: str) -> bool:
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == int(digits[-1])


# -- zxing-cpp ------------------------------------------------------------------------

_ZXING_NAMES = {
    ("Code128", True): "GS1-128", ("Code128", False): "Code 128",
    ("DataMatrix", True): "GS1 DataMatrix", ("DataMatrix", False): "DataMatrix",
    ("QRCode", True): "GS1 QR Code", ("QRCode", False): "QR Code",
    ("EAN13", False): "EAN-13", ("EAN8", False): "EAN-8", ("UPCA", False): "UPC-A", ("UPCE", False): "UPC-E",
    ("ITF", False): "ITF", ("ITF14", False): "ITF-14",
}


FORMATS = ("Code128", "EANUPC", "ITF", "QRCode", "DataMatrix", "DataBar", "DataBarExp", "Code39")


class ZxingEngine:
    """zxing-cpp: reads every symbology we meet, DataMatrix and DataBar included.

    `thorough=False` switches off zxing's own rotation, downscale and invert
    passes: about 5x faster per frame; the pipeline adds back only what the
    measurements in docs/decoding.md showed to help.
    """

    def __init__(self, thorough: bool = False, rotate: bool = False):
        import zxingcpp
        self._z = zxingcpp
        self.thorough = thorough
        self.rotate = rotate
        self.name = "zxing-cpp" if thorough else "zxing-cpp-fast"
        # Only the symbologies a warehouse prints: every extra reader costs
        # time on every frame (all formats: 8.3 ms per 720p frame, these: 4.5).
        self.formats = [getattr(zxingcpp.BarcodeFormat, f) for f in FORMATS]

    def decode(self, gray: np.ndarray) -> list[Code]:
        z = self._z
        options = {} if self.thorough else {"try_rotate": self.rotate, "try_downscale": False, "try_invert": False}
        found = z.read_barcodes(gray, formats=self.formats, text_mode=z.TextMode.Plain, **options)
        return [c for c in (self._code(b) for b in found if b.valid) if _plausible(c)]

    def _code(self, b) -> Code:
        aim = b.symbology_identifier or None
        gs1 = b.content_type == self._z.ContentType.GS1
        fmt = b.format.name if hasattr(b.format, "name") else str(b.format)
        name = _ZXING_NAMES.get((fmt, gs1)) or _ZXING_NAMES.get((fmt, False)) or str(b.format)
        if fmt.startswith("DataBar"):
            name = str(b.format).replace("DataBar", "GS1 DataBar")
        if fmt == "ITF" and len(b.text) == 14:
            name = "ITF-14"
        text, name = _upc_a(b.text, aim, name)
        p = b.position
        corners = [[p.top_left.x, p.top_left.y], [p.top_right.x, p.top_right.y],
                   [p.bottom_right.x, p.bottom_right.y], [p.bottom_left.x, p.bottom_left.y]]
        return Code(text, name, aim, "zxing-cpp", corners)


# -- pyzbar (libzbar) ---------------------------------------------------------------------

# zbar names symbologies but has no AIM identifiers; its GS1 flag (a symbol
# modifier, which pyzbar does not expose) tells GS1-128 from plain Code 128.
_ZBAR = {
    "CODE128": ("Code 128", "]C0", "GS1-128", "]C1"),
    "QRCODE": ("QR Code", "]Q1", "GS1 QR Code", "]Q3"),
    "EAN13": ("EAN-13", "]E0", None, None),
    "UPCA": ("UPC-A", "]E0", None, None),
    "UPCE": ("UPC-E", "]E0", None, None),
    "EAN8": ("EAN-8", "]E4", None, None),
    "DATABAR": ("GS1 DataBar", "]e0", "GS1 DataBar", "]e0"),
    "DATABAR_EXP": ("GS1 DataBar Expanded", "]e0", "GS1 DataBar Expanded", "]e0"),
    "CODE39": ("Code 39", "]A0", None, None),
    "CODE93": ("Code 93", "]G0", None, None),
    "CODABAR": ("Codabar", "]F0", None, None),
    "PDF417": ("PDF417", "]L2", None, None),
}
_ZBAR_MOD_GS1 = 1 << 0


class PyzbarEngine:
    """pyzbar over the system libzbar: 1D codes and QR; no DataMatrix."""

    name = "pyzbar"

    def __init__(self):
        from pyzbar import pyzbar, wrapper
        self._pz, self._w = pyzbar, wrapper
        self._modifiers = wrapper.zbar_function("zbar_symbol_get_modifiers", c_uint, POINTER(wrapper.zbar_symbol))

    def decode(self, gray: np.ndarray) -> list[Code]:
        w, pz = self._w, self._pz
        gray = np.ascontiguousarray(gray)
        height, width = gray.shape[:2]
        pixels = gray.tobytes()
        out = []
        with pz._image_scanner() as scanner, pz._image() as image:
            w.zbar_image_set_format(image, pz._FOURCC["L800"])
            w.zbar_image_set_size(image, width, height)
            w.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)
            if w.zbar_scan_image(scanner, image) < 0:
                return []
            symbol = w.zbar_image_first_symbol(image)
            while symbol:
                out.append(self._code(symbol))
                symbol = w.zbar_symbol_next(symbol)
        return [c for c in out if c is not None and _plausible(c)]

    def _code(self, symbol) -> Code | None:
        w = self._w
        try:
            kind = w.ZBarSymbol(symbol.contents.type).name
        except ValueError:  # a symbology this libzbar knows and pyzbar does not
            kind = None
        data = string_at(w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol))
        text = data.decode("utf-8", errors="replace")
        gs1 = bool(self._modifiers(symbol) & _ZBAR_MOD_GS1)
        if kind == "I25":
            name, aim = ("ITF-14" if len(text) == 14 else "ITF"), ("]I1" if _mod10_ok(text) else "]I0")
        elif kind in _ZBAR:
            plain_name, plain_aim, gs1_name, gs1_aim = _ZBAR[kind]
            name, aim = (gs1_name, gs1_aim) if gs1 and gs1_name else (plain_name, plain_aim)
        else:
            name, aim = (kind or "unknown"), None
        text, name = _upc_a(text, aim, name)
        points = [[w.zbar_symbol_get_loc_x(symbol, i), w.zbar_symbol_get_loc_y(symbol, i)]
                  for i in range(w.zbar_symbol_get_loc_size(symbol))]
        return Code(text, name, aim, "pyzbar", _corners(points))


def _corners(points: list[list[int]]) -> list[list[int]]:
    """zbar gives the scan-line hits (often 4-6 points): reduce to the box's corners."""
    if len(points) <= 1:
        return points
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [[min(xs), min(ys)], [max(xs), min(ys)], [max(xs), max(ys)], [min(xs), max(ys)]]


ENGINES = {"zxing-cpp": lambda: ZxingEngine(thorough=True), "zxing-cpp-fast": lambda: ZxingEngine(thorough=False),
           "pyzbar": PyzbarEngine}
