"""Turn one raw scan into a typed answer the floor screens can act on.

Precedence (docs/scans.md explains why): strip scanner noise and the AIM
prefix, ask the catalog for the code exactly as printed, then GS1 (Digital
Link, HRI, element string), then plain GTIN digits, then "unknown".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Protocol

from biip.upc import Upc

from edge.scans import aim, gs1
from edge.scans.gs1 import GS, CheckDigitError, GS1Error, MalformedGS1Error, ScanError

log = logging.getLogger(__name__)

KINDS = frozenset(
    {"bin", "item", "gs1", "sscc", "badge", "tote", "document", "unknown", "invalid"}
)
_NOISE = "\r\n\t"
_GTIN_LENGTHS = (8, 12, 13, 14)


class CatalogError(ScanError):
    """The catalog failed while looking a scan up; the scan itself may be fine."""


class Catalog(Protocol):
    """What interpret() needs to know about the warehouse; SQLite implements it."""

    def bin(self, code: str) -> dict | None: ...

    def barcode(self, code: str) -> dict | None: ...

    def badge(self, code: str) -> dict | None: ...

    def document(self, code: str) -> dict | None: ...


class DictCatalog:
    """An in-memory Catalog keyed by code, for tests and the shared scan vectors."""

    def __init__(
        self,
        *,
        bins: Mapping[str, dict] | None = None,
        barcodes: Mapping[str, dict] | None = None,
        badges: Mapping[str, dict] | None = None,
        documents: Mapping[str, dict] | None = None,
    ) -> None:
        self._bins = dict(bins or {})
        self._barcodes = dict(barcodes or {})
        self._badges = dict(badges or {})
        self._documents = dict(documents or {})

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, dict]]) -> DictCatalog:
        """Build from the "catalog" object at the top of tests/data/scan_vectors.json."""
        return cls(
            bins=data.get("bins"),
            barcodes=data.get("barcodes"),
            badges=data.get("badges"),
            documents=data.get("documents"),
        )

    def bin(self, code: str) -> dict | None:
        record = self._bins.get(code)
        return None if record is None else {"code": code, **record}

    def barcode(self, code: str) -> dict | None:
        return _copy(self._barcodes.get(code))

    def badge(self, code: str) -> dict | None:
        return _copy(self._badges.get(code))

    def document(self, code: str) -> dict | None:
        return _copy(self._documents.get(code))


def _copy(record: dict | None) -> dict | None:
    return None if record is None else dict(record)


def interpret(
    code: str,
    symbology: str | None = None,
    *,
    catalog: Catalog,
    gs_substitute: str | None = None,
) -> dict:
    """Say what a scan is. Never raises for any input text; see docs/scans.md.

    Only a failing catalog raises (CatalogError): a database error is not a
    fact about the label, and answering "unknown" would hide it.
    """
    if not isinstance(code, str):
        return {"raw": code, "kind": "invalid", "symbology": symbology,
                "error": f"a scan must be text, got {type(code).__name__}"}
    aim_id, data = aim.split(code.rstrip(_NOISE))
    answer: dict = {"raw": code, "kind": "unknown", "symbology": aim_id or symbology}
    hint = aim_id or aim.from_symbology(symbology)
    try:
        answer.update(_read(data, hint, catalog, gs_substitute))
    except GS1Error as exc:
        answer.update(kind="invalid", error=str(exc))
    except CatalogError:
        raise
    except Exception as exc:
        # A bug here must not stop a picker mid-aisle; say so and log it.
        log.exception("could not interpret scan %r", code)
        answer.update(kind="unknown", error=f"could not interpret this scan ({exc})")
    return answer


def _read(data: str, hint: str | None, catalog: Catalog, gs_substitute: str | None) -> dict:
    if data:
        known = _exact(catalog, data)
        if known is not None:
            return known
    text = data.replace(gs_substitute, GS) if gs_substitute else data
    promised = aim.promises_gs1(hint)
    if promised and not text.strip(GS + " "):
        raise MalformedGS1Error(f"the {hint} symbol carries no data")
    # The substitute is a separator stand-in for element strings; a URI keeps
    # its characters, since "~" or "|" may legitimately appear in one.
    if gs1.looks_like_digital_link(data) or (promised and _is_uri(data)):
        return _from_gs1(gs1.parse_digital_link(data), catalog)
    if gs1.looks_like_hri(text):
        return _from_gs1(gs1.parse_hri(text), catalog)
    if promised or gs1.looks_like_element_string(text):
        return _from_gs1(gs1.parse_element_string(text), catalog)
    return _plain(text, hint, catalog)


def _is_uri(text: str) -> bool:
    return re.match(r"https?://", text, re.IGNORECASE) is not None


def _exact(catalog: Catalog, code: str) -> dict | None:
    """The catalog's answer for the code exactly as printed, if it knows it."""
    record = _ask(catalog.bin, code)
    if record is not None:
        return {"kind": "tote" if record.get("kind") == "tote" else "bin", "bin": record}
    record = _ask(catalog.badge, code)
    if record is not None:
        return {"kind": "badge", "user": record}
    record = _ask(catalog.document, code)
    if record is not None:
        return {"kind": "document", "document": record}
    record = _ask(catalog.barcode, code)
    if record is not None:
        return {"kind": "item", **_item_fields(record)}
    return None


