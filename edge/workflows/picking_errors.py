"""Named refusals of the picking workflow. Each reaches the picker or the
supervisor as a problem+json that says what was expected."""
from __future__ import annotations

from edge.ledger.errors import LedgerError


class OrderExists(LedgerError):
    """A sales order with that number exists already."""

    status, title, type_slug = 409, "Order exists", "order-exists"


class OrderClosed(LedgerError):
    """The order is shipped or cancelled, or released where it must still be open."""

    status, title, type_slug = 409, "Order closed", "order-closed"


class NothingToRelease(LedgerError):
    """No open order matches the wave's selection, or none has stock to allocate."""

    status, title, type_slug = 409, "Nothing to release", "nothing-to-release"


class ListClosed(LedgerError):
    """The pick list is finished or cancelled."""

    status, title, type_slug = 409, "Pick list closed", "list-closed"


class ListTaken(LedgerError):
    """The pick list is assigned to another picker."""

    status, title, type_slug = 409, "Assigned to someone else", "list-taken"


class LineClosed(LedgerError):
    """The pick line is already picked or shorted."""

    status, title, type_slug = 409, "Line already done", "line-closed"


class WrongBin(LedgerError):
    """The scanned bin is not the bin the pick line sends the picker to."""

    status, title, type_slug = 409, "Wrong bin", "wrong-bin"


class WrongItem(LedgerError):
    """The scanned item is not the item the pick line asks for."""

    status, title, type_slug = 409, "Wrong item", "wrong-item"


class WrongLot(LedgerError):
    """The lot is missing or not the lot the pick line reserved."""

    status, title, type_slug = 409, "Wrong lot", "wrong-lot"


class ExpiredLot(LedgerError):
    """The reserved lot has expired since it was allocated; it must not ship."""

    status, title, type_slug = 409, "Expired lot", "expired-lot"


class OverPick(LedgerError):
    """More than the line still asks for."""

    status, title, type_slug = 422, "More than the line needs", "over-pick"


class NotShort(LedgerError):
    """A short pick that covers the whole line: confirm it instead."""

    status, title, type_slug = 422, "Not a short pick", "not-short"


class NoTote(LedgerError):
    """No tote is assigned where the pick would go."""

    status, title, type_slug = 409, "Scan a tote first", "no-tote"


class WrongTote(LedgerError):
    """The scanned tote is not the one the goods belong in."""

    status, title, type_slug = 409, "Wrong tote", "wrong-tote"


class ToteInUse(LedgerError):
    """The tote holds goods or belongs to another open pick."""

    status, title, type_slug = 409, "Tote in use", "tote-in-use"


class NotBatch(LedgerError):
    """Only a batch list has a sort step."""

    status, title, type_slug = 409, "Not a batch list", "not-batch"


class NotReadyToShip(LedgerError):
    """Nothing picked, lines still open, or the goods still share a tote with another order."""

    status, title, type_slug = 409, "Not ready to ship", "not-ready-to-ship"


# -- what a supervisor sees in the exceptions queue --------------------------------

KINDS = {
    "short_pick": "A picker found less in a bin than the records said",
    "over_pick": "An offline pick took more than the line needed (the extra is in the tote)",
    "pick_wrong_bin": "An offline pick came from another bin than the one reserved",
    "pick_wrong_item": "An offline pick put another item in the tote",
    "pick_wrong_lot": "An offline pick took another lot than the one reserved",
    "pick_wrong_tote": "An offline pick went into another tote than the list's",
    "expired_pick": "An offline pick took an expired lot",
    "pick_list_closed": "An offline pick arrived for a finished pick list",
    "ship_incomplete": "An order shipped offline before all of it was picked",
    "ship_unsorted": "An order shipped offline from a tote shared with another order",
    "ship_wrong_tote": "An order shipped offline from another tote than its goods were in",
}


def declare_kinds() -> None:
    from edge.workflows import exceptions
    for name, title in KINDS.items():
        exceptions.kind(name, title)


declare_kinds()
