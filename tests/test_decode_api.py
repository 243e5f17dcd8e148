"""POST /api/v1/decode: photos in, every code with its symbology, position and
scan interpretation out; every kind of bad upload answered with a problem
detail that says what is wrong, never a 500."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

from _decode_support import GS, LABELS, corpus, encode, label, place, scene, sscc
from conftest import PINS, assert_problem, make_bin, make_item


def photo(*classes, size=(1280, 720), seed=3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frame = scene(size, rng)
    for i, cls in enumerate(classes):
        img = label(cls) if isinstance(cls, str) else cls
        frame, _ = place(frame, img, rng, at=(40 + (i % 3) * 420, 40 + (i // 3) * 330))
    return frame


def post_image(client, headers, data: bytes, content_type="image/jpeg"):
    return client.post("/api/v1/decode", data=data, headers={**headers, "Content-Type": content_type})


def post_form(client, headers, data: bytes, field="image", name="photo.jpg"):
    return client.post("/api/v1/decode", data={field: (io.BytesIO(data), name)}, headers=headers,
                       content_type="multipart/form-data")


@pytest.fixture
def catalog(app):
    make_bin(app, "D-DOCK-01", kind="dock")
    make_item(app, "BOLT", barcodes=[(LABELS["ean13"][1], 1)])
    make_item(app, "SODA", barcodes=[(LABELS["upca"][1], 1)])
    make_item(app, "MILK", barcodes=[("09506000134352", 6)], tracking="lot", perishable=True)
    return app


def test_a_photo_of_several_labels_reads_them_all_with_interpretation(client, auth_for, catalog):
    img = photo("ean13", "gs1-datamatrix", "qr", "upca", "itf14")
    r = post_form(client, auth_for("picker"), encode(img, ".jpg"))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["width"], body["height"]) == (1280, 720) and body["ms"] > 0
    codes = {c["symbology"]: c for c in body["codes"]}
    assert set(codes) == {"EAN-13", "GS1 DataMatrix", "QR Code", "UPC-A", "ITF-14"}
    ean = codes["EAN-13"]
    assert (ean["text"], ean["aim"]) == (LABELS["ean13"][1], "]E0")
    assert ean["scan"]["kind"] == "item" and ean["scan"]["sku"] == "BOLT"
    assert codes["UPC-A"]["scan"]["sku"] == "SODA"
    dm = codes["GS1 DataMatrix"]
    assert dm["aim"] == "]d2" and GS in dm["text"]
    assert dm["scan"]["kind"] == "gs1" and dm["scan"]["sku"] == "MILK" and dm["scan"]["gs1"]["lot"] == "LOT42"
    assert codes["QR Code"]["scan"]["kind"] == "gs1"   # a GS1 Digital Link
    x0, y0 = 40 + 420, 40   # where the DataMatrix was pasted (second slot)
    assert all(x0 <= x <= x0 + 300 and y0 <= y <= y0 + 300 for x, y in dm["position"])


def test_raw_png_body_and_an_sscc(client, auth_for):
    img = photo(label("gs1-128", "00" + sscc(5)))
    r = post_image(client, auth_for("receiver"), encode(img, ".png"), "image/png")
    assert r.status_code == 200, r.get_json()
    [code] = r.get_json()["codes"]
    assert code["symbology"] == "GS1-128" and code["aim"] == "]C1"
    assert code["scan"]["kind"] == "sscc" and code["scan"]["sscc"] == sscc(5)
    assert code["scan"]["raw"] == "]C100" + sscc(5)


@pytest.mark.parametrize("role", sorted(PINS))
def test_every_signed_in_role_may_decode(client, auth_for, role):
    r = post_image(client, auth_for(role), encode(photo("qr"), ".jpg"))
    assert r.status_code == 200


def test_sign_in_is_required(client):
    body = assert_problem(post_image(client, {}, encode(photo("qr"), ".jpg")), 401)
    assert "Bearer" in body["detail"]


def test_a_photo_without_a_barcode_is_422_with_advice(client, auth_for):
    body = assert_problem(post_image(client, auth_for("picker"), encode(scene((1280, 720), np.random.default_rng(1)),
                                                                         ".jpg")), 422)
    assert body["title"] == "No barcode found" and body["type"].endswith("/no-barcode")
    assert "1280x720" in body["detail"] and "closer" in body["detail"]


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height, with a tiny deflate stream: a decompression bomb's shape."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b"")


def _jpeg_claiming(width: int, height: int) -> bytes:
    jpg = encode(np.full((16, 16), 255, np.uint8), ".jpg")
    i = jpg.index(b"\xff\xc0")
    return jpg[:i + 5] + struct.pack(">HH", height, width) + jpg[i + 9:]


def test_bad_uploads_of_every_kind(client, auth_for):
    h = auth_for("picker")
    good_jpeg = encode(photo("qr"), ".jpg")
    good_png = encode(photo("qr"), ".png")
    cases = [
        # (what, response, status, title, words in the detail)
        ("zero bytes", post_image(client, h, b""), 415, "Unsupported media type", "empty"),
        ("a PDF as application/pdf", post_image(client, h, b"%PDF-1.7\n1 0 obj\n", "application/pdf"), 415,
         "Unsupported media type", "application/pdf"),
        ("a PDF claiming to be a JPEG", post_image(client, h, b"%PDF-1.7\n1 0 obj\n"), 415, "Unsupported media type",
         "not a JPEG or PNG"),
        ("a GIF", post_image(client, h, b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"), 415,
         "Unsupported media type", "not a JPEG or PNG"),
        ("text", post_image(client, h, b"hello", "text/plain"), 415, "Unsupported media type", "text/plain"),
        ("JSON", client.post("/api/v1/decode", json={"image": "aGVsbG8="}, headers=h), 415, "Unsupported media type",
         "application/json"),
        ("no Content-Type", client.post("/api/v1/decode", data=good_jpeg, headers=h), 415, "Unsupported media type",
         "no Content-Type"),
        ("a JPEG cut after its header", post_image(client, h, good_jpeg[:200]), 422, "Unreadable image", "JPEG"),
        ("a JPEG with only its start marker", post_image(client, h, b"\xff\xd8\xff"), 422, "Unreadable image",
         "header"),
        ("a PNG cut short", post_image(client, h, good_png[:100], "image/png"), 422, "Unreadable image", "PNG"),
        ("a PNG bomb: 100000 x 100000 in a few bytes", post_image(client, h, _png_header(100_000, 100_000),
                                                                   "image/png"), 413, "Too large", "100000x100000"),
        ("a JPEG claiming 60000 x 40000", post_image(client, h, _jpeg_claiming(60_000, 40_000)), 413, "Too large",
         "60000x40000"),
        ("a PNG claiming 0 x 10", post_image(client, h, _png_header(0, 10), "image/png"), 422, "Unreadable image",
         "0x10"),
        ("a 4000 x 2 sliver", post_image(client, h, encode(np.full((2, 4000), 255, np.uint8)), "image/png"), 422,
         "Unreadable image", "too small"),
        ("multipart without the image field", post_form(client, h, good_jpeg, field="file"), 400, "Bad request",
         "'image'"),
        ("multipart with a PDF", post_form(client, h, b"%PDF-1.4\n", name="x.pdf"), 415, "Unsupported media type",
         "not a JPEG or PNG"),
    ]
    for what, r, status, title, words in cases:
        assert r.status_code == status, (what, r.get_json())
        assert r.mimetype == "application/problem+json", what
        body = r.get_json()
        assert body["title"] == title and body["status"] == status, (what, body)
        assert words in body["detail"], (what, body["detail"])


def test_a_truncated_jpeg_with_a_readable_top_still_reads_or_says_nothing_found(client, auth_for):
    img = photo("qr")
    data = encode(img, ".jpg")
    r = post_image(client, auth_for("picker"), data[: len(data) * 2 // 3])
    assert r.status_code in (200, 422), r.get_json()
    if r.status_code == 422:
        assert r.get_json()["title"] in ("No barcode found", "Unreadable image")


def test_too_large_uploads_are_413_by_bytes(app, client, auth_for):
    app.config["DECODE_MAX_BYTES"] = 200_000
    h = auth_for("picker")
    big = encode(np.random.default_rng(2).integers(0, 255, (720, 1280), dtype=np.uint8), ".png")
    assert len(big) > 200_000
    for r in (post_image(client, h, big, "image/png"), post_form(client, h, big, name="big.png")):
        body = assert_problem(r, 413)
        assert body["title"] == "Too large" and "195 KB" in body["detail"]


def test_the_default_limit_is_10_mb_not_the_apps_4_mb(client, auth_for):
    # 5 MB of JPEG: over the JSON endpoints' 4 MB, under the photo limit.
    rng = np.random.default_rng(3)
    noisy = rng.integers(0, 255, (2000, 2600), dtype=np.uint8)
    data = encode(noisy, ".jpg", quality=100)
    assert 4 * 1024 * 1024 < len(data) < 10 * 1024 * 1024
    body = assert_problem(post_image(client, auth_for("picker"), data), 422)
    assert body["title"] == "No barcode found"
    body = assert_problem(post_image(client, auth_for("picker"), b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024)), 413)
    assert "10 MB" in body["detail"]


def test_max_pixels_is_configurable(app, client, auth_for):
    app.config["DECODE_MAX_PIXELS"] = 500_000
    body = assert_problem(post_image(client, auth_for("picker"), encode(photo("qr"), ".jpg")), 413)
    assert "1280x720" in body["detail"]


def test_the_corpus_reads_through_the_api_as_jpeg(client, auth_for):
    # The JPEG round trip a phone adds must not lose the clean labels.
    h = auth_for("picker")
    for s in corpus(seeds=1, degradations=("clean",)):
        r = post_image(client, h, encode(s.image, ".jpg", quality=85))
        assert r.status_code == 200, (s.cls, r.get_json())
        assert s.text in [c["text"] for c in r.get_json()["codes"]], s.cls


def test_openapi_documents_the_upload(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/decode"]["post"]
    assert set(op["requestBody"]["content"]) == {"image/jpeg", "image/png", "multipart/form-data"}
    assert {"413", "415", "422"} <= set(op["responses"])
