"""The decoding pipeline: which engine sees which version of the image, in
what order. The order and the steps kept are the ones that raised the hit
rate on the label corpus per millisecond spent (docs/decoding.md has the
table); steps that did not help (CLAHE, Otsu thresholding, sharpening,
90-degree turns of the whole frame, pyzbar after zxing-cpp) are left out.

    full      zxing-cpp (fast settings) on the whole grayscale frame
    regions   candidate regions cut out, levelled and enlarged (regions.py)
    upscale   the whole frame at 2x (small codes; photos only: 4x the pixels)

`upscale` runs only when nothing was found before it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from edge.decode import regions
from edge.decode.engines import ENGINES, Code, ZxingEngine

MAX_SIDE = 2000    # photos are analysed at most this big: a 12 MP photo costs 10x a 2 MP one, for nothing
STEPS = ("full", "regions", "upscale")
_LAST_RESORT = ("upscale",)
PROFILES = {
    # A camera frame: stop at the first step that reads anything; the next frame comes in 40-100 ms.
    "camera": (("full", "regions"), True),
    # A photo someone took on purpose: look everywhere, and harder when nothing was found.
    "photo": (("full", "regions", "upscale"), False),
}


@dataclass
class Result:
    codes: list[Code]
    ms: float
    steps: list[str] = field(default_factory=list)   # the steps that ran


class Pipeline:
    def __init__(self, profile: str = "camera", engine: str = "zxing-cpp-fast", steps: tuple[str, ...] | None = None,
                 first_hit: bool | None = None):
        default_steps, default_first = PROFILES[profile]
        self.steps = tuple(steps or default_steps)
        unknown = set(self.steps) - set(STEPS)
        if unknown:
            raise ValueError(f"unknown pipeline step(s) {sorted(unknown)}; known: {', '.join(STEPS)}")
        self.first_hit = default_first if first_hit is None else first_hit
        self.engine = ENGINES[engine]()
        # A crop is small (at most regions.MAX_CROP_PIXELS), so zxing's own
        # 90-degree tries cost little there and catch 1D codes standing upright.
        self.crop_engine = ZxingEngine(rotate=True) if engine == "zxing-cpp-fast" else self.engine

    def decode(self, image: np.ndarray) -> Result:
        start = time.perf_counter()
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        gray, factor = _fit(gray)
        found: dict[tuple, Code] = {}
        ran = []
        for step in self.steps:
            if step in _LAST_RESORT and found:
                break
            ran.append(step)
            codes = self._regions(gray, list(found.values())) if step == "regions" else getattr(self, "_" + step)(gray)
            for code in codes:
                found.setdefault(code.key(), code)
            if found and self.first_hit:
                break
        codes = [c.scaled(1 / factor) if factor != 1 else c for c in found.values()]
        return Result(codes, (time.perf_counter() - start) * 1000, ran)

    def _full(self, gray):
        return self.engine.decode(gray)

    def _regions(self, gray, found=()):
        out = []
        for region in regions.find(gray):
            if any(_inside(region.center, code.position) for code in found):
                continue   # that label is read already; a second look only adds partial misreads
            crop, back = region.crop(gray)
            for code in self.crop_engine.decode(crop):
                if not _level(code):
                    continue
                pts = np.array(code.position, np.float64).reshape(-1, 1, 2)
                mapped = cv2.transform(pts, back).reshape(-1, 2) if len(pts) else pts.reshape(-1, 2)
                code.position = [[int(round(x)), int(round(y))] for x, y in mapped]
                if any(_inside(_center(code.position), known.position) for known in found):
                    continue   # a partial read inside a label already read whole
                out.append(code)
        return out

    def _upscale(self, gray):
        big = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
        return [c.scaled(0.5) for c in self.engine.decode(big)]


_MATRIX = ("QR Code", "GS1 QR Code", "DataMatrix", "GS1 DataMatrix")


def _level(code: Code, tolerance: float = 8.0) -> bool:
    """A 1D code read in a levelled crop runs along its rows (or columns). zxing's
    rotation tries also scan diagonals, and a diagonal pass through a label
    yields partial reads (a short ITF, a UPC-E inside an EAN-13): refused."""
    if code.symbology in _MATRIX or len(code.position) < 2:
        return True
    (x0, y0), (x1, y1) = code.position[0], code.position[1]
    angle = abs(np.degrees(np.arctan2(y1 - y0, x1 - x0))) % 90
    return min(angle, 90 - angle) <= tolerance


def _center(polygon) -> tuple[float, float]:
    return float(np.mean([p[0] for p in polygon])), float(np.mean([p[1] for p in polygon]))


def _inside(point, polygon) -> bool:
    if len(polygon) < 3:
        return False
    contour = np.array(polygon, np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), False) >= 0


def _fit(gray: np.ndarray) -> tuple[np.ndarray, float]:
    longest = max(gray.shape[:2])
    if longest <= MAX_SIDE:
        return gray, 1.0
    factor = MAX_SIDE / longest
    size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA), factor


_photo: Pipeline | None = None


def photo_pipeline() -> Pipeline:
    """One shared pipeline for uploads: it holds no per-call state."""
    global _photo
    if _photo is None:
        _photo = Pipeline("photo")
    return _photo
