"""Where in a frame a barcode probably is: cheap image analysis with OpenCV.

Bars and modules make strong, dense edges. Scharr gradients, a box blur, Otsu
and a morphological close turn each label into one blob; its rotated
bounding box is cut out, turned upright and enlarged, so the engine gets a
small, level, big-enough image instead of a whole frame. This is what reads
labels that are tilted or small in the frame (measured: docs/decoding.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 640     # the analysis runs on a frame this wide; the crop comes from the full frame
MIN_AREA = 0.0015    # of the frame: anything smaller cannot hold a readable code
MAX_AREA = 0.25      # of the frame: bigger blobs are clutter (or a code the full-frame pass already reads)
MAX_CROP_PIXELS = 200_000  # keeps a crop's decode around 1 ms


@dataclass
class Region:
    center: tuple[float, float]
    size: tuple[float, float]
    angle: float

    def crop(self, gray: np.ndarray, min_side: int = 160, pad: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
        """The region turned level with a margin, enlarged so its short side is at
        least min_side; also the 2x3 matrix mapping crop pixels back to the frame."""
        (cx, cy), (w, h), angle = self.center, self.size, self.angle
        if w < h:  # make the long side horizontal: 1D codes read along rows
            w, h, angle = h, w, angle + 90
        w, h = w * (1 + pad) + 8, h * (1 + 2 * pad) + 8
        scale = max(1.0, min(4.0, min_side / max(h, 1.0)))
        scale = min(scale, (MAX_CROP_PIXELS / max(w * h, 1.0)) ** 0.5)
        out_w, out_h = int(w * scale), int(h * scale)
        m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
        m[0, 2] += out_w / 2 - cx
        m[1, 2] += out_h / 2 - cy
        crop = cv2.warpAffine(gray, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return crop, cv2.invertAffineTransform(m)


def find(gray: np.ndarray, limit: int = 3) -> list[Region]:
    """Up to `limit` candidate regions, biggest first, in full-frame coordinates."""
    h, w = gray.shape[:2]
    f = min(1.0, WORK_WIDTH / w)
    if min(h, w) < 16:
        return []   # a sliver of an image holds no code worth cutting out
    size = (max(1, round(w * f)), max(1, round(h * f)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA) if f < 1 else gray
    gx = cv2.Scharr(small, cv2.CV_16S, 1, 0)
    gy = cv2.Scharr(small, cv2.CV_16S, 0, 1)
    # Edges in both directions (2D codes) and in one (1D codes) both count.
    grad = cv2.convertScaleAbs(cv2.max(cv2.absdiff(cv2.convertScaleAbs(gx), cv2.convertScaleAbs(gy)),
                                       cv2.min(cv2.convertScaleAbs(gx), cv2.convertScaleAbs(gy))))
    grad = cv2.blur(grad, (7, 7))
    _, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
    mask = cv2.erode(mask, None, iterations=2)
    mask = cv2.dilate(mask, None, iterations=2)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area_min = MIN_AREA * small.shape[0] * small.shape[1]
    area_max = MAX_AREA * small.shape[0] * small.shape[1]
    out = []
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[: limit * 3]:
        area = cv2.contourArea(c)
        if area < area_min:
            break
        if area > area_max:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(c)
        if min(rw, rh) < 6:
            continue
        out.append(Region((cx / f, cy / f), (rw / f, rh / f), angle))
        if len(out) == limit:
            break
    return out
