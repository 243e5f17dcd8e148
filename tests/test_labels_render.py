"""Labels rendered to ZPL, PDF and images: every barcode decodes back (zxing-cpp)
to exactly the data meant, and the ZPL has the structure a Zebra printer expects."""
from __future__ import annotations

import re

import pytest

from _labels_support import GS, decode, pdf_pages_as_png
from edge.labels import layout, pdf, preview, symbols, zpl
from edge.labels.errors import NotEncodable

GTIN13 = "9506000134352"  # GS1's own example GTIN (check digit 2)
BIN = {"code": "A-01-02-3", "zone": "A", "aisle": "A-01", "kind": "storage"}
ITEM = {"sku": "SKU-1", "description": "Hummus ^red~ pepper 200 g", "uom": "ea"}


def test_symbols_decode_to_what_was_encoded():
    cases = [("code128", "A-01-02-3", "Code128", "]C0"),
             ("gs1-128", "(01)09506000134352(17)271231(10)LOT42", "Code128", "]C1"),
             ("gs1-datamatrix", "(01)09506000134352(17)271231(10)LOT42", "DataMatrix", "]d2"),
             ("datamatrix", "BIN Ä-1", "DataMatrix", "]d1"),
             ("qr", "A-01-02-3", "QRCode", "]Q1")]
    for kind, data, fmt, aim in cases:
        found = decode(symbols.to_png(symbols.encode(kind, data)))
        assert found == [(data, fmt, aim)], kind


def test_gs1_data_is_fixed_length_first_and_checked():
    assert symbols.gs1_hri("09506000134352", expiry="2027-12-31", lot="L1") == "(01)09506000134352(17)271231(10)L1"
    assert symbols.gtin14(GTIN13) == "09506000134352"
    assert symbols.gtin14("9506000134353") is None  # wrong check digit: an internal code, not a GTIN
    with pytest.raises(NotEncodable) as exc:
        symbols.gs1_hri("09506000134352", lot="LOT 1")
    assert exc.value.field == "lot" and "no spaces" in exc.value.detail
    with pytest.raises(NotEncodable) as exc:
        symbols.gs1_hri("09506000134352", expiry="31/12/2027")
    assert exc.value.field == "expiry"


def test_code128_refuses_what_it_cannot_carry():
    with pytest.raises(NotEncodable, match="printable ASCII"):
        symbols.encode("code128", "BIN-Ä")


def test_bin_label_zpl_structure_and_escaping():
    label = layout.bin_label({**BIN, "code": "A^1~2\\3"}, qr=True)
    text = zpl.render(label)
    assert text.startswith("^XA\n^CI28\n^PW812\n^LL406") and text.rstrip().endswith("^XZ")
    assert text.count("^XA") == text.count("^XZ") == 1
    # the code as Code 128 (mode N, no printer HRI), and as QR; ^ ~ \ only as ^FH hex escapes
    assert re.search(r"\^BCN,120,N,N,N,N\^FH\\\^FDA\\5E1\\7E2\\5C3\^FS", text)
    assert "^BQN,2," in text and "^FDMA,A\\5E1\\7E2\\5C3^FS" in text
    for field in re.findall(r"\^FD(.*?)\^FS", text):
        assert "^" not in field and "~" not in field
    # every field is placed inside the label
    for x, y in re.findall(r"\^FO(\d+),(\d+)", text):
        assert 0 <= int(x) < 812 and 0 <= int(y) < 406


def test_item_and_case_label_zpl_fields():
    item = zpl.render(layout.item_label(ITEM, gtin="09506000134352", code=GTIN13, lot="L1", expiry="2027-12-31"))
    assert "^BCN,110,N,N,N,D^FD(01)09506000134352(17)271231(10)L1^FS" in item  # GS1-128, mode D
    assert "^FH\\^FDHummus \\5Ered\\7E pepper 200 g^FS" in item
    case = zpl.render(layout.item_label(ITEM, gtin="19506000134359", code="19506000134359", size="2x1",
                                        pack_qty=12, lot="L1"))
    assert "^PW406\n^LL203" in case
    assert "^BXN," in case and ",200,0,0,6,@^FD@1011950600013435910L1^FS" in case  # GS1 DataMatrix: FNC1 first
    assert "CASE OF 12 ea" in case


