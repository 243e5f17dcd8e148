"""Labels as a PDF (reportlab) for office printers: N-up on A4 or Letter sheets,
or one label per page at the label's own size for PDF-driven label printers.

Bars are drawn as vector rectangles from the same module matrix the previews
use, so they stay sharp at any printer resolution.
"""
from __future__ import annotations

import io

from edge.labels import symbols
from edge.labels.errors import NotEncodable
from edge.labels.layout import DPI, FONT, Label

PT = 72 / DPI  # points per printer dot
SHEETS = ("a4", "letter", "label")
MARGIN_PT = 28  # 10 mm: inside what office printers can reach


def _page_size(sheet: str):
    from reportlab.lib.pagesizes import A4, LETTER
    return {"a4": A4, "letter": LETTER}[sheet]


def grid(sheet: str, label_w: float, label_h: float) -> tuple[int, int]:
    """Columns and rows of labels (in points) that fit a sheet."""
    page_w, page_h = _page_size(sheet)
    return max(1, int((page_w - 2 * MARGIN_PT) // label_w)), max(1, int((page_h - 2 * MARGIN_PT) // label_h))


def draw(canvas, label: Label, x0: float, y0: float, *, guide: bool = False) -> None:
    """Draw one label with its top-left corner at (x0, y0) in PDF points (origin bottom-left)."""
    if guide:  # a hairline to cut along
        canvas.setStrokeGray(0.8)
        canvas.setLineWidth(0.25)
        canvas.rect(x0, y0 - label.height * PT, label.width * PT, label.height * PT, stroke=1, fill=0)
    canvas.setFillGray(0)
    for t in label.texts:
        size = t.height * PT
        canvas.setFont(FONT, size)
        canvas.drawString(x0 + t.x * PT, y0 - (t.y * PT) - size * 0.8, t.text)
    for c in label.codes:
        for x, y, w, h in symbols.rects(c.symbol, c.x, c.y, c.module, c.bar_height):
            canvas.rect(x0 + x * PT, y0 - (y + h) * PT, w * PT, h * PT, stroke=0, fill=1)


def render(labels: list[Label], sheet: str = "a4") -> bytes:
    """The PDF: ``sheet`` a4 / letter (N-up, cut guides) or label (one per page)."""
    from reportlab.pdfgen.canvas import Canvas
    if sheet not in SHEETS:
        raise NotEncodable(f"unknown sheet {sheet!r}; use one of {', '.join(SHEETS)}", field="sheet")
    out = io.BytesIO()
    if not labels:
        raise NotEncodable("no labels to print", field="labels")
    first = labels[0]
    lw, lh = first.width * PT, first.height * PT
    if sheet == "label":
        canvas = Canvas(out, pagesize=(lw, lh))
        for label in labels:
            draw(canvas, label, 0, lh)
            canvas.showPage()
    else:
        page_w, page_h = _page_size(sheet)
        canvas = Canvas(out, pagesize=(page_w, page_h))
        cols, rows = grid(sheet, lw, lh)
        # Centre the grid so the sheet cuts evenly.
        left = (page_w - cols * lw) / 2
        top = page_h - (page_h - rows * lh) / 2
        for i, label in enumerate(labels):
            slot = i % (cols * rows)
            if i and slot == 0:
                canvas.showPage()
            draw(canvas, label, left + (slot % cols) * lw, top - (slot // cols) * lh, guide=True)
        canvas.showPage()
    canvas.setTitle(f"floorscan labels: {first.title}" + (f" and {len(labels) - 1} more" if len(labels) > 1 else ""))
    canvas.save()
    return out.getvalue()
