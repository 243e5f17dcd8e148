"""Named errors of the central store. They are LedgerError subclasses so the
edge's problem+json handler renders them (status, title, field, extras)."""
from __future__ import annotations

from edge.ledger.errors import LedgerError


class StoreError(LedgerError):
    """A request central cannot apply as given."""


class WrongWarehouse(StoreError):
    """A warehouse's token names another warehouse."""

    status, title, type_slug = 403, "Wrong warehouse", "wrong-warehouse"


class Gap(StoreError):
    """The batch does not continue from what central holds; `cursor` says where to resume."""

    status, title, type_slug = 409, "Gap in the movement sequence", "gap"


class Conflict(StoreError):
    """A seq or id central holds arrives with different content."""

    status, title, type_slug = 409, "Conflicting movement", "conflict"


class UnknownWarehouse(StoreError):
    """The warehouse code is not registered (floorscan central add-warehouse)."""

    status, title, type_slug = 422, "Unknown warehouse", "unknown-warehouse"


class UnknownKey(StoreError):
    """The item, barcode, transfer ... is not known to central."""

    status, title, type_slug = 404, "Not found", "not-found"


class UnknownItem(StoreError):
    """A barcode or document line names an item central does not have."""

    status, title, type_slug = 422, "Unknown item", "unknown-item"


class AlreadyExists(StoreError):
    """The name or code is taken."""

    status, title, type_slug = 409, "Already exists", "already-exists"


class BadInput(StoreError):
    """A value central refuses (outside what pydantic checks)."""

    status, title, type_slug = 422, "Invalid input", "validation"


class CursorAhead(StoreError):
    """A change cursor this central never handed out (it was replaced or restored)."""

    status, title, type_slug = 409, "Change cursor ahead of central", "cursor-ahead"
