#!/usr/bin/env python3
"""Draw the PWA's icons (pwa/icons/icon-192.png, icon-512.png) with nothing but
the standard library: a yellow barcode on near-black, inside the maskable safe
zone (the middle 80%) so launchers may crop it to any shape.

    python3 scripts/make-icons.py
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "pwa" / "icons"
BG = (11, 14, 17)
FG = (255, 210, 31)
# Bar widths (in modules) of a made-up barcode: bar, space, bar, space ...
BARS = [2, 1, 1, 1, 3, 1, 1, 2, 2, 1, 1, 1, 3, 2, 1, 1, 2, 1, 1, 1, 3]


def pixels(size: int) -> list[bytes]:
    left, right = round(size * 0.22), round(size * 0.78)
    top, bottom = round(size * 0.28), round(size * 0.72)
    module = (right - left) / sum(BARS)
    ink = [False] * size
    x = float(left)
    for i, width in enumerate(BARS):
        start, x = round(x), x + width * module
        if i % 2 == 0:
            for col in range(start, round(x)):
                ink[col] = True
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter type: none
        for col in range(size):
            on = top <= y < bottom and ink[col]
            row.extend(FG if on else BG)
        rows.append(bytes(row))
    return rows


def png(size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(pixels(size)), 9)) + chunk(b"IEND", b""))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        path = OUT / f"icon-{size}.png"
        path.write_bytes(png(size))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
