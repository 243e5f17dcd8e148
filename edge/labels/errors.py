"""Named errors of the label printing area. Each carries its HTTP status."""
from __future__ import annotations

from edge.ledger.errors import LedgerError


class LabelError(LedgerError):
    """A label that cannot be made as asked."""

    status, title, type_slug = 422, "Cannot make label", "label"


class LabelNotFound(LabelError):
    """The bin or item to label is not in the master data."""

    status, title, type_slug = 404, "Not found", "not-found"


class TooManyLabels(LabelError):
    """More labels in one request than the limit: split the job."""

    status, title, type_slug = 413, "Too many labels", "too-many-labels"


class NotEncodable(LabelError):
    """The data cannot be carried by the symbology asked for."""

    status, title, type_slug = 422, "Cannot encode", "not-encodable"


class PrinterUnreachable(LabelError):
    """The printer refused the connection or the address does not resolve."""

    status, title, type_slug = 502, "Printer unreachable", "printer-unreachable"


class PrinterTimeout(LabelError):
    """The printer did not accept the job in time."""

    status, title, type_slug = 504, "Printer timeout", "printer-timeout"
