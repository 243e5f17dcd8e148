"""Labels as ZPL II for Zebra printers (203 dpi), one ^XA..^XZ block per label.

The printer draws the barcodes itself (^BC Code 128 / GS1-128, ^BX DataMatrix,
^BQ QR), so a job is a few hundred bytes a label. Every human-readable field
goes through ^FH with hex escapes: a ^ or ~ in a bin code or description would
otherwise end the field or start a command, and ^CI28 makes the escapes UTF-8.
"""
from __future__ import annotations

from edge.labels.layout import Code, Label, Text

ESC = "\\"  # the ^FH escape character: \5E is ^


def escape(text: str) -> str:
    """Field data safe inside ^FH\\^FD...^FS: ^ ~ \\ and anything outside printable ASCII as \\hh (UTF-8)."""
    out = []
    for ch in text:
        if 32 <= ord(ch) < 127 and ch not in "^~\\":
            out.append(ch)
        else:
            out.extend(f"{ESC}{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _text(t: Text) -> str:
    return f"^FO{t.x},{t.y}^A0N,{t.height},0^FH{ESC}^FD{escape(t.text)}^FS"


def _code(c: Code) -> str:
    s = c.symbol
    at = f"^FO{c.x},{c.y}"
    if s.kind == "code128":
        # Mode N: '>' starts an invocation code, so a literal '>' is written '><'.
        data = escape(s.data).replace(">", "><")
        return f"{at}^BY{c.module},3,{c.bar_height}^BCN,{c.bar_height},N,N,N,N^FH{ESC}^FD{data}^FS"
    if s.kind == "gs1-128":
        # Mode D (GS1-128): the printer encodes FNC1 and drops the parentheses of the HRI.
        return f"{at}^BY{c.module},3,{c.bar_height}^BCN,{c.bar_height},N,N,N,D^FD{s.data}^FS"
    if s.kind == "gs1-datamatrix":
        # ECC 200 with '@' as the escape character ('@' is not in GS1's character set 82,
        # unlike the default '_'); '@1' is FNC1 in first position, which makes it GS1.
        data = s.data.replace("(", "").replace(")", "")
        return f"{at}^BXN,{c.module},200,0,0,6,@^FD@1{data}^FS"
    if s.kind == "datamatrix":
        return f"{at}^BXN,{c.module},200,0,0,6,@^FH{ESC}^FD{escape(s.data).replace('@', '@@')}^FS"
    if s.kind == "qr":
        # Model 2, error correction M, automatic data mode ("MA,").
        return f"{at}^BQN,2,{c.module}^FH{ESC}^FDMA,{escape(s.data)}^FS"
    raise ValueError(f"no ZPL for {s.kind}")


def render(label: Label) -> str:
    lines = ["^XA", "^CI28", f"^PW{label.width}", f"^LL{label.height}", "^LH0,0"]
    lines += [_text(t) for t in label.texts]
    lines += [_code(c) for c in label.codes]
    lines.append("^XZ")
    return "\n".join(lines) + "\n"


def render_all(labels: list[Label], copies: int = 1) -> str:
    """One job for many labels; ``copies`` prints each label that many times (^PQ)."""
    out = []
    for label in labels:
        text = render(label)
        if copies > 1:
            text = text.replace("^XZ\n", f"^PQ{copies}\n^XZ\n")
        out.append(text)
    return "".join(out)
