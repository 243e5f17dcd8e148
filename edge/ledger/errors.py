"""Named errors of the ledger. Each knows the HTTP status and title it maps to,
and, where one input field is at fault, which field."""
from __future__ import annotations


class LedgerError(Exception):
    """A movement or command that cannot be applied as given."""

    status = 422
    title = "Cannot apply"
    type_slug = "unprocessable"

    def __init__(self, detail: str, *, field: str | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra

    def problem(self) -> dict:
        body = {
            "type": f"https://floorscan.dev/problems/{self.type_slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field:
            body["errors"] = [{"field": self.field, "message": self.detail}]
        body.update(self.extra)
        return body


class UnknownItem(LedgerError):
    """The sku is not in the item master."""

    status, title, type_slug = 422, "Unknown item", "unknown-item"


class UnknownBin(LedgerError):
    """The bin code is not in the bin master."""

    status, title, type_slug = 422, "Unknown bin", "unknown-bin"


class InactiveMasterData(LedgerError):
    """The item or bin exists but is switched off."""

    status, title, type_slug = 422, "Inactive", "inactive"


class BadQuantity(LedgerError):
    """Quantity is not positive, or fractional for a unit that counts whole pieces."""

    status, title, type_slug = 422, "Bad quantity", "bad-quantity"


class TrackingError(LedgerError):
    """Lot, serial or expiry missing or not allowed for the item's tracking."""

    status, title, type_slug = 422, "Lot / serial / expiry rule", "tracking"


class InsufficientStock(LedgerError):
    """The movement would drive a bin below zero."""

    status, title, type_slug = 409, "Not enough stock", "insufficient-stock"


class SerialConflict(LedgerError):
    """The serial is somewhere else than the movement says."""

    status, title, type_slug = 409, "Serial number conflict", "serial-conflict"


class LotConflict(LedgerError):
    """The lot already exists with another expiry date."""

    status, title, type_slug = 409, "Lot conflict", "lot-conflict"


class IdConflict(LedgerError):
    """The id was used before with different content."""

    status, title, type_slug = 409, "Id reused with different content", "id-conflict"