def test_copies_use_print_quantity():
    text = zpl.render_all([layout.bin_label(BIN)], copies=3)
    assert "^PQ3\n^XZ" in text


def test_long_code_on_small_label_is_refused_with_the_size_field():
    with pytest.raises(NotEncodable) as exc:
        layout.bin_label({"code": "X" * 40}, size="2x1")
    assert exc.value.field == "size"


def test_item_without_barcode_is_refused():
    with pytest.raises(NotEncodable, match="no barcode"):
        layout.item_label(ITEM, gtin=None, code=None)


def test_preview_png_decodes_for_each_label_kind():
    labels = [layout.bin_label(BIN, qr=True),
              layout.item_label(ITEM, gtin="09506000134352", code=GTIN13, lot="L1", expiry="2027-12-31"),
              layout.item_label(ITEM, gtin="09506000134352", code=GTIN13, size="2x1", lot="L1")]
    found = [sorted(decode(preview.png(label, scale=2))) for label in labels]
    assert found[0] == [("A-01-02-3", "Code128", "]C0"), ("A-01-02-3", "QRCode", "]Q1")]
    assert found[1] == [("(01)09506000134352(17)271231(10)L1", "Code128", "]C1")]
    assert found[2] == [("(01)09506000134352(10)L1", "DataMatrix", "]d2")]


def test_preview_svg_is_the_label():
    svg = preview.svg(layout.bin_label({**BIN, "code": "A<1>&"}))
    assert svg.startswith("<svg") and 'viewBox="0 0 812 406"' in svg and "A&lt;1&gt;&amp;" in svg


def test_pdf_sheet_barcodes_decode():
    labels = [layout.bin_label({**BIN, "code": f"A-01-{i:02d}"}) for i in range(7)]
    data = pdf.render(labels, "a4")
    assert data.startswith(b"%PDF")
    cols, rows = pdf.grid("a4", 812 * pdf.PT, 406 * pdf.PT)
    per_page = cols * rows
    assert per_page == 5  # 4x2 in labels, 10 mm margins, on A4
    if GS is None:
        # No PDF rasteriser on this machine: the PDF draws the very rectangles
        # the PNG preview does (symbols.rects), so decode those instead.
        found = {t for label in labels for t, *_ in decode(preview.png(label, scale=2))}
    else:
        pages = pdf_pages_as_png(data)
        assert len(pages) == 2
        found = {t for page in pages for t, *_ in decode(page)}
    assert found == {f"A-01-{i:02d}" for i in range(7)}


def test_pdf_one_label_per_page_and_letter():
    label = layout.item_label(ITEM, gtin="09506000134352", code=GTIN13, lot="L1", expiry="2027-12-31")
    data = pdf.render([label, label], "label")
    assert re.search(rb"/Count 2\b", data)
    if GS:
        pages = pdf_pages_as_png(data, dpi=300)
        assert [decode(p) for p in pages] == [[("(01)09506000134352(17)271231(10)L1", "Code128", "]C1")]] * 2
    letter = pdf.render([label], "letter")
    assert re.search(rb"/MediaBox \[\s*0 0 612 792\s*\]", letter)
    with pytest.raises(NotEncodable):
        pdf.render([label], "a3")


def test_datamatrix_is_square_like_the_printers():
    # ^BX with rows and columns 0 prints a square symbol; the preview and PDF must match it.
    symbol = symbols.encode("gs1-datamatrix", "(01)19506000134359(17)271231(10)L42")
    assert symbol.width == symbol.height
