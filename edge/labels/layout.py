"""Where things go on a label, in printer dots (203 dpi), once for every output.

A `Label` is a list of text lines and barcodes placed on a page of a given
size. ZPL (zpl.py), PDF (pdf.py) and the browser previews (preview.py) all
draw the same Label, so what the preview shows is what the printer prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from edge.labels import symbols
from edge.labels.errors import NotEncodable

DPI = 203
# name -> (width, height) in dots. 4x2 in for bins and cases, 2x1 in for items on shelves.
SIZES = {"4x2": (812, 406), "2x1": (406, 203)}
FONT = "Helvetica-Bold"  # for measuring; ZPL's font 0 is narrower, so what fits here fits there


@dataclass
class Text:
    x: int
    y: int            # top of the line
    height: int       # character height in dots
    text: str


@dataclass
class Code:
    x: int            # top-left of the first module (quiet zone lies outside)
    y: int
    symbol: symbols.Symbol
    module: int       # dots per module
    bar_height: int   # linear symbols only

    @property
    def width(self) -> int:
        return self.symbol.width * self.module

    @property
    def height(self) -> int:
        return self.bar_height if self.symbol.linear else self.symbol.height * self.module


@dataclass
class Label:
    size: str
    width: int
    height: int
    title: str                        # what the label is for, e.g. "bin A-01-02"
    texts: list[Text] = field(default_factory=list)
    codes: list[Code] = field(default_factory=list)


def text_width(text: str, height: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth
    return stringWidth(text, FONT, height)


def fit_height(text: str, max_width: float, max_height: int, min_height: int = 14) -> int:
    """The largest character height (dots) at which ``text`` fits ``max_width``."""
    one = text_width(text, 1) or 1
    return max(min_height, min(max_height, int(max_width / one)))


def clip(text: str, max_width: float, height: int) -> str:
    """``text`` shortened with an ellipsis until it fits ``max_width`` at ``height``."""
    if text_width(text, height) <= max_width:
        return text
    while text and text_width(text + "…", height) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def _size(size: str) -> tuple[int, int]:
    if size not in SIZES:
        raise NotEncodable(f"unknown label size {size!r}; use one of {', '.join(SIZES)}", field="size")
    return SIZES[size]


def linear_module(symbol: symbols.Symbol, avail: int, *, largest: int = 4, zpl_chars: int = 0) -> int:
    """The widest module (dots) at which a linear symbol plus quiet zones fits ``avail``.

    ``zpl_chars``: the printer encodes ^BC data in subset B, one symbol
    character per input character, so its bars can be wider than zxing's
    optimised encoding; fit the wider of the two."""
    modules = max(symbol.width, 11 * (zpl_chars + 3) + 2 if zpl_chars else 0) + 2 * symbol.quiet
    for module in range(largest, 0, -1):
        if modules * module <= avail:
            return module
    raise NotEncodable(f"{symbol.data!r} is too long for a barcode on this label; use a larger size",
                       field="size")


def matrix_module(symbol: symbols.Symbol, avail: int, largest: int = 8) -> int:
    return max(1, min(largest, avail // (symbol.width + 2 * symbol.quiet)))


def bin_label(bin_row: dict, *, size: str = "4x2", qr: bool = False) -> Label:
    """Bin code as Code 128 with large human-readable text; QR of the same code when asked."""
    w, h = _size(size)
    small = size == "2x1"
    m = 12 if small else 24
    code = bin_row["code"]
    label = Label(size, w, h, f"bin {code}")
    bar_h = 60 if small else 120
    linear = symbols.encode("code128", code)
    module = linear_module(linear, w, zpl_chars=len(code))  # quiet zones may use the margins
    bar = Code((w - linear.width * module) // 2, h - m - bar_h, linear, module, bar_h)
    label.codes.append(bar)
    top_h = bar.y - m - 8
    text_w = w - 2 * m
    if qr:
        square = symbols.encode("qr", code)
        q_mod = matrix_module(square, top_h)
        side = square.width * q_mod
        label.codes.append(Code(w - m - side, m, square, q_mod, 0))
        text_w -= side + m
    sub = " · ".join(str(bin_row[k]) for k in ("zone", "aisle", "kind") if bin_row.get(k))
    sub_h = 0 if not sub else (18 if small else 32)
    big = fit_height(code, text_w, max_height=min(top_h - sub_h - 4, 70 if small else 150))
    label.texts.append(Text(m, m, big, code))
    if sub:
        label.texts.append(Text(m, m + big + 4, sub_h, clip(sub, text_w, sub_h)))
    return label


def item_label(item: dict, *, gtin: str | None, code: str | None, size: str = "4x2", lot: str | None = None,
               expiry: str | None = None, pack_qty: float = 1, symbology: str = "auto") -> Label:
    """An item (pack_qty 1) or case label: GS1 data (01)(17)(10) when the item has a GTIN,
    else Code 128 of its internal barcode; sku, description, lot/expiry and pack qty as text."""
    w, h = _size(size)
    small = size == "2x1"
    m = 12 if small else 24
    case = pack_qty != 1
    label = Label(size, w, h, f"{'case' if case else 'item'} {item['sku']}")
    if gtin:
        data = symbols.gs1_hri(gtin, expiry=expiry, lot=lot)
        kinds = {"auto": ("gs1-128", "gs1-datamatrix"), "gs1-128": ("gs1-128",),
                 "gs1-datamatrix": ("gs1-datamatrix",)}.get(symbology)
        if kinds is None:
            raise NotEncodable(f"symbology {symbology!r} does not fit GS1 data; use auto, gs1-128 or "
                               "gs1-datamatrix", field="symbology")
    else:
        if not code:
            raise NotEncodable(f"item {item['sku']} has no barcode to print; add one in the item master",
                               field="sku")
        data = code
        kinds = ("code128", "datamatrix") if symbology in ("auto", "code128") else (symbology,)
        if symbology not in ("auto", "code128", "datamatrix", "qr"):
            raise NotEncodable(f"symbology {symbology!r} needs a GTIN, and item {item['sku']} has none",
                               field="symbology")
    y = m
    text_x, text_w = m, w - 2 * m
    placed = None
    for kind in kinds:
        symbol = symbols.encode(kind, data)
        if symbol.linear:
            bar_h = 50 if small else 110
            hri_h = 16 if small else 24
            try:
                # GS1-128 needs at least 2 dots (0.25 mm) a module to scan reliably off a shelf edge.
                module = linear_module(symbol, w, zpl_chars=len(symbols.element_string(data)) if gtin else len(data))
            except NotEncodable:
                continue
            if module < 2 and kind != kinds[-1]:
                continue
            placed = Code((w - symbol.width * module) // 2, h - m - bar_h, symbol, module, bar_h)
            label.texts.append(Text(m, placed.y - hri_h - 4, hri_h, clip(data, w - 2 * m, hri_h)))
            bottom = placed.y - hri_h - 8
        else:
            side_avail = (h - 2 * m) if small else min(h - 2 * m, 260)
            module = matrix_module(symbol, side_avail)
            side = symbol.width * module
            placed = Code(w - m - side, m + symbol.quiet * module, symbol, module, 0)
            text_w = w - 3 * m - side - 2 * symbol.quiet * module
            bottom = h - m
        break
    if placed is None:
        raise NotEncodable(f"{data!r} does not fit a {size} label; use a larger size", field="size")
    label.codes.append(placed)
    sku_h = fit_height(item["sku"], text_w, max_height=32 if small else 64)
    label.texts.append(Text(text_x, y, sku_h, item["sku"]))
    y += sku_h + 6
    lines = []
    if case:
        lines.append((f"CASE OF {pack_qty:g} {item.get('uom') or 'ea'}", 20 if small else 40))
    if item.get("description"):
        lines.append((item["description"], 16 if small else 28))
    if lot or expiry:
        lines.append(("  ".join(p for p in (f"LOT {lot}" if lot else "", f"EXP {expiry}" if expiry else "") if p),
                      16 if small else 28))
    for text, th in lines:
        if y + th > bottom:
            break
        label.texts.append(Text(text_x, y, th, clip(text, text_w, th)))
        y += th + 6
    return label
