"""A label corpus for the decoding tests and bench/decode.py.

Every label is drawn by a third-party generator, not by the code under test:
python-barcode (Code 128, GS1-128, EAN-13, UPC-A, ITF-14), segno (QR) and
zxing-cpp's writer (GS1 DataMatrix). Each label is placed on a cluttered
frame the size a camera gives, then degraded the ways dock photos are:
rotated, blurred, noisy, low contrast, seen at an angle, or small.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import cv2
import numpy as np

GS = "\x1d"

# What each class encodes; `text` is what a decoder must return (FNC1 as GS).
LABELS = {
    "code128": ("HELLO-DOCK-42", "HELLO-DOCK-42"),
    "gs1-128": ("00395060000000000016", "00395060000000000016"),
    "ean13": ("400638133393", "4006381333931"),
    "upca": ("03600029145", "036000291452"),
    "itf14": ("15012345678907", "15012345678907"),
    "qr": ("https://id.gs1.org/01/09506000134352/10/LOT42", "https://id.gs1.org/01/09506000134352/10/LOT42"),
    "gs1-datamatrix": ("(01)09506000134352(17)271231(10)LOT42(21)S12345678",
                       "0109506000134352172712311" + "0LOT42" + GS + "21S12345678"),
}
CLASSES = tuple(LABELS)
DEGRADATIONS = ("clean", "rotate-20", "rotate-90", "blur", "noise", "low-contrast", "perspective", "small")


@dataclass
class Sample:
    cls: str
    degradation: str
    text: str           # what the decoder must read
    image: np.ndarray   # grayscale frame


def label(cls: str, data: str | None = None, scale: int = 2) -> np.ndarray:
    """A clean grayscale label (black on white, with its quiet zone)."""
    data = data if data is not None else LABELS[cls][0]
    if cls == "qr":
        import segno
        qr = segno.make_qr(data, error="m")
        img = np.array([[0 if dark else 255 for dark in row] for row in qr.matrix], dtype=np.uint8)
        return _scaled(np.pad(img, 4, constant_values=255), scale * 3)
    if cls == "gs1-datamatrix":
        import zxingcpp
        img = np.array(zxingcpp.create_barcode(data, zxingcpp.BarcodeFormat.DataMatrix, gs1=True).to_image(scale=1))
        return _scaled(np.pad(img, 2, constant_values=255), scale * 4)
    import barcode
    from barcode.writer import ImageWriter
    name = {"code128": "code128", "gs1-128": "gs1_128", "ean13": "ean13", "upca": "upca", "itf14": "itf"}[cls]
    writer = ImageWriter(mode="L")
    code = barcode.get(name, data, writer=writer)
    buf = io.BytesIO()
    code.write(buf, options={"module_width": 0.254 * scale / 2, "module_height": 12.0, "quiet_zone": 4.0,
                             "write_text": False, "dpi": 200, "format": "PNG"})
    img = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    return img


def _scaled(img: np.ndarray, factor: int) -> np.ndarray:
    return cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)


def scene(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A grey frame with some clutter: boxes, lines and printed-looking text."""
    w, h = size
    frame = np.full((h, w), int(rng.integers(150, 200)), np.uint8)
    for _ in range(12):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        cv2.rectangle(frame, (x, y), (x + int(rng.integers(20, w // 3)), y + int(rng.integers(20, h // 3))),
                      int(rng.integers(60, 230)), -1)
    for _ in range(8):
        cv2.putText(frame, "PALLET 12 KG", (int(rng.integers(0, w - 100)), int(rng.integers(20, h))),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6, int(rng.integers(0, 80)), 1)
    return frame


def place(frame: np.ndarray, img: np.ndarray, rng: np.random.Generator, width_frac: float | None = None,
          at: tuple[int, int] | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Paste a label (resized to width_frac of the frame) on a white sticker; return the frame and the box."""
    h, w = frame.shape
    if width_frac is not None:
        factor = width_frac * w / img.shape[1]
        img = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    lh, lw = img.shape
    lh, lw = min(lh, h - 4), min(lw, w - 4)
    img = img[:lh, :lw]
    x, y = at if at is not None else (int(rng.integers(0, w - lw)), int(rng.integers(0, h - lh)))
    out = frame.copy()
    out[y:y + lh, x:x + lw] = img
    return out, (x, y, lw, lh)


def degrade(frame: np.ndarray, box: tuple[int, int, int, int], how: str, rng: np.random.Generator) -> np.ndarray:
    x, y, lw, lh = box
    cx, cy = x + lw / 2, y + lh / 2
    if how.startswith("rotate-"):
        angle = float(how.split("-")[1])
        m = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
        return cv2.warpAffine(frame, m, frame.shape[::-1], borderValue=170)
    if how == "blur":
        return cv2.GaussianBlur(frame, (0, 0), 1.6)
    if how == "noise":
        noisy = frame.astype(np.int16) + rng.normal(0, 28, frame.shape).astype(np.int16)
        return np.clip(noisy, 0, 255).astype(np.uint8)
    if how == "low-contrast":
        return (110 + frame.astype(np.float32) * 0.22).astype(np.uint8)
    if how == "perspective":
        src = np.float32([[x, y], [x + lw, y], [x + lw, y + lh], [x, y + lh]])
        d = 0.18 * lh + 0.06 * lw
        dst = np.float32([[x + d, y], [x + lw - d, y + 0.1 * lh], [x + lw, y + lh], [x, y + lh * 0.95]])
        m = cv2.getPerspectiveTransform(src, dst)
        return cv2.warpPerspective(frame, m, frame.shape[::-1], borderValue=170)
    return frame


# Pixels per narrow bar / module as label() draws them, and as a 1280-wide
# camera frame sees them: a pallet label at the dock, a carton in a phone
# photo. "small" is the limit case: about 1.3 px per bar, 2 px per module.
_NATIVE = {"qr": 6.0, "gs1-datamatrix": 8.0}
_SEEN = {"qr": 4.0, "gs1-datamatrix": 4.0}
_SMALL = {"qr": 2.2, "gs1-datamatrix": 2.2}


def corpus(size: tuple[int, int] = (1280, 720), seeds: int = 2, classes=CLASSES,
           degradations=DEGRADATIONS) -> list[Sample]:
    """Every class x degradation, `seeds` different placements each."""
    out = []
    for cls in classes:
        clean = label(cls)
        for how in degradations:
            for seed in range(seeds):
                rng = np.random.default_rng(zlib.crc32(f"{cls}/{how}/{seed}".encode()))
                ppm = (_SMALL.get(cls, 1.3) if how == "small" else _SEEN.get(cls, 2.5)) * size[0] / 1280
                frac = ppm / _NATIVE.get(cls, 2.0) * clean.shape[1] / size[0]
                frame, box = place(scene(size, rng), clean, rng, width_frac=frac)
                out.append(Sample(cls, how, LABELS[cls][1], degrade(frame, box, how, rng)))
    return out


def encode(img: np.ndarray, ext: str = ".png", quality: int | None = None) -> bytes:
    ok, buf = cv2.imencode(ext, img, [cv2.IMWRITE_JPEG_QUALITY, quality] if quality else [])
    assert ok
    return buf.tobytes()


def hit(codes, text: str) -> bool:
    return any(c.text == text for c in codes)


def gs1_check(digits: str) -> str:
    """digits + their GS1 mod-10 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return digits + str((10 - total % 10) % 10)


def sscc(serial: int) -> str:
    """An 18-digit SSCC under the demo's GS1 company prefix 950 6000 (never a real one)."""
    return gs1_check(f"39506000{serial:09d}")


def pallet_video(path: str, passes: list[tuple[str, str]], size=(800, 450), fps: int = 10,
                 frames_per_pass: int = 14, gap: int = 6) -> str:
    """An MJPG .avi of labels passing under a fixed camera, one after the other:
    each pass is (class, data), e.g. ("gs1-128", "00" + sscc(1)). Between passes
    the dock floor is empty."""
    rng = np.random.default_rng(7)
    floor = scene(size, rng)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    w, h = size
    for cls, data in passes:
        img = label(cls, data)
        factor = 2.4 / _NATIVE.get(cls, 2.0) * (0.7 if cls in _NATIVE else 1.0)
        img = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        lh, lw = img.shape
        for i in range(frames_per_pass):   # the pallet rolls in from the left and out on the right
            x = int(-lw + (w + lw) * (i + 0.5) / frames_per_pass)
            frame = floor.copy()
            x0, x1 = max(0, x), min(w, x + lw)
            if x1 > x0:
                y = (h - lh) // 2
                frame[y:y + lh, x0:x1] = img[:, x0 - x:x1 - x]
            writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
        for _ in range(gap):
            writer.write(cv2.cvtColor(floor, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path
