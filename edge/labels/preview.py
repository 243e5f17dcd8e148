"""Labels drawn for a screen: SVG for the browser's print preview and PNG
(Pillow) for anything that wants pixels, e.g. the tests that decode them."""
from __future__ import annotations

import io
from html import escape

from edge.labels import symbols
from edge.labels.layout import Label


def svg(label: Label) -> str:
    """The label at 1 px per printer dot; scales cleanly (crispEdges keeps bars sharp)."""
    w, h = label.width, label.height
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
             f'role="img" aria-label="{escape(label.title)}">',
             f'<rect width="{w}" height="{h}" fill="#fff" stroke="#bbb"/>',
             '<g font-family="Helvetica, Arial, sans-serif" font-weight="bold" fill="#000">']
    for t in label.texts:
        parts.append(f'<text x="{t.x}" y="{t.y + t.height * 0.8:.1f}" font-size="{t.height}">{escape(t.text)}</text>')
    parts.append('</g><g shape-rendering="crispEdges" fill="#000">')
    for c in label.codes:
        parts += [f'<rect x="{x}" y="{y}" width="{ww}" height="{hh}"/>'
                  for x, y, ww, hh in symbols.rects(c.symbol, c.x, c.y, c.module, c.bar_height)]
    parts.append("</g></svg>")
    return "".join(parts)


def png(label: Label, scale: int = 1) -> bytes:
    """The label as a PNG, ``scale`` pixels per printer dot."""
    from PIL import Image, ImageDraw, ImageFont
    img = Image.new("L", (label.width * scale, label.height * scale), 255)
    draw = ImageDraw.Draw(img)
    for t in label.texts:
        try:
            font = ImageFont.load_default(size=t.height * scale)
        except (TypeError, OSError):  # Pillow without FreeType: a small bitmap font
            font = ImageFont.load_default()
        draw.text((t.x * scale, t.y * scale), t.text, fill=0, font=font)
    for c in label.codes:
        for x, y, w, h in symbols.rects(c.symbol, c.x, c.y, c.module, c.bar_height):
            draw.rectangle([x * scale, y * scale, (x + w) * scale - 1, (y + h) * scale - 1], fill=0)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
