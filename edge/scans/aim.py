"""AIM symbology identifiers (ISO/IEC 15424): the `]C1`-style prefix scanners add."""

from __future__ import annotations

import re

from biip.symbology import GS1Symbology

# ISO/IEC 15424 allows `]Y` with longer modifiers, but no scanner on a
# warehouse floor sends those; the three-character form is what we meet.
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")

# biip knows which identifiers promise GS1 element strings; the composite
# variants (]e1, ]e2) carry them too but biip leaves them out of that set.
_GS1_AIMS = frozenset(
    f"]{symbology.value}"
    for symbology in (
        *GS1Symbology.with_gs1_messages(),
        *GS1Symbology.with_gs1_digital_link_uri(),
        GS1Symbology.GS1_COMPOSITE_WITH_SEPARATOR_CHAR,
        GS1Symbology.GS1_COMPOSITE_WITH_ESCAPE_CHAR,
    )
)

EAN_UPC = "]E0"
EAN_8 = "]E4"

# Camera decoders (BarcodeDetector, ZXing) name formats instead of sending AIM
# identifiers. Only the names that change how digits are read are mapped: an
# 8-digit code is EAN-8 under ]E4 but UPC-E under ]E0.
_FORMAT_NAMES = {
    "upce": EAN_UPC,
    "ean8": EAN_8,
}


def split(code: str) -> tuple[str | None, str]:
    """Return (AIM identifier or None, the data after it)."""
    if _AIM.match(code):
        return code[:3], code[3:]
    return None, code


def from_symbology(symbology: str | None) -> str | None:
    """The AIM identifier a caller-supplied symbology stands for, if any."""
    if not isinstance(symbology, str):
        return None
    if _AIM.fullmatch(symbology):
        return symbology
    name = re.sub(r"[^a-z0-9]", "", symbology.lower())
    return _FORMAT_NAMES.get(name)


def promises_gs1(aim_id: str | None) -> bool:
    """True when the identifier says the symbol carries GS1 data (FNC1 mode)."""
    return aim_id in _GS1_AIMS
