"""Scan interpretation: what a barcode string means on this warehouse floor."""

from edge.scans.gs1 import (
    CheckDigitError,
    ConflictingAIError,
    DateError,
    GS1Error,
    MalformedGS1Error,
    ScanError,
)
from edge.scans.interpret import KINDS, Catalog, CatalogError, DictCatalog, interpret

__all__ = [
    "KINDS",
    "Catalog",
    "CatalogError",
    "CheckDigitError",
    "ConflictingAIError",
    "DateError",
    "DictCatalog",
    "GS1Error",
    "MalformedGS1Error",
    "ScanError",
    "interpret",
]