def _ask(lookup, code: str) -> dict | None:
    try:
        return lookup(code)
    except Exception as exc:
        raise CatalogError(f"catalog lookup for {code!r} failed: {exc}") from exc


def _item_fields(record: dict) -> dict:
    return {
        "sku": record.get("sku"),
        "pack_qty": record.get("pack_qty"),
        "item": record.get("item"),
    }


def _gtin_forms(gtin14: str) -> list[str]:
    """The GTIN-14 and the shorter forms a catalog may have stored it under."""
    forms = [gtin14]
    for length in (13, 12, 8):
        if gtin14[: 14 - length] == "0" * (14 - length):
            forms.append(gtin14[14 - length:])
    return forms


def _item_for_gtin(catalog: Catalog, gtin14: str) -> dict | None:
    for form in _gtin_forms(gtin14):
        record = _ask(catalog.barcode, form)
        if record is not None:
            return record
    return None


def _from_gs1(info: dict, catalog: Catalog) -> dict:
    if "gtin" in info:
        answer = {"kind": "gs1", "gs1": info}
        record = _item_for_gtin(catalog, info["gtin"])
        if record is not None:
            answer.update(_item_fields(record))
        return answer
    if "sscc" in info:
        return {"kind": "sscc", "sscc": info["sscc"], "gs1": info}
    return {"kind": "gs1", "gs1": info}


def _plain(text: str, hint: str | None, catalog: Catalog) -> dict:
    """EAN-13, UPC-A, EAN-8, UPC-E or GTIN-14 digits without GS1 framing."""
    if not (re.fullmatch(r"[0-9]+", text) and len(text) in _GTIN_LENGTHS):
        return {"kind": "unknown"}
    gtin14 = _gtin14(text, hint)
    record = _item_for_gtin(catalog, gtin14)
    if record is not None:
        return {"kind": "item", **_item_fields(record)}
    return {"kind": "unknown", "gtin": gtin14}


def _gtin14(digits: str, hint: str | None) -> str:
    """The GTIN-14 for plain digits, or CheckDigitError.

    Eight digits are EAN-8 unless the scanner said ]E0, which makes them
    UPC-E. Without a hint a failed EAN-8 check falls back to UPC-E, because
    many wedge scanners send UPC-E unexpanded and without an AIM prefix.
    """
    if len(digits) == 8 and hint == aim.EAN_UPC:
        return _upc_e_as_gtin14(digits)
    problem = gs1.check_digit_problem("GTIN", digits)
    if problem and len(digits) == 8 and hint != aim.EAN_8:
        try:
            return _upc_e_as_gtin14(digits)
        except CheckDigitError:
            pass
    if problem:
        raise CheckDigitError(problem)
    return digits.zfill(14)


def _upc_e_as_gtin14(digits: str) -> str:
    if digits[0] not in "01":
        raise CheckDigitError(f"UPC-E {digits} must start with 0 or 1")
    # Seven digits make biip compute the check digit instead of checking it.
    expected = Upc.parse(digits[:7]).check_digit
    if int(digits[7]) != expected:
        raise CheckDigitError(f"UPC-E {digits} has a bad check digit (expected {expected})")
    return Upc.parse(digits).as_upc_a().zfill(14)
