"""Uploaded bytes -> a grayscale image, refusing what is not a JPEG or PNG,
what is too big in pixels (a decompression bomb is a few KB of PNG that
inflates to gigabytes) and what cannot be decoded. No Flask."""
from __future__ import annotations

import struct

import cv2
import numpy as np

MAX_PIXELS = 50_000_000   # a 48 MP phone photo still fits; a bomb does not


class ImageError(Exception):
    """The upload is not an image we can decode."""

    status = 415
    title = "Unsupported media type"
    slug = "unsupported-image"


class NotAnImage(ImageError):
    """The bytes are not a JPEG or PNG."""


class BrokenImage(ImageError):
    """A JPEG or PNG that cannot be decoded (truncated, corrupt)."""

    status, title, slug = 422, "Unreadable image", "unreadable-image"


class ImageTooLarge(ImageError):
    """More pixels than we agree to decode."""

    status, title, slug = 413, "Too large", "image-too-large"


def sniff(data: bytes) -> str | None:
    """'jpeg', 'png' or None, by magic number (never by the name or the type the client claims)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def dimensions(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) from the header alone, before anything is decompressed."""
    if kind == "png":
        if len(data) < 24 or data[12:16] != b"IHDR":
            return None
        return struct.unpack(">II", data[16:24])
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        # SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def load(data: bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The upload as a grayscale array, or an ImageError saying what is wrong."""
    if not data:
        raise NotAnImage("the upload is empty; send a JPEG or PNG photo")
    kind = sniff(data)
    if kind is None:
        raise NotAnImage("the upload is not a JPEG or PNG image")
    size = dimensions(data, kind)
    if size is None:
        raise BrokenImage(f"the {kind.upper()} has no readable header (truncated or corrupt)")
    width, height = size
    if width == 0 or height == 0:
        raise BrokenImage(f"the {kind.upper()} says it is {width}x{height} pixels")
    if min(width, height) < 16:
        raise BrokenImage(f"the image is {width}x{height} pixels: too small to hold a barcode")
    if width * height > max_pixels:
        raise ImageTooLarge(f"the image is {width}x{height} pixels ({width * height / 1e6:.0f} MP); "
                            f"at most {max_pixels / 1e6:.0f} MP is decoded")
    try:
        gray = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    except cv2.error as exc:
        raise BrokenImage(f"the {kind.upper()} cannot be decoded: {exc.err or exc}") from None
    if gray is None or gray.size == 0:
        raise BrokenImage(f"the {kind.upper()} cannot be decoded (truncated or corrupt)")
    return gray
